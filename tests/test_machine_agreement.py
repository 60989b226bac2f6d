"""The workflow's machine is the one authority on moves (docs/architecture.md): ``advance`` (a single
write), ``next``, a batch (``bulk.apply``, what ``import`` and the demo run) and the replay of
``audit verify`` agree on every (stage, trigger) pair, hold and resume from each active stage
included, for the default workflow and for custom definitions; and a change to the definition (the
machine) alone changes what every path allows."""

from __future__ import annotations

from collections import deque
from functools import partial

import pytest
from sqlalchemy import select

from tests.conftest import ADMIN, COORD
from workflow import clock
from workflow.definition import default_definition, load_definition
from workflow.errors import BadInput, Refused

pytestmark = pytest.mark.sqlite_only  # the paths agree or not whatever the engine: once is enough

CUSTOM = """
name = "investment"
version = 1
[[stages]]
key = "draft"
en = "Draft"
zh = "草拟"
kind = "active"
[[stages]]
key = "review"
en = "Review"
zh = "评审"
kind = "active"
[[stages]]
key = "parked"
en = "Parked"
zh = "搁置"
kind = "paused"
[[stages]]
key = "done"
en = "Done"
zh = "完成"
kind = "final"
[[stages]]
key = "dropped"
en = "Dropped"
zh = "放弃"
kind = "final"
[[documents]]
key = "permit"
en = "Permit"
zh = "许可"
[[transitions]]
trigger = "send"
en = "Send"
zh = "送审"
sources = "draft"
dest = "review"
guards = ["has_name"]
[[transitions]]
trigger = "finish"
en = "Finish"
zh = "办结"
sources = "review"
dest = "done"
guards = ["document:permit"]
[[transitions]]
trigger = "shortcut"
en = "Shortcut"
zh = "直接办结"
sources = "draft"
dest = "done"
guards = ["reason_given"]
[[transitions]]
trigger = "park"
en = "Park"
zh = "搁置"
sources = "@active"
dest = "parked"
guards = ["reason_given"]
[[transitions]]
trigger = "unpark"
en = "Unpark"
zh = "恢复"
sources = "parked"
dest = "@held_from"
[[transitions]]
trigger = "drop"
en = "Drop"
zh = "放弃"
sources = ["@active", "@paused"]
dest = "dropped"
guards = ["reason_given"]
"""
# The same workflow with one transition less: nothing but the machine changes.
WITHOUT_SHORTCUT = CUSTOM.replace('''[[transitions]]
trigger = "shortcut"
en = "Shortcut"
zh = "直接办结"
sources = "draft"
dest = "done"
guards = ["reason_given"]
''', "")

DEFINITIONS = {"default": None, "custom": CUSTOM, "custom without shortcut": WITHOUT_SHORTCUT}
REASON = "县招商局会议决定"


def _use(monkeypatch, text: str | None):
    """Run every path under ``text``'s definition (it stands in for the shipped one)."""
    from workflow import definition as definition_module
    from workflow.commands import projects

    defn = default_definition() if text is None else load_definition(text)
    monkeypatch.setattr(definition_module, "default_definition", lambda: defn)
    monkeypatch.setattr(projects, "default_definition", lambda: defn)
    return defn


def _states(defn):
    """Every (stage, held_from) a project can reach, with a path of triggers to it (the machine's
    routes, breadth first)."""
    from workflow.definition_model import held_from_after
    from workflow.machine import routes

    paused = frozenset(s.key for s in defn.stages if s.is_paused)
    start = (defn.initial, None)
    paths = {start: []}
    todo = deque([start])
    while todo:
        stage, held = todo.popleft()
        for r in routes(defn, stage, held):
            if r.dest is None:
                continue
            nxt = (r.dest, held_from_after(paused, stage, r.dest, held))
            if nxt not in paths:
                paths[nxt] = [*paths[(stage, held)], r.transition.trigger]
                todo.append(nxt)
    return paths


def _ops(defn, code, path, on):
    """A batch that takes ``code`` along ``path``: each step's guard facts, then the step (an
    automatic step fires by itself once its facts are recorded)."""
    from workflow.bulk import Op

    ops = []
    for trigger in path:
        t = defn.transition(trigger)
        for g in t.guards:
            kind, _, key = g.partition(":")
            if kind == "document":
                ops.append(Op(code, "document", on, {"kind": key, "number": f"{code}-{key}"}))
            elif kind == "check":
                ops.append(Op(code, "check", on, {"item": key, "result": "pass"}))
            elif g == "capital_in_place":
                ops.append(Op(code, "capital", on, {"amount_minor": 100_00, "currency": "CNY"}))
        if not t.auto:
            ops.append(Op(code, "advance", on, {"target": trigger, "reason": REASON}))
    return ops


def _outcome(call, known: bool):
    """The stage a write left (None: refused; an unknown trigger is bad input)."""
    try:
        res = call()
    except Refused:
        assert known
        return None
    except BadInput:
        assert not known
        return None
    return res.project.stage if hasattr(res, "project") else True


