from __future__ import annotations

import time
from collections.abc import Iterator

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from inspector.core import filters
from inspector.core.filters import (
    FIELDS,
    VALUES,
    And,
    FilterError,
    Node,
    Not,
    Term,
    compile_filter,
    completions,
    parse,
)
from inspector.core.models import CapturedRequest, Derived, Event, SigStatus, Verification
from inspector.core.store import Record, Store

T0 = 1_793_491_200  # 2026-11-01T00:00:00Z
HOUR = 3600
DAY = 24 * HOUR
NOW = T0 + 3 * DAY


# --- parser ---------------------------------------------------------------------------------


def show(node: Node | None) -> str:
    """A compact s-expression of a syntax tree."""
    if node is None:
        return ""
    if isinstance(node, Term):
        if not node.field:
            return f'"{node.value}"' + ("*" if node.prefix else "")
        return f"{node.field}{node.op}{node.value}"
    if isinstance(node, Not):
        return f"(not {show(node.child)})"
    name = "and" if isinstance(node, And) else "or"
    return f"({name} " + " ".join(show(item) for item in node.items) + ")"


@pytest.mark.parametrize(
    ("text", "tree"),
    [
        ("", ""),
        ("   ", ""),
        ("a", '"a"'),
        ("a b", '(and "a" "b")'),
        ("a b or c", '(or (and "a" "b") "c")'),
        ("a or b c", '(or "a" (and "b" "c"))'),
        ("a | b OR c", '(or "a" "b" "c")'),
        ("a AND b and c", '(and "a" "b" "c")'),
        ("not a b", '(and (not "a") "b")'),
        ("NOT NOT a", '(not (not "a"))'),
        ("-a or b", '(or (not "a") "b")'),
        ("-(a or b) c", '(and (not (or "a" "b")) "c")'),
        ("(a or b) (c or d)", '(and (or "a" "b") (or "c" "d"))'),
        ("((a))", '"a"'),
        ("x-hub", '"x-hub"'),
        ("-provider:meta", "(not provider:meta)"),
        ('"hello world" x', '(and "hello world" "x")'),
        ('"say \\"hi\\" \\\\ ok"', '"say "hi" \\ ok"'),
        ("abc*", '"abc"*'),
        ('"abc d"*', '"abc d"*'),
        ('path:"/a b"', "path:/a b"),
        ('has:header:"x y"', "has:header:x y"),
        ("METHOD:post", "method:post"),
        ("status>=400 size<=1k id!=3", "(and status>=400 size<=1k id!=3)"),
        ("status>4 status<5 status=6", "(and status>4 status<5 status=6)"),
        ("after:2026-11-01 10:00 x", '(and after:2026-11-01 10:00 "x")'),
        ("after:2026-11-01 x", '(and after:2026-11-01 "x")'),
        ("a|b", '(or "a" "b")'),
        ("a(b)", '(and "a" "b")'),
    ],
)
def test_parse_builds_expected_tree(text: str, tree: str) -> None:
    assert show(parse(text)) == tree


def test_terms_remember_their_positions() -> None:
    node = parse("a  status>=400")
    assert isinstance(node, And)
    status = node.items[1]
    assert isinstance(status, Term)
    assert (status.field, status.op, status.value) == ("status", ">=", "400")
    assert (status.pos, status.value_pos) == (3, 11)


def test_blank_filter_compiles_to_empty_where() -> None:
    assert compile_filter("  ") == filters.Filter("", (), "  ")


def test_compiled_where_is_parenthesised_and_values_are_parameters() -> None:
    flt = compile_filter("provider:meta or sig:invalid", now=NOW)
    assert flt.where.startswith("(")
    assert flt.where.endswith(")")
    assert flt.params == ("meta", "invalid")
    assert "meta" not in flt.where


def test_free_text_is_quoted_for_fts() -> None:
    assert compile_filter('say "a\\"b" x*').params == ('"say"', '"a""b"', '"x"*')
    assert compile_filter('"NEAR(a b)" OR c').params == ('"NEAR(a b)"', '"c"')


