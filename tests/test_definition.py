"""The workflow definition: the shipped default, validation of bad definitions, resolving input."""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap

import pytest

from workflow.definition import default_definition, get_definition, load_definition
from workflow.definition_model import Kind, Stage, Transition, WorkflowDefinition
from workflow.errors import BadInput, Refused
from workflow.machine import resolve

STAGES = {
    "lead": ("Lead", "意向在谈", "active"),
    "screening": ("Under committee review", "审核中", "active"),
    "approved": ("Approved for entry", "已准入", "active"),
    "signed": ("Contract signed", "已签约", "active"),
    "funding": ("Capital arriving", "资金到位中", "active"),
    "construction": ("Under construction", "已开工", "active"),
    "production": ("In production", "已投产", "final"),
    "rejected": ("Refused entry", "未准入", "final"),
    "withdrawn": ("Withdrawn / lost", "已终止", "final"),
    "on_hold": ("On hold", "暂缓", "paused"),
    "retired": ("Retired from the pipeline", "已出库", "final"),  # every definition has it (出库)
}
ACTIVE = [k for k, v in STAGES.items() if v[2] == "active"]

DOCUMENTS = {
    "committee_decision": ("Committee decision", "协调委员会意见"),
    "contract": ("Contract", "合同"),
    "planning_permit": ("Planning permit", "规划许可"),
    "land_use": ("Land-use approval", "用地手续"),
    "eia": ("Environmental impact assessment", "环评"),
    "safety_assessment": ("Safety assessment", "安评"),
    "completion_acceptance": ("Completion acceptance", "竣工验收"),
}
CHECKS = {"industrial_policy": "产业政策", "environment": "环保红线", "energy": "能耗", "land_use": "用地"}

# trigger: (sources, dest, guards, needs_reason, auto)
TRANSITIONS = {
    "submit": (
        ["lead"],
        "screening",
        ["has_name", "has_investor", "has_industry", "has_unit", "has_planned_investment"],
        False,
        False,
    ),
    "approve": (
        ["screening"],
        "approved",
        [
            "document:committee_decision",
            "check:industrial_policy",
            "check:environment",
            "check:energy",
            "check:land_use",
        ],
        False,
        False,
    ),
    "reject": (["screening"], "rejected", ["reason_given"], True, False),
    "sign": (["approved"], "signed", ["document:contract", "key_has_lead_leader"], False, False),
    "fund": (["signed"], "funding", ["capital_in_place"], False, True),
    "break_ground": (
        ["funding"],
        "construction",
        ["document:planning_permit", "document:land_use", "document:eia", "document:safety_assessment"],
        False,
        False,
    ),
    "commission": (["construction"], "production", ["document:completion_acceptance"], False, False),
    "hold": (ACTIVE, "on_hold", ["reason_given"], True, False),
    "resume": (["on_hold"], None, [], False, False),
    "withdraw": ([*ACTIVE, "on_hold"], "withdrawn", ["reason_given"], True, False),
}


@pytest.fixture(scope="module")
def defn() -> WorkflowDefinition:
    return default_definition()


# --- the shipped default -------------------------------------------------------------------------


def test_default_has_ten_stages_exactly_as_the_spec(defn):
    assert defn.name == "investment" and defn.version == 1
    assert defn.initial == "lead"
    assert defn.stage_keys == tuple(STAGES)
    for key, (en, zh, kind) in STAGES.items():
        assert defn.stage(key) == Stage(key, en, zh, kind)
        assert defn.stage_label(key, "en") == en
        assert defn.stage_label(key, "zh") == zh


def test_default_has_ten_transitions_exactly_as_the_brief(defn):
    assert defn.triggers == tuple(TRANSITIONS)
    for trigger, (sources, dest, guards, needs_reason, auto) in TRANSITIONS.items():
        t = defn.transition(trigger)
        assert list(t.sources) == sources, trigger
        assert t.dest == dest, trigger
        assert list(t.guards) == guards, trigger
        assert (t.needs_reason, t.auto) == (needs_reason, auto), trigger
        assert t.en and t.zh, trigger
        assert all(not s.startswith("@") for s in t.sources)


