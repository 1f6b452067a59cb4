"""Shared pieces of the benchmarks: processes, payloads, the load generator, figures."""

from __future__ import annotations

import hashlib
import hmac
import json
import math
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PYTHON = sys.executable
APP_SECRET = "bench-app-secret"


def meta_text_body(n: int = 0) -> bytes:
    """A WhatsApp Cloud API text message, as Meta sends it."""
    body = (ROOT / "tests/fixtures/providers/meta_message_text.json").read_bytes()
    return body.replace(b"wamid.", f"wamid.bench{n}.".encode(), 1)


def meta_signature(body: bytes) -> str:
    return "sha256=" + hmac.new(APP_SECRET.encode(), body, hashlib.sha256).hexdigest()


def start_process(args: list[str], env: dict[str, str] | None = None) -> tuple[subprocess.Popen[str], str]:
    """Start a server process that prints 'Listening on URL'; return it and the URL."""
    proc = subprocess.Popen(
        args, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
        env={**os.environ, **(env or {})}, cwd=ROOT,
    )
    assert proc.stdout is not None
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        line = proc.stdout.readline()
        if not line:
            break
        match = re.search(r"Listening on (http://\S+?)/?\s", line + " ")
        if match:
            return proc, match.group(1)
    proc.kill()
    raise RuntimeError(f"server did not start: {args}")


def start_bare() -> tuple[subprocess.Popen[str], str]:
    return start_process([PYTHON, str(ROOT / "benchmarks/_bare_server.py")])


def start_serve(db: Path, home: Path, extra: list[str] | None = None) -> tuple[subprocess.Popen[str], str]:
    args = [PYTHON, "-m", "inspector", "serve", "--db", str(db), "--port", "0", "--quiet",
            "--secret", f"/webhook=meta:{APP_SECRET}", *(extra or [])]
    return start_process(args, {"WEBHOOK_INSPECTOR_HOME": str(home)})


def run_load(url: str, seconds: float, concurrency: int, *, use_wrk: bool = True) -> dict[str, float]:
    """Drive `url` with the Meta text payload for `seconds`; returns answered, ok, rps, p50, p99."""
    if use_wrk and shutil.which("wrk"):
        return _wrk(url, seconds, concurrency)
    out = subprocess.run(
        [PYTHON, str(ROOT / "benchmarks/_load.py"), url, str(seconds), str(concurrency)],
        capture_output=True, text=True, check=True,
    )
    return json.loads(out.stdout.strip().splitlines()[-1])


def run_load_timed(url: str, seconds: float, concurrency: int, times: Path,
                   rate: float | None = None) -> dict[str, float]:
    """Like `run_load` with the aiohttp loader, posting to /webhook/seq/N; writes "N t_ack" lines
    (t_ack = time.monotonic() when the 2xx arrived) to `times`. `rate`: requests per second
    (default: as fast as the connections allow)."""
    out = subprocess.run(
        [PYTHON, str(ROOT / "benchmarks/_load.py"), url, str(seconds), str(concurrency),
         "--times", str(times), *(["--rate", str(rate)] if rate else [])],
        capture_output=True, text=True, check=True,
    )
    return json.loads(out.stdout.strip().splitlines()[-1])


def read_times(times: Path) -> dict[int, float]:
    """The "N t_ack" lines written by `run_load_timed`."""
    acks: dict[int, float] = {}
    for line in times.read_text().splitlines():
        number, when = line.split()
        acks[int(number)] = float(when)
    return acks


def rss_mb(pid: int | str = "self") -> tuple[float, float]:
    """(current, peak) resident memory of a process in MB, from /proc (Linux)."""
    fields: dict[str, float] = {}
    with open(f"/proc/{pid}/status") as handle:
        for line in handle:
            key, _, value = line.partition(":")
            if key in ("VmRSS", "VmHWM"):
                fields[key] = int(value.split()[0]) / 1024
    return fields.get("VmRSS", 0.0), fields.get("VmHWM", 0.0)


