"""Money: parsing every accepted form exactly, refusing the rest, display in both languages."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from workflow.amounts import MILLION, WAN, YI, Money, compact_money, format_money, format_units, in_units, money_json
from workflow.errors import BadInput
from workflow.money import ACCEPTED_FORMS, MAX_MINOR, parse_amount


@pytest.mark.parametrize(
    ("text", "minor", "currency"),
    [
        ("120000000", 12_000_000_000, "CNY"),
        ("1.2e8", 12_000_000_000, "CNY"),
        ("1.2E8", 12_000_000_000, "CNY"),
        ("5600万", 5_600_000_000, "CNY"),
        ("5600万元", 5_600_000_000, "CNY"),
        ("6.6亿", 66_000_000_000, "CNY"),
        ("6.6亿元", 66_000_000_000, "CNY"),
        ("4179万美元", 4_179_000_000, "USD"),
        ("12,000,000", 1_200_000_000, "CNY"),
        ("120000000.50", 12_000_000_050, "CNY"),
        ("120000000.5", 12_000_000_050, "CNY"),
        ("1,234.56", 123_456, "CNY"),
        ("1.5万", 1_500_000, "CNY"),
        ("  5600万元\t", 5_600_000_000, "CNY"),
        ("5600 万元", 5_600_000_000, "CNY"),
        ("1.23456万", 1_234_560, "CNY"),
        ("0.01", 1, "CNY"),
        ("1e-2", 1, "CNY"),
        ("0", 0, "CNY"),
        ("100元", 10_000, "CNY"),
        ("50美元", 5_000, "USD"),
        ("1.2亿美元", 12_000_000_000, "USD"),
        ("USD 1,000", 100_000, "USD"),
        ("1000 USD", 100_000, "USD"),
        ("usd1000", 100_000, "USD"),
        ("CNY 900,000,000.00", 90_000_000_000, "CNY"),
        ("RMB 3亿", 30_000_000_000, "CNY"),
        ("CNY 5600万元", 5_600_000_000, "CNY"),
        ("USD 4179万美元", 4_179_000_000, "USD"),
        ("90,000.00 万元", 90_000_000_000, "CNY"),
        ("4,179.00 万美元", 4_179_000_000, "USD"),
        ("１２，０００", 1_200_000, "CNY"),  # full-width digits and comma
        ("5600万元", 5_600_000_000, "CNY"),
        ("90000000000000", MAX_MINOR, "CNY"),
    ],
)
def test_accepted_forms_exact(text: str, minor: int, currency: str) -> None:
    assert parse_amount(text) == Money(minor, currency)


def test_every_listed_form_parses() -> None:
    for form in ACCEPTED_FORMS:
        assert parse_amount(form).amount_minor > 0


def test_default_currency() -> None:
    assert parse_amount("1000", default_currency="USD") == Money(100_000, "USD")
    assert parse_amount("1000万元", default_currency="USD") == Money(1_000_000_000, "CNY")
    with pytest.raises(BadInput):
        parse_amount("1000", default_currency="EUR")


@pytest.mark.parametrize(
    "text",
    [
        "",
        "   ",
        "abc",
        "-5",
        "-5万元",
        "−5",
        "+5",
        "nan",
        "NaN",
        "inf",
        "Infinity",
        "1e",
        "e8",
        "1.2e8.5",
        "1,2,3",
        "1,23",
        "1234,567",
        "1,234,56",
        "12,000.000,1",
        "1,000e3",
        ",100",
        "100,",
        ".5",
        "5.",
        "12 000",
        "万",
        "万万",
        "5600万万",
        "5600万亿",
        "5600亿万",
        "5600万元元",
        "万5600",
        "5600 万 元",
        "五千",
        "5600千",
        "1.2345678万",
        "0.001",
        "1e-3",
        "120000000.505",
        "90000000000000.01",
        "9e16",
        "1e99999",
        "1e-99999",
        "USD 5万元",
        "CNY 5美元",
        "USD 5 CNY",
        "EUR 100",
        "100 EUR",
        "100 dollars",
        "$100",
        "0x10",
        "1_000",
        "1" * 70,
    ],
)
def test_refused_forms(text: str) -> None:
    with pytest.raises(BadInput) as caught:
        parse_amount(text)
    message = caught.value.message
    assert repr(text) in message
    for form in ACCEPTED_FORMS:
        assert form in message
    assert caught.value.exit_code == 2


def test_refusal_message_lists_forms_in_english() -> None:
    with pytest.raises(BadInput) as caught:
        parse_amount("abc")
    assert caught.value.message.startswith("not an amount: 'abc'")
    assert "accepted forms: 120000000, 120000000.50, 1.2e8, 12,000,000" in caught.value.message
    assert "4179万美元 (USD)" in caught.value.message


def test_refusal_message_in_chinese() -> None:
    with pytest.raises(BadInput) as caught:
        parse_amount("-5", lang="zh")
    zh = caught.value.text("zh")
    assert zh.startswith("无法识别的金额：'-5'（不接受负数金额）")
    assert "可接受的格式：" in zh
    assert "4179万美元（美元）" in zh


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        ("-5", "negative"),
        ("1,2,3", "thousands separator"),
        ("万万", "more than one unit"),
        ("0.001", "finer than one cent"),
        ("9e16", "larger than the limit"),
        ("USD 5万元", "contradicts"),
    ],
)
def test_refusal_names_reason(text: str, reason: str) -> None:
    with pytest.raises(BadInput, match=reason):
        parse_amount(text)


@pytest.mark.parametrize(
    ("minor", "currency", "lang", "shown"),
    [
        (90_000_000_000, "CNY", "zh", "90,000.00 万元"),
        (4_179_000_000, "USD", "zh", "4,179.00 万美元"),
        (90_000_000_000, "CNY", "en", "CNY 900,000,000.00"),
        (4_179_000_000, "USD", "en", "USD 41,790,000.00"),
        (0, "CNY", "zh", "0.00 万元"),
        (0, "CNY", "en", "CNY 0.00"),
        (1, "CNY", "en", "CNY 0.01"),
        (123_456, "CNY", "en", "CNY 1,234.56"),
        # 万 display rounds half-up, exactly
        (4_999, "CNY", "zh", "0.00 万元"),
        (5_000, "CNY", "zh", "0.01 万元"),
        (1_234_565_000, "CNY", "zh", "1,234.57 万元"),
        (1_234_564_999, "CNY", "zh", "1,234.56 万元"),
        (MAX_MINOR, "CNY", "zh", "9,000,000,000.00 万元"),
        (MAX_MINOR, "CNY", "en", "CNY 90,000,000,000,000.00"),
        (-5_000, "CNY", "zh", "-0.01 万元"),
        (-4_999, "CNY", "zh", "0.00 万元"),
        (-123_456, "USD", "en", "USD -1,234.56"),
        (90_000_000_000, "CNY", "zh_CN", "90,000.00 万元"),
        (90_000_000_000, "CNY", "en_US", "CNY 900,000,000.00"),
    ],
)
def test_format_money(minor: int, currency: str, lang: str, shown: str) -> None:
    assert format_money(minor, currency, lang) == shown


@pytest.mark.parametrize(
    ("minor", "unit", "kw", "shown"),
    [
        (12_345_000, WAN, {}, "12.35"),  # 12.345万: a half goes up (half-even would give 12.34)
        (12_335_000, WAN, {}, "12.34"),
        (12_250_000_000, YI, {"trim": True}, "1.23"),  # 1.225亿
        (12_250_000_000, WAN, {}, "12,250.00"),
        (12_250_000_000, WAN, {"grouped": False}, "12250.00"),
        (70_000_000_000, YI, {"trim": True}, "7"),
        (-12_345_000, WAN, {}, "-12.35"),  # away from zero, as 四舍五入 is taught
        (-4_999, WAN, {}, "0.00"),  # never "-0.00"
        (12_345_000, WAN, {"signed": True}, "+12.35"),
        (0, WAN, {"signed": True}, "0.00"),
        (122_500_000, MILLION, {"trim": True}, "1.23"),
        (MAX_MINOR * 10 + 5, 10, {}, "9,000,000,000,000,000.50"),  # integers: exact at any size
    ],
)
def test_format_units_rounds_half_up_in_integers(minor: int, unit: int, kw: dict, shown: str) -> None:
    assert format_units(minor, unit, **kw) == shown
    if not kw:  # the number an xlsx cell holds is the one shown
        assert f"{in_units(minor, unit):,.2f}" == shown


def test_compact_money_rounds_half_up() -> None:
    assert compact_money(12_250_000_000, "CNY", "zh") == "¥1.23亿"
    assert compact_money(56_005_000_000 // 10, "CNY", "zh") == "¥5,601万"  # 5600.5万
    assert compact_money(12_345_000, "CNY", "en") == "¥123.5K"  # 123.45K
    assert compact_money(9_999, "CNY", "zh") == "¥100"


def test_format_refuses_bad_arguments() -> None:
    with pytest.raises(ValueError):
        format_money(100, "EUR", "en")
    with pytest.raises(TypeError):
        format_money(1.5, "CNY", "en")  # type: ignore[arg-type]
    with pytest.raises(TypeError):
        money_json(True, "CNY")  # type: ignore[arg-type]


def test_money_json_and_helpers() -> None:
    assert money_json(4_179_000_000, "USD") == {"amount_minor": 4_179_000_000, "currency": "USD"}
    m = parse_amount("5600万元")
    assert m.json() == {"amount_minor": 5_600_000_000, "currency": "CNY"}
    assert m.format("zh") == "5,600.00 万元"
    assert m.format("en") == "CNY 56,000,000.00"
    assert Money(1, "CNY") < Money(2, "CNY")
    with pytest.raises(AttributeError):
        m.amount_minor = 3  # type: ignore[misc]


@given(st.integers(min_value=0, max_value=MAX_MINOR // 100))
def test_integer_round_trip(n: int) -> None:
    assert parse_amount(str(n)) == Money(n * 100, "CNY")


@given(st.integers(min_value=0, max_value=MAX_MINOR), st.sampled_from(["CNY", "USD"]))
def test_english_display_round_trips(minor: int, currency: str) -> None:
    assert parse_amount(format_money(minor, currency, "en")) == Money(minor, currency)


@given(st.integers(min_value=0, max_value=MAX_MINOR // 10_000).map(lambda n: n * 10_000))
def test_chinese_display_round_trips_whole_yuan_hundreds(minor: int) -> None:
    # Whole 百元 (10,000 分) amounts are shown exactly in 万 with two decimals.
    for currency in ("CNY", "USD"):
        assert parse_amount(format_money(minor, currency, "zh")) == Money(minor, currency)


@given(st.text(max_size=20))
def test_arbitrary_text_parses_or_refuses_cleanly(text: str) -> None:
    try:
        m = parse_amount(text)
    except BadInput:
        return
    assert isinstance(m.amount_minor, int)
    assert 0 <= m.amount_minor <= MAX_MINOR
    assert m.currency in ("CNY", "USD")
