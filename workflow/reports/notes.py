"""The narrative sections of a period's documents and the site-visit scoring criteria
(docs/lights-and-reports.md, "Narrative sections" and "The lists leaders ask for").

A note (主要做法 practices, 存在问题 problems, 下步工作 next) is a governed setting
``reports.note.<period>.<section>`` written by :func:`set_note` through ``workflow.settings.record``
(one set-up ledger entry, in force from the period's first day); :func:`sections` gives the three
sections of a window: the note when there is one, else 存在问题 drafted from the escalated problems
and 下步工作 from the plan dates and promised follow-ups due in the next period, marked drafted
(（草拟）).  The scoring criteria of the site visit (观摩) are the setting ``reports.visit_criteria``
(``NAME=WEIGHT;…``, the weights adding up to 100).
"""

from __future__ import annotations

import unicodedata
from collections.abc import Iterable
from datetime import date

from sqlalchemy import or_, select
from sqlalchemy.engine import Connection, Engine

from workflow import clock, supervision
from workflow.access import ADMIN, require
from workflow.closed import closed_periods
from workflow.errors import BadInput, Refused
from workflow.i18n import LABELS
from workflow.lights import milestone_reached
from workflow.periods import Period, Span, parse_span
from workflow.reports.windows import active_stages
from workflow.settings import REPORTS_PREFIX, in_force, ladder, need_reason, record
from workflow.tables import followup as FU
from workflow.tables import project as P
from workflow.text import unsafe_char
from workflow.words import NOTE_SECTIONS, note_sections

SECTIONS: tuple[str, ...] = NOTE_SECTIONS
TITLES = {k: LABELS["note_" + k] for k in SECTIONS}
DRAFTED = {"en": " (drafted)", "zh": "（草拟）"}
NOTE_PREFIX = REPORTS_PREFIX + "note."
CRITERIA_KEY = REPORTS_PREFIX + "visit_criteria"
DEFAULT_CRITERIA: tuple[tuple[str, int], ...] = (
    ("建设进度", 30), ("投资强度", 25), ("科技含量与产业带动", 20), ("形象面貌", 15), ("要素保障与服务", 10))
MAX_NOTE = 4000
MAX_LINES = 30  # drafted lines per section (the rest: `pipeline problem list`, `pipeline todo`)


def _period(text: str | Period | Span, lang: str = "en") -> Period | Span:
    return parse_span(text, lang=lang) if isinstance(text, str) else text


def note_key(period: Period | Span, section: str) -> str:
    return f"{NOTE_PREFIX}{period.label}.{section}"


def set_note(engine: Engine, actor: str, period: str, section: str, text: str | None, *,
             reason: str | None = None, lang: str = "en") -> dict:
    """Store the ``section`` note of ``period`` (admin, as every set-up ledger entry): one entry in force from
    the period's first day; an empty ``text`` removes it (the section is drafted again)."""
    p = _period(period, lang)
    section = note_sections().parse(section, "--section")
    value = unicodedata.normalize("NFC", text or "").strip()
    if len(value) > MAX_NOTE:
        raise BadInput("report_note_too_long", limit=MAX_NOTE)
    bad = unsafe_char(value, multiline=True)
    if bad is not None:
        raise BadInput("report_note_bad_character", char=bad)
    with engine.begin() as conn:
        require(conn, actor, ADMIN, "write a report note")
        if p.label in closed_periods(conn):  # its documents are issued: a reprint prints them as they were
            raise Refused("report_note_period_closed", [{"period": p.label}], label=p.label)
        entry = record(conn, actor, "report_note", {note_key(p, section): value or None}, p.start,
                       (reason or "").strip() or None)
    return {"period": p.label, "section": section, "text": value or None, "entry": entry["seq"]}


def notes(conn: Connection, period: Period | Span) -> dict[str, str]:
    """section -> the note stored for ``period`` (the ones set)."""
    found = in_force(conn, date.max, note_key(period, ""))
    return {k.rsplit(".", 1)[1]: v for k, (v, _, _) in found.items() if k.rsplit(".", 1)[1] in SECTIONS}


def _problem_items(conn: Connection, as_of: date, lang: str) -> list[tuple[str | None, str]]:
    """The open problems at the ladder's red level or more, as (owner unit, line without its number)."""
    lad = ladder(conn, as_of)
    zh = lang.startswith("zh")
    out = []
    for p in supervision.open_problems(conn, as_of, lad):
        if p["level"] < lad.red_level:
            continue
        owner = p["owner_unit_name"] or p["owner_unit"]
        if zh:
            late = f"，已逾期{p['overdue_days']}天" if p["overdue_days"] else ""
            out.append((p["owner_unit"], f"{p['project']} {p['project_name']}：{p['text']}（{owner}{late}）。"))
        else:
            late = f", {p['overdue_days']} days overdue" if p["overdue_days"] else ""
            out.append((p["owner_unit"], f"{p['project']} {p['project_name']}: {p['text']} ({owner}{late})."))
    return out


