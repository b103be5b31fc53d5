"""Hash, prove and verify an append-only Merkle tree exactly as RFC 9162 §2.1 (CT v2).

Two families of proof generators live here. The list-based ones (``inclusion_proof``,
``consistency_proof``) follow the RFC's recursive definitions word for word over a full list
of leaf hashes; they are the reference for tests and small trees. The subtree-based ones
(``*_from_subtrees``) ask a callable for the hash of *complete* subtrees only, addressed as
``(level, index)`` where level L index i covers leaves [i * 2**L, (i + 1) * 2**L), so a store
that keeps those hashes answers any proof in O(log n) look-ups; ``*_nodes`` lists the
addresses in advance so the store can fetch them in one query.

The verifiers fail closed: they return ``None`` or raise ``ProofError``, never a bool.
"""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Callable, Sequence

from signing.evidence.errors import ProofError, ProofRangeError

#: Size of every hash in the tree (SHA-256).
HASH_SIZE = 32
#: RFC 9162 §2.1.1: the hash of an empty tree is the hash of an empty string.
EMPTY_ROOT = hashlib.sha256(b"").digest()
#: Leaf indexes and tree sizes are uint64 on the wire (RFC 9162 §4.5, §4.6).
_MAX_UINT64 = 2**64 - 1

#: Hash of the complete subtree at (level, index).
SubtreeHash = Callable[[int, int], bytes]
#: Half-open leaf range [start, end).
_Range = tuple[int, int]


def leaf_hash(data: bytes) -> bytes:
    """Return SHA-256(0x00 || data), the leaf hash of RFC 9162 §2.1.1."""
    return hashlib.sha256(b"\x00" + data).digest()


def node_hash(left: bytes, right: bytes) -> bytes:
    """Return SHA-256(0x01 || left || right), the interior node hash of RFC 9162 §2.1.1."""
    return hashlib.sha256(b"\x01" + left + right).digest()


def _split(n: int) -> int:
    """Return k, the largest power of two smaller than n (n > 1), as in RFC 9162 §2.1.1."""
    return 1 << ((n - 1).bit_length() - 1)


# --- Reference generators over a full list of leaf hashes -------------------------------


def root_from_leaf_hashes(hashes: Sequence[bytes]) -> bytes:
    """Return MTH(D[n]) of RFC 9162 §2.1.1 for already-hashed leaves."""
    n = len(hashes)
    if n == 0:
        return EMPTY_ROOT
    if n == 1:
        return hashes[0]
    k = _split(n)
    return node_hash(root_from_leaf_hashes(hashes[:k]), root_from_leaf_hashes(hashes[k:]))


def inclusion_proof(leaf_hashes: Sequence[bytes], index: int) -> list[bytes]:
    """Return PATH(index, D[n]) of RFC 9162 §2.1.3.1, from the leaf up to the root."""
    _require_leaf(index, len(leaf_hashes))
    return _path(index, leaf_hashes)


def _path(m: int, d: Sequence[bytes]) -> list[bytes]:
    n = len(d)
    if n == 1:
        return []  # PATH(0, {d(0)}) = {}
    k = _split(n)
    if m < k:
        return [*_path(m, d[:k]), root_from_leaf_hashes(d[k:])]
    return [*_path(m - k, d[k:]), root_from_leaf_hashes(d[:k])]


def consistency_proof(leaf_hashes: Sequence[bytes], old_size: int) -> list[bytes]:
    """Return PROOF(old_size, D[n]) of RFC 9162 §2.1.4.1; empty when nothing was appended."""
    _require_sizes(old_size, len(leaf_hashes))
    return _subproof(old_size, leaf_hashes, complete=True)


