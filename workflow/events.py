"""History events: one frozen dataclass per kind (docs/architecture.md, "The one write path").

Every change to a project is recorded as one or more events.  An event class knows three things:

- its **payload** (``payload()``): the JSON object stored in the ``event.payload`` column and hashed
  (``workflow.encoding``);
- what it does to the **project row** and to the project's guard facts (``apply``);
- the **derived rows** it leaves in the side tables (``derived``): a document, a check, a capital
  arrival, an assignment … — projections of history that reads and reports use.

The write path (``workflow.store``) appends events and applies them through these methods; the
replay reads stored rows back into the same classes (``workflow.event_rows``), so there is one
description of each kind.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import date
from typing import Any, ClassVar

from workflow.definition_model import RETIRED, held_from_after
from workflow.encoding import GENESIS
from workflow.encoding import canonical as canonical  # re-exported: workflow/rules.py reads it here
from workflow.rows import ProjectRow

# --- the kinds ------------------------------------------------------------------------------------


class Facts:
    """What the guards and commands read of one project besides its row: documents recorded, the
    latest result per check item, capital in place (all currencies, minor units), and the current
    holders of each assignment role (role -> [{"person_login", "event_seq"}]).

    The write path fills it from the database (``store.Txn.facts``; a single write reads each part
    when it is first asked for, through ``loader``) or, in a batch, reads many projects' at once and
    keeps them in memory; events update it as they are applied (a part is read before its first
    change), so later commands in the same transaction see them."""

    __slots__ = ("_documents", "_checks", "_capital", "_holders", "_loader")

    def __init__(self, documents: set[str] | None = None, checks: dict[str, str] | None = None,
                 capital: int | None = 0, holders: dict[str, list[dict]] | None = None,
                 loader: Callable[[str], Any] | None = None):
        self._loader = loader
        if loader is None:
            documents = set() if documents is None else documents
            checks = {} if checks is None else checks
            capital = capital or 0
            holders = {} if holders is None else holders
        self._documents = documents
        self._checks = checks
        self._capital = capital
        self._holders = holders

    def _load(self, part: str) -> Any:
        assert self._loader is not None
        return self._loader(part)

    @property
    def documents(self) -> set[str]:
        if self._documents is None:
            self._documents = self._load("documents")
        return self._documents

    @property
    def checks(self) -> dict[str, str]:
        if self._checks is None:
            self._checks = self._load("checks")
        return self._checks

    @property
    def capital(self) -> int:
        if self._capital is None:
            self._capital = self._load("capital")
        return self._capital

    @capital.setter
    def capital(self, value: int) -> None:
        self._capital = value

    @property
    def holders(self) -> dict[str, list[dict]]:
        if self._holders is None:
            self._holders = self._load("holders")
        return self._holders


# A derived row: (table name, column values); an ``assignment_end`` row ends an open assignment.
Derived = tuple[str, dict[str, Any]]


@dataclass(frozen=True, slots=True)
class Event:
    """The fields every event has; subclasses add their own and say what they record."""

    kind: ClassVar[str]
    touches_facts: ClassVar[bool] = False  # whether ``apply`` changes the project's facts
    on: date

    @property
    def trigger(self) -> str | None:
        return None

    @property
    def from_stage(self) -> str | None:
        return None

    @property
    def to_stage(self) -> str | None:
        return None

    @property
    def reason(self) -> str | None:
        return None

    def payload(self) -> dict[str, Any]:
        raise NotImplementedError

    def apply(self, project: Any, facts: Facts | None) -> None:
        """Change the project row (and its facts) as this event does; the default changes nothing
        but the chain head, which the store advances."""

    def derived(self, project_id: int, seq: int, actor: str) -> list[Derived]:
        """The side-table rows this event leaves."""
        return []


def _day(value: date | None) -> str | None:
    return None if value is None else value.isoformat()




@dataclass(frozen=True, slots=True)
class Registered(Event):
    """A project is created at the workflow's first stage."""

    kind: ClassVar[str] = "registered"
    stage: str
    name: str
    investor: str | None
    origin: str | None
    industry: str | None
    category: str | None
    key: bool
    planned_investment_minor: int
    unit_code: str | None
    workflow_name: str
    workflow_version: int
    plan: tuple[date | None, date | None, date | None, date | None]  # in PLAN_FIELDS order
    # a planned investment given in another currency: (its amount in minor units, the currency, the rate of
    # the registration year it was converted at); ``planned_investment_minor`` is its CNY value
    # (docs/money.md, "Exchange rates").  None: given in CNY (the payload then has no such key).
    planned_original: tuple[int, str, str] | None = None

    @property
    def to_stage(self) -> str | None:
        return self.stage

    def new_row(self, pid: int, code: str, *, key_override: bool | None = None, created_at: Any = None,
                new: bool = False) -> Any:
        """The project row this registration makes (a ``workflow.rows.ProjectRow`` at version 1 with an
        empty chain; appending this event moves its head): the one place the row is built, for a
        single write, a batch (import) and the replay alike.  ``key_override`` is the row's own (it is
        not in history: the replay compares the key flag instead)."""
        sign, fund, break_ground, commission = self.plan
        return ProjectRow(
            id=pid, code=code, name=self.name, investor=self.investor, origin=self.origin, industry=self.industry,
            category=self.category, key=self.key, key_override=key_override,
            planned_investment_minor=self.planned_investment_minor, planned_currency="CNY", unit_code=self.unit_code,
            plan_sign=sign, plan_fund=fund, plan_break_ground=break_ground, plan_commission=commission,
            stage=self.stage, stage_since=self.on, held_from=None, registered_on=self.on, last_transition_on=self.on,
            last_followup_on=None, workflow_name=self.workflow_name, workflow_version=self.workflow_version,
            version=1, head_seq=0, head_hash=GENESIS, created_at=created_at, new=new)

    def payload(self) -> dict[str, Any]:
        sign, fund, break_ground, commission = self.plan
        return {"name": self.name, "investor": self.investor, "origin": self.origin, "industry": self.industry,
                "category": self.category, "key": self.key,
                "planned_investment_minor": self.planned_investment_minor, "unit_code": self.unit_code,
                "workflow_name": self.workflow_name, "workflow_version": self.workflow_version,
                "plan": {"sign": sign and sign.isoformat(), "fund": fund and fund.isoformat(),
                         "break_ground": break_ground and break_ground.isoformat(),
                         "commission": commission and commission.isoformat()},
                **({"planned_investment": {"amount_minor": self.planned_original[0],
                                           "currency": self.planned_original[1], "rate": self.planned_original[2]}}
                   if self.planned_original is not None else {})}


