"""The chain checks' route to an event's bytes (``encoding.row_bytes`` over a stored row, the text
forms SQLite returns and the hashed form a county bundle holds) against the general encoder
(``encoding.event_bytes``), and ``chains.check_event`` reporting alike whichever route a row takes."""

from __future__ import annotations

import hashlib
from datetime import UTC, date, datetime

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tests.test_events import GOLDEN
from workflow import chains, encoding
from workflow.catalogue import Message


def _outcome(f, *args):
    try:
        return f(*args)
    except (TypeError, ValueError):  # UnicodeEncodeError included: the row is refused
        return "refused"


@pytest.mark.parametrize("name", sorted(GOLDEN))
def test_row_bytes_take_both_stored_forms_of_the_recorded_time(name):
    f, text, _ = GOLDEN[name]
    for rec in (f["recorded_at"].strftime("%Y-%m-%d %H:%M:%S.%f"), encoding.format_utc(f["recorded_at"])):
        row = (7, 100, f["seq"], f["kind"], f["trigger"], f["from_stage"], f["to_stage"],
               f["effective_on"].isoformat(), rec, f["actor"], f["reason"], encoding.payload_text(f["payload"]),
               f["prev_hash"], "0" * 64)
        assert encoding.row_bytes(encoding.project_field(f["project"]), row) == text.encode("utf-8")


_TEXT = st.text(max_size=8)  # quotes, controls and lone surrogates included
_RECORDED = st.one_of(
    st.datetimes(timezones=st.none()).map(lambda t: t.strftime("%Y-%m-%d %H:%M:%S.%f")),  # SQLite's text
    st.datetimes(timezones=st.none()).map(encoding.format_utc),  # the hashed form
    st.datetimes(timezones=st.none()).map(lambda t: t.strftime("%Y-%m-%d %H:%M:%S.%fZ")),
    st.text(min_size=25, max_size=28), _TEXT)
_EFFECTIVE = st.one_of(st.dates().map(date.isoformat), st.text(min_size=9, max_size=11), _TEXT)


@settings(max_examples=400, deadline=None)
@given(code=st.one_of(_TEXT, st.none(), st.integers()), seq=st.one_of(st.integers(), st.booleans(), _TEXT),
       kind=_TEXT, trigger=st.none() | _TEXT, from_stage=st.none() | _TEXT, to_stage=st.none() | _TEXT,
       eff=_EFFECTIVE, rec=_RECORDED, actor=_TEXT, reason=st.none() | _TEXT,
       payload=st.one_of(_TEXT, st.integers(), st.none()), prev=st.one_of(_TEXT, st.none()))
def test_row_bytes_are_event_bytes_or_both_refuse(code, seq, kind, trigger, from_stage, to_stage, eff, rec, actor,
                                                   reason, payload, prev):
    """On every row whose two dates are text, ``row_bytes`` writes what ``event_bytes`` writes, and
    refuses what it refuses: ``check_event`` takes either route and judges the row alike."""
    row = (1, 1, seq, kind, trigger, from_stage, to_stage, eff, rec, actor, reason, payload, prev, "")
    fast = _outcome(encoding.row_bytes, encoding.project_field(code), row)
    plain = _outcome(encoding.event_bytes, code, seq, kind, trigger, from_stage, to_stage, eff, rec, actor, reason,
                     payload, prev)
    assert fast == plain


@pytest.mark.parametrize("text", ["%s", "%d%%", "100% 达标", "%(x)s", "\\%"])
@pytest.mark.parametrize("where", ["kind", "trigger", "from_stage", "to_stage", "actor", "reason", "code",
                                   "payload", "prev"])
def test_row_bytes_write_percent_signs_and_wide_text_as_event_bytes(text, where):
    """``row_bytes`` fills a bytes template (``%`` formatting) with parts encoded apart: a field holding
    ``%`` or text beyond ASCII (in the template or in a part) is written as ``event_bytes`` writes it."""
    v = {"code": "P-0001", "seq": 3, "kind": "followup", "trigger": None, "from_stage": None,
         "to_stage": None, "eff": "2026-03-04", "rec": "2026-03-04 05:06:07.000008", "actor": "coord",
         "reason": None, "payload": '{"note":"跟进"}', "prev": "a" * 64}
    v[where] = f'{{"note":"{text}"}}' if where == "payload" else text
    row = (1, 1, v["seq"], v["kind"], v["trigger"], v["from_stage"], v["to_stage"], v["eff"], v["rec"], v["actor"],
           v["reason"], v["payload"], v["prev"], "")
    plain = encoding.event_bytes(v["code"], v["seq"], v["kind"], v["trigger"], v["from_stage"], v["to_stage"],
                                 v["eff"], v["rec"], v["actor"], v["reason"], v["payload"], v["prev"])
    assert encoding.row_bytes(encoding.project_field(v["code"]), row) == plain
    assert text.encode("utf-8") in plain