def _subproof(m: int, d: Sequence[bytes], *, complete: bool) -> list[bytes]:
    n = len(d)
    if m == n:
        # SUBPROOF(m, D[m], true) = {}; SUBPROOF(m, D[m], false) = {MTH(D[m])}
        return [] if complete else [root_from_leaf_hashes(d)]
    k = _split(n)
    if m <= k:
        return [*_subproof(m, d[:k], complete=complete), root_from_leaf_hashes(d[k:])]
    return [*_subproof(m - k, d[k:], complete=False), root_from_leaf_hashes(d[:k])]


# --- Generators over stored complete subtrees -------------------------------------------


def root_nodes(tree_size: int) -> list[tuple[int, int]]:
    """Return the complete subtrees ``root_from_subtrees`` reads, largest first."""
    _require_uint64("tree_size", tree_size, ProofRangeError)
    return _range_nodes(0, tree_size)


def root_from_subtrees(tree_size: int, subtree_hash: SubtreeHash) -> bytes:
    """Return MTH of the first ``tree_size`` leaves from complete-subtree hashes."""
    _require_uint64("tree_size", tree_size, ProofRangeError)
    return _range_hash(0, tree_size, subtree_hash)


def inclusion_nodes(index: int, tree_size: int) -> list[tuple[int, int]]:
    """Return the complete subtrees ``inclusion_proof_from_subtrees`` reads, in order."""
    _require_leaf(index, tree_size)
    return [
        node
        for start, end in _inclusion_ranges(index, tree_size)
        for node in _range_nodes(start, end)
    ]


def inclusion_proof_from_subtrees(
    index: int, tree_size: int, subtree_hash: SubtreeHash
) -> list[bytes]:
    """Return the RFC 9162 §2.1.3.1 inclusion proof built from complete-subtree hashes."""
    _require_leaf(index, tree_size)
    return [_range_hash(s, e, subtree_hash) for s, e in _inclusion_ranges(index, tree_size)]


def consistency_nodes(size1: int, size2: int) -> list[tuple[int, int]]:
    """Return the complete subtrees ``consistency_proof_from_subtrees`` reads, in order."""
    _require_sizes(size1, size2)
    return [
        node
        for start, end in _consistency_ranges(size1, size2)
        for node in _range_nodes(start, end)
    ]


def consistency_proof_from_subtrees(
    size1: int, size2: int, subtree_hash: SubtreeHash
) -> list[bytes]:
    """Return the RFC 9162 §2.1.4.1 consistency proof built from complete-subtree hashes."""
    _require_sizes(size1, size2)
    return [_range_hash(s, e, subtree_hash) for s, e in _consistency_ranges(size1, size2)]


def _inclusion_ranges(index: int, tree_size: int) -> list[_Range]:
    """Return the leaf ranges whose MTH form PATH(index, D[tree_size]), leaf first.

    Walks the RFC 9162 §2.1.3.1 recursion from the root down, keeping the sibling range
    at each split; the RFC appends the top sibling last, hence the final reversal.
    """
    siblings: list[_Range] = []
    start, end = 0, tree_size
    while end - start > 1:
        mid = start + _split(end - start)
        if index < mid:
            siblings.append((mid, end))
            end = mid
        else:
            siblings.append((start, mid))
            start = mid
    siblings.reverse()
    return siblings


def _consistency_ranges(size1: int, size2: int) -> list[_Range]:
    """Return the leaf ranges whose MTH form PROOF(size1, D[size2]), innermost first.

    Walks SUBPROOF of RFC 9162 §2.1.4.1 from the root down with absolute bounds: ``size1``
    against ``mid`` is the RFC's ``m <= k``; ``complete`` is its boolean ``b``.
    """
    parts: list[_Range] = []
    start, end, complete = 0, size2, True
    while size1 != end:
        mid = start + _split(end - start)
        if size1 <= mid:
            parts.append((mid, end))
            end = mid
        else:
            parts.append((start, mid))
            start, complete = mid, False
    if not complete:
        parts.append((start, end))  # SUBPROOF(m, D[m], false) = {MTH(D[m])}
    parts.reverse()
    return parts


