"""The replay's problems and the city's refusals of a bundle in the run's language
(workflow/catalogue/replay.toml): every problem ``audit verify`` and ``city load`` report is a catalogue
message whose English is the text it always was and whose Chinese leaves no English but the values
it names (stage keys, kinds, triggers, logins as recorded)."""

from __future__ import annotations

import json
import re
import tomllib

import pytest

from tests.test_city_attacks import _city, _forge, made  # noqa: F401 - ``made`` is a fixture
from workflow.catalogue import HERE, Message, catalogue, fields_of


def _codes() -> list[str]:
    with (HERE / "replay.toml").open("rb") as f:
        return list(tomllib.load(f))


def test_every_replay_and_bundle_entry_has_the_same_fields_in_both_languages():
    codes = _codes()
    assert len(codes) > 30 and all(c.startswith(("replay_", "bundle_")) for c in codes)
    cat = catalogue()
    for code in codes:
        assert fields_of(cat[code]["en"]) == fields_of(cat[code]["zh"]), code
        assert re.search(r"[\u4e00-\u9fff]", cat[code]["zh"]), code


# --- a tiny forged history, replayed ----------------------------------------------------------------------

_REGISTRATION = {"name": "宾馆建设项目", "investor": None, "origin": None, "industry": None, "category": None,
                 "key": False, "planned_investment_minor": 0, "unit_code": None, "workflow_name": "investment",
                 "workflow_version": 1, "plan": {"sign": None, "fund": None, "break_ground": None, "commission": None}}
_FOLLOWUP = {"note": "visited", "contact": None, "next_step": None, "next_on": None}


def _row(seq: int, kind: str, trigger: str | None = None, frm: str | None = None, to: str | None = None,
         on: str = "2026-03-02", actor: str = "admin", payload: object = None) -> tuple:
    text = payload if isinstance(payload, str) else json.dumps(payload if payload is not None else {})
    return (seq, 1, seq, kind, trigger, frm, to, on, "2026-03-02 09:00:00.000000", actor, None, text,
            "0" * 64, "f" * 64)


# (seq, the English the problem always had)
EXPECTED = [
    (2, "a second registration"),
    (3, "effective date 2026-03-01 lies before the registration (2026-03-02)"),
    (3, "transition dated 2026-03-01, before the previous transition (2026-03-02)"),
    (3, "shortcut is not a legal transition from 'lead'"),
    (4, "the actor 'mallory' is not a known user"),
    (5, "the event cannot be read as a 'bogus' event (ValueError: unknown event kind 'bogus')"),
    (6, "the event cannot be read as a 'followup' event (TypeError: the payload is not an object)"),
    (7, "the actor 'lead9' (role leader) may not record a transition event"),
    (7, "submit is not a legal transition from 'signed'"),  # the shortcut was applied all the same
    (8, "the leader 'lead9' holds no role on P-0001 and may not add its follow-ups"),
]


def _replayed():
    from workflow.replay import replay_project

    rows = [_row(1, "registered", to="lead", payload=_REGISTRATION),
            _row(2, "registered", to="lead", payload=_REGISTRATION),
            _row(3, "transition", "shortcut", "lead", "signed", on="2026-03-01"),
            _row(4, "followup", actor="mallory", payload=_FOLLOWUP),
            _row(5, "bogus"),
            _row(6, "followup", payload="[]"),
            _row(7, "transition", "submit", "lead", "screening", actor="lead9"),
            _row(8, "followup", actor="lead9", payload=_FOLLOWUP)]
    return replay_project(1, "P-0001", iter(rows), {"admin": "admin", "lead9": "leader"})


def _values(message: Message) -> list[str]:
    """The values a message names, as it may show them (nested messages' values too)."""
    out: list[str] = []
    for value in message.fields.values():
        if isinstance(value, Message):
            out += _values(value)
        else:
            out += [repr(value), str(value)]
    return sorted(out, key=len, reverse=True)


