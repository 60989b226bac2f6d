"""Supervision (督办) reads: problems as they stood on any date, their ladder levels, letters,
promised follow-ups (a person's to-do list is ``workflow.todo``).

Everything here is computed from the side tables the history events leave (``problem``,
``problem_action``, ``supervision_letter``, ``followup``): a problem on a date is its opening plus
the actions recorded with an effective date on or before that date, in the order they were recorded,
so any date's answer can be reproduced from history.  The level is ``Ladder.level(due, as_of)``
(``workflow.settings``) for an open problem; the due date is the one first set, or the last
extension's — a reopened problem keeps its due date unless it is extended.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date
from typing import Any

from sqlalchemy import select
from sqlalchemy.engine import Connection, Engine

from workflow import clock
from workflow.errors import BadInput, NotFound
from workflow.find import unit_code
from workflow.settings import Ladder, ladder
from workflow.settings import top_leader as in_force
from workflow.tables import assignment as ASG
from workflow.tables import event as E
from workflow.tables import followup as FU
from workflow.tables import person as PE
from workflow.tables import problem as PB
from workflow.tables import problem_action as PBA
from workflow.tables import project as P
from workflow.tables import supervision_letter as LET
from workflow.tables import unit as U


def _d(value: Any) -> date | None:
    if value is None or isinstance(value, date):
        return value
    return date.fromisoformat(str(value)[:10])


def _iso(value: Any) -> str | None:
    found = _d(value)
    return None if found is None else found.isoformat()


def problem_states(conn: Connection, as_of: date, lad: Ladder, *, ids: Iterable[int] | None = None,
                   project_ids: Iterable[int] | None = None, actions: bool = False) -> list[dict]:
    """Every problem opened by ``as_of`` (optionally these ids / these projects' problems) as it
    stood that day, ordered by id."""
    q, aq = _problems_stmt().where(PB.c.opened_on <= as_of), _actions_stmt().where(PBA.c.effective_on <= as_of)
    if ids is not None:
        ids = list(ids)
        q = q.where(PB.c.id.in_(ids))
        aq = aq.where(PBA.c.problem_id.in_(ids))
    if project_ids is not None:
        project_ids = list(project_ids)
        q = q.where(PB.c.project_id.in_(project_ids))
        aq = aq.where(PBA.c.project_id.in_(project_ids))
    return _states(conn.execute(q).mappings().all(), conn.execute(aq).mappings(), as_of, lad, actions)


def _problems_stmt() -> Any:
    return (select(PB, P.c.code, P.c.name.label("project_name"), U.c.name.label("unit_name"))
            .select_from(PB.join(P, P.c.id == PB.c.project_id).outerjoin(U, U.c.code == PB.c.owner_unit))
            .order_by(PB.c.id))


def _actions_stmt() -> Any:
    return select(PBA).order_by(PBA.c.project_id, PBA.c.event_seq)


def _states(problems: Iterable[Any], acts: Iterable[Any], as_of: date, lad: Ladder, actions: bool) -> list[dict]:
    """:func:`problem_states` of the problems opened by ``as_of`` (rows of :func:`_problems_stmt`, by
    id) with their actions recorded by then (rows of :func:`_actions_stmt`, in that order)."""
    out: dict[int, dict] = {}
    for r in problems:
        due = _d(r["due_on"])
        assert due is not None
        out[r["id"]] = {
            "id": r["id"], "project": r["code"], "project_id": r["project_id"], "project_name": r["project_name"],
            "kind": r["kind"], "text": r["text"], "owner_unit": r["owner_unit"], "owner_unit_name": r["unit_name"],
            "owner_person": r["owner_person"], "source": r["source"], "opened_on": _d(r["opened_on"]),
            "first_due": due, "due": due, "status": "open", "closed_on": None, "actions": [],
        }
    for a in acts:
        p = out.get(a["problem_id"])
        if p is None:
            continue
        action, on = a["action"], _d(a["effective_on"])
        if action == "extend":
            p["due"] = _d(a["due_on"])
        elif action == "close":
            p["status"], p["closed_on"] = "closed", on
        elif action == "reopen":
            p["status"], p["closed_on"] = "open", None
        if actions:
            p["actions"].append({"action": action, "text": a["text"], "on": on.isoformat() if on else None,
                                 "due": _iso(a["due_on"]),
                                 "actor": a["actor"], "event_seq": a["event_seq"]})
    for p in out.values():
        if p["status"] == "open":
            p["level"] = lad.level(p["due"], as_of)
            p["overdue_days"] = max(0, (as_of - p["due"]).days)
        else:
            p["level"] = None
            p["overdue_days"] = None
    return list(out.values())


def urgency_key(p: dict) -> tuple:
    """Most urgent first: open before closed, higher level, earlier due date, then id."""
    if p["status"] == "open":
        return (0, -p["level"], p["due"], p["id"])
    return (1, 0, p["due"], p["id"])


def problem_json(p: dict, *, full: bool = False) -> dict:
    doc = {"id": p["id"], "project": p["project"], "kind": p["kind"], "text": p["text"],
           "owner_unit": p["owner_unit"], "owner_person": p["owner_person"], "due": p["due"].isoformat(),
           "status": p["status"], "level": p["level"], "overdue_days": p["overdue_days"]}
    if full:
        doc.update({"project_name": p["project_name"], "owner_unit_name": p["owner_unit_name"],
                    "source": p["source"], "opened_on": p["opened_on"].isoformat(),
                    "first_due": p["first_due"].isoformat(),
                    "closed_on": p["closed_on"].isoformat() if p["closed_on"] else None,
                    "actions": p["actions"]})
    return doc


def list_problems(engine: Engine, *, all_: bool = False, overdue: bool = False, unit: str | None = None,
                  project: str | None = None, as_of: date | None = None) -> dict:
    """``problem list``: open problems (or all) on ``as_of``, most urgent first."""
    as_of = as_of or clock.today()
    with engine.connect() as conn:
        project_ids = None
        if unit is not None:
            unit = unit_code(conn, unit)
        if project is not None:
            pid = conn.execute(select(P.c.id).where(P.c.code == project)).scalar()
            if pid is None:
                raise NotFound("no_project", [{"project": project}], code=project)
            project_ids = [pid]
        states = problem_states(conn, as_of, ladder(conn, as_of), project_ids=project_ids)
    if not all_:
        states = [p for p in states if p["status"] == "open"]
    if overdue:
        states = [p for p in states if p["status"] == "open" and p["overdue_days"] > 0]
    if unit is not None:
        states = [p for p in states if p["owner_unit"] == unit]
    states.sort(key=urgency_key)
    return {"as_of": as_of.isoformat(), "problems": [problem_json(p) for p in states]}


def get_problem(engine: Engine, problem_id: int, as_of: date | None = None) -> dict:
    """``problem show``: the problem with its actions, its letters and who its level names."""
    as_of = as_of or clock.today()
    with engine.connect() as conn:
        found = problem_states(conn, as_of, ladder(conn, as_of), ids=[problem_id], actions=True)
        if not found:
            exists = conn.execute(select(PB.c.id).where(PB.c.id == problem_id)).first()
            if exists is None:
                raise NotFound("no_problem_problem_id", [{"problem": problem_id}], problem_id=problem_id)
            raise NotFound("problem_was_not_yet",
                           [{"problem": problem_id}], problem_id=problem_id, as_of=as_of)
        p = found[0]
        doc = problem_json(p, full=True)
        doc["as_of"] = as_of.isoformat()
        doc["addressee"] = addressee(conn, p, as_of) if p["status"] == "open" else None
        doc["letters"] = [{"number": r["number"], "level": r["level"], "issued_on": r["issued_on"].isoformat(),
                           "addressee": r["addressee"]}
                          for r in conn.execute(select(LET).where(LET.c.problem_id == problem_id)
                                                .order_by(LET.c.year, LET.c.serial)).mappings()]
    return doc


# --- who a level names ---------------------------------------------------------------------------------


def top_leader(conn: Connection, as_of: date | None = None) -> str | None:
    """The county's top leader (the ladder's level 5) on ``as_of`` (default: today)."""
    return in_force(conn, as_of)


def lead_leader(conn: Connection, project_id: int, as_of: date) -> dict | None:
    row = conn.execute(
        select(ASG.c.person_login, PE.c.name).select_from(ASG.join(PE, PE.c.login == ASG.c.person_login))
        .where(ASG.c.project_id == project_id, ASG.c.role == "lead_leader", ASG.c.assigned_on <= as_of,
               (ASG.c.ended_on.is_(None)) | (ASG.c.ended_on > as_of))
        .order_by(ASG.c.id.desc()).limit(1)).first()
    return None if row is None else {"login": row[0], "name": row[1]}


def person_name(conn: Connection, login: str | None) -> str | None:
    if login is None:
        return None
    return conn.execute(select(PE.c.name).where(PE.c.login == login)).scalar() or login


def addressee(conn: Connection, p: dict, as_of: date) -> dict:
    """Whom the problem's level names: the owner (0–1), the owner unit (2), its head (3), the
    project's lead county leader (4), the county's top leader (5)."""
    level = p["level"] or 0
    unit = p["owner_unit_name"] or p["owner_unit"]
    person = person_name(conn, p["owner_person"])
    if level <= 1:
        login, en, zh = p["owner_person"], person or unit, person or unit
    elif level == 2:
        login, en, zh = None, unit, unit
    elif level == 3:
        login, en, zh = None, f"head of {unit}", f"{unit}主要负责人"
    elif level == 4:
        leader = lead_leader(conn, p["project_id"], as_of)
        if leader is None:
            login, en, zh = None, "the project's lead county leader (none assigned)", "包保县领导（未明确）"
        else:
            login, en, zh = leader["login"], f"{leader['name']} (lead county leader)", f"{leader['name']}（包保县领导）"
    else:
        login = top_leader(conn, as_of)
        name = person_name(conn, login)
        en = f"{name} (county's top leader)" if name else "the county's top leader"
        zh = f"{name}（县主要领导）" if name else "县主要领导"
    return {"level": level, "login": login, "en": en, "zh": zh}


# --- lights and reports ----------------------------------------------------------------------------------


def escalated(conn: Connection, as_of: date, lad: Ladder, project_ids: Iterable[int] | None = None
              ) -> dict[int, list[dict]]:
    """Open problems at the ladder's red level or more on ``as_of``, per project (the red light)."""
    if not _any_problem(conn):
        return {}
    return _escalated(problem_states(conn, as_of, lad, project_ids=project_ids), lad)


