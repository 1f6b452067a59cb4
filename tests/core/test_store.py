from __future__ import annotations

import os
import sqlite3
from pathlib import Path

import pytest

from inspector.core import store as store_module
from inspector.core.filters import compile_filter
from inspector.core.models import CapturedRequest, Derived, Event, SigStatus, Verification
from inspector.core.store import (
    APPLICATION_ID,
    FTS_MATCH,
    SCHEMA_VERSION,
    Record,
    Store,
    StoreError,
)


def make_request(n: int = 0, **changes: object) -> CapturedRequest:
    fields: dict[str, object] = {
        "method": "POST",
        "path": f"/hook/{n}",
        "query": "a=1&a=2",
        "headers": (("Host", "x"), ("X-Dup", "1"), ("x-dup", "2"), ("Content-Type", "text/plain")),
        "body": f"body number {n}".encode(),
        "received_at_ns": 1_700_000_000_000_000_000 + n,
    }
    fields.update(changes)
    return CapturedRequest(**fields)  # type: ignore[arg-type]


def make_record(n: int = 0, event_id: str = "", **changes: object) -> Record:
    derived = Derived(
        "meta",
        (Event("meta", "message.text", f"text {n}", event_id, "16505551234", "16505551234"),),
        Verification(SigStatus.VALID, "meta", "ok"),
    )
    return Record(make_request(n, **changes), derived, 200, (("X-Answer", "yes"),), b"{}")



def test_new_database_has_current_schema_and_marker(store: Store) -> None:
    conn = store.reader()
    assert conn.execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION
    assert conn.execute("PRAGMA application_id").fetchone()[0] == APPLICATION_ID
    assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"


def test_insert_and_get_keep_exact_bytes_and_header_order(store: Store) -> None:
    body = b"\xff\xfe\x00 not utf-8 \x80"
    headers = (("B", "2"), ("a", "1"), ("B", "3"), ("X-Raw", "caf\xc3\xa9"))
    [request_id] = store.insert_many([make_record(body=body, headers=headers)])
    stored = store.get(request_id)
    assert stored is not None
    assert stored.request.body == body
    assert stored.request.headers == headers
    assert stored.request.query == "a=1&a=2"
    assert stored.response_status == 200
    assert stored.response_headers == (("X-Answer", "yes"),)
    assert stored.derived.events[0].summary == "text 0"
    assert stored.derived.verification.status is SigStatus.VALID


def test_body_size_and_sha256_are_stored(store: Store) -> None:
    [request_id] = store.insert_many([make_record(body=b"abc")])
    row = store.reader().execute(
        "SELECT body_size, body_sha256 FROM requests WHERE id=?", (request_id,)
    ).fetchone()
    assert row == (3, "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad")


def test_page_is_newest_first_with_keyset(store: Store) -> None:
    ids = store.insert_many([make_record(n) for n in range(10)])
    first = store.page(limit=4)
    assert [r.id for r in first] == ids[::-1][:4]
    second = store.page(before_id=first[-1].id, limit=4)
    assert [r.id for r in second] == ids[::-1][4:8]


def test_page_and_count_with_where(store: Store) -> None:
    store.insert_many([make_record(n, method="GET" if n % 2 else "POST") for n in range(6)])
    assert store.count("method = ?", ["GET"]) == 3
    assert {r.method for r in store.page(where="method = ?", params=["GET"])} == {"GET"}


def test_page_and_count_within_an_id_range(store: Store, words: list[int]) -> None:
    in_range = [i for i in kiwi_ids(words) if words[10] <= i <= words[30]]
    for where, params in (("id % 3 = ?", [words[0] % 3]), (FTS_MATCH, ["kiwi"])):
        shown = store.page(before_id=words[30] + 1, lowest=words[10], where=where, params=params)
        assert [r.id for r in shown] == in_range[::-1]
        assert store.count(where, params, up_to=words[30]) == len(kiwi_ids(words[:31]))


def test_free_text_search_covers_path_headers_and_body(store: Store) -> None:
    store.insert_many([make_record(1, body=b'{"text":"banana split"}'), make_record(2)])
    match = FTS_MATCH
    assert store.count(match, ["banana"]) == 1
    assert store.count(match, ["dup"]) == 2  # header name
    assert store.count(match, ['"hook 2"']) == 1  # path


