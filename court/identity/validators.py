"""Checks of Chinese identity numbers: pure functions, no I/O.

* Resident identity card number, GB 11643-1999: 6-digit region code, 8-digit birth date,
  3-digit sequence (odd for men), 1 check character by ISO 7064 MOD 11-2.
* Unified social credit code, GB 32100-2015: 18 characters from a 31-character alphabet,
  the last a check character by a weighted sum modulo 31.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from court.identity.models import IdType


class InvalidIdNumber(ValueError):
    """The number is malformed; ``reason`` is a machine-readable word."""

    def __init__(self, reason: str) -> None:
        self.reason = reason
        super().__init__(reason)


#: First two digits of a region code: provinces, autonomous regions, municipalities,
#: Taiwan (71), Hong Kong (81), Macao (82) and the code for residence permits (83).
PROVINCE_CODES = frozenset(
    {11, 12, 13, 14, 15, 21, 22, 23, 31, 32, 33, 34, 35, 36, 37, 41, 42, 43, 44, 45, 46}
    | {50, 51, 52, 53, 54, 61, 62, 63, 64, 65, 71, 81, 82, 83}
)
_RID_WEIGHTS = tuple(pow(2, 17 - i, 11) for i in range(17))
_RID_CHECK = "10X98765432"

_USCC_ALPHABET = "0123456789ABCDEFGHJKLMNPQRTUWXY"
_USCC_WEIGHTS = (1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28)


@dataclass(frozen=True)
class ResidentId:
    number: str
    region_code: str
    birth_date: dt.date
    male: bool


@dataclass(frozen=True)
class CreditCode:
    code: str
    region_code: str


def resident_id_check_character(first17: str) -> str:
    """ISO 7064 MOD 11-2 over the first 17 digits."""
    total = sum(int(d) * w for d, w in zip(first17, _RID_WEIGHTS, strict=True))
    return _RID_CHECK[total % 11]


def validate_resident_id(raw: str, *, today: dt.date | None = None) -> ResidentId:
    """Return the parsed number, or raise InvalidIdNumber saying what is wrong."""
    number = raw.strip().upper()
    if len(number) != 18:
        raise InvalidIdNumber("length")
    if not number[:17].isdigit() or not (number[17].isdigit() or number[17] == "X"):
        raise InvalidIdNumber("characters")
    if int(number[:2]) not in PROVINCE_CODES or (number[2:6] == "0000" and number[:2] != "83"):
        raise InvalidIdNumber("region")
    try:
        birth = dt.date(int(number[6:10]), int(number[10:12]), int(number[12:14]))
    except ValueError as exc:
        raise InvalidIdNumber("birth_date") from exc
    today = today or dt.date.today()
    if birth.year < 1900 or birth > today:
        raise InvalidIdNumber("birth_date")
    if resident_id_check_character(number[:17]) != number[17]:
        raise InvalidIdNumber("check_character")
    return ResidentId(
        number=number, region_code=number[:6], birth_date=birth, male=int(number[16]) % 2 == 1
    )


def credit_code_check_character(first17: str) -> str:
    total = sum(_USCC_ALPHABET.index(c) * w for c, w in zip(first17, _USCC_WEIGHTS, strict=True))
    return _USCC_ALPHABET[(31 - total % 31) % 31]


def validate_credit_code(raw: str) -> CreditCode:
    """Return the parsed unified social credit code, or raise InvalidIdNumber."""
    code = raw.strip().upper()
    if len(code) != 18:
        raise InvalidIdNumber("length")
    if any(c not in _USCC_ALPHABET for c in code):
        raise InvalidIdNumber("characters")
    if not code[2:8].isdigit() or int(code[2:4]) not in PROVINCE_CODES:
        raise InvalidIdNumber("region")
    if credit_code_check_character(code[:17]) != code[17]:
        raise InvalidIdNumber("check_character")
    return CreditCode(code=code, region_code=code[2:8])


def canonical_id(kind: str, raw: str) -> tuple[IdType, str]:
    """The ID type and the canonical number of a natural person's resident ID or an
    organisation's unified social credit code (``kind`` "organisation"); raise
    InvalidIdNumber. Verification and the parties a complaint names use the same form, so
    their matching values agree."""
    if kind == "organisation":
        return IdType.CREDIT_CODE, validate_credit_code(raw).code
    return IdType.RESIDENT_ID, validate_resident_id(raw).number
