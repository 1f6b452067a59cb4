"""SQLite history: schema migrations, one writer, per-thread readers, keyset paging, FTS5.

Durability promise: WAL with ``synchronous=NORMAL``. A committed request survives the process
being killed (SIGKILL, crash); on power loss the last few commits may be lost. Pass
``durable=True`` (``synchronous=FULL``) to survive power loss too, at some cost per commit.
"""

from __future__ import annotations

import contextlib
import functools
import hashlib
import logging
import os
import sqlite3
import stat
import threading
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import sqlite_utils

from inspector.core import deliveries, lifecycle
from inspector.core.models import (
    CapturedRequest,
    Derived,
    Event,
    ReplayAttempt,
    SigStatus,
    StoredRequest,
    Verification,
    headers_from_json,
    headers_to_json,
    reduce_by_fields,
)
from inspector.core.providers import too_slow_for

log = logging.getLogger(__name__)

APPLICATION_ID = 0x57484B49  # "WHKI": marks a database file as ours
FTS_BODY_LIMIT = 64 * 1024
"""Only the first 64 KiB of a text body are indexed for free-text search."""
QUICK_CHECK_LIMIT = 64 * 1024 * 1024
"""Files up to this size get a full `quick_check` at open; larger ones a header/schema check."""
FTS_MATCH = (
    "requests.id IN (SELECT rowid FROM requests_fts WHERE requests_fts MATCH ?"
    " AND rowid BETWEEN (SELECT lo FROM id_window) AND (SELECT hi FROM id_window))"
)
"""A free-text condition for a filter. It reads the index only inside the id range of the query
that runs it (`id_window`, defined by every filtered read here), so a page of a word found in
half the rows reads a page's worth of the index, not every match."""
PATH_GLOB = (
    "requests.id IN (SELECT id FROM requests INDEXED BY requests_path WHERE path GLOB ?"
    " AND id BETWEEN (SELECT lo FROM id_window) AND (SELECT hi FROM id_window))"
)
"""A path condition for a filter, read from the path index (never from the rows) inside the
query's `id_window`: a pattern with a literal prefix reads only that prefix's index range, one
starting with a wildcard the whole index (far smaller than the rows). So a path in no row
answers at once, and a page of a path in most rows stops after the first window."""
SUMMARY_INDEX = sqlite3.sqlite_version_info >= (3, 34, 0)
"""Whether this SQLite has FTS5's trigram tokenizer (3.34 and later). Without it there is no
summary index (`summary_fts`) and a `summary:` filter reads the rows."""
SUMMARY_MATCH = (
    "requests.id IN (SELECT rowid FROM summary_fts WHERE summary_fts MATCH ?"
    " AND rowid BETWEEN (SELECT lo FROM id_window) AND (SELECT hi FROM id_window))"
)
"""Candidates for a `summary:` filter of 3 characters or more, read from the trigram index of
the summaries inside the query's `id_window` (the parameter: every trigram of the text,
ANDed). A superset of the matches: the filter checks the candidates with its LIKE."""
_WINDOWED = "id_window"
_ID_WINDOW = "WITH id_window(lo, hi) AS (VALUES (?, ?)) "
FIRST_SPAN = 4096
"""Ids in the first range a windowed page reads; each further range is four times wider."""
INT64_MAX = 2**63 - 1


class StoreError(Exception):
    """The store cannot do what was asked (cannot write, corrupt file, ...)."""


@dataclass(frozen=True, slots=True)
class Quarantine:
    """Where a corrupt or foreign database file was moved, and why."""

    moved_to: Path
    reason: str


@dataclass(frozen=True, slots=True)
class RowSummary:
    """What the live table shows for one request: no body, no headers."""

    id: int
    received_at_ns: int
    method: str
    path: str
    query: str
    source: str
    provider: str
    event_type: str
    summary: str
    sig_status: str
    body_size: int
    response_status: int | None
    refused: str | None
    duplicate_of: int | None
    event_count: int
    sig_scheme: str = ""
    forward_status: int | None = None
    """Status of the latest forward of this request (None: not forwarded, or no answer)."""
    forward_ms: float | None = None
    forward_error: str | None = None
    analysed: bool = True
    """False until the writer has derived provider, event and signature status."""
    answer_note: str | None = None
    """What happened instead of an answer (e.g. "closed without answer"; core.responses)."""

    @property
    def forward_too_slow(self) -> bool:
        """The forward target answered slower than this provider waits for an answer."""
        return too_slow_for(self.provider, self.sig_scheme, self.forward_ms)


_LATEST_FORWARD = (
    "(SELECT replays.{column} FROM replays WHERE replays.request_id = requests.id"
    " AND replays.kind = 'forward' ORDER BY replays.id DESC LIMIT 1)"
)
SUMMARY_COLUMNS = (
    "id, received_at_ns, method, path, query, source, provider, event_type, summary, "
    "sig_status, body_size, response_status, refused, duplicate_of, event_count, sig_scheme, "
    + ", ".join(_LATEST_FORWARD.format(column=c) for c in ("status", "latency_ms", "error"))
    + ", analysed"
    + ", CASE WHEN response_status IS NULL AND json_extract(response_headers, '$[0][0]')"
    " = ':answer' THEN json_extract(response_headers, '$[0][1]') END"
)
"""Row summary columns; the forward columns are correlated lookups on the replays index
(request_id, id), so a page of 200 rows costs a few hundred index seeks, not a join."""


@dataclass(frozen=True, slots=True)
class Record:
    """Everything the writer stores for one request in one go."""

    __reduce__ = reduce_by_fields

    request: CapturedRequest
    derived: Derived | None
    """None: store the raw request now and analyse it later (`pending`/`apply_analysis`)."""
    response_status: int | None = None
    response_headers: tuple[tuple[str, str], ...] = ()
    response_body: bytes = b""
    position: tuple[str, str] | None = None
    """(source key, last event id): an event stream's position after this request, saved in
    the same transaction (a crash can never make a restart receive it again)."""


