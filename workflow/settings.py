"""Settings stored in the database (the ``setting`` table): the warning thresholds, the undo window
and the supervision ladder.

Besides day limits they hold the planned-progress (序时进度) settings of ``workflow.lights.Thresholds``:
``progress_yellow_points``/``progress_red_points`` (points behind time progress), the switches
``progress_by_day`` (time progress by day instead of month) and ``progress_ratio_rule`` (the relative
rule), and ``progress_yellow_ratio_pct``/``progress_red_ratio_pct`` for that rule.

Thresholds of the warnings (docs/lights-and-reports.md) are the defaults of
``workflow.lights.Thresholds``, overridden by settings stored as ``lights.<name>`` (admin), overridden
in turn for one run by ``--threshold NAME=DAYS``.

Every change of these settings is a set-up ledger entry (``workflow.ledger``, kind ``setting``; see
docs/audit.md) with its actor, reason and effective date; :func:`record` is the one function that
writes them, the entry and its rows of the ``setting`` table in one transaction.  The table is a
projection of the ledger (:func:`rebuild` makes it again; ``audit verify`` compares the two), one
row per key and entry, so the settings in force on a date D are, per key, the latest entry whose
effective date is on or before D (equal dates: the later entry).  A light, board, report or to-do
as of D uses the settings in force on D (:func:`in_force`: one query).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, fields
from datetime import date
from typing import Any

from sqlalchemy import delete, insert, select
from sqlalchemy.engine import Connection, Engine

from workflow import clock
from workflow.access import ADMIN, require
from workflow.errors import BadInput
from workflow.lights import DAYS_MAX, Thresholds
from workflow.tables import ledger as L
from workflow.tables import person as PE
from workflow.tables import setting as ST

LIGHT_PREFIX = "lights."
LADDER_PREFIX = "supervision."
DOCUMENTS_PREFIX = "documents."  # the office's document settings (workflow/office.py)
REPORTS_PREFIX = "reports."  # report notes and the site-visit criteria (workflow/reports/notes.py)
PLAN_PREFIX = "plan.template."  # the plan templates (workflow/planning.py)
RATES_PREFIX = "rates."  # exchange rates per year (workflow/rates.py)
TOP_LEADER = "supervision_top_leader"  # the login the ladder's level 5 names (``top_leader=LOGIN``)
UNDO_WINDOW_KEY = "undo.window_days"
STALE_DAYS_KEY = "stale.days"  # `report stale`: days without a follow-up before a lead is proposed for 出库
PERFORMANCE_PREFIX = "performance."  # the 履约 check's threshold and report deadline (docs/lights-and-reports.md)
TRANCHE_PLAUSIBLE_KEY = "capital.tranche_plausible_pct"  # a capital tranche above this share asks (docs/money.md)
KIND = "setting"  # the kind of the set-up ledger's settings entries
ALWAYS = date(1, 1, 1)  # the effective date of settings carried over at the upgrade to schema 0007


def governed(key: str) -> bool:
    """Is ``key`` a setting the set-up ledger governs (thresholds, the ladder, the undo window, the
    document settings, the plan templates, the report notes and site-visit criteria, the stale days, the
    exchange rates, the 履约 check and the plausible capital tranche)?"""
    return (key.startswith((LIGHT_PREFIX, LADDER_PREFIX, DOCUMENTS_PREFIX, PLAN_PREFIX, REPORTS_PREFIX, RATES_PREFIX,
                            PERFORMANCE_PREFIX))
            or key in (TOP_LEADER, UNDO_WINDOW_KEY, STALE_DAYS_KEY, TRANCHE_PLAUSIBLE_KEY))


# --- the ledger and its projection -------------------------------------------------------------------


def record(conn: Connection, actor: str, target: str, values: Mapping[str, str | None], effective_on: date,
           reason: str | None) -> dict:
    """THE writer of governed settings: one ledger entry (``{"effective_on", "values"}``; a value None
    sets the key back to its default) and its rows of ``setting``, in the caller's transaction."""
    from workflow import ledger

    payload = {"effective_on": effective_on.isoformat(), "values": dict(values)}
    entry = ledger.append(conn, actor, KIND, target, payload, reason)
    for key, value in values.items():
        conn.execute(insert(ST).values(key=key, entry=entry["seq"], value=value, effective_on=effective_on))
    return entry