def test_default_documents_and_checks_with_labels(defn):
    assert {d.key: (d.en, d.zh) for d in defn.documents} == DOCUMENTS
    assert {c.key: c.zh for c in defn.checks} == CHECKS
    assert all(c.en for c in defn.checks)
    assert defn.document_label("eia", "zh") == "环评"
    assert defn.document_label("safety_assessment", "en") == "Safety assessment"
    assert defn.check_label("environment", "zh") == "环保红线"
    assert defn.guard_labels["document:eia"] == ("Environmental impact assessment", "环评")


def test_label_helpers_in_both_languages(defn):
    assert defn.label("signed", "zh") == "已签约"
    assert defn.label("signed", "zh_CN.UTF-8") == "已签约"
    assert defn.label("signed", "en") == "Contract signed"
    assert defn.label("submit", "en", of="trigger") == "Submit for committee review"
    assert defn.label("contract", "zh", of="document") == "合同"
    assert defn.label("energy", "zh", of="check") == "能耗"
    with pytest.raises(BadInput):
        defn.label("signed", "en", of="nope")


def test_default_is_cached_and_get_definition(defn):
    assert default_definition() is defn
    assert get_definition("investment", 1) is defn
    with pytest.raises(BadInput):
        get_definition("investment", 2)
    with pytest.raises(BadInput):
        get_definition("other", 1)


def test_loading_needs_no_transitions_package():
    code = (
        "import sys\n"
        "from workflow.definition import default_definition\n"
        "default_definition()\n"
        "bad = [m for m in ('transitions', 'sqlalchemy', 'typer', 'rich') if m in sys.modules]\n"
        "assert not bad, bad\n"
    )
    subprocess.run([sys.executable, "-c", code], check=True)


def test_as_dict_is_json_ready(defn):
    data = json.loads(json.dumps(defn.as_dict(), ensure_ascii=False))
    assert data["name"] == "investment" and data["version"] == 1
    assert [s["key"] for s in data["stages"]] == list(STAGES)
    resume = next(t for t in data["transitions"] if t["trigger"] == "resume")
    assert resume["dest"] is None and resume["to_held_from"] is True
    hold = next(t for t in data["transitions"] if t["trigger"] == "hold")
    assert hold["needs_reason"] is True and hold["sources"] == ACTIVE
    assert len(data["documents"]) == 7 and len(data["checks"]) == 4


def test_unknown_stage_and_trigger_lookups_list_the_known_ones(defn):
    with pytest.raises(BadInput) as err:
        defn.stage("nowhere")
    assert "lead" in err.value.message and "on_hold" in err.value.message
    with pytest.raises(BadInput) as err:
        defn.transition("teleport")
    assert "submit" in err.value.message and "withdraw" in err.value.message
    with pytest.raises(BadInput):
        defn.document("passport")
    with pytest.raises(BadInput):
        defn.check("luck")


def test_the_machine_lists_the_transitions_out_of_a_stage(defn):
    from workflow.machine import routes

    def triggers(stage):
        return [r.transition.trigger for r in routes(defn, stage)]

    assert triggers("lead") == ["submit", "hold", "withdraw"]
    assert triggers("screening") == ["approve", "reject", "hold", "withdraw"]
    assert triggers("on_hold") == ["resume", "withdraw"]
    for final in ("production", "rejected", "withdrawn"):
        assert routes(defn, final) == []


def test_the_machine_says_where_a_trigger_leads(defn):
    from workflow.machine import route

    assert route(defn, "approved", "sign").dest == "signed"
    assert route(defn, "on_hold", "resume", "funding").dest == "funding"
    assert route(defn, "on_hold", "resume", None).dest is None  # no stage to return to
    assert route(defn, "lead", "sign") is None  # no such transition from lead


# --- resolve -------------------------------------------------------------------------------------


@pytest.mark.parametrize("trigger", list(TRANSITIONS))
def test_resolve_by_trigger_from_each_source(defn, trigger):
    for source in defn.transition(trigger).sources:
        assert resolve(defn, source, trigger, held_from="signed").trigger == trigger


