"""Stored event rows read back into events (``event_from_row``, one reader per kind): what the replay
of ``audit verify`` applies through the same methods as the write path (``workflow.events``)."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import date
from typing import Any

from workflow.definition_model import held_from_after
from workflow.events import (
    PROBLEM_ACTIONS,
    RESTORED_TABLES,
    Assigned,
    CapitalArrived,
    CheckRecorded,
    CommitmentSet,
    Corrected,
    DocumentRecorded,
    Edited,
    Event,
    FollowedUp,
    InvestmentRecorded,
    LetterIssued,
    Migrated,
    PerformanceReported,
    ProblemActed,
    ProblemOpened,
    Registered,
    Retired,
    Transitioned,
    YearPlanSet,
)
from workflow.words import PLAN_FIELDS


def _date_or_none(value: Any) -> date | None:
    return None if value is None else date.fromisoformat(value)


_DATE_COLUMNS = frozenset({"plan_sign", "plan_fund", "plan_break_ground", "plan_commission"})


# One reader per stored kind: ``(trigger, from_stage, to_stage, on, reason, payload, paused, target_on)``
# -> the Event the row records (see ``event_from_row``).
RowReader = Callable[[Any, Any, Any, date, Any, Mapping[str, Any], frozenset[str], "date | None"], Event]


def _read_registered(trigger: Any, from_stage: Any, to_stage: Any, on: date, reason: Any, p: Mapping[str, Any],
                     paused: frozenset[str], target_on: date | None) -> Event:
    plan = p["plan"]
    given = p.get("planned_investment")  # a planned investment given in another currency
    return Registered(on=on, stage=str(to_stage), name=p["name"], investor=p["investor"], origin=p["origin"],
                      industry=p["industry"], category=p["category"], key=bool(p["key"]),
                      planned_investment_minor=int(p["planned_investment_minor"]), unit_code=p["unit_code"],
                      workflow_name=p["workflow_name"], workflow_version=int(p["workflow_version"]),
                      plan=tuple(_date_or_none(plan[f]) for f in PLAN_FIELDS),  # type: ignore[arg-type]
                      planned_original=(int(given["amount_minor"]), str(given["currency"]), str(given["rate"]))
                      if given else None)


def _read_edited(trigger: Any, from_stage: Any, to_stage: Any, on: date, reason: Any, p: Mapping[str, Any],
                 paused: frozenset[str], target_on: date | None) -> Event:
    changes = {k: (old, new) for k, (old, new) in p["changes"].items()}
    values = {k: _date_or_none(new) if k in _DATE_COLUMNS else new for k, (_old, new) in changes.items()}
    return Edited(on=on, changes=changes, values=values, why=reason)


def _read_transition(trigger: Any, from_stage: Any, to_stage: Any, on: date, reason: Any, p: Mapping[str, Any],
                     paused: frozenset[str], target_on: date | None) -> Event:
    held = held_from_after(paused, from_stage, to_stage, None)
    if trigger == "hold" and not paused:
        held = p.get("held_from", from_stage)
    return Transitioned(on, str(trigger), str(from_stage), str(to_stage), reason, held, bool(p.get("auto", False)))


def _read_check(trigger: Any, from_stage: Any, to_stage: Any, on: date, reason: Any, p: Mapping[str, Any],
                paused: frozenset[str], target_on: date | None) -> Event:
    return CheckRecorded(on, p["item"], p["result"], p["note"])


def _read_document(trigger: Any, from_stage: Any, to_stage: Any, on: date, reason: Any, p: Mapping[str, Any],
                   paused: frozenset[str], target_on: date | None) -> Event:
    f = p.get("file")
    if f is None:
        return DocumentRecorded(on, p["document"], p["number"])
    return DocumentRecorded(on, p["document"], p["number"], f["sha256"], f["name"], int(f["size"]))


def _read_capital(trigger: Any, from_stage: Any, to_stage: Any, on: date, reason: Any, p: Mapping[str, Any],
                  paused: frozenset[str], target_on: date | None) -> Event:
    return CapitalArrived(on, int(p["amount_minor"]), p["currency"], p["source"])


def _read_investment(trigger: Any, from_stage: Any, to_stage: Any, on: date, reason: Any, p: Mapping[str, Any],
                     paused: frozenset[str], target_on: date | None) -> Event:
    return InvestmentRecorded(on, int(p["amount_minor"]), p["currency"])


def _read_followup(trigger: Any, from_stage: Any, to_stage: Any, on: date, reason: Any, p: Mapping[str, Any],
                   paused: frozenset[str], target_on: date | None) -> Event:
    if len(p) == 1:  # a plain note (the payload carries the other keys only when given)
        return FollowedUp(on, p["note"])
    return FollowedUp(on, p["note"], p.get("contact"), p.get("next_step"), _date_or_none(p.get("next_on")))


def _read_problem(trigger: Any, from_stage: Any, to_stage: Any, on: date, reason: Any, p: Mapping[str, Any],
                  paused: frozenset[str], target_on: date | None) -> Event:
    return ProblemOpened(on=on, problem=int(p["problem"]), problem_kind=p["kind"], text=p["text"],
                         owner_unit=p["owner_unit"], owner_person=p["owner_person"],
                         due=date.fromisoformat(p["due"]), source=p["source"])


def _problem_reader(action: str) -> RowReader:
    def read(trigger: Any, from_stage: Any, to_stage: Any, on: date, reason: Any, p: Mapping[str, Any],
             paused: frozenset[str], target_on: date | None) -> Event:
        return ProblemActed(on=on, problem=int(p["problem"]), action=action, text=p["text"],
                            due=_date_or_none(p.get("due")))
    return read


def _read_year_plan(trigger: Any, from_stage: Any, to_stage: Any, on: date, reason: Any, p: Mapping[str, Any],
                    paused: frozenset[str], target_on: date | None) -> Event:
    return YearPlanSet(on=on, year=int(p["year"]), amount_minor=int(p["amount_minor"]), currency=p["currency"])


def _read_commitment(trigger: Any, from_stage: Any, to_stage: Any, on: date, reason: Any, p: Mapping[str, Any],
                     paused: frozenset[str], target_on: date | None) -> Event:
    to_year = p["to_year"]
    return CommitmentSet(on=on, commitment_kind=p["kind"], per_year=int(p["per_year"]), from_year=int(p["from_year"]),
                         to_year=None if to_year is None else int(to_year))


def _read_performance(trigger: Any, from_stage: Any, to_stage: Any, on: date, reason: Any, p: Mapping[str, Any],
                      paused: frozenset[str], target_on: date | None) -> Event:
    return PerformanceReported(on=on, year=int(p["year"]), performance_kind=p["kind"], value=int(p["value"]))


def _read_letter(trigger: Any, from_stage: Any, to_stage: Any, on: date, reason: Any, p: Mapping[str, Any],
                 paused: frozenset[str], target_on: date | None) -> Event:
    return LetterIssued(on=on, problem=int(p["problem"]), level=int(p["level"]), year=int(p["year"]),
                        serial=int(p["serial"]), number=p["number"], addressee=p["addressee"])


def _assignment_reader(kind: str) -> RowReader:
    def read(trigger: Any, from_stage: Any, to_stage: Any, on: date, reason: Any, p: Mapping[str, Any],
             paused: frozenset[str], target_on: date | None) -> Event:
        replaces = p.get("replaces")
        if (kind == "reassignment") != (replaces is not None):
            raise ValueError(f"a {kind} event {'without' if replaces is None else 'with'} 'replaces'")
        return Assigned(on=on, role=p["role"], person=p["person"], rule_id=p["rule_id"],
                        rule_version=p["rule_version"], why=reason, replaces=replaces)
    return read


# The columns of the row an undo restores (``Corrected.restore_row``), by the corrected kind.
_RESTORED_KEYS = {"check": {"item", "result", "note", "effective_on"},
                  "year_plan": {"year", "amount_minor", "currency", "effective_on"}}
assert set(_RESTORED_KEYS) == set(RESTORED_TABLES)


def _read_correction(trigger: Any, from_stage: Any, to_stage: Any, on: date, reason: Any, p: Mapping[str, Any],
                     paused: frozenset[str], target_on: date | None) -> Event:
    restore = p.get("restore_stage")
    amount = p.get("amount_minor")
    row = p.get("restore")  # an undone check or yearly plan: the row of the value before it
    if row is not None:
        if not isinstance(row, dict) or set(row) != _RESTORED_KEYS.get(p["kind"]):
            raise ValueError(f"a correction of a {p['kind']!r} event restoring {row!r}")
        row = {k: _date_or_none(v) if k == "effective_on" else v for k, v in row.items()}
    return Corrected(on=on, corrects=int(p["corrects"]), target_kind=p["kind"], why=str(reason),
                     source=from_stage if restore is not None else None, restore_stage=restore,
                     restore_held_from=p.get("held_from") if restore is not None else None,
                     restore_since=_date_or_none(p.get("stage_since")) if restore is not None else None,
                     amount_minor=None if amount is None else int(amount), currency=p.get("currency"),
                     target_on=target_on if amount is not None else None, undo=bool(p.get("undo", False)),
                     restore_row=row)


def _read_migrated(trigger: Any, from_stage: Any, to_stage: Any, on: date, reason: Any, p: Mapping[str, Any],
                   paused: frozenset[str], target_on: date | None) -> Event:
    held = p["held_from"]
    return Migrated(on=on, workflow=str(p["workflow"]), from_version=int(p["from_version"]),
                    to_version=int(p["to_version"]), source=str(from_stage), dest=str(to_stage),
                    held_from=None if held is None else str(held), why=str(reason))


def _read_retired(trigger: Any, from_stage: Any, to_stage: Any, on: date, reason: Any, p: Mapping[str, Any],
                  paused: frozenset[str], target_on: date | None) -> Event:
    if p:
        raise ValueError("a retired event carries no payload")
    return Retired(on=on, source=str(from_stage), why=str(reason))


ROW_READERS: dict[str, RowReader] = {
    "registered": _read_registered, "edited": _read_edited, "transition": _read_transition,
    "check": _read_check, "document": _read_document, "capital": _read_capital, "investment": _read_investment,
    "followup": _read_followup, "problem": _read_problem,
    **{f"problem_{action}": _problem_reader(action) for action in PROBLEM_ACTIONS},
    "year_plan": _read_year_plan, "letter": _read_letter,
    "commitment": _read_commitment, "performance": _read_performance,
    "assignment": _assignment_reader("assignment"), "reassignment": _assignment_reader("reassignment"),
    "correction": _read_correction, "migrated": _read_migrated, "retired": _read_retired,
}


def event_from_row(kind: str, trigger: str | None, from_stage: str | None, to_stage: str | None,
                   on: date, reason: str | None, payload: Mapping[str, Any],
                   paused: frozenset[str] = frozenset(), target_on: date | None = None) -> Event:
    """The Event a stored row records (the inverse of what ``Txn.emit`` stores), so the replay in
    ``workflow.replay`` applies it and derives its rows through the same methods as the write path.

    ``paused``: the workflow's paused stages (a transition into one holds the project from its
    source).  ``target_on``: for a correction of a capital or investment figure, the effective date
    of the event it corrects (its reversing row is dated so).  Raises ``KeyError``/``TypeError``/
    ``ValueError`` on a row no command writes.  (``ROW_READERS[kind]`` is the same without the
    defaults, for a caller reading many rows.)"""
    read = ROW_READERS.get(kind)
    if read is None:
        raise ValueError(f"unknown event kind {kind!r}")
    return read(trigger, from_stage, to_stage, on, reason, payload, paused, target_on)