# --- schema ---------------------------------------------------------------------------------


def _migrate_1(db: sqlite_utils.Database) -> None:
    db.execute(
        """CREATE TABLE requests (
            id INTEGER PRIMARY KEY,
            received_at_ns INTEGER NOT NULL,
            method TEXT NOT NULL,
            path TEXT NOT NULL,
            query TEXT NOT NULL DEFAULT '',
            http_version TEXT NOT NULL DEFAULT '1.1',
            scheme TEXT NOT NULL DEFAULT 'http',
            remote TEXT NOT NULL DEFAULT '',
            headers TEXT NOT NULL DEFAULT '[]',
            body BLOB NOT NULL DEFAULT x'',
            body_size INTEGER NOT NULL DEFAULT 0,
            body_sha256 TEXT NOT NULL DEFAULT '',
            content_type TEXT NOT NULL DEFAULT '',
            source TEXT NOT NULL DEFAULT 'http',
            refused TEXT,
            declared_size INTEGER,
            response_status INTEGER,
            response_headers TEXT NOT NULL DEFAULT '[]',
            response_body BLOB NOT NULL DEFAULT x'',
            provider TEXT NOT NULL DEFAULT 'generic',
            event_type TEXT NOT NULL DEFAULT '',
            summary TEXT NOT NULL DEFAULT '',
            event_count INTEGER NOT NULL DEFAULT 0,
            sig_status TEXT NOT NULL DEFAULT 'unsigned',
            sig_scheme TEXT NOT NULL DEFAULT '',
            sig_reason TEXT NOT NULL DEFAULT '',
            sig_expected TEXT NOT NULL DEFAULT '',
            sig_received TEXT NOT NULL DEFAULT '',
            duplicate_of INTEGER,
            analysed INTEGER NOT NULL DEFAULT 1
        )"""
    )
    db.execute("CREATE INDEX requests_pending ON requests(id) WHERE analysed = 0")
    db.execute(
        """CREATE TABLE events (
            request_id INTEGER NOT NULL REFERENCES requests(id) ON DELETE CASCADE,
            idx INTEGER NOT NULL,
            provider TEXT NOT NULL,
            event_type TEXT NOT NULL,
            summary TEXT NOT NULL,
            event_id TEXT NOT NULL DEFAULT '',
            chat TEXT NOT NULL DEFAULT '',
            sender TEXT NOT NULL DEFAULT '',
            PRIMARY KEY (request_id, idx)
        ) WITHOUT ROWID"""
    )
    db.execute("CREATE INDEX events_event_id ON events(event_id) WHERE event_id != ''")
    db.execute("CREATE INDEX events_type ON events(event_type, request_id)")
    db.execute("CREATE INDEX events_chat ON events(chat, request_id)")
    db.execute("CREATE INDEX events_sender ON events(sender, request_id)")
    for column in ("provider", "sig_status", "method", "response_status", "source"):
        db.execute(f"CREATE INDEX requests_{column} ON requests({column}, id)")
    db.execute(
        "CREATE VIRTUAL TABLE requests_fts USING fts5(path, headers, body, tokenize='unicode61')"
    )


def _migrate_2(db: sqlite_utils.Database) -> None:
    """Replay attempts, linked to the request they re-sent."""
    db.execute(
        """CREATE TABLE replays (
            id INTEGER PRIMARY KEY,
            request_id INTEGER NOT NULL REFERENCES requests(id) ON DELETE CASCADE,
            started_at_ns INTEGER NOT NULL,
            target TEXT NOT NULL,
            kind TEXT NOT NULL DEFAULT 'replay',
            edited INTEGER NOT NULL DEFAULT 0,
            sent_method TEXT NOT NULL DEFAULT '',
            sent_headers TEXT NOT NULL DEFAULT '[]',
            sent_body BLOB,
            sent_sha256 TEXT NOT NULL DEFAULT '',
            status INTEGER,
            response_headers TEXT NOT NULL DEFAULT '[]',
            response_body BLOB NOT NULL DEFAULT x'',
            response_truncated INTEGER NOT NULL DEFAULT 0,
            latency_ms REAL,
            error TEXT
        )"""
    )
    db.execute("CREATE INDEX replays_request ON replays(request_id, id)")


def _migrate_3(db: sqlite_utils.Database) -> None:
    """Event-stream positions: the last event id stored per source (see Record.position)."""
    db.execute("CREATE TABLE source_positions (key TEXT PRIMARY KEY, last_id TEXT NOT NULL)")


def _migrate_4(db: sqlite_utils.Database) -> None:
    """Message lifecycles, one row per message, and delivery repeats (see
    inspector/core/lifecycle.py and inspector/core/deliveries.py)."""
    for sql in (*lifecycle.SCHEMA, *deliveries.SCHEMA):
        db.execute(sql)


def _migrate_5(db: sqlite_utils.Database) -> None:
    """An index on path: a `path:` filter (`path GLOB '/prefix*'`, see inspector/core/filters.py)
    reads only the index range of its literal prefix instead of every row."""
    db.execute("CREATE INDEX requests_path ON requests(path, id)")


def _migrate_6(db: sqlite_utils.Database) -> None:
    """The event id index also holds provider and request id: the earlier deliveries of an id
    are found at one end of its range (`deliveries.earlier`), not counted over all of them; and
    message rows written when they counted only their first steps are counted again
    (`lifecycle.recount`)."""
    db.execute("DROP INDEX events_event_id")
    db.execute(
        "CREATE INDEX events_event_id ON events(event_id, provider, request_id)"
        " WHERE event_id != ''"
    )
    lifecycle.recount(db.conn)


def _migrate_7(db: sqlite_utils.Database) -> None:
    """A trigram index of the summaries (see SUMMARY_MATCH), filled from the stored rows. An
    SQLite without trigrams skips it; `Store.open` creates it once one with them opens the file."""
    if summary_index_missing(db.conn):
        create_summary_index(db.conn)