def _escalated(states: Iterable[dict], lad: Ladder) -> dict[int, list[dict]]:
    out: dict[int, list[dict]] = {}
    for p in states:
        if p["status"] == "open" and p["level"] >= lad.red_level:
            out.setdefault(p["project_id"], []).append(p)
    return out


class EscalatedByDate:
    """:func:`escalated` of every project at any number of dates, from one read of the problems and
    their actions (the city's month-end states, docs/city.md): per date the problems opened by then
    with their actions dated by then, in the order :func:`problem_states` reads them, made states by
    the same code.  Read while the caller's connection sees no new history."""

    def __init__(self, conn: Connection) -> None:
        self._problems = conn.execute(_problems_stmt()).mappings().all()
        self._actions = conn.execute(_actions_stmt()).mappings().all() if self._problems else []
        self._opened: list[Any] = [_d(r["opened_on"]) for r in self._problems]
        self._dated: list[Any] = [_d(a["effective_on"]) for a in self._actions]

    def at(self, as_of: date, lad: Ladder) -> dict[int, list[dict]]:
        if not self._problems:
            return {}
        problems = [r for r, on in zip(self._problems, self._opened, strict=True) if on <= as_of]
        acts = [a for a, on in zip(self._actions, self._dated, strict=True) if on <= as_of]
        return _escalated(_states(problems, acts, as_of, lad, False), lad)