@pytest.mark.parametrize(
    ("text", "params"),
    [
        ("method:post", ("POST",)),
        ("provider:META", ("meta",)),
        ("path:/webhook", ("/webhook*",)),
        ("path:/a[1]*", ("/a[[]1]*",)),
        ("event:message.ack", ("message.ack", "message.ack.*")),
        ("event:*.paid", ("*.paid",)),
        ("sig:missing", ("missing_header",)),
        ("sig:none", ("no_secret",)),
        ("sig:NoSecret", ("no_secret",)),
        ("status:4xx", (400, 499)),
        ("size>10k", (10 * 1024,)),
        ("size>=2M", (2 * 1024**2,)),
        ("size<1g", (1024**3,)),
        ("size<1.5kb", (1536,)),
        ("size:512b", (512,)),
        ("size:7", (7,)),
        ('from:"+1 (650) 555-1234"', ("%16505551234%", "%16505551234%")),
        ("chat:a_b%", ("%a\\_b\\%%",)),
        ("summary:100%", ('"100" AND "00%"', "%100\\%%", "%100\\%%")),
        ('summary:"a\\"b"', ('"a""b"', '%a"b%', '%a"b%')),
        ("summary:ab", ("%ab%", "%ab%")),
        ("after:2026-11-01", (T0 * 10**9,)),
        ("before:2026-11-01T10:00", ((T0 + 10 * HOUR) * 10**9,)),
        ('after:"2026-11-01 10:00:30"', ((T0 + 10 * HOUR + 30) * 10**9,)),
        ("after:2026-11-01T10:00+02:00", ((T0 + 8 * HOUR) * 10**9,)),
        ("after:10m", ((NOW - 600) * 10**9,)),
        ("after:2h", ((NOW - 2 * HOUR) * 10**9,)),
        ("before:3d", ((NOW - 3 * DAY) * 10**9,)),
        ("after:1w", ((NOW - 7 * DAY) * 10**9,)),
        ("has:header:X-Hub-Signature-256", ("x-hub-signature-256",)),
        ("id>100", (100,)),
    ],
)
def test_field_values_become_parameters(text: str, params: tuple[object, ...]) -> None:
    flt = compile_filter(text, now=NOW)
    assert flt.params == params


def test_dates_far_away_are_clamped_to_64_bits() -> None:
    assert compile_filter("after:9999-12-31").params == (2**63 - 1,)
    assert compile_filter("before:0001-01-01").params == (-(2**63),)
    assert compile_filter("after:99999999w", now=NOW).params == (-(2**63),)


def test_relative_time_uses_the_clock_when_now_is_not_given() -> None:
    [param] = compile_filter("after:1h").params
    assert isinstance(param, int)
    assert abs(param - (time.time() - HOUR) * 1e9) < 60 * 1e9


@pytest.mark.parametrize(
    ("text", "position", "message"),
    [
        ("foo:bar", 0, "unknown field 'foo'; known fields: method, path"),
        ("a Bar:1", 2, "unknown field 'bar'"),
        ("status>=", 8, "expected a value after 'status>='"),
        ("path: x", 5, "expected a value after 'path:'"),
        ('path:""', 5, "expected a value after 'path:'"),
        ("status>=abc", 8, "expected a whole number after 'status>=', got 'abc'"),
        ("status:4x", 7, "expected a whole number"),
        ("id:1.5", 3, "expected a whole number"),
        ("status:99999999999999999999", 7, "number too large"),
        ("id>" + "9" * 5000, 3, "number too large"),
        ("size>10q", 5, "bad size '10q'"),
        ("size>" + "9" * 5000 + "k", 5, "number too large"),
        ("after:2026-13-01", 6, "bad date '2026-13-01'"),
        ("x before:yesterday", 9, "bad date"),
        ("(a b", 0, "missing ')'"),
        ("a (b (c)", 2, "missing ')'"),
        ("a(", 1, "missing ')'"),
        ("a b)", 3, "unexpected ')'"),
        ("()", 0, "empty parentheses"),
        ('"abc', 0, "unterminated quote"),
        ('x path:"abc', 7, "unterminated quote"),
        ('"a" OR b NEAR(', 13, "missing ')'"),
        ("sig:bogus", 4, "unknown signature status 'bogus'; use one of: valid, invalid, missing"),
        ("a or", 4, "expected a term after 'or'"),
        ("(a or) b", 5, "expected a term after 'or'"),
        ("or a", 0, "expected a term before 'or'"),
        ("a and or b", 6, "expected a term after 'and'"),
        ("not", 3, "expected a term after 'not'"),
        ("a -", 3, "expected a term after '-'"),
        ("method>GET", 0, "'>' does not apply to 'method'"),
        ("has:nothing", 4, "unknown value 'nothing' after 'has:'"),
        ("has:header:", 11, "expected a header name"),
        ("*", 0, "expected text before '*'"),
        ('a ""', 2, "empty quotes"),
    ],
)
def test_errors_say_what_and_where(text: str, position: int, message: str) -> None:
    with pytest.raises(FilterError) as caught:
        compile_filter(text, now=NOW)
    assert caught.value.position == position
    assert message in caught.value.message
    assert message in str(caught.value)
    assert isinstance(caught.value, ValueError)


