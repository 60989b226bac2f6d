"""Finding projects: code normalisation, folded text search, suggestions for a code not found.

Codes are accepted case-insensitively, with or without zero padding and width-insensitively
(``p-1``, ``P-0001``, ``Ｐ－１`` and ``1`` all name ``P-0001``): every place taking a CODE goes
through :func:`normalize_code` (the store's lock, the views).  Text search folds both sides with
:func:`fold` (NFKC, case-folded, without white space), so ``风电`` finds ``风 电``, ``ABC`` finds
``ａｂｃ``.
"""

from __future__ import annotations

import difflib
import re
import unicodedata
from typing import Any

from workflow.catalogue import Message
from workflow.codes import normalize_code, project_code  # noqa: F401 - also read from here by reports, rules, io
from workflow.errors import NotFound
from workflow.text import fold


def matches(needle: str, *haystacks: Any) -> bool:
    """Whether the folded ``needle`` occurs in any of the (folded) haystacks."""
    return any(needle in fold(h) for h in haystacks)


def suggestions(conn: Any, code: str, limit: int = 5) -> list[dict]:
    """Projects close to ``code`` by code or by name (the typed text may be a name)."""
    from sqlalchemy import select

    from workflow.tables import project as P

    rows = [(r[0], r[1]) for r in conn.execute(select(P.c.code, P.c.name).order_by(P.c.id))]
    if not rows:
        return []
    wanted = fold(code)
    by_code = {fold(c): (c, n) for c, n in rows}
    found: dict[str, str] = {}
    m = re.search(r"\d+", unicodedata.normalize("NFKC", code))
    if m:  # the neighbours of the number typed
        n = int(m.group(0))
        for k in (n, n - 1, n + 1, n * 10, n // 10):
            hit = by_code.get(fold(project_code(k))) if k > 0 else None
            if hit:
                found.setdefault(*hit)
    for c, n in rows:
        if len(found) >= limit:
            break
        if wanted and wanted in fold(n):
            found.setdefault(c, n)
    if len(found) < limit:
        names = {fold(n): (c, n) for c, n in rows}
        for key in difflib.get_close_matches(wanted, list(names), n=limit, cutoff=0.6):
            found.setdefault(*names[key])
        for key in difflib.get_close_matches(wanted, list(by_code), n=limit, cutoff=0.8):
            found.setdefault(*by_code[key])
    return [{"code": c, "name": n} for c, n in list(found.items())[:limit]]


def project_not_found(conn: Any, code: str) -> NotFound:
    """The NotFound (exit 4) for ``code``, suggesting close matches by code and name."""
    close = suggestions(conn, code)
    if close:
        return NotFound("no_project_did_you_mean", [{"project": code, "suggestions": close}], code=code,
                        suggestions=[f"{s['code']} ({s['name']})" for s in close])
    return NotFound("no_project", [{"project": code, "suggestions": close}], code=code)


def project_row(conn: Any, code: str, *columns: Any) -> Any:
    """The project row (a mapping) for a CODE as typed, or NotFound with suggestions."""
    from sqlalchemy import select

    from workflow.tables import project as P

    wanted = normalize_code(code)
    stmt = select(*columns) if columns else select(P)
    row = conn.execute(stmt.where(P.c.code == wanted)).mappings().first()
    if row is None:
        raise project_not_found(conn, code)
    return row


# --- filters --------------------------------------------------------------------------------------

SORT_KEYS = ("code", "name", "stage", "since", "investment", "light")
LIGHT_RANK = {"red": 0, "yellow": 1, "green": 2}
_CHUNK = 2000  # within views' 5,000-id limit for an IN list of assignments


def stage_key(word: str, what: str = "--stage") -> str:
    """A stage key from its key, English or Chinese label or short form (workflow/words.py); NotFound
    (exit 4) naming the known stages otherwise."""
    from workflow.definition import default_definition
    from workflow.words import stages

    vocab = stages(default_definition())
    key = vocab.find(word)
    if key is not None:
        return key
    fields = {"what": what, "word": word, "known": vocab.listing("en"), "known_zh": vocab.listing("zh")}
    raise NotFound("no_stage_known", [{"stage": word, "message": Message("no_stage_known", **fields)}], **fields)


def light_key(word: str) -> str:
    """red, yellow or green from English or Chinese (红, 红灯…); BadInput otherwise."""
    from workflow.words import lights

    return lights().parse(word, "--light")


class UnitNames:
    """The units by code and name: the codes a unit typed as its code or its name names (case, width
    and spaces folded; a code before a name).  ``unit_code`` and the import's unit column read a unit
    through it."""

    def __init__(self, units: Any) -> None:
        self.codes: dict[str, str] = {}
        self._folded_codes: dict[str, str] = {}
        self._names: dict[str, list[str]] = {}
        for code, name in units:
            self.codes[code] = code
            self._folded_codes.setdefault(fold(code), code)
            if name:
                self._names.setdefault(fold(name), []).append(code)

    def candidates(self, word: Any) -> list[str]:
        if word in self.codes:
            return [word]
        wanted = fold(word)
        if wanted in self._folded_codes:
            return [self._folded_codes[wanted]]
        return list(self._names.get(wanted, []))


def unit_code(conn: Any, word: str, what: str = "--unit") -> str:
    """A unit's code from its code (any case) or its name; NotFound (exit 4) naming the known units,
    or the units a shared name could mean."""
    from sqlalchemy import select

    from workflow.tables import unit as U

    units = [(c, n) for c, n in conn.execute(select(U.c.code, U.c.name).order_by(U.c.code))]
    hits = UnitNames(units).candidates(word)
    if len(hits) == 1:
        return hits[0]
    if hits:
        listed = ", ".join(hits)
        raise NotFound("more_than_one_unit_is",
                       [{"unit": word, "candidates": hits}], what=what, word=word, listed=listed)
    if units:
        raise NotFound("option_no_unit_known", [{"unit": word}], what=what, word=word,
                       known=[f"{c} ({n})" for c, n in units[:20]])
    raise NotFound("option_no_unit_add_one", [{"unit": word}], what=what, word=word)


def person_login(conn: Any, word: str, what: str = "--leader") -> str:
    """A person's login from the login or the full name; NotFound (exit 4) naming them otherwise."""
    from sqlalchemy import select

    from workflow.tables import person as PE

    row = conn.execute(select(PE.c.login).where(PE.c.login == word)).first()
    if row is not None:
        return str(row[0])
    wanted = fold(word)
    people = [(lg, n) for lg, n in conn.execute(select(PE.c.login, PE.c.name).order_by(PE.c.login))]
    hits = [(lg, n) for lg, n in people if wanted in (fold(lg), fold(n))]
    if len(hits) == 1:
        return str(hits[0][0])
    if hits:  # a name several people share: the login says which
        listed = ", ".join(f"{lg} ({n})" for lg, n in hits)
        raise NotFound("names_more_than_one",
                       [{"person": word, "candidates": [lg for lg, _ in hits]}], what=what, word=word, listed=listed)
    close = difflib.get_close_matches(wanted, [fold(n) for _, n in people] + [fold(lg) for lg, _ in people],
                                      n=3, cutoff=0.5)
    hint = f"; did you mean {', '.join(close)}?" if close else ""
    raise NotFound("no_person_what_word", [{"person": word}], what=what, word=word, hint=hint)


def parse_sort(sort: str | None) -> tuple[str, bool]:
    """``name`` or ``-name`` as (key, descending); BadInput for an unknown key."""
    from workflow.errors import BadInput

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
        from sqlalchemy import select

        from workflow.tables import project as P
        from workflow.views import project_views

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
    from sqlalchemy import case, select

    from workflow import clock
    from workflow.definition import default_definition
    from workflow.errors import BadInput
    from workflow.settings import light_thresholds
    from workflow.tables import assignment as ASG
    from workflow.tables import project as P
    from workflow.views import project_views

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
        stmt = select(P.c.id, P.c.code, P.c.name, P.c.investor).order_by(
            col.desc() if desc and key != "light" else col, P.c.id)
        if stage:
            stmt = stmt.where(P.c.stage == stage)
        if unit:
            stmt = stmt.where(P.c.unit_code == unit)
        if leader:
            stmt = stmt.where(P.c.id.in_(select(ASG.c.project_id).where(ASG.c.person_login == leader,
                                                                         ASG.c.ended_seq.is_(None))))
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
    from sqlalchemy import select

    from workflow.definition import default_definition
    from workflow.errors import BadInput
    from workflow.tables import project as P

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


def project_codes(engine: Any, prefix: str = "") -> list[str]:
    """Project codes starting with ``prefix`` (any case), in order: what the shell completes."""
    from sqlalchemy import select

    from workflow.tables import project as P

    stmt = select(P.c.code).order_by(P.c.id)
    if prefix:
        stmt = stmt.where(P.c.code.like(prefix.upper().replace("%", "").replace("_", "") + "%"))
    with engine.connect() as conn:
        return [r[0] for r in conn.execute(stmt.limit(5000))]


def resolve_unit(engine: Any, word: str | None) -> str | None:
    """A unit's code from its code (any case) or name, for commands taking ``--unit``; NotFound
    (exit 4) naming the known units."""
    if word is None:
        return None
    with engine.connect() as conn:
        return unit_code(conn, word)
