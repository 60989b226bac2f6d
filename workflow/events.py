"""History events: one frozen dataclass per kind, and the one canonical encoding they are hashed by.

Every change to a project is recorded as one or more events.  An event class knows three things:

- its **payload** (``payload()``): the JSON object stored in the ``event.payload`` column and hashed;
- what it does to the **project row** and to the project's guard facts (``apply``);
- the **derived rows** it leaves in the side tables (``derived``): a document, a check, a capital
  arrival, an assignment … — projections of history that reads and reports use.

The write path (``workflow.store``) appends events and applies them through these methods; the
replay in ``audit`` reads the same definitions, so there is one description of each kind.

Canonical JSON
    An event's hash is SHA-256 over the RFC 8785 canonical JSON of its stored fields
    (:func:`event_document`), including the previous event's hash.  :func:`canonical` writes what
    the reference ``rfc8785`` package writes (and raises where it raises): plain values (objects with
    keys below U+D800, text, integers within ±(2**53 - 1), booleans, null, lists) go through the
    standard library's C JSON encoder, whose output for them is exactly RFC 8785's; anything else
    (floats, subclasses, exotic keys, out-of-range integers) goes through :func:`canonical_exact`, a
    direct transcription of the RFC.  :func:`event_bytes` writes an event document around a payload
    that is already canonical (as stored) without parsing it.  ``tests/test_events.py`` proves all
    three byte-identical to ``rfc8785`` with golden vectors and generated values.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from functools import lru_cache
from json.encoder import encode_basestring as _py_encode_basestring
from typing import Any, ClassVar

from workflow.definition import held_from_after
from workflow.rows import ProjectRow
from workflow.words import PLAN_FIELDS

try:  # the C accelerator of the standard library's JSON encoder
    from json.encoder import c_encode_basestring as _c_encode_basestring  # type: ignore[attr-defined]
except ImportError:  # pragma: no cover - CPython always has it
    _c_encode_basestring = None

GENESIS = "0" * 64
INT_MAX = 2**53 - 1
INT_MIN = -(2**53) + 1

_enc: Callable[[str], str] = _c_encode_basestring or _py_encode_basestring


def format_utc(ts: datetime) -> str:
    """A UTC timestamp in the hashed form; naive datetimes are taken as UTC."""
    if ts.tzinfo is not None:
        ts = ts.astimezone(UTC).replace(tzinfo=None)
    return ts.isoformat(timespec="microseconds") + "Z"  # %Y-%m-%dT%H:%M:%S.%fZ, without strftime's cost


# --- canonical JSON (RFC 8785) --------------------------------------------------------------------


def canonical_reference(value: Any) -> bytes:
    """RFC 8785 canonical JSON by the reference ``rfc8785`` implementation (for proofs and tests)."""
    import rfc8785

    return rfc8785.dumps(value)


def _utf16_key(key: str) -> bytes:
    return key.encode("utf-16be")


def _dump(value: Any, out: Callable[[str], None]) -> None:
    t = type(value)
    if t is str:
        out(_enc(value))
    elif value is None:
        out("null")
    elif value is True:
        out("true")
    elif value is False:
        out("false")
    elif t is int:
        if value < INT_MIN or value > INT_MAX:
            import rfc8785

            raise rfc8785.IntegerDomainError(value)
        out(int.__repr__(value))
    elif t is dict:
        if not value:
            out("{}")
            return
        try:
            keys = sorted(value, key=_utf16_key)
        except AttributeError:
            import rfc8785

            raise rfc8785.CanonicalizationError("object keys must be strings") from None
        first = True
        for k in keys:
            out("{" if first else ",")
            first = False
            out(_enc(k))
            out(":")
            _dump(value[k], out)
        out("}")
    elif t is list or t is tuple:
        if not value:
            out("[]")
            return
        first = True
        for v in value:
            out("[" if first else ",")
            first = False
            _dump(v, out)
        out("]")
    else:
        _dump_other(value, out)


def _dump_other(value: Any, out: Callable[[str], None]) -> None:
    """Subclasses and floats, in the order ``rfc8785.dump`` tests them."""
    import rfc8785

    if isinstance(value, bool):
        out("true" if value else "false")
    elif isinstance(value, int):
        _dump(int(value), out)
    elif isinstance(value, str):
        out(_enc(value))
    elif isinstance(value, float):
        out(rfc8785.dumps(float(value)).decode("ascii"))
    elif isinstance(value, list | tuple):
        _dump(list(value), out)
    elif isinstance(value, dict):
        _dump(dict(value), out)
    else:
        raise rfc8785.CanonicalizationError(f"unsupported type: {type(value)}")


def canonical_exact(value: Any) -> bytes:
    """RFC 8785 canonical JSON written value by value (any value ``rfc8785`` takes)."""
    parts: list[str] = []
    _dump(value, parts.append)
    try:
        return "".join(parts).encode("utf-8")
    except UnicodeEncodeError as exc:  # lone surrogates
        import rfc8785

        raise rfc8785.CanonicalizationError("input contains non-UTF-8 codepoints") from exc


_C_ENCODER = json.JSONEncoder(ensure_ascii=False, sort_keys=True, separators=(",", ":"), allow_nan=False)
try:  # the encoder's C core, built once (``JSONEncoder.encode`` builds it on every call)
    from json.encoder import c_make_encoder as _c_make_encoder  # type: ignore[attr-defined]

    _C_CORE = _c_make_encoder(None, _C_ENCODER.default, _enc, None, ":", ",", True, False, False)
except (ImportError, TypeError):  # pragma: no cover - CPython always has it
    _C_CORE = None


def _plain(value: Any) -> bool:
    """Whether the C encoder writes ``value`` exactly as RFC 8785 does: its strings are escaped the
    same way, and with keys below U+D800 code-point order is UTF-16 order; floats and integers beyond
    ±(2**53 - 1) are what it writes differently (or should refuse)."""
    t = type(value)
    if t is str or value is None or t is bool:
        return True
    if t is int:
        return INT_MIN <= value <= INT_MAX
    if t is dict:
        for k, v in value.items():
            if type(k) is not str or (k and max(k) >= "\ud800") or not _plain(v):
                return False
        return True
    if t is list:
        return all(_plain(v) for v in value)
    return False


def canonical(value: Any) -> bytes:
    """RFC 8785 canonical JSON, byte-identical to ``rfc8785.dumps`` (and raising where it raises)."""
    if _plain(value):
        try:
            return _C_ENCODER.encode(value).encode("utf-8")
        except UnicodeEncodeError:  # a lone surrogate: let the exact path raise as rfc8785 does
            pass
    return canonical_exact(value)


def plain_text(payload: dict[str, Any]) -> str:
    """The canonical text of an event's payload (``Event.payload``): built from checked values (text,
    booleans, null, dates as text, integers within the amount limit, ASCII keys), which the C encoder
    writes exactly as RFC 8785 does, so no per-value check is needed; ``tests/test_events.py`` proves
    every kind's payload against ``rfc8785``.  A lone surrogate raises when the event bytes are encoded."""
    try:
        return "".join(_C_CORE(payload, 0)) if _C_CORE is not None else _C_ENCODER.encode(payload)
    except (TypeError, ValueError):  # pragma: no cover - a payload of an unexpected type
        return canonical(payload).decode("utf-8")