def projection(conn: Connection) -> dict[tuple[str, int], dict[str, Any]]:
    """The governed rows of ``setting``: ``{(key, entry): {"value", "effective_on"}}``."""
    rows = conn.execute(select(ST.c.key, ST.c.entry, ST.c.value, ST.c.effective_on))
    return {(k, e): {"value": v, "effective_on": d} for k, e, v, d in rows if governed(k)}


def from_ledger(conn: Connection) -> dict[tuple[str, int], dict[str, Any]]:
    """The governed rows of ``setting`` as the ledger's ``setting`` entries make them."""
    import json

    out: dict[tuple[str, int], dict[str, Any]] = {}
    for seq, payload in conn.execute(select(L.c.seq, L.c.payload).where(L.c.kind == KIND).order_by(L.c.seq)):
        doc = json.loads(payload) if isinstance(payload, str) else payload
        day = date.fromisoformat(doc["effective_on"])
        for key, value in doc["values"].items():
            out[(key, seq)] = {"value": value, "effective_on": day}
    return out


def differences(conn: Connection) -> list[dict]:
    """Every difference between the ``setting`` table and the ledger: ``{"key", "entry", "field",
    "expected", "found"}`` (field ``row`` for a row missing or extra); empty: the table is the ledger's."""
    want, have = from_ledger(conn), projection(conn)
    out: list[dict] = []
    for key, entry in sorted(set(want) | set(have)):
        w, h = want.get((key, entry)), have.get((key, entry))
        if w is None or h is None:
            out.append({"key": key, "entry": entry, "field": "row",
                        "expected": "present" if w else "absent", "found": "present" if h else "absent"})
            continue
        for field in ("value", "effective_on"):
            if w[field] != h[field]:
                out.append({"key": key, "entry": entry, "field": field, "expected": str(w[field]),
                            "found": str(h[field])})
    return out


def rebuild(conn: Connection) -> int:
    """Write the governed rows of ``setting`` again from the ledger (in the caller's transaction);
    returns how many rows there are."""
    rows = from_ledger(conn)
    keys = sorted({k for k, _ in projection(conn)})
    if keys:
        conn.execute(delete(ST).where(ST.c.key.in_(keys)))
    for (key, entry), row in rows.items():
        conn.execute(insert(ST).values(key=key, entry=entry, **row))
    return len(rows)


def _fold(rows: Iterable[tuple[str, int, str | None, date]], as_of: date) -> dict[str, tuple[str, int, date]]:
    """``{key: (value, entry, effective_on)}`` in force on ``as_of`` from ``(key, entry, value,
    effective_on)`` rows: per key the latest effective date on or before it, equal dates the later
    entry; keys set back to their default are left out."""
    out: dict[str, tuple[str | None, int, date]] = {}
    for key, entry, value, day in sorted(rows, key=lambda r: (r[3], r[1])):
        if day <= as_of:
            out[key] = (value, entry, day)
    return {k: (v, e, d) for k, (v, e, d) in out.items() if v is not None}


def in_force(conn: Connection, as_of: date | None = None, prefix: str | None = None, *,
             before_entry: int | None = None) -> dict[str, tuple[str, int, date]]:
    """The governed settings in force on ``as_of`` (default: today), one query:
    ``{key: (value, entry, effective_on)}``; ``prefix`` keeps the keys starting with it;
    ``before_entry``: as the set-up ledger stood before that entry (later entries, even dated by
    ``as_of``, are not used)."""
    day = as_of or clock.today()
    stmt = _rows_stmt(prefix).where(ST.c.effective_on <= day)
    if before_entry is not None:
        stmt = stmt.where(ST.c.entry < before_entry)
    return _fold(conn.execute(stmt).all(), day)


def _rows_stmt(prefix: str | None) -> Any:
    """The governed rows of ``setting`` (of keys starting with ``prefix``), of any effective date."""
    stmt = select(ST.c.key, ST.c.entry, ST.c.value, ST.c.effective_on).where(ST.c.entry > 0)
    return stmt if prefix is None else stmt.where(ST.c.key.like(prefix + "%"))


