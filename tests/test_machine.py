"""The cached transitions machine: firing on plain rows, refusals, hold/resume, diagrams."""

from __future__ import annotations

import gc
import subprocess
import sys
from dataclasses import dataclass

import pytest
from transitions import Machine

from workflow.definition import default_definition, load_definition
from workflow.errors import BadInput, Refused
from workflow.machine import ProjectState, diagram, fire, machine_for

DEFN = default_definition()
ACTIVE = [s.key for s in DEFN.stages if s.kind == "active"]
FINAL = [s.key for s in DEFN.stages if s.kind == "final"]


@dataclass
class Row:
    """Stands in for the project row: only `stage` and `held_from` matter here."""

    stage: str
    held_from: str | None = None


def test_machine_is_built_once_and_has_no_models():
    m1 = machine_for(DEFN)
    m2 = machine_for(default_definition())
    assert m1 is m2
    assert isinstance(m1, Machine)
    assert m1.models == []
    assert list(m1.states) == list(DEFN.stage_keys)  # no stray 'initial' state
    assert set(m1.events) == set(DEFN.triggers)  # auto_transitions=False: no to_<stage> triggers


def test_machine_for_an_equal_definition_loaded_again_is_the_same_machine():
    from importlib.resources import files

    again = load_definition(str(files("workflow") / "definitions" / "investment.toml"))
    assert again is not DEFN and again == DEFN
    assert machine_for(again) is machine_for(DEFN)


def test_a_different_definition_with_the_same_name_gets_its_own_machine():
    text = """
    name = "investment"
    version = 1
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
    [[transitions]]
    trigger = "go"
    en = "Go"
    zh = "走"
    sources = "a"
    dest = "b"
    """
    other = load_definition(text)
    try:
        m = machine_for(other)
        assert list(m.states) == ["a", "b", "retired"]
        row = Row("a")
        assert fire(other, row, "go") == ("a", "b")
    finally:
        machine_for(DEFN)  # put the default back in the cache for the other tests


def test_project_state_wraps_the_row():
    row = Row("signed", None)
    ps = ProjectState(row)
    assert ps.state == "signed"
    ps.state = "funding"
    assert row.stage == "funding"
    row.held_from = "lead"
    assert ps.held_from == "lead"
    ps.held_from = "approved"  # what the machine's after-callback writes
    assert row.held_from == "approved"


HAPPY_PATH = [
    ("submit", "lead", "screening"),
    ("approve", "screening", "approved"),
    ("sign", "approved", "signed"),
    ("fund", "signed", "funding"),
    ("break_ground", "funding", "construction"),
    ("commission", "construction", "production"),
]


def test_happy_path_from_lead_to_production():
    row = Row("lead")
    for trigger, src, dest in HAPPY_PATH:
        assert fire(DEFN, row, trigger) == (src, dest)
        assert row.stage == dest and row.held_from is None


def _cases():
    """(trigger, from_stage, expected_dest) for every trigger from each allowed stage."""
    for t in DEFN.transitions:
        for src in t.sources:
            if t.dest is None:
                for held in ACTIVE:
                    yield (t.trigger, src, held, held)
            else:
                yield (t.trigger, src, None, t.dest)


@pytest.mark.parametrize(("trigger", "src", "held_from", "dest"), list(_cases()))
def test_fire_every_trigger_from_each_allowed_stage(trigger, src, held_from, dest):
    row = Row(src, held_from)
    assert fire(DEFN, row, trigger) == (src, dest)
    assert row.stage == dest
    if dest == "on_hold":
        assert row.held_from == src
    else:
        assert row.held_from is None


@pytest.mark.parametrize(
    ("trigger", "src"),
    [(t.trigger, s) for t in DEFN.transitions for s in DEFN.stage_keys if s not in t.sources],
)
def test_fire_from_a_disallowed_stage_is_refused_and_changes_nothing(trigger, src):
    row = Row(src, "lead" if src == "on_hold" else None)
    with pytest.raises(Refused) as err:
        fire(DEFN, row, trigger)
    assert row.stage == src
    assert row.held_from == ("lead" if src == "on_hold" else None)
    assert src in err.value.message and trigger in err.value.message


@pytest.mark.parametrize("final", FINAL)
def test_final_stages_have_no_way_out(final):
    for trigger in DEFN.triggers:
        with pytest.raises(Refused) as err:
            fire(DEFN, Row(final), trigger)
        assert "final" in err.value.message


@pytest.mark.parametrize("stage", ACTIVE)
def test_hold_resume_round_trip_returns_to_the_held_from_stage(stage):
    row = Row(stage)
    assert fire(DEFN, row, "hold") == (stage, "on_hold")
    assert row.held_from == stage
    assert fire(DEFN, row, "resume") == ("on_hold", stage)
    assert row.stage == stage and row.held_from is None


def test_withdraw_from_hold_clears_held_from():
    row = Row("signed")
    fire(DEFN, row, "hold")
    assert fire(DEFN, row, "withdraw") == ("on_hold", "withdrawn")
    assert row.held_from is None


def test_resume_without_a_valid_held_from_is_refused():
    for held in (None, "production", "on_hold", "garbage"):
        row = Row("on_hold", held)
        with pytest.raises(Refused) as err:
            fire(DEFN, row, "resume")
        assert row.stage == "on_hold" and row.held_from == held
        assert "held" in err.value.message