MIGRATIONS: tuple[Callable[[sqlite_utils.Database], None], ...] = (
    _migrate_1, _migrate_2, _migrate_3, _migrate_4, _migrate_5, _migrate_6, _migrate_7,
)  # fmt: skip
SCHEMA_VERSION = len(MIGRATIONS)


def migrate(conn: sqlite3.Connection) -> int:
    """Bring the schema up to SCHEMA_VERSION, one migration per transaction; returns the old
    version. Refuses a database newer than this program knows."""
    version = int(conn.execute("PRAGMA user_version").fetchone()[0])
    if version > SCHEMA_VERSION:
        raise StoreError(
            f"database schema version {version} is newer than this program ({SCHEMA_VERSION})"
        )
    db = sqlite_utils.Database(conn)
    for number in range(version + 1, SCHEMA_VERSION + 1):
        conn.execute("BEGIN IMMEDIATE")
        try:
            MIGRATIONS[number - 1](db)
            conn.execute(f"PRAGMA user_version = {number}")
            conn.execute(f"PRAGMA application_id = {APPLICATION_ID}")
        except BaseException:
            conn.rollback()
            raise
        conn.commit()
    return version


SUMMARY_BACKFILL = (
    "INSERT INTO summary_fts (rowid, text) SELECT id, text FROM (SELECT id, summary ||"
    " coalesce((SELECT group_concat(char(10) || s, '') FROM (SELECT DISTINCT e.summary AS s"
    " FROM events e WHERE e.request_id = requests.id AND instr(requests.summary, e.summary) = 0)"
    "), '') AS text FROM requests WHERE analysed = 1) WHERE text != '' ORDER BY id"
)
"""Fills the summary index from the stored rows: each request's summary, then its distinct
event summaries not inside it (`summary_text` may leave out one more: an event summary inside
another; either text holds every summary, so the same requests are candidates)."""


def summary_index_missing(conn: sqlite3.Connection) -> bool:
    """This SQLite has trigrams (SUMMARY_INDEX) but the database has no summary index yet."""
    exists = conn.execute("SELECT 1 FROM sqlite_master WHERE name = 'summary_fts'").fetchone()
    return SUMMARY_INDEX and exists is None


def create_summary_index(conn: sqlite3.Connection) -> None:
    """Create the summary index and fill it: one row per request, its summary and its events'
    summaries (rowid = request id), with no positions or sizes (only which rows hold each
    trigram: what SUMMARY_MATCH asks)."""
    conn.execute(
        "CREATE VIRTUAL TABLE summary_fts USING fts5(text, tokenize='trigram', detail=none,"
        " columnsize=0)"
    )
    conn.execute(SUMMARY_BACKFILL)


# --- opening, checking, quarantine --------------------------------------------------------


def _connect(path: Path, *, durable: bool = False) -> sqlite3.Connection:
    conn = sqlite3.connect(path, isolation_level=None, check_same_thread=False, timeout=10)
    conn.execute("PRAGMA busy_timeout = 10000")
    conn.execute("PRAGMA journal_mode = WAL")
    conn.execute(f"PRAGMA synchronous = {'FULL' if durable else 'NORMAL'}")
    conn.execute("PRAGMA foreign_keys = ON")
    return conn


def not_a_file(path: Path) -> str | None:
    """Why `path` can never hold a database (a directory, a device, a FIFO, a socket...), or
    None for a regular file or a path that does not exist yet. Such a path is never moved."""
    try:
        mode = path.stat().st_mode
    except FileNotFoundError:
        return None
    except OSError as exc:
        return f"{path} cannot be used as the database: {exc.strerror or exc}"
    if stat.S_ISREG(mode):
        return None
    return f"{path} is {_file_kind(mode)}, not a database file"


def _file_kind(mode: int) -> str:
    kinds = (
        (stat.S_ISDIR, "a directory"), (stat.S_ISCHR, "a character device"),
        (stat.S_ISBLK, "a block device"), (stat.S_ISFIFO, "a FIFO (named pipe)"),
        (stat.S_ISSOCK, "a socket"),
    )  # fmt: skip
    return next((name for test, name in kinds if test(mode)), "not a regular file")


def check_file(path: Path) -> str | None:
    """Why `path` is not a usable database of ours, or None when it is (or does not exist)."""
    if not path.exists() or path.stat().st_size == 0:
        return None
    with path.open("rb") as handle:
        if handle.read(16) != b"SQLite format 3\x00":
            return "not an SQLite database (bad file header)"
    try:
        conn = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
        try:
            return _check_connection(conn, path)
        finally:
            conn.close()
    except sqlite3.DatabaseError as exc:
        return f"unreadable database: {exc}"


def _check_connection(conn: sqlite3.Connection, path: Path) -> str | None:
    app_id = conn.execute("PRAGMA application_id").fetchone()[0]
    tables = conn.execute("SELECT count(*) FROM sqlite_master").fetchone()[0]
    if app_id != APPLICATION_ID and tables:
        return "a database of another program (unknown application id)"
    if path.stat().st_size <= QUICK_CHECK_LIMIT:
        result = conn.execute("PRAGMA quick_check").fetchone()[0]
        if result != "ok":
            return f"damaged database: {result}"
    return None


def quarantine(path: Path, reason: str) -> Quarantine:
    """Move `path` and its -wal/-shm aside under a timestamped name. Never deletes anything,
    and only ever moves a regular file (anything else raises StoreError)."""
    problem = not_a_file(path) or (None if path.is_file() else f"{path} does not exist")
    if problem is not None:
        raise StoreError(problem)
    stamp = time.strftime("%Y%m%d-%H%M%S")
    target = path.with_name(f"{path.name}.corrupt-{stamp}")
    counter = 1
    while target.exists():
        counter += 1
        target = path.with_name(f"{path.name}.corrupt-{stamp}-{counter}")
    os.replace(path, target)
    for suffix in ("-wal", "-shm"):
        side = Path(str(path) + suffix)
        if side.exists():
            os.replace(side, Path(str(target) + suffix))
    log.warning("database %s moved aside to %s: %s", path, target, reason)
    return Quarantine(target, reason)