def _numbered(texts: list[str], lang: str, see: str) -> list[str]:
    """At most ``MAX_LINES`` lines numbered 1. 2. …, then how many more (``see``: where to find them)."""
    lines = [f"{i}. {text}" for i, text in enumerate(texts[:MAX_LINES], start=1)]
    if len(texts) > MAX_LINES:
        more = len(texts) - MAX_LINES
        lines.append(f"……另有{more}项，见 {see}" if lang.startswith("zh") else f"… {more} more: see {see}")
    return lines


def _lines_problems(conn: Connection, as_of: date, unit: str | None, lang: str) -> list[str]:
    return _numbered([text for owner, text in _problem_items(conn, as_of, lang) if unit is None or owner == unit],
                     lang, "pipeline problem list")


PLAN_WORDS = {"sign": ("sign", "签约"), "fund": ("capital in place", "资金到位"),
              "break_ground": ("break ground", "开工"), "commission": ("start production", "投产")}


def _next_items(conn: Connection, period: Period | Span, as_of: date, unit: str | None, lang: str
                ) -> list[tuple[str | None, str]]:
    """The plan dates and promised follow-ups of active projects in the next period, in date order:
    (the project's unit, line without its number)."""
    zh = lang.startswith("zh")
    last = period.parts[-1] if isinstance(period, Span) else period
    nxt = last.next()
    items: list[tuple[date, str, str, str | None]] = []
    cols = {"sign": P.c.plan_sign, "fund": P.c.plan_fund, "break_ground": P.c.plan_break_ground,
            "commission": P.c.plan_commission}
    in_next = [c.between(nxt.start, nxt.end) for c in cols.values()]
    # the projects with a plan date or a promised follow-up in the next period (read by the indexes)
    promising = select(FU.c.project_id).where(FU.c.next_on.between(nxt.start, nxt.end), FU.c.effective_on <= as_of)
    q = select(P.c.id, P.c.code, P.c.name, P.c.stage, P.c.unit_code, *cols.values()).where(
        P.c.registered_on <= as_of, P.c.stage.in_(active_stages()), or_(*in_next, P.c.id.in_(promising)))
    if unit is not None:
        q = q.where(P.c.unit_code == unit)
    codes: dict[int, tuple[str, str, str | None]] = {}
    for row in conn.execute(q):
        codes[row[0]] = (row[1], row[2], row[4])
        for (field, _), value in zip(cols.items(), row[5:], strict=True):
            day = value if value is None or isinstance(value, date) else date.fromisoformat(str(value)[:10])
            if day is not None and nxt.start <= day <= nxt.end and not milestone_reached(row[3], field):
                word = PLAN_WORDS[field][1 if zh else 0]
                items.append((day, row[1], f"{row[2]}计划{word}" if zh else f"{row[2]} is planned to {word}", row[4]))
    promised_ids = [pid for (pid,) in conn.execute(promising)]
    for pid, promise in (supervision.promises(conn, as_of, promised_ids) if promised_ids else {}).items():
        on = promise["next_on"]
        if pid in codes and nxt.start <= on <= nxt.end:
            step = promise["next_step"] or ("跟进" if zh else "follow up")
            code, name, owner = codes[pid]
            items.append((on, code, f"{name}：{step}" if zh else f"{name}: {step}", owner))
    items.sort(key=lambda x: x[:3])
    out = []
    for day, code, text, owner in items:
        when = f"{day.month}月{day.day}日" if zh else day.isoformat()
        out.append((owner, f"{when} {code} {text}。" if zh else f"{when} {code} {text}."))
    return out


def _lines_next(conn: Connection, period: Period | Span, as_of: date, unit: str | None, lang: str) -> list[str]:
    return _numbered([text for _, text in _next_items(conn, period, as_of, unit, lang)], lang, "pipeline todo")


def _assemble(stored: dict[str, str], drafted: dict[str, list[str]], lang: str) -> list[dict]:
    """The sections from the notes ``stored`` and the ``drafted`` lines (section -> lines)."""
    zh = lang.startswith("zh")
    out = []
    for sec in SECTIONS:
        title = TITLES[sec][1 if zh else 0]
        if sec in stored:
            out.append({"section": sec, "title": title, "drafted": False,
                        "lines": [x for x in stored[sec].splitlines() if x.strip()]})
        elif drafted.get(sec):
            out.append({"section": sec, "title": title + DRAFTED["zh" if zh else "en"], "drafted": True,
                        "lines": list(drafted[sec])})
    return out


