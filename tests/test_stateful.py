"""Random operation sequences (Hypothesis ``RuleBasedStateMachine``) over the service layer, on both
engines, checked after every step against a plain model.

The model is ordinary Python: per project its stage and held-from stage, documents, latest check
results, capital and investment totals, lead leader, version and the list of its events.  Guards are
re-stated here in a few lines (approve needs the committee decision and four passed checks; sign
needs the contract and, for a key project, a lead leader; …) and the stages come from the workflow
definition, so a disagreement between the engine and the model is a failure.

Operations: new projects (key and not), documents, checks (pass and fail), capital (which fires
``fund`` on a signed project), investment, follow-ups, transitions valid and invalid (unknown
triggers, wrong stages, missing reasons, failing guards), holds and resumes, reassignments, edits
that change the key flag, leader-assignment rule changes, corrections of any event (valid and not),
and writes at a stale version.

Invariants after every step: the stage equals the model's and the stage replayed from history; every
chain verifies and the store has no partial batch (``tests/invariants.py``); refused operations
wrote nothing (event counts and versions are the model's); amounts add up.
"""

from __future__ import annotations

import shutil
from dataclasses import dataclass, field

import pytest
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import Bundle, RuleBasedStateMachine, invariant, precondition, rule, run_state_machine_as_test

from tests.conftest import ADMIN, COORD, Cli, PgCli, populate
from tests.invariants import replayed_stage, store_problems
from workflow.errors import BadInput, Conflict, NotFound, PipelineError, Refused

MAX_EXAMPLES = 30
STEPS = 25
CHECKS = ("industrial_policy", "environment", "energy", "land_use")
DOCS = ("committee_decision", "contract", "planning_permit", "land_use", "eia", "safety_assessment",
        "completion_acceptance")
KEY_MINOR = 100_000_000 * 100
STATS = {"examples": 0, "steps": 0, "refused": 0}


@dataclass
class Model:
    code: str
    key: bool
    investment: int
    stage: str = "lead"
    held_from: str | None = None
    docs: set = field(default_factory=set)
    checks: dict = field(default_factory=dict)
    capital: int = 0
    invested: int = 0
    lead: bool = False
    version: int = 1
    events: list = field(default_factory=list)  # (kind, to, amount, corrects)


def _replay(events) -> tuple[str | None, str | None]:
    stage = held = None
    for kind, to, _amount, extra in events:
        if to is None:
            continue
        if kind == "correction":
            held = extra.get("held_from")
        elif to == "on_hold":
            held = stage
        elif stage == "on_hold":
            held = None
        stage = to
    return stage, held