def _clamped(size: int | None) -> int | None:
    """A declared size SQLite can hold: a Content-Length up to 2^64-1 is kept as INT64_MAX
    (the refusal reason keeps the exact figure as text)."""
    return None if size is None else max(0, min(size, INT64_MAX))


# --- the store ------------------------------------------------------------------------------


class Store:
    """One SQLite file. `write_*` methods must be called from a single writer thread; reads use
    a connection per calling thread (`reader()`)."""

    def __init__(self, path: Path, *, durable: bool = False) -> None:
        self.path = Path(path)
        self.durable = durable
        self.quarantined: Quarantine | None = None
        self._local = threading.local()
        self._readers: list[sqlite3.Connection] = []
        self._readers_lock = threading.Lock()
        self._writer: sqlite3.Connection | None = None

    @classmethod
    def open(cls, path: Path | str, *, durable: bool = False) -> Store:
        """Open (creating or migrating) the database at `path`. A corrupt or foreign file is
        quarantined and a fresh one started; `store.quarantined` says where the old one went."""
        store = cls(Path(path), durable=durable)
        problem = not_a_file(store.path)
        if problem is not None:
            raise StoreError(problem)
        try:
            store.path.parent.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise StoreError(f"cannot create {store.path.parent}: {exc.strerror or exc}") from exc
        reason = check_file(store.path)
        if reason is not None:
            store.quarantined = quarantine(store.path, reason)
        try:
            migrate(store.writer())
        except sqlite3.OperationalError as exc:  # cannot open or write: nothing to move aside
            store.close()
            raise StoreError(f"cannot open {store.path}: {exc}") from exc
        except sqlite3.DatabaseError as exc:
            store.close()
            store.quarantined = quarantine(store.path, f"unreadable database: {exc}")
            migrate(store.writer())
        if summary_index_missing(store.writer()):  # migrated by an SQLite without trigrams
            with store.transaction() as conn:
                create_summary_index(conn)
        return store

    # connections

    def writer(self) -> sqlite3.Connection:
        if self._writer is None:
            self._writer = _connect(self.path, durable=self.durable)
        return self._writer

    def reader(self) -> sqlite3.Connection:
        """A read connection for the calling thread (created on first use)."""
        conn: sqlite3.Connection | None = getattr(self._local, "conn", None)
        if conn is None:
            # used only by its own thread; closed by whichever thread closes the store
            conn = sqlite3.connect(
                self.path, isolation_level=None, timeout=10, check_same_thread=False
            )
            conn.execute("PRAGMA busy_timeout = 10000")
            conn.execute("PRAGMA query_only = ON")
            self._local.conn = conn
            with self._readers_lock:
                self._readers.append(conn)
        return conn

    def close(self) -> None:
        if self._writer is not None:
            self._writer.close()
            self._writer = None
        with self._readers_lock:
            for conn in self._readers:
                conn.close()
            self._readers.clear()
        self._local = threading.local()

    # writing

    @contextlib.contextmanager
    def transaction(self, failure: str = "cannot write to") -> Iterator[sqlite3.Connection]:
        """One write transaction on the writer connection (BEGIN IMMEDIATE: one writer);
        rolled back on any error; SQLite errors become StoreError("<failure> <path>: ...")."""
        conn = self.writer()
        try:
            conn.execute("BEGIN IMMEDIATE")
            try:
                yield conn
            except BaseException:
                conn.rollback()
                raise
            conn.commit()
        except sqlite3.Error as exc:
            raise StoreError(f"{failure} {self.path}: {exc}") from exc

    def insert_many(self, records: Sequence[Record]) -> list[int]:
        """Store `records` in one transaction (group commit); returns their ids in order.
        Raises StoreError when the database cannot be written (disk full, read-only...)."""
        with self.transaction() as conn:
            ids = [self._insert(conn, record) for record in records]
            pairs = list(zip(ids, records, strict=True))
            items = [(i, r.derived) for i, r in pairs if r.derived is not None]
            if items:
                _analyse(conn, items, {i: r.request for i, r in pairs})
            return ids

    def _insert(self, conn: sqlite3.Connection, record: Record) -> int:
        req = record.request
        cursor = conn.execute(
            "INSERT INTO requests (received_at_ns, method, path, query, http_version, scheme,"
            " remote, headers, body, body_size, body_sha256, content_type, source, refused,"
            " declared_size, response_status, response_headers, response_body, analysed)"
            " VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,0)",
            (
                req.received_at_ns or time.time_ns(), req.method, req.path, req.query,
                req.http_version, req.scheme, req.remote, headers_to_json(req.headers),
                req.body, len(req.body), req.body_sha256, req.content_type, req.source,
                req.refused, _clamped(req.declared_size), record.response_status,
                _response_headers_json(record.response_headers), record.response_body,
            ),
        )  # fmt: skip
        request_id = int(cursor.lastrowid or 0)
        if record.position is not None:
            conn.execute(
                "INSERT INTO source_positions (key, last_id) VALUES (?, ?)"
                " ON CONFLICT(key) DO UPDATE SET last_id = excluded.last_id",
                record.position,
            )
        return request_id

    def positions(self) -> dict[str, str]:
        """The saved position (last event id) of every event-stream source, by source key."""
        rows = self.reader().execute("SELECT key, last_id FROM source_positions").fetchall()
        return {str(key): str(last_id) for key, last_id in rows}

    def pending(self, limit: int = 256) -> list[StoredRequest]:
        """Requests stored raw and not analysed yet, oldest first (also after a crash)."""
        conn = self.reader()
        conn.row_factory = sqlite3.Row
        try:
            rows = conn.execute(
                "SELECT * FROM requests WHERE analysed = 0 ORDER BY id LIMIT ?", (limit,)
            ).fetchall()
        finally:
            conn.row_factory = None
        return [_stored_from_row(row, ()) for row in rows]

    def apply_analysis(
        self,
        items: Sequence[tuple[int, Derived]],
        known: Mapping[int, CapturedRequest] | None = None,
    ) -> None:
        """Store derived columns, events and the search index of these requests, in one
        transaction (used after capture, and again when a secret changes). `known`: some of
        these requests by id as `pending` read them (their raw columns are not read again)."""
        with self.transaction() as conn:
            _analyse(conn, items, known or {})

    def update_derived(self, request_id: int, derived: Derived) -> None:
        """Replace the derived columns of one request (after a secret or a rule changed)."""
        self.apply_analysis([(request_id, derived)])

    def delete(self, ids: Sequence[int]) -> int:
        """Delete requests by id; returns how many were deleted."""
        deleted = 0
        with self.transaction() as conn:
            for chunk in _chunks(list(ids), 500):
                marks = ",".join("?" * len(chunk))
                conn.execute(f"DELETE FROM requests_fts WHERE rowid IN ({marks})", chunk)
                if SUMMARY_INDEX:
                    conn.execute(f"DELETE FROM summary_fts WHERE rowid IN ({marks})", chunk)
                refresh_messages = lifecycle.forget(conn, chunk)
                sql = f"DELETE FROM requests WHERE id IN ({marks})"
                deleted += conn.execute(sql, chunk).rowcount
                refresh_messages()
        return deleted

    def clear(self) -> None:
        """Delete every request (and its events, replays and index entries)."""
        with self.transaction() as conn:
            for table in ("replays", "events", "requests_fts", "deliveries", "lifecycle",
                          "messages", "requests"):  # fmt: skip
                conn.execute(f"DELETE FROM {table}")
            if SUMMARY_INDEX:
                conn.execute("DELETE FROM summary_fts")

    # reading

    def count(
        self, where: str = "", params: Sequence[object] = (), *, up_to: int = INT64_MAX
    ) -> int:
        """Requests with id at most `up_to` matching `where`."""
        return int(self._select("count(*)", (1, up_to), where, params)[0][0])

    def page(
        self,
        *,
        before_id: int | None = None,
        limit: int = 200,
        where: str = "",
        params: Sequence[object] = (),
        lowest: int = 1,
    ) -> list[RowSummary]:
        """Newest first, keyset paging: rows with lowest <= id < before_id matching `where`
        (a `lowest` bounds how many rows a filter on an unindexed column reads)."""
        newest = before_id - 1 if before_id else INT64_MAX
        rows = self._scan(SUMMARY_COLUMNS, (lowest, newest), where, params, limit,
                          descending=True)  # fmt: skip
        return [RowSummary(*row) for row in rows]

    def ids_after(
        self,
        after_id: int,
        where: str = "",
        params: Sequence[object] = (),
        *,
        up_to: int = INT64_MAX,
    ) -> list[int]:
        """Ids newer than `after_id` (and at most `up_to`) matching `where`, oldest first."""
        rows = self._select("id", (after_id + 1, up_to), where, params, " ORDER BY id")
        return [int(row[0]) for row in rows]

    def summaries(self, ids: Sequence[int]) -> dict[int, RowSummary]:
        """Row summaries by id (missing ids are absent)."""
        found: dict[int, RowSummary] = {}
        for chunk in _chunks(list(ids), 500):
            marks = ",".join("?" * len(chunk))
            sql = f"SELECT {SUMMARY_COLUMNS} FROM requests WHERE id IN ({marks})"
            for row in self.reader().execute(sql, chunk):
                found[row[0]] = RowSummary(*row)
        return found

    def last_id(self) -> int:
        row = self.reader().execute("SELECT max(id) FROM requests").fetchone()
        return int(row[0] or 0)

    def get(self, request_id: int) -> StoredRequest | None:
        """The full stored request (body included), or None."""
        found = self.get_many([request_id])
        return found[0] if found else None

    def get_many(self, ids: Sequence[int]) -> list[StoredRequest]:
        """Full stored requests in the order of `ids` (missing ones left out): two queries a
        chunk of 500, not two per request."""
        conn = self.reader()
        conn.row_factory = sqlite3.Row
        rows: dict[int, sqlite3.Row] = {}
        events: dict[int, list[sqlite3.Row]] = {}
        try:
            for chunk in _chunks(list(ids), 500):
                marks = ",".join("?" * len(chunk))
                for row in conn.execute(f"SELECT * FROM requests WHERE id IN ({marks})", chunk):
                    rows[row["id"]] = row
                sql = f"SELECT * FROM events WHERE request_id IN ({marks}) ORDER BY idx"
                for event in conn.execute(sql, chunk):
                    events.setdefault(event["request_id"], []).append(event)
        finally:
            conn.row_factory = None
        return [_stored_from_row(rows[i], events.get(i, ())) for i in ids if i in rows]

    def iter_all(self, where: str = "", params: Sequence[object] = ()) -> Iterator[StoredRequest]:
        """Every matching request, oldest first, fetched in small pages (bounded memory)."""
        after = 0
        while True:  # each page reads up to the newest row then: rows committed meanwhile too
            rows = self._scan("id", (after + 1, INT64_MAX), where, params, 200, descending=False)
            ids = [int(row[0]) for row in rows]
            if not ids:
                return
            yield from self.get_many(ids)
            after = ids[-1]

    def _select(
        self,
        columns: str,
        ids: tuple[int, int],
        where: str,
        params: Sequence[object],
        tail: str = "",
        tail_params: Sequence[object] = (),
    ) -> list[tuple[Any, ...]]:
        """`SELECT columns` of the requests with ids in the closed range `ids` matching `where`
        (which may use FTS_MATCH: the range is its `id_window` too)."""
        sql = f"{_ID_WINDOW}SELECT {columns} FROM requests WHERE id BETWEEN ? AND ?"
        sql += f" AND ({where})" if where else ""
        args = [*ids, *ids, *params, *tail_params]
        return self.reader().execute(sql + tail, args).fetchall()

    def _scan(
        self,
        columns: str,
        ids: tuple[int, int],
        where: str,
        params: Sequence[object],
        limit: int,
        *,
        descending: bool,
    ) -> list[tuple[Any, ...]]:
        """Up to `limit` matching rows from one end of the range `ids`. A free-text filter is
        read in widening ranges from that end (up to the newest row at most) and stops once it
        has `limit` rows."""
        tail = " ORDER BY id DESC LIMIT ?" if descending else " ORDER BY id LIMIT ?"
        low, high = ids
        in_spans = windowed(where)
        spans = _spans(low, min(high, self.last_id()), descending=descending) if in_spans else [ids]
        rows: list[tuple[Any, ...]] = []
        for span in spans:
            rows += self._select(columns, span, where, params, tail, [limit - len(rows)])
            if len(rows) >= limit:
                break
        return rows

    def prune(self, *, keep_last: int | None, older_than_ns: int | None) -> int:
        """Retention: delete all but the newest `keep_last` requests and those received before
        `older_than_ns`; returns how many were deleted (the caller reports it)."""
        where, params = _retention_where(keep_last, older_than_ns)
        if not where:
            return 0
        rows = self.reader().execute(f"SELECT id FROM requests WHERE {where} ORDER BY id", params)
        ids = [int(row[0]) for row in rows]
        return self.delete(ids) if ids else 0

    def prune_count(self, *, keep_last: int | None, older_than_ns: int | None) -> int:
        """How many requests `prune` with these arguments would delete now."""
        where, params = _retention_where(keep_last, older_than_ns)
        return self.count(where, params) if where else 0

    def checkpoint(self) -> None:
        """Copy committed WAL pages into the database file without blocking writers."""
        self.writer().execute("PRAGMA wal_checkpoint(PASSIVE)")

    def integrity_check(self) -> str:
        return str(self.reader().execute("PRAGMA integrity_check").fetchone()[0])

    # replay attempts

    def body_sizes(self, ids: Sequence[int]) -> dict[int, int]:
        """Body size of each request (missing ids are absent)."""
        sizes: dict[int, int] = {}
        for chunk in _chunks(list(ids), 500):
            marks = ",".join("?" * len(chunk))
            sql = f"SELECT id, body_size FROM requests WHERE id IN ({marks})"
            sizes.update((int(i), int(size)) for i, size in self.reader().execute(sql, chunk))
        return sizes

    def requests(self, ids: Sequence[int]) -> dict[int, CapturedRequest]:
        """The captured requests with these ids (missing ids are absent), in one query per 500:
        what a replay of many requests reads (no events, no derived columns)."""
        found: dict[int, CapturedRequest] = {}
        conn = self.reader()
        for chunk in _chunks(list(ids), 500):
            marks = ",".join("?" * len(chunk))
            rows = conn.execute(
                "SELECT id, method, path, query, headers, body, remote, http_version,"
                " received_at_ns, source, scheme, refused, declared_size"
                f" FROM requests WHERE id IN ({marks})",
                chunk,
            )
            for row in rows:
                found[row[0]] = CapturedRequest(
                    id=row[0], method=row[1], path=row[2], query=row[3],
                    headers=headers_from_json(row[4]), body=bytes(row[5]), remote=row[6],
                    http_version=row[7], received_at_ns=row[8], source=row[9], scheme=row[10],
                    refused=row[11], declared_size=row[12],
                )  # fmt: skip
        return found

    def add_replay(self, attempt: ReplayAttempt) -> int:
        """Record one replay or forward attempt (writer thread); returns its id.
        Raises StoreError when it cannot be written (e.g. the request was deleted meanwhile)."""
        return self.add_replays([attempt])[0]

    def add_replays(self, attempts: Sequence[ReplayAttempt]) -> list[int]:
        """Record several attempts in one transaction (writer thread); returns their ids."""
        with self.transaction("cannot record the replay in") as conn:
            return [_insert_replay(conn, attempt) for attempt in attempts]

    def replays(self, request_id: int) -> list[ReplayAttempt]:
        """Every replay and forward attempt of a request, oldest first."""
        rows = self._replay_rows("replays.request_id = ? ORDER BY replays.id", (request_id,))
        return [_replay_from_row(row) for row in rows]

    def get_replay(self, replay_id: int) -> ReplayAttempt | None:
        rows = self._replay_rows("replays.id = ?", (replay_id,))
        return _replay_from_row(rows[0]) if rows else None

    def _replay_rows(self, where: str, params: Sequence[object]) -> list[sqlite3.Row]:
        conn = self.reader()
        conn.row_factory = sqlite3.Row
        try:
            return conn.execute(
                "SELECT replays.*, requests.body_sha256 AS request_sha256 FROM replays"
                f" JOIN requests ON requests.id = replays.request_id WHERE {where}",
                params,
            ).fetchall()
        finally:
            conn.row_factory = None


