"""Documents the office can send: `report <kind> --format docx|html --output FILE`.

A bulletin document (全县招商引资工作通报) holds: the title, the issue number when the period is closed
(〔2026〕第5期, see `workflow.numbering`), the date, a summary paragraph written from the figures in the
county's style, the report's tables, the unit ranking, the red and yellow lists, and two charts
(completion against target by unit; projects by stage) as PNG images.  DOCX through python-docx,
charts through matplotlib, both imported only here and only when such a format is asked for; the HTML
is one self-contained file (charts inlined) laid out for A4.  `--lang en` gives it in English.

User text (project and unit names, reasons) is written as text: escaped in HTML, a run's text in DOCX;
control, escape and bidi characters are shown visibly (`\\x1b`, `<U+202E>`) and never emitted.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date
from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path

from cli.sections import Report, Section, text_cell
from workflow.amounts import MILLION, WAN, YI, format_units
from workflow.errors import BadInput
from workflow.i18n import is_zh, t
from workflow.reports import DOCUMENT_LIST_LIMIT

TITLE = {"zh": "全县招商引资工作通报", "en": "County Investment Promotion Bulletin"}
ISSUER = {"zh": "县招商引资协调委员会办公室", "en": "Office of the County Investment Promotion Committee"}
LIST_LIMIT = DOCUMENT_LIST_LIMIT  # projects per red/yellow list in a document
ROW_LIMIT = 200  # rows per table in a document (the rest: --format xlsx/csv)
_CONTROL = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069\ufeff]")


def visible(text: object) -> str:
    """Text with control, escape and bidi characters shown visibly instead of emitted."""
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
    number: str | None
    dated: str
    issuer: str
    summary: list[str]
    sections: list[Section]
    lists: list[tuple[str, list[str]]] = field(default_factory=list)
    charts: list[tuple[str, bytes]] = field(default_factory=list)


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


def pct(rate: float | None) -> str:
    return "-" if rate is None else _num(Decimal(str(round(rate * 100, 2))))


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


def summary(b: dict, lang: str) -> list[str]:
    """The summary paragraphs, written from the bulletin's figures."""
    start = date.fromisoformat(b["start"])
    end = min(date.fromisoformat(b["end"]), date.fromisoformat(b["as_of"]))
    when = period_words(start, end, lang)
    tot = b["totals"]
    signed, agreed = tot["signed"], b["signed_investment"]["amount_minor"]
    cap, usd = _money(tot["capital_in_place"], "CNY"), _money(tot["capital_in_place"], "USD")
    inv = _money(tot["investment_completed"], "CNY")
    as_of = date_words(date.fromisoformat(b["as_of"]), lang)
    zh = is_zh(lang)
    if zh:
        first = (f"{when}，全县新签约项目{signed}个，协议总投资{yi(agreed)}亿元；到位资金{yi(cap)}亿元，"
                 f"其中利用外资{wan(usd)}万美元；完成投资{yi(inv)}亿元。截至{as_of}，全县共有重点项目"
                 f"{tot['key_projects']}个，其中超亿元项目{tot['over_100m']}个；红灯项目{tot['red']}个、"
                 f"黄灯项目{tot['yellow']}个。")
    else:
        first = (f"In {when}, the county signed {signed} new projects with a total agreed investment of "
                 f"CNY {million(agreed)} million; capital in place came to CNY {million(cap)} million, of which "
                 f"foreign capital USD {million(usd)} million; investment completed came to CNY {million(inv)} "
                 f"million. On {as_of} the county had {tot['key_projects']} key projects, {tot['over_100m']} of "
                 f"them over CNY 100 million; {tot['red']} projects were on red and {tot['yellow']} on yellow.")
    out = [first]
    s = b.get("series")
    if s and len(s["periods"]) >= 2 and s["per"] == "year":  # average annual growth
        avg = s["average_growth"]
        per_year = s["per"] == "year"
        parts = []
        for metric, zh_name, en_name in (("signed", "签约项目", "projects signed"),
                                         ("capital", "到位资金", "capital in place"),
                                         ("foreign", "利用外资", "foreign capital"),
                                         ("investment", "完成投资", "investment completed")):
            if avg.get(metric) is not None:
                parts.append(f"{zh_name}{'年' if per_year else '期'}均增长{pct(avg[metric])}%" if zh else
                             f"{en_name} grew {pct(avg[metric])}% a {'year' if per_year else 'period'} on average")
        if parts:
            out.append(("其中，" + "，".join(parts) + "。") if zh else ("Of these, " + "; ".join(parts) + "."))
    p = b.get("progress")
    if p and (p["totals"]["year_plan"]["amount_minor"] or p["totals"]["planned_starts"]):
        pt = p["totals"]
        plan, done = pt["year_plan"]["amount_minor"], pt["completed"]["amount_minor"]
        gap = pt["points"]
        if zh:
            text = f"{p['year']}年度计划投资{yi(plan)}亿元，已完成{yi(done)}亿元，占年度计划的{pct(pt['plan_rate'])}%"
            if gap is not None:
                text += f"，{'超' if gap >= 0 else '落后'}序时进度{_num(Decimal(str(abs(gap))))}个百分点"
            text += (f"；计划开工项目{pt['planned_starts']}个，已开工{pt['started']}个，"
                     f"开工率{pct(pt['start_rate'])}%。")
        else:
            text = (f"Against the {p['year']} investment plan of CNY {million(plan)} million, CNY {million(done)} "
                    f"million was completed, {pct(pt['plan_rate'])}% of the plan")
            if gap is not None:
                text += (f", {_num(Decimal(str(abs(gap))))} points {'ahead of' if gap >= 0 else 'behind'} time "
                         f"progress ({p['time_progress']:.1f}%)")
            text += (f"; of {pt['planned_starts']} planned groundbreakings, {pt['started']} took place "
                     f"(start rate {pct(pt['start_rate'])}%).")
        out.append(text)
    return out


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


