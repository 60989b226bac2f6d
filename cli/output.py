"""Writing formatted output: the ``--format``/``--output`` check, text to stdout or FILE, CSV, Markdown, HTML.

The options themselves are defined in ``cli/options.py``.  Data goes to stdout or ``--output``;
messages go to stderr.
"""

from __future__ import annotations

import csv
import html
import io
import sys
from collections.abc import Iterable, Sequence
from pathlib import Path

from workflow.errors import BadInput


def check_format(fmt: str | None, choices: Sequence[str], output: Path | None) -> None:
    if fmt is not None and fmt not in choices:
        raise BadInput(f"--format: {fmt!r} is not one of {', '.join(choices)}")
    if fmt == "xlsx" and output is None:
        raise BadInput("--format xlsx needs --output FILE (a workbook cannot go to a terminal)")
    if output is not None and fmt is None:
        raise BadInput("--output needs --format")


def write_text(text: str, output: Path | None) -> None:
    if output is None:
        sys.stdout.write(text)
        sys.stdout.flush()
    else:
        try:
            output.write_text(text, encoding="utf-8")
        except OSError as exc:
            raise BadInput(f"--output: cannot write {output}: {exc.strerror}") from None


def to_csv(headers: Sequence[str], rows: Iterable[Sequence]) -> str:
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\n")
    w.writerow(headers)
    for r in rows:
        w.writerow(["" if v is None else v for v in r])
    return buf.getvalue()


def _md_cell(v) -> str:
    return ("" if v is None else str(v)).replace("|", "\\|").replace("\n", " ")


def to_markdown(headers: Sequence[str], rows: Iterable[Sequence], title: str | None = None) -> str:
    lines = [f"# {title}", ""] if title else []
    lines.append("| " + " | ".join(_md_cell(h) for h in headers) + " |")
    lines.append("|" + "|".join("---" for _ in headers) + "|")
    lines.extend("| " + " | ".join(_md_cell(v) for v in r) + " |" for r in rows)
    return "\n".join(lines) + "\n"


def to_html_table(headers: Sequence[str], rows: Iterable[Sequence]) -> str:
    head = "".join(f"<th>{html.escape(str(h))}</th>" for h in headers)
    body = "\n".join(
        "<tr>" + "".join(f"<td>{html.escape('' if v is None else str(v))}</td>" for v in r) + "</tr>"
        for r in rows
    )
    return f"<table>\n<thead><tr>{head}</tr></thead>\n<tbody>\n{body}\n</tbody>\n</table>"
