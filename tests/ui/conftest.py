"""Every Qt test must leave no QThread running: a dangling one crashes the next test or the exit."""

import gc
import warnings

import pytest
import shiboken6
from PySide6.QtCore import QThread


def _running_threads() -> list[QThread]:
    with warnings.catch_warnings():
        # Scanning every object touches deprecated torch aliases, which warn when inspected.
        warnings.simplefilter("ignore")
        threads = [obj for obj in gc.get_objects() if isinstance(obj, QThread)]
    return [t for t in threads if shiboken6.isValid(t) and t.isRunning()]


@pytest.fixture(autouse=True)
def _no_dangling_qthreads(qapp):
    before = set(map(id, _running_threads()))
    yield
    dangling = [t for t in _running_threads() if id(t) not in before]
    for thread in dangling:
        thread.wait(2000)  # a run that is finishing on its own gets a moment
    still = [t for t in dangling if shiboken6.isValid(t) and t.isRunning()]
    if still:
        for thread in still:
            thread.quit()
            thread.wait(5000)
        pytest.fail(f"the test left {len(still)} QThread(s) running: {still}")
