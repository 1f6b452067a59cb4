"""`check`, `tail` and `wait` on the command line."""

from __future__ import annotations

import asyncio
import json
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from xml.etree import ElementTree as ET

import pytest

from inspector.cli import build_parser, main
from inspector.cli.tail import run as run_tail
from inspector.core.config import Settings
from inspector.core.derive import derive
from inspector.core.samples import build_sample
from inspector.core.store import Record, Store
from tests.core.test_check import TOKEN, reference_app, serving


@pytest.fixture
def handler() -> Iterator[object]:
    """Start reference handlers on a thread of their own: handler(provider, fault) -> URL."""
    loop = asyncio.new_event_loop()
    thread = threading.Thread(target=loop.run_forever, daemon=True)
    thread.start()
    servers: list[object] = []

    def start(provider: str, fault: str | None = None) -> str:
        context = serving(reference_app(provider, fault))
        servers.append(context)
        return asyncio.run_coroutine_threadsafe(context.__aenter__(), loop).result(10)

    yield start
    for context in servers:
        asyncio.run_coroutine_threadsafe(context.__aexit__(None, None, None), loop).result(10)  # type: ignore[attr-defined]
    loop.call_soon_threadsafe(loop.stop)
    thread.join(5)
    loop.close()


def test_check_prints_a_line_per_check_and_writes_junit(tmp_path: Path, handler, capsys) -> None:
    url = handler("meta")
    report = tmp_path / "report.xml"
    code = main(["check", url, "--provider", "meta", "--verify-token", TOKEN, "--burst", "3",
                 "--junit", str(report), "--db", str(tmp_path / "c.db")])  # fmt: skip
    out = capsys.readouterr().out.splitlines()
    assert code == 0, out
    assert out[0].startswith("PASS    Valid event: sent a correctly signed text event; answered")
    assert out[0].endswith("(#1)")
    assert len(out) == 13
    assert out[-1].startswith("12 checks: 11 pass, 0 warn, 0 fail, 1 skipped;")
    suite = ET.parse(report).getroot().find("testsuite")
    assert suite is not None
    assert (suite.get("tests"), suite.get("failures"), suite.get("skipped")) == ("12", "0", "1")
    assert [case.get("name") for case in suite][:2] == ["Valid event", "Forged signature"]