@pytest.fixture
def words(store: Store, monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """40 requests, every third with 'kiwi' in its body; windows of 2 ids, then 8, 32..."""
    monkeypatch.setattr(store_module, "FIRST_SPAN", 2)
    bodies = [b"kiwi %d" % n if n % 3 == 0 else b"plum %d" % n for n in range(40)]
    return store.insert_many([make_record(n, body=body) for n, body in enumerate(bodies)])


def kiwi_ids(ids: list[int]) -> list[int]:
    return [i for n, i in enumerate(ids) if n % 3 == 0]


def test_free_text_pages_newest_first_across_id_windows(store: Store, words: list[int]) -> None:
    expected = kiwi_ids(words)[::-1]
    first = store.page(limit=5, where=FTS_MATCH, params=["kiwi"])
    rest = store.page(before_id=first[-1].id, limit=100, where=FTS_MATCH, params=["kiwi"])
    assert [r.id for r in first + rest] == expected


def test_negated_free_text_stays_exact_inside_each_window(store: Store, words: list[int]) -> None:
    where = f"NOT ({FTS_MATCH}) AND method = ?"
    shown = store.page(limit=100, where=where, params=["kiwi", "POST"])
    assert [r.id for r in shown] == [i for i in words[::-1] if i not in kiwi_ids(words)]
    assert store.count(where, ["kiwi", "POST"]) == len(shown)


def test_free_text_export_and_live_reads_see_every_match(store: Store, words: list[int]) -> None:
    assert [r.id for r in store.iter_all(FTS_MATCH, ["kiwi"])] == kiwi_ids(words)
    newer = store.ids_after(words[10], FTS_MATCH, ["kiwi"], up_to=words[30])
    assert newer == [i for i in kiwi_ids(words) if words[10] < i <= words[30]]


def test_path_filter_reads_the_path_index_not_the_rows(store: Store) -> None:
    for text in ("path:/zqnomatch", "path:/hook/1*"):
        flt = compile_filter(text)
        sql = (f"EXPLAIN QUERY PLAN {store_module._ID_WINDOW}SELECT id FROM requests"
               f" WHERE id BETWEEN ? AND ? AND {flt.where} ORDER BY id DESC LIMIT 200")  # fmt: skip
        plan = [row[3] for row in store.reader().execute(sql, [1, 9, 1, 9, *flt.params])]
        assert "SEARCH requests USING COVERING INDEX requests_path (path>? AND path<?)" in plan
        assert not any(step.startswith("SCAN requests") for step in plan)


@pytest.mark.parametrize("text", ["path:/hook/1", "path!=/hook/1", "path:*3", "path:/zq"])
def test_path_filter_reads_match_a_plain_query_across_id_windows(
    store: Store, words: list[int], text: str
) -> None:
    flt = compile_filter(text)
    pattern = str(flt.params[0])
    negate = "NOT " if "!=" in text else ""
    plain = f"SELECT id FROM requests WHERE {negate}(path GLOB ?) ORDER BY id"
    expected = [int(row[0]) for row in store.reader().execute(plain, [pattern])]
    first = store.page(limit=3, where=flt.where, params=flt.params)
    before = first[-1].id if first else 1
    rest = store.page(before_id=before, limit=100, where=flt.where, params=flt.params)
    assert [r.id for r in first + rest] == expected[::-1]
    assert store.count(flt.where, flt.params) == len(expected)
    assert [r.id for r in store.iter_all(flt.where, flt.params)] == expected
    newer = store.ids_after(words[10], flt.where, flt.params, up_to=words[30])
    assert newer == [i for i in expected if words[10] < i <= words[30]]


def test_iter_all_takes_rows_committed_while_it_runs(store: Store) -> None:
    store.insert_many([make_record(n) for n in range(3)])
    seen = []
    for stored in store.iter_all():
        seen.append(stored.request.path)
        if len(seen) == 3:
            store.insert_many([make_record(9)])
    assert seen == ["/hook/0", "/hook/1", "/hook/2", "/hook/9"]


def test_ids_after_and_summaries(store: Store) -> None:
    ids = store.insert_many([make_record(n) for n in range(3)])
    assert store.ids_after(ids[0]) == ids[1:]
    summaries = store.summaries(ids)
    assert summaries[ids[1]].path == "/hook/1"
    assert store.last_id() == ids[-1]


def test_delete_and_clear(store: Store) -> None:
    ids = store.insert_many([make_record(n) for n in range(4)])
    assert store.delete(ids[:2]) == 2
    assert store.count() == 2
    store.clear()
    assert store.count() == 0
    assert store.reader().execute("SELECT count(*) FROM requests_fts").fetchone()[0] == 0


def test_same_event_id_is_flagged_duplicate_never_dropped(store: Store) -> None:
    first, second = store.insert_many([make_record(1, "wamid.X"), make_record(2, "wamid.X")])
    assert store.count() == 2
    assert store.summaries([second])[second].duplicate_of == first
    assert store.summaries([first])[first].duplicate_of is None


def test_update_derived_replaces_derived_columns_only(store: Store) -> None:
    [request_id] = store.insert_many([make_record(1)])
    new = Derived("waha", (Event("waha", "message", "hi"),), Verification(SigStatus.INVALID))
    store.update_derived(request_id, new)
    stored = store.get(request_id)
    assert stored is not None
    assert stored.derived.provider == "waha"
    assert stored.derived.verification.status is SigStatus.INVALID
    assert stored.request.body == b"body number 1"


def test_a_batch_analysing_one_request_twice_keeps_the_last(store: Store) -> None:
    """Raw rows analysed later: the index text is read from the request `pending` gave (or
    from the row), and a second analysis of the same row in the batch replaces the first."""
    record = make_record(1, body=b'{"text":"banana split"}')
    [raw] = store.insert_many([Record(record.request, None, 200)])
    new = Derived("waha", (Event("waha", "message", "hi"),), Verification(SigStatus.INVALID))
    assert record.derived is not None
    store.apply_analysis([(raw, record.derived), (raw, new)])
    stored = store.get(raw)
    assert stored is not None
    assert (stored.derived.provider, len(stored.derived.events)) == ("waha", 1)
    assert store.count(FTS_MATCH, ["banana"]) == 1
    [pending] = store.insert_many([Record(make_request(2, body=b"cherry"), None, 200)])
    [waiting] = store.pending()
    store.apply_analysis([(pending, new)], {pending: waiting.request})
    assert store.count(FTS_MATCH, ["cherry"]) == 1


def test_iter_all_is_oldest_first(store: Store) -> None:
    ids = store.insert_many([make_record(n) for n in range(5)])
    assert [s.id for s in store.iter_all()] == ids


def test_migrates_an_old_version_database_and_keeps_rows(tmp_path: Path) -> None:
    path = tmp_path / "old.db"
    conn = sqlite3.connect(path, isolation_level=None)
    conn.execute("BEGIN")
    store_module._migrate_1(store_module.sqlite_utils.Database(conn))
    conn.execute("PRAGMA user_version = 1")
    conn.execute(f"PRAGMA application_id = {APPLICATION_ID}")
    conn.execute("INSERT INTO requests (received_at_ns, method, path) VALUES (1, 'POST', '/x')")
    conn.commit()
    conn.close()
    opened = Store.open(path)
    try:
        assert opened.quarantined is None
        assert opened.count() == 1
        version = opened.reader().execute("PRAGMA user_version").fetchone()[0]
        assert version == SCHEMA_VERSION
        assert opened.reader().execute("SELECT count(*) FROM replays").fetchone()[0] == 0
        index = "SELECT 1 FROM sqlite_master WHERE type = 'index' AND name = 'requests_path'"
        assert opened.reader().execute(index).fetchone() is not None
        columns = opened.reader().execute("PRAGMA index_info('events_event_id')").fetchall()
        assert [column[2] for column in columns] == ["event_id", "provider", "request_id"]
    finally:
        opened.close()


def test_newer_schema_is_refused_not_quarantined(tmp_path: Path) -> None:
    path = tmp_path / "new.db"
    Store.open(path).close()
    conn = sqlite3.connect(path)
    conn.execute("PRAGMA user_version = 99")
    conn.close()
    with pytest.raises(StoreError, match="newer than this program"):
        Store.open(path)
    assert path.exists()


def _assert_quarantined(path: Path, original: bytes) -> None:
    opened = Store.open(path)
    try:
        assert opened.quarantined is not None
        assert opened.quarantined.moved_to.read_bytes() == original
        assert opened.count() == 0
        opened.insert_many([make_record()])
    finally:
        opened.close()


def test_garbage_file_is_moved_aside_and_fresh_db_started(tmp_path: Path) -> None:
    path = tmp_path / "history.db"
    path.write_bytes(b"this is not a database at all" * 100)
    _assert_quarantined(path, b"this is not a database at all" * 100)


def test_foreign_sqlite_database_is_moved_aside(tmp_path: Path) -> None:
    path = tmp_path / "history.db"
    conn = sqlite3.connect(path)
    conn.execute("CREATE TABLE other_app (x)")
    conn.commit()
    conn.close()
    _assert_quarantined(path, path.read_bytes())


def test_truncated_database_is_moved_aside_with_its_wal(tmp_path: Path) -> None:
    path = tmp_path / "history.db"
    opened = Store.open(path)
    opened.insert_many([make_record(n, body=os.urandom(3000)) for n in range(50)])
    opened.close()
    data = path.read_bytes()
    path.write_bytes(data[: len(data) // 2 + 100])
    Path(str(path) + "-wal").write_bytes(b"stale wal")
    opened = Store.open(path)
    try:
        assert opened.quarantined is not None
        assert Path(str(opened.quarantined.moved_to) + "-wal").read_bytes() == b"stale wal"
        assert opened.count() == 0
    finally:
        opened.close()


def test_write_to_read_only_database_raises_store_error(tmp_path: Path) -> None:
    path = tmp_path / "history.db"
    Store.open(path).close()
    opened = Store(path)
    opened._writer = sqlite3.connect(  # a read-only writer, as on a read-only mount
        f"file:{path}?mode=ro", uri=True, isolation_level=None, check_same_thread=False
    )
    try:
        with pytest.raises(StoreError, match="cannot write"):
            opened.insert_many([make_record()])
    finally:
        opened.close()


# --- replay attempts ------------------------------------------------------------------------


def make_attempt(request_id: int, **changes: object):  # type: ignore[no-untyped-def]
    import hashlib

    from inspector.core.models import ReplayAttempt

    sha = hashlib.sha256(b"body number 0").hexdigest()
    fields: dict[str, object] = {
        "request_id": request_id, "target": "http://127.0.0.1:3000/hook/0",
        "started_at_ns": 1_700_000_000_000_000_000, "sent_method": "POST",
        "sent_headers": (("Host", "127.0.0.1:3000"), ("X-Dup", "1"), ("x-dup", "2")),
        "sent_sha256": sha, "status": 200, "response_headers": (("A", "1"), ("a", "2")),
        "response_body": b"\xff ok", "latency_ms": 12.5,
    }  # fmt: skip
    fields.update(changes)
    return ReplayAttempt(**fields)  # type: ignore[arg-type]


def test_replay_attempts_round_trip_and_link_to_their_request(store: Store) -> None:
    from dataclasses import replace

    [request_id] = store.insert_many([make_record()])
    plain = make_attempt(request_id)
    edited = make_attempt(request_id, edited=True, sent_body=b"edited", sent_sha256="0" * 64,
                          kind="forward", status=None, error="no answer within 30 s",
                          response_truncated=True)  # fmt: skip
    first, second = store.add_replay(plain), store.add_replay(edited)
    got = store.replays(request_id)
    assert got[0] == replace(plain, id=first, expected_sha256=plain.sent_sha256)
    assert got[0].fidelity_ok is True
    assert got[1].id == second
    assert got[1].sent_body == b"edited"
    assert got[1].fidelity_ok is False  # expected is the edited body's hash
    assert (got[1].kind, got[1].error, got[1].response_truncated) == (
        "forward", "no answer within 30 s", True,
    )  # fmt: skip
    assert store.get_replay(second) == got[1]
    assert store.get_replay(999) is None
    store.delete([request_id])
    assert store.replays(request_id) == []


def test_a_replay_of_a_missing_request_is_refused(store: Store) -> None:
    with pytest.raises(StoreError, match="cannot record"):
        store.add_replay(make_attempt(42))


def test_page_shows_the_latest_forward(store: Store) -> None:
    ids = store.insert_many([make_record(n) for n in range(3)])
    store.add_replays([
        make_attempt(ids[0], kind="forward", status=500, latency_ms=3.0),
        make_attempt(ids[0], kind="forward", status=200, latency_ms=11_000.0),
        make_attempt(ids[0], kind="replay", status=404, latency_ms=1.0),  # not a forward
        make_attempt(ids[1], kind="forward", status=None, latency_ms=2.0, error="refused"),
    ])  # fmt: skip
    rows = {row.id: row for row in store.page()}
    assert (rows[ids[0]].forward_status, rows[ids[0]].forward_ms) == (200, 11_000.0)
    assert (rows[ids[1]].forward_status, rows[ids[1]].forward_error) == (None, "refused")
    assert (rows[ids[2]].forward_status, rows[ids[2]].forward_ms) == (None, None)
    assert rows[ids[0]].sig_scheme == "meta"
    assert not rows[ids[0]].forward_too_slow  # Meta's timeout is not documented
    assert store.summaries([ids[0]])[ids[0]] == rows[ids[0]]


def test_get_many_keeps_the_order_asked_and_skips_missing_ids(store: Store) -> None:
    ids = store.insert_many([make_record(n, f"wamid.{n}") for n in range(3)])
    found = store.get_many([ids[2], 999, ids[0]])
    assert [s.id for s in found] == [ids[2], ids[0]]
    assert [s.derived.events[0].event_id for s in found] == ["wamid.2", "wamid.0"]


def test_a_declared_size_beyond_int64_is_kept_capped(tmp_path: Path) -> None:
    store = Store.open(tmp_path / "h.db")
    request = CapturedRequest("POST", "/huge", refused="too large", declared_size=2**64 - 1)
    (request_id,) = store.insert_many([Record(request, None, 413)])
    stored = store.get(request_id)
    assert stored is not None
    assert stored.request.declared_size == 2**63 - 1
    store.close()


@pytest.mark.parametrize(
    ("keep_last", "older_than_ns", "deleted"),
    [(3, None, 7), (None, 1_700_000_000_000_000_004, 4), (8, 1_700_000_000_000_000_004, 4),
     (3, 1_700_000_000_000_000_004, 7), (20, None, 0), (None, None, 0)],
)  # fmt: skip
def test_prune_count_says_what_prune_deletes(
    store: Store, keep_last: int | None, older_than_ns: int | None, deleted: int
) -> None:
    """The settings dialog asks before a retention change with this count: it must match."""
    store.insert_many([make_record(n) for n in range(10)])
    counted = store.prune_count(keep_last=keep_last, older_than_ns=older_than_ns)
    assert counted == deleted
    assert store.prune(keep_last=keep_last, older_than_ns=older_than_ns) == deleted
    assert store.count() == 10 - deleted
    assert store.prune_count(keep_last=keep_last, older_than_ns=older_than_ns) == 0


def test_older_than_counts_days_back_from_now() -> None:
    assert store_module.older_than(None) is None
    assert store_module.older_than(1.5, now_ns=200_000_000_000_000) == 200_000_000_000_000 - int(
        1.5 * 86400e9
    )


# --- the summary index ------------------------------------------------------------------------


def summary_rows(store: Store) -> dict[int, str]:
    rows = store.reader().execute("SELECT rowid, text FROM summary_fts ORDER BY rowid")
    return {int(i): str(text) for i, text in rows}


def summary_hits(store: Store, text: str) -> list[int]:
    flt = compile_filter(text)
    return store.ids_after(0, flt.where, flt.params)


def derived_with(*summaries: str) -> Derived:
    events = tuple(Event("waha", "message", s) for s in summaries)
    return Derived("waha", events, Verification(SigStatus.UNSIGNED))


def test_summary_index_follows_analysis_rederivation_and_deletes(store: Store) -> None:
    ids = store.insert_many([make_record(n) for n in range(4)])
    [raw] = store.insert_many([Record(make_request(9), None)])
    assert summary_rows(store) == {i: f"text {n}" for n, i in enumerate(ids)}
    store.apply_analysis([(raw, derived_with("Apple pie", "apple crumble", "Apple pie"))])
    assert summary_rows(store)[raw] == "Apple pie (+2 more)\napple crumble"
    store.update_derived(ids[1], derived_with("banana split"))
    assert summary_rows(store)[ids[1]] == "banana split"
    blocks = "SELECT count(*), sum(length(block)) FROM summary_fts_data"
    written = store.reader().execute(blocks).fetchone()
    store.update_derived(ids[1], derived_with("banana split"))  # same text: left alone
    assert store.reader().execute(blocks).fetchone() == written
    assert summary_hits(store, "summary:text") == [ids[0], ids[2], ids[3]]
    assert summary_hits(store, "summary:CRUMBLE") == [raw]
    assert store.delete([ids[0], raw]) == 2
    store.apply_analysis([(raw, derived_with("crumble again"))])  # deleted meanwhile
    assert summary_rows(store) == {ids[1]: "banana split", ids[2]: "text 2", ids[3]: "text 3"}
    assert summary_hits(store, "summary:crumble") == []
    store.clear()
    assert summary_rows(store) == {}


def test_summary_text_is_the_summary_then_the_other_event_summaries() -> None:
    assert store_module.summary_text(derived_with()) == ""
    assert store_module.summary_text(derived_with("a", "a", "b", "")) == "a (+3 more)\nb"


def test_summary_filter_reads_the_trigram_index_from_three_characters(store: Store) -> None:
    def plan(text: str) -> list[str]:
        flt = compile_filter(text)
        sql = (f"EXPLAIN QUERY PLAN {store_module._ID_WINDOW}SELECT id FROM requests"
               f" WHERE id BETWEEN ? AND ? AND {flt.where} ORDER BY id DESC LIMIT 200")  # fmt: skip
        return [row[3] for row in store.reader().execute(sql, [1, 9, 1, 9, *flt.params])]

    for text in ("summary:zqnomatch", "summary:abc", "summary:Ünï"):
        steps = plan(text)
        assert any(step.startswith("SCAN summary_fts VIRTUAL TABLE INDEX 0:M") for step in steps)
        assert not any(step.startswith("SCAN requests") for step in steps)
    assert not any("summary_fts" in step for step in plan("summary:ab"))


def test_a_summary_in_no_row_is_answered_without_reading_the_rows(store: Store) -> None:
    store.insert_many([make_record(n) for n in range(2000)])

    def vm_steps(text: str) -> int:
        flt = compile_filter(text)
        steps = [0]
        conn = store.reader()
        conn.set_progress_handler(lambda: steps.__setitem__(0, steps[0] + 1) or 0, 100)
        try:
            assert store.count(flt.where, flt.params) == 0
        finally:
            conn.set_progress_handler(None, 0)
        return steps[0] * 100

    indexed, scanned = vm_steps("summary:zqnomatch"), vm_steps("summary:zq")
    assert indexed * 20 < scanned  # the rows: ~19 steps each


def make_schema_5_database(path: Path) -> None:
    conn = sqlite3.connect(path, isolation_level=None)
    database = store_module.sqlite_utils.Database(conn)
    for number, migration in enumerate(store_module.MIGRATIONS[:5], start=1):
        migration(database)
        conn.execute(f"PRAGMA user_version = {number}")
    conn.execute(f"PRAGMA application_id = {APPLICATION_ID}")
    summaries = {1: ("Hello World", ("Hello World",)), 2: ("ack (+1 more)", ("ack", "Ärger")),
                 3: ("", ()), 4: ("x", ("x", "x"))}  # fmt: skip
    for request_id, (summary, events) in summaries.items():
        conn.execute(
            "INSERT INTO requests (id, received_at_ns, method, path, summary) VALUES (?,1,'POST',"
            "'/x',?)",
            (request_id, summary),
        )
        conn.executemany(
            "INSERT INTO events (request_id, idx, provider, event_type, summary)"
            " VALUES (?,?,'waha','message',?)",
            [(request_id, idx, text) for idx, text in enumerate(events)],
        )
    conn.execute(
        "INSERT INTO requests (id, received_at_ns, method, path, analysed) VALUES (5,1,'GET','/',0)"
    )
    conn.close()


def test_migration_fills_the_summary_index_from_stored_rows(tmp_path: Path) -> None:
    make_schema_5_database(tmp_path / "old.db")
    opened = Store.open(tmp_path / "old.db")
    try:
        assert summary_rows(opened) == {1: "Hello World", 2: "ack (+1 more)\nÄrger", 4: "x"}
        assert summary_hits(opened, "summary:world") == [1]
        assert summary_hits(opened, "summary:Ärg") == [2]
        assert summary_hits(opened, "summary:ärg") == []
    finally:
        opened.close()


def test_without_trigrams_summary_filters_read_the_rows_until_an_sqlite_with_them_opens(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from inspector.core import filters

    for module in (store_module, filters):
        monkeypatch.setattr(module, "SUMMARY_INDEX", False)
    opened = Store.open(tmp_path / "h.db")
    try:
        ids = opened.insert_many([make_record(n) for n in range(3)])
        assert opened.reader().execute(
            "SELECT 1 FROM sqlite_master WHERE name = 'summary_fts'"
        ).fetchone() is None
        assert "summary_fts" not in compile_filter("summary:text").where
        assert summary_hits(opened, 'summary:"TEXT 1"') == [ids[1]]
        assert opened.delete([ids[0]]) == 1
    finally:
        opened.close()
    monkeypatch.undo()
    opened = Store.open(tmp_path / "h.db")
    try:
        assert summary_rows(opened) == {ids[1]: "text 1", ids[2]: "text 2"}
        assert summary_hits(opened, 'summary:"TEXT 2"') == [ids[2]]
        opened.clear()
    finally:
        opened.close()
