"""Documents the office can send: `report <kind> --format docx|html --output FILE`, in the official
format of GB/T 9704-2012 (docs/lights-and-reports.md, "Documents as the office sends them").

A document holds: the red issuer mark (发文机关标志) and red line, the 文号 (X招通〔2026〕5号 from the
issue numbering of closed periods, ``workflow.numbering``; 征求意见稿 while the period is open), the
title of the report kind, a summary paragraph written from the figures in the county's style, the
report's tables (a wide one on a landscape page), the unit ranking, the red and yellow lists, two
charts (completion against target by unit; projects by stage) as PNG images, the signature and date,
and the 版记 (抄送, 印发机关, 印发日期).  Issuer, titles, prefixes and the 抄送 list are the document
settings (``workflow.office``).  DOCX through python-docx, the charts drawn by Pillow with the CJK font
found by path (units by name), both imported only when such a format is asked for; the HTML is one
self-contained file (charts inlined) laid out for A4.  `--lang en` gives it in English.

User text (project and unit names, reasons) is written as text: escaped in HTML, a run's text in DOCX;
control, escape and bidi characters are shown visibly (`\\x1b`, `<U+202E>`) and never emitted.
"""

from __future__ import annotations

import math
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date
from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path
from typing import Any

from cli.sections import Report, Section, text_cell
from workflow import files as outfiles
from workflow.amounts import MILLION, WAN, YI, format_rate, format_units
from workflow.catalogue import Message
from workflow.docformat import (
    BODY_FONT,
    BODY_PT,
    CELL_PAD_MM,
    CSS_FONTS,
    HEADING_FONT,
    LATIN_FONT,
    LINE_PT,
    MARK_TOP,
    MIN_CHARS,
    PAGE,
    PAGE_PT,
    PT_MM,
    RED,
    TABLE_PT,
    TEXT_WIDTH,
    TITLE_FONT,
    TITLE_PT,
    WIDE_COLUMNS,
    WIDE_TEXT_WIDTH,
    border,
    ems,
    heading_number,
    mark_size,
    page_number,
    page_setup,
    properties,
    run_font,
)
from workflow.errors import BadInput, os_reason
from workflow.i18n import is_zh, t
from workflow.office import Office, from_values
from workflow.reports import DOCUMENT_LIST_LIMIT

TITLES_EN = {"bulletin": "County Investment Promotion Bulletin",
             "dispatch": "County Investment Promotion Dispatch",
             "review": "County Investment Promotion Site Review",
             "evaluation": "County Investment Promotion Evaluation"}
ISSUER_EN = "Office of the County Investment Promotion Leading Group"
LIST_LIMIT = DOCUMENT_LIST_LIMIT  # projects per red/yellow list in a document
ROW_LIMIT = 200  # rows per table in a document (the rest: --format xlsx/csv)
STREAM_ROWS = 200  # a Word table of more body rows is written as XML text (``_LongTable``)
# controls, escapes and bidi marks; lone surrogates and U+FFFE/U+FFFF, which XML 1.0 forbids
_CONTROL = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069\ud800-\udfff"
                      "\ufeff\ufffe\uffff]")


def visible(text: object) -> str:
    """Text with control, escape and bidi characters, and those XML 1.0 forbids, shown visibly instead of
    emitted."""
    s = "" if text is None else str(text)

    def show(m: re.Match) -> str:
        c = ord(m.group(0))
        return f"\\x{c:02x}" if c < 0x100 else f"<U+{c:04X}>"

    return _CONTROL.sub(show, s)


@dataclass
class Document:
    lang: str
    title: str
    subtitle: str | None
    number: str | None  # the 文号 (X招通〔2026〕5号), or 征求意见稿 before the period is closed
    dated: str
    issuer: str
    summary: list[str]
    sections: list[Section]
    lists: list[tuple[str, list[str]]] = field(default_factory=list)
    charts: list[tuple[str, bytes]] = field(default_factory=list)
    mark: str | None = None  # 发文机关标志 (XX县招商局文件), red above the red line
    cc: list[str] = field(default_factory=list)  # 抄送 of the 版记
    printer: str | None = None  # 印发机关 of the 版记 (default: the issuer)


# --- words ---------------------------------------------------------------------------------------

MONTHS_EN = ("January", "February", "March", "April", "May", "June", "July", "August", "September", "October",
             "November", "December")


def _num(value: Decimal) -> str:
    """A rate or a number of points (not an amount: those go through ``workflow.money.format_units``):
    at most two decimals, trailing zeros dropped: 9 -> "9", 6.60 -> "6.6"."""
    text = f"{value.quantize(Decimal('0.01'), ROUND_HALF_UP):.2f}"
    return text.rstrip("0").rstrip(".") if "." in text else text


def yi(minor: int) -> str:
    """Minor units in 亿 (10^8) for a sentence: 6.6, 0.1 (``format_units``: half-up, zeros dropped)."""
    return format_units(minor, YI, grouped=False, trim=True)


def wan(minor: int) -> str:
    """Minor units in 万 (10^4) for a sentence: 700, 12.35."""
    return format_units(minor, WAN, grouped=False, trim=True)


def million(minor: int) -> str:
    """Minor units in millions for an English sentence: 1,234.5."""
    return format_units(minor, MILLION, trim=True)


def pct(rate: float | None, decimals: int = 2) -> str:
    """A rate as a percentage for a sentence: ``decimals`` places at most, rounded half-up, trailing
    zeros dropped (0.307 -> "30.7", 0.37 -> "37"); the ``percent_decimals`` document setting chooses
    ``decimals`` (workflow/office.py).  The rounding is the tables' own (``format_rate``), so a
    sentence and its table give one value.  "-" for no rate (callers leave such a clause out)."""
    if rate is None:
        return "-"
    return format_rate(rate, decimals, trim=True, percent=False)


def period_words(start: date, end: date, lang: str) -> str:
    """2026年1—10月 / January–October 2026; 2022—2025年 / 2022–2025; 2026年 / 2026."""
    whole_start = start.month == 1 and start.day == 1
    whole_end = end.month == 12 and end.day == 31
    if is_zh(lang):
        if start.year == end.year:
            if whole_start and whole_end:
                return f"{start.year}年"
            if start.month == end.month:
                return f"{start.year}年{start.month}月"
            return f"{start.year}年{start.month}—{end.month}月"
        if whole_start and whole_end:
            return f"{start.year}—{end.year}年"
        return f"{start.year}年{start.month}月—{end.year}年{end.month}月"
    if start.year == end.year:
        if whole_start and whole_end:
            return f"{start.year}"
        if start.month == end.month:
            return f"{MONTHS_EN[start.month - 1]} {start.year}"
        return f"{MONTHS_EN[start.month - 1]}–{MONTHS_EN[end.month - 1]} {start.year}"
    if whole_start and whole_end:
        return f"{start.year}–{end.year}"
    return f"{MONTHS_EN[start.month - 1]} {start.year} – {MONTHS_EN[end.month - 1]} {end.year}"


def date_words(d: date, lang: str) -> str:
    return f"{d.year}年{d.month}月{d.day}日" if is_zh(lang) else f"{d.day} {MONTHS_EN[d.month - 1]} {d.year}"


def _money(items: list[dict], currency: str) -> int:
    return sum(m["amount_minor"] for m in items if m["currency"] == currency)


def cny_words(minor: int, zh: bool) -> str:
    """A CNY amount for a sentence: 3.4亿元 / 2300万元 (zh), CNY 34 million (en)."""
    if zh:
        return f"{yi(minor)}亿元" if abs(minor) >= YI else f"{wan(minor)}万元"
    return f"CNY {million(minor)} million"


def usd_words(minor: int, zh: bool) -> str:
    return f"{wan(minor)}万美元" if zh else f"USD {million(minor)} million"


def _growth(rate: float | None, zh: bool, against: str, decimals: int) -> str:
    """"，同比增长12.5%" / ", up 12.5% on the same period last year"; "" when there is no rate (the
    figure compared with is 0): the clause is left out, never printed with "-"."""
    if rate is None:
        return ""
    if zh:
        words = {"yoy": "同比", "mom": "环比"}[against]
        if rate == 0:
            return f"，{words}持平"
        return f"，{words}{'增长' if rate > 0 else '下降'}{pct(abs(rate), decimals)}%"
    words = {"yoy": "on the same period last year", "mom": "on the previous period"}[against]
    if rate == 0:
        return f", unchanged {words}"
    return f", {'up' if rate > 0 else 'down'} {pct(abs(rate), decimals)}% {words}"