class InForceByDate:
    """:func:`in_force` of the keys under ``prefix`` at any number of dates, from one read of their
    rows (the city's month-end states, docs/city.md): the same rows without the date bound (a row
    without an effective date is in force on no date), each date's settings folded from them by the
    same rule.  Read while the caller's connection sees no new settings."""

    def __init__(self, conn: Connection, prefix: str) -> None:
        self._rows = conn.execute(_rows_stmt(prefix).where(ST.c.effective_on.is_not(None))).all()

    def __call__(self, as_of: date) -> dict[str, tuple[str, int, date]]:
        return _fold(self._rows, as_of)

    def ladder(self, as_of: date) -> Ladder:
        """:func:`ladder` on ``as_of`` (a reader of :data:`LADDER_PREFIX`)."""
        return ladder_of(self(as_of))

    def performance(self, as_of: date) -> dict[str, int]:
        """:func:`performance_settings` on ``as_of`` (a reader of :data:`PERFORMANCE_PREFIX`)."""
        return performance_of(self(as_of))

    def thresholds(self, as_of: date) -> Thresholds:
        """:func:`light_thresholds` on ``as_of``, no overrides (a reader of :data:`LIGHT_PREFIX`)."""
        return thresholds_from_rows(self._rows, as_of)


def sources(conn: Connection, as_of: date | None = None) -> dict[str, dict[str, Any]]:
    """Per governed key in force on ``as_of``: ``{"value", "since", "by", "entry", "reason"}``."""
    day = as_of or clock.today()
    found = in_force(conn, day)
    entries = sorted({e for _, e, _ in found.values()})
    who = {seq: (actor, reason) for seq, actor, reason in conn.execute(
        select(L.c.seq, L.c.actor, L.c.reason).where(L.c.seq.in_(entries)))} if entries else {}
    return {k: {"value": v, "since": d.isoformat(), "by": who.get(e, ("", None))[0], "entry": e,
                "reason": who.get(e, ("", None))[1]} for k, (v, e, d) in found.items()}


def _schedule_check(conn: Connection, prefix: str, new: Mapping[str, str | None], day: date,
                    check: Any) -> None:
    """``check(values)`` on the settings under ``prefix`` on ``day`` and on every later effective
    date, as they will be once ``new`` is in force from ``day``."""
    rows = [tuple(r) for r in conn.execute(select(ST.c.key, ST.c.entry, ST.c.value, ST.c.effective_on).where(
        ST.c.entry > 0, ST.c.key.like(prefix + "%")))]
    top = max((r[1] for r in rows), default=0) + 1
    rows += [(key, top, value, day) for key, value in new.items()]
    for when in sorted({day} | {r[3] for r in rows if r[3] > day}):
        check({k[len(prefix):]: v for k, (v, _, _) in _fold(rows, when).items()})


def parse_from(text: str | date | None) -> date:
    """``--from DATE``: the day new settings take effect (default: today, in the configured time zone)."""
    return clock.parse_date(text, "--from") if text is not None else clock.today()


def need_reason(reason: str | None, what: str) -> str:
    """A change of thresholds or of the ladder says why (``--reason``)."""
    if reason is None or not str(reason).strip():
        raise BadInput("reason_is_required_say_why_you", what=what)
    return str(reason).strip()


def parse_threshold_args(items: Iterable[str] | None) -> dict[str, int]:
    """``["screening_red_days=12", ...]`` -> ``{"screening_red_days": 12}``; refuses bad forms."""
    out: dict[str, int] = {}
    for item in items or []:
        name, sep, value = str(item).partition("=")
        name, value = name.strip(), value.strip()
        if not sep or not name or not value:
            raise BadInput("threshold_is_not_name", item=item)
        try:
            out[name] = int(value)
        except ValueError:
            raise BadInput("threshold_must_be_whole", name=name, value=value) from None
    # names and values here; how they go together with the thresholds in force where they are used
    # (``light_thresholds``) or stored (``set_light_thresholds``)
    return Thresholds.check_values(out)