def test_hold_twice_is_refused():
    row = Row("lead")
    fire(DEFN, row, "hold")
    with pytest.raises(Refused):
        fire(DEFN, row, "hold")
    assert row.held_from == "lead"


def test_unknown_trigger_or_stage_is_bad_input():
    with pytest.raises(BadInput):
        fire(DEFN, Row("lead"), "teleport")
    with pytest.raises(BadInput):
        fire(DEFN, Row("limbo"), "submit")


def test_firing_on_many_rows_never_adds_models():
    machine = machine_for(DEFN)
    rows = [Row("lead") for _ in range(10_000)]
    for row in rows:
        fire(DEFN, row, "submit")
    assert all(r.stage == "screening" for r in rows)
    assert machine.models == []
    assert machine_for(DEFN) is machine
    gc.collect()
    assert not any(isinstance(r, (Row, ProjectState)) for r in gc.get_referrers(machine))


def test_row_with_pydantic_like_strictness_is_never_touched_beyond_stage_and_held_from():
    class Strict:
        __slots__ = ("stage", "held_from")

        def __init__(self):
            self.stage = "lead"
            self.held_from = None

    row = Strict()
    fire(DEFN, row, "hold")
    fire(DEFN, row, "resume")
    assert row.stage == "lead"


# --- diagrams ------------------------------------------------------------------------------------


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_mermaid_has_every_stage_and_trigger(lang):
    text = diagram(DEFN, "mermaid", lang)
    assert "stateDiagram-v2" in text
    for s in DEFN.stages:
        assert f'state "{s.label(lang)}" as {s.key}' in text
    for t in DEFN.triggers:
        assert f": {t}" in text
    assert "[*] --> lead" in text
    for final in FINAL:
        assert f"{final} --> [*]" in text
    for stage in ACTIVE:
        assert f"on_hold --> {stage}: resume" in text
    assert "s_active" not in text.split("classDef s_active")[1]  # no stage is highlighted as current


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_dot_has_every_stage_and_trigger(lang):
    text = diagram(DEFN, "dot", lang)
    assert text.startswith('digraph "investment v1" {') and text.rstrip().endswith("}")
    for s in DEFN.stages:
        assert f'"{s.key}" [label="{s.label(lang)}"' in text
    for t in DEFN.triggers:
        assert f'[label="{t}"' in text
    assert '"signed" -> "funding" [label="fund"];' in text
    assert text.count("{") == text.count("}")


def test_diagrams_need_no_graphviz():
    code = (
        "import sys\n"
        "sys.modules['graphviz'] = None\n"  # makes 'import graphviz' fail, as on a machine without it
        "sys.modules['pygraphviz'] = None\n"
        "from workflow.definition import default_definition\n"
        "from workflow.machine import diagram\n"
        "assert 'stateDiagram-v2' in diagram(default_definition(), 'mermaid')\n"
        "assert 'digraph' in diagram(default_definition(), 'dot')\n"
    )
    subprocess.run([sys.executable, "-c", code], check=True)


def test_unknown_diagram_format_is_bad_input():
    with pytest.raises(BadInput) as err:
        diagram(DEFN, "png")
    assert "mermaid" in err.value.message and "dot" in err.value.message


# --- asking the machine ----------------------------------------------------------------------------


def test_may_reports_every_guard_condition_of_the_machines_transition():
    from workflow.guards import GuardContext
    from workflow.machine import may

    judged = may(DEFN, "funding", "break_ground", None, GuardContext(documents=frozenset({"eia"})))
    assert judged is not None and judged.dest == "construction"
    assert [(r.guard, r.ok) for r in judged.results] == [
        ("document:planning_permit", False), ("document:land_use", False), ("document:eia", True),
        ("document:safety_assessment", False)]  # every condition, not only the first that fails
    assert not judged.allowed
    assert may(DEFN, "lead", "break_ground") is None  # no such transition from lead


def test_the_machine_judges_guards_when_it_fires_with_a_context():
    from workflow.guards import GuardContext

    row = Row("funding")
    with pytest.raises(Refused) as err:
        fire(DEFN, row, "break_ground", GuardContext(documents=frozenset({"eia"})))
    assert row.stage == "funding"
    assert [d["guard"] for d in err.value.details] == ["document:planning_permit", "document:land_use",
                                                       "document:safety_assessment"]
    docs = frozenset({"planning_permit", "land_use", "eia", "safety_assessment"})
    assert fire(DEFN, row, "break_ground", GuardContext(documents=docs)) == ("funding", "construction")


def test_the_diagrams_draw_the_machine_of_the_definition():
    text = default_toml().replace('trigger = "withdraw"', 'trigger = "quit"')
    changed = load_definition(text.replace('name = "investment"', 'name = "other"'))
    for fmt, edge in (("dot", '[label="{}"]'), ("mermaid", ": {}\n")):
        assert edge.format("withdraw") in diagram(DEFN, fmt)
        assert edge.format("withdraw") not in diagram(changed, fmt)
        assert edge.format("quit") in diagram(changed, fmt)
    dot = diagram(DEFN, "dot")
    for stage in ACTIVE:  # resume: one dashed edge per stage it may return to, as the machine has it
        assert f'"on_hold" -> "{stage}" [label="resume", style=dashed];' in dot


def default_toml() -> str:
    from importlib.resources import files

    return (files("workflow") / "definitions" / "investment.toml").read_text(encoding="utf-8")
