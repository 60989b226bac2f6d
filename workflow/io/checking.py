"""Checking rows: every cell of every row converted or reported, repeated rows named."""

from __future__ import annotations

import unicodedata
from collections.abc import Callable, Iterable, Mapping
from contextlib import closing
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from workflow.amounts import Money
from workflow.catalogue import Message
from workflow.clock import FIRST_DAY, LAST_DAY
from workflow.commands.projects import duplicate_message, project_identity
from workflow.errors import BadInput
from workflow.find import UnitNames
from workflow.io.columns import (
    _DATE_FORMS,
    _HAS_UNIT,
    _YES_NO,
    BY_KEY,
    COLUMNS,
    EXPORT_ONLY,
    NO,
    PASSED_OVER,
    YES,
    Column,
    _norm,
    column_letter,
)
from workflow.io.reading import Table, _blank, _lookup
from workflow.io.spool import _SLOT, _SLOTS, Checked, Identities, Spool, _spooled, identity_digest
from workflow.money import ascii_minor, parse_amount
from workflow.progress import parse_year_plans
from workflow.rates import to_cny
from workflow.text import escape_char, listing, restore_formula, unsafe_char


def check_rows(table: Table, *, units: Iterable[Mapping[str, Any]], today: date, lang: str = "en",
               existing: Identities | None = None, allow_duplicates: bool = False,
               progress: Callable[[int, int], None] | None = None,
               rates: Mapping[int, Mapping[str, Decimal]] | None = None) -> Checked:
    """Check every cell of every row (read one at a time), and return every problem as
    ``{"line", "column", "field", "message"}`` (column: the spreadsheet letter; field: the header as
    written in the file) and the good rows, converted, on a spool.  ``units`` are ``{"code", "name"}``;
    a unit cell may give either.  ``existing`` holds the identities of the projects a new one may
    duplicate (``Service.project_identities``): a row naming the same project (``project_identity``:
    the same folded name and investor), or repeating an earlier row, is refused unless
    ``allow_duplicates``.  ``rates`` (``workflow.rates.read``): a planned investment in USD is valued
    in CNY at the rate of its row's registration year (else refused); without them it is refused.

    Nothing is kept per row but the ``identity_digest`` of its identity (a set).  A repetition is
    found by its digest; the line it repeats (or the code of the project it names) is then found by
    reading the file (or the projects) once more, only for the digests found repeated."""
    zh = lang == "zh"
    problems: list[dict] = []
    columns: dict[str, tuple[int, str]] = {}  # key -> (index, unit factor)
    written: dict[str, str] = {}
    ignored: list[str] = []
    for i, h in enumerate(table.headers):
        if not h:
            continue
        col, factor = _lookup(h)
        if col is None or col in EXPORT_ONLY:
            if col is None and _norm(h) not in PASSED_OVER:
                ignored.append(h)
            continue
        if col.key in columns:
            first = table.headers[columns[col.key][0]]
            problems.append(_problem(table.header_line, i, h, Message(
                "import_duplicate_column", header=h, first=first, column=column_letter(columns[col.key][0]),
                key=col.key, label=col.zh)))
            continue
        columns[col.key] = (i, factor)
        written[col.key] = h
    for col in COLUMNS:
        if col.required and col.key not in columns:
            problems.append({"line": table.header_line, "column": None, "field": col.zh if zh else col.key,
                             "message": Message("import_missing_column", key=col.key, label=col.zh,
                                                found=listing([h for h in table.headers if h]) or "none")})
    by_code = {u["code"]: u["code"] for u in units}
    names = UnitNames((u["code"], u.get("name")) for u in units)  # the one reading of a unit (workflow/find.py)
    header_ok = not problems
    dedupe = not allow_duplicates and "name" in columns
    known = existing.digests if existing is not None and dedupe else frozenset()
    seen: set[int] = set()  # identity_digest of each row's project_identity so far
    later: list[tuple[dict, int, bool]] = []  # (problem, digest, names a project?): its message is written last
    name_at = columns["name"][0] if "name" in columns else None
    spool = Spool()
    n = good = 0
    estimate = table.estimated_rows
    # A CSV cell may carry the apostrophe our CSV writer puts before formula-like text; a workbook's
    # text is literal (its writer uses the quote prefix style instead): docs/import-export.md.
    escaped = table.encoding is not None  # only a CSV table has an encoding
    plan = [(_SLOT[key], i, _converter(BY_KEY[key], factor, lang, by_code, names, today, escaped))
            for key, (i, factor) in columns.items()]
    width = len(table.headers)
    blank: list[Any] = [None] * (len(_SLOTS) + 1)
    name_slot, investor_slot = _SLOT["name"], _SLOT["investor"]
    money_slot, on_slot = _SLOT["investment"], _SLOT["registered_on"]

    def in_cny(line: int, out: list[Any]) -> dict | None:
        """The row's planned investment given in USD, valued in CNY at its registration year's rate
        (docs/money.md, "Exchange rates"); the problem when it cannot be."""
        given: Money = out[money_slot]
        year = (out[on_slot] or today).year
        rate = (rates or {}).get(year, {}).get(given.currency)
        at = columns["investment"][0]
        if rates is None:
            return _problem(line, at, written["investment"],
                            Message("planned_investment_is_in_cny", currency=given.currency))
        if rate is None:
            return _problem(line, at, written["investment"],
                            Message("rates_none_for_registration", currency=given.currency, year=year))
        out[money_slot] = to_cny(given.amount_minor, given.currency, rate)
        return None

    def convert(line: int, cells: list[Any]) -> tuple[list[Any], list[dict] | None]:
        """A row's cells converted (``_SLOTS``, after its line) and its problems (None: none)."""
        row_problems: list[dict] | None = None
        out = blank.copy()
        out[0] = line
        count = len(cells)
        for slot, i, converter in plan:
            try:
                out[slot] = converter(cells[i] if i < count else None)
            except BadInput as exc:
                row_problems = row_problems or []
                row_problems.append(_problem(line, i, written[_SLOTS[slot - 1]], exc.as_message()))
        if out[money_slot].__class__ is Money and (problem := in_cny(line, out)) is not None:
            row_problems = row_problems or []
            row_problems.append(problem)
        if count > width:
            for j in range(width, count):
                if not _blank(cells[j]):
                    row_problems = row_problems or []
                    row_problems.append(_problem(line, j, "", Message("import_cell_without_header")))
        return out, row_problems

    try:
        for line, cells in table.rows():
            n += 1
            out, row_problems = convert(line, cells)
            if row_problems is None and dedupe:
                digest = identity_digest(project_identity(out[name_slot], out[investor_slot]))
                if digest in known or digest in seen:
                    row_problems = [_problem(line, name_at, written["name"], "")]
                    later.append((row_problems[0], digest, digest in known))
                else:
                    seen.add(digest)
            if row_problems is not None:
                problems.extend(row_problems)
            elif header_ok:
                good += 1
                if not problems:  # a file with a problem is refused whole: its rows are not needed
                    spool.add(_spooled(out))
            if progress is not None and n % 1000 == 0:
                progress(n, max(n, estimate))
        seen.clear()
        if later:
            _name_the_repeated(later, existing, table, convert, zh)
        if problems:
            spool.close()
            spool = Spool()
    except BaseException:
        spool.close()
        raise
    if progress is not None:
        progress(n, n)
    return Checked(problems, written, ignored, n, good, spool)


