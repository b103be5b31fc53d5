"""Opening, filling and signing submissions (R6–R9). No HTTP here."""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import secrets
from dataclasses import dataclass
from typing import Any

from sqlmodel import Session, col, func, select

from court.accounts.models import Account
from court.audit import Actor, record_audit
from court.cases.models import Case, CaseParty, CaseState
from court.db import utcnow
from court.devices.services import get_own_device, usable_certificate
from court.filing.errors import (
    CaseRequired,
    ChallengeSpent,
    ClockSkew,
    EnforcedDocumentRequired,
    ManifestMismatch,
    NotEditable,
    PagesIncomplete,
    SubmissionNotFound,
)
from court.filing.models import (
    KINDS_NAMING_A_CASE,
    SUBMISSION_MOVES,
    Page,
    Submission,
    SubmissionKind,
    SubmissionState,
    Upload,
)
from court.identity.errors import IdentityRequired
from court.timekeeping import local_date
from signing.evidence.store import AppendedLeaf, EvidenceLog
from signing.pki import CourtPKI
from signing.signatures import canonical_json, verify_device_signature

MANIFEST_TYPE = "micro-court/submission/v1"
CHALLENGE_TTL = dt.timedelta(minutes=30)
#: How far the phone's clock may be from the server's when it signs.
MAX_CLOCK_SKEW = dt.timedelta(minutes=10)


def details_sha256(details: dict[str, Any]) -> str:
    return hashlib.sha256(canonical_json(details)).hexdigest()


def pseudonym(key: bytes, account_id: str) -> str:
    """A stable pseudonym for an account in the public log: HMAC, not reversible without key."""
    return hmac.new(key, account_id.encode(), hashlib.sha256).hexdigest()[:32]


def open_submission(
    session: Session,
    actor: Actor,
    account: Account,
    *,
    court_id: str,
    kind: SubmissionKind,
    case_id: str | None,
    corrects_id: str | None,
    details: dict[str, Any],
) -> Submission:
    """Open a draft with a fresh single-use challenge, after checking what it names."""
    if account.person_id is None:
        raise IdentityRequired
    if kind in KINDS_NAMING_A_CASE and case_id is None:
        raise CaseRequired
    if kind is SubmissionKind.CORRECTION and corrects_id is None:
        raise CaseRequired({"field": "corrects_id"})
    if kind is SubmissionKind.ENFORCEMENT and not details.get("enforced_document"):
        raise EnforcedDocumentRequired
    if case_id is not None:
        _case_of_party(session, account.id, case_id)
    if corrects_id is not None:
        original = own_submission(session, account.id, corrects_id)
        if original.state != SubmissionState.CORRECTION_REQUESTED:
            raise NotEditable({"corrects": corrects_id, "state": original.state})
        court_id = original.court_id
    now = utcnow()
    submission = Submission(
        court_id=court_id,
        account_id=account.id,
        kind=kind.value,
        state=SubmissionState.DRAFT.value,
        case_id=case_id,
        corrects_id=corrects_id,
        details=details,
        challenge=secrets.token_urlsafe(32),
        challenge_expires_at=now + CHALLENGE_TTL,
        created_at=now,
    )
    SUBMISSION_MOVES.start(session, submission, SubmissionState.DRAFT, actor, "opened")
    session.flush()
    record_audit(
        session, actor, "submission.open", "submission", submission.id, {"kind": kind.value}
    )
    return submission


def _case_of_party(session: Session, account_id: str, case_id: str) -> Case:
    case = session.get(Case, case_id)
    is_party = session.exec(
        select(CaseParty.id).where(CaseParty.case_id == case_id, CaseParty.account_id == account_id)
    ).first()
    if case is None or is_party is None:
        raise SubmissionNotFound({"case": case_id}, zh="未找到该案件。", en="No such case.")
    if case.state not in (CaseState.REGISTERED, CaseState.IN_MEDIATION, CaseState.IN_TRIAL):
        raise NotEditable({"case": case_id, "state": case.state})
    return case


def own_submission(
    session: Session, account_id: str, submission_id: str, *, lock: bool = False
) -> Submission:
    """Return the caller's submission; anyone else's is reported as not found."""
    query = select(Submission).where(Submission.id == submission_id)
    if lock:
        query = query.with_for_update()
    submission = session.exec(query).first()
    if submission is None or submission.account_id != account_id:
        raise SubmissionNotFound({"submission": submission_id})
    return submission


def draft_for_change(session: Session, account_id: str, submission_id: str) -> Submission:
    submission = own_submission(session, account_id, submission_id, lock=True)
    if submission.state != SubmissionState.DRAFT:
        raise NotEditable({"state": submission.state})
    return submission


def pages_of(session: Session, submission_id: str) -> list[Page]:
    return list(
        session.exec(
            select(Page).where(Page.submission_id == submission_id).order_by(col(Page.position))
        )
    )


def open_uploads(session: Session, submission_id: str) -> list[Upload]:
    return list(
        session.exec(
            select(Upload)
            .where(Upload.submission_id == submission_id, col(Upload.completed_at).is_(None))
            .order_by(col(Upload.position))
        )
    )


def page_count(session: Session, submission_id: str) -> int:
    return int(
        session.exec(
            select(func.count()).select_from(Upload).where(Upload.submission_id == submission_id)
        ).one()
    )


