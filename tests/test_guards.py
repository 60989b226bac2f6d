"""The guard registry: every guard passing and failing, with what it says in both languages."""

from __future__ import annotations

import dataclasses

import pytest

from workflow.definition import default_definition
from workflow.errors import BadInput
from workflow.guards import GuardContext, GuardResult, evaluate, failures, is_known_guard

ALL_DOCS = frozenset(
    {
        "committee_decision",
        "contract",
        "planning_permit",
        "land_use",
        "eia",
        "safety_assessment",
        "completion_acceptance",
    }
)
ALL_PASSED = {"industrial_policy": "pass", "environment": "pass", "energy": "pass", "land_use": "pass"}

GOOD = GuardContext(
    name="盛典蓝莓科技开发",
    investor="盛典蓝莓科技开发有限公司",
    industry="agriculture",
    unit="T01",
    planned_investment_minor=120_000_000_00,
    key=True,
    documents=ALL_DOCS,
    checks=ALL_PASSED,
    capital_minor=5_600_000_00,
    has_lead_leader=True,
    reason="investor paused the plan",
)
EMPTY = GuardContext()


def one(guard: str, ctx: GuardContext, labels=None) -> GuardResult:
    [result] = evaluate([guard], ctx, labels)
    assert result.guard == guard
    assert result.message and result.message_zh
    return result


@pytest.mark.parametrize(
    "guard",
    [
        "has_name",
        "has_investor",
        "has_industry",
        "has_unit",
        "has_planned_investment",
        "key_has_lead_leader",
        "capital_in_place",
        "reason_given",
        "document:contract",
        "document:anything_new",
        "check:environment",
    ],
)
def test_known_guards(guard):
    assert is_known_guard(guard)


@pytest.mark.parametrize(
    "guard", ["", "is_lucky", "document:", "check:", "doc:contract", "document:Bad Kind", "x:y"]
)
def test_unknown_guards(guard):
    assert not is_known_guard(guard)


@pytest.mark.parametrize(
    ("guard", "attr", "en_ok", "en_missing", "zh_missing"),
    [
        ("has_name", "name", "name is set", "name is missing", "项目名称未填写"),
        ("has_investor", "investor", "investor is set", "investor is missing", "投资方未填写"),
        ("has_industry", "industry", "industry is set", "industry is missing", "行业未填写"),
        ("has_unit", "unit", "responsible unit is set", "responsible unit is missing", "责任单位未填写"),
    ],
)
def test_field_guards(guard, attr, en_ok, en_missing, zh_missing):
    ok = one(guard, GOOD)
    assert ok.ok and ok.message == en_ok and ok.text("zh").endswith("已填写")
    for empty in (None, "", "   "):
        bad = one(guard, dataclasses.replace(GOOD, **{attr: empty}))
        assert not bad.ok
        assert bad.message == en_missing and bad.text("en") == en_missing
        assert bad.message_zh == zh_missing and bad.text("zh") == zh_missing


def test_planned_investment():
    assert one("has_planned_investment", GOOD).ok
    for amount in (0, -5):
        bad = one("has_planned_investment", dataclasses.replace(GOOD, planned_investment_minor=amount))
        assert not bad.ok
        assert bad.message == "planned investment must be greater than 0"
        assert bad.message_zh == "计划投资必须大于0"


def test_key_project_lead_leader():
    ok = one("key_has_lead_leader", GOOD)
    assert ok.ok and "has its county-level lead leader" in ok.message
    bad = one("key_has_lead_leader", dataclasses.replace(GOOD, has_lead_leader=False))
    assert not bad.ok
    assert bad.message == "a key project needs its county-level lead leader"
    assert "县级包保领导" in bad.message_zh
    not_key = one("key_has_lead_leader", dataclasses.replace(GOOD, key=False, has_lead_leader=False))
    assert not_key.ok and not_key.message == "not a key project"


def test_capital_in_place():
    ok = one("capital_in_place", GOOD)
    assert ok.ok and ok.message == "capital in place > 0"
    bad = one("capital_in_place", dataclasses.replace(GOOD, capital_minor=0))
    assert not bad.ok and "capital in place must be > 0" in bad.message
    assert "到位资金" in bad.message_zh


