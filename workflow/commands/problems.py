"""Problems and supervision (督办): open a problem, record progress, extend, close out, reopen, and
issue supervision letters.  Every step is an event on the problem's project's chain."""

from __future__ import annotations

from datetime import date
from typing import Any

from sqlalchemy import func, select

from workflow import words
from workflow.commands.common import check_on
from workflow.errors import BadInput, NotFound, Refused
from workflow.events import LetterIssued, ProblemActed, ProblemOpened
from workflow.find import person_login, unit_code
from workflow.settings import Ladder
from workflow.store import ProjectRow, Txn
from workflow.supervision import addressee, person_name, problem_states
from workflow.tables import problem as PB
from workflow.tables import problem_action as PBA
from workflow.tables import project as P
from workflow.tables import supervision_letter as LET
from workflow.values import day, required

TEXT_LIMIT = 2000
_PROBLEM_ID_LOCK = 0x5052_4F42  # the key serialising new problem ids ("PROB")
_LETTER_LOCK = 0x4C45_5454  # … and letter numbers ("LETT")


def _advisory(txn: Txn, key: int) -> None:
    txn.recorder.serialize(txn.conn, key)  # PostgreSQL: an advisory lock; SQLite's writers take turns anyway


def next_problem_id(txn: Txn) -> int:
    if "next_problem" not in txn.cache:
        _advisory(txn, _PROBLEM_ID_LOCK)
        txn.cache["next_problem"] = (txn.conn.execute(select(func.max(PB.c.id))).scalar() or 0) + 1
    return int(txn.cache["next_problem"])


def open_problem(txn: Txn, proj: ProjectRow, *, kind: str, text: str, owner_unit: str, due: Any, on: date,
                 owner_person: str | None = None, source: str | None = None) -> int:
    """A problem of ``proj`` owned by ``owner_unit`` (and ``owner_person``), due on ``due``; its id."""
    kind = words.problem_kinds().parse(kind, "--kind")
    source = words.problem_sources().optional(source, "--source")
    text = required(text, "TEXT", TEXT_LIMIT, multiline=True)  # a free text: line breaks allowed
    owner_unit = required(owner_unit, "--owner")
    due = day(due, "--due")
    check_on(txn, proj, on, transition=False)
    if due < on:
        raise BadInput("due_lies_before_problem", due=due, on=on)
    owner_unit = unit_code(txn.conn, owner_unit, "--owner")
    if owner_person is not None:
        owner_person = person_login(txn.conn, required(owner_person, "--person"), "--person")
    pid = next_problem_id(txn)
    txn.emit(proj, ProblemOpened(on=on, problem=pid, problem_kind=kind, text=text, owner_unit=owner_unit,
                                 owner_person=owner_person, due=due, source=source))
    txn.cache["next_problem"] = pid + 1
    return pid


def problem_project(conn: Any, problem: int) -> str:
    """The code of the project a problem belongs to (NotFound if there is no such problem)."""
    code = conn.execute(select(P.c.code).select_from(PB.join(P, P.c.id == PB.c.project_id))
                        .where(PB.c.id == problem)).scalar()
    if code is None:
        raise NotFound("no_problem", [{"problem": problem}], problem=problem)
    return str(code)


def _state(txn: Txn, problem: int) -> dict:
    """The problem as recorded so far (every action, whatever its date): status, due, dates."""
    row = txn.conn.execute(select(PB).where(PB.c.id == problem)).mappings().first()
    if row is None:
        raise NotFound("no_problem", [{"problem": problem}], problem=problem)
    state = {"id": problem, "project_id": row["project_id"], "opened_on": row["opened_on"], "due": row["due_on"],
             "status": "open", "closed_on": None, "last_on": row["opened_on"]}
    for a in txn.conn.execute(select(PBA).where(PBA.c.problem_id == problem).order_by(PBA.c.event_seq)).mappings():
        if a["action"] == "extend":
            state["due"] = a["due_on"]
        elif a["action"] == "close":
            state["status"], state["closed_on"] = "closed", a["effective_on"]
        elif a["action"] == "reopen":
            state["status"], state["closed_on"] = "open", None
        state["last_on"] = max(state["last_on"], a["effective_on"])
    return state


