"""Project listings: ``project list``'s filters, sort and paging over the project views, and the same
for a report's project items (docs/usage.md)."""

from __future__ import annotations

from typing import Any

from sqlalchemy import case, select

from workflow import clock
from workflow.definition import default_definition
from workflow.errors import BadInput
from workflow.find import light_key, person_login, stage_key, unit_code
from workflow.settings import light_thresholds
from workflow.tables import project as P
from workflow.text import fold
from workflow.views import filtered, project_views

SORT_KEYS = ("code", "name", "stage", "since", "investment", "light")
LIGHT_RANK = {"red": 0, "yellow": 1, "green": 2}
_CHUNK = 2000  # within views' 5,000-id limit for an IN list of assignments


def parse_sort(sort: str | None) -> tuple[str, bool]:
    """``name`` or ``-name`` as (key, descending); BadInput for an unknown key."""

    if not sort:
        return "code", False
    text = sort.strip()
    desc = text.startswith("-")
    key = text.lstrip("-+").strip().lower()
    if key not in SORT_KEYS:
        raise BadInput("sort_is_not_one", sort=sort, sort_keys=list(SORT_KEYS))
    return key, desc


class Found:
    """The projects a filter finds, in order: ``total`` matched, ``ids`` the page kept (offset and
    limit applied); iterating yields each project's view, read a chunk at a time, so a listing of
    any size never holds every view in memory."""

    def __init__(self, engine: Any, ids: list[int], total: int, as_of: Any, thresholds: Any,
                 offset: int, limit: int | None):
        self.engine, self.ids, self.total = engine, ids, total
        self.as_of, self.thresholds, self.offset, self.limit = as_of, thresholds, offset, limit

    def __len__(self) -> int:
        return len(self.ids)

    def __iter__(self):
        with self.engine.connect() as conn:
            for start in range(0, len(self.ids), _CHUNK):
                chunk = self.ids[start:start + _CHUNK]
                rows = {r["id"]: r for r in conn.execute(select(P).where(P.c.id.in_(chunk))).mappings()}
                yield from project_views(conn, [rows[i] for i in chunk if i in rows], self.as_of, full=False,
                                         thresholds=self.thresholds)


def find_projects(engine: Any, *, search: str | None = None, stage: str | None = None, unit: str | None = None,
                  leader: str | None = None, light: str | None = None, sort: str | None = None,
                  limit: int | None = None, offset: int = 0, as_of: Any = None, thresholds: Any = None) -> Found:
    """The projects matching every filter given, sorted (``-key`` descending; ties by code), paged."""


    if limit is not None and limit < 0:
        raise BadInput("limit_must_be_or")
    if offset < 0:
        raise BadInput("offset_must_be_or")
    key, desc = parse_sort(sort)
    as_of = as_of or clock.today()
    stage = stage_key(stage) if stage is not None else None
    light = light_key(light) if light is not None else None
    needle = fold(search) if search is not None else ""
    with engine.connect() as conn:
        unit = unit_code(conn, unit) if unit is not None else None
        leader = person_login(conn, leader) if leader is not None else None
        if thresholds is None:
            thresholds = light_thresholds(conn, as_of=as_of)
        order: dict[str, Any] = {
            "code": P.c.id, "name": P.c.name, "since": P.c.stage_since, "investment": P.c.planned_investment_minor,
            "stage": case({s.key: i for i, s in enumerate(default_definition().stages)}, value=P.c.stage, else_=99),
            "light": P.c.id,
        }
        col = order[key]
        stmt = filtered(select(P.c.id, P.c.code, P.c.name, P.c.investor).order_by(
            col.desc() if desc and key != "light" else col, P.c.id), stage=stage, unit=unit, leader=leader)
        ids = [pid for pid, code, name, investor in conn.execute(stmt.execution_options(yield_per=10_000))
               if not needle or needle in fold(code) or needle in fold(name) or needle in fold(investor)]
        if light or key == "light":
            ranks: dict[int, int] = {}
            for start in range(0, len(ids), _CHUNK):
                chunk = ids[start:start + _CHUNK]
                rows = list(conn.execute(select(P).where(P.c.id.in_(chunk))).mappings())
                for v, r in zip(project_views(conn, rows, as_of, full=False, thresholds=thresholds), rows,
                                strict=True):
                    if light is None or v["light"] == light:
                        ranks[r["id"]] = LIGHT_RANK.get(v["light"], 3)  # no light (closed) last
            ids = [i for i in ids if i in ranks]
            if key == "light":  # stable: ties keep code order
                ids.sort(key=lambda i: -ranks[i] if desc else ranks[i])
    total = len(ids)
    page = ids[offset:] if limit is None else ids[offset:offset + limit]
    return Found(engine, page, total, as_of, thresholds, offset, limit)


def refine(engine: Any, items: list[dict], *, search: str | None = None, sort: str | None = None,
           limit: int | None = None, offset: int = 0) -> tuple[list[dict], int]:
    """A report's project items (``code``, ``name``, ``stage``, ``stage_since``, ``light``) searched,
    sorted and paged as ``project list`` does; ``light`` keeps the report's own order (worst first)
    and is its default.  Returns the page and how many matched."""


    if limit is not None and limit < 0:
        raise BadInput("limit_must_be_or")
    if offset < 0:
        raise BadInput("offset_must_be_or")
    key, desc = parse_sort(sort or "light")
    extra: dict[str, tuple[int, str | None, int]] = {}
    if items and (search is not None or key in ("code", "investment")):
        codes = [it["code"] for it in items]
        with engine.connect() as conn:
            for start in range(0, len(codes), 2000):
                q = select(P.c.code, P.c.id, P.c.investor, P.c.planned_investment_minor).where(
                    P.c.code.in_(codes[start:start + 2000]))
                for code, pid, investor, minor in conn.execute(q):
                    extra[code] = (pid, investor, int(minor))
    if search is not None:
        needle = fold(search)
        items = [it for it in items if needle in fold(it["code"]) or needle in fold(it.get("name"))
                 or needle in fold(extra.get(it["code"], (0, None, 0))[1])]
    order = {s.key: i for i, s in enumerate(default_definition().stages)}
    keys: dict[str, Any] = {
        "code": lambda it: extra.get(it["code"], (0, None, 0))[0],
        "name": lambda it: it.get("name") or "",
        "stage": lambda it: order.get(it["stage"], 99),
        "since": lambda it: it.get("stage_since") or "",
        "investment": lambda it: extra.get(it["code"], (0, None, 0))[2],
    }
    if key == "light":
        items = list(reversed(items)) if desc else list(items)
    else:
        items = sorted(items, key=keys[key], reverse=desc)
    total = len(items)
    return (items[offset:] if limit is None else items[offset:offset + limit]), total
