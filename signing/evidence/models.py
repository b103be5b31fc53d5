"""Tables of the evidence log: leaves, complete subtrees, the append state, checkpoints.

Times are integer microseconds since the Unix epoch (UTC): exact and dialect-neutral.
"""

from __future__ import annotations

from sqlalchemy import BigInteger, LargeBinary, Text
from sqlmodel import Field, SQLModel


class LogLeaf(SQLModel, table=True):
    """One logged event: its canonical record and the RFC 9162 leaf hash of it."""

    __tablename__ = "log_leaf"

    #: 0-based position in the tree; assigned under the log's lock, never reused.
    index: int = Field(
        sa_type=BigInteger, primary_key=True, sa_column_kwargs={"autoincrement": False}
    )
    leaf_hash: bytes = Field(sa_type=LargeBinary)
    #: RFC 8785 canonical JSON of the record.
    record: str = Field(sa_type=Text)
    event: str = Field(index=True)
    appended_us: int = Field(sa_type=BigInteger)


#: Bits of a node key that hold the index; the level sits above them.
NODE_INDEX_BITS = 48


def node_key(level: int, index: int) -> int:
    """One integer per subtree, so a proof's nodes come from one ``key IN (…)`` lookup."""
    return (level << NODE_INDEX_BITS) | index


class LogNode(SQLModel, table=True):
    """The hash of a complete subtree: level L, index i covers leaves [i·2^L, (i+1)·2^L),
    stored under ``node_key(L, i)``. Level 0 (the leaves) lives in ``log_leaf``."""

    __tablename__ = "log_node"

    key: int = Field(
        sa_type=BigInteger, primary_key=True, sa_column_kwargs={"autoincrement": False}
    )
    hash: bytes = Field(sa_type=LargeBinary)


class LogState(SQLModel, table=True):
    """The single row every append locks: the size and the right edge of the tree."""

    __tablename__ = "log_state"

    id: int = Field(default=1, primary_key=True)
    size: int = Field(default=0, sa_type=BigInteger)
    #: Concatenated (1-byte level, 32-byte hash) of the complete subtrees on the right edge,
    #: largest first: enough to compute the root and the next nodes without reading leaves.
    frontier: bytes = Field(default=b"", sa_type=LargeBinary)


class LogCheckpoint(SQLModel, table=True):
    """A signed checkpoint (C2SP signed note) of the tree at some size."""

    __tablename__ = "log_checkpoint"

    size: int = Field(
        sa_type=BigInteger, primary_key=True, sa_column_kwargs={"autoincrement": False}
    )
    root_hash: bytes = Field(sa_type=LargeBinary)
    note: str = Field(sa_type=Text)
    signed_us: int = Field(sa_type=BigInteger)
