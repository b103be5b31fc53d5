"""The court's side of hearing media: who may send an offer to the media node, when, and
what happens to recordings. The media node (``hearings``) knows rooms and peers; the court
knows hearings, participants, admissions and the evidence log."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from pathlib import Path

from sqlmodel import Session, col, select

from court.accounts.models import Account
from court.audit import Actor, record_audit
from court.db import utcnow
from court.errors import Conflict, NotFound, ValidationFailed
from court.hearing import services
from court.hearing.models import (
    COURT_ROLES,
    ROLE_NAMES,
    Hearing,
    HearingRecording,
    HearingState,
    Participant,
    ParticipantRole,
    SelfTest,
)
from court.settings import Settings
from documents.blobs import FilesystemBlobStore
from hearings.interfaces import BadOffer, MediaNode, UnknownRoom
from hearings.offers import read_offer
from signing.evidence.store import EvidenceLog


class SelfTestNotFound(NotFound):
    code = "self_test_not_found"
    zh = "未找到该设备自检。"
    en = "No such self-test."


class OfferRefused(ValidationFailed):
    """The device's SDP offer cannot be answered: not SDP, or no audio or video the media
    node carries. ``details`` name the field and the reason (``hearings.offers``)."""

    zh = "设备发来的媒体协商信息（SDP offer）无效，须包含可用的音频或视频。"
    en = "The SDP offer is not valid: it must offer audio or video the court can answer."


def _refused(exc: BadOffer) -> OfferRefused:
    return OfferRefused({"field": "sdp", "reason": exc.reason, "detail": exc.detail})


def check_offer(offer_sdp: str) -> None:
    """Refuse an offer the media node could not answer, before anything is recorded."""
    try:
        read_offer(offer_sdp)
    except BadOffer as exc:
        raise _refused(exc) from exc


def start_self_test(
    session: Session,
    node: MediaNode,
    settings: Settings,
    account: Account,
    *,
    hearing_id: str,
    offer_sdp: str,
) -> tuple[SelfTest, str]:
    """Before the hearing, the device sends media for a few seconds and gets its measure.

    The offer is checked after access and before the test is recorded; should the node still
    refuse it, the request fails as a whole (the error handler rolls the test back)."""
    hearing, _ = services.for_participant(session, account, hearing_id)
    if hearing.state not in services.OPEN_STATES:
        raise services.HearingClosed({"state": hearing.state})
    check_offer(offer_sdp)
    test = SelfTest(hearing_id=hearing.id, account_id=account.id, started_at=utcnow())
    session.add(test)
    session.flush()
    try:
        answer = node.start_self_test(test.id, offer_sdp, seconds=settings.self_test_seconds)
    except BadOffer as exc:
        raise _refused(exc) from exc
    return test, answer


def self_test_result(
    session: Session,
    node: MediaNode,
    actor: Actor,
    account: Account,
    *,
    hearing_id: str,
    test_id: str,
) -> SelfTest:
    hearing, _ = services.for_participant(session, account, hearing_id)
    test = session.get(SelfTest, test_id)
    if test is None or test.hearing_id != hearing.id or test.account_id != account.id:
        raise SelfTestNotFound({"self_test": test_id})
    _settle(session, node, actor, hearing.id, test)
    return test


def running_self_tests(session: Session, hearing_id: str) -> list[SelfTest]:
    return list(
        session.exec(
            select(SelfTest).where(SelfTest.hearing_id == hearing_id, SelfTest.result == "running")
        )
    )


def settle_self_tests(session: Session, node: MediaNode, hearing_id: str) -> None:
    """Record every running self-test of the hearing that the node has finished measuring,
    so that the judge's page shows the result although the party's device never asked
    for it (it may have gone offline). The node measured it: the court's system records."""
    for test in running_self_tests(session, hearing_id):
        _settle(session, node, Actor.system("self-test"), hearing_id, test)


def _settle(
    session: Session, node: MediaNode, actor: Actor, hearing_id: str, test: SelfTest
) -> None:
    """Take a finished test's measure from the node, then decide eligibility again."""
    if test.result != "running":
        return
    try:
        result = node.self_test_result(test.id)
    except UnknownRoom:
        result = None  # the node restarted and lost it: the test never finishes
    if result is None:
        test.result = "failed"
        test.detail = "the media node no longer knows this test; run it again"
    elif not result.finished:
        return
    else:
        test.result = "passed" if result.passed else "failed"
        test.video_kbps = result.video_kbps
        test.frames_per_second = result.video_fps
        test.audio_kbps = result.audio_kbps
        test.detail = result.detail
    test.finished_at = utcnow()
    session.add(test)
    session.flush()
    record_audit(
        session, actor, "hearing.self_test", "hearing", hearing_id, {"result": test.result}
    )
    services.decide(session, actor, services._hearing(session, hearing_id, lock=True))


def join_media(
    session: Session,
    node: MediaNode,
    settings: Settings,
    actor: Actor,
    account: Account,
    *,
    hearing_id: str,
    offer_sdp: str,
) -> tuple[str, Participant]:
    """Check the booking, the mode and the re-verification (court side), then the offer;
    only then enter the waiting room and answer. An offer the node still refuses fails the
    request as a whole: the presence and attendance written here are rolled back."""
    hearing, participant = services.check_join(session, settings, account, hearing_id=hearing_id)
    check_offer(offer_sdp)
    participant = services.enter(session, actor, hearing, participant)
    try:
        answer = node.join(
            hearing.id,
            participant.id,
            offer_sdp,
            role=participant.role,
            admitted=participant.presence == "admitted",
        )
    except BadOffer as exc:
        raise _refused(exc) from exc
    return answer, participant