def _name_the_repeated(later: list[tuple[dict, int, bool]], existing, table: Table, convert, zh: bool) -> None:
    """Write the messages of the rows found repeating a project (its code, read from ``existing``) or an
    earlier row (its line: the first row without a problem whose identity has that digest, found by
    reading the file again)."""
    codes = existing.codes({d for _, d, named in later if named}) if any(named for *_, named in later) else {}
    wanted = {d for _, d, named in later if not named}
    firsts: dict[int, int] = {}
    if wanted:
        name_slot, investor_slot = _SLOT["name"], _SLOT["investor"]
        with closing(table.rows()) as rows:
            for line, cells in rows:
                out, row_problems = convert(line, cells)
                if row_problems is None:
                    digest = identity_digest(project_identity(out[name_slot], out[investor_slot]))
                    if digest in wanted and digest not in firsts:
                        firsts[digest] = line
                        if len(firsts) == len(wanted):
                            break
    for problem, digest, named in later:
        if named:
            problem["message"] = duplicate_message(str(codes.get(digest)))
        else:
            first = firsts.get(digest, "?")
            problem["message"] = Message("import_repeats_line", first=first)


def _problem(line: int, index: int | None, header: str, message: object) -> dict:
    return {"line": line, "column": column_letter(index) if index is not None else None, "field": header,
            "message": message}


def _converter(col: Column, factor: str, lang: str, by_code, names, today: date,
               escaped: bool) -> Callable[[Any], Any]:
    """The checker of one column's cells: a fast path for the usual cell, ``_cell`` for the rest (an
    empty optional cell is None; every other cell ``_cell`` does not return raises BadInput).
    ``escaped``: the cells come from a CSV file, whose formula escape ``_cell`` undoes."""

    def general(raw: Any) -> Any:
        return _cell(col, raw, factor, lang, by_code, names, today, escaped)

    kind, limit, optional = col.kind, col.limit, not col.required
    if kind == "text":
        def convert(raw: Any) -> Any:
            if raw.__class__ is str:
                text = raw.strip()
                if (text and (not limit or len(text) <= limit) and text[0] != "'"
                        and (text.isprintable() or unsafe_char(text) is None)):
                    return text
                if not text and optional:
                    return None
            return None if raw is None and optional else general(raw)
    elif kind == "amount":
        scale = _SCALE[factor]

        def convert(raw: Any) -> Any:
            if raw.__class__ is str:
                text = raw.strip()
                if text:
                    return ascii_minor(text, scale) or _amount(text, factor, lang)
                if optional:
                    return None
            return None if raw is None and optional else general(raw)
    elif kind == "unit":
        def convert(raw: Any) -> Any:
            if raw.__class__ is str and raw in by_code:
                return raw
            if optional and (raw is None or (raw.__class__ is str and not raw.strip())):
                return None
            return general(raw)
    elif kind == "yearplan":
        def convert(raw: Any) -> Any:
            return None if raw is None and optional else general(raw)
    elif kind == "yesno":
        def convert(raw: Any) -> Any:
            if raw.__class__ is str:
                text = raw.strip()
                found = _YES_NO.get(text.lower())
                if found is not None:
                    return found
                if not text and optional:
                    return None
            return None if raw is None and optional else general(raw)
    else:
        future = col.key == "registered_on"

        def convert(raw: Any) -> Any:
            if raw.__class__ is str:
                if len(raw) == 10 and raw[4] == "-" and raw[7] == "-":
                    try:
                        day = date.fromisoformat(raw)
                    except ValueError:
                        return general(raw)
                    if not (future and day > today) and FIRST_DAY <= day <= LAST_DAY:
                        return day
                elif optional and not raw.strip():
                    return None
            return None if raw is None and optional else general(raw)
    return convert