def act_on_problem(txn: Txn, proj: ProjectRow, *, problem: int, action: str, text: str, on: date,
                   to: Any = None) -> None:
    """``update`` (progress, 反馈), ``extend`` (to ``to``; only on or before the due date),
    ``close`` (销号) or ``reopen`` (退回重办) problem ``problem`` of ``proj``."""
    what = {"update": "TEXT", "extend": "--reason", "close": "--resolution", "reopen": "--reason"}[action]
    text = required(text, what, TEXT_LIMIT, multiline=True)
    state = _state(txn, problem)
    if state["project_id"] != proj.id:
        raise NotFound("problem_is_not_problem", [{"problem": problem}], problem=problem, code=proj.code)
    check_on(txn, proj, on, transition=False)
    if on < state["last_on"]:
        raise BadInput("on_lies_before_problem", on=on, last_on=state['last_on'])
    due = None
    if action == "reopen":
        if state["status"] != "closed":
            raise Refused("problem_is_open_only",
                          [{"problem": problem, "status": "open"}], problem=problem)
    elif state["status"] != "open":
        raise Refused("problem_is_closed_on",
                      [{"problem": problem, "status": "closed"}], problem=problem, closed_on=state['closed_on'])
    if action == "extend":
        if to is None:
            raise BadInput("to_give_new_due")
        due = day(to, "--to")
        if on > state["due"]:
            raise Refused("problem_was_due_on",
                          [{"problem": problem, "due": state["due"].isoformat(), "on": on.isoformat()}],
                          problem=problem, due=state['due'], on=on)
        if due <= state["due"]:
            raise BadInput("to_does_not_move", due=due, state_due=state['due'])
    txn.emit(proj, ProblemActed(on=on, problem=problem, action=action, text=text, due=due))


def letter_number(year: int, serial: int) -> str:
    return f"〔{year}〕{serial}号"


def issue_letters(txn: Txn, as_of: date, lad: Ladder, min_level: int | None = None) -> list[dict]:
    """One letter for each open problem at ``min_level`` (default the ladder's) or more on ``as_of``
    that has no letter at its level yet, numbered on from the year's last number (never reused).
    Each is a ``letter`` event on the problem's project."""
    if as_of > txn.today:
        raise BadInput("as_of_lies_in", as_of=as_of, today=txn.today)
    floor = lad.letter_min_level if min_level is None else min_level
    _advisory(txn, _LETTER_LOCK)
    have = {(r[0], r[1]) for r in txn.conn.execute(select(LET.c.problem_id, LET.c.level))}

    def due_letters() -> list[dict]:
        return sorted((p for p in problem_states(txn.conn, as_of, lad)
                       if p["status"] == "open" and p["level"] >= max(floor, 0) and (p["id"], p["level"]) not in have),
                      key=lambda p: p["id"])

    wanted = due_letters()
    if wanted:  # lock the projects, then read again: a problem closed meanwhile gets no letter
        txn.lock_many(sorted({p["project"] for p in wanted}))
        wanted = due_letters()
    serial = txn.conn.execute(select(func.max(LET.c.serial)).where(LET.c.year == as_of.year)).scalar() or 0
    issued = []
    for p in wanted:
        serial += 1
        to = addressee(txn.conn, p, as_of)
        proj = txn.lock(p["project"])
        number = letter_number(as_of.year, serial)
        txn.emit(proj, LetterIssued(on=as_of, problem=p["id"], level=p["level"], year=as_of.year, serial=serial,
                                    number=number, addressee=to["zh"]))
        txn.done(proj)
        issued.append({"number": number, "year": as_of.year, "serial": serial, "problem": p, "level": p["level"],
                       "addressee": to, "issued_on": as_of,
                       "owner_person_name": person_name(txn.conn, p["owner_person"])})
    return issued
