"""Canonical event bytes and hashes: golden vectors, the fast serializer against the reference
``rfc8785`` over every kind of value we store, and the hash written equal to the hash recomputed."""

from __future__ import annotations

import dataclasses
import hashlib
from datetime import UTC, date, datetime

import pytest
import rfc8785
from hypothesis import given, settings
from hypothesis import strategies as st

from workflow import checkpoints, encoding, event_rows, events

GOLDEN = {
    "registered": (
        dict(project="P-0001", seq=1, kind="registered", trigger=None, from_stage=None, to_stage="lead",
             effective_on=date(2026, 3, 2), recorded_at=datetime(2026, 3, 2, 1, 2, 3, 456789, tzinfo=UTC),
             actor="coord", reason=None,
             payload={"name": "翠宏山铁多金属矿", "investor": "利源达公司", "origin": "黑龙江", "industry": "矿业",
                      "category": None, "key": True, "planned_investment_minor": 66000000000, "unit_code": "XH",
                      "workflow_name": "investment", "workflow_version": 1,
                      "plan": {"sign": "2026-06-30", "fund": None, "break_ground": None, "commission": None}},
             prev_hash=encoding.GENESIS),
        '{"actor":"coord","effective_on":"2026-03-02","from":null,"kind":"registered","payload":{"category":null,'
        '"industry":"矿业","investor":"利源达公司","key":true,"name":"翠宏山铁多金属矿","origin":"黑龙江","plan":'
        '{"break_ground":null,"commission":null,"fund":null,"sign":"2026-06-30"},"planned_investment_minor":'
        '66000000000,"unit_code":"XH","workflow_name":"investment","workflow_version":1},"prev_hash":'
        '"0000000000000000000000000000000000000000000000000000000000000000","project":"P-0001","reason":null,'
        '"recorded_at":"2026-03-02T01:02:03.456789Z","seq":1,"to":"lead","trigger":null}',
        "9840a35177eae03255538c31c86ac23153b1623287549a9828cf7fae2ce9f695",
    ),
    "capital_usd": (
        dict(project="P-0007", seq=12, kind="capital", trigger=None, from_stage=None, to_stage=None,
             effective_on=date(2026, 4, 30), recorded_at=datetime(2026, 4, 30, 23, 59, 59, 0, tzinfo=UTC),
             actor="coord", reason=None,
             payload={"amount_minor": 4179000000, "currency": "USD", "source": "博士慧风电有限公司"},
             prev_hash="ab" * 32),
        '{"actor":"coord","effective_on":"2026-04-30","from":null,"kind":"capital","payload":{"amount_minor":'
        '4179000000,"currency":"USD","source":"博士慧风电有限公司"},"prev_hash":'
        '"abababababababababababababababababababababababababababababababab","project":"P-0007","reason":null,'
        '"recorded_at":"2026-04-30T23:59:59.000000Z","seq":12,"to":null,"trigger":null}',
        "5c00c34e8bb01ec3ae08251858881108e20d3dddc968891fe8496bb5e4ae86f7",
    ),
    "transition": (
        dict(project="P-0044", seq=7, kind="transition", trigger="reject", from_stage="screening",
             to_stage="rejected", effective_on=date(2026, 5, 6),
             recorded_at=datetime(2026, 5, 6, 8, 0, 0, 1, tzinfo=UTC), actor="admin",
             reason="违反环保一条红线（高耗能）", payload={}, prev_hash="0123456789abcdef" * 4),
        '{"actor":"admin","effective_on":"2026-05-06","from":"screening","kind":"transition","payload":{},'
        '"prev_hash":"0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef","project":"P-0044",'
        '"reason":"违反环保一条红线（高耗能）","recorded_at":"2026-05-06T08:00:00.000001Z","seq":7,"to":"rejected",'
        '"trigger":"reject"}',
        "577ca4d4228aaa8cd046cdb5ae9c5d5e69501f38e9cf428a2c31efa69d6aa809",
    ),
    "controls": (
        dict(project="P-0100", seq=2**53 - 1, kind="followup", trigger=None, from_stage=None, to_stage=None,
             effective_on=date(2026, 1, 1), recorded_at=datetime(2026, 1, 1, tzinfo=UTC), actor='王"县长\\',
             reason="tab\there\nnew\x00nul\x1f\x7fdel\u2028ls",
             payload={"note": "😀 \b\f\r", "n": [-(2**53) + 1, 0, None, False,
                                                {"é": 1, "e": 2, "\U0001F600": 3, "\uffff": 4}]},
             prev_hash="f" * 64),
        '{"actor":"王\\"县长\\\\","effective_on":"2026-01-01","from":null,"kind":"followup","payload":{"n":'
        '[-9007199254740991,0,null,false,{"e":2,"é":1,"😀":3,"\uffff":4}],"note":"😀 \\b\\f\\r"},"prev_hash":'
        '"ffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff","project":"P-0100","reason":'
        '"tab\\there\\nnew\\u0000nul\\u001f\x7fdel\u2028ls","recorded_at":"2026-01-01T00:00:00.000000Z",'
        '"seq":9007199254740991,"to":null,"trigger":null}',
        "20de5440b74c8d3422c67cb3f652e8c73399c02832e6b6bc48a51405c150d98e",
    ),
}