def build(kind: str, report: Report, bulletin: dict, evaluation: dict, lang: str, *, ranking: Section | None = None,
          number: int | None = None, today: date | None = None, charts: bool = True) -> Document:
    """The document of report ``kind`` (its tables in ``report``), with the summary from ``bulletin``
    (computed with ``problems=True`` for the red and yellow lists), the unit ranking (``ranking``, the
    evaluation's first table, added unless the report is the evaluation) and the chart of completion
    against target from ``evaluation``."""
    from workflow import clock
    from workflow.numbering import issue_text

    zh = is_zh(lang)
    key = "zh" if zh else "en"
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
    subtitle = None if kind == "bulletin" else f"{t('report_' + kind, lang)} {bulletin['period']}"
    if kind == "bulletin":
        subtitle = f"{t('period', lang)} {bulletin['period']}" if not zh else f"（{bulletin['period']}）"
    doc = Document(lang=lang, title=TITLE[key], subtitle=subtitle, number=issue_text(year, number, lang),
                   dated=date_words(today or clock.today(), lang), issuer=ISSUER[key], summary=summary(bulletin, lang),
                   sections=sections, lists=lists)
    if charts:
        doc.charts = make_charts(bulletin, evaluation, lang)
    return doc


# --- charts ------------------------------------------------------------------------------------------

_CJK_FONTS = ("Noto Sans CJK SC", "Noto Sans SC", "Source Han Sans SC", "WenQuanYi Zen Hei", "WenQuanYi Micro Hei",
              "SimHei", "Microsoft YaHei", "PingFang SC", "AR PL UMing CN")