def _light_ints(values: Mapping[str, str | None]) -> dict[str, int]:
    out = {}
    for name, value in values.items():
        key = LIGHT_PREFIX + name
        try:
            out[name] = int(value)  # type: ignore[arg-type]
        except ValueError:
            raise BadInput("setting_is_not_whole", key=key, value=value) from None
    return out


def light_settings(conn: Connection, as_of: date | None = None) -> dict[str, int]:
    """The thresholds stored in the database and in force on ``as_of`` (default: today)."""
    return _light_ints({k[len(LIGHT_PREFIX):]: v for k, (v, _, _) in in_force(conn, as_of, LIGHT_PREFIX).items()})


def thresholds_from_rows(rows: Iterable[tuple[str, int, str | None, date]], as_of: date) -> Thresholds:
    """The thresholds ``(key, entry, value, effective_on)`` rows of ``setting`` put in force on
    ``as_of`` (``workflow.light_changes`` leaves one entry's rows out to see what it changed)."""
    values = {k[len(LIGHT_PREFIX):]: v for k, (v, _, _) in _fold(rows, as_of).items() if k.startswith(LIGHT_PREFIX)}
    return Thresholds.from_mapping(_light_ints(values))


def light_thresholds(conn: Connection, overrides: Mapping[str, int] | None = None,
                     as_of: date | None = None) -> Thresholds:
    """The thresholds in effect on ``as_of`` (default: today): defaults < stored settings in force
    that day < this run's overrides."""
    return Thresholds.from_mapping({**light_settings(conn, as_of), **(overrides or {})})


def set_light_thresholds(engine: Engine, actor: str, values: Mapping[str, int], *, reason: str | None = None,
                         effective_on: date | None = None) -> dict[str, int]:
    """Store thresholds (admin) in force from ``effective_on`` (default: today); the result must be a
    valid set on that day and on every later one.  Returns the settings in force on that day."""
    if not values:
        raise BadInput("give_at_least_one_name")
    why = need_reason(reason, "change the warning thresholds")
    day = effective_on or clock.today()
    Thresholds.check_values(values)  # each value; the set in force is checked below, on every date
    new = {LIGHT_PREFIX + name: str(days) for name, days in values.items()}
    with engine.begin() as conn:
        require(conn, actor, ADMIN, "change the warning thresholds")
        _schedule_check(conn, LIGHT_PREFIX, new, day,
                        lambda m: Thresholds.from_mapping(_light_ints({k: v for k, v in m.items()})))
        record(conn, actor, "lights", new, day, why)
        return light_settings(conn, day)


def reset_light_thresholds(engine: Engine, actor: str, names: Iterable[str] | None = None, *,
                           reason: str | None = None, effective_on: date | None = None) -> dict[str, int]:
    """Set thresholds (all, or ``names``) back to their defaults from ``effective_on`` (admin)."""
    known = [f.name for f in fields(Thresholds)]
    chosen = list(names or [])
    unknown = sorted(set(chosen) - set(known))
    if unknown:
        raise BadInput("unknown_warning_threshold_known_unknown_known", unknown=list(unknown), known=list(known))
    why = need_reason(reason, "change the warning thresholds")
    day = effective_on or clock.today()
    new: dict[str, str | None] = {LIGHT_PREFIX + n: None for n in (chosen or known)}
    with engine.begin() as conn:
        require(conn, actor, ADMIN, "change the warning thresholds")
        _schedule_check(conn, LIGHT_PREFIX, new, day, lambda m: Thresholds.from_mapping(_light_ints(m)))
        record(conn, actor, "lights", new, day, why)
        return light_settings(conn, day)


# --- undo ---------------------------------------------------------------------------------------------

UNDO_WINDOW_DEFAULT = 0  # only entries recorded today may be undone


def undo_window_days(conn: Connection, as_of: date | None = None) -> int:
    """How many days back ``pipeline undo`` reaches on ``as_of`` (default: today): 0 (the default)
    means entries recorded today."""
    value = in_force(conn, as_of, UNDO_WINDOW_KEY).get(UNDO_WINDOW_KEY, (None,))[0]
    try:
        return UNDO_WINDOW_DEFAULT if value is None else max(0, int(value))
    except ValueError:
        return UNDO_WINDOW_DEFAULT


