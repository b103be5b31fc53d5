"""Hearings for the parties' phones: what is booked, the consent notice and signed consent
(R1, R3, R3b), objections, and joining (R5)."""

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
from court.hearing import media, services
from court.hearing.models import ROLE_NAMES, STATE_NAMES, Hearing, HearingState, ParticipantRole
from court.identity.services import decode_signature
from court.threads.api import register_thread_routes
from court.threads.services import Thread


class ParticipantPublic(PublicModel):
    id: str
    role: str
    role_name: str
    name: str
    online: bool
    presence: str
    me: bool


class HearingPublic(PublicModel):
    id: str
    case_id: str
    title: str
    scheduled_at: dt.datetime
    state: str
    state_name: str
    #: video / hybrid / offline (R2), from the latest eligibility decision.
    mode: str
    recording: bool
    participants: list[ParticipantPublic]
    #: Whether I take part online, whether my consent stands, and my self-test result.
    my_online: bool
    my_consent: bool
    my_self_test: str | None
    #: The latest decision: every criterion with its rule, facts and citation.
    decision: dict[str, Any] | None


class HearingList(PublicModel):
    items: list[HearingPublic]


class ConsentNotice(PublicModel):
    """Show ``text`` to the party; sign the RFC 8785 canonical JSON of ``statement``."""

    version: str
    text: str
    text_sha256: str
    statement: dict[str, Any]


class ConsentIn(ApiModel):
    device_id: Annotated[str, Field(min_length=1, max_length=64)]
    #: The ``time`` of the statement that was signed (RFC 3339, within 10 minutes of now).
    time: dt.datetime
    #: base64 DER ECDSA signature over the canonical JSON of the statement.
    signature: Annotated[str, Field(min_length=8, max_length=256)]


class ConsentPublic(PublicModel):
    id: str
    notice_version: str
    given_at: dt.datetime
    withdrawn_at: dt.datetime | None
    log_index: int
    certificate_serial: str


class ObjectionIn(ApiModel):
    reason: Annotated[str, Field(min_length=4, max_length=2000)]


def hearing_public(hearing: Hearing) -> HearingPublic:
    session = db()
    me = current_account().id
    participants = services.participants_of(session, hearing.id)
    mine = next((p for p in participants if p.account_id == me), None)
    decision = services.latest_decision(session, hearing.id)
    test = services.latest_self_test(session, hearing.id, me)
    return HearingPublic(
        id=hearing.id,
        case_id=hearing.case_id,
        title=hearing.title,
        scheduled_at=hearing.scheduled_at,
        state=hearing.state,
        state_name=STATE_NAMES[HearingState(hearing.state)],
        mode=hearing.mode,
        recording=hearing.recording,
        participants=[
            ParticipantPublic(
                id=p.id,
                role=p.role,
                role_name=ROLE_NAMES[ParticipantRole(p.role)],
                name=p.name,
                online=p.online,
                presence=p.presence,
                me=p.account_id == me,
            )
            for p in participants
        ],
        my_online=bool(mine and mine.online),
        my_consent=services.active_consent(session, hearing.id, me) is not None,
        my_self_test=test.result if test else None,
        decision=decision.decision if decision else None,
    )


@api.get(
    "/hearings",
    response=HearingList,
    roles=LITIGANT_SIDE,
    tags=["hearings"],
    summary="Hearings I am booked into",
)
def my_hearings() -> HearingList:
    return HearingList(
        items=[hearing_public(h) for h in services.hearings_of(db(), current_account().id)]
    )


@api.get(
    "/hearings/<hearing_id>",
    response=HearingPublic,
    roles=LITIGANT_SIDE,
    tags=["hearings"],
    errors=[404],
    summary="One of my hearings: participants, mode, my consent, the eligibility decision",
)
def read_hearing(hearing_id: str) -> HearingPublic:
    hearing, _ = services.for_participant(db(), current_account(), hearing_id)
    return hearing_public(hearing)