def _cell(col: Column, raw: Any, factor: str, lang: str, by_code, names, today: date,
          escaped: bool) -> Any:
    zh = lang == "zh"
    if isinstance(raw, str):
        raw = raw.strip()
    if _blank(raw):
        if col.required:
            raise BadInput("required_must_not_be", key=col.key, zh=col.zh)
        return None
    if col.kind == "text":
        text = str(int(raw)) if isinstance(raw, float) and raw.is_integer() else str(raw).strip()
        if escaped:  # a CSV cell: the apostrophe our CSV export put before a formula-like text
            text = restore_formula(text)
        if col.limit and len(text) > col.limit:
            raise BadInput("longer_than_characters", limit=col.limit)
        bad = unsafe_char(text)
        if bad is not None:
            raise BadInput("holds_control_character_names", escape_char=escape_char(bad))
        return text
    if col.kind == "amount":
        return _amount(raw, factor, lang)
    if col.kind == "unit":
        return _unit(str(raw).strip(), lang, names)
    if col.kind == "yesno":
        return _yesno(raw, lang)
    if col.kind == "yearplan":
        text = str(raw).strip()
        if col.limit and len(text) > col.limit:
            raise BadInput("longer_than_characters", limit=col.limit)
        plans = parse_year_plans(text, what=col.zh if zh else col.key, lang=lang)
        return tuple(sorted(plans.items())) or None
    day = _date(raw, lang)
    if not FIRST_DAY <= day <= LAST_DAY:
        raise BadInput("lies_outside", day=day, first_day=FIRST_DAY, last_day=LAST_DAY)
    if col.key == "registered_on" and day > today:
        raise BadInput("lies_in_future_today_is", day=day, today=today)
    return day


_SCALE = {"": 1, "万": 10_000, "亿": 100_000_000}


def _amount(raw: Any, factor: str, lang: str) -> int | Money:
    if isinstance(raw, bool):
        raise BadInput("not_amount")
    if isinstance(raw, int):
        text = str(raw)
    elif isinstance(raw, float):
        text = str(int(raw)) if raw.is_integer() else repr(raw)
    elif isinstance(raw, Decimal):
        text = format(raw, "f")
    elif isinstance(raw, datetime | date):
        raise BadInput("date_not_amount")
    else:
        text = str(raw)
    if factor and not _HAS_UNIT.search(unicodedata.normalize("NFKC", text)):
        text += factor
    money = parse_amount(text, lang=lang)
    if money.currency != "CNY":
        return money  # valued in CNY at the row's registration year's rate (check_rows)
    return money.amount_minor


def _unit(text: str, lang: str, names: UnitNames) -> str:
    codes = names.candidates(text)
    if len(codes) == 1:
        return codes[0]
    if codes:
        raise BadInput("more_than_one_unit", text=text, codes=list(codes))
    raise BadInput("no_unit_known_units", text=text, known=sorted(names.codes)[:20] or ["none"])


def _yesno(raw: Any, lang: str) -> bool:
    if isinstance(raw, bool):
        return raw
    if isinstance(raw, int | float) and raw in (0, 1):
        return bool(raw)
    text = unicodedata.normalize("NFKC", str(raw)).strip().lower()
    if text in YES:
        return True
    if text in NO:
        return False
    raise BadInput("is_not_yes_or", raw=raw)


def _date(raw: Any, lang: str) -> date:
    if isinstance(raw, datetime):
        if raw.time() != datetime.min.time():
            raise BadInput("has_time_of_day", raw=raw)
        return raw.date()
    if isinstance(raw, date):
        return raw
    text = unicodedata.normalize("NFKC", str(raw)).strip()
    for form in _DATE_FORMS:
        m = form.match(text)
        if m:
            try:
                return date(int(m.group(1)), int(m.group(2)), int(m.group(3)))
            except ValueError:
                break
    raise BadInput("is_not_date_use_yyyy", raw=raw)