@dataclass(frozen=True, slots=True)
class Edited(Event):
    """Descriptive fields changed: ``changes`` maps each project column to ``[old, new]`` (JSON values)."""

    kind: ClassVar[str] = "edited"
    changes: Mapping[str, tuple[Any, Any]]
    values: Mapping[str, Any] = field(default_factory=dict)  # the new column values, as stored
    why: str | None = None  # a reason, where the edit needs one (a plan with dates in the past)

    @property
    def reason(self) -> str | None:
        return self.why

    def payload(self) -> dict[str, Any]:
        return {"changes": {k: [old, new] for k, (old, new) in self.changes.items()}}

    def apply(self, project: Any, facts: Facts | None) -> None:
        for column, value in self.values.items():
            setattr(project, column, value)


@dataclass(frozen=True, slots=True)
class CheckRecorded(Event):
    kind: ClassVar[str] = "check"
    touches_facts: ClassVar[bool] = True
    item: str
    result: str
    note: str | None

    def payload(self) -> dict[str, Any]:
        return {"item": self.item, "result": self.result, "note": self.note}

    def apply(self, project: Any, facts: Facts | None) -> None:
        if facts is not None:
            facts.checks[self.item] = self.result

    def derived(self, project_id: int, seq: int, actor: str) -> list[Derived]:
        return [("screening_check", {"project_id": project_id, "item": self.item, "result": self.result,
                                     "note": self.note, "effective_on": self.on, "event_seq": seq})]


@dataclass(frozen=True, slots=True)
class DocumentRecorded(Event):
    """A document recorded; with an attached file (``doc add --file``) its SHA-256, name and size
    (docs/audit.md, "Attachments").  The payload carries ``file`` only when one is attached, so the
    payload (and hash) of a plain document is what it always was."""

    kind: ClassVar[str] = "document"
    touches_facts: ClassVar[bool] = True
    document: str
    number: str
    file_sha256: str | None = None
    file_name: str | None = None
    file_size: int | None = None

    def payload(self) -> dict[str, Any]:
        payload: dict[str, Any] = {"document": self.document, "number": self.number}
        if self.file_sha256 is not None:
            payload["file"] = {"sha256": self.file_sha256, "name": self.file_name, "size": self.file_size}
        return payload

    def apply(self, project: Any, facts: Facts | None) -> None:
        if facts is not None:
            facts.documents.add(self.document)

    def derived(self, project_id: int, seq: int, actor: str) -> list[Derived]:
        return [("document", {"project_id": project_id, "kind": self.document, "number": self.number,
                              "effective_on": self.on, "event_seq": seq, "file_sha256": self.file_sha256,
                              "file_name": self.file_name, "file_size": self.file_size})]


