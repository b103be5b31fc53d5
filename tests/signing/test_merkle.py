"""RFC 9162 Merkle proofs: the transparency-dev vectors, and store-style proofs vs the RFC."""

from __future__ import annotations

import base64
import hashlib
import json
from pathlib import Path

import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from signing.evidence.errors import ProofError, ProofRangeError
from signing.evidence.merkle import (
    EMPTY_ROOT,
    consistency_nodes,
    consistency_proof,
    consistency_proof_from_subtrees,
    inclusion_nodes,
    inclusion_proof,
    inclusion_proof_from_subtrees,
    leaf_hash,
    node_hash,
    root_from_leaf_hashes,
    root_from_subtrees,
    root_nodes,
    verify_consistency,
    verify_inclusion,
)

DATA = Path(__file__).parent / "data" / "merkle"
INCLUSION_FILES = sorted((DATA / "inclusion").rglob("*.json"))
CONSISTENCY_FILES = sorted((DATA / "consistency").rglob("*.json"))
#: The leaves behind the vectors (transparency-dev/merkle testonly.LeafInputs).
VECTOR_LEAVES = [
    b"",
    b"\x00",
    b"\x10",
    b"\x20\x21",
    b"\x30\x31",
    b"\x40\x41\x42\x43",
    bytes(range(0x50, 0x58)),
    bytes(range(0x60, 0x70)),
]
MAX_SIZE = 300
#: Distinct leaves for the property tests, shared read-only.
LEAVES = [leaf_hash(b"record %d" % i) for i in range(2 * MAX_SIZE)]
PROPERTIES = settings(max_examples=150, deadline=None, database=None)


def _load(path: Path) -> dict:
    return json.loads(path.read_text(encoding="utf-8"))


def _b64(text: str) -> bytes:
    return base64.b64decode(text)


def _proof(vector: dict) -> list[bytes]:
    return [_b64(p) for p in vector["proof"] or []]


def _id(path: Path) -> str:
    return str(path.relative_to(DATA))


