"""Supervision letters (督办函) as files: HTML that prints on A4, or a Word document (python-docx).

A letter's fields come from ``commands.problems.issue_letters``; every text a user typed is escaped
(HTML) or written as plain runs (DOCX), so markup in a problem's text stays text.
"""

from __future__ import annotations

import html
from pathlib import Path
from typing import Any

from workflow.errors import BadInput
from workflow.i18n import t

FORMATS = ("html", "docx")
ISSUER = "县招商引资工作领导小组办公室"
FEEDBACK = ("请于办理时限前将办理进展和结果书面反馈县招商引资工作领导小组办公室；"
            "逾期未办结的，按督办等级逐级提级督办。")


def fields(letter: dict) -> list[tuple[str, str]]:
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
        ("反馈要求", FEEDBACK),
        ("督办等级", f"{level}级（{t(f'level_{level}', 'zh')}）"),
    ]


def file_name(letter: dict, fmt: str) -> str:
    return f"letter-{letter['year']}-{letter['serial']:04d}-problem-{letter['problem']['id']}.{fmt}"


def to_html(letter: dict) -> str:
    e = html.escape
    rows = "\n".join(f"<tr><th>{e(label)}</th><td>{e(value)}</td></tr>" for label, value in fields(letter))
    to = letter["addressee"]["zh"]
    issued = letter["issued_on"]
    return f"""<!DOCTYPE html>
<html lang="zh-CN">
<head>
<meta charset="utf-8">
<title>督办函 {e(letter['number'])}</title>
<style>
@page {{ size: A4; margin: 25mm 20mm; }}
body {{ font-family: "FangSong", "STFangsong", "SimSun", serif; font-size: 16pt; line-height: 1.6; }}
h1 {{ text-align: center; font-family: "SimHei", "Heiti SC", sans-serif; font-size: 22pt; margin: 0 0 6mm; }}
.number {{ text-align: center; margin-bottom: 8mm; }}
table {{ width: 100%; border-collapse: collapse; page-break-inside: avoid; }}
th, td {{ border: 1px solid #000; padding: 2mm 3mm; vertical-align: top; }}
th {{ width: 28mm; white-space: nowrap; text-align: left; }}
.sign {{ text-align: right; margin-top: 12mm; }}
</style>
</head>
<body>
<h1>督办函</h1>
<p class="number">{e(letter['number'])}</p>
<p>{e(to)}：</p>
<p>现将下列事项交由你单位（你）督办落实，请按要求办理并反馈。</p>
<table>
{rows}
</table>
<p class="sign">{e(ISSUER)}<br>{issued.year}年{issued.month}月{issued.day}日</p>
</body>
</html>
"""


def write_docx(letter: dict, path: Path) -> None:
    """The letter as a Word document (python-docx is imported here only)."""
    import docx
    from docx.enum.text import WD_ALIGN_PARAGRAPH
    from docx.shared import Mm

    document = docx.Document()
    section = document.sections[0]
    section.page_width, section.page_height = Mm(210), Mm(297)
    section.top_margin = section.bottom_margin = Mm(25)
    section.left_margin = section.right_margin = Mm(20)
    document.add_heading("督办函", level=1).alignment = WD_ALIGN_PARAGRAPH.CENTER
    document.add_paragraph(letter["number"]).alignment = WD_ALIGN_PARAGRAPH.CENTER
    document.add_paragraph(f"{letter['addressee']['zh']}：")
    document.add_paragraph("现将下列事项交由你单位（你）督办落实，请按要求办理并反馈。")
    rows = fields(letter)
    table = document.add_table(rows=len(rows), cols=2)
    table.style = "Table Grid"
    for (label, value), row in zip(rows, table.rows, strict=True):
        row.cells[0].text = label
        row.cells[1].text = value
    issued = letter["issued_on"]
    sign = document.add_paragraph(f"{ISSUER}\n{issued.year}年{issued.month}月{issued.day}日")
    sign.alignment = WD_ALIGN_PARAGRAPH.RIGHT
    document.core_properties.title = f"督办函 {letter['number']}"
    document.save(str(path))


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


def writer(output: Path, fmt: str) -> Any:
    """``write(letters) -> [file paths]`` for ``Service.issue_letters``."""

    def write(letters: list[dict]) -> list[str]:
        paths = []
        for letter in letters:
            path = output / file_name(letter, fmt)
            if fmt == "html":
                path.write_text(to_html(letter), encoding="utf-8")
            else:
                write_docx(letter, path)
            paths.append(str(path))
        return paths

    return write