def set_undo_window(engine: Engine, actor: str, days: int, *, reason: str | None = None) -> int:
    """Store the undo window in days (admin), in force from today; 0 = today only."""
    if isinstance(days, bool) or not isinstance(days, int) or not 0 <= days <= 366:
        raise BadInput("undo_window_must_be", days=days)
    day = clock.today()
    with engine.begin() as conn:
        require(conn, actor, ADMIN, "change the undo window")
        record(conn, actor, "undo", {UNDO_WINDOW_KEY: str(days)}, day, (reason or "").strip() or None)
        return undo_window_days(conn, day)


TRANCHE_PLAUSIBLE_DEFAULT = 80  # a tranche above 80% of the planned investment asks for confirmation


def tranche_plausible_pct(conn: Connection, as_of: date | None = None) -> int:
    """The largest capital tranche that passes without confirmation on ``as_of``, as a percentage of the
    project's planned investment (default 80; 0 turns the check off) (docs/money.md, "Plausibility")."""
    value = in_force(conn, as_of, TRANCHE_PLAUSIBLE_KEY).get(TRANCHE_PLAUSIBLE_KEY, (None,))[0]
    try:
        return TRANCHE_PLAUSIBLE_DEFAULT if value is None else max(0, int(value))
    except ValueError:
        return TRANCHE_PLAUSIBLE_DEFAULT


def set_tranche_plausible(engine: Engine, actor: str, pct: int, *, reason: str | None = None,
                          effective_on: date | None = None) -> int:
    """Store the plausible tranche share (admin), in force from ``effective_on`` (default today); a set-up
    ledger entry.  0 turns the tranche check off; at most 100."""
    if isinstance(pct, bool) or not isinstance(pct, int) or not 0 <= pct <= 100:
        raise BadInput("capital_plausible_pct_range", pct=pct)
    day = effective_on or clock.today()
    with engine.begin() as conn:
        require(conn, actor, ADMIN, "change the plausible tranche")
        record(conn, actor, "capital", {TRANCHE_PLAUSIBLE_KEY: str(pct)}, day, (reason or "").strip() or None)
        return tranche_plausible_pct(conn, day)


# --- the 履约 check ----------------------------------------------------------------------------------

PERFORMANCE_DEFAULTS = {"met_pct": 80, "report_days": 90, "deduct_points": 0}  # met: actual ≥ 80% of the
# commitment; the actual of a year is due within 90 days after the year ends (by 31 March, or 30 March in a
# leap year); the evaluation takes ``deduct_points`` off a unit's score per producing project below or
# without a report (履约扣分, docs/lights-and-reports.md; 0: the evaluation does not score 履约)
PERFORMANCE_LIMITS = {"met_pct": (1, 100), "report_days": (0, 366), "deduct_points": (0, 100)}


def performance_settings(conn: Connection, as_of: date | None = None) -> dict[str, int]:
    """The 履约 check's figures in force on ``as_of``: ``met_pct``, ``report_days`` and the evaluation's
    ``deduct_points``, defaults where none is stored."""
    return performance_of(in_force(conn, as_of, PERFORMANCE_PREFIX))


def performance_of(found: Mapping[str, tuple[str, int, date]]) -> dict[str, int]:
    """The 履约 check's figures of the settings ``found`` in force (:func:`in_force` of
    :data:`PERFORMANCE_PREFIX`), defaults where none is stored."""
    out = dict(PERFORMANCE_DEFAULTS)
    for key, (value, _, _) in found.items():
        name = key.removeprefix(PERFORMANCE_PREFIX)
        if name in out and value is not None:
            try:
                out[name] = int(value)
            except ValueError:
                pass
    return out


def parse_performance_args(items: Iterable[str] | None) -> dict[str, int]:
    """``met_pct=80 report_days=90 deduct_points=2`` → ``{name: int}``; BadInput naming a wrong item."""
    out: dict[str, int] = {}
    for item in items or ():
        name, sep, value = str(item).partition("=")
        name = name.strip()
        if not sep or name not in PERFORMANCE_DEFAULTS:
            raise BadInput("perf_setting_unknown", item=item, known=list(PERFORMANCE_DEFAULTS))
        lo, hi = PERFORMANCE_LIMITS[name]
        if not value.strip().isdigit() or not lo <= int(value) <= hi:
            raise BadInput("perf_setting_range", name=name, value=value, lo=lo, hi=hi)
        out[name] = int(value)
    return out


