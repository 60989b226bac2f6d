"""User text: what a field may hold (input) and how it is shown (output).

One function makes stored text safe for a terminal or any plain output: :func:`visible`.  It never
changes printable text (markup such as ``[red]x[/]``, brackets, CJK and emoji stay as they are: the
consoles never read markup), and it turns every character that could steer a terminal or reorder
what a reader sees into a visible escape:

- C0 control characters (except the line break in a multi-line field), DEL and C1 controls, as
  ``\\x1b``, ``\\x7f``, ``\\x9b``;
- bidi controls and the Unicode line/paragraph separators, as ``\\u202e``, ``\\u2028``;
- a line break inside a one-line value, as ``⏎``.

Input checks (used by ``workflow/values.py``): :func:`unsafe_char` finds the first character a
one-line value (names, codes, logins, numbers) must not hold, invisible format characters included
(:func:`format_char`); free texts (reasons, notes) may hold line breaks and nothing else of the kind.

Spreadsheets: :func:`neutralise_formula` prefixes a cell a spreadsheet would run as a formula with an
apostrophe (OWASP's CSV-injection guidance); :func:`restore_formula` undoes it on import.
"""

from __future__ import annotations

import re
import unicodedata
from typing import Any

from workflow.catalogue import Message

# Bidi embedding/override/isolate controls, marks, and the Unicode line and paragraph separators.
BIDI = "\u061c\u200e\u200f\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069\u2028\u2029"
_CONTROL = "\x00-\x1f\x7f-\x9f"
_SURROGATE = "\ud800-\udfff"  # bytes that were not UTF-8 (an argument decoded with surrogateescape)
_UNSAFE = re.compile(f"[{_CONTROL}{BIDI}{_SURROGATE}]")
_UNSAFE_MULTI = re.compile(f"[\x00-\x09\x0b-\x1f\x7f-\x9f{BIDI}{_SURROGATE}]")  # all but the line break
LINE_MARK = "⏎"  # a line break shown inside a one-line cell


def escape_char(c: str) -> str:
    """The visible form of one control character: ``\\x1b``, ``\\u202e``."""
    o = ord(c)
    return f"\\x{o:02x}" if o < 0x100 else f"\\u{o:04x}"


def _sub(m: re.Match[str]) -> str:
    c = m.group(0)
    return LINE_MARK if c == "\n" else escape_char(c)


def visible(value: object, *, multiline: bool = False) -> str:
    """``value`` as text safe for a terminal or plain output: printable text unchanged, every control,
    escape and bidi character as a visible escape; a line break as ``⏎`` unless ``multiline``
    (a CR LF pair counts as one line break).  None is empty."""
    if value is None:
        return ""
    text = value if isinstance(value, str) else str(value)
    if text.isprintable():  # every character _UNSAFE and _UNSAFE_MULTI match is non-printable
        return text
    if "\r\n" in text:
        text = text.replace("\r\n", "\n")
    pattern = _UNSAFE_MULTI if multiline else _UNSAFE
    if pattern.search(text) is None:
        return text
    return pattern.sub(_sub, text)


def unsafe_char(text: str, *, multiline: bool = False) -> str | None:
    """The first character ``text`` may not hold (control, DEL, C1, bidi; a line break unless
    ``multiline``; a lone CR always; in a one-line value also an invisible format character, see
    :func:`format_char`), or None."""
    if text.isprintable():  # controls, bidi marks, separators, surrogates and format characters are non-printable
        return None
    pattern = _UNSAFE_MULTI if multiline else _UNSAFE
    m = pattern.search(text.replace("\r\n", "\n") if multiline else text)
    if m:
        return m.group(0)
    return None if multiline else format_char(text)


ZWJ = "\u200d"  # ZERO WIDTH JOINER: allowed between two emoji (👨‍👩‍👧)
_EMOJI_TAIL = frozenset("\ufe0f\U0001f3fb\U0001f3fc\U0001f3fd\U0001f3fe\U0001f3ff")  # VS16, skin tones