def test_reason_given():
    ok = one("reason_given", GOOD)
    assert ok.ok and ok.message == "a reason is given"
    for empty in (None, "", " \t"):
        bad = one("reason_given", dataclasses.replace(GOOD, reason=empty))
        assert not bad.ok
        assert bad.message == "a reason is required (--reason)"
        assert bad.message_zh == "须填写原因（--reason）"


def test_document_guard_without_and_with_labels():
    ok = one("document:contract", GOOD)
    assert ok.ok and ok.message == "document contract is recorded"
    bad = one("document:contract", EMPTY)
    assert not bad.ok and bad.message == "no contract document recorded"

    labels = default_definition().guard_labels
    ok = one("document:contract", GOOD, labels)
    assert ok.message == "document contract (合同) is recorded"
    assert ok.message_zh == "合同文件已登记"
    bad = one("document:eia", EMPTY, labels)
    assert bad.message == "no eia (环评) document recorded"
    assert bad.message_zh == "未登记环评文件（eia）"


def test_check_guard_passed_failed_and_not_recorded():
    ok = one("check:environment", GOOD)
    assert ok.ok and ok.message == "check environment passed"
    failed = one("check:environment", dataclasses.replace(GOOD, checks={"environment": "fail"}))
    assert not failed.ok and failed.message == "check environment not passed (failed)"
    missing = one("check:environment", EMPTY)
    assert not missing.ok and missing.message == "check environment not recorded"

    labels = default_definition().guard_labels
    failed = one("check:environment", dataclasses.replace(GOOD, checks={"environment": "fail"}), labels)
    assert failed.message == "check environment (环保红线) not passed (failed)"
    assert failed.message_zh == "环保红线审查未通过"
    assert one("check:energy", GOOD, labels).message_zh == "能耗审查已通过"


def test_evaluate_reports_every_failure_in_order_not_just_the_first():
    guards = default_definition().transition("submit").guards
    results = evaluate(guards, EMPTY)
    assert [r.guard for r in results] == list(guards)
    assert [r.ok for r in results] == [False] * 5
    assert [r.message for r in failures(results)] == [
        "name is missing",
        "investor is missing",
        "industry is missing",
        "responsible unit is missing",
        "planned investment must be greater than 0",
    ]


def test_evaluate_mixed_results_keep_passing_guards():
    guards = default_definition().transition("approve").guards
    ctx = dataclasses.replace(
        GOOD, documents=frozenset(), checks={"industrial_policy": "pass", "environment": "fail"}
    )
    results = evaluate(guards, ctx, default_definition().guard_labels)
    assert [r.ok for r in results] == [False, True, False, False, False]
    assert [r.guard for r in failures(results)] == [
        "document:committee_decision",
        "check:environment",
        "check:energy",
        "check:land_use",
    ]


@pytest.mark.parametrize("trigger", [t.trigger for t in default_definition().transitions])
def test_every_default_transition_passes_with_a_complete_project(trigger):
    guards = default_definition().transition(trigger).guards
    assert all(r.ok for r in evaluate(guards, GOOD, default_definition().guard_labels))


def test_evaluate_of_no_guards_is_empty():
    assert evaluate([], EMPTY) == []


def test_evaluate_refuses_an_unknown_guard():
    with pytest.raises(BadInput):
        evaluate(["has_name", "is_lucky"], GOOD)


def test_result_as_dict_matches_the_json_error_shape():
    bad = one("reason_given", EMPTY)
    assert bad.as_dict() == {"guard": "reason_given", "message": "a reason is required (--reason)",
                             "code": "guard_reason_missing", "fields": {}}
    assert bad.as_dict("zh")["message"] == "须填写原因（--reason）"


_EVERY_GUARD = ["has_name", "has_investor", "has_industry", "has_unit", "has_planned_investment",
                "key_has_lead_leader", "capital_in_place", "reason_given", "document:contract", "document:eia",
                "check:environment", "check:energy"]
_VARIANTS = [
    GOOD, EMPTY,
    dataclasses.replace(GOOD, name="  ", investor=None, reason=""),
    dataclasses.replace(GOOD, has_lead_leader=False),
    dataclasses.replace(GOOD, key=False, has_lead_leader=False, capital_minor=0),
    dataclasses.replace(GOOD, documents=frozenset({"eia"}), checks={"environment": "fail"}),
    dataclasses.replace(GOOD, planned_investment_minor=0, checks={"energy": "pass"}),
]