# --- helpers --------------------------------------------------------------------------------


@functools.lru_cache(maxsize=64)
def _cached_headers_json(headers: tuple[tuple[str, str], ...]) -> str:
    return headers_to_json(headers)


def _response_headers_json(headers: Sequence[tuple[str, str]]) -> str:
    """Our answers repeat the same few header lists: encode each once."""
    try:
        return _cached_headers_json(tuple(headers))
    except TypeError:  # unhashable (lists inside)
        return headers_to_json(headers)


@functools.lru_cache(maxsize=64)
def _response_headers(text: str) -> tuple[tuple[str, str], ...]:
    """Our answers repeat the same few header lists: decode each once."""
    return headers_from_json(text)


def _insert_events(conn: sqlite3.Connection, request_id: int, events: Sequence[Event]) -> None:
    conn.executemany(
        "INSERT INTO events (request_id, idx, provider, event_type, summary, event_id, chat,"
        " sender) VALUES (?,?,?,?,?,?,?,?)",
        [
            (request_id, idx, e.provider, e.event_type, e.summary, e.event_id, e.chat, e.sender)
            for idx, e in enumerate(events)
        ],
    )


@dataclass(frozen=True, slots=True)
class _Raw:
    """What analysis reads of a stored request besides what it derives."""

    analysed: bool
    received_at_ns: int
    request: CapturedRequest | None
    """Path, query, headers and body, for the search index (of requests not analysed yet)."""