# --- completion -----------------------------------------------------------------------------


def test_completions_for_field_names() -> None:
    assert completions("prov", 4) == ["provider:"]
    assert completions("PROV", 4) == ["provider:"]
    assert completions("a prov b", 6) == ["provider:"]
    assert completions("(prov", 5) == ["provider:"]
    assert completions("-prov", 5) == ["-provider:"]
    assert completions("stat", 4) == ["status:", "status>=", "status<", "state:"]
    assert completions("", 0) == list(FIELDS)


def test_completions_for_values() -> None:
    assert completions("provider:m", 10) == ["provider:meta"]
    assert completions("sig:", 4) == [f"sig:{value}" for value in VALUES["sig"]]
    assert set(VALUES["sig"]) >= {"valid", "invalid", "missing", "no_secret", "unsigned"}
    assert completions("method:p", 8) == ["method:POST", "method:PUT", "method:PATCH"]
    assert completions("is:", 3)[:2] == ["is:duplicate", "is:refused"]
    assert "is:out-of-order" in completions("is:o", 4)
    assert "has:header:" in completions("has:", 4)
    assert completions("has:header:x-hub", 16) == [
        "has:header:x-hub-signature-256",
        "has:header:x-hub-signature",
    ]


def test_no_completions_where_nothing_is_known() -> None:
    assert completions("status>=", 8) == []
    assert completions("path:/x", 7) == []
    assert completions('"prov', 5) == []
    assert completions('"a prov', 7) == []
    assert completions("zzz", 3) == []
    assert completions("prov", 99) == ["provider:"]


def test_every_completion_field_is_a_known_field() -> None:
    for entry in FIELDS:
        name = entry.split(":")[0].rstrip("<>=!")
        assert name in filters.KNOWN_FIELDS
    assert set(VALUES) <= set(filters.KNOWN_FIELDS)
    assert len(VALUES["provider"]) >= 13


# --- against a real store -------------------------------------------------------------------


def record(
    path: str,
    events: tuple[Event, ...],
    sig: SigStatus,
    status: int | None,
    at: int,
    *,
    provider: str = "",
    method: str = "POST",
    body: bytes = b"{}",
    headers: tuple[tuple[str, str], ...] = (("Content-Type", "application/json"),),
    **request: object,
) -> Record:
    captured = CapturedRequest(
        method=method,
        path=path,
        headers=headers,
        body=body,
        received_at_ns=at * 10**9,
        **request,  # type: ignore[arg-type]
    )
    derived = Derived(provider or events[0].provider, events, Verification(sig))
    return Record(captured, derived, status)