def _history(code: str) -> list[list]:
    """A clean chain of stored rows (dates as objects) for project 1."""
    rows, prev = [], encoding.GENESIS
    stages = [(None, "lead"), ("lead", "screening"), (None, None), ("screening", "on_hold"), (None, None)]
    for seq, (frm, to) in enumerate(stages, 1):
        kind = "registered" if seq == 1 else ("transition" if to else "followup")
        eff = date(2026, 3, seq)
        rec = datetime(2026, 3, seq, 8, 0, seq, 1234 * seq)
        actor = "coord" if seq < 4 else "县招商局"
        payload = f'{{"note":"第{seq}次"}}'
        raw = encoding.event_bytes(code, seq, kind, None, frm, to, eff, rec, actor, None, payload, prev)
        digest = hashlib.sha256(raw).hexdigest()
        rows.append([100 + seq, 1, seq, kind, None, frm, to, eff, rec, actor, None, payload, prev, digest])
        prev = digest
    return rows


def _as_text(row: list, hashed: bool) -> tuple:
    """The row with its dates as text: SQLite's column forms, or the hashed form of the recorded time."""
    out = list(row)
    if isinstance(row[7], date):
        out[7] = row[7].isoformat()
    if isinstance(row[8], datetime):
        out[8] = encoding.format_utc(row[8]) if hashed else row[8].strftime("%Y-%m-%d %H:%M:%S.%f")
    return tuple(out)


def _check(code, rows) -> tuple[list, tuple]:
    failures = chains.Failures()
    ch = chains.Chain(code, frozenset({"on_hold"}))
    seqs = [chains.check_event(ch, failures, row) for row in rows]
    items = [{k: (v.code, str(v)) if isinstance(v, Message) else v for k, v in item.items()}
             for item in failures.items]
    return items, (seqs, ch.last_seq, ch.last_hash, ch.stage, ch.stage_seq, ch.held_from, ch.lo, ch.n)


_EDITS = [
    (None, None),  # clean
    (7, "2026-03-02x"), (8, "2026-03-02 08:00:02"), (8, datetime(2026, 3, 2, 8, 0, 2, tzinfo=UTC)),
    (8, "2026-03-02T08:00:02.002468Z"), (2, "2"), (2, 5), (3, "check"), (9, "\ud800"), (11, '{"note": "x"}'),
    (11, None), (12, "0" * 64), (12, None), (13, "f" * 64), (5, "lead"), (6, "on_hold"), (10, "为什么"),
]


@pytest.mark.parametrize(("column", "value"), _EDITS)
@pytest.mark.parametrize("code", ["P-0001", "项目\"1\\", "P-\ud800"])
def test_check_event_reports_alike_with_dates_as_objects_or_text(column, value, code):
    """A history with one stored field edited: the failures (same messages, same order) and the chain
    state are the same whether its rows hold dates as objects (PostgreSQL, ``event_bytes``) or as
    text, in SQLite's forms or a bundle's (``row_bytes``)."""
    rows = _history(code if code.isprintable() else "P-0001")
    if column is not None:
        rows[2][column] = value
    plain = _check(code, [tuple(r) for r in rows])
    assert plain == _check(code, [_as_text(r, hashed=False) for r in rows])
    assert plain == _check(code, [_as_text(r, hashed=True) for r in rows])
    if column is None and code.isprintable():
        assert plain[0] == []


@pytest.mark.parametrize("code", [None, 7, b"P-0001"])
def test_a_project_code_that_is_not_text_fails_every_hash(code):
    """A project row whose code is not text (no program writes one) fails each event's own hash, by
    either route, instead of stopping the sweep."""
    rows = _history("P-0001")
    assert encoding.project_field(code) is None
    plain = _check(code, [tuple(r) for r in rows])
    assert plain == _check(code, [_as_text(r, hashed=True) for r in rows])
    assert len(plain[0]) == len(rows)


@pytest.mark.parametrize(("column", "value"), [(7, 20260302), (7, 2026.5), (7, b"2026-03-02"), (8, 1772438402),
                                               (8, date(2026, 3, 2)), (8, b"2026-03-02 08:00:02.002468")])
def test_a_date_column_holding_another_type_is_reported_not_raised(column, value):
    """An effective date or recorded time that is neither text nor a date (a tampered column: SQLite
    keeps any type) fails its event's hash with the field named, and the sweep goes on; it used to
    stop the checkpoint and verify with an AttributeError."""
    rows = _history("P-0001")
    rows[2][column] = value
    items, state = _check("P-0001", [tuple(r) for r in rows])
    assert [(i["code"], i["seq"]) for i in items] == [("P-0001", 3)]
    # read another way where it can be (20260302 is the basic ISO form of a day), else unreadable
    assert items[0]["problem"][0] in ("stored_fields_no_longer", "stored_field_cannot_be")
    assert state[1] == len(rows)
