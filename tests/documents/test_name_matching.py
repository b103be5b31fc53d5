"""The remembered name comparison and name keys give asn1crypto's answers: equal, unequal,
the same key or the same error, the first time and every time after."""

from __future__ import annotations

from typing import Any

import pytest
from asn1crypto import x509
from hypothesis import assume, example, given, settings
from hypothesis import strategies as st

from documents import name_matching
from documents.name_matching import name_key, names_equal, original_hashable, original_names_equal

#: Case, spacing and a replacement character (which RFC 4518 preparation refuses).
_TEXT = st.text(alphabet="Aa Bb法院\t\ufffd", min_size=1, max_size=6)
_ATTRIBUTES = st.dictionaries(
    st.sampled_from(["common_name", "organization_name", "organizational_unit_name"]),
    _TEXT,
    min_size=1,
    max_size=3,
)


def _outcome(compare: Any, left: x509.Name, right: x509.Name) -> tuple[object, ...]:
    try:
        return ("answer", compare(left, right))
    except ValueError as exc:
        return ("error", str(exc))


@settings(max_examples=300, deadline=None, database=None)
@given(left=_ATTRIBUTES, right=_ATTRIBUTES, printable=st.booleans())
@example(left={"common_name": "Court  of Ningbo"}, right={"common_name": "court of ningbo"},
         printable=False)  # fmt: skip
@example(left={"common_name": "Ab"}, right={"common_name": "aB"}, printable=True)
def test_answers_are_asn1cryptos(
    left: dict[str, str], right: dict[str, str], printable: bool
) -> None:
    # PrintableString holds letters, digits, spaces and a little punctuation only.
    assume(not printable or all(set(v) <= set("AaBb ") for v in left.values()))
    for _ in range(2):  # the second time the answer comes from memory
        a = x509.Name.build(left, use_printable=printable)
        b = x509.Name.build(right)
        assert _outcome(names_equal, a, b) == _outcome(original_names_equal, a, b)
        for name in (a, b):
            assert _key(name_key, name) == _key(original_hashable.fget, name)


def _key(prepare: Any, name: x509.Name) -> tuple[object, ...]:
    try:
        return ("key", prepare(name))
    except ValueError as exc:
        return ("error", str(exc))


def test_differently_encoded_equal_names_are_equal_and_installed() -> None:
    name_matching.install()
    utf8 = x509.Name.build({"common_name": "Court  of Ningbo", "country_name": "CN"})
    printable = x509.Name.build(
        {"common_name": "court of ningbo", "country_name": "CN"}, use_printable=True
    )
    other = x509.Name.build({"common_name": "Court of Hangzhou", "country_name": "CN"})
    assert utf8.dump() != printable.dump()
    assert utf8 == printable
    assert (utf8 != printable) is False
    assert utf8 != other
    assert (utf8 == other) is False
    assert utf8 != "CN=Court of Ningbo"  # not a name: never equal
    # Registries look certificates up by the key: equal names share it, others do not.
    assert utf8.hashable == printable.hashable != other.hashable


def test_an_unpreparable_name_fails_every_time() -> None:
    bad = {"common_name": "a\ufffdb"}
    for _ in range(2):
        with pytest.raises(ValueError, match="replacement character"):
            names_equal(x509.Name.build(bad), x509.Name.build(bad))
        with pytest.raises(ValueError, match="replacement character"):
            name_key(x509.Name.build(bad))
