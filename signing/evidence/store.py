"""The evidence log kept in the database: append in the caller's transaction, prove, sign.

Every append locks the single ``log_state`` row, so leaves get consecutive indices with no
gaps even when transactions run concurrently (PostgreSQL ``FOR UPDATE``; SQLite write
transactions are exclusive already); the lock is held until the business transaction that
appended commits, so the leaf and the business write land together or not at all.

Complete subtrees are stored as they complete (amortised one row per leaf), so inclusion and
consistency proofs need O(log n) rows, fetched in one query each.
"""

from __future__ import annotations

import hashlib
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from sqlalchemy import Connection, bindparam
from sqlalchemy import select as sa_select
from sqlalchemy.dialects import postgresql, sqlite
from sqlmodel import Session, SQLModel, col, select

from signing.evidence import merkle
from signing.evidence.models import LogCheckpoint, LogLeaf, LogState, node_key
from signing.evidence.note import Checkpoint, sign_checkpoint
from signing.evidence.receipt import Receipt
from signing.signatures import canonical_json

_ENTRY = 33  # one frontier entry: 1-byte level + 32-byte hash


@dataclass(frozen=True)
class AppendedLeaf:
    index: int
    leaf_hash: bytes
    record: bytes


def _now_us() -> int:
    return time.time_ns() // 1000


def _decode_frontier(raw: bytes) -> list[tuple[int, bytes]]:
    return [(raw[i], raw[i + 1 : i + _ENTRY]) for i in range(0, len(raw), _ENTRY)]


def _encode_frontier(entries: Iterable[tuple[int, bytes]]) -> bytes:
    return b"".join(bytes([level]) + digest for level, digest in entries)


def _root_of_frontier(entries: list[tuple[int, bytes]]) -> bytes:
    """MTH from the right-edge subtrees: the largest on the left, combined right to left."""
    if not entries:
        return merkle.root_from_leaf_hashes([])
    root = entries[-1][1]
    for _level, digest in reversed(entries[:-1]):
        root = merkle.node_hash(digest, root)
    return root


_LEAF = SQLModel.metadata.tables["log_leaf"]
_NODE = SQLModel.metadata.tables["log_node"]
_STATE = SQLModel.metadata.tables["log_state"]
_SELECT_STATE = (
    sa_select(_STATE.c.size, _STATE.c.frontier).where(_STATE.c.id == 1).with_for_update()
)
_INSERT_LEAF = _LEAF.insert()
_SELECT_LEAVES = sa_select(_LEAF.c.index, _LEAF.c.leaf_hash).where(
    _LEAF.c.index.in_(bindparam("wanted", expanding=True))
)
_SELECT_NODES = sa_select(_NODE.c.key, _NODE.c.hash).where(
    _NODE.c.key.in_(bindparam("wanted", expanding=True))
)
_INSERT_NODE = _NODE.insert()
_UPDATE_STATE = (
    _STATE.update()
    .where(_STATE.c.id == 1)
    .values(size=bindparam("new_size"), frontier=bindparam("new_frontier"))
)