def _flow_clauses(fig: dict, changes: list[tuple[dict, str]], zh: bool, rate: str | None, year: str,
                  decimals: int) -> list[str]:
    """The clauses of one set of flow figures (``workflow.reports.compare``: signed, agreed, capital,
    foreign, investment), each currency stated apart, each with its changes (``(changes, "yoy"|"mom")``)
    where there is one; the USD capital converted at ``rate`` with the rate stated when one is set.
    A figure of a currency not received (0 USD) is left out."""
    def grow(metric: str) -> str:
        return "".join(_growth(c[metric]["rate"], zh, against, decimals) for c, against in changes)

    out = [f"新签约项目{fig['signed']}个{grow('signed')}" if zh else
           f"{fig['signed']} new projects signed{grow('signed')}"]
    if fig["signed"] and fig["agreed"]:
        out.append(f"协议总投资{cny_words(fig['agreed'], zh)}" if zh else
                   f"a total agreed investment of {cny_words(fig['agreed'], zh)}")
    out.append(f"到位资金{cny_words(fig['capital'], zh)}{grow('capital')}" if zh else
               f"capital in place {cny_words(fig['capital'], zh)}{grow('capital')}")
    if fig["foreign"]:
        converted = ""
        if rate is not None:
            from workflow.rates import to_cny

            cny = to_cny(fig["foreign"], "USD", Decimal(rate))
            assert cny is not None
            converted = (f"（按{year}年汇率1美元兑{rate}元人民币折算，合{cny_words(cny, zh)}）" if zh else
                         f" ({cny_words(cny, zh)} at the {year} rate of CNY {rate} per US dollar)")
        out.append(f"利用外资{usd_words(fig['foreign'], zh)}{converted}{grow('foreign')}" if zh else
                   f"foreign capital {usd_words(fig['foreign'], zh)}{converted}{grow('foreign')}")
    out.append(f"完成投资{cny_words(fig['investment'], zh)}{grow('investment')}" if zh else
               f"investment completed {cny_words(fig['investment'], zh)}{grow('investment')}")
    return out


def _span_figures(b: dict) -> dict:
    tot = b["totals"]
    return {"signed": tot["signed"], "agreed": b["signed_investment"]["amount_minor"],
            "capital": _money(tot["capital_in_place"], "CNY"), "foreign": _money(tot["capital_in_place"], "USD"),
            "investment": _money(tot["investment_completed"], "CNY")}


def whose(unit: str | None, unit_name: str | None, lang: str) -> str:
    """Whose figures a summary gives: 全县 / "the county", or for a unit's document the unit by name
    (经济开发区管委会; its code when it has no name), never the county's word over a unit's figures."""
    if unit is None:
        return "全县" if is_zh(lang) else "the county"
    return visible(unit_name or unit)


def _bulletin_whose(b: dict, lang: str) -> str:
    unit = b.get("unit")
    name = next((u.get("unit_name") for u in b.get("units") or [] if u.get("unit") == unit), None)
    return whose(unit, name, lang)


def summary(b: dict, lang: str, decimals: int = 1) -> list[str]:
    """The summary paragraphs, written from the bulletin's figures: for a period inside a year the year
    to date first (累计, with 同比), then the period itself (with 环比 and 同比); each currency stated
    apart (a USD amount converted at the year's stored rate, the rate stated), never one inside the
    other; a clause whose figure is absent (no plan, no rate to compare with) is left out;
    percentages with ``decimals`` places at most (the ``percent_decimals`` document setting).  The
    figures are the county's (全县), or a unit's under its name for a bulletin of one unit (``whose``)."""
    start = date.fromisoformat(b["start"])
    end = min(date.fromisoformat(b["end"]), date.fromisoformat(b["as_of"]))
    when = period_words(start, end, lang)
    tot = b["totals"]
    as_of = date_words(date.fromisoformat(b["as_of"]), lang)
    zh = is_zh(lang)
    c = b.get("comparison")
    span = ".." in b["period"]
    rate = None if span else (b.get("exchange_rates") or {}).get("USD")
    year = b["as_of"][:4]
    sep = "；" if zh else "; "
    who = _bulletin_whose(b, lang)
    if c:
        from workflow.reports.compare import changes_of, figures_of

        ytd = figures_of(c["totals"]["year_to_date"])
        ch = {k: changes_of(v) for k, v in c["totals"]["changes"].items()}
        ytd_when = period_words(date(end.year, 1, 1), end, lang)
        clauses = _flow_clauses(ytd, [(ch["year_to_date_on_year"], "yoy")], zh, rate, year, decimals)
        whole = start == date(end.year, 1, 1)  # the period is its year to date (B1, Q1, H1, the year)
        first = (f"{ytd_when}{'' if whole else '累计'}，{who}" + sep.join(clauses) + "。") if zh else \
            (f"In {ytd_when}{'' if whole else ' (year to date)'}, {who} had " + sep.join(clauses) + ".")
        if not whole:  # the period itself, after the year to date
            now = figures_of(c["totals"]["period"])
            clauses = _flow_clauses(now, [(ch["year_on_year"], "yoy"), (ch["month_on_month"], "mom")], zh, rate,
                                    year, decimals)
            first += (f"其中{period_words(start, end, lang)}，" + sep.join(clauses) + "。") if zh else \
                (f" Of these, in {when}: " + sep.join(clauses) + ".")
    else:
        clauses = _flow_clauses(_span_figures(b), [], zh, rate, year, decimals)
        first = (f"{when}，{who}" + sep.join(clauses) + "。") if zh else \
            (f"In {when}, {who} had " + sep.join(clauses) + ".")
    if zh:
        first += (f"截至{as_of}，{who}共有重点项目{tot['key_projects']}个，其中超亿元项目{tot['over_100m']}个；"
                  f"红灯项目{tot['red']}个、黄灯项目{tot['yellow']}个。")
    else:
        first += (f" On {as_of} {who} had {tot['key_projects']} key projects, {tot['over_100m']} of them over "
                  f"CNY 100 million; {tot['red']} projects were on red and {tot['yellow']} on yellow.")
    out = [first]
    s = b.get("series")
    if s and len(s["periods"]) >= 2 and s["per"] == "year":  # average annual growth
        avg = s["average_growth"]
        parts = []
        for metric, zh_name, en_name in (("signed", "签约项目", "projects signed"),
                                         ("capital", "到位资金", "capital in place"),
                                         ("foreign", "利用外资", "foreign capital"),
                                         ("investment", "完成投资", "investment completed")):
            if avg.get(metric) is not None:
                parts.append(f"{zh_name}年均增长{pct(avg[metric], decimals)}%" if zh else
                             f"{en_name} grew {pct(avg[metric], decimals)}% a year on average")
        if parts:
            out.append(("其中，" + "，".join(parts) + "。") if zh else ("Of these, " + "; ".join(parts) + "."))
    p = b.get("progress")
    text = _progress_sentence(p, zh, decimals) if p else ""
    if text:
        out.append(text)
    return out


def _progress_sentence(p: dict, zh: bool, decimals: int) -> str:
    """The year plan and the groundbreakings: a clause for each figure there is (no year plan: no
    investment clause; no planned groundbreaking: no start rate); "" when there is neither."""
    pt = p["totals"]
    plan, done = pt["year_plan"]["amount_minor"], pt["completed"]["amount_minor"]
    gap = pt["points"]
    parts = []
    if plan:
        if zh:
            text = f"{p['year']}年度计划投资{cny_words(plan, zh)}，已完成{cny_words(done, zh)}"
            if pt["plan_rate"] is not None:
                text += f"，占年度计划的{pct(pt['plan_rate'], decimals)}%"
            if gap is not None:
                text += f"，{'超' if gap >= 0 else '落后'}序时进度{_num(Decimal(str(abs(gap))))}个百分点"
        else:
            text = (f"Against the {p['year']} investment plan of {cny_words(plan, zh)}, {cny_words(done, zh)} "
                    "was completed")
            if pt["plan_rate"] is not None:
                text += f", {pct(pt['plan_rate'], decimals)}% of the plan"
            if gap is not None:
                text += (f", {_num(Decimal(str(abs(gap))))} points {'ahead of' if gap >= 0 else 'behind'} time "
                         f"progress ({p['time_progress']:.1f}%)")
        parts.append(text)
    if pt["planned_starts"]:
        rate = pct(pt["start_rate"], decimals)
        parts.append(f"计划开工项目{pt['planned_starts']}个，已开工{pt['started']}个，开工率{rate}%"
                     if zh else f"of {pt['planned_starts']} planned groundbreakings, {pt['started']} took place "
                                f"(start rate {rate}%)")
    if not parts:
        return ""
    if zh:
        return "；".join(parts) + "。"
    text = "; ".join(parts)
    return text[0].upper() + text[1:] + "."