@dataclass(frozen=True, slots=True)
class CapitalArrived(Event):
    kind: ClassVar[str] = "capital"
    touches_facts: ClassVar[bool] = True
    amount_minor: int
    currency: str
    source: str | None

    def payload(self) -> dict[str, Any]:
        return {"amount_minor": self.amount_minor, "currency": self.currency, "source": self.source}

    def apply(self, project: Any, facts: Facts | None) -> None:
        if facts is not None:
            facts.capital += self.amount_minor

    def derived(self, project_id: int, seq: int, actor: str) -> list[Derived]:
        return [("capital_arrival", {"project_id": project_id, "amount_minor": self.amount_minor,
                                     "currency": self.currency, "effective_on": self.on, "source": self.source,
                                     "event_seq": seq})]


@dataclass(frozen=True, slots=True)
class InvestmentRecorded(Event):
    kind: ClassVar[str] = "investment"
    amount_minor: int
    currency: str

    def payload(self) -> dict[str, Any]:
        return {"amount_minor": self.amount_minor, "currency": self.currency}

    def derived(self, project_id: int, seq: int, actor: str) -> list[Derived]:
        return [("investment_completed", {"project_id": project_id, "amount_minor": self.amount_minor,
                                          "currency": self.currency, "effective_on": self.on, "event_seq": seq})]


@dataclass(frozen=True, slots=True)
class YearPlanSet(Event):
    """A project's investment plan for one year (年度计划投资); a later one for the same year replaces it
    (the newest ``year_plan`` row of a project and year is the plan in force; 0 clears it)."""

    kind: ClassVar[str] = "year_plan"
    year: int
    amount_minor: int
    currency: str = "CNY"

    def payload(self) -> dict[str, Any]:
        return {"year": self.year, "amount_minor": self.amount_minor, "currency": self.currency}

    def derived(self, project_id: int, seq: int, actor: str) -> list[Derived]:
        return [("year_plan", {"project_id": project_id, "year": self.year, "amount_minor": self.amount_minor,
                               "currency": self.currency, "effective_on": self.on, "event_seq": seq})]


@dataclass(frozen=True, slots=True)
class CommitmentSet(Event):
    """A contract commitment (履约承诺): ``per_year`` of ``commitment_kind`` each year from ``from_year``
    to ``to_year`` (None: open-ended); a later one of the same kind replaces it for the years it covers
    (docs/lights-and-reports.md, "履约")."""

    kind: ClassVar[str] = "commitment"
    commitment_kind: str
    per_year: int
    from_year: int
    to_year: int | None

    def payload(self) -> dict[str, Any]:
        return {"kind": self.commitment_kind, "per_year": self.per_year, "from_year": self.from_year,
                "to_year": self.to_year}

    def derived(self, project_id: int, seq: int, actor: str) -> list[Derived]:
        return [("commitment", {"project_id": project_id, "kind": self.commitment_kind, "per_year": self.per_year,
                                "from_year": self.from_year, "to_year": self.to_year, "effective_on": self.on,
                                "event_seq": seq})]


@dataclass(frozen=True, slots=True)
class PerformanceReported(Event):
    """A yearly actual (履约实绩) of one kind; a later one for the same year and kind replaces it."""

    kind: ClassVar[str] = "performance"
    year: int
    performance_kind: str
    value: int

    def payload(self) -> dict[str, Any]:
        return {"year": self.year, "kind": self.performance_kind, "value": self.value}

    def derived(self, project_id: int, seq: int, actor: str) -> list[Derived]:
        return [("performance", {"project_id": project_id, "year": self.year, "kind": self.performance_kind,
                                 "value": self.value, "effective_on": self.on, "event_seq": seq})]