def payload_text(payload: Mapping[str, Any]) -> str:
    """The stored form of a payload: its canonical JSON as text."""
    return canonical(dict(payload)).decode("utf-8")


# --- the hashed event document ---------------------------------------------------------------------


def event_document(*, project: str, seq: int, kind: str, trigger: str | None, from_stage: str | None,
                   to_stage: str | None, effective_on: date | str, recorded_at: datetime | str, actor: str,
                   reason: str | None, payload: dict | str, prev_hash: str) -> dict:
    """The JSON object that is hashed for one event."""
    if isinstance(payload, str):
        payload = json.loads(payload)
    return {
        "project": project,
        "seq": seq,
        "kind": kind,
        "trigger": trigger,
        "from": from_stage,
        "to": to_stage,
        "effective_on": effective_on if isinstance(effective_on, str) else effective_on.isoformat(),
        "recorded_at": recorded_at if isinstance(recorded_at, str) else format_utc(recorded_at),
        "actor": actor,
        "reason": reason,
        "payload": payload,
        "prev_hash": prev_hash,
    }


def document_hash(**fields: Any) -> str:
    """The hash of an event given by ``event_document``'s fields (parsed values; any payload form):
    the definition ``event_bytes`` writes fast."""
    return hashlib.sha256(canonical(event_document(**fields))).hexdigest()