def set_performance(engine: Engine, actor: str, values: Mapping[str, int], *, reason: str | None = None,
                    effective_on: date | None = None) -> dict[str, int]:
    """Store 履约 figures (admin), in force from ``effective_on`` (default today); one set-up ledger
    entry."""
    if not values:
        raise BadInput("perf_setting_none", known=list(PERFORMANCE_DEFAULTS))
    day = effective_on or clock.today()
    with engine.begin() as conn:
        require(conn, actor, ADMIN, "change the performance check")
        record(conn, actor, "performance", {PERFORMANCE_PREFIX + k: str(v) for k, v in values.items()}, day,
               (reason or "").strip() or None)
        return performance_settings(conn, day)


# --- the escalation ladder of supervision (督办) ----------------------------------------------------


@dataclass(frozen=True)
class Ladder:
    """The escalation ladder's figures (``supervision ladder show|set``), each a stored setting
    ``supervision.<name>``.  A problem open on a date is at level 0; 1 when due within
    ``remind_days`` days (提醒); 2 once overdue (催办 to the owner unit); 3 more than
    ``unit_head_days`` overdue (the owner unit's head); 4 more than ``county_leader_days`` (the
    project's lead county leader); 5 more than ``top_leader_days`` (the county's top leader)."""

    remind_days: int = 3
    unit_head_days: int = 7
    county_leader_days: int = 15
    top_leader_days: int = 30
    red_level: int = 3  # an open problem at this level or more makes its project red
    letter_min_level: int = 2  # `supervision letters` issues letters from this level (default)
    deduct_min_level: int = 2  # the evaluation deducts for open problems at this level or more …
    deduct_points: int = 1  # … this many points each, from the owner unit's score
    reply_days: int = 10  # an overdue problem's letter asks for a reply within this many days

    @staticmethod
    def limits(name: str) -> tuple[int, int]:
        """The smallest and largest value of figure ``name``: a level 0..5, ``deduct_points`` as the
        履约 check's (0..100), days 0..3650 (docs/supervision.md, "The escalation ladder")."""
        if name.endswith("_level"):
            return 0, 5
        return PERFORMANCE_LIMITS["deduct_points"] if name == "deduct_points" else (0, DAYS_MAX)

    @classmethod
    def check_values(cls, m: Mapping[str, object] | None) -> dict[str, int]:
        """``m`` if every name is a figure of the ladder and every value a whole number within its
        ``limits``; BadInput otherwise.  Whether the days rise is left to ``from_mapping``, on the full
        ladder in force."""
        m = dict(m or {})
        known = [f.name for f in fields(cls)]
        unknown = sorted(k for k in m if k not in known)
        if unknown:
            raise BadInput("unknown_ladder_setting_known", map=list(map(str, unknown)), known=list(known))
        for key, value in m.items():
            if isinstance(value, bool) or not isinstance(value, int):
                raise BadInput("ladder_setting_must_be", key=key, value=value)
            if value < 0:
                raise BadInput("ladder_setting_must_not", key=key, value=value)
            low, high = cls.limits(key)
            if value > high and key.endswith("_level"):
                raise BadInput("ladder_setting_must_be_level", name=key, getattr=value)
            if value > high:
                raise BadInput("ladder_setting_range", key=key, value=value, low=low, high=high)
        return m  # type: ignore[return-value]

    @classmethod
    def from_mapping(cls, m: Mapping[str, object] | None) -> Ladder:
        """Defaults overridden by ``m``; ``check_values``, and the days must rise."""
        ladder = cls(**cls.check_values(m))
        if not ladder.unit_head_days <= ladder.county_leader_days <= ladder.top_leader_days:
            raise BadInput("ladder_settings_must_rise", unit_head_days=ladder.unit_head_days,
                           county_leader_days=ladder.county_leader_days, top_leader_days=ladder.top_leader_days)
        return ladder

    def level(self, due: date, as_of: date) -> int:
        """The level of a problem open on ``as_of`` with due date ``due``."""
        late = (as_of - due).days
        if late > self.top_leader_days:
            return 5
        if late > self.county_leader_days:
            return 4
        if late > self.unit_head_days:
            return 3
        if late > 0:
            return 2
        return 1 if -late <= self.remind_days else 0