# --- the document ------------------------------------------------------------------------------------


def _capped(sec: Section, lang: str) -> Section:
    if len(sec.rows) <= ROW_LIMIT:
        return sec
    more = len(sec.rows) - ROW_LIMIT
    out = Section(sec.key, sec.columns, sec.rows[:ROW_LIMIT], sec.styles[:ROW_LIMIT], sec.title)
    note = (f"……另有{more}行，见 --format xlsx" if is_zh(lang) else f"… {more} more rows: see --format xlsx")
    out.add([note] + [None] * (len(sec.columns) - 1))
    return out


def _problem_lines(items: list[dict], color: str, total: int, lang: str) -> list[str]:
    """The worst ``LIST_LIMIT`` projects of ``color`` (of ``total``), one line each."""
    zh = is_zh(lang)
    chosen = [p for p in items if p["light"] == color]
    lines = []
    for i, p in enumerate(chosen[:LIST_LIMIT], start=1):
        reasons = ("；" if zh else "; ").join(r["zh"] if zh else r["en"] for r in p["reasons_detail"])
        unit = p["unit_name"] or p["unit"] or t("no_unit", lang)
        leader = p["lead_leader"]["name"] if p.get("lead_leader") else None
        who = (f"（{unit}{'，' + leader if leader else ''}）" if zh else
               f" ({unit}{', ' + leader if leader else ''})")
        lines.append(f"{i}. {p['code']} {p['name']}{who}{'：' if zh else ': '}{reasons}")
    shown = min(len(chosen), LIST_LIMIT)
    if total > shown:
        more = total - shown
        lines.append(f"……另有{more}个，见 pipeline report dispatch" if zh else
                     f"… {more} more: see pipeline report dispatch")
    return lines


def letterhead(settings: Office, lang: str) -> tuple[str, str, str]:
    """(issuer, issuer mark, printer) of a document in ``lang``: the settings; in English, the English
    default for each one not set."""
    if is_zh(lang):
        return settings.issuer, settings.mark, settings.printer
    stored = "issuer" in settings.stored
    issuer = settings.issuer if stored else ISSUER_EN
    mark = settings.mark if "mark" in settings.stored else issuer
    printer = settings.printer if "printer" in settings.stored or stored else ISSUER_EN
    return issuer, mark, printer


def build(kind: str, report: Report, bulletin: dict, evaluation: dict, lang: str, *, ranking: Section | None = None,
          number: int | None = None, today: date | None = None, charts: bool = True,
          office: Office | None = None) -> Document:
    """The document of report ``kind`` (its tables in ``report``), with the summary from ``bulletin``
    (computed with ``problems=True`` for the red and yellow lists), the unit ranking (``ranking``, the
    evaluation's first table, added unless the report is the evaluation) and the chart of completion
    against target from ``evaluation``; issuer, title and 文号 from the document settings ``office``
    (``workflow.office``; default: their defaults), the 文号's number ``number`` from the issue
    numbering of closed periods (None: not closed, 征求意见稿); dated ``today``, the issue date of a
    numbered document (default: today)."""
    from workflow import clock
    from workflow.numbering import issue_text

    settings = office or from_values({})
    zh = is_zh(lang)
    year = date.fromisoformat(bulletin["as_of"]).year if ".." in bulletin["period"] else int(bulletin["period"][:4])
    sections = [_capped(s, lang) for s in report.sections]
    if kind != "evaluation" and ranking is not None:
        sections.append(ranking)
    lists = []
    items = bulletin.get("projects") or []
    for color, title_zh, title_en in (("red", "红灯项目", "Projects on red"),
                                      ("yellow", "黄灯项目", "Projects on yellow")):
        lines = _problem_lines(items, color, bulletin["totals"][color], lang)
        lists.append((title_zh if zh else title_en, lines or (["无"] if zh else ["none"])))
    start = date.fromisoformat(bulletin["start"])
    end = min(date.fromisoformat(bulletin["end"]), date.fromisoformat(bulletin["as_of"]))
    when = period_words(start, end, lang)
    subtitle = f"（{when}）" if zh else f"{t('report_' + kind, lang)} · {when}"
    issuer, mark, printer = letterhead(settings, lang)
    if zh:
        title, text = settings.titles[kind], settings.number(kind, year, number)
    else:
        title, text = TITLES_EN[kind], issue_text(year, number, lang) or "Draft for comments"
    dated = date_words(today or clock.today(), lang)
    doc = Document(lang=lang, title=title, subtitle=subtitle, number=text, dated=dated, issuer=issuer,
                   summary=summary(bulletin, lang, settings.percent_decimals), sections=sections, lists=lists,
                   mark=mark, cc=list(settings.cc), printer=printer)
    if charts:
        doc.charts = make_charts(bulletin, evaluation, lang)
    return doc


# --- charts ------------------------------------------------------------------------------------------

# CJK font files by preference (Debian: fonts-noto-cjk, fonts-wqy-zenhei, fonts-wqy-microhei,
# fonts-arphic-uming/ukai, fonts-droid-fallback; then Windows' and macOS' own), found by path so a
# font installed a moment ago is used at once.
CJK_FONT_FILES = ("NotoSansCJK-Regular.ttc", "NotoSansCJKsc-Regular.otf", "NotoSansSC-Regular.otf",
                  "NotoSansSC-Regular.ttf", "SourceHanSansSC-Regular.otf", "SourceHanSans-Regular.ttc",
                  "wqy-zenhei.ttc", "wqy-microhei.ttc", "NotoSerifCJK-Regular.ttc", "SourceHanSerifSC-Regular.otf",
                  "simhei.ttf", "msyh.ttc", "msyh.ttf", "simsun.ttc", "PingFang.ttc", "STHeiti Medium.ttc",
                  "Hiragino Sans GB.ttc", "uming.ttc", "ukai.ttc", "DroidSansFallbackFull.ttf")
FONT_DIRS = ("/usr/share/fonts", "/usr/local/share/fonts", "~/.local/share/fonts", "~/.fonts", "/Library/Fonts",
             "/System/Library/Fonts", "~/Library/Fonts", "%WINDIR%/Fonts")


def find_cjk_font(dirs: tuple[str, ...] = FONT_DIRS) -> Path | None:
    """The first CJK font file of ``CJK_FONT_FILES`` found under ``dirs``; None without one."""
    import os

    found: dict[str, Path] = {}
    for d in dirs:
        root = Path(os.path.expandvars(os.path.expanduser(d)))
        if not root.is_dir():
            continue
        for folder, _, files in os.walk(root):
            for name in files:
                found.setdefault(name.lower(), Path(folder) / name)
    return next((found[n.lower()] for n in CJK_FONT_FILES if n.lower() in found), None)


def cjk_face(path: Path) -> tuple[int, str] | None:
    """(index, family name) of the face of the font file ``path`` to draw with: in a collection (.ttc:
    Noto Sans CJK holds JP first, then KR, SC, TC, HK) the Simplified Chinese face (family name ending
    in " SC" or " CN"), else its first; None when the file cannot be read as a font."""
    from PIL import ImageFont

    first: tuple[int, str] | None = None
    for index in range(64):  # a collection's faces, until FreeType says there are no more
        try:
            family = ImageFont.truetype(str(path), 10, index=index).getname()[0] or path.stem
        except OSError:
            break
        if family.endswith((" SC", " CN")):
            return index, family
        first = first or (index, family)
    return first


def _latin(text: str) -> bool:
    """Can the default (Latin) font show ``text``?"""
    return all(ord(c) < 0x2E80 for c in text)