def make_charts(bulletin: dict, evaluation: dict, lang: str) -> list[tuple[str, bytes]]:
    """(caption, PNG) of: completion against target by unit; projects by stage.  Labels inside the
    images are unit codes and stage names; Chinese ones only when a CJK font is installed (else the
    English ones: no empty boxes), while captions are in the document's language."""
    import io

    import matplotlib

    matplotlib.use("Agg")
    from matplotlib import font_manager
    from matplotlib import pyplot as plt

    installed = {f.name for f in font_manager.fontManager.ttflist}
    cjk = next((f for f in _CJK_FONTS if f in installed), None)
    chart_lang = lang if cjk or not is_zh(lang) else "en"
    if cjk:
        plt.rcParams["font.sans-serif"] = [cjk, "DejaVu Sans"]
    zh = is_zh(lang)

    def png(fig) -> bytes:
        buf = io.BytesIO()
        fig.tight_layout()
        fig.savefig(buf, format="png", dpi=110)
        plt.close(fig)
        return buf.getvalue()

    out: list[tuple[str, bytes]] = []
    from workflow.reports import METRICS

    ranked = [u for u in evaluation["units"] if u["targets"]]
    fig, ax = plt.subplots(figsize=(7.0, 3.4))
    if ranked:
        width = 0.8 / len(METRICS)
        for i, metric in enumerate(METRICS):
            rates = [next((x["rate"] * 100 for x in u["targets"] if x["metric"] == metric), 0) for u in ranked]
            ax.bar([j + i * width for j in range(len(ranked))], rates, width,
                   label=t(f"metric_{metric}", chart_lang))
        ax.axhline(100, color="#c00000", linewidth=1)
        ax.set_xticks([j + width * (len(METRICS) - 1) / 2 for j in range(len(ranked))])
        ax.set_xticklabels([visible(u["unit"]) for u in ranked], fontsize=8)
        ax.set_ylabel("%")
        ax.legend(fontsize=7, ncol=2)
        caption = "图1 各单位目标完成情况（完成率，%）" if zh else "Figure 1. Completion against target by unit (%)"
    else:
        units = [u for u in bulletin["units"]]
        ax.bar([visible(u["unit"] or "-") for u in units],
               [_money(u["capital_in_place"], "CNY") / 10**6 for u in units], color="#4472c4")
        ax.set_ylabel("10k CNY" if chart_lang == "en" else "万元")
        ax.tick_params(axis="x", labelsize=8)
        caption = ("图1 各单位到位资金（万元；本年度未设目标）" if zh else
                   "Figure 1. Capital in place by unit (10k CNY; no targets set for the year)")
    out.append((caption, png(fig)))

    from cli.render import stage_label
    from workflow.reports import ordered_stages

    by_stage = bulletin["totals"]["projects_by_stage"]
    stages = ordered_stages(by_stage)
    fig, ax = plt.subplots(figsize=(7.0, 3.0))
    labels = [stage_label(s, chart_lang) if chart_lang != "en" else s for s in stages]
    ax.bar(labels, [by_stage[s] for s in stages], color="#70ad47")
    ax.tick_params(axis="x", labelsize=7, rotation=30)
    ax.set_ylabel(t("col_projects", chart_lang))
    out.append(("图2 项目阶段分布（个）" if zh else "Figure 2. Projects by stage", png(fig)))
    return out


# --- writers -----------------------------------------------------------------------------------------


def _cells(sec: Section) -> list[list[str]]:
    return [[visible(text_cell(v, k, st)) for v, (_, k) in zip(r, sec.columns, strict=True)]
            for r, st in zip(sec.rows, sec.styles, strict=True)]


def _numeric(kind: str) -> bool:
    return kind in ("int", "wan", "rate", "score")


def write_docx(doc: Document, path: Path) -> None:
    import io

    from docx import Document as Docx
    from docx.enum.text import WD_ALIGN_PARAGRAPH
    from docx.oxml.ns import qn
    from docx.shared import Cm, Mm, Pt, RGBColor

    d = Docx()
    sec = d.sections[0]
    sec.page_width, sec.page_height = Mm(210), Mm(297)
    sec.left_margin = sec.right_margin = Mm(25)
    sec.top_margin = sec.bottom_margin = Mm(25)
    normal = d.styles["Normal"]
    normal.font.size = Pt(11)
    rpr = normal.element.get_or_add_rPr()
    rpr.get_or_add_rFonts().set(qn("w:eastAsia"), "宋体")

    title = d.add_paragraph()
    title.alignment = WD_ALIGN_PARAGRAPH.CENTER
    run = title.add_run(doc.title)
    run.bold = True
    run.font.size = Pt(22)
    run.font.color.rgb = RGBColor(0xC0, 0x00, 0x00)
    if doc.number:
        p = d.add_paragraph(doc.number)
        p.alignment = WD_ALIGN_PARAGRAPH.CENTER
    if doc.subtitle:
        p = d.add_paragraph(visible(doc.subtitle))
        p.alignment = WD_ALIGN_PARAGRAPH.CENTER
    p = d.add_paragraph(f"{doc.issuer}　　{doc.dated}")
    p.alignment = WD_ALIGN_PARAGRAPH.CENTER
    for text in doc.summary:
        p = d.add_paragraph(visible(text))
        p.paragraph_format.first_line_indent = Pt(22)
    for s in doc.sections:
        d.add_paragraph().add_run(visible(s.title or t(f"sec_{s.key}", doc.lang))).bold = True
        headers = [t(c, doc.lang) for c, _ in s.columns]
        rows = _cells(s)
        table = d.add_table(rows=1 + len(rows), cols=len(headers))
        table.style = "Table Grid"
        numeric = [_numeric(k) for _, k in s.columns]
        for r_i, values in enumerate([headers, *rows]):
            cells = table.rows[r_i].cells
            bold = r_i == 0 or (r_i > 0 and s.styles[r_i - 1] == "total")
            for c_i, value in enumerate(values):
                para = cells[c_i].paragraphs[0]
                run = para.add_run(value)
                run.font.size = Pt(8)
                run.bold = bold
                if numeric[c_i] and r_i:
                    para.alignment = WD_ALIGN_PARAGRAPH.RIGHT
    for heading, lines in doc.lists:
        d.add_paragraph().add_run(heading).bold = True
        for line in lines:
            d.add_paragraph(visible(line))
    for caption, image in doc.charts:
        d.add_picture(io.BytesIO(image), width=Cm(15.5))
        p = d.add_paragraph(caption)
        p.alignment = WD_ALIGN_PARAGRAPH.CENTER
    try:
        d.save(str(path))
    except OSError as exc:
        raise BadInput("output_cannot_write", path=path, strerror=exc.strerror) from None