@pytest.mark.parametrize("name", sorted(GOLDEN))
def test_golden_event_bytes_and_hash(name):
    fields, text, digest = GOLDEN[name]
    expected = text.encode("utf-8")
    assert encoding.canonical(encoding.event_document(**fields)) == expected
    assert rfc8785.dumps(encoding.event_document(**fields)) == expected  # the reference agrees
    assert encoding.document_hash(**fields) == digest == hashlib.sha256(expected).hexdigest()


@pytest.mark.parametrize("name", sorted(GOLDEN))
def test_stored_row_fast_path_gives_the_same_bytes(name):
    """verify's fast path over raw stored columns (SQLite text forms) gives the canonical bytes."""
    f, text, _ = GOLDEN[name]
    raw_recorded = f["recorded_at"].strftime("%Y-%m-%d %H:%M:%S.%f")  # as SQLAlchemy stores it in SQLite
    for eff, rec in ((f["effective_on"].isoformat(), raw_recorded), (f["effective_on"], f["recorded_at"])):
        got = encoding.event_bytes(f["project"], f["seq"], f["kind"], f["trigger"], f["from_stage"],
                                       f["to_stage"], eff, rec, f["actor"], f["reason"],
                                       encoding.payload_text(f["payload"]), f["prev_hash"])
        assert got == text.encode("utf-8")


def test_utc_formatting_of_aware_and_naive_times():
    from datetime import timedelta, timezone

    shanghai = timezone(timedelta(hours=8))
    assert encoding.format_utc(datetime(2026, 3, 2, 9, 2, 3, 456789, tzinfo=shanghai)) == "2026-03-02T01:02:03.456789Z"
    assert encoding.format_utc(datetime(2026, 3, 2, 1, 2, 3)) == "2026-03-02T01:02:03.000000Z"


# --- the fast serializer is RFC 8785, byte for byte --------------------------------------------------

SAFE_INTS = st.integers(min_value=encoding.INT_MIN, max_value=encoding.INT_MAX)
TEXT = st.text(alphabet=st.characters(blacklist_categories=("Cs",)), max_size=30)
CJK_AND_CONTROLS = st.text(alphabet=st.sampled_from(
    list("招商引资项目翠宏山铁多金属矿¥万元亿美元") + [chr(i) for i in range(0x20)] + ['"', "\\", "\x7f", "\u2028",
                                                                        "\u2029", "\ufeff", "\U0001F600", "é"]),
    max_size=30)
SCALARS = st.none() | st.booleans() | SAFE_INTS | TEXT | CJK_AND_CONTROLS
VALUES = st.recursive(
    SCALARS,
    lambda children: st.lists(children, max_size=5) | st.dictionaries(TEXT | CJK_AND_CONTROLS, children, max_size=5),
    max_leaves=40,
)


@settings(max_examples=400, deadline=None)
@given(VALUES)
def test_fast_serializer_is_byte_identical_to_rfc8785(value):
    assert encoding.canonical(value) == rfc8785.dumps(value)
    assert encoding.canonical_exact(value) == rfc8785.dumps(value)


@settings(max_examples=200, deadline=None)
@given(st.dictionaries(TEXT | CJK_AND_CONTROLS, VALUES, max_size=6))
def test_payload_round_trip_is_stable(payload):
    """The stored payload text parses back to a value that serialises to the same text."""
    import json

    text = encoding.payload_text(payload)
    assert encoding.payload_text(json.loads(text)) == text
    assert text.encode("utf-8") == rfc8785.dumps(payload)