@api.get(
    "/hearings/<hearing_id>/consent-notice",
    response=ConsentNotice,
    roles=LITIGANT_SIDE,
    tags=["hearings"],
    errors=[404],
    summary="The consent notice to show, and the statement to sign to consent (R3b)",
)
def consent_notice(hearing_id: str) -> ConsentNotice:
    account = current_account()
    hearing, participant = services.for_participant(db(), account, hearing_id)
    from court.db import utcnow

    return ConsentNotice(
        version=services.NOTICE_VERSION,
        text=services.NOTICE_TEXT,
        text_sha256=services.NOTICE_SHA256,
        statement=services.consent_statement(hearing, participant, account.id, utcnow()),
    )


@api.post(
    "/hearings/<hearing_id>/consent",
    body=ConsentIn,
    response=ConsentPublic,
    status=201,
    roles=LITIGANT_SIDE,
    tags=["hearings"],
    errors=[403, 404, 409, 422],
    summary="Consent to the video hearing by signing the notice's statement with my device key",
)
def give_consent(hearing_id: str, body: ConsentIn) -> ConsentPublic:
    """Consent counts for this hearing stage only (R1); it is logged and can be withdrawn
    until 1 hour before the hearing (R3)."""
    consent = services.give_consent(
        db(),
        components.pki(),
        components.evidence_log(),
        principal().actor(),
        current_account(),
        hearing_id=hearing_id,
        device_id=body.device_id,
        time=body.time,
        signature=decode_signature(body.signature),
    )
    return ConsentPublic.model_validate(consent)


@api.post(
    "/hearings/<hearing_id>/consent/withdrawal",
    response=ConsentPublic,
    roles=LITIGANT_SIDE,
    tags=["hearings"],
    errors=[404, 409],
    summary="Withdraw my consent (up to 1 hour before the hearing, R3)",
)
def withdraw_consent(hearing_id: str) -> ConsentPublic:
    consent = services.withdraw_consent(
        db(),
        components.evidence_log(),
        principal().actor(),
        current_account(),
        hearing_id=hearing_id,
    )
    return ConsentPublic.model_validate(consent)


@api.post(
    "/hearings/<hearing_id>/objection",
    body=ObjectionIn,
    response=HearingPublic,
    status=201,
    roles=LITIGANT_SIDE,
    tags=["hearings"],
    errors=[404, 409],
    summary="Object to the video hearing, with reasons, for the judge to weigh (R18)",
)
def objection(hearing_id: str, body: ObjectionIn) -> HearingPublic:
    services.object_to_video(
        db(), principal().actor(), current_account(), hearing_id=hearing_id, reason=body.reason
    )
    hearing, _ = services.for_participant(db(), current_account(), hearing_id)
    return hearing_public(hearing)


class OfferIn(ApiModel):
    #: The device's SDP offer: its own audio and video (send) and, to watch the hearing,
    #: pairs of receive-only video and audio transceivers (one pair per other participant).
    sdp: Annotated[str, Field(min_length=10, max_length=100_000)]


class SelfTestStarted(PublicModel):
    id: str
    sdp: str
    seconds: float


class SelfTestPublic(PublicModel):
    id: str
    result: str
    frames_per_second: float | None
    video_kbps: float | None
    audio_kbps: float | None
    detail: str


class JoinedPublic(PublicModel):
    sdp: str
    participant_id: str
    #: "waiting" until the judge admits you, then "admitted".
    presence: str


class SlotPublic(PublicModel):
    index: int
    participant_id: str | None
    name: str | None
    role: str | None


class RoomPublic(PublicModel):
    state: str
    mode: str
    presence: str
    muted: bool
    #: Which participant each of my receive slots shows now.
    slots: list[SlotPublic]


@api.post(
    "/hearings/<hearing_id>/self-tests",
    body=OfferIn,
    response=SelfTestStarted,
    status=201,
    roles=LITIGANT_SIDE,
    tags=["hearings"],
    idempotent=False,
    errors=[404, 409, 422, 503],
    summary="Start a device self-test: send media for a few seconds, then read the result",
)
def start_self_test(hearing_id: str, body: OfferIn) -> SelfTestStarted:
    test, answer = media.start_self_test(
        db(),
        components.media_node(),
        components.settings(),
        current_account(),
        hearing_id=hearing_id,
        offer_sdp=body.sdp,
    )
    return SelfTestStarted(id=test.id, sdp=answer, seconds=components.settings().self_test_seconds)


