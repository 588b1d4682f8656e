"""One strict JSON gate: a project file and a run record are refused in the same words, duplicates found in one pass."""

from __future__ import annotations

import pytest

from gui_app.core.files.strict_json import JsonTextError, load_json_text, repeated_keys
from gui_app.core.project.spec import ProjectFileError, load_spec_file
from gui_app.core.training.runs import RunFileError, read_run

FAULTS = {
    "not UTF-8": b"\x80\x03\x89PNG\xff\xfe",
    "empty": b"  \n",
    "not JSON": b"{nope",
    "a long integer": b'{"seed": ' + b"9" * 5000 + b"}",
    "a negative long integer": b'{"seed": -' + b"9" * 41 + b"}",
    "nested too deeply": b"[" * 100_000 + b"]" * 100_000,
}


def _project_reason(tmp_path, raw: bytes) -> str:
    (tmp_path / "net.json").write_bytes(raw)
    with pytest.raises(ProjectFileError) as info:
        load_spec_file(tmp_path / "net.json")
    return str(info.value).removeprefix("net.json: ")


def _run_reason(tmp_path, raw: bytes) -> str:
    run = tmp_path / "net.runs" / "2025-05-01_14-03-22"
    run.mkdir(parents=True)
    (run / "run.json").write_bytes(raw)
    with pytest.raises(RunFileError) as info:
        read_run(run)
    return str(info.value).removeprefix(f"{run.name}: run.json: ")


@pytest.mark.parametrize("fault", FAULTS, ids=list(FAULTS))
def test_a_run_record_is_refused_in_the_words_of_a_project_file(tmp_path, fault):
    project = _project_reason(tmp_path, FAULTS[fault])
    assert _run_reason(tmp_path, FAULTS[fault]) == project.replace("project file", "run record")
    assert "\n" not in project


def test_a_repeated_key_is_refused_or_marked_for_the_caller():
    text = '{"a": 1, "b": {"c": 1, "c": 2}, "a": 2, "b": 3}'
    with pytest.raises(JsonTextError, match=r"^the key 'c' appears twice$"):
        load_json_text(text, "run record")
    marked = load_json_text(text, "project file", keep_duplicates=True)
    assert (marked.duplicates, marked["b"], load_json_text('{"x": {}}', "x", keep_duplicates=True).duplicates) == (
        ["a", "b"],
        3,
        [],
    )


class CountedKey(str):
    """A key that counts how often it is compared for equality."""

    comparisons = 0

    def __eq__(self, other: object) -> bool:
        CountedKey.comparisons += 1
        return str.__eq__(self, other)

    __hash__ = str.__hash__


@pytest.mark.parametrize("repeats", [1, 2], ids=["distinct", "each twice"])
def test_duplicate_keys_are_found_with_a_bounded_number_of_comparisons_per_key(repeats):
    # The reader compared each key with every key before it: 20,000 keys took 11 s.
    keys = [CountedKey(f"key{i}") for i in range(20_000)] * repeats
    CountedKey.comparisons = 0
    found = repeated_keys([CountedKey(str(key)) for key in keys])
    assert found == ([] if repeats == 1 else [f"key{i}" for i in range(20_000)])
    assert CountedKey.comparisons <= 3 * len(keys)
