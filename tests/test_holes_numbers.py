"""Amounts accept only ASCII and full-width digits (docs/money.md)."""

from __future__ import annotations

import pytest

from workflow.errors import BadInput
from workflow.money import foreign_digit, parse_amount
from workflow.progress import parse_year_plans


@pytest.mark.parametrize("text", ["10²万", "₁₀万", "①万", "𝟏𝟎万", "1⁰", "USD 1²"])
def test_compatibility_digits_are_refused(text: str) -> None:
    with pytest.raises(BadInput) as e:
        parse_amount(text)
    assert "digits" in str(e.value)


def test_full_width_digits_still_parse() -> None:
    assert parse_amount("１２，０００．５").amount_minor == 1_200_050
    assert parse_amount("５６００万").amount_minor == 5600 * 10_000 * 100
    assert foreign_digit("５６００万元") is None


def test_year_plan_refuses_compatibility_digits() -> None:
    with pytest.raises(BadInput):
        parse_year_plans(["2026=10²万"])
    assert parse_year_plans(["２０２６＝１０万"]) == {2026: 10 * 10_000 * 100}
