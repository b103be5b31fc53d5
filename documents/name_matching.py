"""RFC 5280 name comparison, remembered by encoding, installed into asn1crypto.

Verifying a court document compares the same few distinguished names (the court root's,
its CAs', the time-stamping authority's) hundreds of times: pyHanko finds a signer's
certificate by issuer name among those in the CMS, and the path builder and the CRL
checks match issuers to subjects. asn1crypto compares two names by RFC 5280 §7.1 string
preparation (RFC 4518: mapping, NFKC normalisation, prohibited-character checks) of every
attribute of both, afresh for every parsed copy of a certificate, and every signature and
time stamp parses its own copies. On the P2 benchmark that was a fifth of a verification;
the same preparation for ``Name.hashable`` (the key certificate registries and CRL issuer
checks look names up by) was another tenth.

Both answers depend only on the names' DER encodings, so they are kept by them: the first
comparison of a pair (or the first key of a name) runs asn1crypto's own code, every later one
is a dictionary lookup. An error (a name that cannot be prepared) is raised every time and
never remembered. ``tests/documents/test_name_matching.py`` checks that the answers are
asn1crypto's.
"""

from __future__ import annotations

from typing import Any

from asn1crypto import x509

#: asn1crypto's comparison (taken from where ``install`` keeps it if this module is ever
#: loaded a second time, so that it is never wrapped twice).
original_names_equal = getattr(x509.Name, "_original_eq", x509.Name.__eq__)
x509.Name._original_eq = original_names_equal
original_hashable = getattr(x509.Name, "_original_hashable", x509.Name.hashable)
x509.Name._original_hashable = original_hashable

#: Enough for every name a court's PKI has, many times over; emptied when full.
_LIMIT = 4096
_known: dict[tuple[bytes, bytes], bool] = {}
_keys: dict[bytes, str] = {}


def names_equal(self: x509.Name, other: Any) -> bool:
    """Compare two names as asn1crypto does (RFC 5280 §7.1), remembering the answer."""
    if not isinstance(other, x509.Name):
        return False
    key = (self.dump(), other.dump())
    known = _known.get(key)
    if known is None:
        known = bool(original_names_equal(self, other))
        if len(_known) >= _LIMIT:
            _known.clear()
        _known[key] = known
    return known


def name_key(name: x509.Name) -> str:
    """Return asn1crypto's ``Name.hashable`` (the prepared form), remembering it."""
    der = name.dump()
    key = _keys.get(der)
    if key is None:
        key = str(original_hashable.fget(name))
        if len(_keys) >= _LIMIT:
            _keys.clear()
        _keys[der] = key
    return key


def install() -> None:
    """Make asn1crypto's ``Name ==`` and ``Name.hashable`` use the remembered answers
    (idempotent)."""
    x509.Name.__eq__ = names_equal
    x509.Name.hashable = property(name_key)
