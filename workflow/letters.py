"""Supervision letters (督办函) as files: HTML that prints on A4, or a Word document (python-docx), in
the official format (``workflow.docformat``) under the office's issuer (``workflow.office``).

A letter's fields come from ``commands.problems.issue_letters``; every text a user typed is escaped
(HTML) or written as plain runs (DOCX), so markup in a problem's text stays text.
"""

from __future__ import annotations

import html
from pathlib import Path
from typing import Any

from workflow import docformat as F
from workflow import files, office
from workflow.errors import BadInput
from workflow.i18n import t

FORMATS = ("html", "docx")
ISSUER = office.ISSUER  # the default issuer; `pipeline documents set issuer=…` names the office's own
FEEDBACK = "请于办理时限前将办理进展和结果书面反馈{issuer}；逾期未办结的，按督办等级逐级提级督办。"


def fields(letter: dict, issuer: str = ISSUER) -> list[tuple[str, str]]:
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
        ("办理时限", p["due"].isoformat()),
        ("反馈要求", FEEDBACK.format(issuer=issuer)),
        ("督办等级", f"{level}级（{t(f'level_{level}', 'zh')}）"),
    ]


def file_name(letter: dict, fmt: str) -> str:
    return f"letter-{letter['year']}-{letter['serial']:04d}-problem-{letter['problem']['id']}.{fmt}"


def to_html(letter: dict, issuer: str = ISSUER) -> str:
    """The letter in the official format (``workflow.docformat``): the issuer in red over the red line,
    the number, the title 督办函, the addressee, the fields, the issuer and date."""
    e = html.escape
    rows = "\n".join(f"<tr><th>{e(label)}</th><td>{e(value)}</td></tr>" for label, value in fields(letter, issuer))
    to = letter["addressee"]["zh"]
    issued = letter["issued_on"]
    pg, fonts = F.PAGE, F.CSS_FONTS
    return f"""<!DOCTYPE html>
<html lang="zh-CN">
<head>
<meta charset="utf-8">
<title>督办函 {e(letter['number'])}</title>
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
.body {{ text-indent: 2em; }}
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
<p class="number">{e(letter['number'])}</p>
<p>{e(to)}：</p>
<p class="body">现将下列事项交由你单位（你）督办落实，请按要求办理并反馈。</p>
<table>
{rows}
</table>
<p class="sign">{e(issuer)}<br>{issued.year}年{issued.month}月{issued.day}日</p>
</body>
</html>
"""


def write_docx(letter: dict, path: Path, issuer: str = ISSUER) -> None:
    """The letter as a Word document in the official format (python-docx is imported here only)."""
    import docx
    from docx.enum.text import WD_ALIGN_PARAGRAPH, WD_LINE_SPACING
    from docx.oxml.ns import qn
    from docx.shared import Mm, Pt

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
    para(letter["number"], align=WD_ALIGN_PARAGRAPH.CENTER).paragraph_format.space_after = Pt(F.LINE_PT)
    para(f"{letter['addressee']['zh']}：")
    para("现将下列事项交由你单位（你）督办落实，请按要求办理并反馈。").paragraph_format.first_line_indent = Pt(
        2 * F.BODY_PT)
    rows = fields(letter, issuer)
    table = document.add_table(rows=len(rows), cols=2)
    table.style = "Table Grid"
    table.autofit = False
    table.columns[0].width, table.columns[1].width = Mm(32), Mm(F.TEXT_WIDTH - 32)
    for (label, value), row in zip(rows, table.rows, strict=True):
        for cell, text, font, width in ((row.cells[0], label, F.HEADING_FONT, 32), (row.cells[1], value, F.BODY_FONT,
                                                                                     F.TEXT_WIDTH - 32)):
            cell.width = Mm(width)
            p = cell.paragraphs[0]
            p.paragraph_format.line_spacing_rule = WD_LINE_SPACING.SINGLE
            F.run_font(p.add_run(text), font, F.PAGE_PT)
    issued = letter["issued_on"]
    document.add_paragraph()
    for text in (issuer, f"{issued.year}年{issued.month}月{issued.day}日"):
        p = para(text, align=WD_ALIGN_PARAGRAPH.RIGHT)
        p.paragraph_format.right_indent = Pt(4 * F.BODY_PT)
    document.core_properties.title = f"督办函 {letter['number']}"
    files.save(path, document)


def prepare(output: Path | None, fmt: str) -> Path:
    """The directory letters go to (created if missing); refuses a missing option or a file."""
    if fmt not in FORMATS:
        raise BadInput("format_is_not_one_of", fmt=fmt, formats=list(FORMATS))
    if output is None:
        raise BadInput("output_dir_give_directory")
    if output.exists() and not output.is_dir():
        raise BadInput("output_is_file_not", output=output)
    try:
        output.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise BadInput("output_cannot_create", output=output, strerror=exc.strerror) from None
    return output


def writer(output: Path, fmt: str, issuer: str = ISSUER) -> Any:
    """``write(letters) -> [file paths]`` for ``Service.issue_letters``; ``issuer`` is the document
    settings' issuer (``workflow.office``)."""

    def write(letters: list[dict]) -> list[str]:
        paths = []
        for letter in letters:
            path = output / file_name(letter, fmt)
            if fmt == "html":
                files.write_text(path, to_html(letter, issuer))
            else:
                write_docx(letter, path, issuer)
            paths.append(str(path))
        return paths

    return write
