"""Supervision letters (督办函) as files: HTML that prints on A4, or a Word document (python-docx), in
the official format (``workflow.docformat``) under the office's issuer (``workflow.office``).

A letter's fields come from ``commands.problems.issue_letters``; every text a user typed is escaped
(HTML) or written as plain runs (DOCX), so markup in a problem's text stays text.
"""

from __future__ import annotations

import html
from datetime import date, timedelta
from pathlib import Path
from typing import Any

from workflow import docformat as F
from workflow import files, office
from workflow.errors import BadInput, os_reason
from workflow.i18n import t

FORMATS = ("html", "docx")
ISSUER = office.ISSUER  # the default issuer; `pipeline documents set issuer=…` names the office's own
FEEDBACK = "请于办理时限前将办理进展和结果书面反馈{issuer}；逾期未办结的，按督办等级逐级提级督办。"
OVERDUE = "已逾期{days}天，请于{reply}前将办理进展和结果书面反馈{issuer}。"
REPLY_DAYS = 10  # the ladder's reply_days by default (workflow/settings.py)


def zh_date(d: date) -> str:
    """2026年3月1日."""
    return f"{d.year}年{d.month}月{d.day}日"


def reply_on(letter: dict, reply_days: int = REPLY_DAYS) -> date:
    """The new reply date of an overdue problem's letter: its issue date plus the ladder's ``reply_days``."""
    return letter["issued_on"] + timedelta(days=reply_days)


def feedback(letter: dict, issuer: str = ISSUER, reply_days: int = REPLY_DAYS) -> str:
    """What the letter asks: an overdue problem says how many days it is overdue and gives a new reply date
    (已逾期N天，请于X月X日前反馈); one not yet due asks for a reply by its due date."""
    days = letter["problem"].get("overdue_days") or 0
    if days > 0:
        reply = reply_on(letter, reply_days)
        return OVERDUE.format(days=days, reply=f"{reply.month}月{reply.day}日", issuer=issuer)
    return FEEDBACK.format(issuer=issuer)


def fields(letter: dict, issuer: str = ISSUER, reply_days: int = REPLY_DAYS) -> list[tuple[str, str]]:
    """The letter's fields in order: (label, value)."""
    p = letter["problem"]
    kind = t(f"problem_kind_{p['kind']}", "zh")
    level = letter["level"]
    return [
        ("编号", letter["number"]),
        ("督办事项", f"{p['text']}（{kind}）"),
        ("项目", f"{p['project']} {p['project_name']}"),
        ("承办单位", p["owner_unit_name"] or p["owner_unit"]),
        ("责任人", letter.get("owner_person_name") or "承办单位主要负责人"),
        ("办理时限", zh_date(p["due"])),
        ("反馈要求", feedback(letter, issuer, reply_days)),
        ("督办等级", f"{level}级（{t(f'level_{level}', 'zh')}）"),
        ("督办对象", letter["addressee"]["zh"]),
    ]


def to_person(letter: dict) -> str | None:
    """The name of the person a letter is addressed to, or None when it goes to a unit (levels 2 and 3;
    a lower level without a person responsible)."""
    to = letter["addressee"]
    if to.get("login") is None:
        return "县主要领导" if letter["level"] >= 5 else None
    return to.get("name") or str(to["zh"]).split("（")[0]


def salutation(letter: dict) -> tuple[str, str]:
    """(the line the letter opens with, how it says "you"): a unit "发改局：" / "你单位", a person
    "王县长同志：" / "你"."""
    person = to_person(letter)
    if person is not None:
        return f"{person}同志：", "你"
    p = letter["problem"]
    return f"{p['owner_unit_name'] or p['owner_unit']}：", "你单位"


def group_key(letter: dict) -> tuple:
    """Whom a consolidated letter goes to: the owner unit (levels 2 and 3, whether the unit or its head is
    named), else the person the level names (the person responsible, the lead leader, the top leader)."""
    if to_person(letter) is None:
        return (letter["issued_on"], "unit", letter["problem"]["owner_unit"])
    return (letter["issued_on"], "person", letter["addressee"].get("login"), letter["addressee"]["zh"])


def groups(letters: list[dict]) -> list[list[dict]]:
    """The letters of one addressee on one day, in issue order: one consolidated letter each (per owner
    unit, per leader)."""
    out: dict[tuple, list[dict]] = {}
    for letter in letters:
        out.setdefault(group_key(letter), []).append(letter)
    return list(out.values())


def _opening(group: list[dict]) -> tuple[str, str]:
    head, you = salutation(group[0])
    n = len(group)
    what = "下列事项" if n == 1 else f"下列{n}项事项"
    return head, f"现将{you}承办的{what}交办督办，请抓紧办理并按要求反馈。"


