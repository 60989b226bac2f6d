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

from sqlalchemy import select

from workflow.catalogue import Message
from workflow.codes import normalize_code, project_code  # noqa: F401 - also read from here by reports, rules, io
from workflow.definition import default_definition
from workflow.errors import NotFound
from workflow.tables import person as PE
from workflow.tables import project as P
from workflow.tables import unit as U
from workflow.text import fold
from workflow.words import lights, stages


def matches(needle: str, *haystacks: Any) -> bool:
    """Whether the folded ``needle`` occurs in any of the (folded) haystacks."""
    return any(needle in fold(h) for h in haystacks)


def suggestions(conn: Any, code: str, limit: int = 5) -> list[dict]:
    """Projects close to ``code`` by code or by name (the typed text may be a name)."""
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
    wanted = normalize_code(code)
    stmt = select(*columns) if columns else select(P)
    row = conn.execute(stmt.where(P.c.code == wanted)).mappings().first()
    if row is None:
        raise project_not_found(conn, code)
    return row


# --- filters --------------------------------------------------------------------------------------



def stage_key(word: str, what: str = "--stage") -> str:
    """A stage key from its key, English or Chinese label or short form (workflow/words.py); NotFound
    (exit 4) naming the known stages otherwise."""
    vocab = stages(default_definition())
    key = vocab.find(word)
    if key is not None:
        return key
    fields = {"what": what, "word": word, "known": vocab.listing("en"), "known_zh": vocab.listing("zh")}
    raise NotFound("no_stage_known", [{"stage": word, "message": Message("no_stage_known", **fields)}], **fields)


def light_key(word: str) -> str:
    """red, yellow or green from English or Chinese (红, 红灯…); BadInput otherwise."""
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


def project_codes(engine: Any, prefix: str = "") -> list[str]:
    """Project codes starting with ``prefix`` (any case), in order: what the shell completes."""
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
