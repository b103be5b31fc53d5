"""Public evidence-log endpoints (no sign-in): checkpoint, inclusion and consistency proofs."""

from __future__ import annotations

import base64
from typing import Annotated

from pydantic import Field

from court import components
from court.api import api
from court.api.models import PublicModel, QueryModel
from court.db import db, will_write
from court.errors import NotFound, ValidationFailed
from signing.evidence.models import LogLeaf


def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode()


class CheckpointPublic(PublicModel):
    #: The signed note (C2SP tlog-checkpoint), verifiable with ``log_key``.
    note: str
    size: int
    root_hash: str
    log_key: str


class InclusionQuery(QueryModel):
    index: Annotated[int, Field(ge=0)]
    size: Annotated[int, Field(ge=1)]


class InclusionProof(PublicModel):
    index: int
    size: int
    leaf_hash: str
    proof: list[str]


class ConsistencyQuery(QueryModel):
    first: Annotated[int, Field(ge=1)]
    second: Annotated[int, Field(ge=1)]


class ConsistencyProof(PublicModel):
    first: int
    second: int
    proof: list[str]


def _check_size(size: int) -> None:
    current = components.evidence_log().size(db())
    if size > current:
        raise ValidationFailed(
            {"size": size, "tree_size": current},
            zh="所请求的日志大小超过当前日志大小。",
            en="The size is beyond the log's current size.",
        )


@api.get(
    "/log/checkpoint",
    response=CheckpointPublic,
    roles=None,
    tags=["log"],
    summary="The latest signed checkpoint of the evidence log",
)
def latest_checkpoint() -> CheckpointPublic:
    will_write()  # signing a checkpoint of a grown tree inserts it
    signed = components.evidence_log().checkpoint(db())
    return CheckpointPublic(
        note=signed.note,
        size=signed.size,
        root_hash=_b64(signed.root_hash),
        log_key=components.log_verifier_key(),
    )


@api.get(
    "/log/proofs/inclusion",
    query=InclusionQuery,
    response=InclusionProof,
    roles=None,
    tags=["log"],
    errors=[404],
    summary="Inclusion proof of leaf `index` in the tree of `size`",
)
def inclusion(query: InclusionQuery) -> InclusionProof:
    """RFC 9162 §2.1.3; verify against a checkpoint of the same size."""
    if query.index >= query.size:
        raise ValidationFailed({"index": query.index, "size": query.size})
    _check_size(query.size)
    leaf = db().get(LogLeaf, query.index)
    if leaf is None:
        raise NotFound({"index": query.index})
    proof = components.evidence_log().inclusion_proof(db(), query.index, query.size)
    return InclusionProof(
        index=query.index,
        size=query.size,
        leaf_hash=_b64(leaf.leaf_hash),
        proof=[_b64(p) for p in proof],
    )


@api.get(
    "/log/proofs/consistency",
    query=ConsistencyQuery,
    response=ConsistencyProof,
    roles=None,
    tags=["log"],
    summary="Consistency proof between two tree sizes",
)
def consistency(query: ConsistencyQuery) -> ConsistencyProof:
    """RFC 9162 §2.1.4: the tree of size ``second`` extends the tree of size ``first``."""
    if query.first > query.second:
        raise ValidationFailed({"first": query.first, "second": query.second})
    _check_size(query.second)
    proof = components.evidence_log().consistency_proof(db(), query.first, query.second)
    return ConsistencyProof(first=query.first, second=query.second, proof=[_b64(p) for p in proof])