def _any_problem(conn: Connection) -> bool:
    return conn.execute(select(PB.c.id).limit(1)).first() is not None


def open_problems(conn: Connection, as_of: date, lad: Ladder | None = None,
                  project_ids: Iterable[int] | None = None) -> list[dict]:
    """Open problems on ``as_of``, most urgent first (empty quickly when there are none)."""
    if not _any_problem(conn):
        return []
    lad = lad or ladder(conn, as_of)
    states = [p for p in problem_states(conn, as_of, lad, project_ids=project_ids) if p["status"] == "open"]
    states.sort(key=urgency_key)
    return states


def promises(conn: Connection, as_of: date, project_ids: Iterable[int] | None = None) -> dict[int, dict]:
    """Per project whose latest follow-up on or before ``as_of`` promised a next one: that
    follow-up's ``next_on`` and ``next_step`` (a later follow-up, even without a promise, keeps it)."""
    promising = select(FU.c.project_id).where(FU.c.next_on.is_not(None), FU.c.effective_on <= as_of)
    q = (select(FU.c.project_id, FU.c.effective_on, FU.c.event_seq, FU.c.next_on, FU.c.next_step)
         .where(FU.c.effective_on <= as_of)
         .order_by(FU.c.project_id, FU.c.effective_on, FU.c.event_seq))
    if project_ids is not None:  # both by the project index (one project's show reads its own rows only)
        ids = list(project_ids)
        promising = promising.where(FU.c.project_id.in_(ids))
        q = q.where(FU.c.project_id.in_(ids))
    q = q.where(FU.c.project_id.in_(promising))
    latest: dict[int, Any] = {}
    for r in conn.execute(q):
        latest[r[0]] = r
    return {pid: {"next_on": _d(r[3]), "next_step": r[4], "since": _d(r[1])}
            for pid, r in latest.items() if r[3] is not None}