@pytest.mark.parametrize(
    ("stage", "target", "trigger", "held_from"),
    [
        ("lead", "screening", "submit", None),
        ("screening", "approved", "approve", None),
        ("screening", "rejected", "reject", None),
        ("approved", "signed", "sign", None),
        ("signed", "funding", "fund", None),
        ("funding", "construction", "break_ground", None),
        ("construction", "production", "commission", None),
        ("construction", "on_hold", "hold", None),
        ("lead", "withdrawn", "withdraw", None),
        ("on_hold", "withdrawn", "withdraw", "signed"),
        ("on_hold", "signed", "resume", "signed"),
    ],
)
def test_resolve_by_target_stage(defn, stage, target, trigger, held_from):
    assert resolve(defn, stage, target, held_from).trigger == trigger


def test_resolve_accepts_labels(defn):
    assert resolve(defn, "approved", "已签约").trigger == "sign"
    assert resolve(defn, "approved", "contract signed").trigger == "sign"
    assert resolve(defn, "funding", "开工").trigger == "break_ground"
    assert resolve(defn, "lead", "  submit ").trigger == "submit"


def test_resolve_unknown_word_is_bad_input(defn):
    with pytest.raises(BadInput) as err:
        resolve(defn, "lead", "teleport")
    assert "submit" in err.value.message and "screening" in err.value.message


def test_resolve_unknown_current_stage_is_bad_input(defn):
    with pytest.raises(BadInput):
        resolve(defn, "limbo", "submit")


def test_resolve_known_but_not_open_is_refused(defn):
    with pytest.raises(Refused) as err:
        resolve(defn, "lead", "sign")
    msg = err.value.message
    assert "lead" in msg and "submit" in msg and "hold" in msg and "withdraw" in msg
    with pytest.raises(Refused) as err:
        resolve(defn, "lead", "signed")
    assert "lead" in err.value.message and "submit -> screening" in err.value.message


def test_resolve_from_final_stage_is_refused(defn):
    for final in ("production", "rejected", "withdrawn"):
        with pytest.raises(Refused) as err:
            resolve(defn, final, "hold")
        assert "final" in err.value.message and final in err.value.message


def test_resolve_resume_target_must_be_the_held_from_stage(defn):
    with pytest.raises(Refused):
        resolve(defn, "on_hold", "lead", held_from="signed")
    with pytest.raises(Refused):
        resolve(defn, "on_hold", "signed", held_from=None)


def test_resolve_to_the_current_stage_is_refused(defn):
    with pytest.raises(Refused) as err:
        resolve(defn, "signed", "signed")
    assert "already" in err.value.message


def test_resolve_ambiguous_target_asks_for_the_trigger():
    defn = load_definition(
        _toml(
            extra_transitions="""
            [[transitions]]
            trigger = "shortcut"
            en = "Shortcut"
            zh = "捷径"
            sources = ["a"]
            dest = "b"
            """
        )
    )
    with pytest.raises(BadInput) as err:
        resolve(defn, "a", "b")
    assert "go" in err.value.message and "shortcut" in err.value.message


# --- validation ----------------------------------------------------------------------------------

BASE_STAGES = """
    [[stages]]
    key = "a"
    en = "A"
    zh = "甲"
    kind = "active"

    [[stages]]
    key = "b"
    en = "B"
    zh = "乙"
    kind = "final"
"""

BASE_TRANSITIONS = """
    [[transitions]]
    trigger = "go"
    en = "Go"
    zh = "走"
    sources = ["a"]
    dest = "b"
    guards = ["has_name", "document:memo"]
"""


def _toml(stages=BASE_STAGES, transitions=BASE_TRANSITIONS, extra_transitions="", head=None) -> str:
    head = head if head is not None else 'name = "tiny"\nversion = 1\n'
    docs = '\n[[documents]]\nkey = "memo"\nen = "Memo"\nzh = "备忘"\n'
    body = textwrap.dedent(transitions) + textwrap.dedent(extra_transitions)
    return head + textwrap.dedent(stages) + docs + body


def _problems(tmp_path, text: str) -> list[dict]:
    path = tmp_path / "wf.toml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(BadInput) as err:
        load_definition(path)
    details = err.value.details
    assert details, "a BadInput from the loader lists its problems"
    assert all(set(d) == {"field", "message"} for d in details)
    return details


def _messages(details: list[dict]) -> str:
    return "\n".join(f"{d['field']}: {d['message']}" for d in details)


def test_tiny_valid_definition_loads_from_path_and_text(tmp_path):
    path = tmp_path / "wf.toml"
    path.write_text(_toml(), encoding="utf-8")
    for source in (path, str(path), _toml(), _toml().encode()):
        defn = load_definition(source)
        assert defn.name == "tiny" and defn.stage_keys == ("a", "b", "retired") and defn.initial == "a"
        assert defn.transition("go").guards == ("has_name", "document:memo")