def file_name(letter: dict | list[dict], fmt: str) -> str:
    group = letter if isinstance(letter, list) else [letter]
    first = group[0]
    if len(group) == 1:
        return f"letter-{first['year']}-{first['serial']:04d}-problem-{first['problem']['id']}.{fmt}"
    return f"letter-{first['year']}-{first['serial']:04d}-{len(group)}-problems.{fmt}"


def _group(letter: dict | list[dict]) -> list[dict]:
    return letter if isinstance(letter, list) else [letter]


def to_html(letter: dict | list[dict], issuer: str = ISSUER, reply_days: int = REPLY_DAYS) -> str:
    """The letter (one, or the consolidated letter of one addressee) in the official format
    (``workflow.docformat``): the issuer in red over the red line, the number, the title 督办函, the
    addressee, each problem's fields, the issuer and date."""
    e = html.escape
    group = _group(letter)
    tables = []
    for i, item in enumerate(group, start=1):
        rows = "\n".join(f"<tr><th>{e(label)}</th><td>{e(value)}</td></tr>"
                         for label, value in fields(item, issuer, reply_days))
        numeral = _NUMERALS[i - 1] if i <= len(_NUMERALS) else str(i)
        heading = f'<p class="item">{numeral}、{e(item["problem"]["text"])}</p>' if len(group) > 1 else ""
        tables.append(f"{heading}<table>\n{rows}\n</table>")
    head, opening = _opening(group)
    first = group[0]
    issued = first["issued_on"]
    pg, fonts = F.PAGE, F.CSS_FONTS
    return f"""<!DOCTYPE html>
<html lang="zh-CN">
<head>
<meta charset="utf-8">
<title>督办函 {e(first['number'])}</title>
<style>
@page {{ size: A4; margin: {pg['top']}mm {pg['right']}mm {pg['bottom']}mm {pg['left']}mm; }}
body {{ font-family: {fonts['body']}; font-size: {F.BODY_PT}pt; line-height: {F.LINE_PT}pt; }}
@media screen {{ body {{ max-width: {F.TEXT_WIDTH}mm; margin: 0 auto; }} }}
p {{ margin: 0; }}
.mark {{ font-family: {fonts['title']}; color: #{F.RED}; text-align: center; font-weight: bold; font-synthesis: none;
  line-height: 1.3; padding-bottom: 4mm; border-bottom: 0.5mm solid #{F.RED}; }}
h1 {{ text-align: center; font-family: {fonts['title']}; font-size: {F.TITLE_PT}pt; font-weight: bold;
  font-synthesis: none; margin: {F.LINE_PT}pt 0 0; }}
.number {{ text-align: center; margin-bottom: {F.LINE_PT}pt; }}
.body, .item {{ text-indent: 2em; }}
.item {{ font-family: {fonts['heading']}; }}
table {{ width: 100%; border-collapse: collapse; page-break-inside: avoid; margin: 6pt 0; font-size: {F.PAGE_PT}pt;
  line-height: 1.5; }}
th, td {{ border: 1px solid #000; padding: 1mm 2mm; vertical-align: top; }}
th {{ width: 28mm; white-space: nowrap; text-align: left; font-family: {fonts['heading']}; font-weight: normal; }}
.sign {{ text-align: right; margin: {F.LINE_PT}pt 4em 0 0; }}
</style>
</head>
<body>
<p class="mark" style="font-size: {F.mark_size(issuer):g}pt">{e(issuer)}</p>
<h1>督办函</h1>
<p class="number">{e(first['number'])}</p>
<p>{e(head)}</p>
<p class="body">{e(opening)}</p>
{"".join(tables)}
<p class="sign">{e(issuer)}<br>{zh_date(issued)}</p>
</body>
</html>
"""


_NUMERALS = "一二三四五六七八九十"