# The event document with its keys in RFC 8785 order, around a payload that is already canonical
# text.  Every string goes through the JSON string encoder, so no field can spill into its
# neighbours and the bytes determine the fields.
_EVENT_TEMPLATE = (
    '{"actor":%s,"effective_on":%s,"from":%s,"kind":%s,"payload":%s,"prev_hash":%s,"project":%s,'
    '"reason":%s,"recorded_at":%s,"seq":%s,"to":%s,"trigger":%s}'
)


def _frame(kind: str, trigger: str | None, from_stage: str | None, to_stage: str | None, actor: str,
           reason: str | None) -> tuple[str, str, str, str]:
    """``_EVENT_TEMPLATE``'s text around an event's date, payload, chain, recorded time and sequence
    number: the parts that repeat from event to event (a batch writes thousands with one kind and
    actor; a stored history repeats a few dozen combinations)."""
    enc = _enc
    actor_, kind_ = enc(actor), enc(kind)
    from_ = "null" if from_stage is None else enc(from_stage)
    reason_ = "null" if reason is None else enc(reason)
    to_ = "null" if to_stage is None else enc(to_stage)
    trigger_ = "null" if trigger is None else enc(trigger)
    return (f'{{"actor":{actor_},"effective_on":', f',"from":{from_},"kind":{kind_},"payload":',
            f',"reason":{reason_},"recorded_at":', f',"to":{to_},"trigger":{trigger_}}}')


# Frames repeat (the same kind, stages, actor and reason): verify reuses them.
_cached_frame = lru_cache(maxsize=4096)(_frame)


def _frame_at(kind: str, trigger: str | None, from_stage: str | None, to_stage: str | None, recorded_at: str,
              actor: str, reason: str | None) -> tuple[str, str, str, str]:
    """``_frame`` with the recorded time (the hashed text) written in."""
    head, middle, after, end = _frame(kind, trigger, from_stage, to_stage, actor, reason)
    return head, middle, after + _enc(recorded_at), end


# A batch writes thousands of events with one kind, actor and recorded time: it reuses whole frames.
_repeated_frame = lru_cache(maxsize=4096)(_frame_at)


def event_bytes(code: str, seq: int, kind: str, trigger: str | None, from_stage: str | None,
                to_stage: str | None, effective_on: date | str, recorded_at: datetime | str, actor: str,
                reason: str | None, payload: str, prev_hash: str, *, repeated: bool = False) -> bytes:
    """The canonical bytes of an event whose payload is canonical JSON text (how it is stored).

    ``effective_on`` is a date or ISO text; ``recorded_at`` a datetime, the hashed text, or the
    SQLite column text (``YYYY-MM-DD HH:MM:SS.ffffff``).  Raises ``TypeError``/``ValueError`` on values
    of an unexpected type or form (verify then takes the parsing path).  ``repeated``: the caller
    writes many events with one recorded time (a write transaction), whose whole frames are reused."""
    enc = _enc
    if type(effective_on) is str:
        if len(effective_on) != 10:
            raise ValueError("effective_on")
        effective = enc(effective_on)
    else:
        effective = f'"{effective_on.isoformat()}"'  # type: ignore[union-attr]
    if type(recorded_at) is str:
        if len(recorded_at) == 26 and recorded_at[10] == " ":
            recorded_at = f"{recorded_at[:10]}T{recorded_at[11:]}Z"
        elif len(recorded_at) != 27 or recorded_at[10] != "T":
            raise ValueError("recorded_at")
    else:
        recorded_at = format_utc(recorded_at)  # type: ignore[arg-type]
    if type(seq) is not int or type(payload) is not str:
        raise TypeError("seq/payload")
    if repeated:
        head, middle, after, end = _repeated_frame(kind, trigger, from_stage, to_stage, recorded_at, actor, reason)
    else:
        head, middle, after, end = _cached_frame(kind, trigger, from_stage, to_stage, actor, reason)
        after += enc(recorded_at)
    return "".join((head, effective, middle, payload, ',"prev_hash":', enc(prev_hash), ',"project":', enc(code),
                    after, ',"seq":', str(seq), end)).encode("utf-8")