@pytest.mark.parametrize("value", [
    1.5, -0.0, 1e21, 1e-7, 123456789.125, [1.0, {"x": 2.5}],  # floats go to rfc8785 itself
    (1, "二", None),  # tuples are lists
    {"b": {"a": []}, "a": {}},
    {"\ue000": 1, "\U0001f600": 2, "z": 3},  # UTF-16 order differs from code-point order here
    {"\uffff": [1, {"\U00010000": None}]},
])
def test_other_values_match_the_reference(value):
    assert encoding.canonical(value) == rfc8785.dumps(value)


@pytest.mark.parametrize("value", [
    2**53, -(2**53), [2**60], {"x": -(2**64)},  # beyond the exact range of a JSON number
    "\ud800", {"k": "lone \udfff"},  # lone surrogates are not UTF-8
    {1: "not a string key"}, float("nan"), float("inf"), object(), b"bytes", {"s": {1, 2}},
])
def test_refuses_what_the_reference_refuses(value):
    with pytest.raises(Exception) as ours:
        encoding.canonical(value)
    with pytest.raises(Exception) as ref:
        rfc8785.dumps(value)
    assert isinstance(ours.value, rfc8785.CanonicalizationError | UnicodeEncodeError) or \
        type(ours.value) is type(ref.value)


def test_subclasses_serialise_like_the_reference():
    import enum

    class Color(enum.StrEnum):
        RED = "红"

    class Level(enum.IntEnum):
        HIGH = 3

    value = {"c": Color.RED, "l": Level.HIGH, "b": True}
    assert encoding.canonical(value) == rfc8785.dumps(value)


# --- the engine writes what verification recomputes ------------------------------------------------


def test_hash_written_equals_hash_recomputed_after_reading_back(service, cli):
    from datetime import date

    from sqlalchemy import select

    from workflow import tables

    res = service.add_project(name="盛典蓝莓科技开发项目", investor="盛典蓝莓科技开发有限公司", industry="农业",
                              investment_minor=1_2000_0000_00, unit="XH", on=date(2026, 1, 5))
    code = res.project.code
    service.add_followup(code, '考察 "现场"\n第二行 \\ 反斜杠', on=date(2026, 1, 6))  # tabs are refused
    service.add_followup(code, "约见", contact="李总 <li>", next_step="送材料 <b>", next_on="2026-01-20",
                         on=date(2026, 1, 7))
    pid = service.add_problem(code, '用地 "指标"\n未落实', kind="land", owner="FGW", person="wang",
                              due="2026-02-01", source="meeting", on=date(2026, 1, 10))["id"]
    service.act_on_problem(pid, "update", "协调中", on=date(2026, 1, 12))
    service.act_on_problem(pid, "extend", "省厅", to="2026-02-10", on=date(2026, 1, 30))
    assert [x["number"] for x in service.issue_letters(as_of=date(2026, 3, 1))] == ["〔2026〕1号"]
    service.act_on_problem(pid, "close", "已解决", on=date(2026, 3, 2))
    service.act_on_problem(pid, "reopen", "未落实", on=date(2026, 3, 3))
    service.advance(code, "submit")
    service.record_check(code, "environment", "pass", note="排放 <b>达标</b>")
    written = [e["hash"] for e in cli("history", code, json=True, ok=True).json["events"]]
    E, P = tables.event, tables.project
    with service.engine.connect() as conn:
        rows = conn.execute(select(E, P.c.code).join(P, P.c.id == E.c.project_id)
                            .where(P.c.code == code).order_by(E.c.seq)).mappings().all()
    assert len(rows) == len(written) >= 11
    prev = encoding.GENESIS
    for r, h in zip(rows, written, strict=True):
        doc = encoding.event_document(project=r["code"], seq=r["seq"], kind=r["kind"], trigger=r["trigger"],
                                   from_stage=r["from_stage"], to_stage=r["to_stage"],
                                   effective_on=r["effective_on"], recorded_at=r["recorded_at"], actor=r["actor"],
                                   reason=r["reason"], payload=r["payload"], prev_hash=r["prev_hash"])
        assert hashlib.sha256(rfc8785.dumps(doc)).hexdigest() == r["hash"] == h
        assert r["prev_hash"] == prev
        assert r["payload"] == rfc8785.dumps(doc["payload"]).decode("utf-8")  # stored canonical
        prev = r["hash"]


