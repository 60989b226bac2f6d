"""Money input: parsing an amount typed by a user, and the forms accepted (docs/money.md); the
display of amounts is ``workflow/amounts.py``.

Amounts are integer minor units (分 / cents) with a currency code, never floats. Parsing works in
exact integer arithmetic only and refuses any input that is not an exact whole number of minor units.
Standard library only.
"""

from __future__ import annotations

import re
import unicodedata

from workflow.amounts import (
    CURRENCIES,
    Money,
    format_money,  # noqa: F401 - read from here by workflow/rules.py
    lang_of,
)
from workflow.catalogue import Message, text
from workflow.errors import BadInput

# Largest accepted amount in minor units: keeps every amount inside the exact integer range of
# RFC 8785 canonical JSON (and of a signed 64-bit column).
MAX_MINOR = 9_000_000_000_000_000

# Examples of every accepted form; each one parses (the tests check it).
ACCEPTED_FORMS: tuple[str, ...] = (
    "120000000",
    "120000000.50",
    "1.2e8",
    "12,000,000",
    "1,234.56",
    "5600万",
    "5600万元",
    "6.6亿",
    "6.6亿元",
    "4179万美元",
    "USD 1,000,000",
    "1000000 USD",
)

_USD_FORMS = frozenset({"4179万美元"})

# The messages of a refused amount are in the catalogue (workflow/catalogue/money.toml, codes amount_*).


def _forms() -> list[object]:
    """The accepted forms, the USD ones marked (a `Message` shown in the language of the run)."""
    return [Message("amount_usd_form", form=f) if f in _USD_FORMS else f for f in ACCEPTED_FORMS]


def accepted_forms_text(lang: str = "en") -> str:
    """The accepted input forms as one line, USD forms marked."""
    sep = "、" if lang_of(lang) == "zh" else ", "
    return sep.join(text(f, lang) for f in _forms())


def _refuse(text: str, lang: str, reason_key: str | None = None, **kw: object) -> BadInput:
    """The refusal of ``text`` (exit 2): why, when known (``amount_<reason_key>``), and the accepted
    forms; rendered in the language it is shown in (``lang`` is kept for callers)."""
    if reason_key is None:
        return BadInput("amount_not_recognised", text=text, forms=_forms())
    return BadInput("amount_not_recognised_because", text=text, reason=Message(f"amount_{reason_key}", **kw),
                    forms=_forms())


# Units at the end of the number: multiplier and the currency they imply (None: no currency).
_UNITS: dict[str, tuple[int, str | None]] = {
    "亿美元": (100_000_000, "USD"),
    "万美元": (10_000, "USD"),
    "美元": (1, "USD"),
    "亿元": (100_000_000, "CNY"),
    "万元": (10_000, "CNY"),
    "元": (1, "CNY"),
    "亿": (100_000_000, None),
    "万": (10_000, None),
}
_CNY_UNITS = tuple(sorted(((u, m) for u, (m, c) in _UNITS.items() if c != "USD"), key=lambda um: -len(um[0])))
_UNIT_RE = re.compile("(" + "|".join(sorted(_UNITS, key=len, reverse=True)) + r")\s*$")
_UNIT_CHARS = re.compile(r"[万亿元]|美元")
_CODE_ALIASES = {"CNY": "CNY", "RMB": "CNY", "USD": "USD"}
_CODE_PREFIX = re.compile(r"^([A-Za-z]{3})\s*(?=[0-9+\-−.,])")
_CODE_SUFFIX = re.compile(r"(?<=[0-9万亿元\s])\s*([A-Za-z]{3})$")
# A plain number with an optional exponent, or a number with thousands separators (no exponent).
_PLAIN = re.compile(r"[0-9]+(?:\.[0-9]+)?(?:[eE][+-]?[0-9]+)?")
_GROUPED = re.compile(r"[0-9]{1,3}(?:,[0-9]{3})+(?:\.[0-9]+)?")
_EXPONENT = re.compile(r"[eE]([+-]?[0-9]+)$")
_MAX_LEN = 64
_MAX_EXPONENT = 40


