"""Property-based tests of the leader-assignment rules (Hypothesis).

- The set-indexed matcher of ``rules apply`` agrees with the per-project condition check.
- ``Conditions.overlaps`` (the lint) never says "no overlap" for two rules one project matches.
- For random people, rule sets and projects driven through the real service (create, edit, hold,
  withdraw, disable, apply): every open key project has at most one lead leader and one first
  responsible person, no leader exceeds their cap, and after ``rules apply`` nothing that a rule
  could fill is left empty.
"""

from __future__ import annotations

import shutil
import tempfile
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import select

from workflow.rules import Conditions, Facts, ProjectIndex

CATEGORIES = ["矿产", "Energy", "energy ", None]
INDUSTRIES = ["mining", "Mining", "agriculture", "hotel", None]
UNITS = ["XH", "xh", "FGW", None]
ORIGINS = ["浙江", "黑龙江", None]
AMOUNTS = [0, 5_000_000_000, 10_000_000_000, 10_000_000_001, 66_000_000_000]

facts_st = st.builds(
    Facts, key=st.booleans(), category=st.sampled_from(CATEGORIES), industry=st.sampled_from(INDUSTRIES),
    unit=st.sampled_from(UNITS), origin=st.sampled_from(ORIGINS),
    planned_investment_minor=st.one_of(st.sampled_from(AMOUNTS), st.integers(0, 10**12)))


def _values(pool):
    return st.one_of(st.none(), st.lists(st.sampled_from([v for v in pool if v is not None]), min_size=1,
                                         max_size=3))


conditions_st = st.builds(
    Conditions.build, key=st.one_of(st.none(), st.booleans()), categories=_values(CATEGORIES),
    industries=_values(INDUSTRIES), units=_values(UNITS), origins=_values(ORIGINS),
    min_investment_minor=st.one_of(st.none(), st.sampled_from(AMOUNTS)),
    max_investment_minor=st.one_of(st.none(), st.sampled_from(AMOUNTS)))


@settings(max_examples=300, deadline=None)
@given(st.lists(facts_st, max_size=30), st.lists(conditions_st, min_size=1, max_size=6))
def test_index_matches_like_the_condition_check(facts, conds):
    index = ProjectIndex(facts)
    for c in conds:
        assert index.match(c) == {i for i, f in enumerate(facts) if c.matches(f)}


@settings(max_examples=300, deadline=None)
@given(conditions_st, conditions_st, st.lists(facts_st, min_size=1, max_size=10))
def test_overlap_lint_is_sound(a, b, facts):
    if any(a.matches(f) and b.matches(f) for f in facts):
        assert a.overlaps(b) and b.overlaps(a)


@given(conditions_st)
def test_conditions_round_trip_through_storage(c):
    assert Conditions.from_text(c.text()) == c


# --- the whole engine -----------------------------------------------------------------------------


@pytest.fixture(scope="module")
def template_db(tmp_path_factory) -> Path:
    """An initialised database with an admin and three units, copied for every example."""
    from workflow import db as dbm
    from workflow.service import Service

    path = tmp_path_factory.mktemp("rules-prop") / "template.db"
    engine = dbm.make_engine(f"sqlite:///{path}")
    dbm.upgrade(engine)
    svc = Service(engine, "admin")
    svc.bootstrap_admin("admin")
    for code in ("XH", "FGW", "DA"):
        svc.add_unit(code, f"unit {code}")
    engine.dispose()
    return path


people_st = st.lists(
    st.tuples(st.sampled_from(["county", "county", "county", "township"]), st.sampled_from([None, 0, 1, 1, 2, 2, 3])),
    min_size=1, max_size=4)
INDUSTRY = st.sampled_from(["mining", "hotel", "agriculture"])
UNIT = st.sampled_from(["XH", "FGW", "DA"])
rule_st = st.tuples(
    st.sampled_from(["lead_leader", "lead_leader", "lead_leader", "first_responsible", "team_member"]),
    st.integers(0, 3),  # person index (modulo the people)
    st.integers(0, 3),  # priority
    st.sampled_from([None, None, True, False]),  # key
    st.one_of(st.none(), st.none(), st.lists(INDUSTRY, min_size=1, max_size=2)),
    st.one_of(st.none(), st.none(), st.lists(UNIT, min_size=1, max_size=2)),
    st.sampled_from([None, None, 5_000_000_000, 10_000_000_000]),
)
project_st = st.tuples(INDUSTRY, UNIT, st.sampled_from([3_000_000_000, 8_000_000_000, 20_000_000_000, 20_000_000_000]),
                       st.sampled_from([None, None, True, False]))
op_st = st.one_of(
    st.tuples(st.just("add"), project_st),
    st.tuples(st.just("edit_key"), st.integers(0, 20), st.booleans()),
    st.tuples(st.just("edit_industry"), st.integers(0, 20), INDUSTRY),
    st.tuples(st.just("edit_investment"), st.integers(0, 20), st.sampled_from([3_000_000_000, 20_000_000_000])),
    st.tuples(st.just("hold"), st.integers(0, 20)),
    st.tuples(st.just("withdraw"), st.integers(0, 20)),
    st.tuples(st.just("disable"), st.integers(0, 10)),
    st.tuples(st.just("apply"),),
)