class SubtreeStore:
    """Complete-subtree hashes by (level, index), as a database would keep them."""

    def __init__(self, hashes: list[bytes]) -> None:
        self.table: dict[tuple[int, int], bytes] = {}
        self.asked: list[tuple[int, int]] = []
        level, row = 0, list(hashes)
        while row:
            self.table.update({(level, i): h for i, h in enumerate(row)})
            row = [node_hash(row[2 * i], row[2 * i + 1]) for i in range(len(row) // 2)]
            level += 1

    def __call__(self, level: int, index: int) -> bytes:
        self.asked.append((level, index))
        return self.table[(level, index)]  # KeyError: asked for an incomplete subtree


def flip(data: bytes, bit: int) -> bytes:
    position, mask = divmod(bit, 8)
    return data[:position] + bytes([data[position] ^ (1 << mask)]) + data[position + 1 :]


# --- The vectors -----------------------------------------------------------------------


def test_every_vector_file_is_found() -> None:
    assert len(INCLUSION_FILES) == 98
    assert len(CONSISTENCY_FILES) == 98
    assert any(not _load(p)["wantErr"] for p in INCLUSION_FILES)


@pytest.mark.parametrize("path", INCLUSION_FILES, ids=_id)
def test_inclusion_vector(path: Path) -> None:
    v = _load(path)
    args = (_b64(v["leafHash"]), v["leafIdx"], v["treeSize"], _proof(v), _b64(v["root"]))
    if v["wantErr"]:
        with pytest.raises(ProofError):
            verify_inclusion(*args)
    else:
        verify_inclusion(*args)  # returns only when the proof holds


@pytest.mark.parametrize("path", CONSISTENCY_FILES, ids=_id)
def test_consistency_vector(path: Path) -> None:
    v = _load(path)
    args = (v["size1"], v["size2"], _b64(v["root1"]), _b64(v["root2"]), _proof(v))
    if v["wantErr"]:
        with pytest.raises(ProofError):
            verify_consistency(*args)
    else:
        verify_consistency(*args)  # returns only when the proof holds


@pytest.mark.parametrize("number", range(5))
def test_reference_generators_reproduce_the_happy_paths(number: int) -> None:
    hashes = [leaf_hash(leaf) for leaf in VECTOR_LEAVES]
    inc = _load(DATA / "inclusion" / str(number) / "happy-path.json")
    tree = hashes[: inc["treeSize"]]
    assert root_from_leaf_hashes(tree) == _b64(inc["root"])
    assert inclusion_proof(tree, inc["leafIdx"]) == _proof(inc)
    con = _load(DATA / "consistency" / str(number) / "happy-path.json")
    tree = hashes[: con["size2"]]
    assert root_from_leaf_hashes(hashes[: con["size1"]]) == _b64(con["root1"])
    assert consistency_proof(tree, con["size1"]) == _proof(con)


def test_hashing_is_domain_separated_as_rfc_9162() -> None:
    assert EMPTY_ROOT == hashlib.sha256(b"").digest() == root_from_leaf_hashes([])
    assert leaf_hash(b"x") == hashlib.sha256(b"\x00x").digest()
    assert node_hash(b"a", b"b") == hashlib.sha256(b"\x01ab").digest()
    assert root_from_subtrees(0, SubtreeStore([])) == EMPTY_ROOT


# --- Argument checks ---------------------------------------------------------------------


@pytest.mark.parametrize(("index", "size"), [(0, 0), (3, 3), (-1, 3), (True, 3)])
def test_no_inclusion_proof_outside_the_tree(index: int, size: int) -> None:
    with pytest.raises(ProofRangeError):
        inclusion_nodes(index, size)
    with pytest.raises(ProofRangeError):
        inclusion_proof(LEAVES[:size], index)


@pytest.mark.parametrize(("size1", "size2"), [(0, 3), (4, 3), (-1, 3), (1, 2**64)])
def test_no_consistency_proof_for_impossible_sizes(size1: int, size2: int) -> None:
    with pytest.raises(ProofRangeError):
        consistency_nodes(size1, size2)


def test_verifiers_refuse_hashes_of_the_wrong_length() -> None:
    tree = LEAVES[:5]
    proof = inclusion_proof(tree, 2)
    with pytest.raises(ProofError) as caught:
        verify_inclusion(
            tree[2], 2, 5, [*proof[:-1], proof[-1] + b"\x00"], root_from_leaf_hashes(tree)
        )
    assert caught.value.reason == "bad_hash_length"
    assert caught.value.code == "log_proof_invalid"


# --- Store-style generators against the RFC definitions ---------------------------------


@st.composite
def leaf_in_tree(draw: st.DrawFn) -> tuple[int, int]:
    size = draw(st.integers(1, MAX_SIZE))
    return size, draw(st.integers(0, size - 1))


@st.composite
def two_sizes(draw: st.DrawFn) -> tuple[int, int]:
    size2 = draw(st.integers(1, MAX_SIZE))
    return draw(st.integers(1, size2)), size2


@PROPERTIES
@given(st.integers(0, MAX_SIZE))
def test_root_from_subtrees_is_mth(size: int) -> None:
    store = SubtreeStore(LEAVES[:size])
    assert root_from_subtrees(size, store) == root_from_leaf_hashes(LEAVES[:size])
    assert store.asked == root_nodes(size)
    assert len(store.asked) == size.bit_count()


@PROPERTIES
@given(leaf_in_tree())
def test_inclusion_from_subtrees_is_the_rfc_path(case: tuple[int, int]) -> None:
    size, index = case
    tree = LEAVES[:size]
    store = SubtreeStore(tree)
    proof = inclusion_proof_from_subtrees(index, size, store)
    assert proof == inclusion_proof(tree, index)
    assert store.asked == inclusion_nodes(index, size)
    assert len(store.asked) <= 2 * size.bit_length()
    verify_inclusion(tree[index], index, size, proof, root_from_leaf_hashes(tree))


@PROPERTIES
@given(two_sizes())
def test_consistency_from_subtrees_is_the_rfc_proof(case: tuple[int, int]) -> None:
    size1, size2 = case
    tree = LEAVES[:size2]
    store = SubtreeStore(tree)
    proof = consistency_proof_from_subtrees(size1, size2, store)
    assert proof == consistency_proof(tree, size1)
    assert store.asked == consistency_nodes(size1, size2)
    assert len(store.asked) <= 2 * size2.bit_length()
    root1, root2 = root_from_leaf_hashes(tree[:size1]), root_from_leaf_hashes(tree)
    verify_consistency(size1, size2, root1, root2, proof)


# --- Tampered twins ----------------------------------------------------------------------


@PROPERTIES
@given(leaf_in_tree(), st.data())
def test_inclusion_fails_with_a_flipped_bit(case: tuple[int, int], data: st.DataObject) -> None:
    size, index = case
    tree = LEAVES[:size]
    proof = inclusion_proof(tree, index)
    assume(proof)
    position = data.draw(st.integers(0, len(proof) - 1))
    proof[position] = flip(proof[position], data.draw(st.integers(0, 255)))
    with pytest.raises(ProofError):
        verify_inclusion(tree[index], index, size, proof, root_from_leaf_hashes(tree))


@PROPERTIES
@given(leaf_in_tree(), st.data())
def test_inclusion_fails_at_another_index(case: tuple[int, int], data: st.DataObject) -> None:
    size, index = case
    assume(size > 1)
    other = data.draw(st.integers(0, size - 1).filter(lambda i: i != index))
    tree = LEAVES[:size]
    proof, root = inclusion_proof(tree, index), root_from_leaf_hashes(tree)
    with pytest.raises(ProofError):
        verify_inclusion(tree[index], other, size, proof, root)
    with pytest.raises(ProofError):
        verify_inclusion(tree[other], other, size, proof, root)


@PROPERTIES
@given(leaf_in_tree(), st.data())
def test_inclusion_fails_in_a_tree_of_another_size(
    case: tuple[int, int], data: st.DataObject
) -> None:
    """A proof for one size never verifies against the genuine root of another size.

    (Against the *same* root with another size it sometimes does: RFC 9162 proofs bind
    the leaf to the root only, which is why size and root travel in one signed checkpoint.)
    """
    size, index = case
    other = data.draw(st.integers(index + 1, 2 * MAX_SIZE).filter(lambda n: n != size))
    proof = inclusion_proof(LEAVES[:size], index)
    with pytest.raises(ProofError):
        verify_inclusion(LEAVES[index], index, other, proof, root_from_leaf_hashes(LEAVES[:other]))


@PROPERTIES
@given(two_sizes(), st.data())
def test_consistency_fails_with_a_flipped_bit(case: tuple[int, int], data: st.DataObject) -> None:
    size1, size2 = case
    tree = LEAVES[:size2]
    proof = consistency_proof(tree, size1)
    assume(proof)
    position = data.draw(st.integers(0, len(proof) - 1))
    proof[position] = flip(proof[position], data.draw(st.integers(0, 255)))
    with pytest.raises(ProofError):
        verify_consistency(
            size1, size2, root_from_leaf_hashes(tree[:size1]), root_from_leaf_hashes(tree), proof
        )


@PROPERTIES
@given(two_sizes(), st.data())
def test_consistency_fails_for_other_sizes(case: tuple[int, int], data: st.DataObject) -> None:
    size1, size2 = case
    assume(size2 > 1)
    proof = consistency_proof(LEAVES[:size2], size1)
    root1, root2 = root_from_leaf_hashes(LEAVES[:size1]), root_from_leaf_hashes(LEAVES[:size2])
    other1 = data.draw(st.integers(1, size2).filter(lambda n: n != size1))
    other2 = data.draw(st.integers(size1, 2 * MAX_SIZE).filter(lambda n: n != size2))
    with pytest.raises(ProofError):
        verify_consistency(other1, size2, root_from_leaf_hashes(LEAVES[:other1]), root2, proof)
    with pytest.raises(ProofError):
        verify_consistency(size1, other2, root1, root_from_leaf_hashes(LEAVES[:other2]), proof)