@dataclass(frozen=True, slots=True)
class FollowedUp(Event):
    """A follow-up note; it may name the contact, promise a next step and the date of the next
    follow-up (``next_on``).  The payload carries those keys only when given, so the payload (and
    hash) of a plain note is what it always was."""

    kind: ClassVar[str] = "followup"
    note: str
    contact: str | None = None
    next_step: str | None = None
    next_on: date | None = None

    def payload(self) -> dict[str, Any]:
        payload: dict[str, Any] = {"note": self.note}
        if self.contact is not None:
            payload["contact"] = self.contact
        if self.next_step is not None:
            payload["next_step"] = self.next_step
        if self.next_on is not None:
            payload["next_on"] = self.next_on.isoformat()
        return payload

    def apply(self, project: Any, facts: Facts | None) -> None:
        if project.last_followup_on is None or self.on > project.last_followup_on:
            project.last_followup_on = self.on

    def derived(self, project_id: int, seq: int, actor: str) -> list[Derived]:
        return [("followup", {"project_id": project_id, "note": self.note, "effective_on": self.on,
                              "actor": actor, "event_seq": seq, "contact": self.contact,
                              "next_step": self.next_step, "next_on": self.next_on})]


# --- problems and supervision (督办) ----------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class ProblemOpened(Event):
    """A problem of the project assigned to a unit (and a person) with a due date; ``problem`` is
    its county-wide id."""

    kind: ClassVar[str] = "problem"
    problem: int
    problem_kind: str
    text: str
    owner_unit: str
    owner_person: str | None
    due: date
    source: str | None

    def payload(self) -> dict[str, Any]:
        return {"problem": self.problem, "kind": self.problem_kind, "text": self.text,
                "owner_unit": self.owner_unit, "owner_person": self.owner_person, "due": self.due.isoformat(),
                "source": self.source}

    def derived(self, project_id: int, seq: int, actor: str) -> list[Derived]:
        return [("problem", {"id": self.problem, "project_id": project_id, "kind": self.problem_kind,
                             "text": self.text, "owner_unit": self.owner_unit, "owner_person": self.owner_person,
                             "due_on": self.due, "source": self.source, "opened_on": self.on, "actor": actor,
                             "event_seq": seq})]


PROBLEM_ACTIONS = ("update", "extend", "close", "reopen")


@dataclass(frozen=True, slots=True)
class ProblemActed(Event):
    """Progress on a problem (``update``, 反馈), an extension of its due date (``extend``, to
    ``due``), its close-out (``close``, 销号) or its send-back (``reopen``, 退回重办)."""

    problem: int
    action: str
    text: str
    due: date | None = None

    @property
    def kind(self) -> str:  # type: ignore[override]
        return f"problem_{self.action}"

    def payload(self) -> dict[str, Any]:
        payload: dict[str, Any] = {"problem": self.problem, "text": self.text}
        if self.due is not None:
            payload["due"] = self.due.isoformat()
        return payload

    def derived(self, project_id: int, seq: int, actor: str) -> list[Derived]:
        return [("problem_action", {"problem_id": self.problem, "project_id": project_id, "action": self.action,
                                    "text": self.text, "due_on": self.due, "effective_on": self.on,
                                    "actor": actor, "event_seq": seq})]


@dataclass(frozen=True, slots=True)
class LetterIssued(Event):
    """A supervision letter (督办函) ``number`` (serial ``serial`` of ``year``) for a problem at a
    ladder level, addressed to whom that level names."""

    kind: ClassVar[str] = "letter"
    problem: int
    level: int
    year: int
    serial: int
    number: str
    addressee: str

    def payload(self) -> dict[str, Any]:
        return {"problem": self.problem, "level": self.level, "year": self.year, "serial": self.serial,
                "number": self.number, "addressee": self.addressee}

    def derived(self, project_id: int, seq: int, actor: str) -> list[Derived]:
        return [("supervision_letter", {"year": self.year, "serial": self.serial, "number": self.number,
                                        "problem_id": self.problem, "project_id": project_id,
                                        "level": self.level, "addressee": self.addressee, "issued_on": self.on,
                                        "actor": actor, "event_seq": seq})]