def parse_ladder_args(items: Iterable[str] | None) -> dict[str, Any]:
    """``["unit_head_days=10", "top_leader=li", ...]`` -> ``{"unit_head_days": 10, "top_leader": "li"}``;
    refuses bad forms, unknown names and values outside their limits.  Whether the days rise is
    checked by ``set_ladder``, with the figures in force."""
    out: dict[str, Any] = {}
    for item in items or []:
        name, sep, value = str(item).partition("=")
        name, value = name.strip(), value.strip()
        if not sep or not name or not value:
            raise BadInput("is_not_name_value", item=item)
        if name == "top_leader":
            out[name] = value
            continue
        try:
            out[name] = int(value)
        except ValueError:
            raise BadInput("must_be_whole_number", name=name, value=value) from None
    Ladder.check_values({k: v for k, v in out.items() if k != "top_leader"})
    return out


def _ladder_ints(values: Mapping[str, str | None]) -> dict[str, int]:
    out = {}
    for name, value in values.items():
        key = LADDER_PREFIX + name
        try:
            out[name] = int(value)  # type: ignore[arg-type]
        except ValueError:
            raise BadInput("setting_is_not_whole_number", key=key, value=value) from None
    return out


def ladder_settings(conn: Connection, as_of: date | None = None) -> dict[str, int]:
    """The ladder figures stored in the database and in force on ``as_of`` (default: today)."""
    return _ladder_values(in_force(conn, as_of, LADDER_PREFIX))


def _ladder_values(found: Mapping[str, tuple[str, int, date]]) -> dict[str, int]:
    return _ladder_ints({k[len(LADDER_PREFIX):]: v for k, (v, _, _) in found.items()})


def ladder(conn: Connection, as_of: date | None = None) -> Ladder:
    """The ladder in effect on ``as_of`` (default: today): defaults < stored settings in force that day."""
    return ladder_of(in_force(conn, as_of, LADDER_PREFIX))


def ladder_of(found: Mapping[str, tuple[str, int, date]]) -> Ladder:
    """The ladder of the settings ``found`` in force (:func:`in_force` of :data:`LADDER_PREFIX`)."""
    return Ladder.from_mapping(_ladder_values(found))


def top_leader(conn: Connection, as_of: date | None = None) -> str | None:
    """The login the ladder's level 5 names on ``as_of`` (default: today), if one is set."""
    return in_force(conn, as_of, TOP_LEADER).get(TOP_LEADER, (None,))[0]


def set_ladder(engine: Engine, actor: str, values: Mapping[str, Any], *, reason: str | None = None,
               effective_on: date | None = None) -> dict[str, Any]:
    """Store ladder figures (admin), and ``top_leader`` (a person's login), in force from
    ``effective_on`` (default: today); the result must be a valid ladder on that day and every later
    one.  Returns the settings in force on that day."""
    if not values:
        raise BadInput("give_at_least_one_name_value")
    why = need_reason(reason, "change the supervision ladder")
    day = effective_on or clock.today()
    new: dict[str, str | None] = {LADDER_PREFIX + k: str(v) for k, v in values.items() if k != "top_leader"}
    with engine.begin() as conn:
        require(conn, actor, ADMIN, "change the supervision ladder")
        _schedule_check(conn, LADDER_PREFIX, new, day, lambda m: Ladder.from_mapping(_ladder_ints(m)))
        if "top_leader" in values:
            login = values["top_leader"]
            if conn.execute(select(PE.c.login).where(PE.c.login == login)).first() is None:
                raise BadInput("top_leader_no_person", login=login)
            new[TOP_LEADER] = login
        record(conn, actor, "supervision", new, day, why)
        stored: dict[str, Any] = dict(ladder_settings(conn, day))
        top = top_leader(conn, day)
        if top is not None:
            stored["top_leader"] = top
        return stored
