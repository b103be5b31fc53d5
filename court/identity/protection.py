"""Keep ID numbers usable for matching but unreadable from a database dump.

Two values are stored per number: an HMAC-SHA256 under a key derived from the data key
(equal numbers match, a dump cannot be brute-forced without the key), and an AES-256-GCM
ciphertext for the rare lawful need to read the number back. Both keys live outside the
database.
"""

from __future__ import annotations

import hashlib
import hmac
import os

from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from court.instance import derive_key

_NONCE_BYTES = 12


class IdNumberProtector:
    def __init__(self, data_key: bytes) -> None:
        self._match_key = derive_key(data_key, "id-number/match")
        self._aead = AESGCM(derive_key(data_key, "id-number/seal"))

    def match_value(self, id_type: str, number: str) -> str:
        return hmac.new(self._match_key, f"{id_type}:{number}".encode(), hashlib.sha256).hexdigest()

    def seal(self, id_type: str, number: str) -> bytes:
        nonce = os.urandom(_NONCE_BYTES)
        return nonce + self._aead.encrypt(nonce, number.encode(), id_type.encode())

    def unseal(self, id_type: str, sealed: bytes) -> str:
        nonce, ciphertext = sealed[:_NONCE_BYTES], sealed[_NONCE_BYTES:]
        return self._aead.decrypt(nonce, ciphertext, id_type.encode()).decode()


def mask_id_number(number: str) -> str:
    """Show the first 3 and last 4 characters only, as Chinese government sites do."""
    return f"{number[:3]}{'*' * (len(number) - 7)}{number[-4:]}"


def mask_name(name: str) -> str:
    """Show a name's first character (the family name) and, past two characters, its last:
    张* for 张三, 孙*伟 for 孙大伟, 宁******司 for an organisation. For whom the name is
    not shown in full: someone who may not be that person."""
    if len(name) <= 2:
        return name[:1] + "*" * (len(name) - 1) if len(name) > 1 else "*"
    return f"{name[0]}{'*' * (len(name) - 2)}{name[-1]}"