def renew_challenge(session: Session, account_id: str, submission_id: str) -> Submission:
    submission = draft_for_change(session, account_id, submission_id)
    submission.challenge = secrets.token_urlsafe(32)
    submission.challenge_expires_at = utcnow() + CHALLENGE_TTL
    session.add(submission)
    return submission


def expected_manifest(session: Session, submission: Submission) -> dict[str, Any]:
    """The manifest as the server sees the submission, without the signing time."""
    return {
        "type": MANIFEST_TYPE,
        "submission": submission.id,
        "kind": submission.kind,
        "case": submission.case_id,
        "corrects": submission.corrects_id,
        "pages": [p.original_sha256 for p in pages_of(session, submission.id)],
        "details_sha256": details_sha256(submission.details),
        "challenge": submission.challenge,
    }


def _parse_time(value: object) -> dt.datetime:
    if not isinstance(value, str):
        raise ManifestMismatch({"field": "time", "reason": "must be an RFC 3339 UTC string"})
    try:
        parsed = dt.datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError as exc:
        raise ManifestMismatch({"field": "time", "reason": "not RFC 3339"}) from exc
    if parsed.tzinfo is None:
        raise ManifestMismatch({"field": "time", "reason": "no time zone"})
    return parsed


@dataclass(frozen=True)
class SignedSubmission:
    submission: Submission
    leaf: AppendedLeaf


def sign_submission(
    session: Session,
    pki: CourtPKI,
    log: EvidenceLog,
    actor: Actor,
    account: Account,
    *,
    submission_id: str,
    manifest: dict[str, Any],
    device_id: str,
    signature: bytes,
    handwriting_sha256: str | None,
    actor_pseudonym: str,
) -> SignedSubmission:
    """Verify the phone's signature over the manifest, then file the submission (R6).

    Nothing changes unless every check passes: the manifest matches what was uploaded (pages,
    their order, kind, case, details), the challenge is fresh and unspent, and the signature
    verifies with a valid, unrevoked certificate of this person.
    """
    now = utcnow()
    submission = own_submission(session, account.id, submission_id, lock=True)
    if submission.state != SubmissionState.DRAFT:
        raise ChallengeSpent({"state": submission.state})
    if submission.challenge_used_at is not None or submission.challenge_expires_at <= now:
        raise ChallengeSpent
    if open_uploads(session, submission.id) or not pages_of(session, submission.id):
        raise PagesIncomplete
    expected = expected_manifest(session, submission)
    claimed = dict(manifest)
    signed_time = _parse_time(claimed.pop("time", None))
    if claimed != expected:
        differing = sorted(
            k for k in set(expected) | set(claimed) if expected.get(k) != claimed.get(k)
        )
        raise ManifestMismatch({"fields": differing})
    if abs(signed_time - now) > MAX_CLOCK_SKEW:
        raise ClockSkew({"server_time": now.isoformat()})
    device = get_own_device(session, account.id, device_id)
    cert = usable_certificate(session, pki, device, at=now)
    message = canonical_json(manifest)
    verify_device_signature(cert, message, signature)
    # Every check passed: from here on the filing is made.
    submission.challenge_used_at = now
    submission.manifest = message.decode()
    submission.manifest_sha256 = hashlib.sha256(message).hexdigest()
    submission.signature = signature
    submission.device_id = device.id
    submission.signed_at = now
    submission.handwriting_sha256 = handwriting_sha256
    # R7: the acceptance period counts from the court's calendar day (Beijing), not UTC's.
    submission.review_period_start = local_date(now)
    SUBMISSION_MOVES.move(
        session, submission, SubmissionState.SUBMITTED, actor, "signed by the filer"
    )
    leaf = log.append(
        session,
        "submission.signed",
        {
            "submission": submission.id,
            "kind": submission.kind,
            "court": submission.court_id,
            "case": submission.case_id,
            "actor": actor_pseudonym,
            "time": now.isoformat(),
            "manifest_sha256": submission.manifest_sha256,
            "pages": expected["pages"],
            "certificate_serial": device.serial,
        },
    )
    submission.log_index = leaf.index
    session.add(submission)
    if submission.corrects_id is not None:
        _mark_corrected(session, actor, submission)
    record_audit(
        session,
        actor,
        "submission.sign",
        "submission",
        submission.id,
        {
            "manifest_sha256": submission.manifest_sha256,
            "log_index": leaf.index,
            "device": device.id,
        },
    )
    return SignedSubmission(submission=submission, leaf=leaf)


def _mark_corrected(session: Session, actor: Actor, correction: Submission) -> None:
    """R7: the corrections arrived; the acceptance period restarts the next day, counted in
    the court's calendar (a correction at 03:25 Beijing time arrived on that Beijing day)."""
    assert correction.corrects_id is not None
    original = session.exec(
        select(Submission).where(Submission.id == correction.corrects_id).with_for_update()
    ).one()
    SUBMISSION_MOVES.move(
        session, original, SubmissionState.CORRECTED, actor, f"correction {correction.id} filed"
    )
    arrived = local_date(correction.signed_at or utcnow())
    original.review_period_start = arrived + dt.timedelta(days=1)
    session.add(original)