def test_the_shipped_file_validates_from_its_path():
    from importlib.resources import files

    path = files("workflow") / "definitions" / "investment.toml"
    assert load_definition(str(path)) == default_definition()


def test_syntax_error_reports_the_line(tmp_path):
    details = _problems(tmp_path, 'name = "tiny"\nversion = 1\n[[stages]\nkey = "a"\n')
    assert details[0]["field"] == "toml"
    assert "line 3" in details[0]["message"]


def test_missing_file_is_bad_input(tmp_path):
    with pytest.raises(BadInput):
        load_definition(tmp_path / "absent.toml")


def test_unknown_stage_in_sources_and_dest(tmp_path):
    text = _toml(
        extra_transitions="""
        [[transitions]]
        trigger = "jump"
        en = "Jump"
        zh = "跳"
        sources = ["a", "nowhere"]
        dest = "elsewhere"
        """
    )
    msgs = _messages(_problems(tmp_path, text))
    assert "transitions[1].sources: unknown stage 'nowhere'" in msgs
    assert "transitions[1].dest: unknown stage 'elsewhere'" in msgs


def test_unreachable_stage(tmp_path):
    stages = BASE_STAGES + """
    [[stages]]
    key = "island"
    en = "Island"
    zh = "孤岛"
    kind = "final"
    """
    msgs = _messages(_problems(tmp_path, _toml(stages=stages)))
    assert "'island' is not reachable" in msgs


def test_unknown_guard(tmp_path):
    text = _toml(transitions=BASE_TRANSITIONS.replace('"has_name"', '"has_name", "is_lucky", "checked:x"'))
    msgs = _messages(_problems(tmp_path, text))
    assert "unknown guard 'is_lucky'" in msgs
    assert "unknown guard 'checked:x'" in msgs


def test_guard_naming_an_undeclared_document_or_check(tmp_path):
    text = _toml(transitions=BASE_TRANSITIONS.replace('"document:memo"', '"document:visa", "check:luck"'))
    msgs = _messages(_problems(tmp_path, text))
    assert "undeclared document kind 'visa'" in msgs
    assert "undeclared check item 'luck'" in msgs


def test_duplicate_stage_and_trigger(tmp_path):
    stages = BASE_STAGES + """
    [[stages]]
    key = "a"
    en = "A again"
    zh = "甲二"
    kind = "active"
    """
    text = _toml(stages=stages, extra_transitions=BASE_TRANSITIONS)
    msgs = _messages(_problems(tmp_path, text))
    assert "stages[2].key: duplicate stage 'a'" in msgs
    assert "transitions[1].trigger: duplicate trigger 'go'" in msgs


def test_bad_kind(tmp_path):
    msgs = _messages(_problems(tmp_path, _toml(stages=BASE_STAGES.replace('"final"', '"finished"'))))
    assert "stages[1].kind: kind 'finished' is not one of active, final, paused" in msgs


def test_transition_out_of_a_final_stage(tmp_path):
    text = _toml(
        extra_transitions="""
        [[transitions]]
        trigger = "undo"
        en = "Undo"
        zh = "撤回"
        sources = ["b"]
        dest = "a"
        """
    )
    msgs = _messages(_problems(tmp_path, text))
    assert "transitions[1].sources: transition 'undo' leads out of final stage 'b'" in msgs


def test_missing_keys_and_labels(tmp_path):
    text = (
        'version = 1\n[[stages]]\nkey = "a"\nkind = "active"\n'
        '[[transitions]]\ntrigger = "go"\nsources = "a"\n'
    )
    details = _problems(tmp_path, text)
    msgs = _messages(details)
    assert "name: missing 'name'" in msgs
    assert "stages[0].en: missing label 'en'" in msgs
    assert "stages[0].zh: missing label 'zh'" in msgs
    assert "transitions[0].en: missing label 'en'" in msgs
    assert "transitions[0].dest: missing 'dest'" in msgs


def test_missing_stages_and_transitions(tmp_path):
    msgs = _messages(_problems(tmp_path, 'name = "x"\nversion = 1\n'))
    assert "stages: missing 'stages'" in msgs
    assert "transitions: missing 'transitions'" in msgs