def _state(engine):
    from workflow import tables

    P, A, PE = tables.project, tables.assignment, tables.person
    with engine.connect() as conn:
        projects = {r["id"]: dict(r) for r in conn.execute(select(P)).mappings()}
        active = [dict(r) for r in conn.execute(select(A).where(A.c.ended_seq.is_(None))).mappings()]
        people = {r["login"]: dict(r) for r in conn.execute(select(PE)).mappings()}
    return projects, active, people


def _check_invariants(engine, *, complete: bool) -> None:
    from workflow import rules
    from workflow.definition import default_definition

    kinds = {s.key: s.kind for s in default_definition().stages}
    projects, active, people = _state(engine)
    by_project: dict[int, dict[str, list[str]]] = {}
    for a in active:
        by_project.setdefault(a["project_id"], {}).setdefault(a["role"], []).append(a["person_login"])
    load: dict[str, int] = {}
    for pid, roles in by_project.items():
        if kinds[projects[pid]["stage"]] == "final":
            continue
        assert len(roles.get("lead_leader", [])) <= 1, (projects[pid]["code"], roles)
        assert len(roles.get("first_responsible", [])) <= 1, (projects[pid]["code"], roles)
        team = roles.get("team_member", [])
        assert len(team) == len(set(team))
        for login in roles.get("lead_leader", []):
            load[login] = load.get(login, 0) + 1
            assert people[login]["level"] == "county"
    for login, n in load.items():
        cap = people[login]["cap"]
        assert cap is None or n <= cap, (login, n, cap)
    if not complete:
        return
    with engine.connect() as conn:
        current = rules.load_rules(conn, active_only=True)
    for pid, proj in projects.items():
        if kinds[proj["stage"]] == "final":
            continue
        facts = Facts.of(proj)
        roles = by_project.get(pid, {})
        for r in current:
            if not r.conditions.matches(facts):
                continue
            person = people[r.person]
            if r.role == "lead_leader" and facts.key and not roles.get("lead_leader"):
                at_cap = person["cap"] is not None and load.get(r.person, 0) >= person["cap"]
                assert not person["active"] or person["level"] != "county" or at_cap, (proj["code"], r)
            if r.role == "first_responsible":
                assert roles.get("first_responsible"), (proj["code"], r)
            if r.role == "team_member":
                assert r.person in roles.get("team_member", []), (proj["code"], r)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture,
                                                                  HealthCheck.too_slow])
@given(people=people_st, rule_specs=st.lists(rule_st, min_size=1, max_size=8),
       initial=st.lists(project_st, min_size=1, max_size=8), ops=st.lists(op_st, max_size=12))
def test_at_most_one_lead_leader_and_caps_hold(template_db, people, rule_specs, initial, ops):
    from workflow import rules
    from workflow.db import make_engine
    from workflow.errors import PipelineError
    from workflow.service import Service

    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "p.db"
        shutil.copy(template_db, path)
        engine = make_engine(f"sqlite:///{path}")
        try:
            svc = Service(engine, "admin")
            logins = []
            for i, (level, cap) in enumerate(people):
                logins.append(f"p{i}")
                svc.add_person(f"p{i}", f"person {i}", level, cap=cap)
            for role, who, prio, key, industries, units, min_inv in rule_specs:
                cond = Conditions.build(key=key, industries=industries, units=units, min_investment_minor=min_inv)
                rules.add_rule(svc, role=role, person=logins[who % len(logins)], priority=prio, conditions=cond)
            codes: list[str] = []
            for op in [("add", spec) for spec in initial] + ops:
                kind = op[0]
                try:
                    if kind == "add":
                        industry, unit, inv, key = op[1]
                        codes.append(svc.add_project(name="x", investor="y", industry=industry, investment_minor=inv,
                                                     unit=unit, key=key).project.code)
                    elif kind == "apply":
                        dry = svc.apply_rules(dry_run=True)
                        real = svc.apply_rules()
                        assert dry["changes"] == real["changes"]
                        _check_invariants(engine, complete=True)
                    elif kind == "disable":
                        rules.set_active(svc, op[1] % len(rule_specs) + 1, False, "retired")
                    elif codes:
                        code = codes[op[1] % len(codes)]
                        if kind == "edit_key":
                            svc.edit_project(code, {"key": op[2]})
                        elif kind == "edit_industry":
                            svc.edit_project(code, {"industry": op[2]})
                        elif kind == "edit_investment":
                            svc.edit_project(code, {"investment_minor": op[2]})
                        else:
                            svc.advance(code, kind, reason="r")
                except PipelineError as exc:  # a refused edit or transition (nothing to change, final stage)
                    assert exc.exit_code in (2, 3), exc
                _check_invariants(engine, complete=False)
            svc.apply_rules()
            _check_invariants(engine, complete=True)
        finally:
            engine.dispose()