@dataclass(frozen=True)
class Chart:
    """One bar chart as data (drawn by ``draw_chart``): a bar per category and series, categories
    down the left, values to the right; ``reference`` a value marked by a red line (100%)."""
    caption: str
    value_title: str  # the values' axis: what they count and in which unit
    category_title: str
    categories: list[str]
    series: list[tuple[str, list[float | None]]]  # (name, a value per category; None: no bar)
    reference: float | None = None
    decimals: int = 0  # of the values' labels
    suffix: str = ""  # after each value's label ("%")
    colors: tuple[str, ...] = ("#4472c4", "#ed7d31", "#70ad47", "#7f60a8")  # a colour per series


def chart_figures(bulletin: dict, evaluation: dict, lang: str, font: Path | str | None) -> list[Chart]:
    """The two charts as data: completion against target by unit; projects by stage.  Units are
    labelled by name and the axes name what they count (完成率（%）, 到位资金（万元）); with no CJK
    ``font`` (its path; None without one) a Chinese document's charts are labelled in English and a unit
    whose name needs CJK by its code (no empty boxes).  Captions are in the document's language.  A
    metric no unit has a target for has no series; a unit without a target for a metric no bar."""
    from cli.render import stage_label
    from workflow.reports import METRICS, ordered_stages

    zh = is_zh(lang)
    chart_lang = lang if font or not zh else "en"
    czh = is_zh(chart_lang)

    def unit_label(u: dict) -> str:
        name = visible(u.get("unit_name") or "")
        if name and (font or _latin(name)):
            return name
        return visible(u["unit"] or "-")

    out: list[Chart] = []
    ranked = [u for u in evaluation["units"] if u["targets"]]
    if ranked:
        series: list[tuple[str, list[float | None]]] = []
        for metric in METRICS:
            rates = [next((float(x["rate"]) * 100 for x in u["targets"] if x["metric"] == metric), None)
                     for u in ranked]
            if any(r is not None for r in rates):  # a metric no unit has a target for: no series
                series.append((re.split(r"（| \(", t(f"metric_{metric}", chart_lang))[0], rates))  # a rate
        out.append(Chart(
            caption="图1 各单位目标完成情况（完成率，%）" if zh else "Figure 1. Completion against target by unit (%)",
            value_title="完成率（%）" if czh else "Completion rate (%)", category_title="单位" if czh else "Unit",
            categories=[unit_label(u) for u in ranked], series=series, reference=100.0, decimals=1, suffix="%"))
    else:  # no targets: capital in place by unit, the year to date where there is one (a period in a year)
        compared = bulletin.get("comparison")
        if compared:
            from workflow.reports.compare import figures_of

            units = list(compared["units"])
            values = [figures_of(u["year_to_date"])["capital"] for u in units]
        else:
            units = list(bulletin["units"])
            values = [_money(u["capital_in_place"], "CNY") for u in units]
        ytd = "累计" if compared else ""
        out.append(Chart(
            caption=(f"图1 各单位{ytd}到位资金（万元；本年度未设目标）" if zh else
                     f"Figure 1. Capital in place{' (year to date)' if compared else ''} by unit "
                     "(10k CNY; no targets set for the year)"),
            value_title="到位资金（万元）" if czh else "Capital in place (10k CNY)",
            category_title="单位" if czh else "Unit", categories=[unit_label(u) for u in units],
            series=[("", [float(v) / 10**6 for v in values])], decimals=2))

    by_stage = bulletin["totals"]["projects_by_stage"]
    stages = ordered_stages(by_stage)
    out.append(Chart(
        caption="图2 项目阶段分布（个）" if zh else "Figure 2. Projects by stage",
        value_title="项目数（个）" if czh else "Projects", category_title="项目阶段" if czh else "Stage",
        categories=[stage_label(s, chart_lang) or s for s in stages],
        series=[("", [float(by_stage[s]) for s in stages])], colors=("#70ad47",)))
    return out


CHART_WIDTH = 2000  # px: 16 cm of text width at about 320 dpi
CHART_MAX_HEIGHT = 2800  # px at that width: 22 cm, within an A4 page's text height with the caption
RED_LINE = "#c00000"  # the 100% line
INK = 0x26  # the text's grey (#262626)
# A chart is drawn in 8-bit grey (a quarter of RGB's memory) whose values are then read as a palette:
# 0-7 the series' colours, 8-15 the red line, 16-255 a grey ramp from the ink to white, so that text
# antialiased onto white or onto a grey gridline stays grey.
SERIES_INDEX, RED_INDEX, INK_INDEX, WHITE_INDEX = 0, 8, 16, 255


def _grey(level: int) -> int:
    """The palette index of the grey ``level`` (from ``INK`` to 255) on the ramp."""
    return INK_INDEX + round((level - INK) * (WHITE_INDEX - INK_INDEX) / (255 - INK))


def _palette(colors: tuple[str, ...]) -> list[int]:
    from PIL import ImageColor

    rgb: list[int] = []
    for i in range(256):
        if i < RED_INDEX:
            rgb += ImageColor.getrgb(colors[i % len(colors)])[:3]
        elif i < INK_INDEX:
            rgb += ImageColor.getrgb(RED_LINE)[:3]
        else:
            rgb += [INK + round((i - INK_INDEX) * (255 - INK) / (WHITE_INDEX - INK_INDEX))] * 3
    return rgb


def _face(font: str | None, index: int, px: int) -> Any:
    """The font file ``font``'s face ``index`` at ``px`` pixels (Pillow's own Latin font without a file)."""
    from PIL import ImageFont

    return ImageFont.truetype(font, px, index=index) if font is not None else ImageFont.load_default(px)


def _ticks(lo: float, hi: float, whole: bool) -> list[float]:
    """Round tick values from at most ``lo`` to at least ``hi``, about five steps of 1, 2, 2.5 or 5 × 10^k
    (whole numbers only if ``whole``)."""
    raw = (hi - lo) / 5 or 1.0
    mag = 10 ** math.floor(math.log10(raw))
    step = next(m * mag for m in (1, 2, 2.5, 5, 10) if m * mag >= raw * 0.999)
    if whole:
        step = max(1.0, math.ceil(step))
    first, last = math.floor(lo / step + 1e-9), math.ceil(hi / step - 1e-9)
    return [i * step for i in range(first, max(last, first + 1) + 1)]


