"""A loopback HTTP mirror of the tests' MNIST slice, for download tests that must not reach the network.

The ``mirror`` fixture (tests/conftest.py) starts one, lets ``downloads.urlopen`` reach 127.0.0.1
and nothing else, and points the MNIST download at it.
"""

from __future__ import annotations

import functools
import gzip
import hashlib
import http.server
import threading
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path

from gui_app.core.data import downloads
from gui_app.core.data.datasets import IDX_FILES
from gui_app.core.data.downloads import Source
from tests.mnist_subset import RAW


class _Handler(http.server.SimpleHTTPRequestHandler):
    """Serves files; those named in ``server.cut`` stop after half their bytes; every file arrives
    slowly when ``server.delay`` is set (seconds per 16 KiB), or stops after its first 64 KiB until
    the test sets ``server.hold`` (a threading.Event)."""

    def log_message(self, format: str, *args: object) -> None:
        self.server.requests.append(self.path.lstrip("/"))

    def copyfile(self, source, outputfile) -> None:
        if Path(self.path).name in self.server.cut:
            data = source.read()
            outputfile.write(data[: len(data) // 2])
            self.close_connection = True
            return
        if self.server.hold is not None:  # the first 64 KiB (one client read), then wait for the test
            outputfile.write(source.read(1 << 16))
            outputfile.flush()
            self.server.hold.wait(30)
            super().copyfile(source, outputfile)
            return
        if self.server.delay:  # a slow connection: 16 KiB at a time
            while chunk := source.read(16384):
                outputfile.write(chunk)
                time.sleep(self.server.delay)
            return
        super().copyfile(source, outputfile)


class Mirror:
    def __init__(self, folder: Path) -> None:
        self.files: list[tuple[str, str]] = []
        for stem in IDX_FILES:
            data = gzip.compress((RAW / stem).read_bytes(), mtime=0)
            (folder / f"{stem}.gz").write_bytes(data)
            self.files.append((f"{stem}.gz", hashlib.md5(data, usedforsecurity=False).hexdigest()))
        self.server = http.server.ThreadingHTTPServer(
            ("127.0.0.1", 0), functools.partial(_Handler, directory=str(folder))
        )
        # a client that cancels closes the connection mid-file: expected here, not worth a traceback
        self.server.handle_error = lambda request, client_address: None
        self.server.cut = set()
        self.server.delay = 0.0
        self.server.hold = None
        self.server.requests = []
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/"

    @property
    def requests(self) -> list[str]:
        return self.server.requests

    def source(self, mirrors: tuple[str, ...] | None = None, files=None) -> Source:
        return Source("MNIST", "MNIST/raw", mirrors or (self.url,), tuple(files or self.files))


def serve(tmp_path: Path, monkeypatch) -> Iterator[Mirror]:
    """A loopback mirror of the MNIST slice; downloads may reach it and nothing else."""
    served = tmp_path / "served"
    served.mkdir()
    mirror = Mirror(served)
    thread = threading.Thread(target=mirror.server.serve_forever, daemon=True)
    thread.start()

    def loopback_only(url: str, *args, **kwargs):
        assert url.startswith("http://127.0.0.1:"), url
        return urllib.request.urlopen(url, *args, **kwargs)

    monkeypatch.delenv("NETBUILDER_OFFLINE", raising=False)
    monkeypatch.setattr(downloads, "urlopen", loopback_only)
    # load_dataset asks downloads.sources(); point MNIST at the loopback mirror
    monkeypatch.setattr(downloads, "sources", lambda: {"mnist": mirror.source()})
    try:
        yield mirror
    finally:
        if mirror.server.hold is not None:
            mirror.server.hold.set()
        mirror.server.shutdown()
        mirror.server.server_close()
        thread.join(timeout=10)