def project_field(code: str) -> str:
    """The ``"project"`` member of the event document of project ``code``, for ``row_bytes``."""
    return ',"project":' + _enc(code)


def row_bytes(project: str, row: tuple) -> bytes:
    """``event_bytes`` of a stored event row ``(id, project_id, seq, kind, trigger, from_stage, to_stage,
    effective_on, recorded_at, actor, reason, payload, prev_hash, hash)`` in the forms SQLite returns
    (``YYYY-MM-DD`` text, the recorded time as ``YYYY-MM-DD HH:MM:SS.ffffff``), its project given as
    ``project_field(code)``: verify's route over millions of rows, one call each.  Raises
    ``ValueError``/``TypeError`` on any other form (the caller then takes ``event_bytes``)."""
    (_id, _pid, seq, kind, trigger, from_stage, to_stage, eff, rec, actor, reason, payload, prev, _hash) = row
    if type(eff) is not str or len(eff) != 10 or type(rec) is not str or len(rec) != 26 or rec[10] != " " \
            or type(seq) is not int or type(payload) is not str:
        raise ValueError("not a stored SQLite row")
    enc = _enc
    head, middle, after, end = _cached_frame(kind, trigger, from_stage, to_stage, actor, reason)
    return "".join((head, enc(eff), middle, payload, ',"prev_hash":', enc(prev), project, after,
                    enc(f"{rec[:10]}T{rec[11:]}Z"), ',"seq":', str(seq), end)).encode("utf-8")


def event_hash(code: str, seq: int, kind: str, trigger: str | None, from_stage: str | None,
               to_stage: str | None, effective_on: date | str, recorded_at: datetime | str, actor: str,
               reason: str | None, payload: str, prev_hash: str) -> str:
    return hashlib.sha256(event_bytes(code, seq, kind, trigger, from_stage, to_stage, effective_on, recorded_at,
                                      actor, reason, payload, prev_hash)).hexdigest()


def event_json(row: Mapping[Any, Any]) -> dict:
    """An event as the command line shows it (docs/audit.md, `pipeline history`), from a mapping of its columns."""
    payload = row["payload"]
    return {
        "seq": row["seq"],
        "kind": row["kind"],
        "trigger": row["trigger"],
        "from": row["from_stage"],
        "to": row["to_stage"],
        "effective_on": row["effective_on"].isoformat(),
        "recorded_at": format_utc(row["recorded_at"]),
        "actor": row["actor"],
        "reason": row["reason"],
        "payload": json.loads(payload) if isinstance(payload, str) else payload,
        "hash": row["hash"],
        "prev_hash": row["prev_hash"],
    }


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
                         "commission": commission and commission.isoformat()}}


