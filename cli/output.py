"""Writing formatted output: the ``--format``/``--output`` check, text to stdout or FILE, CSV, Markdown, HTML.

The options themselves are defined in ``cli/options.py``.  Data goes to stdout or ``--output``;
messages go to stderr.
"""

from __future__ import annotations

import contextlib
import csv
import io
import sys
from collections.abc import Iterable, Iterator, Sequence
from pathlib import Path
from typing import Any, TextIO, cast

from workflow import files
from workflow.errors import BadInput, os_reason
from workflow.text import csv_cell, visible


def check_format(fmt: str | None, choices: Sequence[str], output: Path | None) -> None:
    if fmt is not None and fmt not in choices:
        raise BadInput("format_is_not_one", fmt=fmt, choices=list(choices))
    if fmt in ("xlsx", "docx") and output is None:
        raise BadInput("format_needs_output_file", fmt=fmt, fmt_2='workbook' if fmt == 'xlsx' else 'Word document')
    if output is not None and fmt is None:
        raise BadInput("output_needs_format")


def write_text(text: str, output: Path | None) -> None:
    if output is None:
        sys.stdout.write(text)
        sys.stdout.flush()
    else:
        try:
            files.write_text(output, text)
        except OSError as exc:
            raise BadInput("output_cannot_write_output_strerror", output=output, strerror=os_reason(exc)) from None


@contextlib.contextmanager
def open_output(output: Path | None) -> Iterator[TextIO]:
    """Where formatted output goes, written as it is made: ``output`` (UTF-8), else stdout."""
    if output is None:
        yield sys.stdout
        sys.stdout.flush()
        return
    try:
        with files.created(output, "w", encoding="utf-8", newline="") as fh:
            yield cast(TextIO, fh)
    except OSError as exc:
        raise BadInput("output_cannot_write_output_strerror", output=output, strerror=os_reason(exc)) from None


def write_csv(sink: TextIO, headers: Sequence[str], rows: Iterable[Sequence[Any]]) -> int:
    """A header line and the rows (None as empty) as CSV; returns how many rows."""
    w = csv.writer(sink, lineterminator="\n")
    w.writerow([csv_cell(h) for h in headers])
    n = 0
    for r in rows:
        w.writerow([csv_cell(v) for v in r])
        n += 1
    return n


def to_csv(headers: Sequence[str], rows: Iterable[Sequence[Any]]) -> str:
    buf = io.StringIO()
    write_csv(buf, headers, rows)
    return buf.getvalue()


_MD_SPECIAL = str.maketrans({c: "\\" + c for c in "\\`*_[]<>|~&#!"})


def md_text(v: Any) -> str:
    """Text for a Markdown line or table cell: shown visibly (a line break as ⏎), every character
    Markdown or inline HTML would read escaped with a backslash (so ``[a](b)``, ``<b>`` and ``|`` stay
    text)."""
    return visible(v).translate(_MD_SPECIAL)


def _md_cell(v: Any) -> str:
    return md_text(v)


def html_text(v: Any) -> str:
    """Text for HTML: shown visibly (line breaks kept), then HTML-escaped."""
    import html  # only the HTML form escapes

    return html.escape(visible(v, multiline=True))


def write_markdown(sink: TextIO, headers: Sequence[str], rows: Iterable[Sequence[Any]],
                   title: str | None = None) -> int:
    """A Markdown table (under ``# title`` when given); returns how many rows."""
    if title:
        sink.write(f"# {md_text(title)}\n\n")
    sink.write("| " + " | ".join(_md_cell(h) for h in headers) + " |\n")
    sink.write("|" + "|".join("---" for _ in headers) + "|\n")
    n = 0
    for r in rows:
        sink.write("| " + " | ".join(_md_cell(v) for v in r) + " |\n")
        n += 1
    return n


def to_markdown(headers: Sequence[str], rows: Iterable[Sequence[Any]], title: str | None = None) -> str:
    buf = io.StringIO()
    write_markdown(buf, headers, rows, title)
    return buf.getvalue()


def to_html_table(headers: Sequence[str], rows: Iterable[Sequence[Any]]) -> str:
    head = "".join(f"<th>{html_text(h)}</th>" for h in headers)
    body = "\n".join(
        "<tr>" + "".join(f"<td>{html_text(v)}</td>" for v in r) + "</tr>"
        for r in rows
    )
    return f"<table>\n<thead><tr>{head}</tr></thead>\n<tbody>\n{body}\n</tbody>\n</table>"