def draw_chart(chart: Chart, font: Path | None = None, index: int = 0, width: int = CHART_WIDTH) -> bytes:
    """``chart`` drawn with Pillow as a PNG ``width`` pixels wide, its height following the number of
    bars: horizontal bars (categories down the left, a long name wrapped onto several lines), each
    labelled with its value; light gridlines, both axes' titles, a legend for several series, the red
    reference line.  Text in the face ``index`` of the font file ``font`` (Pillow's own Latin font
    without one)."""
    import io

    from PIL import Image, ImageDraw

    u = width / 2000  # the sizes below are for 2000 px
    margin, pad, line_h = round(40 * u), round(16 * u), round(52 * u)
    path = None if font is None else str(font)
    big = _face(path, index, round(40 * u))  # categories, titles, legend
    probe = ImageDraw.Draw(Image.new("L", (1, 1)))

    def width_of(text: str, f: Any) -> float:
        return probe.textlength(text, font=f) if text else 0.0

    def lines_of(text: str, limit: float) -> list[str]:
        """``text`` wrapped to ``limit`` px: between words, or between any two CJK characters."""
        lines = [""]
        for tok in re.findall(r"[\u2e80-\uffff]|[^\s\u2e80-\uffff]+\s*|\s+", text):
            if lines[-1] and width_of(lines[-1] + tok.rstrip(), big) > limit:
                lines.append("")
            if not lines[-1]:
                tok = tok.lstrip()
            while len(tok) > 1 and width_of(tok.rstrip(), big) > limit:  # one word too long: cut it
                cut = max([i for i in range(1, len(tok)) if width_of(tok[:i], big) <= limit] or [1])
                lines[-1:] = [tok[:cut], ""]
                tok = tok[cut:]
            lines[-1] += tok
        return [ln.rstrip() for ln in lines if ln.strip()] or [""]

    # the categories down the left, a name longer than 40% of the width wrapped
    wrapped = [lines_of(c, 0.4 * width) for c in chart.categories]
    label_w = max([width_of(ln, big) for ls in wrapped for ln in ls] + [width_of(chart.category_title, big)])
    # the bars: about 1600 px of bars and gaps, each 24 to 60 px thick (48 beside others), thinner when
    # the chart would not fit on a page
    n_series, n_cat = max(len(chart.series), 1), len(chart.categories)
    bar = min(max(1600 * u / max(n_cat * (n_series + 0.6), 1), 24 * u), (60 if n_series == 1 else 48) * u)
    while True:
        rows = [max(n_series * bar + 0.6 * bar, len(ls) * line_h + pad) for ls in wrapped]
        if sum(rows) <= (CHART_MAX_HEIGHT - 500) * u or bar <= 12 * u:
            break
        bar *= 0.95
    small = _face(path, index, round(min(34 * u, max(bar, 18 * u))))  # the values: digits fit in a bar

    # the values' axis: round ticks from 0 (or below) to past the longest bar and its label
    values = [v for _, vs in chart.series for v in vs if v is not None]
    lo = min([0.0, *values])
    hi = max([0.0, *values, *([chart.reference] if chart.reference is not None else [])]) or 1.0

    def label_of(v: float) -> str:
        return f"{v:,.{chart.decimals}f}{chart.suffix}"

    ticks: list[float] = []
    tick_texts: list[str] = []
    plot_left = plot_right = scale = 0.0

    def x_of(v: float) -> float:  # on the axis being tried
        return plot_left + (v - ticks[0]) * scale

    for _ in range(50):
        ticks = _ticks(lo, hi, chart.decimals == 0)
        step = ticks[1] - ticks[0]
        decimals = 0 if float(step).is_integer() else len(f"{step:g}".split(".")[1])
        tick_texts = [f"{v:,.{decimals}f}" for v in ticks]
        plot_left = max(margin + label_w + 2 * pad, margin + width_of(tick_texts[0], big) / 2)
        plot_right = width - max(margin, width_of(tick_texts[-1], big) / 2 + pad)
        scale = (plot_right - plot_left) / (ticks[-1] - ticks[0])
        fits = all(x_of(v) + pad + width_of(label_of(v), small) <= plot_right for v in values if v >= 0) and \
            all(x_of(v) - pad - width_of(label_of(v), small) >= plot_left for v in values if v < 0)
        spaced = max(width_of(x, big) for x in tick_texts) + 2 * pad <= step * scale
        if fits and spaced:
            break
        hi = ticks[-1] + step * (0.5 if fits else 0.25)
        lo = ticks[0] - step * 0.25 if ticks[0] < 0 else lo

    # the legend above the bars (several series), in rows as wide as the bars
    legend: list[list[tuple[int, str, float]]] = []
    if len(chart.series) > 1:
        legend = [[]]
        x = 0.0
        for i, (name, _) in enumerate(chart.series):
            w = 32 * u + pad + width_of(name, big) + 48 * u
            if legend[-1] and x + w > plot_right - plot_left:
                legend.append([])
                x = 0.0
            legend[-1].append((i, name, x))
            x += w
    plot_top = margin + max(len(legend), 1) * line_h + pad
    plot_bottom = plot_top + round(sum(rows))
    height = plot_bottom + pad + line_h + pad + line_h + margin

    image = Image.new("L", (width, height), WHITE_INDEX)
    draw = ImageDraw.Draw(image)
    n_colors = min(len(chart.colors), RED_INDEX - SERIES_INDEX)
    tops = [plot_top + round(sum(rows[:c])) for c in range(n_cat)]
    band = _grey(0xF0)  # every other category's row shaded when it has several bars

    def shaded(c: int) -> bool:
        return n_series > 1 and c % 2 == 1

    for c in range(n_cat):
        if shaded(c):
            draw.rectangle([(margin, tops[c]), (plot_right, tops[c] + rows[c] - 1)], fill=band)
    for v, text in zip(ticks, tick_texts, strict=True):  # gridlines, the ticks' values below
        draw.line([(x_of(v), plot_top), (x_of(v), plot_bottom)], fill=_grey(0xD9), width=max(1, round(2 * u)))
        draw.text((x_of(v), plot_bottom + pad), text, font=big, fill=INK_INDEX, anchor="mt")
    draw.text(((plot_left + plot_right) / 2, plot_bottom + pad + line_h + pad), chart.value_title, font=big,
              fill=INK_INDEX, anchor="mt")
    draw.text((plot_left - 2 * pad, margin + line_h / 2), chart.category_title, font=big, fill=INK_INDEX,
              anchor="rm")
    for r, row in enumerate(legend):
        y = margin + r * line_h + line_h / 2
        for i, name, x in row:
            draw.rectangle([(plot_left + x, y - 16 * u), (plot_left + x + 32 * u, y + 16 * u)],
                           fill=SERIES_INDEX + i % n_colors)
            draw.text((plot_left + x + 32 * u + pad, y), name, font=big, fill=INK_INDEX, anchor="lm")
    zero = x_of(0.0)
    labels: list[tuple[float, float, str, str, int]] = []
    for c, lines in enumerate(wrapped):
        mid = tops[c] + rows[c] / 2
        for k, line in enumerate(lines):  # the category, right-aligned, centred on its bars
            draw.text((plot_left - 2 * pad, mid + (k - (len(lines) - 1) / 2) * line_h), line, font=big,
                      fill=INK_INDEX, anchor="rm")
        for i, (_, vs) in enumerate(chart.series):
            value = vs[c]
            if value is None:  # no target: no bar
                continue
            top, bottom = mid - n_series * bar / 2 + i * bar, mid - n_series * bar / 2 + (i + 1) * bar - 2 * u
            end = x_of(value)
            if abs(end - zero) >= 1:
                draw.rectangle([(min(zero, end), top), (max(zero, end), bottom)], fill=SERIES_INDEX + i % n_colors)
            labels.append((end + pad if value >= 0 else end - pad, (top + bottom) / 2, "lm" if value >= 0 else "rm",
                           label_of(value), band if shaded(c) else WHITE_INDEX))
    draw.line([(zero, plot_top), (zero, plot_bottom)], fill=INK_INDEX, width=max(1, round(3 * u)))  # the axis
    if chart.reference is not None:
        x = x_of(chart.reference)
        draw.line([(x, plot_top), (x, plot_bottom)], fill=RED_INDEX, width=max(1, round(4 * u)))
    for x, y, anchor, text, ground in labels:  # the values last, over the lines on a halo of their ground
        draw.text((x, y), text, font=small, fill=INK_INDEX, anchor=anchor, stroke_width=max(1, round(3 * u)),
                  stroke_fill=ground)
    image.putpalette(_palette(chart.colors))  # grey values read as the palette: a "P" image
    buf = io.BytesIO()
    image.save(buf, format="PNG", compress_level=3)  # level 6 takes twice as long for a fifth less
    return buf.getvalue()


def make_charts(bulletin: dict, evaluation: dict, lang: str) -> list[tuple[str, bytes]]:
    """(caption, PNG) of ``chart_figures``, drawn with the CJK font ``find_cjk_font`` finds (by path;
    of a collection the Simplified Chinese face); says on stderr which font was used or that there is
    none."""
    from cli.context import say

    path = find_cjk_font()
    face = cjk_face(path) if path is not None else None
    say(Message("chart_font_found", name=face[1], path=str(path)) if face else Message("chart_font_missing"))
    font, index = (path, face[0]) if face else (None, 0)
    charts = chart_figures(bulletin, evaluation, lang, font)
    return [(chart.caption, draw_chart(chart, font, index)) for chart in charts]


# --- the format (GB/T 9704-2012) ----------------------------------------------------------------------

LONG_CELL = 12.0  # ems: a cell longer than this wraps at any size, so it asks for no more
SHORT_CELL = 6.0  # ems: a column this narrow is not shrunk while the long ones can give


