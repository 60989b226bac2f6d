"""Amounts shown: integer minor units (分 / cents) of a currency as a value, displayed in either
language, compact, and in JSON (docs/money.md).  Standard library only, below the message catalogue
(which shows ``{x:money}`` fields with :func:`format_money`)."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal

CURRENCIES: tuple[str, ...] = ("CNY", "USD")


def lang_of(lang: str | None) -> str:
    """Normalise a language tag: anything starting with "zh" is Chinese, the rest English."""
    return "zh" if (lang or "").lower().startswith("zh") else "en"


@dataclass(frozen=True, order=True)
class Money:
    """An amount in integer minor units (分 / cents) and its currency code."""

    amount_minor: int
    currency: str

    def json(self) -> dict:
        return money_json(self.amount_minor, self.currency)

    def format(self, lang: str) -> str:
        return format_money(self.amount_minor, self.currency, lang)


def check_amount(amount_minor: int, currency: str) -> None:
    if isinstance(amount_minor, bool) or not isinstance(amount_minor, int):
        raise TypeError(f"amount_minor must be an int, not {type(amount_minor).__name__}")
    if currency not in CURRENCIES:
        raise ValueError(f"unknown currency {currency!r}; known: {', '.join(CURRENCIES)}")


_ZH_UNIT = {"CNY": "万元", "USD": "万美元"}

# The units amounts are shown in, in minor units (分 / cents) of their currency.
YUAN = 100
WAN = 1_000_000  # 万 (10^4)
MILLION = 100_000_000  # 10^6
YI = 10_000_000_000  # 亿 (10^8)


def round_half_up(numerator: int, denominator: int) -> int:
    """``numerator / denominator`` to the nearest integer, a half away from zero (四舍五入): integers
    only, so exact for any size."""
    q, r = divmod(abs(int(numerator)), denominator)
    if 2 * r >= denominator:
        q += 1
    return -q if numerator < 0 else q


def in_units(amount_minor: int, unit: int, decimals: int = 2) -> Decimal:
    """``amount_minor`` in ``unit`` (``WAN``, ``YI``, …) rounded half-up to ``decimals`` places, exactly
    (an integer count of hundredths, then a Decimal): the value every display of an amount shows, and
    the number an xlsx cell holds."""
    hundredths = round_half_up(int(amount_minor) * 10**decimals, unit)
    return Decimal(hundredths).scaleb(-decimals) if hundredths else Decimal(0).scaleb(-decimals)  # no -0.00


def format_units(amount_minor: int, unit: int, *, grouped: bool = True, trim: bool = False,
                 signed: bool = False) -> str:
    """The one text of an amount in ``unit``: two decimals rounded half-up (``in_units``), thousands
    separators unless not ``grouped``, trailing zeros dropped when ``trim`` (a sentence: 6.6亿, 700万),
    a ``+`` on a positive amount when ``signed`` (a change).  Every display of amounts goes through
    here: the terminal, md, csv, xlsx, html and docx (docs/money.md)."""
    value = in_units(amount_minor, unit)
    text = f"{value:,.2f}" if grouped else f"{value:.2f}"
    if trim:
        text = text.rstrip("0").rstrip(".")
    return f"+{text}" if signed and value > 0 else text


def percent_of(value: float, decimals: int = 1) -> Decimal:
    """A rate held as a share (stored rounded to 4 places: 0.7955) as a percentage with ``decimals``
    places, rounded half-up on the stored decimal value, never on its binary float (0.7955 is
    0.79549999… as a float): 0.7955 -> 79.6 at one place, 79.55 at two, so every text of one rate
    agrees with the others and with the figure in JSON.  No -0.0 (docs/lights-and-reports.md,
    "How a rate is shown")."""
    percent = (Decimal(str(value)) * 100).quantize(Decimal(1).scaleb(-decimals), ROUND_HALF_UP)
    return percent if percent else abs(percent)


def format_rate(value: float, decimals: int = 1, *, trim: bool = False, percent: bool = True) -> str:
    """The one text of a rate held as a share (0.258 -> ``25.8%``), rounded by ``percent_of``: in a
    report's tables and ``report diff`` (one place), and in a document's sentences (``decimals`` the
    ``percent_decimals`` setting, trailing zeros dropped when ``trim``: 30.7, 37; without the ``%``
    when not ``percent``)."""
    text = f"{percent_of(value, decimals):.{decimals}f}"
    if trim and "." in text:
        text = text.rstrip("0").rstrip(".")
    return f"{text}%" if percent else text


def format_score(value: float) -> str:
    """The one text of an evaluation score or points (``40.37``)."""
    return f"{float(value):.2f}"


def format_money(amount_minor: int, currency: str, lang: str) -> str:
    """Display an amount.

    zh: in 万 with two decimals (rounded half-up, exactly: ``format_units``) and separators:
    `90,000.00 万元`, `4,179.00 万美元`. en: the full amount with separators and the code:
    `CNY 900,000,000.00`.
    """
    check_amount(amount_minor, currency)
    if lang_of(lang) == "zh":
        return f"{format_units(amount_minor, WAN)} {_ZH_UNIT[currency]}"
    return f"{currency} {format_units(amount_minor, YUAN)}"


def compact_money(amount_minor: int, currency: str, lang: str) -> str:
    """A short amount for narrow columns: `¥1.23亿`, `¥5,600万` (zh); `¥1.23B`, `¥56.0M` (en); rounded
    half-up in integers like ``format_units``."""
    sym = "$" if currency == "USD" else "¥"
    if lang_of(lang) == "zh":
        if abs(amount_minor) >= YI:
            return f"{sym}{format_units(amount_minor, YI)}亿"
        if abs(amount_minor) >= WAN:
            return f"{sym}{round_half_up(amount_minor, WAN):,}万"
        return f"{sym}{round_half_up(amount_minor, YUAN):,}"
    for limit, suffix, places in ((10**11, "B", 2), (10**8, "M", 1), (10**5, "K", 1)):
        if abs(amount_minor) >= limit:
            tenths = round_half_up(amount_minor * 10**places, limit)
            return f"{sym}{Decimal(tenths).scaleb(-places):.{places}f}{suffix}"
    return f"{sym}{round_half_up(amount_minor, YUAN):,}"


def money_json(amount_minor: int, currency: str) -> dict:
    """The JSON form of an amount: `{"amount_minor": int, "currency": str}`."""
    check_amount(amount_minor, currency)
    return {"amount_minor": amount_minor, "currency": currency}
