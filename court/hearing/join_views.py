"""Joining a hearing from a computer's browser: the phone (which holds the signing key and
has just re-verified, R5) asks for a short-lived link; the link opens the litigant's
hearing page, which sends the computer's camera and microphone.

The link is a signed token (the app's secret key) naming the participant and the account;
it lasts as long as the re-verification it rests on, and the media join checks that
re-verification again.
"""

from __future__ import annotations

from typing import Any

from flask import Blueprint, Response, current_app, render_template, request, url_for
from itsdangerous import BadSignature, URLSafeTimedSerializer

from court import components
from court.accounts.models import Account
from court.audit import Actor
from court.db import db
from court.errors import NotFound, ValidationFailed
from court.hearing import media, services
from court.hearing.models import ROLE_NAMES, STATE_NAMES, HearingState, Participant, ParticipantRole
from court.threads import services as thread
from court.threads.api import stream_response

hearing_join = Blueprint("hearing_join", __name__, url_prefix="/hearings/join")
SALT = "microcourt/hearing-browser-link/v1"


class LinkInvalid(NotFound):
    code = "join_link_invalid"
    zh = "入庭链接无效或已过期，请在手机上重新获取。"
    en = "The join link is invalid or has expired; get a new one on the phone."


def _serializer() -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(current_app.config["SECRET_KEY"], salt=SALT)


def make_link(participant: Participant, account: Account) -> str:
    token = _serializer().dumps({"participant": participant.id, "account": account.id})
    base = components.settings().public_base_url
    return f"{base}{url_for('hearing_join.page', token=token)}"


def _resolve(token: str) -> tuple[Account, Participant]:
    try:
        data: dict[str, Any] = _serializer().loads(
            token, max_age=components.settings().reverify_fresh_seconds
        )
    except BadSignature as exc:
        raise LinkInvalid() from exc
    account = db().get(Account, data.get("account"))
    participant = db().get(Participant, data.get("participant"))
    if account is None or participant is None or participant.account_id != account.id:
        raise LinkInvalid()
    return account, participant


def _actor(account: Account) -> Actor:
    return Actor(account.id, account.role, session_ref="browser-link")


@hearing_join.get("/<token>")
def page(token: str) -> str:
    _, participant = _resolve(token)
    hearing = services._hearing(db(), participant.hearing_id)
    return render_template(
        "hearing_join.html",
        hearing=hearing,
        participant=participant,
        token=token,
        state_names=STATE_NAMES,
        role_name=ROLE_NAMES[ParticipantRole(participant.role)],
        slots=8,
    )


@hearing_join.post("/<token>/media")
def join_media(token: str) -> dict[str, object]:
    account, participant = _resolve(token)
    offer = (request.get_json(silent=True) or {}).get("sdp")
    if not isinstance(offer, str) or not 10 <= len(offer) <= 100_000:
        raise ValidationFailed({"field": "sdp"})
    answer, joined = media.join_media(
        db(),
        components.media_node(),
        components.settings(),
        _actor(account),
        account,
        hearing_id=participant.hearing_id,
        offer_sdp=offer,
    )
    return {"sdp": answer, "participant_id": joined.id, "presence": joined.presence}


@hearing_join.get("/<token>/state")
def state(token: str) -> dict[str, object]:
    _, participant = _resolve(token)
    hearing = services._hearing(db(), participant.hearing_id)
    db().refresh(participant)
    slots = (
        media.slots_for(db(), components.media_node(), hearing, participant)
        if participant.presence in ("waiting", "admitted")
        else []
    )
    return {
        "state": hearing.state,
        "state_name": STATE_NAMES[HearingState(hearing.state)],
        "presence": participant.presence,
        "participants": [],
        "slots": [s.__dict__ for s in slots],
    }


def _channel(token: str) -> tuple[Account, thread.Thread]:
    account, participant = _resolve(token)
    role = ROLE_NAMES[ParticipantRole(participant.role)]
    return account, thread.Thread(
        None, None, f"{role} {participant.name}", hearing_id=participant.hearing_id
    )


@hearing_join.post("/<token>/messages")
def message(token: str) -> tuple[dict[str, object], int]:
    account, channel = _channel(token)
    posted = thread.post(db(), account, channel, body=request.form.get("body", ""))
    return {"id": posted.id}, 201


@hearing_join.get("/<token>/events")
def events(token: str) -> Response:
    account, channel = _channel(token)
    return stream_response(channel, request.args.get("after", 0, type=int), account.id)