_CSS = """@page { size: A4; margin: 20mm 18mm; }
body { font-family: "SimSun", "Songti SC", "Noto Serif CJK SC", serif; font-size: 11pt; color: #000;
       max-width: 174mm; margin: 0 auto; }
h1 { color: #c00000; text-align: center; font-size: 22pt; margin: 0 0 4pt; letter-spacing: 2pt; }
p.number, p.subtitle, p.dated { text-align: center; margin: 2pt 0; }
p.dated { border-bottom: 2px solid #c00000; padding-bottom: 6pt; margin-bottom: 10pt; }
p.summary { text-indent: 2em; line-height: 1.6; }
h2 { font-size: 12pt; margin: 12pt 0 4pt; }
table { border-collapse: collapse; width: 100%; font-size: 8pt; margin-bottom: 6pt; }
th, td { border: 1px solid #000; padding: 2px 4px; }
th { background: #eee; }
td.n { text-align: right; white-space: nowrap; }
tr.total td { font-weight: bold; }
tr { page-break-inside: avoid; }
figure { margin: 8pt 0; text-align: center; page-break-inside: avoid; }
figure img { max-width: 100%; }
@media print { h2 { page-break-after: avoid; } }
"""


def html_text(doc: Document) -> str:
    import base64
    from html import escape

    def e(text: object) -> str:
        return escape(visible(text), quote=True)

    lang = "zh-CN" if is_zh(doc.lang) else "en"
    parts = [f'<!DOCTYPE html>\n<html lang="{lang}">\n<head>\n<meta charset="utf-8">\n<title>{e(doc.title)}</title>',
             f"<style>\n{_CSS}</style>\n</head>\n<body>", f"<h1>{e(doc.title)}</h1>"]
    if doc.number:
        parts.append(f'<p class="number">{e(doc.number)}</p>')
    if doc.subtitle:
        parts.append(f'<p class="subtitle">{e(doc.subtitle)}</p>')
    parts.append(f'<p class="dated">{e(doc.issuer)}　　{e(doc.dated)}</p>')
    parts += [f'<p class="summary">{e(text)}</p>' for text in doc.summary]
    for s in doc.sections:
        parts.append(f"<h2>{e(s.title or t(f'sec_{s.key}', doc.lang))}</h2>\n<table>")
        parts.append("<tr>" + "".join(f"<th>{e(t(c, doc.lang))}</th>" for c, _ in s.columns) + "</tr>")
        for row, style in zip(_cells(s), s.styles, strict=True):
            cls = ' class="total"' if style == "total" else ""
            cells = "".join(f'<td class="n">{e(v)}</td>' if _numeric(k) else f"<td>{e(v)}</td>"
                            for v, (_, k) in zip(row, s.columns, strict=True))
            parts.append(f"<tr{cls}>{cells}</tr>")
        parts.append("</table>")
    for heading, lines in doc.lists:
        parts.append(f"<h2>{e(heading)}</h2>")
        parts += [f"<p>{e(line)}</p>" for line in lines]
    for caption, image in doc.charts:
        data = base64.b64encode(image).decode("ascii")
        parts.append(f'<figure><img src="data:image/png;base64,{data}" alt="{e(caption)}">'
                     f"<figcaption>{e(caption)}</figcaption></figure>")
    parts.append("</body>\n</html>\n")
    return "\n".join(parts)