@dataclass(frozen=True, slots=True)
class Edited(Event):
    """Descriptive fields changed: ``changes`` maps each project column to ``[old, new]`` (JSON values)."""

    kind: ClassVar[str] = "edited"
    changes: Mapping[str, tuple[Any, Any]]
    values: Mapping[str, Any] = field(default_factory=dict)  # the new column values, as stored

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
    kind: ClassVar[str] = "document"
    touches_facts: ClassVar[bool] = True
    document: str
    number: str

    def payload(self) -> dict[str, Any]:
        return {"document": self.document, "number": self.number}

    def apply(self, project: Any, facts: Facts | None) -> None:
        if facts is not None:
            facts.documents.add(self.document)

    def derived(self, project_id: int, seq: int, actor: str) -> list[Derived]:
        return [("document", {"project_id": project_id, "kind": self.document, "number": self.number,
                              "effective_on": self.on, "event_seq": seq})]


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
    ``target_on``; anything else is annotated only."""

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
        return payload

    def apply(self, project: Any, facts: Facts | None) -> None:
        if self.restore_stage is not None:
            project.stage = self.restore_stage
            project.held_from = self.restore_held_from
            project.stage_since = self.restore_since
            project.last_transition_on = self.restore_since
        elif self.amount_minor is not None and self.target_kind == "capital" and facts is not None:
            facts.capital += self.amount_minor

    def derived(self, project_id: int, seq: int, actor: str) -> list[Derived]:
        if self.restore_stage is not None or self.amount_minor is None:
            return []
        row = {"project_id": project_id, "amount_minor": self.amount_minor, "currency": self.currency,
               "effective_on": self.target_on, "event_seq": seq}
        if self.target_kind == "capital":
            row["source"] = f"correction of event {self.corrects}"
            return [("capital_arrival", row)]
        return [("investment_completed", row)]


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
        else:
            if e["kind"] == "transition":
                state["held_from"] = held_from_after(paused, frm, to, state["held_from"])
            state["stage_since"] = e["effective_on"]
        state["stage"] = to
    return state


def _date_or_none(value: Any) -> date | None:
    return None if value is None else date.fromisoformat(value)


_DATE_COLUMNS = frozenset({"plan_sign", "plan_fund", "plan_break_ground", "plan_commission"})


# One reader per stored kind: ``(trigger, from_stage, to_stage, on, reason, payload, paused, target_on)``
# -> the Event the row records (see ``event_from_row``).
RowReader = Callable[[Any, Any, Any, date, Any, Mapping[str, Any], frozenset[str], "date | None"], Event]


def _read_registered(trigger: Any, from_stage: Any, to_stage: Any, on: date, reason: Any, p: Mapping[str, Any],
                     paused: frozenset[str], target_on: date | None) -> Event:
    plan = p["plan"]
    return Registered(on=on, stage=str(to_stage), name=p["name"], investor=p["investor"], origin=p["origin"],
                      industry=p["industry"], category=p["category"], key=bool(p["key"]),
                      planned_investment_minor=int(p["planned_investment_minor"]), unit_code=p["unit_code"],
                      workflow_name=p["workflow_name"], workflow_version=int(p["workflow_version"]),
                      plan=tuple(_date_or_none(plan[f]) for f in PLAN_FIELDS))  # type: ignore[arg-type]


def _read_edited(trigger: Any, from_stage: Any, to_stage: Any, on: date, reason: Any, p: Mapping[str, Any],
                 paused: frozenset[str], target_on: date | None) -> Event:
    changes = {k: (old, new) for k, (old, new) in p["changes"].items()}
    values = {k: _date_or_none(new) if k in _DATE_COLUMNS else new for k, (_old, new) in changes.items()}
    return Edited(on=on, changes=changes, values=values)


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
    return DocumentRecorded(on, p["document"], p["number"])


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


def _read_correction(trigger: Any, from_stage: Any, to_stage: Any, on: date, reason: Any, p: Mapping[str, Any],
                     paused: frozenset[str], target_on: date | None) -> Event:
    restore = p.get("restore_stage")
    amount = p.get("amount_minor")
    return Corrected(on=on, corrects=int(p["corrects"]), target_kind=p["kind"], why=str(reason),
                     source=from_stage if restore is not None else None, restore_stage=restore,
                     restore_held_from=p.get("held_from") if restore is not None else None,
                     restore_since=_date_or_none(p.get("stage_since")) if restore is not None else None,
                     amount_minor=None if amount is None else int(amount), currency=p.get("currency"),
                     target_on=target_on if amount is not None else None, undo=bool(p.get("undo", False)))


ROW_READERS: dict[str, RowReader] = {
    "registered": _read_registered, "edited": _read_edited, "transition": _read_transition,
    "check": _read_check, "document": _read_document, "capital": _read_capital, "investment": _read_investment,
    "followup": _read_followup, "problem": _read_problem,
    **{f"problem_{action}": _problem_reader(action) for action in PROBLEM_ACTIONS},
    "year_plan": _read_year_plan, "letter": _read_letter,
    "assignment": _assignment_reader("assignment"), "reassignment": _assignment_reader("reassignment"),
    "correction": _read_correction,
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

