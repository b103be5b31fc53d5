"""Real-name identity and re-verification endpoints."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any

from pydantic import Field

from court import components
from court.accounts.models import LITIGANT_SIDE
from court.accounts.principal import current_account
from court.api import api
from court.api.models import ApiModel, PublicModel
from court.api.routing import principal
from court.db import db
from court.identity import services
from court.identity.interfaces import IdentityKind
from court.identity.models import Person, ReverifyPurpose


class IdentitySubmission(ApiModel):
    kind: IdentityKind = Field(description="natural: resident ID; organisation: credit code")
    name: Annotated[str, Field(min_length=2, max_length=100)]
    id_number: Annotated[str, Field(min_length=18, max_length=18)]
    #: A lawyer's 17-digit practising certificate number makes the account an agent.
    lawyer_licence: Annotated[str | None, Field(pattern=r"^\d{17}$")] = None


class IdentityPublic(PublicModel):
    verified: bool
    kind: str | None = None
    name: str | None = None
    id_masked: str | None = None
    method: str | None = None
    verified_at: dt.datetime | None = None
    role: str


class ChallengeRequest(ApiModel):
    purpose: ReverifyPurpose


class ChallengePublic(PublicModel):
    id: str
    challenge: str
    purpose: str
    expires_at: dt.datetime
    #: Sign the RFC 8785 canonical JSON of this object with the device key (ECDSA P-256).
    statement: dict[str, Any]


class ReverifySubmission(ApiModel):
    challenge_id: Annotated[str, Field(min_length=1, max_length=64)]
    device_id: Annotated[str, Field(min_length=1, max_length=64)]
    #: base64 of the DER ECDSA signature.
    signature: Annotated[str, Field(min_length=8, max_length=256)]


class ReverificationPublic(PublicModel):
    purpose: str
    verified_at: dt.datetime
    fresh_until: dt.datetime


def _identity_public(person: Person | None, role: str) -> IdentityPublic:
    if person is None:
        return IdentityPublic(verified=False, role=role)
    return IdentityPublic(
        verified=True,
        kind=person.kind,
        name=person.name,
        id_masked=person.id_masked,
        method=person.verification_method,
        verified_at=person.verified_at,
        role=role,
    )


@api.post(
    "/identity",
    body=IdentitySubmission,
    response=IdentityPublic,
    status=201,
    roles=LITIGANT_SIDE,
    tags=["identity"],
    errors=[401, 409, 422],
    summary="Verify real-name identity (R4)",
)
def submit_identity(body: IdentitySubmission) -> IdentityPublic:
    """Check the ID number (check character, birth date, region) and bind the identity."""
    account = current_account()
    person = services.verify_identity(
        db(),
        components.identity_provider(),
        components.id_protector(),
        principal().actor(),
        account,
        kind=body.kind,
        name=body.name,
        id_number=body.id_number,
        lawyer_licence=body.lawyer_licence,
    )
    return _identity_public(person, account.role)


@api.get(
    "/identity",
    response=IdentityPublic,
    roles=LITIGANT_SIDE,
    tags=["identity"],
    summary="Read identity verification state",
    errors=[401],
)
def read_identity() -> IdentityPublic:
    account = current_account()
    person = db().get(Person, account.person_id) if account.person_id else None
    return _identity_public(person, account.role)


@api.post(
    "/identity/challenges",
    body=ChallengeRequest,
    response=ChallengePublic,
    status=201,
    roles=LITIGANT_SIDE,
    tags=["identity"],
    errors=[401, 422],
    summary="Get a single-use challenge to re-verify with a device key (R5)",
)
def new_challenge(body: ChallengeRequest) -> ChallengePublic:
    challenge = services.issue_challenge(
        db(), components.settings(), current_account(), body.purpose
    )
    return ChallengePublic(
        id=challenge.id,
        challenge=challenge.challenge,
        purpose=challenge.purpose,
        expires_at=challenge.expires_at,
        statement=services.reverify_statement(challenge),
    )


@api.post(
    "/identity/reverifications",
    body=ReverifySubmission,
    response=ReverificationPublic,
    status=201,
    roles=LITIGANT_SIDE,
    tags=["identity"],
    errors=[401, 404, 422],
    summary="Re-verify by signing the challenge with an enrolled device (R5)",
)
def submit_reverification(body: ReverifySubmission) -> ReverificationPublic:
    result = services.reverify(
        db(),
        components.pki(),
        principal().actor(),
        current_account(),
        challenge_id=body.challenge_id,
        device_id=body.device_id,
        signature=services.decode_signature(body.signature),
    )
    fresh = dt.timedelta(seconds=components.settings().reverify_fresh_seconds)
    return ReverificationPublic(
        purpose=result.purpose,
        verified_at=result.verified_at,
        fresh_until=result.verified_at + fresh,
    )