ROWS: dict[str, Record] = {
    "meta_batch": record(
        "/webhook/meta",
        (
            Event("meta", "message.text", "hi", "wamid.A", "16505551234", "16505551234"),
            Event("meta", "statuses.delivered", "delivered to 15550001111", "wamid.S",
                  "15550001111"),
        ),
        SigStatus.VALID, 200, T0 + HOUR,
        body=b'{"text":"hello world"}',
        headers=(("X-Hub-Signature-256", "sha256=00"), ("Content-Type", "application/json")),
    ),
    "waha_ack": record(
        "/webhook/waha",
        (Event("waha", "message.ack", "read", "ack1", "16505551234@c.us"),),
        SigStatus.INVALID, 401, T0 - DAY,
    ),
    "waha_msg": record(
        "/webhook/waha",
        (Event("waha", "message", "big picture", "m1", "447700900123@c.us",
               "447700900123@c.us"),),
        SigStatus.MISSING_HEADER, 200, T0 + 2 * HOUR,
        body=b"x" * 20480,
    ),
    "evolution": record(
        "/api/evolution",
        (Event("evolution", "messages.upsert", "text", "e1", "",
               "5511999990000@s.whatsapp.net"),),
        SigStatus.NO_SECRET, 500, T0 + 3 * HOUR,
        body=b'{"text":"banana split"}',
    ),
    "github": record(
        "/gh",
        (Event("github", "push", "pushed to main", "gh1"),),
        SigStatus.EXPIRED, 204, T0 + 4 * HOUR,
        headers=(("X-GitHub-Event", "push"), ("X-Hub-Signature-256", "sha256=11")),
        source="import",
    ),
    "stripe": record(
        "/stripe/hook",
        (Event("stripe", "invoice.paid", "invoice paid", "evt_1"),),
        SigStatus.MALFORMED, 400, T0 + 2 * DAY,
        headers=(("Stripe-Signature", "t=1,v1=zz"),),
    ),
    "health": record(
        "/health", (Event("generic", "request", "GET /health"),), SigStatus.UNSIGNED, 200,
        T0 + 5 * HOUR, method="GET", body=b"", headers=(),
    ),
    "refused": record(
        "/webhook/big", (Event("generic", "request", "refused"),), SigStatus.UNSIGNED, 413,
        T0 + 6 * HOUR, body=b"", refused="body over limit", declared_size=10_000_000,
    ),
    "meta_dup": record(
        "/webhook/meta",
        (Event("meta", "message.text", "hi again", "wamid.A", "16505551234", "16505551234"),),
        SigStatus.VALID, 200, T0 + 7 * HOUR,
        body=b'{"text":"again"}',
    ),
    "slack_space": record(
        "/a b/[x]",
        (Event("slack", "app_mention", "mentioned"),),
        SigStatus.UNSIGNED, None, T0 + 8 * HOUR,
        method="PUT", headers=(("X-Slack-Signature", "v0=deadbeef"),),
    ),
    "twilio": record(
        "/twilio",
        (Event("twilio", "status.delivered", "SMS_delivered 100%", "SM1:delivered",
               "15551234567"),),
        SigStatus.VALID, 200, T0 + 9 * HOUR,
        method="PATCH", body=b"MessageStatus=delivered",
    ),
}  # fmt: skip
ALL = set(ROWS)
Db = tuple[Store, dict[int, str]]
"""The store, and the row name of each request id."""


@pytest.fixture(scope="module")
def store(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Db]:
    opened = Store.open(tmp_path_factory.mktemp("filters") / "t.db")
    ids = opened.insert_many(list(ROWS.values()))
    yield opened, dict(zip(ids, ROWS, strict=True))
    opened.close()


def found(store: Db, text: str) -> set[str]:
    db, names = store
    flt = compile_filter(text, now=NOW)
    rows = db.page(where=flt.where, params=flt.params, limit=1000)
    assert db.count(flt.where, flt.params) == len(rows)
    assert db.ids_after(0, flt.where, flt.params) == sorted(row.id for row in rows)
    return {names[row.id] for row in rows}