def column_widths(headers: list[str], rows: list[list[str]], available_mm: float,
                  whole: Sequence[bool] = ()) -> tuple[list[float], float]:
    """Column widths in mm from the content (the longest cell; the header on one line up to 6
    characters, else on two) and the table's font size in points: every column at least
    ``MIN_CHARS`` CJK characters wide, and a column ``whole`` marks (numbers, dates: they do not wrap)
    at least as wide as its longest cell where the table can be, together filling ``available_mm``;
    a smaller font when the columns do not fit."""
    def sizes(pt: float, keep: Sequence[bool]) -> tuple[list[float], list[float]]:
        em = pt * PT_MM
        need, least = [], []
        for i, head in enumerate(headers):
            longest = min(max((ems(r[i]) for r in rows), default=0.0), LONG_CELL)  # a long text wraps anyway
            head_ems = ems(head)  # a header of up to 6 characters on one line, a longer one on two
            width = max(float(MIN_CHARS), longest, head_ems if head_ems <= 6 else math.ceil(head_ems / 2) + 1)
            need.append(width * em + CELL_PAD_MM)
            least.append(max(float(MIN_CHARS), longest if i < len(keep) and keep[i] else 0.0) * em + CELL_PAD_MM)
        return need, least

    for pt in TABLE_PT[:-1]:  # the largest size at which every cell fits on its line
        need, _ = sizes(pt, whole)
        if sum(need) <= available_mm:
            return [w * available_mm / sum(need) for w in need], pt
    # else the largest size from 9 pt down at which the least widths fit: the widest columns shrink
    # towards the least width (their text wraps; numbers and dates keep their line where they can)
    keep = whole if any(sum(sizes(p, whole)[1]) <= available_mm for p in TABLE_PT[1:]) else ()
    pt = next((p for p in TABLE_PT[1:] if sum(sizes(p, keep)[1]) <= available_mm), TABLE_PT[-1])
    need, least = sizes(pt, keep)
    if sum(need) <= available_mm:
        return [w * available_mm / sum(need) for w in need], pt
    short = [n if n <= SHORT_CELL * pt * PT_MM + CELL_PAD_MM else m for n, m in zip(need, least, strict=True)]
    if sum(short) <= available_mm:  # short columns (a stage, a header of up to 6) keep their line
        least = short
    spare = sum(n - m for n, m in zip(need, least, strict=True))
    share = min(1.0, (sum(need) - available_mm) / spare) if spare else 0.0
    return [n - (n - m) * share for n, m in zip(need, least, strict=True)], pt


def _table_texts(sec: Section, lang: str) -> tuple[list[str], list[list[str]]]:
    return [t(c, lang) for c, _ in sec.columns], _cells(sec)


def _wide(sec: Section) -> bool:
    """Does the table go on a landscape page?  (An empty one is a line saying so: it does not.)"""
    return len(sec.columns) > WIDE_COLUMNS and bool(sec.rows)


NONE = {True: "无。", False: "None."}  # an empty table's line


# --- writers -----------------------------------------------------------------------------------------


def _cells(sec: Section) -> list[list[str]]:
    return [[visible(text_cell(v, k, st)) for v, (_, k) in zip(r, sec.columns, strict=True)]
            for r, st in zip(sec.rows, sec.styles, strict=True)]


def _numeric(kind: str) -> bool:
    return kind in ("int", "wan", "rate", "score")


def _whole(sec: Section) -> list[bool]:
    """The columns whose cells keep their line (``column_widths``): numbers and dates."""
    return [_numeric(k) or k == "date" for _, k in sec.columns]


_ESCAPES = str.maketrans({"&": "&amp;", "<": "&lt;", ">": "&gt;"})
_BREAKS = re.compile("([\t\r\n])")


def run_xml(text: str) -> str:
    """What python-docx's ``run.text = text`` puts in a run, as lxml writes it: each stretch of text a
    ``<w:t>`` (``xml:space="preserve"`` when it starts or ends with white space), each tab a
    ``<w:tab/>``, each line break a ``<w:br/>``; ``&``, ``<`` and ``>`` escaped.  ``text`` has been
    through ``visible`` (nothing XML 1.0 forbids is left)."""
    out = []
    for i, chunk in enumerate(_BREAKS.split(text) if "\t" in text or "\n" in text or "\r" in text else [text]):
        if i % 2:
            out.append("<w:tab/>" if chunk == "\t" else "<w:br/>")
        elif chunk:
            esc = chunk.translate(_ESCAPES)
            space = ' xml:space="preserve"' if len(chunk.strip()) < len(chunk) else ""
            out.append(f"<w:t{space}>{esc}</w:t>")
    return "".join(out)


class _LongTable:
    """A Word table of many rows written as XML text instead of python-docx elements (docs/performance.md,
    fast paths): python-docx builds the header and one template row of each kind (plain, bold total)
    whose cells hold marker texts, between two XML comments; when the document is saved the templates
    are cut out of ``word/document.xml`` and every body row is written from its kind's template, each
    cell's marker replaced by ``run_xml`` of its text — what python-docx writes for the row."""

    def __init__(self, mark: str, rows: list[list[str]], bold: list[bool]):
        self.mark, self.rows, self.bold = mark, rows, bold
        self.kinds = list(dict.fromkeys(bold))  # the kinds in the order they first come

    def templates(self) -> tuple[list[list[str]], list[bool]]:
        """The rows for python-docx to build: one of each kind, a marker in each cell."""
        cols = len(self.rows[0])
        return [[f"{self.mark}-{k}-{c}" for c in range(cols)] for k in range(len(self.kinds))], self.kinds

    def bracket(self, tbl: Any) -> None:
        """Put the comments around the template rows (the table's rows after the header)."""
        from lxml import etree

        rows = tbl.tr_lst
        rows[1].addprevious(etree.Comment(f"{self.mark}-start"))
        rows[-1].addnext(etree.Comment(f"{self.mark}-end"))

    def write(self, xml: str, out: Any) -> str:
        """Write ``xml`` (the rest of ``document.xml``) up to this table's templates to ``out``, then the
        rows; return what follows the templates."""
        before, rest = xml.split(f"<!--{self.mark}-start-->")
        middle, after = rest.split(f"<!--{self.mark}-end-->")
        out.write(before.encode("utf-8"))
        pieces = {}  # kind -> the template row's XML around its cells' texts
        for k, (kind, tr) in enumerate(zip(self.kinds, middle.split("</w:tr>")[:-1], strict=True)):
            parts = [tr]
            for c in range(len(self.rows[0])):
                head, tail = parts.pop().split(f"<w:t>{self.mark}-{k}-{c}</w:t>")
                parts += [head, tail]
            parts[-1] += "</w:tr>"
            pieces[kind] = parts
        seen: dict[str, str] = {}  # many cells repeat (units, stages)
        chunk: list[str] = []
        for values, kind in zip(self.rows, self.bold, strict=True):
            parts = pieces[kind]
            chunk.append(parts[0])
            for value, part in zip(values, parts[1:], strict=True):
                text = seen.get(value)
                if text is None:
                    text = seen[value] = run_xml(value)
                chunk.append(text)
                chunk.append(part)
            if len(chunk) > 4_000:
                out.write("".join(chunk).encode("utf-8"))
                chunk.clear()
        out.write("".join(chunk).encode("utf-8"))
        return after


def _save_streamed(d: Any, tables: list[_LongTable], fh: Any) -> None:
    """Save the python-docx document ``d`` to ``fh`` with its long tables' rows written in: the package
    saved to memory, then copied entry by entry, ``word/document.xml`` written as a stream."""
    import io
    import zipfile

    buf = io.BytesIO()
    d.save(buf)
    with zipfile.ZipFile(buf) as zin, zipfile.ZipFile(fh, "w", zipfile.ZIP_DEFLATED) as zout:
        for info in zin.infolist():
            if info.filename != "word/document.xml":
                zout.writestr(info, zin.read(info))
                continue
            xml = zin.read(info).decode("utf-8")
            with zout.open(info, "w") as out:
                for table in tables:
                    xml = table.write(xml, out)
                out.write(xml.encode("utf-8"))