def _joins_emoji(text: str, i: int) -> bool:
    """Whether the ZWJ at ``text[i]`` stands between two emoji (after a variation selector or skin tone)."""
    j = i - 1
    while j >= 0 and text[j] in _EMOJI_TAIL:
        j -= 1
    return (j >= 0 and i + 1 < len(text) and unicodedata.category(text[j]) == "So"
            and unicodedata.category(text[i + 1]) == "So")


def format_char(text: str) -> str | None:
    """The first invisible format character (Unicode category Cf: zero-width space, soft hyphen, BOM,
    word joiner, tag characters …) of ``text``, or None; a zero-width joiner between two emoji is
    part of the emoji and allowed.  A one-line value (names, codes) refuses them: they hide a
    difference from the eye, the duplicate check and search."""
    if text.isprintable():
        return None
    for i, c in enumerate(text):
        if not c.isprintable() and unicodedata.category(c) == "Cf" and not (c == ZWJ and _joins_emoji(text, i)):
            return c
    return None


# --- spreadsheets ----------------------------------------------------------------------------------

FORMULA_START = ("=", "+", "-", "@", "\t", "\r", "\n")


def neutralise_formula(value: str) -> str:
    """A cell a spreadsheet would read as a formula (it starts with ``= + - @``, a tab or a line
    break), or one that already starts with an apostrophe, gets one more leading apostrophe."""
    if value and (value[0] in FORMULA_START or value[0] == "'"):
        return "'" + value
    return value


def restore_formula(value: str) -> str:
    """Undo :func:`neutralise_formula`: an apostrophe followed by a formula start or another
    apostrophe is dropped."""
    if len(value) >= 2 and value[0] == "'" and (value[1] in FORMULA_START or value[1] == "'"):
        return value[1:]
    return value


# A plain signed number (``-3``, ``+5546.00``, ``+8.3%``): a spreadsheet reads it as that number, so it
# stays a number (docs/import-export.md); any other text starting with ``= + - @`` is neutralised.
_NUMBER = re.compile(r"[+-]?[0-9][0-9,]*(\.[0-9]+)?%?")


def csv_cell(value: object) -> object:
    """A value for a CSV cell we write: numbers as they are (a signed number stays a number), text
    shown visibly (line breaks kept, quoted by the CSV writer) and neutralised against formulas."""
    if value is None:
        return ""
    if isinstance(value, bool) or not isinstance(value, str):
        return value
    if _NUMBER.fullmatch(value):
        return value
    return neutralise_formula(visible(value, multiline=True))


def clip(text: str, limit: int = 80) -> str:
    """``text`` cut to ``limit`` characters with an ellipsis (for messages quoting user text)."""
    return text if len(text) <= limit else text[: limit - 1] + "…"


def listing(items: list[str], limit: int = 20, sep: str = ", ") -> str | Message:
    """The first ``limit`` items (each clipped) and a count of the rest: a bounded list for a message
    field (with a rest, a `Message` that says "… (5 more)" in the run's language)."""
    shown = sep.join(clip(str(i)) for i in items[:limit])
    if len(items) <= limit:
        return shown
    return Message("listing_more", shown=shown, sep=sep, n=len(items) - limit)


_JSON_UNSAFE = re.compile(f"[\x7f-\x9f{BIDI}{_SURROGATE}]")


def json_safe(document: str) -> str:
    """A JSON text with DEL, C1, bidi and lone-surrogate characters written as ``\\uXXXX`` escapes:
    the same value for any JSON reader, nothing a terminal would act on (``json.dumps`` already
    escapes the C0 controls)."""
    return _JSON_UNSAFE.sub(lambda m: f"\\u{ord(m.group(0)):04x}", document)


_SPACE = re.compile(r"\s+")


def fold(text: Any) -> str:
    """``text`` for comparison: NFKC (full-width to half-width), case-folded, no white space and no
    invisible format character (Cf, as a row stored before they were refused may hold)."""
    if text is None:
        return ""
    value = str(text)
    if not value.isprintable():
        value = "".join(c for c in value if unicodedata.category(c) != "Cf")
    return _SPACE.sub("", unicodedata.normalize("NFKC", value).casefold())
