"""ID number checks (GB 11643 resident ID, GB 32100 credit code)."""

from __future__ import annotations

import datetime as dt

import pytest

from court.identity.validators import (
    InvalidIdNumber,
    validate_credit_code,
    validate_resident_id,
)

TODAY = dt.date(2026, 11, 28)


def test_the_standard_example_resident_id_is_valid() -> None:
    parsed = validate_resident_id("11010519491231002X", today=TODAY)
    assert parsed.birth_date == dt.date(1949, 12, 31)
    assert parsed.region_code == "110105"
    assert parsed.male is False


def test_a_lower_case_check_x_is_accepted_and_normalised() -> None:
    assert validate_resident_id("11010519491231002x", today=TODAY).number.endswith("X")


@pytest.mark.parametrize(
    ("number", "reason"),
    [
        ("110105194912310021", "check_character"),  # right shape, wrong check character
        ("110105194902300027", "birth_date"),  # 30 February
        ("110105213001010010", "birth_date"),  # born in 2130
        ("110105180001010010", "birth_date"),  # before 1900
        ("990105194912310021", "region"),  # no province 99
        ("11010519491231002", "length"),
        ("1101051949123100AX", "characters"),
    ],
)
def test_bad_resident_ids_are_refused_with_the_reason(number: str, reason: str) -> None:
    with pytest.raises(InvalidIdNumber) as caught:
        validate_resident_id(number, today=TODAY)
    assert caught.value.reason == reason


def test_the_standard_example_credit_code_is_valid() -> None:
    assert validate_credit_code("91350100M000100Y43").region_code == "350100"


@pytest.mark.parametrize(
    ("code", "reason"),
    [
        ("91350100M000100Y44", "check_character"),
        ("91350100M000100I43", "characters"),  # I is not in the alphabet
        ("9135010", "length"),
        ("91990100M000100Y43", "region"),
    ],
)
def test_bad_credit_codes_are_refused(code: str, reason: str) -> None:
    with pytest.raises(InvalidIdNumber) as caught:
        validate_credit_code(code)
    assert caught.value.reason == reason
