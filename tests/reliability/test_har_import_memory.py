"""Importing a HAR with many entries keeps memory bounded: the entries are read one at a time
(`har.stream_har`) and each request is built when it is stored, never the whole document at once.
Each measurement runs in a fresh interpreter: peak RSS (VmHWM, reset first) less the RSS before."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest

from tests.reliability.conftest import ROOT, MiB

MEASURE = """
import sys
from inspector.core.formats import har
from inspector.core.formats.importing import import_file

def status(key):
    with open("/proc/self/status") as handle:
        return next(int(l.split()[1]) * 1024 for l in handle if l.startswith(key + ":"))

path, how = sys.argv[1], sys.argv[2]
with open("/proc/self/clear_refs", "w") as handle:
    handle.write("5")  # the peak (VmHWM) starts again from here
before = status("VmRSS")
if how == "streamed":  # what `import` does: read the file, store the requests chunk by chunk
    result = import_file(path, max_size=1 << 30)
    count = 0
    for start in range(0, len(result.requests), 256):
        count += len(result.requests[start : start + 256])
else:  # the whole document parsed at once, every request built (the import before)
    with open(path, encoding="utf-8") as handle:
        count = len(har.read_har(handle.read()))
print(count, status("VmHWM") - before)
"""

ENTRY = (
    '{"startedDateTime": "2026-01-01T00:00:00.000Z", "request": {"method": "POST", '
    '"url": "http://127.0.0.1:8080/hook/%d", "httpVersion": "HTTP/1.1", "headers": ['
    '{"name": "Host", "value": "127.0.0.1:8080"}, '
    '{"name": "Content-Type", "value": "application/json"}], '
    '"postData": {"mimeType": "application/json", "text": "{\\"n\\": %d}"}}, '
    '"response": {"status": 200}}'
)


def write_har_file(path: Path, entries: int) -> int:
    with path.open("w", encoding="utf-8") as handle:
        handle.write('{"log": {"version": "1.2", "creator": {"name": "test"}, "entries": [\n')
        for number in range(entries):
            handle.write(("," if number else "") + ENTRY % (number, number) + "\n")
        handle.write("]}}\n")
    return path.stat().st_size


def peak_growth(path: Path, how: str) -> tuple[int, int]:
    out = subprocess.run(
        [sys.executable, "-c", MEASURE, str(path), how], cwd=ROOT, capture_output=True,
        text=True, check=True, timeout=900,
    ).stdout.split()  # fmt: skip
    return int(out[0]), int(out[1])


def check(tmp_path: Path, entries: int, figure: Callable[[str], None]) -> None:
    path = tmp_path / "many.har"
    size = write_har_file(path, entries)
    count, streamed = peak_growth(path, "streamed")
    assert count == entries
    whole_count, whole = peak_growth(path, "whole")
    assert whole_count == entries
    figure(
        f"{entries:,} entries ({size / MiB:.0f} MiB): peak RSS growth {streamed / MiB:.0f} MiB "
        f"streamed vs {whole / MiB:.0f} MiB parsing the whole document"
    )
    assert streamed < 3 * size  # the file's bytes and text, and 8 bytes per entry
    assert streamed < whole / 2


def test_har_import_of_100k_entries_has_bounded_memory(tmp_path: Path, figure) -> None:  # type: ignore[no-untyped-def]
    check(tmp_path, 100_000, figure)


@pytest.mark.slow
def test_har_import_of_a_million_entries_has_bounded_memory(tmp_path: Path, figure) -> None:  # type: ignore[no-untyped-def]
    check(tmp_path, 1_000_000, figure)