class _Batch:
    """Rows one analysis transaction writes at its end, one statement each (no request of
    the batch reads them while it is analysed)."""

    def __init__(self) -> None:
        self.derived: list[tuple[object, ...]] = []
        self.texts: list[tuple[int, str, str, str]] = []
        self.deliveries: list[deliveries.Row] = []

    def write(self, conn: sqlite3.Connection) -> None:
        conn.executemany(
            "UPDATE requests SET provider=?, event_type=?, summary=?, event_count=?,"
            " sig_status=?, sig_scheme=?, sig_reason=?, sig_expected=?, sig_received=?,"
            " duplicate_of=?, analysed=1 WHERE id=?",
            self.derived,
        )
        conn.executemany(
            "INSERT INTO requests_fts (rowid, path, headers, body) VALUES (?,?,?,?)", self.texts
        )
        conn.executemany(deliveries.SAVE_SQL, self.deliveries)


def _analyse(
    conn: sqlite3.Connection,
    items: Sequence[tuple[int, Derived]],
    known: Mapping[int, CapturedRequest],
) -> None:
    """Store what was derived of these requests (those deleted meanwhile are skipped)."""
    raws = _raws(conn, [request_id for request_id, _ in items], known)
    batch = _Batch()
    for request_id, derived in items:
        raw = raws.get(request_id)
        if raw is None:
            continue  # deleted meanwhile
        _apply(conn, batch, request_id, derived, raw)
        raws[request_id] = _Raw(True, raw.received_at_ns, None)  # again: a re-analysis
    batch.write(conn)
    _index_summaries(conn, [(request_id, derived) for request_id, derived in items
                            if request_id in raws])  # fmt: skip


