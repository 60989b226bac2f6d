"""Settings stored in the database (the ``setting`` table): the warning thresholds, the undo window
and the supervision ladder.

Besides day limits they hold the planned-progress (序时进度) settings of ``workflow.lights.Thresholds``:
``progress_yellow_points``/``progress_red_points`` (points behind time progress), the switches
``progress_by_day`` (time progress by day instead of month) and ``progress_ratio_rule`` (the relative
rule), and ``progress_yellow_ratio_pct``/``progress_red_ratio_pct`` for that rule.

Thresholds of the warnings (SPEC §5) are the defaults of ``workflow.lights.Thresholds``, overridden
by settings stored as ``lights.<name>`` (admin), overridden in turn for one run by ``--threshold
NAME=DAYS``.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, fields
from datetime import date
from typing import Any

from sqlalchemy import delete, insert, select, update
from sqlalchemy.engine import Connection, Engine

from workflow.access import ADMIN, require
from workflow.errors import BadInput
from workflow.lights import Thresholds
from workflow.tables import setting as ST

LIGHT_PREFIX = "lights."


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
    Thresholds.from_mapping(out)  # names and values checked here, combinations again when used
    return out


def light_settings(conn: Connection) -> dict[str, int]:
    """The thresholds stored in the database."""
    rows = conn.execute(select(ST.c.key, ST.c.value).where(ST.c.key.like(LIGHT_PREFIX + "%"))).all()
    out = {}
    for key, value in rows:
        try:
            out[key[len(LIGHT_PREFIX):]] = int(value)
        except ValueError:
            raise BadInput("setting_is_not_whole", key=key, value=value) from None
    return out


def light_thresholds(conn: Connection, overrides: Mapping[str, int] | None = None) -> Thresholds:
    """The thresholds in effect: defaults < stored settings < this run's overrides."""
    return Thresholds.from_mapping({**light_settings(conn), **(overrides or {})})


def set_light_thresholds(engine: Engine, actor: str, values: Mapping[str, int]) -> dict[str, int]:
    """Store thresholds (admin); the result must be a valid set. Returns the stored settings."""
    if not values:
        raise BadInput("give_at_least_one_name")
    with engine.begin() as conn:
        require(conn, actor, ADMIN, "change the warning thresholds")
        merged = {**light_settings(conn), **values}
        Thresholds.from_mapping(merged)
        for name, days in values.items():
            key = LIGHT_PREFIX + name
            if conn.execute(select(ST.c.key).where(ST.c.key == key)).first() is None:
                conn.execute(insert(ST).values(key=key, value=str(days)))
            else:
                conn.execute(update(ST).where(ST.c.key == key).values(value=str(days)))
        return light_settings(conn)


def reset_light_thresholds(engine: Engine, actor: str, names: Iterable[str] | None = None) -> dict[str, int]:
    """Forget stored thresholds (all, or ``names``) so the defaults apply again (admin)."""
    known = [f.name for f in fields(Thresholds)]
    chosen = list(names or [])
    unknown = sorted(set(chosen) - set(known))
    if unknown:
        raise BadInput("unknown_warning_threshold_known_unknown_known", unknown=list(unknown), known=list(known))
    with engine.begin() as conn:
        require(conn, actor, ADMIN, "change the warning thresholds")
        remaining = {k: v for k, v in light_settings(conn).items() if chosen and k not in chosen}
        Thresholds.from_mapping(remaining)
        keys = [LIGHT_PREFIX + n for n in (chosen or known)]
        conn.execute(delete(ST).where(ST.c.key.in_(keys)))
        return light_settings(conn)


# --- undo ---------------------------------------------------------------------------------------------

UNDO_WINDOW_KEY = "undo.window_days"
UNDO_WINDOW_DEFAULT = 0  # only entries recorded today may be undone


def undo_window_days(conn: Connection) -> int:
    """How many days back ``pipeline undo`` reaches: 0 (the default) means entries recorded today."""
    value = conn.execute(select(ST.c.value).where(ST.c.key == UNDO_WINDOW_KEY)).scalar()
    try:
        return UNDO_WINDOW_DEFAULT if value is None else max(0, int(value))
    except ValueError:
        return UNDO_WINDOW_DEFAULT


