"""Settings stored in the database (the ``setting`` table): the warning thresholds.

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
from dataclasses import fields

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
            raise BadInput(f"--threshold: {item!r} is not NAME=DAYS (e.g. screening_red_days=12)")
        try:
            out[name] = int(value)
        except ValueError:
            raise BadInput(f"--threshold: {name} must be a whole number, not {value!r}") from None
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
            raise BadInput(f"setting {key} = {value!r} is not a whole number of days; "
                           "fix it with `pipeline lights set`") from None
    return out


def light_thresholds(conn: Connection, overrides: Mapping[str, int] | None = None) -> Thresholds:
    """The thresholds in effect: defaults < stored settings < this run's overrides."""
    return Thresholds.from_mapping({**light_settings(conn), **(overrides or {})})


def set_light_thresholds(engine: Engine, actor: str, values: Mapping[str, int]) -> dict[str, int]:
    """Store thresholds (admin); the result must be a valid set. Returns the stored settings."""
    if not values:
        raise BadInput("give at least one NAME=DAYS (see `pipeline lights show`)")
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
        raise BadInput(f"unknown warning threshold(s): {', '.join(unknown)}; known: {', '.join(known)}")
    with engine.begin() as conn:
        require(conn, actor, ADMIN, "change the warning thresholds")
        remaining = {k: v for k, v in light_settings(conn).items() if chosen and k not in chosen}
        Thresholds.from_mapping(remaining)
        keys = [LIGHT_PREFIX + n for n in (chosen or known)]
        conn.execute(delete(ST).where(ST.c.key.in_(keys)))
        return light_settings(conn)