@dataclass(frozen=True, slots=True)
class Transitioned(Event):
    """A stage change through the workflow's machine.  ``held_from`` is the stage the project is
    held from after it (entering a paused stage records where it came from; leaving clears it)."""

    kind: ClassVar[str] = "transition"
    name: str  # the trigger
    source: str
    dest: str
    why: str | None
    held_from: str | None
    auto: bool = False

    @property
    def trigger(self) -> str | None:
        return self.name

    @property
    def from_stage(self) -> str | None:
        return self.source

    @property
    def to_stage(self) -> str | None:
        return self.dest

    @property
    def reason(self) -> str | None:
        return self.why

    def payload(self) -> dict[str, Any]:
        payload: dict[str, Any] = {"held_from": self.source} if self.name == "hold" else {}
        if self.auto:
            payload["auto"] = True
        return payload

    def apply(self, project: Any, facts: Facts | None) -> None:
        project.stage = self.dest
        project.held_from = self.held_from
        project.stage_since = self.on
        project.last_transition_on = self.on


@dataclass(frozen=True, slots=True)
class Migrated(Event):
    """The project moved to another version of its workflow (``workflow migrate``): from stage
    ``source`` of ``from_version`` to stage ``dest`` of ``to_version`` by the migration's stage map;
    ``held_from`` is the (mapped) stage a paused project is held from.  The time in the stage goes on:
    ``stage_since`` and the last transition's date are kept (docs/audit.md, "Workflow migrations")."""

    kind: ClassVar[str] = "migrated"
    workflow: str
    from_version: int
    to_version: int
    source: str
    dest: str
    held_from: str | None
    why: str

    @property
    def from_stage(self) -> str | None:
        return self.source

    @property
    def to_stage(self) -> str | None:
        return self.dest

    @property
    def reason(self) -> str | None:
        return self.why

    def payload(self) -> dict[str, Any]:
        return {"workflow": self.workflow, "from_version": self.from_version, "to_version": self.to_version,
                "held_from": self.held_from}

    def apply(self, project: Any, facts: Facts | None) -> None:
        project.workflow_name = self.workflow
        project.workflow_version = self.to_version
        project.stage = self.dest
        project.held_from = self.held_from


LEAD_ROLE = "lead_leader"  # the assignment role whose holder may retire the project, besides an admin


@dataclass(frozen=True, slots=True)
class Retired(Event):
    """The project leaves the pipeline (出库, ``project retire``) for the final stage ``retired``, with
    a reason; it stays in history and in the reports of the periods it was active in."""

    kind: ClassVar[str] = "retired"
    source: str
    why: str

    @property
    def from_stage(self) -> str | None:
        return self.source

    @property
    def to_stage(self) -> str | None:
        return RETIRED

    @property
    def reason(self) -> str | None:
        return self.why

    def payload(self) -> dict[str, Any]:
        return {}

    def apply(self, project: Any, facts: Facts | None) -> None:
        project.stage = RETIRED
        project.held_from = None
        project.stage_since = self.on
        project.last_transition_on = self.on


@dataclass(frozen=True, slots=True)
class Assigned(Event):
    """A person takes a role on the project, by a rule or by hand; ``replaces`` (a reassignment)
    ends the previous holder's assignment."""

    touches_facts: ClassVar[bool] = True
    role: str
    person: str
    rule_id: int | None = None
    rule_version: int | None = None
    why: str | None = None
    replaces: str | None = None

    @property
    def kind(self) -> str:  # type: ignore[override]
        return "assignment" if self.replaces is None else "reassignment"

    @property
    def reason(self) -> str | None:
        return self.why

    def payload(self) -> dict[str, Any]:
        payload: dict[str, Any] = {"role": self.role, "person": self.person, "rule_id": self.rule_id,
                                   "rule_version": self.rule_version}
        if self.replaces is not None:
            payload["replaces"] = self.replaces
        return payload

    def _replaced(self, facts: Facts | None) -> dict | None:
        if self.replaces is None or facts is None:
            return None
        for holder in facts.holders.get(self.role, []):
            if holder["person_login"] == self.replaces:
                return holder
        return None

    def derived(self, project_id: int, seq: int, actor: str) -> list[Derived]:
        return [("assignment", {"project_id": project_id, "role": self.role, "person_login": self.person,
                                "rule_id": self.rule_id, "rule_version": self.rule_version,
                                "assigned_on": self.on, "event_seq": seq})]

    def ends(self, facts: Facts | None) -> int | None:
        """The ``event_seq`` of the assignment this one ends (before ``apply``), if any."""
        replaced = self._replaced(facts)
        return None if replaced is None else replaced["event_seq"]

    def apply_holders(self, facts: Facts | None, seq: int) -> None:
        if facts is None:
            return
        current = facts.holders.setdefault(self.role, [])
        replaced = self._replaced(facts)
        if replaced is not None:
            current.remove(replaced)
        current.append({"person_login": self.person, "event_seq": seq})