def _range_nodes(start: int, end: int) -> list[tuple[int, int]]:
    """Decompose [start, end) into complete subtrees, the largest power of two first.

    Valid for every range the MTH recursion produces: such a range starts at a multiple of
    a power of two at least its length, so each piece taken here is aligned.
    """
    nodes: list[tuple[int, int]] = []
    while start < end:
        level = (end - start).bit_length() - 1
        nodes.append((level, start >> level))
        start += 1 << level
    return nodes


def _range_hash(start: int, end: int, subtree_hash: SubtreeHash) -> bytes:
    """Return MTH(D[start:end]): complete pieces fold from the right, as MTH recurses."""
    hashes = [subtree_hash(level, index) for level, index in _range_nodes(start, end)]
    if not hashes:
        return EMPTY_ROOT
    result = hashes.pop()
    while hashes:
        result = node_hash(hashes.pop(), result)
    return result


# --- Verifiers ------------------------------------------------------------------------


def verify_inclusion(
    leaf_hash: bytes, index: int, tree_size: int, proof: Sequence[bytes], root: bytes
) -> None:
    """Check that ``leaf_hash`` is leaf ``index`` of the tree with ``root``; raise ProofError.

    Implements RFC 9162 §2.1.3.2. The proof binds the leaf to the root, not to the size:
    ``tree_size`` and ``root`` must come together from one signed checkpoint.
    """
    _require_hash("leaf_hash", leaf_hash)
    _require_proof(proof)
    _require_uint64("leaf_index", index, ProofError)
    _require_uint64("tree_size", tree_size, ProofError)
    # 1. leaf_index >= tree_size fails.
    if index >= tree_size:
        raise ProofError("index_out_of_range", f"leaf {index} in a tree of {tree_size}")
    # 2. fn = leaf_index, sn = tree_size - 1.
    fn, sn = index, tree_size - 1
    # 3. r = hash.
    r = leaf_hash
    # 4. For each p in inclusion_path:
    for p in proof:
        # 4a. sn == 0 means the path is longer than the tree is deep.
        if sn == 0:
            raise ProofError("proof_too_long", f"{len(proof)} hashes")
        # 4b. LSB(fn) set or fn == sn: p is a left sibling.
        if fn & 1 or fn == sn:
            r = node_hash(p, r)
            # 4b.2 Skip levels where this node has no right sibling.
            if not fn & 1:
                fn, sn = _shift_while_even(fn, sn)
        # 4c. Otherwise p is a right sibling.
        else:
            r = node_hash(r, p)
        # 4d. Right-shift both fn and sn once.
        fn, sn = fn >> 1, sn >> 1
    # 5. sn must be 0 and r must equal root_hash.
    if sn != 0:
        raise ProofError("proof_too_short", f"{len(proof)} hashes")
    if not hmac.compare_digest(r, root):
        raise ProofError("root_mismatch", "the proof leads to a different root")


def verify_consistency(
    size1: int, size2: int, root1: bytes, root2: bytes, proof: Sequence[bytes]
) -> None:
    """Check that the tree (size2, root2) extends (size1, root1); raise ProofError.

    Implements RFC 9162 §2.1.4.2, after the cases the RFC leaves out (§2.1.4.1 defines
    proofs for 0 < size1 < size2 only): equal sizes need an empty proof and equal roots,
    and an empty old tree proves nothing, so it is refused.
    """
    _require_uint64("size1", size1, ProofError)
    _require_uint64("size2", size2, ProofError)
    _require_proof(proof)
    if size1 > size2:
        raise ProofError("size_order", f"size1 {size1} > size2 {size2}")
    if size1 == 0:
        raise ProofError("empty_old_tree", "a consistency proof from size 0 proves nothing")
    if size1 == size2:
        if proof:
            raise ProofError("proof_not_empty", "equal sizes need an empty proof")
        if not hmac.compare_digest(root1, root2):
            raise ProofError("root_mismatch", "equal sizes with different roots")
        return
    _verify_consistency_path(size1, size2, root1, root2, proof)