def sections(conn: Connection, period: Period | Span, as_of: date, unit: str | None, lang: str
             ) -> list[dict]:
    """The three narrative sections of ``period`` as of ``as_of``: ``{"section", "title", "drafted",
    "lines"}``; a section with neither a note nor anything to draft is left out."""
    stored = notes(conn, period)
    drafted = {}
    if "problems" not in stored:
        drafted["problems"] = _lines_problems(conn, as_of, unit, lang)
    if "next" not in stored:
        drafted["next"] = _lines_next(conn, period, as_of, unit, lang)
    return _assemble(stored, drafted, lang)


# The narrative a close stores (workflow/closing.py): the notes, and the drafted lines in both languages
# for the county and for each unit that has any, so that a closed period's documents print the sections
# as they stood at the close (docs/lights-and-reports.md, "Closed periods").
LANGS = ("en", "zh")


def for_close(conn: Connection, period: Period | Span, as_of: date) -> dict:
    """``{"notes": {section: text}, "drafted": {lang: {"county": {section: lines}, "units": {unit:
    {section: lines}}}}}`` of ``period`` as of ``as_of`` (the sections of every unit from one reading)."""
    drafted: dict[str, dict] = {}
    for lang in LANGS:
        found = {"problems": _problem_items(conn, as_of, lang), "next": _next_items(conn, period, as_of, None, lang)}
        see = {"problems": "pipeline problem list", "next": "pipeline todo"}
        county = {sec: _numbered([text for _, text in items], lang, see[sec]) for sec, items in found.items()}
        units: dict[str, dict[str, list[str]]] = {}
        for sec, items in found.items():
            for owner in dict.fromkeys(u for u, _ in items if u is not None):
                units.setdefault(owner, {})[sec] = _numbered([text for u, text in items if u == owner], lang, see[sec])
        drafted[lang] = {"county": {k: v for k, v in county.items() if v}, "units": units}
    return {"notes": notes(conn, period), "drafted": drafted}


def from_close(stored: dict, unit: str | None, lang: str) -> list[dict]:
    """The sections a close stored (``for_close``), for the county or ``unit``, in ``lang``."""
    drafted = stored["drafted"]["zh" if lang.startswith("zh") else "en"]
    mine = drafted["county"] if unit is None else drafted["units"].get(unit, {})
    return _assemble(stored.get("notes") or {}, mine, lang)


# --- the site-visit scoring criteria ---------------------------------------------------------------


def parse_criteria(items: Iterable[str] | str) -> list[tuple[str, int]]:
    """``["建设进度=30", …]`` or ``"建设进度=30;投资强度=25"`` -> [(name, weight)]; the weights are whole
    numbers adding up to 100, names unique."""
    if isinstance(items, str):
        items = [x for x in items.replace("；", ";").split(";") if x.strip()]
    out: list[tuple[str, int]] = []
    for item in items:
        name, sep, weight = unicodedata.normalize("NFKC", str(item)).partition("=")
        name, weight = name.strip(), weight.strip()
        if not sep or not name or not weight.isdigit() or any(c in name for c in ";=") or unsafe_char(name):
            raise BadInput("visit_criterion_not_name_weight", item=item)
        if name in dict(out):
            raise BadInput("visit_criterion_twice", name=name)
        out.append((name, int(weight)))
    if not out:
        raise BadInput("visit_criterion_give_one")
    total = sum(w for _, w in out)
    if total != 100:
        raise BadInput("visit_criteria_not_100", total=total)
    return out


def visit_criteria(conn: Connection, as_of: date | None = None) -> list[tuple[str, int]]:
    """The scoring criteria in force on ``as_of`` (default: today): stored, else the defaults."""
    value = in_force(conn, as_of, CRITERIA_KEY).get(CRITERIA_KEY, (None,))[0]
    return parse_criteria(value) if value else list(DEFAULT_CRITERIA)


def set_visit_criteria(engine: Engine, actor: str, items: Iterable[str] | None, *, reason: str | None = None,
                       effective_on: date | None = None) -> list[tuple[str, int]]:
    """Store the scoring criteria (admin) in force from ``effective_on`` (default: today); no items: back to
    the defaults.  One set-up ledger entry."""
    chosen = list(items or [])
    parsed = parse_criteria(chosen) if chosen else None
    why = need_reason(reason, "change the site-visit criteria")
    day = effective_on or clock.today()
    value = ";".join(f"{n}={w}" for n, w in parsed) if parsed else None
    with engine.begin() as conn:
        require(conn, actor, ADMIN, "change the site-visit criteria")
        record(conn, actor, "visit_criteria", {CRITERIA_KEY: value}, day, why)
        return visit_criteria(conn, day)