@dataclass(frozen=True, slots=True)
class Corrected(Event):
    """An admin's (or the entry's own author's) reasoned correction of event ``corrects``.

    A stage change is undone by returning to ``restore_stage`` (with its held-from stage and entry
    date); a capital or investment figure by a reversing entry of ``amount_minor`` (negative) dated
    ``target_on``; an undone check result or yearly plan by a row putting back the value in force
    before it (``restore_row``: a check's previous result, note and date; a year's previous plan, 0
    when there was none), which as the newest row of its item or year is the one read; anything else
    is annotated only (docs/audit.md, `pipeline undo`)."""

    kind: ClassVar[str] = "correction"
    touches_facts: ClassVar[bool] = True
    corrects: int
    target_kind: str
    why: str
    source: str | None = None
    restore_stage: str | None = None
    restore_held_from: str | None = None
    restore_since: date | None = None
    amount_minor: int | None = None
    currency: str | None = None
    target_on: date | None = None
    undo: bool = False  # written by ``pipeline undo`` (the entry's own author), not an admin's ``correct``
    restore_row: Mapping[str, Any] | None = None  # RESTORED_TABLES[target_kind]'s columns (dates as dates)

    @property
    def from_stage(self) -> str | None:
        return self.source if self.restore_stage is not None else None

    @property
    def to_stage(self) -> str | None:
        return self.restore_stage

    @property
    def reason(self) -> str | None:
        return self.why

    def payload(self) -> dict[str, Any]:
        payload: dict[str, Any] = {"corrects": self.corrects, "kind": self.target_kind}
        if self.undo:
            payload["undo"] = True
        if self.restore_stage is not None:
            payload.update({"restore_stage": self.restore_stage, "held_from": self.restore_held_from,
                            "stage_since": _day(self.restore_since)})
        elif self.amount_minor is not None:
            payload.update({"amount_minor": self.amount_minor, "currency": self.currency})
        elif self.restore_row is not None:
            payload["restore"] = {k: v.isoformat() if isinstance(v, date) else v for k, v in self.restore_row.items()}
        return payload

    def apply(self, project: Any, facts: Facts | None) -> None:
        if self.restore_stage is not None:
            project.stage = self.restore_stage
            project.held_from = self.restore_held_from
            project.stage_since = self.restore_since
            project.last_transition_on = self.restore_since
        elif self.amount_minor is not None and self.target_kind == "capital" and facts is not None:
            facts.capital += self.amount_minor
        elif self.restore_row is not None and self.target_kind == "check" and facts is not None:
            facts.checks[self.restore_row["item"]] = self.restore_row["result"]

    def derived(self, project_id: int, seq: int, actor: str) -> list[Derived]:
        if self.restore_row is not None:
            return [(RESTORED_TABLES[self.target_kind], {"project_id": project_id, **self.restore_row,
                                                         "event_seq": seq})]
        if self.restore_stage is not None or self.amount_minor is None:
            return []
        row = {"project_id": project_id, "amount_minor": self.amount_minor, "currency": self.currency,
               "effective_on": self.target_on, "event_seq": seq}
        if self.target_kind == "capital":
            row["source"] = f"correction of event {self.corrects}"
            return [("capital_arrival", row)]
        return [("investment_completed", row)]


# The kinds an undo puts back by a row of the value before (``Corrected.restore_row``) -> that row's table.
RESTORED_TABLES = {"check": "screening_check", "year_plan": "year_plan"}


def replay_stage(events: list[dict], paused: frozenset) -> dict:
    """Stage, held-from stage and entry date after ``events`` (dicts with kind/from/to/payload/
    effective_on, in seq order), as transitions and corrections leave them."""
    state: dict[str, Any] = {"stage": None, "held_from": None, "stage_since": None}
    for e in events:
        to = e.get("to")
        if to is None:
            continue
        frm = e.get("from")
        payload = e.get("payload") or {}
        if e["kind"] == "correction":
            state["held_from"] = payload.get("held_from")
            state["stage_since"] = payload.get("stage_since") or e["effective_on"]
        elif e["kind"] == "migrated":  # the time in the stage goes on
            state["held_from"] = payload.get("held_from")
        else:
            if e["kind"] == "transition":
                state["held_from"] = held_from_after(paused, frm, to, state["held_from"])
            state["stage_since"] = e["effective_on"]
        state["stage"] = to
    return state