@pytest.mark.parametrize("ctx", _VARIANTS)
@pytest.mark.parametrize("guard", _EVERY_GUARD)
def test_all_hold_says_what_evaluate_finds(guard, ctx):
    """Verify asks ``all_hold`` first and words the results only when it is False: both must agree on
    every guard, alone and together."""
    from workflow.guards import all_hold

    assert all_hold([guard], ctx) is evaluate([guard], ctx)[0].ok
    assert all_hold(_EVERY_GUARD, ctx) is all(r.ok for r in evaluate(_EVERY_GUARD, ctx))


def test_all_hold_refuses_an_unknown_guard():
    from workflow.guards import all_hold

    with pytest.raises(BadInput):
        all_hold(["has_name", "no_such_guard"], GOOD)


def _projects_and_facts():
    """Varied project rows and guard facts: every field set, missing, blank or zero, in many mixes."""
    import random
    from types import SimpleNamespace

    from workflow.events import Facts

    rng = random.Random(7)
    texts = [None, "", "  ", "项目", "x"]
    for _ in range(300):
        project = SimpleNamespace(name=rng.choice(texts), investor=rng.choice(texts), industry=rng.choice(texts),
                                  unit_code=rng.choice([None, "", "U01"]),
                                  planned_investment_minor=rng.choice([0, 1, -5, 120_000_000_00]),
                                  key=rng.choice([False, True, None, 0, 1]))
        facts = Facts(documents=set(rng.sample(sorted(ALL_DOCS), rng.randrange(len(ALL_DOCS) + 1))),
                      checks={item: rng.choice(["pass", "fail", "waived"])
                              for item in rng.sample(sorted(ALL_PASSED), rng.randrange(len(ALL_PASSED) + 1))},
                      capital=rng.choice([0, 1, -1, 5_600_000_00]),
                      holders=rng.choice([{}, {"lead_leader": []}, {"lead_leader": [{"person_login": "l1"}]},
                                          {"leader": [{"person_login": "l2"}]}]))
        yield project, facts, rng.choice([None, "", " ", "investor paused the plan"])


def test_project_context_reads_what_context_of_copies():
    """The replay judges guards on `ProjectContext` (the project as it stands), a write on the snapshot
    ``context_of`` makes: on varied projects both give every field alike, and ``all_hold`` and
    ``evaluate`` find the same of every guard, alone and together."""
    from workflow.guards import ProjectContext, all_hold, context_of

    fields = [f.name for f in dataclasses.fields(GuardContext)]
    for project, facts, reason in _projects_and_facts():
        live, snapshot = ProjectContext(project, facts, reason), context_of(project, facts, reason)
        for f in fields:
            assert getattr(live, f) == getattr(snapshot, f), f
        for guard in _EVERY_GUARD:
            assert all_hold([guard], live) is all_hold([guard], snapshot) is evaluate([guard], snapshot)[0].ok
        assert evaluate(_EVERY_GUARD, live) == evaluate(_EVERY_GUARD, snapshot)
        assert all_hold(tuple(_EVERY_GUARD), live) is all(r.ok for r in evaluate(_EVERY_GUARD, snapshot))


def test_context_of_given_guards_reads_only_their_facts():
    """With ``guards`` given, ``context_of`` leaves out the facts no such guard reads."""
    from workflow.guards import context_of

    for project, facts, reason in _projects_and_facts():
        full = context_of(project, facts, reason)
        assert context_of(project, facts, reason, guards=[]) == dataclasses.replace(
            full, documents=frozenset(), checks={}, capital_minor=0, has_lead_leader=False)
        assert context_of(project, facts, reason, guards=iter(_EVERY_GUARD)) == full


def test_all_hold_judges_names_as_evaluate_does_in_any_order():
    """``all_hold`` works out each name's condition once: an unknown name (or one that is no name)
    is refused where ``evaluate`` refuses it, and any iterable of names is judged in order (a guard
    that does not hold before an unknown one ends the judgement, as it always did)."""
    from workflow.guards import all_hold

    with pytest.raises(BadInput):
        all_hold(("has_name", ["not", "a", "name"]), GOOD)
    with pytest.raises(BadInput):
        all_hold(iter(["has_name", "document:"]), GOOD)
    assert all_hold(("has_name", "no_such_guard"), EMPTY) is False
    assert all_hold((g for g in _EVERY_GUARD), GOOD) is True
    assert all_hold((g for g in _EVERY_GUARD), EMPTY) is False