@api.get(
    "/hearings/<hearing_id>/self-tests/<test_id>",
    response=SelfTestPublic,
    roles=LITIGANT_SIDE,
    tags=["hearings"],
    errors=[404, 503],
    summary="A self-test's result: passed or failed, with the measured frame and bit rates",
)
def read_self_test(hearing_id: str, test_id: str) -> SelfTestPublic:
    test = media.self_test_result(
        db(),
        components.media_node(),
        principal().actor(),
        current_account(),
        hearing_id=hearing_id,
        test_id=test_id,
    )
    return SelfTestPublic.model_validate(test)


@api.post(
    "/hearings/<hearing_id>/media",
    body=OfferIn,
    response=JoinedPublic,
    status=201,
    roles=LITIGANT_SIDE,
    tags=["hearings"],
    idempotent=False,
    errors=[403, 404, 409, 422, 503],
    summary="Join the hearing's media (R5: re-verify first); wait until the judge admits you",
)
def join_media(hearing_id: str, body: OfferIn) -> JoinedPublic:
    """Joining again after a dropped connection replaces the earlier connection."""
    answer, participant = media.join_media(
        db(),
        components.media_node(),
        components.settings(),
        principal().actor(),
        current_account(),
        hearing_id=hearing_id,
        offer_sdp=body.sdp,
    )
    return JoinedPublic(sdp=answer, participant_id=participant.id, presence=participant.presence)


@api.get(
    "/hearings/<hearing_id>/room",
    response=RoomPublic,
    roles=LITIGANT_SIDE,
    tags=["hearings"],
    errors=[404, 503],
    summary="Where I am (waiting or admitted) and whom each of my receive slots shows",
)
def room(hearing_id: str) -> RoomPublic:
    hearing, participant = services.for_participant(db(), current_account(), hearing_id)
    slots = (
        media.slots_for(db(), components.media_node(), hearing, participant)
        if participant.presence in ("waiting", "admitted")
        else []
    )
    return RoomPublic(
        state=hearing.state,
        mode=hearing.mode,
        presence=participant.presence,
        muted=participant.muted,
        slots=[SlotPublic(**s.__dict__) for s in slots],
    )


@api.post(
    "/hearings/<hearing_id>/leave",
    response=HearingPublic,
    roles=LITIGANT_SIDE,
    tags=["hearings"],
    errors=[404, 503],
    summary="Leave the hearing's media",
)
def leave(hearing_id: str) -> HearingPublic:
    participant = services.leave(
        db(), principal().actor(), current_account(), hearing_id=hearing_id
    )
    components.media_node().remove(hearing_id, participant.id)
    hearing, _ = services.for_participant(db(), current_account(), hearing_id)
    return hearing_public(hearing)


def _text_channel(hearing_id: str) -> Thread:
    """The hearing's text channel (Ningbo heard deaf parties by text): every booked
    participant reads it and, while the hearing is open, writes in it."""
    _, participant = services.for_participant(db(), current_account(), hearing_id)
    role = ROLE_NAMES[ParticipantRole(participant.role)]
    return Thread(None, None, f"{role} {participant.name}", hearing_id=hearing_id)


register_thread_routes("/hearings", "hearing_id", _text_channel, "hearing text channel")


class BrowserLink(PublicModel):
    #: Open on a computer to join there; valid as long as the re-verification (R5).
    url: str
    expires_in: int


@api.post(
    "/hearings/<hearing_id>/browser-link",
    response=BrowserLink,
    status=201,
    roles=LITIGANT_SIDE,
    tags=["hearings"],
    idempotent=False,
    errors=[403, 404, 409],
    summary="A short-lived link to join the hearing from a computer's browser (after R5)",
)
def browser_link(hearing_id: str) -> BrowserLink:
    """The phone re-verifies first; the link lasts as long as that re-verification."""
    from court.hearing.join_views import make_link
    from court.identity.models import ReverifyPurpose
    from court.identity.services import require_fresh_verification

    account = current_account()
    hearing, participant = services.for_participant(db(), account, hearing_id)
    if hearing.state not in services.OPEN_STATES:
        raise services.HearingClosed({"state": hearing.state})
    if not participant.online:
        raise services.NotOnline({"mode": hearing.mode})
    settings = components.settings()
    require_fresh_verification(db(), settings, account.id, ReverifyPurpose.HEARING)
    return BrowserLink(
        url=make_link(participant, account), expires_in=settings.reverify_fresh_seconds
    )