# --- follow-ups --------------------------------------------------------------------------------------------


def list_followups(engine: Engine, *, project: str | None = None, due: bool = False,
                   as_of: date | None = None) -> dict:
    """``followup list``: follow-ups newest first (of one project), or with ``due`` the promised
    follow-ups whose date has come (on or before ``as_of``) with no later follow-up."""
    as_of = as_of or clock.today()
    with engine.connect() as conn:
        pid = None
        if project is not None:
            pid = conn.execute(select(P.c.id).where(P.c.code == project)).scalar()
            if pid is None:
                raise NotFound("no_project", [{"project": project}], code=project)
        if due:
            codes = dict(conn.execute(select(P.c.id, P.c.code)).all())
            items = []
            for p_id, promise in sorted(promises(conn, as_of, None if pid is None else [pid]).items()):
                if promise["next_on"] <= as_of:
                    items.append({"project": codes[p_id], "next_on": promise["next_on"].isoformat(),
                                  "next_step": promise["next_step"], "promised_on": promise["since"].isoformat(),
                                  "overdue_days": (as_of - promise["next_on"]).days})
            items.sort(key=lambda x: (x["next_on"], x["project"]))
            return {"as_of": as_of.isoformat(), "due": items}
        q = (select(FU, P.c.code).select_from(FU.join(P, P.c.id == FU.c.project_id))
             .where(FU.c.effective_on <= as_of)
             .order_by(FU.c.effective_on.desc(), P.c.code, FU.c.event_seq.desc()).limit(1000))
        if pid is not None:
            q = q.where(FU.c.project_id == pid)
        rows = [{"project": r["code"], "on": _iso(r["effective_on"]),
                 "note": r["note"], "contact": r["contact"], "next_step": r["next_step"],
                 "next_on": _iso(r["next_on"]), "actor": r["actor"],
                 "seq": r["event_seq"]} for r in conn.execute(q).mappings()]
    return {"as_of": as_of.isoformat(), "followups": rows}


def require_level(value: int | None, what: str = "--min-level") -> int | None:
    if value is not None and not 0 <= value <= 5:
        raise BadInput("must_be_level_from", what=what, value=value)
    return value


# --- reprinting a letter --------------------------------------------------------------------------------


def letters_issued_with(engine: Engine, number: str) -> list[dict]:
    """Every letter issued by the run that issued letter ``number`` (one transaction: the same recording
    time), each as ``commands.issue_letters`` gave it: the problem as it stood on the issue date and whom
    its level named that day (``workflow.letters.groups`` picks the consolidated letter ``number`` is in).
    NotFound (exit 4) for an unknown number."""
    text = str(number).strip()
    issued = (select(LET, E.c.recorded_at)
              .select_from(LET.join(E, (E.c.project_id == LET.c.project_id) & (E.c.seq == LET.c.event_seq))))
    with engine.connect() as conn:
        found = conn.execute(issued.where(LET.c.number == text)).mappings().first()
        if found is None:
            raise NotFound("letter_not_found", [{"letter": text}], number=text)
        day = _d(found["issued_on"])
        assert day is not None
        rows = conn.execute(issued.where(LET.c.issued_on == found["issued_on"],
                                         E.c.recorded_at == found["recorded_at"])
                            .order_by(LET.c.year, LET.c.serial)).mappings().all()
        lad = ladder(conn, day)
        states = {p["id"]: p for p in problem_states(conn, day, lad, ids=[r["problem_id"] for r in rows])}
        out = []
        for r in rows:
            p = states[r["problem_id"]]
            to = addressee(conn, {**p, "level": r["level"]}, day)
            out.append({"number": r["number"], "year": r["year"], "serial": r["serial"], "problem": p,
                        "level": r["level"], "addressee": {**to, "zh": r["addressee"]}, "issued_on": day,
                        "owner_person_name": person_name(conn, p["owner_person"])})
    return out
