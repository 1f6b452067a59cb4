"""The Messages view's reads: one row per message (table ``messages``), newest first, paged by
id, with its own small filter language built on the request filter's grammar.

Terms: ``state:read``, ``is:out-of-order`` (also downgrade, no-sent, failed), ``chat:TEXT``,
``provider:NAME``, ``dir:in``/``dir:out``, ``msg:ID`` (``*`` globs), and bare words, which
search the message text, id and chat. ``or``, ``not``/``-`` and parentheses combine them.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Sequence
from dataclasses import dataclass

from inspector.core.filters import And, FilterError, Node, Not, Or, Term, parse
from inspector.core.lifecycle import FLAGS

FIELDS = ("state", "is", "chat", "provider", "dir", "msg")


@dataclass(frozen=True, slots=True)
class MessageRow:
    """One message as the Messages view shows it."""

    id: int
    provider: str
    message_id: str
    chat: str
    direction: str
    text: str
    first_request: int
    last_request: int
    received_at_ns: int
    latest_state: str
    flags: str
    steps: int


COLUMNS = (
    "id, provider, message_id, chat, direction, text, first_request, last_request,"
    " received_at_ns, latest_state, flags, steps"
)


@dataclass(frozen=True, slots=True)
class MessageFilter:
    where: str
    params: tuple[object, ...]
    text: str


def _like(value: str) -> str:
    escaped = value.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"


def _exact_or_glob(column: str, value: str) -> tuple[str, list[object]]:
    if "*" in value or "?" in value:
        return f"{column} GLOB ?", [value.replace("[", "[[]")]
    return f"{column} = ?", [value]


def _term(term: Term) -> tuple[str, list[object]]:
    value = term.value
    if not term.field:
        pattern = _like(value)
        like = "LIKE ? ESCAPE '\\'"
        sql = f"(text {like} OR message_id {like} OR chat {like})"
        return sql, [pattern, pattern, pattern]
    if not value:
        raise FilterError(f"expected a value after '{term.label}'", term.value_pos)
    if term.field == "is":
        if value.lower() not in FLAGS:
            known = ", ".join(FLAGS)
            raise FilterError(f"unknown flag '{value}'; use one of: {known}", term.value_pos)
        return "(flags != '' AND ',' || flags || ',' GLOB ?)", [f"*,{value.lower()},*"]
    if term.field == "chat":
        return "chat LIKE ? ESCAPE '\\'", [_like(value)]
    columns = {"state": "latest_state", "provider": "provider", "dir": "direction",
               "msg": "message_id"}  # fmt: skip
    if term.field in columns:
        lowered = value if term.field == "msg" else value.lower()
        return _exact_or_glob(columns[term.field], lowered)
    known = ", ".join(FIELDS)
    raise FilterError(f"unknown field '{term.field}'; known fields: {known}", term.pos)


def _node(node: Node) -> tuple[str, list[object]]:
    if isinstance(node, Term):
        sql, params = _term(node)
        return (f"NOT ({sql})", params) if node.op == "!=" else (sql, params)
    if isinstance(node, Not):
        sql, params = _node(node.child)
        return f"NOT ({sql})", params
    parts = [_node(item) for item in node.items]
    joiner = " AND " if isinstance(node, And) else " OR "
    assert isinstance(node, And | Or)
    return joiner.join(f"({sql})" for sql, _ in parts), [p for _, ps in parts for p in ps]


def compile_messages_filter(text: str) -> MessageFilter:
    """The SQL condition on table ``messages`` for `text`. Raises FilterError."""
    node = parse(text)
    if node is None:
        return MessageFilter("", (), text)
    sql, params = _node(node)
    return MessageFilter(f"({sql})", tuple(params), text)


def page(
    conn: sqlite3.Connection,
    *,
    before_id: int | None = None,
    limit: int = 200,
    where: str = "",
    params: Sequence[object] = (),
) -> list[MessageRow]:
    """Messages newest first (by the order they were first seen), with id < before_id."""
    sql = f"SELECT {COLUMNS} FROM messages WHERE id < ?"
    sql += f" AND {where}" if where else ""
    sql += " ORDER BY id DESC LIMIT ?"
    newest = before_id if before_id is not None else 2**63 - 1
    return [MessageRow(*row) for row in conn.execute(sql, (newest, *params, limit))]


def rows(conn: sqlite3.Connection, ids: Sequence[int]) -> dict[int, MessageRow]:
    """Message rows by id (missing ids are absent)."""
    found: dict[int, MessageRow] = {}
    for start in range(0, len(ids), 500):
        chunk = list(ids[start : start + 500])
        marks = ",".join("?" * len(chunk))
        for row in conn.execute(f"SELECT {COLUMNS} FROM messages WHERE id IN ({marks})", chunk):
            found[row[0]] = MessageRow(*row)
    return found


def newest_id(conn: sqlite3.Connection) -> int:
    row = conn.execute("SELECT max(id) FROM messages").fetchone()
    return int(row[0] or 0)