def test_unknown_keys_are_reported_not_ignored(tmp_path):
    text = _toml(transitions=BASE_TRANSITIONS.replace("guards =", "gaurds ="))
    msgs = _messages(_problems(tmp_path, text))
    assert "transitions[0].gaurds: unknown key 'gaurds'" in msgs


def test_bad_version_and_flags(tmp_path):
    text = _toml(head='name = "tiny"\nversion = "one"\n', extra_transitions="")
    text = text.replace('dest = "b"', 'dest = "b"\nneeds_reason = "yes"')
    msgs = _messages(_problems(tmp_path, text))
    assert "version: 'version' must be an integer >= 1" in msgs
    assert "'needs_reason' must be true or false" in msgs


def test_held_from_dest_needs_paused_sources(tmp_path):
    text = _toml(
        extra_transitions="""
        [[transitions]]
        trigger = "back"
        en = "Back"
        zh = "回"
        sources = ["a"]
        dest = "@held_from"
        """
    )
    msgs = _messages(_problems(tmp_path, text))
    assert "'@held_from' needs paused sources only" in msgs


def test_unknown_group_and_unknown_initial(tmp_path):
    text = _toml(
        head='name = "tiny"\nversion = 1\ninitial = "zzz"\n',
        transitions=BASE_TRANSITIONS.replace('sources = ["a"]', 'sources = ["@busy"]'),
    )
    msgs = _messages(_problems(tmp_path, text))
    assert "unknown group '@busy'" in msgs
    assert "initial: initial stage 'zzz' is not a declared stage" in msgs


def test_group_matching_no_stage(tmp_path):
    text = _toml(transitions=BASE_TRANSITIONS.replace('sources = ["a"]', 'sources = ["a", "@paused"]'))
    msgs = _messages(_problems(tmp_path, text))
    assert "transitions[0].sources: group '@paused' matches no stage" in msgs


def test_non_final_stage_without_a_way_out(tmp_path):
    stages = BASE_STAGES + """
    [[stages]]
    key = "stuck"
    en = "Stuck"
    zh = "卡住"
    kind = "active"
    """
    text = _toml(
        stages=stages,
        extra_transitions="""
        [[transitions]]
        trigger = "wander"
        en = "Wander"
        zh = "游荡"
        sources = ["a"]
        dest = "stuck"
        """,
    )
    msgs = _messages(_problems(tmp_path, text))
    assert "'stuck' is active but has no transition out" in msgs


def test_several_problems_are_all_reported_at_once(tmp_path):
    stages = (
        BASE_STAGES.replace('"final"', '"done"')
        + """
    [[stages]]
    key = "a"
    en = "dup"
    zh = "重"
    kind = "active"

    [[stages]]
    key = "lonely"
    en = "Lonely"
    zh = "孤"
    kind = "final"
    """
    )
    transitions = BASE_TRANSITIONS.replace('"has_name"', '"is_lucky"')
    transitions = transitions.replace('dest = "b"', 'dest = "nowhere"')
    details = _problems(tmp_path, _toml(stages=stages, transitions=transitions))
    msgs = _messages(details)
    for expected in (
        "kind 'done' is not one of",
        "duplicate stage 'a'",
        "unknown guard 'is_lucky'",
        "unknown stage 'nowhere' in dest",
        "'lonely' is not reachable",
    ):
        assert expected in msgs
    assert len(details) >= 5


def test_hand_built_definition_defaults_initial_to_first_stage():
    defn = WorkflowDefinition(
        name="hand",
        version=1,
        stages=(Stage("x", "X", "X", "active"), Stage("y", "Y", "Y", "final")),
        transitions=(Transition("go", ("x",), "y", (), "Go", "走"),),
        documents=(Kind("memo", "Memo", "备忘"),),
    )
    assert defn.initial == "x"
    assert resolve(defn, "x", "y").trigger == "go"
    assert hash(defn) == hash(
        WorkflowDefinition(
            name="hand",
            version=1,
            stages=(Stage("x", "X", "X", "active"), Stage("y", "Y", "Y", "final")),
            transitions=(Transition("go", ("x",), "y", (), "Go", "走"),),
            documents=(Kind("memo", "Memo", "备忘"),),
        )
    )
