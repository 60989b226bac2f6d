"""Listings of any size: JSON streamed item by item, tables printed a chunk of rows at a time with
fixed column widths (cells wrap, never crop), through a pager on a terminal (as ``git log``).

Nothing here holds every row: a 50,000-project listing costs the memory of one chunk.
"""

from __future__ import annotations

import contextlib
import json
import os
import re
import shlex
import subprocess
import sys
from collections.abc import Iterable, Iterator, Sequence
from typing import Any

from cli.context import is_terminal


def stream_json(head: dict, key: str, items: Iterable[Any], sink: Any = None) -> int:
    """One JSON document ``{**head, key: [items…]}`` written as the items come; returns how many."""
    sink = sink or sys.stdout
    text = json.dumps(head, ensure_ascii=False, indent=2, default=str)
    sink.write(text[:-2] + ",\n" if head else "{\n")
    sink.write(f'  {json.dumps(key)}: [')
    encode = json.JSONEncoder(ensure_ascii=False, default=str, check_circular=False).encode
    write = sink.write
    n = 0
    for item in items:
        write(("," if n else "") + "\n    " + encode(item))
        n += 1
    sink.write("\n  ]\n}\n" if n else "]\n}\n")
    sink.flush()
    return n


class Sink:
    """Where a table goes: a text stream, its width in cells, whether it is a terminal (colours)."""

    def __init__(self, file: Any, width: int, terminal: bool):
        self.file, self.width, self.is_terminal = file, width, terminal

    def write(self, text: str) -> None:
        self.file.write(text)


@contextlib.contextmanager
def paged(no_pager: bool = False) -> Iterator[Sink]:
    """Where a listing goes: through ``$PAGER`` (default ``less -FRX``) when stdout is a terminal,
    else stdout itself (160 cells wide when piped).  Quitting the pager early ends the listing
    quietly."""
    import shutil

    from cli.context import output_width

    pager = os.environ.get("PAGER", "less -FRX")
    terminal = is_terminal()
    width = output_width() or shutil.get_terminal_size((160, 24)).columns  # honours COLUMNS
    if no_pager or not terminal or not pager.strip() or pager.strip() == "cat":
        yield Sink(sys.stdout, width, terminal)
        sys.stdout.flush()
        return
    try:
        proc = subprocess.Popen(shlex.split(pager), stdin=subprocess.PIPE, encoding="utf-8", errors="replace")
    except OSError:  # no such pager: print directly
        yield Sink(sys.stdout, width, terminal)
        return
    try:
        yield Sink(proc.stdin, width, True)
    except BrokenPipeError:
        pass
    finally:
        with contextlib.suppress(BrokenPipeError, OSError):
            if proc.stdin:
                proc.stdin.close()
        proc.wait()


def widths(total: int, fixed: Sequence[int | None], least: int = 20) -> list[int]:
    """Column widths for a table ``total`` cells wide (two cells between columns): the ``None`` ones
    share what the fixed ones leave; when that is under ``least`` cells each, the widest fixed
    columns give way (down to 8 cells), so names keep room for whole words."""
    cols = list(fixed)
    flexible = [i for i, w in enumerate(cols) if w is None] or [len(cols) - 1]
    sized = [i for i in range(len(cols)) if i not in flexible]

    def share() -> int:
        rest = total - sum(cols[i] or 0 for i in sized) - 2 * (len(cols) - 1)
        return rest // len(flexible)

    while share() < least:
        widest = max(sized, key=lambda i: cols[i] or 0, default=None)
        if widest is None or (cols[widest] or 0) <= 8:
            break
        cols[widest] = (cols[widest] or 0) - 1
    each = max(8, share())
    return [each if i in flexible else int(cols[i] or 0) for i in range(len(cols))]


_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f\u200b-\u200f\u202a-\u202e\u2066-\u2069]")
_STYLES = {"bold red": "\x1b[1;31m", "bold yellow": "\x1b[1;33m", "green": "\x1b[32m", "dim": "\x1b[2m"}


def wrap(text: str, width: int) -> list[str]:
    """``text`` on lines at most ``width`` cells wide: broken at spaces where it can, else between
    characters (Chinese has no spaces); nothing is cut off.  Control, escape and bidi characters show
    as visible escapes (``workflow.text.visible``), a line break as ``⏎``."""
    return [line for line, _ in _fit(text, width)]


def _fit(text: str, width: int) -> list[tuple[str, int]]:
    """``wrap`` with each line's width in cells."""
    from rich.cells import cell_len

    if not text.isprintable():
        from workflow.text import visible

        text = visible(text)
    n = len(text) if text.isascii() else cell_len(text)
    if n <= width:
        return [(text, n)]
    lines: list[tuple[str, int]] = []
    line, used = "", 0
    for word in re.split(r"(?<= )", text):  # words keep their trailing space
        w = cell_len(word)
        if used + w <= width:
            line, used = line + word, used + w
            continue
        if line and w <= width:
            lines.append((line.rstrip(), cell_len(line.rstrip())))
            line, used = word, w
            continue
        for ch in word:  # longer than a line (or no room): break between characters
            c = cell_len(ch)
            if used + c > width and line:
                lines.append((line.rstrip(), cell_len(line.rstrip())))
                line, used = "", 0
            line, used = line + ch, used + c
    if line.strip() or not lines:
        lines.append((line.rstrip(), cell_len(line.rstrip())))
    return lines


def print_table(sink: Sink, headers: Sequence[str], fixed: Sequence[int | None],
                rows: Iterable[tuple[Sequence[str], str | None]]) -> int:
    """Rows ``(cells, style)`` as a table written row by row with fixed column widths (cells wrap
    onto more lines, never cut); returns how many rows."""
    from rich.cells import cell_len

    cols = widths(sink.width, [None if w is None else max(w, cell_len(h)) for w, h in zip(fixed, headers, strict=True)])
    last = len(cols) - 1

    def block(cells: Sequence[str], style: str | None) -> str:
        parts = [_fit(str(c), w) for c, w in zip(cells, cols, strict=True)]
        height = max(len(p) for p in parts)
        out = []
        for k in range(height):
            pieces = []
            for i, (p, w) in enumerate(zip(parts, cols, strict=True)):
                text, used = p[k] if k < len(p) else ("", 0)
                pieces.append(text if i == last else text + " " * (w - used))
            text = "  ".join(pieces).rstrip()
            out.append(f"{_STYLES[style]}{text}\x1b[0m" if style in _STYLES and sink.is_terminal else text)
        return "\n".join(out) + "\n"

    head = block(headers, None)
    sink.write(f"\x1b[1;4m{head[:-1]}\x1b[0m\n" if sink.is_terminal else head)
    n = 0
    for cells, style in rows:
        sink.write(block(cells, style))
        n += 1
    return n