def test_running_digest_definition():
    hashes = ["a" * 64, "b" * 64]
    g1 = hashlib.sha256(bytes(32) + hashes[0].encode()).digest()
    g2 = hashlib.sha256(g1 + hashes[1].encode()).digest()
    assert checkpoints.running_digest(hashes) == g2
    assert checkpoints.running_digest([]) == bytes(32)


@pytest.mark.parametrize("name", sorted(GOLDEN))
def test_row_bytes_of_a_stored_sqlite_row_are_the_canonical_bytes(name):
    """verify's route over SQLite rows (``row_bytes``) writes the same bytes as the canonical document,
    and refuses a row in any other form (the caller then takes ``event_bytes``)."""
    f, text, _ = GOLDEN[name]
    raw_recorded = f["recorded_at"].strftime("%Y-%m-%d %H:%M:%S.%f")
    row = (7, 100, f["seq"], f["kind"], f["trigger"], f["from_stage"], f["to_stage"], f["effective_on"].isoformat(),
           raw_recorded, f["actor"], f["reason"], encoding.payload_text(f["payload"]), f["prev_hash"], "0" * 64)
    assert encoding.row_bytes(encoding.project_field(f["project"]), row) == text.encode("utf-8")
    for i, other in ((7, f["effective_on"]), (8, f["recorded_at"]), (8, raw_recorded + "Z"), (2, str(f["seq"])),
                     (7, f["effective_on"].isoformat() + " ")):
        with pytest.raises((TypeError, ValueError)):
            encoding.row_bytes(encoding.project_field(f["project"]), row[:i] + (other,) + row[i + 1:])


@settings(max_examples=200, deadline=None)
@given(st.text(max_size=12), st.text(max_size=12), st.text(max_size=12) | st.none(), st.text(max_size=12))
def test_row_bytes_escape_every_text_field(actor, kind, reason, prev):
    """Text fields of any content (quotes, controls, lone surrogates) are escaped as the canonical
    document escapes them: the bytes determine the fields."""
    row = (1, 1, 3, kind, None, None, None, "2026-01-02", "2026-01-03 04:05:06.000007", actor, reason, "{}", prev,
           "")
    fields = dict(project="P-0001", seq=3, kind=kind, trigger=None, from_stage=None, to_stage=None,
                  effective_on="2026-01-02", recorded_at="2026-01-03T04:05:06.000007Z", actor=actor, reason=reason,
                  payload={}, prev_hash=prev)
    try:
        expected = rfc8785.dumps(encoding.event_document(**fields))
    except rfc8785.CanonicalizationError:
        with pytest.raises(ValueError):
            encoding.row_bytes(encoding.project_field("P-0001"), row)
        return
    assert encoding.row_bytes(encoding.project_field("P-0001"), row) == expected


_ON = date(2026, 3, 4)
_WRITTEN = [
    events.CheckRecorded(_ON, "environment", "pass", None),
    events.CheckRecorded(_ON, "energy", "fail", "缺\"能评\""),
    events.DocumentRecorded(_ON, "contract", "HT-2026-13"),
    events.CapitalArrived(_ON, 5_600_000_00, "CNY", "盛典蓝莓"),
    events.CapitalArrived(_ON, 1, "USD", None),
    events.InvestmentRecorded(_ON, 3_000_000_00, "CNY"),
    events.FollowedUp(_ON, "电话沟通"),
    events.FollowedUp(_ON, "visit", contact="王", next_step="sign", next_on=date(2026, 4, 1)),
    events.Transitioned(_ON, "submit", "lead", "screening", None, None),
    events.Transitioned(_ON, "fund", "signed", "funding", None, None, auto=True),
    events.Transitioned(_ON, "hold", "screening", "on_hold", "investor paused", "screening"),
    events.Registered(_ON, "lead", "翠宏山铁多金属矿", "翠宏山矿业", None, "mining", "industry", True, 5_600_000_000,
                      "XH", "investment", 1, (date(2026, 6, 1), None, None, date(2028, 1, 1))),
    events.Registered(on=_ON, stage="lead", name="五营风电", investor=None, origin="黑龙江", industry=None,
                      category=None, key=False, planned_investment_minor=70_000_00, unit_code=None,
                      workflow_name="investment", workflow_version=2,
                      plan=(None, date(2026, 7, 1), date(2026, 8, 1), None),
                      planned_original=(10_000_00, "USD", "7.0")),
    events.DocumentRecorded(_ON, "contract", "HT-2026-14", "ab" * 32, "合同.pdf", 1024),
    events.YearPlanSet(_ON, 2026, 3_000_000_00),
    events.YearPlanSet(on=_ON, year=2027, amount_minor=0, currency="USD"),
    events.InvestmentRecorded(_ON, -5, "USD"),
]