def cpu_by_depth(root: int | None = None) -> list[float]:
    """CPU seconds (user + system) used so far by a process and its live descendants, summed
    by depth: [the process, its children, their children, ...] (Linux /proc)."""
    root = os.getpid() if root is None else root
    tick = os.sysconf("SC_CLK_TCK")
    parents: dict[int, int] = {}
    used: dict[int, float] = {}
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat") as handle:
                fields = handle.read().rsplit(")", 1)[1].split()
        except OSError:  # ended meanwhile
            continue
        parents[int(entry)] = int(fields[1])
        used[int(entry)] = (int(fields[11]) + int(fields[12])) / tick
    totals: list[float] = []
    level = [root]
    while level:
        totals.append(sum(used.get(pid, 0.0) for pid in level))
        level = [pid for pid, parent in parents.items() if parent in level]
    return totals


def percentile(values: list[float], q: float) -> float:
    """The q-quantile (0..1) of `values` by nearest rank (0.0 when empty)."""
    if not values:
        return 0.0
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, math.ceil(q * len(ordered)) - 1))]


WRK_BODIES = 2048
"""wrk cycles through this many Meta text messages, each with its own message id and signature:
traffic of distinct messages, as a provider sends it (one body sent 100,000 times would measure
a replay storm of one message instead)."""


def _wrk_script(path: str) -> str:
    """A wrk Lua script that sends WRK_BODIES pre-built, signed requests in turn and prints a
    JSON summary line."""
    bodies = [meta_text_body(n) for n in range(WRK_BODIES)]
    entries = ",\n".join(f"{{[==[{body.decode()}]==], \"{meta_signature(body)}\"}}"
                         for body in bodies)
    return (
        f"local bodies = {{\n{entries}\n}}\n"
        "local requests = {}\n"
        "local next_one = 0\n"
        "init = function(args)\n"
        "  for i, pair in ipairs(bodies) do\n"
        '    requests[i] = wrk.format("POST", "' + path + '", {["Content-Type"] = "application/json",'
        ' ["X-Hub-Signature-256"] = pair[2]}, pair[1])\n'
        "  end\n"
        "end\n"
        "request = function()\n"
        "  next_one = next_one % #requests + 1\n"
        "  return requests[next_one]\n"
        "end\n"
        "done = function(summary, latency, requests)\n"
        '  io.write(string.format("JSON {\\"answered\\": %d, \\"errors\\": %d, '
        '\\"non2xx\\": %d, \\"p50\\": %f, \\"p99\\": %f, \\"seconds\\": %f}\\n",'
        " summary.requests, summary.errors.connect + summary.errors.read +"
        " summary.errors.write + summary.errors.timeout, summary.errors.status,"
        " latency:percentile(50) / 1000, latency:percentile(99) / 1000,"
        " summary.duration / 1e6))\n"
        "end\n"
    )


def _wrk(url: str, seconds: float, concurrency: int) -> dict[str, float]:
    with tempfile.NamedTemporaryFile("w", suffix=".lua", delete=False) as script:
        script.write(_wrk_script("/webhook/meta"))
    threads = 1
    out = subprocess.run(
        ["wrk", f"-t{threads}", f"-c{concurrency}", f"-d{int(seconds)}s", "-s", script.name,
         f"{url}/webhook/meta"], capture_output=True, text=True, check=True,
    )
    os.unlink(script.name)
    line = next(x for x in out.stdout.splitlines() if x.startswith("JSON "))
    data = json.loads(line[5:])
    ok = data["answered"] - data["non2xx"]
    return {"answered": data["answered"], "ok": ok, "rps": ok / data["seconds"],
            "p50_ms": data["p50"], "p99_ms": data["p99"], "errors": data["errors"]}


def count_rows(db: Path) -> int:
    import sqlite3

    conn = sqlite3.connect(db)
    try:
        return int(conn.execute("SELECT count(*) FROM requests WHERE refused IS NULL").fetchone()[0])
    finally:
        conn.close()


def stop(proc: subprocess.Popen[str]) -> None:
    proc.terminate()
    try:
        proc.wait(15)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()


def result_line(**figures: object) -> str:
    parts = []
    for key, value in figures.items():
        parts.append(f"{key}={value:.3f}" if isinstance(value, float) else f"{key}={value}")
    return "RESULT " + " ".join(parts)