def test_fixture_rows_are_as_expected(store: Db) -> None:
    db, names = store
    assert sorted(names) == list(range(1, 12))
    ids = {name: request_id for request_id, name in names.items()}
    dup, first = ids["meta_dup"], ids["meta_batch"]
    assert db.summaries([dup])[dup].duplicate_of == first


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("", ALL),
        ("method:POST", ALL - {"health", "slack_space", "twilio"}),
        ("method:get", {"health"}),
        ("method:Put", {"slack_space"}),
        ("method!=post", {"health", "slack_space", "twilio"}),
        ("path:/webhook", {"meta_batch", "waha_ack", "waha_msg", "refused", "meta_dup"}),
        ("path:/webhook*", {"meta_batch", "waha_ack", "waha_msg", "refused", "meta_dup"}),
        ("path:/webhook/w?ha", {"waha_ack", "waha_msg"}),
        ("path:/WEBHOOK", set()),
        ("path:/a", {"evolution", "slack_space"}),
        ('path:"/a b"', {"slack_space"}),
        ('path:"/a b/[x]"', {"slack_space"}),
        ("path:*[x]", {"slack_space"}),
        ("path:/gh", {"github"}),
        ("provider:meta", {"meta_batch", "meta_dup"}),
        ("Provider:META", {"meta_batch", "meta_dup"}),
        ("provider:w*", {"waha_ack", "waha_msg"}),
        ("-provider:meta", ALL - {"meta_batch", "meta_dup"}),
        ("provider:nobody", set()),
    ],
)
def test_text_fields(store: Db, text: str, expected: set[str]) -> None:
    assert found(store, text) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("event:message", {"meta_batch", "meta_dup", "waha_ack", "waha_msg"}),
        ("event:message.ack", {"waha_ack"}),
        ("event:MESSAGE.ACK", {"waha_ack"}),
        ("event:message.a", set()),
        ("event:statuses", {"meta_batch"}),  # the second event of the batch
        ("event:statuses.delivered", {"meta_batch"}),
        ("event:*.paid", {"stripe"}),
        ("event:*deliver*", {"meta_batch", "twilio"}),
        ("sig:valid", {"meta_batch", "meta_dup", "twilio"}),
        ("sig:invalid", {"waha_ack"}),
        ("sig:missing", {"waha_msg"}),
        ("sig:missing_header", {"waha_msg"}),
        ("sig:none", {"evolution"}),
        ("sig:nosecret", {"evolution"}),
        ("sig:expired", {"github"}),
        ("sig:malformed", {"stripe"}),
        ("sig:unsigned", {"health", "refused", "slack_space"}),
        ("from:16505551234", {"meta_batch", "meta_dup", "waha_ack"}),
        ('from:"+1 650 555 1234"', {"meta_batch", "meta_dup", "waha_ack"}),
        ("from:447700900123@c.us", {"waha_msg"}),
        ("from:15550001111", {"meta_batch"}),
        ("from:5511999990000", {"evolution"}),
        ("chat:15550001111", {"meta_batch"}),
        ("chat:5511999990000", set()),  # only the sender
        ("from:%", set()),
        ("source:import", {"github"}),
        ("source:http", ALL - {"github"}),
        ("summary:delivered", {"meta_batch", "twilio"}),  # any event's summary
        ("summary:100%", {"twilio"}),
        ("summary:1_0", set()),
        ('summary:"big pic"', {"waha_msg"}),
    ],
)
def test_event_and_signature_fields(store: Db, text: str, expected: set[str]) -> None:
    assert found(store, text) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("status>=400", {"waha_ack", "evolution", "stripe", "refused"}),
        ("status:4xx", {"waha_ack", "stripe", "refused"}),
        ("status!=4xx", ALL - {"waha_ack", "stripe", "refused", "slack_space"}),
        ("status:200", {"meta_batch", "waha_msg", "health", "meta_dup", "twilio"}),
        ("status=204", {"github"}),
        ("status<200", set()),
        ("status<=204", {"meta_batch", "waha_msg", "health", "meta_dup", "twilio", "github"}),
        ("status>401 status<500", {"refused"}),
        ("status!=200", {"waha_ack", "evolution", "github", "stripe", "refused"}),
        ("-status:200", {"waha_ack", "evolution", "github", "stripe", "refused", "slack_space"}),
        ("size>10k", {"waha_msg"}),
        ("size>=20k", {"waha_msg"}),
        ("size>20k", set()),
        ("size:0", {"health", "refused"}),
        ("size<1b", {"health", "refused"}),
        ("size>0 size<3", {"waha_ack", "github", "stripe", "slack_space"}),  # body b"{}"
        ("id:3", {"waha_msg"}),
        ("id>9", {"slack_space", "twilio"}),
        ("id<=2", {"meta_batch", "waha_ack"}),
    ],
)
def test_number_fields(store: Db, text: str, expected: set[str]) -> None:
    assert found(store, text) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("after:2026-11-01", ALL - {"waha_ack"}),
        ("before:2026-11-01", {"waha_ack"}),
        ("after:2026-11-02", {"stripe"}),
        (
            "after:2026-11-01 05:00",
            {"health", "refused", "meta_dup", "slack_space", "twilio", "stripe"},
        ),
        ('after:"2026-11-01 05:00:01"', {"refused", "meta_dup", "slack_space", "twilio", "stripe"}),
        ("after:2026-11-01T08:00 before:2026-11-01T09:00", {"slack_space"}),
        ("before:2026-11-01T01:00", {"waha_ack"}),
        ("after:1d", {"stripe"}),  # now is 2026-11-04: 1d ago is exactly stripe's time
        ("after:25h", {"stripe"}),
        ("before:3d", {"waha_ack"}),
        ("before:100000m", set()),
    ],
)
def test_time_fields(store: Db, text: str, expected: set[str]) -> None:
    assert found(store, text) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("has:header:x-hub-signature-256", {"meta_batch", "github"}),
        ("has:header:X-HUB-SIGNATURE-256", {"meta_batch", "github"}),
        ("has:header:x-*-event", {"github"}),
        ("has:header:nope", set()),
        ("has:body", ALL - {"health", "refused"}),
        ("-has:body", {"health", "refused"}),
        ("has:duplicate", {"meta_dup"}),
        ("is:duplicate", {"meta_dup"}),
        ("is:refused", {"refused"}),
    ],
)
def test_has_and_is(store: Db, text: str, expected: set[str]) -> None:
    assert found(store, text) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("banana", {"evolution"}),  # body
        ("banan*", {"evolution"}),
        ("BANANA", {"evolution"}),
        ('"hello world"', {"meta_batch"}),
        ('"world hello"', set()),
        ("hello world", {"meta_batch"}),
        ("deadbeef", {"slack_space"}),  # header value
        ("github", {"github"}),  # header name
        ("twilio", {"twilio"}),  # path
        ("banana or deadbeef", {"evolution", "slack_space"}),
        ("-banana provider:evolution", set()),
    ],
)
def test_free_text(store: Db, text: str, expected: set[str]) -> None:
    assert found(store, text) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("provider:meta or provider:waha sig:invalid", {"meta_batch", "meta_dup", "waha_ack"}),
        ("(provider:meta or provider:waha) sig:invalid", {"waha_ack"}),
        ("provider:meta | provider:stripe", {"meta_batch", "meta_dup", "stripe"}),
        ("not provider:meta sig:valid", {"twilio"}),
        ("NOT (provider:meta sig:valid)", ALL - {"meta_batch", "meta_dup"}),
        (
            "-(provider:meta or provider:waha) method:POST",
            {"evolution", "github", "stripe", "refused"},
        ),
        ("provider:meta -is:duplicate", {"meta_batch"}),
        ("provider:meta and is:duplicate", {"meta_dup"}),
        (
            "method:POST path:/webhook* provider:meta event:message.text sig:valid status<400 "
            "size>10 from:16505551234 after:2026-11-01 has:header:x-hub-signature-256",
            {"meta_batch"},
        ),
    ],
)
def test_boolean_combinations(store: Db, text: str, expected: set[str]) -> None:
    assert found(store, text) == expected


