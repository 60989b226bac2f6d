"""Validation of the values commands take: every caller (the command line, import, the demo and the
Python API) gets the same refusals (BadInput, exit 2), each naming the field."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from workflow import clock
from workflow.amounts import CURRENCIES
from workflow.catalogue import Message
from workflow.errors import BadInput
from workflow.money import MAX_MINOR
from workflow.text import escape_char, unsafe_char
from workflow.words import currencies

# Longest text a project column holds (the model's max_length; PostgreSQL enforces it).
PROJECT_TEXT_LIMITS = {"name": 300, "investor": 300, "origin": 200, "industry": 200, "category": 200,
                       "unit": 40}
IDENTIFIER_LIMIT = 80  # logins, unit codes
NAME_LIMIT = 200  # names of people and units, titles, rule names
NUMBER_LIMIT = 200  # document numbers
SOURCE_LIMIT = 200  # the source of a capital arrival
FREE_TEXT_LIMIT = 4000  # reasons, notes, resolutions (line breaks allowed)

# Dates a command accepts (plans, effective dates, report dates): ``clock.FIRST_DAY`` .. ``clock.LAST_DAY``.
FIRST_DAY, LAST_DAY = clock.FIRST_DAY, clock.LAST_DAY


def clean(text: str, what: str, *, multiline: bool = False) -> str:
    """``text`` unless it holds a control character (a NUL, an escape, a bidi control; a line break
    unless ``multiline``): refused naming the field and the character."""
    if text.isprintable():  # the usual text: nothing unsafe_char could find
        return text
    bad = unsafe_char(text, multiline=multiline)
    if bad is not None:
        kind: str | Message = ("a line break" if bad in "\r\n"
                               else Message("the_control_character", char=escape_char(bad)))
        allowed = "line breaks only" if multiline else "one line of printable text"
        raise BadInput("holds_it_takes",
                       [{"field": what, "message": Message("control_character",
                                                           escape_char=escape_char(bad))}], what=what, kind=kind,
                                                           allowed=allowed)
    return text


def required(value: Any, what: str, limit: int | None = None, *, multiline: bool = False) -> str:
    """A non-empty text, stripped, without control characters (line breaks only if ``multiline``),
    at most ``limit`` characters."""
    if value is None or not isinstance(value, str) or not value.strip():
        if value is not None and not isinstance(value, str):
            raise BadInput("must_be_text_not", what=what, name=type(value).__name__)
        raise BadInput("must_not_be_empty", what=what)
    text = value.strip()
    if limit is not None and len(text) > limit:
        raise BadInput("is_longer_than_characters_what_limit", what=what, limit=limit)
    return clean(text, what, multiline=multiline)


def optional_text(value: Any, what: str, limit: int | None = None, *, multiline: bool = False) -> str | None:
    """None, or a text without control characters (line breaks only if ``multiline``), at most
    ``limit`` characters.  Stripped of surrounding white space first, as ``required``, ``reason`` and
    an import strip it (``str.strip``; a tab or line break around it too); blank, it is None."""
    if value is None:
        return None
    if not isinstance(value, str):
        raise BadInput("must_be_text_not", what=what, name=type(value).__name__)
    value = value.strip()
    if not value:
        return None
    if limit is not None and len(value) > limit:
        raise BadInput("is_longer_than_characters_what_limit", what=what, limit=limit)
    return clean(value, what, multiline=multiline)


def identifier(value: Any, what: str, limit: int = IDENTIFIER_LIMIT) -> str:
    """A login or code: non-empty text without surrounding spaces, at most ``limit`` characters."""
    text = required(value, what)
    if len(text) > limit:
        raise BadInput("is_longer_than_characters_what_limit", what=what, limit=limit)
    return text


def amount(value: Any, what: str = "AMOUNT", *, positive: bool = True) -> int:
    """An amount in integer minor units (分): a whole number, > 0 (or ≥ 0), at most ``MAX_MINOR``."""
    if isinstance(value, bool) or not isinstance(value, int):
        raise BadInput("must_be_whole_number_of", what=what, value=value)
    if positive and value <= 0:
        raise BadInput("must_be_greater_than", what=what)
    if value < 0:
        raise BadInput("must_not_be_negative", what=what)
    if value > MAX_MINOR:
        raise BadInput("is_larger_than_limit", what=what, max_minor=MAX_MINOR)
    return value


def currency(value: Any) -> str:
    """A currency code from the code or its name (人民币, 美元; workflow/words.py)."""
    if value in CURRENCIES:
        return str(value)

    return currencies().parse(value, "currency")


def day(value: Any, what: str = "--on") -> date:
    """A date: a ``date`` or ISO ``YYYY-MM-DD`` text (a datetime is refused: it carries a time)."""
    if isinstance(value, datetime) or not isinstance(value, date | str):
        raise BadInput("is_not_date_use_yyyy_mm", what=what, value=value)
    parsed = clock.parse_date(value, what)
    assert parsed is not None
    return in_range(parsed, what)


def in_range(value: date, what: str) -> date:
    """A date between ``FIRST_DAY`` and ``LAST_DAY``, else refused naming the field."""
    if not FIRST_DAY <= value <= LAST_DAY:
        raise BadInput("lies_outside_what_value", what=what, value=value, first_day=FIRST_DAY, last_day=LAST_DAY)
    return value


def effective(value: Any, what: str = "--on") -> date:
    """An effective date: given (a date or ISO text) or today."""
    return clock.today() if value is None else day(value, what)


def reason(value: Any, what: Message | str, *, required_: bool = False) -> str | None:
    """A reason: stripped; None when empty (refused if ``required_``)."""
    if value is None or (isinstance(value, str) and not value.strip()):
        if required_:
            raise BadInput(what)
        return None
    if not isinstance(value, str):
        raise BadInput("reason_must_be_text", name=type(value).__name__)
    text = value.strip()
    if len(text) > FREE_TEXT_LIMIT:
        raise BadInput("reason_is_longer_than_characters", free_text_limit=FREE_TEXT_LIMIT)
    return clean(text, "--reason", multiline=True)