def _replay_problems(engine, code, forged=None):
    """The replay's problems with ``code``'s history, with ``forged`` (a transition row) appended."""
    from workflow.replay import replay_project
    from workflow.tables import event as E
    from workflow.tables import project as P

    with engine.connect() as conn:
        pid = conn.execute(select(P.c.id).where(P.c.code == code)).scalar_one()
        rows = [tuple(r) for r in conn.execute(select(
            E.c.id, E.c.project_id, E.c.seq, E.c.kind, E.c.trigger, E.c.from_stage, E.c.to_stage,
            E.c.effective_on, E.c.recorded_at, E.c.actor, E.c.reason, E.c.payload, E.c.prev_hash, E.c.hash)
            .where(E.c.project_id == pid).order_by(E.c.seq)).all()]
    if forged is not None:
        last = rows[-1]
        trigger, source, dest = forged
        rows.append((last[0] + 1, pid, last[2] + 1, "transition", trigger, source, dest, last[7], last[8],
                     COORD, REASON, "{}", last[13], "forged"))
    rep = replay_project(pid, code, iter(rows), {COORD: "coordinator", ADMIN: "admin"})
    return [p for p in rep.problems if p["table"] == "event"]


def _agreement(service, cli, defn, triggers=()):
    """Per (stage, held_from, trigger): what next, advance, a batch and the replay say."""
    from workflow.bulk import Op
    from workflow.machine import route

    on = clock.today()
    paths = _states(defn)
    triggers = [*defn.triggers, *(t for t in triggers if t not in defn.triggers)]
    pairs = [(state, trigger) for state in paths for trigger in triggers]
    rows = [{"name": f"项目{i}", "investor": "投资方", "industry": "制造业", "investment_minor": 500_0000_00,
             "unit": "XH", "key": False} for i in range(2 * len(pairs))]
    first = int(service.import_projects(rows, allow_duplicate=True)["first"].split("-")[1])
    codes = [(f"P-{first + 2 * i:04d}", f"P-{first + 2 * i + 1:04d}") for i in range(len(pairs))]
    ops = [op for ((state, _t), (single, batch)) in zip(pairs, codes, strict=True)
           for code in (single, batch) for op in _ops(defn, code, paths[state], on)]
    if ops:
        service.bulk_apply(ops)
    seen = {}
    for ((stage, held), trigger), (single, batch) in zip(pairs, codes, strict=True):
        here = service.get_project(single)
        assert (here["stage"], here["held_from"]) == (stage, held)
        shown = {t["trigger"]: t for t in service.open_transitions(single)["transitions"]}
        # next cannot know the reason advance is given: a reason_given guard is the one it may fail
        failing = {r.guard for r in shown[trigger]["guards"] if not r.ok} if trigger in shown else set()
        next_says = shown[trigger]["to"] if trigger in shown and failing <= {"reason_given"} else None
        known = trigger in defn.triggers
        advanced = _outcome(partial(service.advance, single, trigger, reason=REASON), known)
        batched = _outcome(partial(service.bulk_apply, [Op(batch, "advance", on, {"target": trigger,
                                                                                  "reason": REASON})]), known)
        batched = service.get_project(batch)["stage"] if batched is not None else None
        found = route(defn, stage, trigger, held) if known else None
        if advanced is not None:
            replay_ok = _replay_problems(service.engine, single) == []
        else:
            dest = found.dest if found is not None and found.dest is not None else defn.initial
            replay_ok = _replay_problems(service.engine, single, (trigger, stage, dest)) == []
        assert advanced == batched == next_says, (stage, held, trigger, advanced, batched, next_says)
        assert replay_ok == (advanced is not None), (stage, held, trigger, advanced)
        seen[(stage, held, trigger)] = advanced
    return seen


def _verify(cli) -> list[dict]:
    res = cli("audit", "verify", json=True)
    assert res.code in (0, 7), res.out
    return res.json["failures"]


@pytest.mark.parametrize("which", list(DEFINITIONS))
def test_advance_next_batches_and_replay_agree_on_every_stage_and_trigger(service, cli, monkeypatch, which):
    defn = _use(monkeypatch, DEFINITIONS[which])
    seen = _agreement(service, cli, defn)
    assert _verify(cli) == []
    active = [s.key for s in defn.stages if s.is_active]
    paused = next(s.key for s in defn.stages if s.is_paused)
    hold, resume = (("hold", "resume") if which == "default" else ("park", "unpark"))
    for stage in active:  # hold and resume from each active stage, through every path
        assert seen[(stage, None, hold)] == paused
        assert seen[(paused, stage, resume)] == stage
    assert any(v is None for v in seen.values()) and any(v is not None for v in seen.values())


def test_a_change_to_the_machine_alone_changes_what_every_path_allows(service, cli, monkeypatch):
    """Dropping one transition from the definition: every path refuses it; everything else is as before."""
    with_it = _agreement(service, cli, _use(monkeypatch, CUSTOM))
    assert _verify(cli) == []
    without = _agreement(service, cli, _use(monkeypatch, WITHOUT_SHORTCUT), ["shortcut"])
    assert with_it[("draft", None, "shortcut")] == "done"
    assert without[("draft", None, "shortcut")] is None
    changed = {k for k in with_it if with_it[k] != without.get(k)}
    assert changed == {("draft", None, "shortcut")}
    # and audit verify, replaying the history written before, now finds each shortcut taken illegal
    found = _verify(cli)
    assert found and all(f["problem"] == "shortcut is not a legal transition from 'draft'" for f in found)
    assert len(found) >= 2  # at least the single write's and the batch's (paths to 'done' took it too)