@pytest.mark.parametrize(
    "text",
    [
        'path:"x\' OR 1=1 --"',
        'summary:"x\' OR 1=1 --"',
        'source:"\');DROP TABLE requests;--"',
        '"\\"a\\" OR b NEAR("',
        '"qqq" OR yy NEAR',
        '"NEAR(a b)" OR "q*"',
        "1=1",
        "from:'%'",
        'has:header:"\') OR 1=1 --"',
    ],
)
def test_injection_attempts_find_nothing(store: Db, text: str) -> None:
    assert found(store, text) == set()
    assert store[0].count() == len(ROWS)


def test_unbalanced_text_is_a_filter_error_not_an_sql_error() -> None:
    with pytest.raises(FilterError):
        compile_filter('"a" OR b NEAR(')


_PIECES = st.sampled_from(
    [" ", "(", ")", '"', "\\", "-", "|", "*", "?", "[", "%", "_", "'", ":", ">=", "<", "!=",
     "or", "NOT", "and", "NEAR", "a", "9", "10k", "4xx", "2h", "2026-11-01", " 10:00", "é"]
    + [field.rstrip(":<>=") for field in FIELDS] + list(FIELDS)
)  # fmt: skip


@settings(max_examples=300, deadline=None)
@given(st.lists(_PIECES, max_size=12).map("".join))
def test_any_text_is_a_filter_error_or_valid_sql(store: Db, text: str) -> None:
    try:
        flt = compile_filter(text, now=NOW)
    except FilterError as exc:
        position = exc.position
    else:
        store[0].count(flt.where, flt.params)  # never an SQL error
        position = 0
    assert 0 <= position <= len(text)
    assert isinstance(completions(text, len(text)), list)