def write_docx(letter: dict | list[dict], path: Path, issuer: str = ISSUER, reply_days: int = REPLY_DAYS) -> None:
    """The letter (one, or one addressee's consolidated letter) as a Word document in the official format
    (python-docx is imported here only)."""
    import docx
    from docx.enum.text import WD_ALIGN_PARAGRAPH, WD_LINE_SPACING
    from docx.oxml.ns import qn
    from docx.shared import Mm, Pt

    group = _group(letter)
    first = group[0]
    document = docx.Document()
    F.page_setup(document.sections[0], False)
    document.settings.odd_and_even_pages_header_footer = True
    F.page_number(document.sections[0].footer, odd=True)
    F.page_number(document.sections[0].even_page_footer, odd=False)
    normal = document.styles["Normal"]
    normal.font.name = F.LATIN_FONT
    normal.font.size = Pt(F.BODY_PT)
    normal.element.get_or_add_rPr().get_or_add_rFonts().set(qn("w:eastAsia"), F.BODY_FONT)
    normal.paragraph_format.line_spacing_rule = WD_LINE_SPACING.EXACTLY
    normal.paragraph_format.line_spacing = Pt(F.LINE_PT)

    def para(text: str, font: str = F.BODY_FONT, size: float = F.BODY_PT, align=None, color: str | None = None):
        p = document.add_paragraph()
        if align is not None:
            p.alignment = align
        F.run_font(p.add_run(text), font, size, color=color)
        return p

    size = F.mark_size(issuer)
    mark = para(issuer, F.TITLE_FONT, size, WD_ALIGN_PARAGRAPH.CENTER, F.RED)
    mark.paragraph_format.line_spacing = Pt(size * 1.3)
    F.border(mark, bottom=(12, F.RED, 11))
    title = para("督办函", F.TITLE_FONT, F.TITLE_PT, WD_ALIGN_PARAGRAPH.CENTER)
    title.paragraph_format.space_before = Pt(F.LINE_PT)
    title.paragraph_format.line_spacing = Pt(F.TITLE_PT * 1.5)
    para(first["number"], align=WD_ALIGN_PARAGRAPH.CENTER).paragraph_format.space_after = Pt(F.LINE_PT)
    head, opening = _opening(group)
    para(head)
    para(opening).paragraph_format.first_line_indent = Pt(2 * F.BODY_PT)
    for i, item in enumerate(group, start=1):
        if len(group) > 1:
            numeral = _NUMERALS[i - 1] if i <= len(_NUMERALS) else str(i)
            para(f"{numeral}、{item['problem']['text']}", F.HEADING_FONT).paragraph_format.first_line_indent = Pt(
                2 * F.BODY_PT)
        rows = fields(item, issuer, reply_days)
        table = document.add_table(rows=len(rows), cols=2)
        table.style = "Table Grid"
        table.autofit = False
        table.columns[0].width, table.columns[1].width = Mm(32), Mm(F.TEXT_WIDTH - 32)
        for (label, value), row in zip(rows, table.rows, strict=True):
            for cell, text, font, width in ((row.cells[0], label, F.HEADING_FONT, 32),
                                            (row.cells[1], value, F.BODY_FONT, F.TEXT_WIDTH - 32)):
                cell.width = Mm(width)
                p = cell.paragraphs[0]
                p.paragraph_format.line_spacing_rule = WD_LINE_SPACING.SINGLE
                F.run_font(p.add_run(text), font, F.PAGE_PT)
    issued = first["issued_on"]
    document.add_paragraph()
    for text in (issuer, zh_date(issued)):
        p = para(text, align=WD_ALIGN_PARAGRAPH.RIGHT)
        p.paragraph_format.right_indent = Pt(4 * F.BODY_PT)
    F.properties(document, f"督办函 {first['number']}", issuer)
    files.save(path, document)


def prepare(output: Path | None, fmt: str) -> Path:
    """The directory letters go to; refuses a missing option or a file.  Nothing is made here: the
    directory is created by ``writer`` once there are letters to write, so a command refused (not
    allowed, a bad option) or issuing nothing leaves no directory behind."""
    if fmt not in FORMATS:
        raise BadInput("format_is_not_one_of", fmt=fmt, formats=list(FORMATS))
    if output is None:
        raise BadInput("output_dir_give_directory")
    if output.exists() and not output.is_dir():
        raise BadInput("output_is_file_not", output=output)
    return output


def _make(output: Path) -> None:
    """Create the letters' directory (and its parents) if missing."""
    try:
        output.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise BadInput("output_cannot_create", output=output, strerror=os_reason(exc)) from None


def writer(output: Path, fmt: str, issuer: str = ISSUER, reply_days: int = REPLY_DAYS) -> Any:
    """``write(letters) -> [file paths]`` for ``Service.issue_letters``: one file per addressee and day (a
    consolidated letter listing its problems), each letter's path that of its file, the directory
    ``output`` created first; ``issuer`` is the document settings' issuer (``workflow.office``),
    ``reply_days`` the ladder's."""

    def write(letters: list[dict]) -> list[str]:
        where: dict[int, str] = {}
        if letters:
            _make(output)
        for group in groups(letters):
            path = output / file_name(group, fmt)
            if fmt == "html":
                files.write_text(path, to_html(group, issuer, reply_days))
            else:
                write_docx(group, path, issuer, reply_days)
            for letter in group:
                where[id(letter)] = str(path)
        return [where[id(letter)] for letter in letters]

    return write