def _raws(
    conn: sqlite3.Connection, ids: list[int], known: Mapping[int, CapturedRequest]
) -> dict[int, _Raw]:
    found: dict[int, _Raw] = {}
    for chunk in _chunks(ids, 500):
        marks = ",".join("?" * len(chunk))
        sql = f"SELECT id, analysed, received_at_ns FROM requests WHERE id IN ({marks})"
        for request_id, analysed, received_at_ns in conn.execute(sql, chunk):
            found[request_id] = _Raw(bool(analysed), received_at_ns, known.get(request_id))
    unread = [i for i, raw in found.items() if not raw.analysed and raw.request is None]
    for chunk in _chunks(unread, 500):
        marks = ",".join("?" * len(chunk))
        sql = f"SELECT id, path, query, headers, body FROM requests WHERE id IN ({marks})"
        for request_id, path, query, headers, body in conn.execute(sql, chunk):
            request = CapturedRequest("GET", path, query, headers_from_json(headers), body)
            found[request_id] = _Raw(False, found[request_id].received_at_ns, request)
    return found


def _apply(
    conn: sqlite3.Connection, batch: _Batch, request_id: int, derived: Derived, raw: _Raw
) -> None:
    fresh = not raw.analysed
    if not fresh:
        conn.execute("DELETE FROM events WHERE request_id = ?", (request_id,))
        conn.execute("DELETE FROM deliveries WHERE request_id = ?", (request_id,))
    repeats = deliveries.earlier(conn, request_id, derived.events)
    ver = derived.verification
    batch.derived.append((
        derived.provider, derived.event_type, derived.summary, len(derived.events),
        str(ver.status), ver.scheme, ver.reason, ver.expected, ver.received,
        repeats.first or None, request_id,
    ))  # fmt: skip
    _insert_events(conn, request_id, derived.events)
    seen = lifecycle.store_steps(
        conn, request_id, derived, fresh=fresh, received_at_ns=raw.received_at_ns
    )
    row = deliveries.delivery_row(
        conn, request_id, raw.received_at_ns, derived, ver.scheme, repeats, seen
    )
    if row is not None:
        batch.deliveries.append(row)
    if fresh and raw.request is not None:
        batch.texts.append(_index_row(request_id, raw.request))


def _index_row(request_id: int, request: CapturedRequest) -> tuple[int, str, str, str]:
    """A request's row in the search index."""
    target = f"{request.path}?{request.query}" if request.query else request.path
    return (request_id, target, _headers_text(request.headers), _body_text(request.body))


def summary_text(derived: Derived) -> str:
    """What the summary index holds for a request: its summary, then each event summary not
    already in the text, one a line ('' when there is none)."""
    text = derived.summary
    for event in derived.events:
        if event.summary not in text:
            text += "\n" + event.summary
    return text


def _index_summaries(conn: sqlite3.Connection, items: Sequence[tuple[int, Derived]]) -> None:
    """Bring the summary index rows of these analysed requests (all still stored: `_analyse`
    passes only those) up to date, batched: a text that did not change (a re-derivation after
    a secret changed) is left alone. Plain VALUES in ascending ids: FTS5
    writes its pending rows out as a new segment whenever a statement opens a savepoint (an
    INSERT ... SELECT does) or the rowid goes down, and a segment per row costs 5 times more."""
    if not SUMMARY_INDEX or not items:
        return
    latest = dict(items)
    stale: list[tuple[int]] = []
    fresh: list[tuple[int, str]] = []
    for chunk in _chunks(sorted(latest), 500):
        marks = ",".join("?" * len(chunk))
        sql = f"SELECT rowid, text FROM summary_fts WHERE rowid IN ({marks})"
        indexed = dict(conn.execute(sql, chunk).fetchall())
        for request_id in chunk:
            text = summary_text(latest[request_id])
            if indexed.get(request_id, "") != text:
                stale += [(request_id,)] if request_id in indexed else []
                fresh += [(request_id, text)] if text else []
    conn.executemany("DELETE FROM summary_fts WHERE rowid = ?", stale)
    conn.executemany("INSERT INTO summary_fts (rowid, text) VALUES (?, ?)", fresh)