def parse_amount(text: str, default_currency: str = "CNY", *, lang: str = "en") -> Money:
    """Parse user input into exact minor units; raise BadInput (in `lang`) for anything else.

    The currency comes from the text (`美元` units, or a `CNY`/`RMB`/`USD` code before or after the
    number), else `default_currency`. Zero is returned as zero: callers that need > 0 check it.
    """
    if default_currency not in CURRENCIES:
        raise BadInput("amount_unknown_currency", code=default_currency, codes=list(CURRENCIES))
    if not isinstance(text, str):
        raise _refuse(str(text), lang, "syntax")
    original = text
    if foreign_digit(text) is not None:
        raise _refuse(original, lang, "digits")
    # NFKC turns full-width digits, commas and points (１２，０００．５) into ASCII.
    s = unicodedata.normalize("NFKC", text).strip()
    if not s:
        raise _refuse(original, lang, "empty")
    if len(s) > _MAX_LEN:
        raise _refuse(original, lang, "syntax")

    code: str | None = None
    pre = _CODE_PREFIX.match(s)
    if pre and pre.group(1).upper() in _CODE_ALIASES:
        code = _CODE_ALIASES[pre.group(1).upper()]
        s = s[pre.end() :].strip()
    post = _CODE_SUFFIX.search(s)
    if post and post.group(1).upper() in _CODE_ALIASES:
        if code is not None:
            raise _refuse(original, lang, "two_currencies")
        code = _CODE_ALIASES[post.group(1).upper()]
        s = s[: post.start()].strip()

    multiplier = 1
    unit_currency: str | None = None
    unit = _UNIT_RE.search(s)
    unit_text = ""
    if unit:
        unit_text = unit.group(1)
        multiplier, unit_currency = _UNITS[unit_text]
        s = s[: unit.start()].strip()
        if _UNIT_CHARS.search(s):
            raise _refuse(original, lang, "two_units")
    elif _UNIT_CHARS.search(s):
        raise _refuse(original, lang, "syntax")

    if code is not None and unit_currency is not None and code != unit_currency:
        raise _refuse(original, lang, "currency_conflict", a=code, unit=unit_text)
    currency = code or unit_currency or default_currency

    if s[:1] in ("-", "−", "﹣"):
        raise _refuse(original, lang, "negative")
    if _GROUPED.fullmatch(s):
        number = s.replace(",", "")
    elif _PLAIN.fullmatch(s):
        number = s
    elif "," in s and re.fullmatch(r"[0-9][0-9,]*(?:\.[0-9]+)?", s):
        raise _refuse(original, lang, "commas")
    else:
        raise _refuse(original, lang, "syntax")

    if _exponent_too_large(number):
        raise _refuse(original, lang, "exponent")
    minor = _exact_minor(number, multiplier)
    if minor is None:
        raise _refuse(original, lang, "precision")
    if minor > MAX_MINOR:
        raise _refuse(original, lang, "too_large", limit=MAX_MINOR)
    return Money(minor, currency)


_FULL_WIDTH_DIGITS = frozenset("０１２３４５６７８９")


def foreign_digit(text: str) -> str | None:
    """The first character of ``text`` that NFKC would read as a digit but is neither an ASCII nor a
    full-width digit (``²``, ``₂``, ``①``, ``𝟐``), or None: an amount accepts only those two kinds."""
    if text.isascii():
        return None
    for c in text:
        if not c.isascii() and c not in _FULL_WIDTH_DIGITS and any(
                d.isdigit() for d in unicodedata.normalize("NFKC", c)):
            return c
    return None


def ascii_minor(text: str, multiplier: int = 1) -> int | None:
    """The minor units of a plain ASCII number (``5600``, ``0.25``, ``1.2e8``, ``12,000,000``) times
    ``multiplier`` — or times its unit when 万, 万元, 亿, 亿元 or 元 follows it — exactly as
    ``parse_amount`` reads it; None for any other text (blanks, a currency, full-width digits …) and
    for what ``parse_amount`` refuses (it then says why).  For loops over many cells (an import)."""
    if len(text) > _MAX_LEN:
        return None
    for unit, scale in _CNY_UNITS:
        if text.endswith(unit):
            text, multiplier = text[: -len(unit)], scale
            break
    if text.isdigit() and text.isascii():
        minor: int | None = int(text) * multiplier * 100
    else:
        if _GROUPED.fullmatch(text):
            number = text.replace(",", "")
        elif _PLAIN.fullmatch(text):
            number = text
        else:
            return None
        if _exponent_too_large(number):
            return None
        minor = _exact_minor(number, multiplier)
    return minor if minor is not None and minor <= MAX_MINOR else None


def _exponent_too_large(number: str) -> bool:
    exp = _EXPONENT.search(number)
    return exp is not None and abs(int(exp.group(1))) > _MAX_EXPONENT


def _exact_minor(number: str, multiplier: int) -> int | None:
    """``number`` (ASCII digits, an optional fraction, an optional exponent within the limit; no
    commas) × ``multiplier`` in minor units, exactly; None when that is not a whole number of them."""
    mantissa, _, exp = number.lower().partition("e")
    whole, _, frac = mantissa.partition(".")
    minor = int(whole + frac) * multiplier * 100
    shift = (int(exp) if exp else 0) - len(frac)
    if shift >= 0:
        return minor * 10**shift
    minor, rest = divmod(minor, 10**-shift)
    return None if rest else minor