def test_every_filter_in_the_readme_compiles() -> None:
    import re
    from pathlib import Path

    readme = (Path(__file__).resolve().parents[2] / "README.md").read_text("utf-8")
    section = readme.split("### The filter language", 1)[1].split("\n### ", 1)[0]
    examples = re.findall(r"`([^`]+)`", section)
    filters_in_docs = [e for e in examples if ":" in e or ">" in e or e.startswith('"')]
    assert len(filters_in_docs) > 15
    for text in filters_in_docs:
        compile_filter(text)


# --- summary: the trigram index gives exactly what LIKE gives -----------------------------------

SUMMARY_EVENTS: tuple[tuple[str, ...], ...] = (
    ("Hello World",),
    ("hello wORLD again", "HELLO"),
    ("Grüße aus KÖLN", "ärger"),
    ("GRÜSSE aus köln",),
    ("100% done_now", "under_score"),
    ("100 percent, 1x0",),
    ('back\\slash "quoted"',),
    ("first line\nsecond line",),
    ("lead summary", "second event only: kiwi", "third: ÉCLAIR"),
    ("émoji 🎉 party", "Ünïcode ÀÉÎ"),
    ("",),
    ("ab",),
    ("text from 491515433012 (Marco Rossi): Please call me back about the order ref1",),
)
"""Event summaries of each request (its summary is the first one, plus "(+N more)")."""
SUMMARY_NEEDLES = (
    "a", "A", "ü", "Ü", "%", "_", "\\", '"', "\n", "ab", "AB", "0%", "e_", "1_0", "🎉",
    "hello", "HELLO", "world again", "wORLD", "grüße", "GRÜSSE", "Grüße", "köln", "KÖLN",
    "Köln", "ärger", "ÄRGER", "100%", "100_", "0% d", "e_n", "under_", "%%", "kiwi", "KIWI",
    "éclair", "ÉCLAIR", "Éclair", "🎉 p", "ünïcode", "ÜNÏCODE", "line\nsecond", "e\nsec",
    "(+2 more)", "(+1 MORE", "summary\nsecond", "more)\nsecond", "y\nsecond event",
    'slash "q', 'SLASH "Q', "zqnomatch", "abc",
    "hello world again hello world again hello world again",
    "FROM 491515433012 (Marco Rossi): Please call me back about the order ref1",
    "from 491515433012 (Marco Rossi): Please call me back about the order ref2",
)  # fmt: skip
"""With 1, 2 and 3+ characters, % and _, ASCII and other case, line breaks, quotes, and more
distinct trigrams than the index is asked for (the last two: only the last character tells)."""


