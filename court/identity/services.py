"""Real-name verification (R4) and re-verification by device signature (R5)."""

from __future__ import annotations

import base64
import binascii
import datetime as dt
import secrets
from typing import Any

from sqlmodel import Session, col, select

from court.accounts.models import Account, Role
from court.audit import Actor, record_audit
from court.db import utcnow
from court.devices.services import get_own_device, usable_certificate
from court.identity.errors import (
    AlreadyVerified,
    ChallengeInvalid,
    IdentityInUse,
    IdentityRejected,
    IdNumberInvalid,
    ReverificationRequired,
)
from court.identity.interfaces import IdentityClaim, IdentityKind, IdentityProvider
from court.identity.models import Person, Reverification, ReverifyChallenge, ReverifyPurpose
from court.identity.protection import IdNumberProtector, mask_id_number
from court.identity.validators import InvalidIdNumber, canonical_id
from court.settings import Settings
from signing.errors import BadSignature
from signing.pki import CourtPKI
from signing.signatures import canonical_json, verify_device_signature

REVERIFY_STATEMENT_TYPE = "micro-court/reverify/v1"


def verify_identity(
    session: Session,
    provider: IdentityProvider,
    protector: IdNumberProtector,
    actor: Actor,
    account: Account,
    *,
    kind: IdentityKind,
    name: str,
    id_number: str,
    lawyer_licence: str | None = None,
) -> Person:
    """Check the number's form, ask the provider, and bind the person to the account (R4)."""
    if account.person_id is not None:
        raise AlreadyVerified
    try:
        id_type, number = canonical_id(kind.value, id_number)
    except InvalidIdNumber as exc:
        raise IdNumberInvalid({"field": "id_number", "reason": exc.reason}) from exc
    match = protector.match_value(id_type.value, number)
    if session.exec(
        select(Person).where(Person.id_type == id_type.value, Person.id_match == match)
    ).first():
        raise IdentityInUse
    verdict = provider.verify(
        IdentityClaim(kind=kind, name=name, id_number=number, phone=account.phone)
    )
    if not verdict.accepted:
        raise IdentityRejected({"reason": verdict.reason or "refused"})
    person = Person(
        kind=kind.value,
        name=name,
        id_type=id_type.value,
        id_match=match,
        id_sealed=protector.seal(id_type.value, number),
        id_masked=mask_id_number(number),
        verification_method=verdict.method,
        verification_ref=verdict.reference,
        lawyer_licence=lawyer_licence,
        verified_at=utcnow(),
    )
    session.add(person)
    session.flush()
    account.person_id = person.id
    account.display_name = name
    if lawyer_licence is not None and account.role == Role.LITIGANT:
        account.role = Role.AGENT.value
    session.add(account)
    record_audit(
        session,
        actor,
        "identity.verify",
        "person",
        person.id,
        {
            "kind": kind.value,
            "id": person.id_masked,
            "method": verdict.method,
            "role": account.role,
        },
    )
    return person


def reverify_statement(challenge: ReverifyChallenge) -> dict[str, Any]:
    """The statement a phone signs to re-verify: bound to account, purpose and challenge."""
    return {
        "type": REVERIFY_STATEMENT_TYPE,
        "challenge_id": challenge.id,
        "challenge": challenge.challenge,
        "account": challenge.account_id,
        "purpose": challenge.purpose,
    }


def issue_challenge(
    session: Session, settings: Settings, account: Account, purpose: ReverifyPurpose
) -> ReverifyChallenge:
    now = utcnow()
    challenge = ReverifyChallenge(
        account_id=account.id,
        purpose=purpose.value,
        challenge=secrets.token_urlsafe(32),
        created_at=now,
        expires_at=now + dt.timedelta(seconds=settings.reverify_challenge_ttl_seconds),
    )
    session.add(challenge)
    session.flush()
    return challenge


def decode_signature(value: str) -> bytes:
    try:
        return base64.b64decode(value, validate=True)
    except (binascii.Error, ValueError) as exc:
        raise BadSignature("the signature is not base64") from exc


def reverify(
    session: Session,
    pki: CourtPKI,
    actor: Actor,
    account: Account,
    *,
    challenge_id: str,
    device_id: str,
    signature: bytes,
) -> Reverification:
    """Check a signature over a fresh challenge with an enrolled device; spend the challenge."""
    now = utcnow()
    challenge = session.exec(
        select(ReverifyChallenge).where(ReverifyChallenge.id == challenge_id).with_for_update()
    ).first()
    if (
        challenge is None
        or challenge.account_id != account.id
        or challenge.used_at is not None
        or challenge.expires_at <= now
    ):
        raise ChallengeInvalid
    device = get_own_device(session, account.id, device_id)
    cert = usable_certificate(session, pki, device, at=now)
    verify_device_signature(cert, canonical_json(reverify_statement(challenge)), signature)
    challenge.used_at = now
    session.add(challenge)
    result = Reverification(
        account_id=account.id,
        device_id=device.id,
        challenge_id=challenge.id,
        purpose=challenge.purpose,
        verified_at=now,
    )
    session.add(result)
    session.flush()
    record_audit(
        session,
        Actor(actor.account_id, actor.role, actor.session_ref, device.id, actor.address),
        "identity.reverify",
        "account",
        account.id,
        {"purpose": challenge.purpose},
    )
    return result


def require_fresh_verification(
    session: Session, settings: Settings, account_id: str, purpose: ReverifyPurpose
) -> Reverification:
    """Return a re-verification for ``purpose`` within the freshness window, or refuse (R5)."""
    since = utcnow() - dt.timedelta(seconds=settings.reverify_fresh_seconds)
    found = session.exec(
        select(Reverification)
        .where(
            Reverification.account_id == account_id,
            Reverification.purpose == purpose.value,
            col(Reverification.verified_at) >= since,
        )
        .order_by(col(Reverification.verified_at).desc())
    ).first()
    if found is None:
        raise ReverificationRequired(
            {"purpose": purpose.value, "fresh_seconds": settings.reverify_fresh_seconds}
        )
    return found