def test_a_forged_history_is_reported_in_english_as_before_and_wholly_in_chinese():
    problems = [p for p in _replayed().problems if p["seq"] > 1]
    assert [(p["seq"], str(p["problem"])) for p in problems] == EXPECTED
    codes = set()
    for p in problems:
        message = p["problem"]
        assert isinstance(message, Message) and message.code.startswith("replay_"), message
        codes.add(message.code)
        zh = message.text("zh")
        assert re.search(r"[\u4e00-\u9fff]", zh), zh
        rest = zh
        for value in _values(message):
            rest = rest.replace(value, " ")
        assert re.findall(r"[A-Za-z]{2,}", rest.replace("JSON", "")) == [], zh
    assert len(codes) >= 7
    shown = {str(p["problem"]): p["problem"].text("zh") for p in problems}
    assert shown["a second registration"] == "第二次登记"
    assert shown["the actor 'mallory' is not a known user"] == "账号 'mallory' 不是已知用户"
    assert shown["shortcut is not a legal transition from 'lead'"] == "shortcut 不是从 'lead' 出发的合法阶段变更"
    assert "未知的事件类型 'bogus'" in shown[EXPECTED[5][1]]  # the reader's own words, in Chinese too
    assert "（角色为领导）" in shown[EXPECTED[7][1]]


def test_the_problems_keep_their_fields_and_compare_equal_to_their_english():
    problems = {p["seq"]: p for p in _replayed().problems if p["field"] in ("trigger", "actor")}
    assert problems[3]["problem"] == "shortcut is not a legal transition from 'lead'"
    assert (problems[3]["field"], problems[3]["expected"], problems[3]["found"]) == ("trigger", None, "shortcut")
    assert (problems[4]["field"], problems[4]["expected"], problems[4]["found"]) == (
        "actor", "a user whose role may record followup", "mallory")


# --- the city's refusal, end to end -----------------------------------------------------------------------

@pytest.mark.sqlite_only
def test_a_refused_bundle_says_why_in_chinese(cli, made):  # noqa: F811
    """A bundle whose last event is in an unknown login's name, and one whose signed counts lie: each
    refusal names the first bad event or the counts in Chinese, and in English as before."""
    _city(cli, made)
    actor = _forge(made, "first", "zh_unknown_actor", "UPDATE event SET actor = 'mallory' "
                                                       "WHERE id = (SELECT max(id) FROM event);")
    res = cli.admin("city", "load", actor)
    assert res.code == 7 and "first bad event P-" in res.err and "the actor 'mallory' is not a known user" in res.err
    zh = cli.admin("city", "load", actor, lang="zh")
    assert zh.code == 7, zh.err
    assert "数据包被拒收" in zh.err and "第一个不符的事件 P-" in zh.err, zh.err
    assert "账号 'mallory' 不是已知用户" in zh.err, zh.err
    assert "first bad event" not in zh.err and "known user" not in zh.err, zh.err
    counts = _forge(made, "first", "zh_counts_lie",
                    doc=lambda d: d["counts"].update(events=d["counts"]["events"] + 1))
    res = cli.admin("city", "load", counts)
    assert res.code == 7 and "the signed counts (events " in res.err, res.err
    assert "are not the bundle's (events " in res.err, res.err
    zh = cli.admin("city", "load", counts, lang="zh")
    assert zh.code == 7 and "签名的计数（事件 " in zh.err and "与数据包的实际计数（事件 " in zh.err, zh.err
    assert "signed counts" not in zh.err, zh.err


def test_a_derived_row_no_event_made_is_worded_in_chinese():
    """``compare_rows`` names a row the replay does not make with a word of ``ERROR_WORDS``."""
    from workflow.catalogue import Message

    for what, zh in (("a second row for", "第二行，对应事件 5"),
                     ("a row no event made, for", "没有事件生成的一行，对应事件 5")):
        m = Message("event", table="assignment", what=what, seq=5, describe="x")
        assert m.text("zh") == f"assignment：{zh}（x）" and m.text("en") == f"assignment: {what} event 5 (x)"


def test_an_event_kind_in_a_replay_problem_is_its_chinese_label():
    assert Message("replay_actor_may_not_record", actor="li", role="coordinator", kind="followup").text("zh") \
        == "账号 'li'（角色为协调员）不能记录“跟进”事件"
    assert "“资金到位”事件的" in Message("replay_column_no_command", kind="capital", column="to_stage",
                                         stored="x").text("zh")
    assert Message("replay_actor_may_not_record", actor="li", role="coordinator", kind="followup").text() \
        == "the actor 'li' (role coordinator) may not record a followup event"