class PipelineMachine(RuleBasedStateMachine):
    """One fresh database per example (``factory`` is set by the test for its engine)."""

    factory = None

    def __init__(self):
        super().__init__()
        from workflow.db import make_engine
        from workflow.definition import default_definition
        from workflow.service import Service

        self.defn = default_definition()
        self.urls, self.cleanup = type(self).factory()
        self.engine = make_engine(self.urls[COORD])
        self.admin_engine = make_engine(self.urls[ADMIN]) if self.urls[ADMIN] != self.urls[COORD] else self.engine
        self.svc = Service(self.engine, COORD)
        self.admin = Service(self.admin_engine, ADMIN)
        self.models: dict[str, Model] = {}
        self.rules: list[int] = []
        self.next_number = 0
        self.touched: str | None = None
        STATS["examples"] += 1

    def teardown(self):
        self.engine.dispose()
        self.admin_engine.dispose()
        self.cleanup()

    projects = Bundle("projects")

    # --- helpers ---------------------------------------------------------------------------------

    def _write(self, m: Model, fn, *, expect: type[PipelineError] | None, events: list | None = None,
               auto: bool = False):
        """Run ``fn``; a predicted refusal must raise ``expect`` and write nothing."""
        STATS["steps"] += 1
        self.touched = m.code
        if expect is not None:
            with pytest.raises(expect):
                fn()
            STATS["refused"] += 1
            return None
        result = fn()
        m.version += 1
        got = [(e["kind"], e["to"]) for e in result.events]
        want = [(k, to) for k, to, _a, _x in events]
        if auto:
            want.append(("transition", "funding"))
        assert got == want, (m.code, got, want)
        m.events.extend(events)
        if auto:
            m.events.append(("transition", "funding", None, {}))
            m.stage = "funding"
        return result

    def _may(self, m: Model, what: str) -> bool:
        """The definition's [recording] rule: whether ``what`` may be recorded at the model's stage."""
        from workflow.definition import default_definition

        return default_definition().recordable(what, m.stage)

    def _auto_fund(self, m: Model, capital_after: int) -> bool:
        return m.stage == "signed" and capital_after > 0

    def _number(self) -> str:
        self.next_number += 1
        return f"N-{self.next_number}"

    # --- rules -----------------------------------------------------------------------------------

    @rule(target=projects, big=st.booleans(), unit=st.sampled_from(["XH", "FGW"]))
    def add_project(self, big, unit):
        investment = 2 * KEY_MINOR if big else 56_000_000 * 100
        STATS["steps"] += 1
        result = self.svc.add_project(name="盛典蓝莓", investor="盛典蓝莓科技开发有限公司", industry="agriculture",
                                      investment_minor=investment, unit=unit, allow_duplicate=True)
        code = result.project.code
        m = Model(code=code, key=big, investment=investment)
        kinds = [e["kind"] for e in result.events]
        assert kinds[0] == "registered" and set(kinds[1:]) <= {"assignment"}, kinds
        for e in result.events:
            m.events.append((e["kind"], e["to"], None, {}))
            if e["kind"] == "assignment" and e["payload"]["role"] == "lead_leader":
                m.lead = True
        if len(kinds) > 1:
            assert big and self.rules, "only a key-project rule assigns here"
        self.models[code] = m
        self.touched = code
        return code

    @rule(code=projects, kind=st.sampled_from(DOCS))
    def add_document(self, code, kind):
        m = self.models[code]
        if not self._may(m, f"document:{kind}"):
            self._write(m, lambda: self.svc.add_document(code, kind, self._number()), expect=Refused)
            return
        auto = self._auto_fund(m, m.capital)
        self._write(m, lambda: self.svc.add_document(code, kind, self._number()),
                    expect=None, events=[("document", None, None, {})], auto=auto)
        m.docs.add(kind)

    @rule(code=projects, item=st.sampled_from(CHECKS), ok=st.booleans())
    def record_check(self, code, item, ok):
        m = self.models[code]
        if not self._may(m, f"check:{item}"):
            self._write(m, lambda: self.svc.record_check(code, item, "pass" if ok else "fail"), expect=Refused)
            return
        auto = self._auto_fund(m, m.capital)
        self._write(m, lambda: self.svc.record_check(code, item, "pass" if ok else "fail"),
                    expect=None, events=[("check", None, None, {})], auto=auto)
        m.checks[item] = "pass" if ok else "fail"

    @rule(code=projects, amount=st.integers(min_value=-5, max_value=50_000_000))
    def add_capital(self, code, amount):
        m = self.models[code]
        if amount <= 0:
            self._write(m, lambda: self.svc.add_capital(code, amount, "CNY"), expect=BadInput)
            return
        if not self._may(m, "capital"):
            self._write(m, lambda: self.svc.add_capital(code, amount, "CNY"), expect=Refused)
            return
        auto = self._auto_fund(m, m.capital + amount)
        self._write(m, lambda: self.svc.add_capital(code, amount, "CNY", allow_duplicate=True),
                    expect=None, events=[("capital", None, amount, {})], auto=auto)
        m.capital += amount

    @rule(code=projects, amount=st.integers(min_value=1, max_value=90_000_000))
    def add_investment(self, code, amount):
        m = self.models[code]
        if not self._may(m, "investment"):
            self._write(m, lambda: self.svc.add_investment(code, amount), expect=Refused)
            return
        self._write(m, lambda: self.svc.add_investment(code, amount, allow_duplicate=True), expect=None,
                    events=[("investment", None, amount, {})])
        m.invested += amount

    @rule(code=projects)
    def add_followup(self, code):
        m = self.models[code]
        if not self._may(m, "followup"):
            self._write(m, lambda: self.svc.add_followup(code, "人盯人"), expect=Refused)
            return
        self._write(m, lambda: self.svc.add_followup(code, "人盯人"), expect=None,
                    events=[("followup", None, None, {})])

    @rule(code=projects, trigger=st.sampled_from(
        ["submit", "approve", "reject", "sign", "fund", "break_ground", "commission", "hold", "resume",
         "withdraw", "launch", "production", "on_hold"]), reason=st.sampled_from([None, "", "县招商局意见"]))
    def advance(self, code, trigger, reason):
        m = self.models[code]
        expect, dest = self._predict(m, trigger, reason)
        self._write(m, lambda: self.svc.advance(code, trigger, reason=reason), expect=expect,
                    events=[("transition", dest, None, {})])
        if expect is None:
            if dest == "on_hold":
                m.held_from = m.stage
            elif m.stage == "on_hold":
                m.held_from = None
            m.stage = dest

    def _predict(self, m: Model, word: str, reason) -> tuple[type[PipelineError] | None, str | None]:
        defn = self.defn
        if word in defn.triggers:
            t = defn.transition(word)
            if m.stage not in t.sources:
                return Refused, None
        elif defn.has_stage(word):  # a target stage: exactly one transition must lead there
            ts = [t for t in defn.transitions if m.stage in t.sources and self._dest(t, m) == word]
            if len(ts) != 1:
                return (BadInput if len(ts) > 1 else Refused), None
            t = ts[0]
        else:
            return BadInput, None
        ok = {
            "submit": True,
            "approve": "committee_decision" in m.docs and all(m.checks.get(c) == "pass" for c in CHECKS),
            "reject": bool(reason),
            "sign": "contract" in m.docs and (not m.key or m.lead),
            "fund": m.capital > 0,
            "break_ground": {"planning_permit", "land_use", "eia", "safety_assessment"} <= m.docs,
            "commission": "completion_acceptance" in m.docs,
            "hold": bool(reason),
            "resume": True,
            "withdraw": bool(reason),
        }[t.trigger]
        return (None if ok else Refused), self._dest(t, m)

    @staticmethod
    def _dest(t, m: Model) -> str | None:
        """Where ``t`` leads the model (this test's own reading of the definition, not the machine's)."""
        return t.dest if t.dest is not None else m.held_from

    FORWARD = {  # stage -> (documents, checks, capital, trigger) that move a project on
        "lead": ((), (), False, "submit"),
        "screening": (("committee_decision",), CHECKS, False, "approve"),
        "approved": (("contract",), (), False, "sign"),
        "signed": ((), (), True, None),
        "funding": (("planning_permit", "land_use", "eia", "safety_assessment"), (), False, "break_ground"),
        "construction": (("completion_acceptance",), (), False, "commission"),
    }

    @rule(code=projects, stages=st.integers(min_value=1, max_value=6))
    def push_forward(self, code, stages):
        """Record what the next forward transitions need (the way a coordinator would) and fire them,
        up to ``stages`` of them: random walks alone rarely get a project past screening."""
        m = self.models[code]
        for _ in range(stages):
            if m.stage not in self.FORWARD:
                return
            docs, checks, capital, trigger = self.FORWARD[m.stage]
            for kind in docs:
                if kind not in m.docs:
                    self.add_document(code, kind)
            for item in checks:
                if m.checks.get(item) != "pass":
                    self.record_check(code, item, True)
            if trigger == "sign" and m.key and not m.lead:
                self.reassign_lead_leader(code)
            if capital:
                self.add_capital(code, 10_000_000)
            if trigger is not None and m.stage in self.FORWARD:
                self.advance(code, trigger, None)

    @rule(code=projects)
    def reassign_lead_leader(self, code):
        m = self.models[code]
        if not self._may(m, "assignment"):
            self._write(m, lambda: self.admin.reassign(code, "lead_leader", "wang", reason="x"), expect=Refused)
            return
        if m.lead:
            self._write(m, lambda: self.admin.reassign(code, "lead_leader", "wang", reason="分工调整"),
                        expect=BadInput)
            return
        self._write(m, lambda: self.admin.reassign(code, "lead_leader", "wang", reason="县委常委会分工"),
                    expect=None, events=[("assignment", None, None, {})])
        m.lead = True

    @rule(code=projects, big=st.booleans())
    def edit_investment(self, code, big):
        m = self.models[code]
        investment = 3 * KEY_MINOR if big else 12_000_000 * 100
        if not self._may(m, "edit"):
            self._write(m, lambda: self.svc.edit_project(code, {"investment_minor": investment}), expect=Refused)
            return
        if investment == m.investment:
            self._write(m, lambda: self.svc.edit_project(code, {"investment_minor": investment}), expect=BadInput)
            return
        STATS["steps"] += 1
        self.touched = code
        result = self.svc.edit_project(code, {"investment_minor": investment})
        kinds = [e["kind"] for e in result.events]
        assert kinds[0] == "edited" and set(kinds[1:]) <= {"assignment"}, kinds
        m.version += 1
        for e in result.events:
            m.events.append((e["kind"], e["to"], None, {}))
            if e["kind"] == "assignment" and e["payload"]["role"] == "lead_leader":
                m.lead = True
        m.investment, m.key = investment, big

    @rule(code=projects)
    def stale_write(self, code):
        m = self.models[code]
        self._write(m, lambda: self.svc.add_followup(code, "过期版本", expect_version=m.version - 1), expect=Conflict)

    @rule()
    def add_key_project_rule(self):
        from workflow import rules
        from workflow.rules import Conditions

        STATS["steps"] += 1
        res = rules.add_rule(self.admin, role="lead_leader", person="wang", priority=10 + len(self.rules),
                             conditions=Conditions.build(key=True))
        self.rules.append(res["id"])

    @precondition(lambda self: bool(self.rules))
    @rule(data=st.data())
    def disable_a_rule(self, data):
        from workflow import rules

        rule_id = data.draw(st.sampled_from(self.rules))
        STATS["steps"] += 1
        rules.set_active(self.admin, rule_id, False, "retired")
        self.rules.remove(rule_id)

    @rule(code=projects, data=st.data())
    def correct(self, code, data):
        m = self.models[code]
        seq = data.draw(st.integers(min_value=1, max_value=len(m.events) + 1))
        expect, event = self._predict_correction(m, seq)
        self._write(m, lambda: self.admin.correct(code, seq, "录入有误"), expect=expect,
                    events=[event] if event else None)
        if expect is None:
            kind, to, amount, extra = event
            if to is not None:
                m.stage, m.held_from = to, extra.get("held_from")
            target = m.events[seq - 1]
            if target[0] == "capital":
                m.capital -= target[2]
            elif target[0] == "investment":
                m.invested -= target[2]

    def _predict_correction(self, m: Model, seq: int):
        if not 1 <= seq <= len(m.events):
            return NotFound, None
        if any(kind == "correction" and extra.get("corrects") == seq for kind, _t, _a, extra in m.events):
            return Refused, None
        kind, to, amount, extra = m.events[seq - 1]
        changes_stage = kind in ("transition", "correction") and to is not None
        if kind == "correction" and not changes_stage:
            return Refused, None
        if changes_stage:
            if any(e[1] is not None for e in m.events[seq:]):
                return Refused, None
            stage, held = _replay(m.events[: seq - 1])
            if stage is None:
                return Refused, None
            return None, ("correction", stage, None, {"corrects": seq, "held_from": held})
        return None, ("correction", None, None, {"corrects": seq})

    # --- invariants ------------------------------------------------------------------------------

    @invariant()
    def the_store_agrees_with_the_model(self):
        """Every project, read straight from the tables; the project touched last also through the
        engine's own views (``project show`` and ``history``)."""
        from sqlalchemy import text

        with self.engine.connect() as conn:
            rows = {r[0]: r[1:] for r in conn.execute(text(
                "SELECT code, stage, version, key, held_from FROM project"))}
            events: dict[str, list] = {}
            for code, kind, to, payload in conn.execute(text(
                    "SELECT p.code, e.kind, e.to_stage, e.payload FROM event e JOIN project p ON p.id = e.project_id "
                    "ORDER BY e.project_id, e.seq")):
                events.setdefault(code, []).append({"kind": kind, "to": to, "payload": payload})
            sums = {}
            for table in ("capital_arrival", "investment_completed"):
                sums[table] = dict(conn.execute(text(
                    f"SELECT p.code, sum(t.amount_minor) FROM {table} t JOIN project p ON p.id = t.project_id "
                    "GROUP BY p.code")).all())
        assert set(rows) == set(self.models)
        for code, m in self.models.items():
            stage, version, key, held_from = rows[code]
            evs = events[code]
            assert stage == m.stage == replayed_stage(evs), (code, stage, m.stage)
            assert version == m.version, (code, version, m.version)
            assert [e["kind"] for e in evs] == [k for k, _t, _a, _x in m.events]  # refusals wrote nothing
            assert int(sums["capital_arrival"].get(code) or 0) == m.capital
            assert int(sums["investment_completed"].get(code) or 0) == m.invested
            assert bool(key) == m.key
            if m.stage == "on_hold":
                assert held_from == m.held_from
        if self.touched:
            m = self.models[self.touched]
            view = self.svc.get_project(m.code)
            history = self.svc.history(m.code)["events"]
            assert view["stage"] == m.stage == replayed_stage(history) and view["version"] == m.version
            assert sum(x["amount_minor"] for x in view["capital_in_place"]) == m.capital
            assert sum(x["amount_minor"] for x in view["investment_completed"]) == m.invested
            paid = sum(e["payload"]["amount_minor"] for e in history if e["kind"] == "capital")
            reversed_ = sum(e["payload"].get("amount_minor", 0) for e in history
                            if e["kind"] == "correction" and e["payload"].get("kind") == "capital")
            assert paid + reversed_ == m.capital  # amounts add up from history alone
        assert store_problems(self.engine) == []