def test_check_fails_a_handler_that_accepts_forgeries(tmp_path: Path, handler, capsys) -> None:
    url = handler("stripe", "forged")
    secret = "whsec_demo_stripe_endpoint_secret"
    code = main(["check", url, "-p", "stripe", "--secret", secret, "--burst", "2", "--json",
                 "--db", str(tmp_path / "c.db")])  # fmt: skip
    captured = capsys.readouterr()
    assert code == 1
    rows = [json.loads(line) for line in captured.out.splitlines()]
    assert [row["check"] for row in rows][:3] == ["valid", "forged", "unsigned"]
    forged = rows[1]
    assert forged["grade"] == "fail"
    assert forged["message"].endswith("your handler accepts forged webhooks")
    assert "12 checks: 7 pass, 0 warn, 3 fail, 2 skipped" in captured.err
    assert secret not in captured.out + captured.err
    store = Store.open(tmp_path / "c.db")
    try:
        assert store.count("source = ?", ["check"]) == sum(len(r["request_ids"]) for r in rows)
        assert all(secret.encode() not in s.request.body for s in store.iter_all())
    finally:
        store.close()


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["check", "ftp://127.0.0.1/", "-p", "meta"], "only http:// and https://"),
        (["check", "http://127.0.0.1:9/", "-p", "twilio"], "cannot check provider 'twilio'"),
        (["check", "http://127.0.0.1:9/", "-p", "meta", "--burst", "0"], "--burst must be"),
        (["wait", "--filter", "provider:(", "--timeout", "0"], "--filter:"),
        (["tail", "--filter", "sig:"], "--filter:"),
    ],
)
def test_bad_input_is_one_line_and_exit_2(tmp_path: Path, argv, message, capsys) -> None:
    assert main([*argv, "--db", str(tmp_path / "x.db")]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1
    assert err.startswith("webhook-inspector: ")
    assert message in err


def test_wait_and_tail_on_a_directory_as_db_are_one_line_errors(tmp_path: Path, capsys) -> None:
    """Not a database file: said at once (exit 2), not waited on until the timeout."""
    assert main(["wait", "--filter", "provider:meta", "--timeout", "0.5",
                 "--db", str(tmp_path)]) == 2  # fmt: skip
    err = capsys.readouterr().err
    assert err == f"webhook-inspector: --db: {tmp_path} is a directory, not a database file\n"
    assert main(["tail", "--db", str(tmp_path)]) == 2
    assert "is a directory" in capsys.readouterr().err


def store_requests(path: Path, *events: tuple[str, str]) -> list[int]:
    store = Store.open(path)
    try:
        records = []
        for provider, event in events:
            request = build_sample(provider, event)
            records.append(Record(request, derive(request, Settings())))
        return store.insert_many(records)
    finally:
        store.close()


def later(seconds: float, func, *args) -> threading.Thread:
    def run() -> None:
        time.sleep(seconds)
        func(*args)

    thread = threading.Thread(target=run)
    thread.start()
    return thread


def test_wait_blocks_until_enough_matching_requests_arrive(tmp_path: Path, capsys) -> None:
    db = tmp_path / "w.db"
    [old] = store_requests(db, ("waha", "message"))
    writer = later(0.3, store_requests, db, ("meta", "text"), ("waha", "message.ack"),
                   ("waha", "message"))  # fmt: skip
    code = main(["wait", "--filter", "provider:waha", "--count", "2", "--timeout", "20",
                 "--json", "--db", str(db)])  # fmt: skip
    writer.join()
    assert code == 0
    rows = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    assert [(r["provider"], r["event_type"]) for r in rows] == [
        ("waha", "message.ack"), ("waha", "message")
    ]
    assert old not in [r["id"] for r in rows]
    assert main(["wait", "--filter", "provider:waha", "--count", "3", "--since", "0",
                 "--timeout", "0", "--db", str(db)]) == 0  # fmt: skip
    assert len(capsys.readouterr().out.splitlines()) == 3


def test_wait_times_out_with_what_did_arrive(tmp_path: Path, capsys) -> None:
    db = tmp_path / "w.db"
    store_requests(db, ("meta", "text"))
    code = main(["wait", "--filter", "provider:meta", "--count", "2", "--since", "0",
                 "--timeout", "0.3", "--db", str(db)])  # fmt: skip
    captured = capsys.readouterr()
    assert code == 1
    [line] = captured.out.splitlines()
    assert "POST  /webhook/meta" in line
    assert "meta  message.text" in line
    assert "timed out after 0.3 s: 1 of 2 matching requests arrived" in captured.err


def test_tail_follows_new_requests_as_lines_or_json(tmp_path: Path) -> None:
    import io
    from contextlib import redirect_stdout

    db = tmp_path / "t.db"  # does not exist yet when the first tail starts: it waits for it
    for as_json in (False, True):
        argv = ["tail", "--filter", "provider:meta", "--db", str(db)] + ["--json"] * as_json
        args = build_parser().parse_args(argv)
        stop = threading.Event()
        out = io.StringIO()

        def run(args=args, stop=stop, out=out) -> None:
            with redirect_stdout(out):
                run_tail(args, Settings(db_path=db), stop)

        thread = threading.Thread(target=run)
        thread.start()
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline and not out.getvalue():
            store_requests(db, ("waha", "message"), ("meta", "text"))
            time.sleep(0.1)
        stop.set()
        thread.join(5)
        assert not thread.is_alive()
        lines = out.getvalue().splitlines()
        assert lines
        for line in lines:
            if as_json:
                assert json.loads(line)["event_type"] == "message.text"
            else:
                assert "POST  /webhook/meta" in line
                assert "meta  message.text  sig:no_secret" in line


def test_check_tail_and_wait_never_import_qt() -> None:
    import subprocess
    import sys

    code = (
        "import sys\n"
        "from inspector.cli import build_parser\n"
        "import inspector.core.check, inspector.core.follow\n"
        "for argv in (['check', 'http://127.0.0.1:9/', '-p', 'meta'], ['tail'],\n"
        "             ['wait', '--filter', 'provider:meta']):\n"
        "    build_parser().parse_args(argv)\n"
        "bad = [m for m in sys.modules if m.startswith(('PySide6', 'qasync', 'inspector.gui'))]\n"
        "sys.exit(1 if bad else 0)\n"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert result.returncode == 0, result.stdout + result.stderr


def test_wait_sees_what_a_running_serve_stores(tmp_path: Path, capsys) -> None:
    import signal

    from tests.test_cli import post, start_serve

    proc, url = start_serve(tmp_path, "--quiet")
    try:
        request = build_sample("waha", "message")
        post(f"{url}/webhook/waha", request.body, dict(request.headers))
        code = main(["wait", "--filter", "provider:waha", "--since", "0", "--timeout", "20",
                     "--db", str(tmp_path / "h.db")])  # fmt: skip
    finally:
        proc.send_signal(signal.SIGINT)
        proc.communicate(timeout=20)
    assert code == 0
    [line] = capsys.readouterr().out.splitlines()
    assert "#1  POST  /webhook/waha" in line
    assert "  200  waha  message  sig:no_secret" in line