@pytest.fixture(scope="module")
def summaries(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Store]:
    """Half the requests stored analysed, half stored raw and analysed afterwards."""
    opened = Store.open(tmp_path_factory.mktemp("summaries") / "t.db")
    records = [
        record(f"/s/{n}", tuple(Event("generic", "e", text) for text in texts),
               SigStatus.UNSIGNED, 200, T0 + n)
        for n, texts in enumerate(SUMMARY_EVENTS)
    ]  # fmt: skip
    opened.insert_many(records[::2])
    raw = opened.insert_many([Record(r.request, None) for r in records[1::2]])
    opened.apply_analysis([(i, r.derived) for i, r in zip(raw, records[1::2], strict=True)
                           if r.derived])  # fmt: skip
    yield opened
    opened.close()


def summary_filter(needle: str, negated: bool = False) -> str:
    quoted = needle.replace("\\", "\\\\").replace('"', '\\"')
    return f'{"-" if negated else ""}summary:"{quoted}"'


def like_ids(db: Store, needle: str) -> list[int]:
    """The requests `summary:needle` found before the index: a LIKE over every row."""
    pattern = filters._like_contains(needle)
    sql = (
        "SELECT id FROM requests WHERE summary LIKE ? ESCAPE '\\' OR EXISTS (SELECT 1 FROM"
        " events e WHERE e.request_id = requests.id AND e.summary LIKE ? ESCAPE '\\') ORDER BY id"
    )
    return [int(row[0]) for row in db.reader().execute(sql, (pattern, pattern))]


def filtered_ids(db: Store, text: str) -> list[int]:
    flt = compile_filter(text)
    shown = [row.id for row in db.page(where=flt.where, params=flt.params, limit=1000)][::-1]
    assert db.count(flt.where, flt.params) == len(shown)
    assert db.ids_after(0, flt.where, flt.params) == shown
    assert [s.id for s in db.iter_all(flt.where, flt.params)] == shown
    return shown


@pytest.mark.parametrize("needle", SUMMARY_NEEDLES)
def test_summary_filter_finds_what_like_finds(summaries: Store, needle: str) -> None:
    expected = like_ids(summaries, needle)
    rows = summaries.reader().execute("SELECT id FROM requests ORDER BY id")
    every = [int(row[0]) for row in rows]
    assert filtered_ids(summaries, summary_filter(needle)) == expected
    negated = filtered_ids(summaries, summary_filter(needle, negated=True))
    assert negated == [i for i in every if i not in expected]
    uses_index = "summary_fts" in compile_filter(summary_filter(needle)).where
    assert uses_index == (len(needle) >= 3)


def test_summary_needles_cover_the_cases(summaries: Store) -> None:
    """Matches in events only, ASCII case folded, non-ASCII case kept, and candidates of the
    index that LIKE turns down (a line break between two summaries)."""
    assert len(like_ids(summaries, "kiwi")) == 1
    assert like_ids(summaries, "KIWI") == like_ids(summaries, "kiwi")
    [lower], [upper] = like_ids(summaries, "köln"), like_ids(summaries, "KÖLN")
    assert lower != upper
    assert like_ids(summaries, "more)\nsecond") == []
    index = summaries.reader().execute(
        "SELECT rowid FROM summary_fts WHERE summary_fts MATCH ?",
        (filters._trigrams("more)\nsecond"),),
    )
    assert len(index.fetchall()) == 1
    hits = sum(bool(like_ids(summaries, needle)) for needle in SUMMARY_NEEDLES)
    assert hits > len(SUMMARY_NEEDLES) * 2 // 3


@settings(max_examples=200, deadline=None)
@given(st.text(alphabet='aAbBlLeE %_\\"\nüÜ0ß🎉', min_size=1, max_size=7))
def test_any_summary_text_finds_what_like_finds(summaries: Store, needle: str) -> None:
    assert filtered_ids(summaries, summary_filter(needle)) == like_ids(summaries, needle)