def set_undo_window(engine: Engine, actor: str, days: int) -> int:
    """Store the undo window in days (admin); 0 = today only."""
    if isinstance(days, bool) or not isinstance(days, int) or not 0 <= days <= 366:
        raise BadInput("undo_window_must_be", days=days)
    with engine.begin() as conn:
        require(conn, actor, ADMIN, "change the undo window")
        if conn.execute(select(ST.c.key).where(ST.c.key == UNDO_WINDOW_KEY)).first() is None:
            conn.execute(insert(ST).values(key=UNDO_WINDOW_KEY, value=str(days)))
        else:
            conn.execute(update(ST).where(ST.c.key == UNDO_WINDOW_KEY).values(value=str(days)))
        return undo_window_days(conn)


# --- the escalation ladder of supervision (督办) ----------------------------------------------------

LADDER_PREFIX = "supervision."


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

    @classmethod
    def from_mapping(cls, m: Mapping[str, object] | None) -> Ladder:
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
        ladder = cls(**m)  # type: ignore[arg-type]
        if not ladder.unit_head_days <= ladder.county_leader_days <= ladder.top_leader_days:
            raise BadInput("ladder_settings_must_rise", unit_head_days=ladder.unit_head_days,
                           county_leader_days=ladder.county_leader_days, top_leader_days=ladder.top_leader_days)
        for name in ("red_level", "letter_min_level", "deduct_min_level"):
            if getattr(ladder, name) > 5:
                raise BadInput("ladder_setting_must_be_level", name=name, getattr=getattr(ladder, name))
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


TOP_LEADER = "supervision_top_leader"  # the login the ladder's level 5 names (``top_leader=LOGIN``)


def parse_ladder_args(items: Iterable[str] | None) -> dict[str, Any]:
    """``["unit_head_days=10", "top_leader=li", ...]`` -> ``{"unit_head_days": 10, "top_leader": "li"}``;
    refuses bad forms."""
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
    Ladder.from_mapping({k: v for k, v in out.items() if k != "top_leader"})
    return out


def ladder_settings(conn: Connection) -> dict[str, int]:
    rows = conn.execute(select(ST.c.key, ST.c.value).where(ST.c.key.like(LADDER_PREFIX + "%"))).all()
    out = {}
    for key, value in rows:
        try:
            out[key[len(LADDER_PREFIX):]] = int(value)
        except ValueError:
            raise BadInput("setting_is_not_whole_number", key=key, value=value) from None
    return out


def ladder(conn: Connection) -> Ladder:
    """The ladder in effect: defaults < stored settings."""
    return Ladder.from_mapping(ladder_settings(conn))


def set_ladder(engine: Engine, actor: str, values: Mapping[str, Any]) -> dict[str, Any]:
    """Store ladder figures (admin), and ``top_leader`` (a person's login); the result must be a
    valid ladder.  Returns the stored settings."""
    from workflow.tables import person as PE

    if not values:
        raise BadInput("give_at_least_one_name_value")
    figures = {k: v for k, v in values.items() if k != "top_leader"}
    with engine.begin() as conn:
        require(conn, actor, ADMIN, "change the supervision ladder")
        Ladder.from_mapping({**ladder_settings(conn), **figures})
        if "top_leader" in values:
            login = values["top_leader"]
            if conn.execute(select(PE.c.login).where(PE.c.login == login)).first() is None:
                raise BadInput("top_leader_no_person", login=login)
            figures[TOP_LEADER] = login
        for name, number in figures.items():
            key = name if name == TOP_LEADER else LADDER_PREFIX + name
            if conn.execute(select(ST.c.key).where(ST.c.key == key)).first() is None:
                conn.execute(insert(ST).values(key=key, value=str(number)))
            else:
                conn.execute(update(ST).where(ST.c.key == key).values(value=str(number)))
        stored: dict[str, Any] = dict(ladder_settings(conn))
        top = conn.execute(select(ST.c.value).where(ST.c.key == TOP_LEADER)).scalar()
        if top is not None:
            stored["top_leader"] = top
        return stored