@pytest.mark.parametrize("written", _WRITTEN, ids=lambda e: f"{e.kind}-{e!r:.40}")
def test_a_stored_row_reads_back_as_the_event_written(written):
    """What the write path stores reads back (``event_from_row``, the replay's readers) as an equal
    event of the same class, field for field."""
    import json

    payload = json.loads(encoding.plain_text(written.payload()))
    read = event_rows.event_from_row(written.kind, written.trigger, written.from_stage, written.to_stage, written.on,
                                 written.reason, payload, frozenset({"on_hold"}))
    assert type(read) is type(written)
    assert read == written
    assert [getattr(read, f.name) for f in dataclasses.fields(read)] == \
        [getattr(written, f.name) for f in dataclasses.fields(written)]
    assert read.derived(7, 3, "coord") == written.derived(7, 3, "coord")
    with pytest.raises(dataclasses.FrozenInstanceError):
        read.on = date(2020, 1, 1)  # type: ignore[misc]


_REGISTERED_PAYLOAD = _WRITTEN[12].payload()


@pytest.mark.parametrize("change, error", [
    ({"plan": None, "name": None}, KeyError("plan")),
    ({"name": None}, KeyError("name")),
    ({"key": None, "planned_investment_minor": None}, KeyError("key")),
    ({"planned_investment_minor": "many"}, ValueError("invalid literal for int() with base 10: 'many'")),
    ({"plan": {"sign": "soon"}}, ValueError("Invalid isoformat string: 'soon'")),
    ({"plan": {"sign": None, "fund": 5}}, TypeError("fromisoformat: argument must be str")),
    ({"plan": {"fund": None}}, KeyError("sign")),
    ({"plan": ["2026-01-01"]}, TypeError("list indices must be integers or slices, not str")),
    ({"planned_investment": {"amount_minor": 1, "currency": "USD"}}, KeyError("rate")),
], ids=str)
def test_a_registration_read_back_names_what_is_wrong_first(change, error):
    """A stored registration no command writes is refused naming the first thing wrong, in the
    order its reader reads the payload (the replay quotes it: the same message for the same row)."""
    payload = {k: v for k, v in _REGISTERED_PAYLOAD.items() if change.get(k, 0) is not None}
    payload.update({k: v for k, v in change.items() if v is not None})
    with pytest.raises(type(error)) as raised:
        event_rows.event_from_row("registered", None, None, "lead", _ON, None, payload)
    assert type(raised.value) is type(error) and raised.value.args == error.args


# --- a report's JSON form without its text (encoding.canonical_values) -------------------------------

WIDE_INTS = st.integers(min_value=-(2**70), max_value=2**70)
FLOATS = st.floats(allow_nan=False, allow_infinity=False)
REPORT_VALUES = st.recursive(
    SCALARS | WIDE_INTS | FLOATS,
    lambda children: (st.lists(children, max_size=5) | st.lists(children, max_size=3).map(tuple)
                      | st.dictionaries(TEXT | CJK_AND_CONTROLS, children, max_size=5)),
    max_leaves=40,
)


@settings(max_examples=400, deadline=None)
@given(REPORT_VALUES)
def test_canonical_values_are_the_canonical_text_read_back(value):
    """What ``closing.as_stored`` prints (the values, no text) equals reading the canonical text back,
    wide integers as digits included; and a value with a float among plain ones still serialises
    byte-identical to the reference (the plain parts written in one piece)."""
    import json

    from workflow import closing

    read_back = json.loads(encoding.canonical(encoding.wide_ints(value)))
    ours = encoding.canonical_values(value)
    assert ours == read_back
    assert json.dumps(ours, ensure_ascii=False) == json.dumps(read_back, ensure_ascii=False)  # key order too
    if isinstance(value, dict):
        assert closing.as_stored(value) == ours
    wide = encoding.wide_ints(value)
    assert encoding.canonical(wide) == rfc8785.dumps(wide)


@pytest.mark.parametrize("value", [{1: "not a string key"}, float("nan"), [float("inf")], object(), {"s": {1, 2}}])
def test_canonical_values_refuse_what_the_reference_refuses(value):
    with pytest.raises(rfc8785.CanonicalizationError):
        encoding.canonical_values(value)