def _headers_text(headers: Sequence[tuple[str, str]]) -> str:
    return "\n".join(f"{name}: {value}" for name, value in headers)


def _body_text(body: bytes) -> str:
    """The indexed text of a body: its first 64 KiB when UTF-8, else nothing."""
    head = body[:FTS_BODY_LIMIT]
    try:
        return head.decode("utf-8")
    except UnicodeDecodeError as exc:
        cut_at_limit = len(body) > FTS_BODY_LIMIT and exc.start >= len(head) - 3
        return head[: exc.start].decode("utf-8") if cut_at_limit else ""


def windowed(where: str) -> bool:
    """Whether a page of `where` is read in widening id ranges (FTS_MATCH, PATH_GLOB: an index
    is read, not the rows), so the page stops as soon as it is full."""
    return _WINDOWED in where


def _spans(low: int, high: int, *, descending: bool) -> Iterator[tuple[int, int]]:
    """Closed id ranges covering low..high from one end, FIRST_SPAN wide, then 4x wider each."""
    width = FIRST_SPAN
    while low <= high:
        if descending:
            yield max(low, high - width + 1), high
            high -= width
        else:
            yield low, min(high, low + width - 1)
            low += width
        width *= 4


def older_than(keep_days: float | None, now_ns: int | None = None) -> int | None:
    """The `older_than_ns` of a retention that keeps `keep_days` days (None: keep all)."""
    if keep_days is None:
        return None
    return (time.time_ns() if now_ns is None else now_ns) - int(keep_days * 86400e9)


def _retention_where(keep_last: int | None, older_than_ns: int | None) -> tuple[str, list[int]]:
    """The requests a retention deletes, as a condition on `requests` ('' for none)."""
    clauses: list[str] = []
    params: list[int] = []
    if keep_last is not None:
        clauses.append(
            "id <= coalesce((SELECT id FROM requests ORDER BY id DESC LIMIT 1 OFFSET ?), 0)"
        )
        params.append(keep_last)
    if older_than_ns is not None:
        clauses.append("received_at_ns < ?")
        params.append(older_than_ns)
    return " OR ".join(clauses), params


def _chunks(items: list[int], size: int) -> Iterator[list[int]]:
    for start in range(0, len(items), size):
        yield items[start : start + size]


def _stored_from_row(row: sqlite3.Row, events: Sequence[sqlite3.Row]) -> StoredRequest:
    request = CapturedRequest(
        id=row["id"], method=row["method"], path=row["path"], query=row["query"],
        headers=headers_from_json(row["headers"]), body=bytes(row["body"]),
        remote=row["remote"], http_version=row["http_version"],
        received_at_ns=row["received_at_ns"], source=row["source"], scheme=row["scheme"],
        refused=row["refused"], declared_size=row["declared_size"],
    )  # fmt: skip
    verification = Verification(
        status=SigStatus(row["sig_status"]), scheme=row["sig_scheme"],
        reason=row["sig_reason"], expected=row["sig_expected"], received=row["sig_received"],
    )  # fmt: skip
    derived = Derived(
        provider=row["provider"],
        events=tuple(
            Event(e["provider"], e["event_type"], e["summary"], e["event_id"], e["chat"],
                  e["sender"])
            for e in events
        ),
        verification=verification,
    )  # fmt: skip
    return StoredRequest(
        request=request,
        derived=derived,
        response_status=row["response_status"],
        response_headers=_response_headers(row["response_headers"]),
        response_body=bytes(row["response_body"]),
        duplicate_of=row["duplicate_of"],
    )


def _insert_replay(conn: sqlite3.Connection, attempt: ReplayAttempt) -> int:
    cursor = conn.execute(
        "INSERT INTO replays (request_id, started_at_ns, target, kind, edited, sent_method,"
        " sent_headers, sent_body, sent_sha256, status, response_headers, response_body,"
        " response_truncated, latency_ms, error) VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)",
        (
            attempt.request_id, attempt.started_at_ns, attempt.target, attempt.kind,
            int(attempt.edited), attempt.sent_method, headers_to_json(attempt.sent_headers),
            attempt.sent_body, attempt.sent_sha256, attempt.status,
            headers_to_json(attempt.response_headers), attempt.response_body,
            int(attempt.response_truncated), attempt.latency_ms, attempt.error,
        ),
    )  # fmt: skip
    return int(cursor.lastrowid or 0)


def _replay_from_row(row: sqlite3.Row) -> ReplayAttempt:
    sent_body = None if row["sent_body"] is None else bytes(row["sent_body"])
    expected = row["request_sha256"] if sent_body is None else hashlib.sha256(sent_body).hexdigest()
    return ReplayAttempt(
        id=row["id"], request_id=row["request_id"], started_at_ns=row["started_at_ns"],
        target=row["target"], kind=row["kind"], edited=bool(row["edited"]),
        sent_method=row["sent_method"], sent_headers=headers_from_json(row["sent_headers"]),
        sent_body=sent_body, sent_sha256=row["sent_sha256"], expected_sha256=expected,
        status=row["status"], response_headers=headers_from_json(row["response_headers"]),
        response_body=bytes(row["response_body"]),
        response_truncated=bool(row["response_truncated"]), latency_ms=row["latency_ms"],
        error=row["error"],
    )  # fmt: skip