def write_docx(doc: Document, path: Path, *, copy_cells: bool = True, stream_rows: int | None = STREAM_ROWS) -> None:
    """The document in the official format (GB/T 9704-2012): A4, the red issuer mark and red line, the
    文号, the title, the body, wide tables on landscape pages, the signature, the 版记, page numbers.

    ``copy_cells``: a table's first cell of each column and kind (header, body, bold total) is made
    through python-docx, the others are copies of it given their own text — the same XML at a
    fraction of the cost (python-docx builds each cell's run and paragraph properties element by
    element); False makes every cell through python-docx (tests/test_documents.py compares them).
    ``stream_rows``: a table of more body rows is written as XML text (``_LongTable``); None never."""
    import io
    import os
    from copy import deepcopy

    from docx import Document as Docx
    from docx.enum.section import WD_SECTION
    from docx.enum.style import WD_STYLE_TYPE
    from docx.enum.table import WD_TABLE_ALIGNMENT
    from docx.enum.text import WD_ALIGN_PARAGRAPH, WD_LINE_SPACING, WD_TAB_ALIGNMENT
    from docx.oxml import OxmlElement
    from docx.oxml.ns import qn
    from docx.shared import Mm, Pt

    zh = is_zh(doc.lang)
    d = Docx()
    page_setup(d.sections[0], False)
    d.settings.odd_and_even_pages_header_footer = True
    page_number(d.sections[0].footer, odd=True)
    page_number(d.sections[0].even_page_footer, odd=False)
    normal = d.styles["Normal"]
    normal.font.name = LATIN_FONT
    normal.font.size = Pt(BODY_PT)
    normal.element.get_or_add_rPr().get_or_add_rFonts().set(qn("w:eastAsia"), BODY_FONT)
    normal.paragraph_format.line_spacing_rule = WD_LINE_SPACING.EXACTLY
    normal.paragraph_format.line_spacing = Pt(LINE_PT)
    normal.paragraph_format.space_before = normal.paragraph_format.space_after = Pt(0)

    def para(text: str = "", *, font: str = BODY_FONT, size: float = BODY_PT, align=None, indent: bool = False,
             bold: bool | None = None, color: str | None = None):
        p = d.add_paragraph()
        if align is not None:
            p.alignment = align
        if indent:
            p.paragraph_format.first_line_indent = Pt(2 * size)
        if text:
            run_font(p.add_run(visible(text)), font, size, bold=bold, color=color)
        return p

    # 版头: the issuer mark, the 文号 and the red line
    if doc.mark:
        size = mark_size(doc.mark)
        p = para(doc.mark, font=TITLE_FONT, size=size, align=WD_ALIGN_PARAGRAPH.CENTER, color=RED)
        p.paragraph_format.space_before = Mm(MARK_TOP)
        p.paragraph_format.line_spacing = Pt(size * 1.3)
    p = para(doc.number or "", align=WD_ALIGN_PARAGRAPH.CENTER)
    p.paragraph_format.space_before = Pt(2 * LINE_PT)
    border(p, bottom=(12, RED, 11))  # 1.5 pt red, about 4 mm under the 文号
    # the title
    p = para(doc.title, font=TITLE_FONT, size=TITLE_PT, align=WD_ALIGN_PARAGRAPH.CENTER)
    p.paragraph_format.space_before = Pt(2 * LINE_PT)
    p.paragraph_format.line_spacing = Pt(TITLE_PT * 1.5)
    if doc.subtitle:
        para(doc.subtitle, align=WD_ALIGN_PARAGRAPH.CENTER)
    para()
    for text in doc.summary:
        para(text, indent=True)

    def table_text(pt: float):
        """The paragraph style of table cells at ``pt`` points: single spacing (so an empty cell's
        paragraph mark does not take the body's 3号 line)."""
        name = f"Table Text {pt:g}"
        if name not in [st.name for st in d.styles]:
            st = d.styles.add_style(name, WD_STYLE_TYPE.PARAGRAPH)
            st.base_style = normal
            st.font.size = Pt(pt)
            st.paragraph_format.line_spacing_rule = WD_LINE_SPACING.SINGLE
            st.paragraph_format.first_line_indent = Pt(0)
        return d.styles[name]

    landscape = False
    token = os.urandom(8).hex()  # the long tables' markers: no text of the document holds them
    streamed: list[_LongTable] = []

    def orient(wide: bool) -> None:
        nonlocal landscape
        if wide != landscape:
            page_setup(d.add_section(WD_SECTION.NEW_PAGE), wide)
            landscape = wide

    n = 0
    for s in doc.sections:
        orient(_wide(s))
        n += 1
        h = para(heading_number(n, doc.lang) + (s.title or t(f"sec_{s.key}", doc.lang)), font=HEADING_FONT,
                 indent=True)
        h.paragraph_format.keep_with_next = True
        if not s.rows:
            para(NONE[zh], indent=True)
            continue
        headers, rows = _table_texts(s, doc.lang)
        widths, pt = column_widths(headers, rows, WIDE_TEXT_WIDTH if _wide(s) else TEXT_WIDTH, _whole(s))
        cell_style = table_text(pt)
        bolds = [st == "total" for st in s.styles]
        long = None
        if stream_rows is not None and len(rows) > stream_rows:
            long = _LongTable(f"{token}-{len(streamed)}", rows, bolds)
            streamed.append(long)
            rows, bolds = long.templates()
        table = d.add_table(rows=1 + len(rows), cols=len(headers))
        table.style = "Table Grid"
        table.alignment = WD_TABLE_ALIGNMENT.CENTER
        table.autofit = False  # a fixed layout: the widths below hold
        for col, w in zip(table.columns, widths, strict=True):
            col.width = Mm(w)
        numeric = [_numeric(k) for _, k in s.columns]
        made: dict[tuple[int, bool, bool], Any] = {}  # (column, header, bold) -> a cell without its text
        # ``table.rows[i]`` builds a list of every row to pick one (a long table's time grew with its
        # square); the rows are walked once instead.
        for r_i, (row, values) in enumerate(zip(table.rows, [headers, *rows], strict=True)):
            if r_i == 0:  # the header row repeats on every page
                header = OxmlElement("w:tblHeader")
                row._tr.get_or_add_trPr().append(header)
            bold = r_i == 0 or bolds[r_i - 1]
            cells = row.cells  # python-docx walks the row's grid on every call
            for c_i, value in enumerate(values):
                cell = cells[c_i]
                key = (c_i, r_i == 0, bold)
                if copy_cells and key in made:
                    tc = deepcopy(made[key])
                    row._tr.replace(cell._tc, tc)
                    if value:  # what ``add_run(value)`` does: the text after the run's properties
                        tc.p_lst[0].r_lst[0].text = value
                    continue
                cell.width = Mm(widths[c_i])
                p = cell.paragraphs[0]
                # ``p.style = cell_style`` looks for the default paragraph style among all the template's
                # styles on every call: two thirds of a long document's time.  The id is the same.
                p._p.style = cell_style.style_id
                run = p.add_run()
                run_font(run, HEADING_FONT if r_i == 0 else BODY_FONT, pt, bold=bold and r_i > 0)
                if r_i == 0:
                    p.alignment = WD_ALIGN_PARAGRAPH.CENTER
                elif numeric[c_i]:
                    p.alignment = WD_ALIGN_PARAGRAPH.RIGHT
                made[key] = deepcopy(cell._tc)
                if value:
                    run.text = value
        if long is not None:
            long.bracket(table._tbl)
    orient(False)
    for heading, lines in doc.lists:
        n += 1
        h = para(heading_number(n, doc.lang) + heading, font=HEADING_FONT, indent=True)
        h.paragraph_format.keep_with_next = True
        for line in lines:
            para(line, indent=True)
    for caption, image in doc.charts:
        p = d.add_paragraph()
        p.alignment = WD_ALIGN_PARAGRAPH.CENTER
        p.paragraph_format.line_spacing_rule = WD_LINE_SPACING.SINGLE  # an exact spacing would clip it
        p.paragraph_format.keep_with_next = True
        p.add_run().add_picture(io.BytesIO(image), width=Mm(TEXT_WIDTH))
        para(caption, size=PAGE_PT, align=WD_ALIGN_PARAGRAPH.CENTER)
    # the signature and date, right-aligned four characters in from the right
    para()
    for text in (doc.issuer, doc.dated):
        p = para(text, align=WD_ALIGN_PARAGRAPH.RIGHT)
        p.paragraph_format.right_indent = Pt(4 * BODY_PT)
        p.paragraph_format.keep_with_next = True
    # 版记: 抄送, then 印发机关 and 印发日期, between lines (the first and last thicker)
    para()
    banji: list[str | None] = []
    if doc.cc:
        banji.append(("抄送：" + "，".join(doc.cc) + "。") if zh else ("Copy to: " + ", ".join(doc.cc) + "."))
    for i, entry in enumerate([*banji, None]):
        p = d.add_paragraph()
        p.paragraph_format.line_spacing_rule = WD_LINE_SPACING.EXACTLY
        p.paragraph_format.line_spacing = Pt(LINE_PT)
        p.paragraph_format.left_indent = p.paragraph_format.right_indent = Pt(PAGE_PT)
        p.paragraph_format.keep_with_next = entry is not None
        edges = {"bottom": (8 if entry is None else 6, "000000", 2)}
        if i == 0:
            edges["top"] = (8, "000000", 2)
        border(p, **edges)
        if entry is not None:
            run_font(p.add_run(visible(entry)), BODY_FONT, PAGE_PT)
            continue
        p.paragraph_format.tab_stops.add_tab_stop(Mm(TEXT_WIDTH) - Pt(2 * PAGE_PT), WD_TAB_ALIGNMENT.RIGHT)
        printed = f"{doc.dated}印发" if zh else f"Printed {doc.dated}"
        run_font(p.add_run(visible(doc.printer or doc.issuer) + "\t" + printed), BODY_FONT, PAGE_PT)
    properties(d, visible(doc.title), visible(doc.issuer))
    try:
        if streamed:
            with outfiles.created(path) as fh:
                _save_streamed(d, streamed, fh)
        else:
            outfiles.save(path, d)
    except OSError as exc:
        raise BadInput("output_cannot_write", path=path, strerror=os_reason(exc)) from None