@dataclass(frozen=True)
class SlotView:
    index: int
    participant_id: str | None
    name: str | None
    role: str | None


def slots_for(
    session: Session, node: MediaNode, hearing: Hearing, participant: Participant
) -> list[SlotView]:
    people = {p.id: p for p in services.participants_of(session, hearing.id)}
    views = []
    for slot in node.slots(hearing.id, participant.id):
        other = people.get(slot.peer_id) if slot.peer_id else None
        views.append(
            SlotView(
                slot.index,
                other.id if other else None,
                other.name if other else None,
                ROLE_NAMES[ParticipantRole(other.role)] if other else None,
            )
        )
    return views


def presence_action(
    session: Session,
    node: MediaNode,
    blobs: FilesystemBlobStore,
    log: EvidenceLog,
    recordings: Path,
    actor: Actor,
    judge: Account,
    *,
    hearing_id: str,
    participant_id: str,
    action: str,
) -> Participant:
    participant = services.set_presence(
        session, actor, judge, hearing_id=hearing_id, participant_id=participant_id, action=action
    )
    if action == "admit":
        node.admit(hearing_id, participant.id)
    elif action == "remove":
        node.remove(hearing_id, participant.id)
        hearing = services._hearing(session, hearing_id)
        register_recordings(session, blobs, log, recordings, actor, hearing)
    else:
        node.mute(hearing_id, participant.id, participant.muted)
    return participant


def after_move(
    session: Session,
    node: MediaNode,
    blobs: FilesystemBlobStore,
    log: EvidenceLog,
    recordings: Path,
    actor: Actor,
    hearing: Hearing,
) -> int:
    """Carry a conference move to the media: a break stops forwarding and recording, the
    close hangs up and files the recordings. Returns how many recordings were filed."""
    state = HearingState(hearing.state)
    if all(p.joined_at is None for p in services.participants_of(session, hearing.id)):
        return 0  # nobody ever joined by video: no media room to tell
    if state in (HearingState.PAUSED, HearingState.SUSPENDED):
        node.pause(hearing.id, True)
    elif state == HearingState.IN_SESSION:
        node.pause(hearing.id, False)
    elif state in (HearingState.CLOSED, HearingState.CANCELLED):
        node.close_room(hearing.id)
        return register_recordings(session, blobs, log, recordings, actor, hearing)
    return 0


def register_recordings(
    session: Session,
    blobs: FilesystemBlobStore,
    log: EvidenceLog,
    recordings: Path,
    actor: Actor,
    hearing: Hearing,
) -> int:
    """File every finished recording of the hearing: blob store, evidence log, a row. Files
    left by a media process that stopped (and finalised them) are filed the same way."""
    folder = recordings / hearing.id
    if not folder.is_dir():
        return 0
    known = set(
        session.exec(select(HearingRecording.name).where(HearingRecording.hearing_id == hearing.id))
    )
    people = {p.id for p in services.participants_of(session, hearing.id)}
    filed = 0
    for path in sorted(folder.glob("*.webm")):
        if path.name in known or path.stat().st_size == 0:
            continue
        ref = blobs.put_file(str(path))
        leaf = log.append(
            session,
            "hearing.recording",
            {
                "hearing": hearing.id,
                "case": hearing.case_id,
                "file": path.name,
                "sha256": ref.sha256,
                "size": ref.size,
                "time": utcnow().isoformat(),
            },
        )
        participant_id = path.name.rsplit("-", 1)[0]
        session.add(
            HearingRecording(
                hearing_id=hearing.id,
                participant_id=participant_id if participant_id in people else None,
                name=path.name,
                sha256=ref.sha256,
                size=ref.size,
                log_index=leaf.index,
                created_at=utcnow(),
            )
        )
        filed += 1
    if filed:
        latest = hashlib.sha256(
            "".join(
                sorted(
                    r.sha256
                    for r in session.exec(
                        select(HearingRecording).where(HearingRecording.hearing_id == hearing.id)
                    )
                )
            ).encode()
        ).hexdigest()
        hearing.recording_sha256 = latest
        session.add(hearing)
        record_audit(session, actor, "hearing.recordings", "hearing", hearing.id, {"filed": filed})
    session.flush()
    return filed


def recordings_of(session: Session, hearing_id: str) -> list[HearingRecording]:
    return list(
        session.exec(
            select(HearingRecording)
            .where(HearingRecording.hearing_id == hearing_id)
            .order_by(col(HearingRecording.created_at))
        )
    )


def court_participant(session: Session, staff: Account, hearing: Hearing) -> Participant:
    """The judge's or clerk's own booking in the hearing."""
    found = session.exec(
        select(Participant).where(
            Participant.hearing_id == hearing.id, Participant.account_id == staff.id
        )
    ).first()
    if found is None or found.role not in COURT_ROLES:
        raise Conflict({"hearing": hearing.id}, zh="您不是本次庭审的审判人员。")
    return found