def _factory(kind: str, request, tmp_path):
    """A function returning (urls by actor, cleanup) of a fresh populated database for each example."""
    if kind == "sqlite":
        template = tmp_path / "template.db"
        populate(Cli(str(template)))
        counter = iter(range(10**6))

        def fresh():
            path = tmp_path / f"example-{next(counter)}.db"
            shutil.copyfile(template, path)
            url = f"sqlite:///{path}"
            return {COORD: url, ADMIN: url}, lambda: None

        return fresh
    cluster = request.getfixturevalue("pg_cluster")
    template = cluster.new_database("stateful")
    populate(PgCli(cluster, template))
    request.addfinalizer(lambda: cluster.drop_database(template))

    def fresh_pg():
        name = cluster.new_database_from(template)
        return ({COORD: cluster.url(name, COORD), ADMIN: cluster.url(name, ADMIN)},
                lambda: cluster.drop_database(name))

    return fresh_pg


@pytest.mark.slow
def test_random_operation_sequences(engine_kind, request, tmp_path):
    kind = engine_kind
    Machine = type(f"PipelineMachine_{kind}", (PipelineMachine,),
                   {"factory": staticmethod(_factory(kind, request, tmp_path))})
    before = dict(STATS)
    run_state_machine_as_test(Machine, settings=settings(
        max_examples=MAX_EXAMPLES, stateful_step_count=STEPS, deadline=None, database=None,
        suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large]))
    ran = {k: STATS[k] - before[k] for k in STATS}
    print(f"{kind}: {ran['examples']} examples, {ran['steps']} operations ({ran['refused']} refused)")
    assert ran["examples"] >= MAX_EXAMPLES and ran["refused"] > 0