def _css() -> str:
    f = CSS_FONTS
    pg = PAGE
    return f"""@page {{ size: A4 portrait; margin: {pg['top']}mm {pg['right']}mm {pg['bottom']}mm {pg['left']}mm; }}
@page :right {{ @bottom-right {{ content: "— " counter(page) " —"; font-family: {f['page']}; font-size: {PAGE_PT}pt;
  margin-right: 1em; vertical-align: top; padding-top: 7mm; }} }}
@page :left {{ @bottom-left {{ content: "— " counter(page) " —"; font-family: {f['page']}; font-size: {PAGE_PT}pt;
  margin-left: 1em; vertical-align: top; padding-top: 7mm; }} }}
@page wide {{ size: A4 landscape; }}
body {{ font-family: {f['body']}; font-size: {BODY_PT}pt; line-height: {LINE_PT}pt; color: #000; margin: 0; }}
p {{ margin: 0; }}
.mark {{ font-family: {f['title']}; color: #{RED}; text-align: center; font-weight: bold; font-synthesis: none;
  line-height: 1.3; margin: {MARK_TOP}mm 0 0; }}
.number {{ text-align: center; margin-top: {2 * LINE_PT}pt; padding-bottom: 4mm; border-bottom: 0.5mm solid #{RED}; }}
h1 {{ font-family: {f['title']}; font-size: {TITLE_PT}pt; font-weight: bold; font-synthesis: none; text-align: center;
  line-height: 1.5; margin: {2 * LINE_PT}pt 0 0; }}
.subtitle {{ text-align: center; margin-bottom: {LINE_PT}pt; }}
.body {{ text-indent: 2em; }}
h2 {{ font-family: {f['heading']}; font-size: {BODY_PT}pt; font-weight: normal; text-indent: 2em; margin: 0;
  page-break-after: avoid; }}
.wide {{ page: wide; }}
table {{ border-collapse: collapse; table-layout: fixed; margin: 0 auto {LINE_PT / 2}pt; line-height: 1.3; }}
th, td {{ border: 1px solid #000; padding: 1px 1.9mm; overflow-wrap: anywhere; }}
th {{ font-family: {f['heading']}; font-weight: normal; }}
td.n {{ text-align: right; white-space: nowrap; }}
thead {{ display: table-header-group; }}
tr.total td {{ font-weight: bold; }}
tr {{ page-break-inside: avoid; }}
figure {{ margin: 8pt 0; text-align: center; page-break-inside: avoid; }}
figure img {{ width: 100%; }}
figcaption {{ font-size: {PAGE_PT}pt; }}
.sign {{ text-align: right; margin-right: 4em; page-break-inside: avoid; }}
.sign p:first-child {{ margin-top: {LINE_PT}pt; }}
.banji {{ margin-top: {2 * LINE_PT}pt; border-top: 0.35mm solid #000; border-bottom: 0.35mm solid #000;
  font-size: {PAGE_PT}pt; page-break-inside: avoid; }}
.banji p {{ padding: 0 1em; }}
.banji .cc {{ border-bottom: 0.25mm solid #000; }}
.banji .printed {{ display: flex; justify-content: space-between; }}
@media screen {{ body {{ max-width: {TEXT_WIDTH}mm; margin: 0 auto; }}
  .wide {{ width: {WIDE_TEXT_WIDTH}mm; margin-left: calc(({TEXT_WIDTH}mm - {WIDE_TEXT_WIDTH}mm) / 2); }} }}
"""


def html_text(doc: Document) -> str:
    """The document as one self-contained HTML file in the same format, printed on A4 (wide tables on
    landscape pages, ``page: wide``)."""
    import base64
    from html import escape

    def e(text: object) -> str:
        return escape(visible(text), quote=True)

    zh = is_zh(doc.lang)
    lang = "zh-CN" if zh else "en"
    parts = [f'<!DOCTYPE html>\n<html lang="{lang}">\n<head>\n<meta charset="utf-8">\n<title>{e(doc.title)}</title>',
             f"<style>\n{_css()}</style>\n</head>\n<body>"]
    if doc.mark:
        parts.append(f'<p class="mark" style="font-size: {mark_size(doc.mark):g}pt">{e(doc.mark)}</p>')
    parts.append(f'<p class="number">{e(doc.number or "")}</p>')
    parts.append(f"<h1>{e(doc.title)}</h1>")
    if doc.subtitle:
        parts.append(f'<p class="subtitle">{e(doc.subtitle)}</p>')
    parts += [f'<p class="body">{e(text)}</p>' for text in doc.summary]
    n = 0
    for s in doc.sections:
        n += 1
        headers, rows = _table_texts(s, doc.lang)
        wide = _wide(s)
        widths, pt = column_widths(headers, rows, WIDE_TEXT_WIDTH if wide else TEXT_WIDTH, _whole(s))
        section = '<section class="wide">' if wide else "<section>"
        parts.append(f"{section}"
                     f"<h2>{e(heading_number(n, doc.lang))}{e(s.title or t(f'sec_{s.key}', doc.lang))}</h2>")
        if not s.rows:
            parts.append(f'<p class="body">{e(NONE[zh])}</p></section>')
            continue
        cols = "".join(f'<col style="width: {w:.1f}mm">' for w in widths)
        parts.append(f'<table style="width: {sum(widths):.1f}mm; font-size: {pt:g}pt"><colgroup>{cols}</colgroup>')
        parts.append("<thead><tr>" + "".join(f"<th>{e(h)}</th>" for h in headers) + "</tr></thead><tbody>")
        for row, style in zip(rows, s.styles, strict=True):
            cls = ' class="total"' if style == "total" else ""
            cells = "".join(f'<td class="n">{e(v)}</td>' if _numeric(k) else f"<td>{e(v)}</td>"
                            for v, (_, k) in zip(row, s.columns, strict=True))
            parts.append(f"<tr{cls}>{cells}</tr>")
        parts.append("</tbody></table></section>")
    for heading, lines in doc.lists:
        n += 1
        parts.append(f"<h2>{e(heading_number(n, doc.lang))}{e(heading)}</h2>")
        parts += [f'<p class="body">{e(line)}</p>' for line in lines]
    for caption, image in doc.charts:
        data = base64.b64encode(image).decode("ascii")
        parts.append(f'<figure><img src="data:image/png;base64,{data}" alt="{e(caption)}">'
                     f"<figcaption>{e(caption)}</figcaption></figure>")
    parts.append(f'<div class="sign"><p>{e(doc.issuer)}</p><p>{e(doc.dated)}</p></div>')
    banji = ['<div class="banji">']
    if doc.cc:
        cc = ("抄送：" + "，".join(doc.cc) + "。") if zh else ("Copy to: " + ", ".join(doc.cc) + ".")
        banji.append(f'<p class="cc">{e(cc)}</p>')
    printed = f"{doc.dated}印发" if zh else f"Printed {doc.dated}"
    banji.append(f'<p class="printed"><span>{e(doc.printer or doc.issuer)}</span><span>{e(printed)}</span></p></div>')
    parts.append("".join(banji))
    parts.append("</body>\n</html>\n")
    return "\n".join(parts)