def _verify_consistency_path(
    size1: int, size2: int, root1: bytes, root2: bytes, proof: Sequence[bytes]
) -> None:
    """Run RFC 9162 §2.1.4.2 steps 1-7 for 0 < size1 < size2."""
    # 1. An empty consistency_path fails.
    if not proof:
        raise ProofError("empty_proof", f"no hashes for sizes {size1} -> {size2}")
    path = list(proof)
    # 2. If first is an exact power of 2, prepend first_hash.
    if size1 & (size1 - 1) == 0:
        path.insert(0, root1)
    # 3. fn = first - 1, sn = second - 1.
    fn, sn = size1 - 1, size2 - 1
    # 4. If LSB(fn) is set, right-shift fn and sn until it is not.
    while fn & 1:
        fn, sn = fn >> 1, sn >> 1
    # 5. fr = sr = the first value of consistency_path.
    fr = sr = path[0]
    # 6. For each subsequent value c:
    for c in path[1:]:
        # 6a. sn == 0 means the path is too long.
        if sn == 0:
            raise ProofError("proof_too_long", f"{len(proof)} hashes")
        # 6b. LSB(fn) set or fn == sn: c is a left sibling of both trees' nodes.
        if fn & 1 or fn == sn:
            fr = node_hash(c, fr)
            sr = node_hash(c, sr)
            # 6b.3 Skip levels where the old tree's node has no right sibling.
            if not fn & 1:
                fn, sn = _shift_while_even(fn, sn)
        # 6c. Otherwise c lies beyond the old tree: only sr takes it.
        else:
            sr = node_hash(sr, c)
        # 6d. Right-shift both fn and sn once.
        fn, sn = fn >> 1, sn >> 1
    # 7. fr must equal first_hash, sr second_hash, and sn must be 0.
    if sn != 0:
        raise ProofError("proof_too_short", f"{len(proof)} hashes")
    if not hmac.compare_digest(fr, root1):
        raise ProofError("root1_mismatch", "the proof leads to a different old root")
    if not hmac.compare_digest(sr, root2):
        raise ProofError("root2_mismatch", "the proof leads to a different new root")


def _shift_while_even(fn: int, sn: int) -> tuple[int, int]:
    """Right-shift fn and sn until LSB(fn) is set or fn is 0 (RFC 9162 §2.1.3.2, §2.1.4.2)."""
    while fn and not fn & 1:
        fn, sn = fn >> 1, sn >> 1
    return fn, sn


# --- Argument checks ----------------------------------------------------------------


def _require_uint64(name: str, value: int, error: type[ProofError | ProofRangeError]) -> None:
    if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value <= _MAX_UINT64:
        raise error("not_uint64", f"{name} must be an integer in [0, 2**64)")


def _require_hash(name: str, value: bytes) -> None:
    if not isinstance(value, bytes) or len(value) != HASH_SIZE:
        raise ProofError("bad_hash_length", f"{name} must be {HASH_SIZE} bytes")


def _require_proof(proof: Sequence[bytes]) -> None:
    for position, element in enumerate(proof):
        _require_hash(f"proof[{position}]", element)


def _require_leaf(index: int, tree_size: int) -> None:
    _require_uint64("index", index, ProofRangeError)
    _require_uint64("tree_size", tree_size, ProofRangeError)
    if index >= tree_size:
        raise ProofRangeError("index_out_of_range", f"leaf {index} in a tree of {tree_size}")


def _require_sizes(size1: int, size2: int) -> None:
    _require_uint64("size1", size1, ProofRangeError)
    _require_uint64("size2", size2, ProofRangeError)
    if not 0 < size1 <= size2:
        raise ProofRangeError("sizes_out_of_range", f"need 0 < {size1} <= {size2}")