class EvidenceLog:
    """One append-only log, identified by its origin line (C2SP tlog-checkpoint)."""

    def __init__(self, origin: str, signing_key: Callable[[], Ed25519PrivateKey]) -> None:
        self.origin = origin
        self._signing_key = signing_key

    # -- appending -----------------------------------------------------------------------
    @staticmethod
    def _insert(session: Session) -> Any:
        """INSERT with ON CONFLICT support for the session's dialect."""
        return (
            postgresql.insert if session.get_bind().dialect.name == "postgresql" else sqlite.insert
        )

    def _locked_state(self, conn: Connection) -> tuple[int, bytes]:
        """Lock the state row (creating it on the very first append) and read it."""
        row = conn.execute(_SELECT_STATE).first()
        if row is None:
            dialect = postgresql if conn.dialect.name == "postgresql" else sqlite
            conn.execute(
                dialect.insert(_STATE).values(id=1, size=0, frontier=b"").on_conflict_do_nothing()
            )
            row = conn.execute(_SELECT_STATE).one()
        return int(row[0]), bytes(row[1])

    def append(self, session: Session, event: str, record: dict[str, Any]) -> AppendedLeaf:
        """Append a record as the next leaf, in the caller's transaction.

        Prepared Core statements on the session's connection, not ORM objects: an append is
        on the path of every legal act, so it costs one locked read, an insert or two and
        one update, with no ORM bookkeeping.
        """
        body = canonical_json({"event": event, **record})
        digest = merkle.leaf_hash(body)
        conn = session.connection()
        index, raw_frontier = self._locked_state(conn)
        conn.execute(
            _INSERT_LEAF,
            {
                "index": index,
                "leaf_hash": digest,
                "record": body.decode(),
                "event": event,
                "appended_us": _now_us(),
            },
        )
        frontier = _decode_frontier(raw_frontier)
        frontier.append((0, digest))
        size = index + 1
        nodes = []
        while len(frontier) >= 2 and frontier[-1][0] == frontier[-2][0]:
            level, right = frontier.pop()
            _, left = frontier.pop()
            parent = merkle.node_hash(left, right)
            frontier.append((level + 1, parent))
            # The new subtree ends at leaf ``size - 1``.
            nodes.append({"key": node_key(level + 1, (size >> (level + 1)) - 1), "hash": parent})
        if nodes:
            conn.execute(_INSERT_NODE, nodes)
        conn.execute(_UPDATE_STATE, {"new_size": size, "new_frontier": _encode_frontier(frontier)})
        return AppendedLeaf(index=index, leaf_hash=digest, record=body)

    # -- reading -------------------------------------------------------------------------
    def size(self, session: Session) -> int:
        # Read the row, not an ORM copy: appends change it with Core statements.
        found = session.exec(select(LogState.size).where(LogState.id == 1)).first()
        return found or 0

    def _subtrees(
        self, session: Session, wanted: list[tuple[int, int]]
    ) -> dict[tuple[int, int], bytes]:
        """Fetch the hashes of the wanted (level, index) subtrees: two indexed queries."""
        conn = session.connection()
        found: dict[tuple[int, int], bytes] = {}
        leaves = sorted({i for level, i in wanted if level == 0})
        if leaves:
            for index, digest in conn.execute(_SELECT_LEAVES, {"wanted": leaves}):
                found[(0, int(index))] = bytes(digest)
        keys = {node_key(level, i): (level, i) for level, i in wanted if level > 0}
        if keys:
            for key, digest in conn.execute(_SELECT_NODES, {"wanted": sorted(keys)}):
                found[keys[int(key)]] = bytes(digest)
        return found

    def root(self, session: Session, size: int) -> bytes:
        table = self._subtrees(session, merkle.root_nodes(size))
        return merkle.root_from_subtrees(size, lambda level, i: table[(level, i)])

    def inclusion_proof(self, session: Session, index: int, size: int) -> list[bytes]:
        table = self._subtrees(session, merkle.inclusion_nodes(index, size))
        return merkle.inclusion_proof_from_subtrees(index, size, lambda level, i: table[(level, i)])

    def consistency_proof(self, session: Session, size1: int, size2: int) -> list[bytes]:
        table = self._subtrees(session, merkle.consistency_nodes(size1, size2))
        return merkle.consistency_proof_from_subtrees(
            size1, size2, lambda level, i: table[(level, i)]
        )

    # -- checkpoints and receipts ---------------------------------------------------------
    def checkpoint(self, session: Session) -> LogCheckpoint:
        """Return a signed checkpoint of the current tree, signing a new one if it grew."""
        latest = session.exec(
            select(LogCheckpoint).order_by(col(LogCheckpoint.size).desc())
        ).first()
        size = self.size(session)
        if latest is not None and latest.size >= size:
            return latest
        state = session.get(LogState, 1, populate_existing=True)
        if state is None:
            # Nothing appended yet: the empty tree, whose root is SHA-256 of nothing
            # (RFC 9162 §2.1.1).
            tree_size, root = 0, hashlib.sha256(b"").digest()
        else:
            tree_size, root = state.size, _root_of_frontier(_decode_frontier(state.frontier))
        note = sign_checkpoint(
            Checkpoint(origin=self.origin, tree_size=tree_size, root_hash=root),
            self.origin,
            self._signing_key(),
        )
        # Ed25519 is deterministic: a concurrent twin signed the very same note, so a
        # conflict on the size changes nothing.
        session.execute(
            self._insert(session)(LogCheckpoint)
            .values(size=tree_size, root_hash=root, note=note, signed_us=_now_us())
            .on_conflict_do_nothing()
        )
        found = session.get(LogCheckpoint, tree_size)
        assert found is not None
        return found

    def checkpoint_at(self, session: Session, size: int) -> LogCheckpoint | None:
        return session.get(LogCheckpoint, size)

    def receipt(self, session: Session, index: int) -> Receipt:
        """A receipt for a leaf: a signed checkpoint covering it and the inclusion proof."""
        leaf = session.get(LogLeaf, index)
        if leaf is None:
            raise KeyError(index)
        checkpoint = self.checkpoint(session)
        proof = self.inclusion_proof(session, index, checkpoint.size)
        return Receipt(
            record=leaf.record.encode(),
            leaf_index=index,
            checkpoint=checkpoint.note,
            inclusion_proof=tuple(proof),
        )
