"""A defendant who is only a name in the complaint: the court texts them, they sign in with
that number, verify under that name and link their account to the case; linked within 3
days they may be heard by video (R3a), later they are heard in the courtroom."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from flask import Flask
from sqlmodel import Session, select

from court.cases.models import CaseParty
from litigant_client import ApiError, LitigantClient
from tests.court.hearing_world import Court


@pytest.fixture
def court(app: Flask, session: Session, make_litigant: Any) -> Court:
    return Court(app, session, make_litigant, defendant_linked=False)


def _error(call: Any) -> tuple[int, str]:
    with pytest.raises(ApiError) as caught:
        call()
    return caught.value.reply.status, caught.value.reply.body["error"]["code"]


def _bob_party(court: Court, session: Session) -> CaseParty:
    session.rollback()
    return session.exec(
        select(CaseParty).where(CaseParty.case_id == court.case_id, CaseParty.role == "defendant")
    ).one()


def _notify(court: Court, hearing_id: str, party_id: str, phone: str) -> Any:
    page = f"/staff/hearings/{hearing_id}"
    return court.form(page, f"{page}/case-parties/{party_id}/notify", phone=phone)


def _r3a(hearing: dict[str, Any], name: str) -> list[bool]:
    party = next(p for p in hearing["decision"]["parties"] if p["name"] == name)
    return [c["holds"] for c in party["criteria"] if c["rule"] == "R3a"]


def test_a_notified_defendant_links_within_three_days_and_is_heard_by_video(
    court: Court, session: Session, caplog: pytest.LogCaptureFixture
) -> None:
    hearing_id = court.schedule()
    page = court.judge.get(f"/staff/hearings/{hearing_id}").get_data(as_text=True)
    assert "尚未关联账户的当事人" in page
    assert "尚未通知" in page
    party = _bob_party(court, session)
    assert court.bob.phone
    # A number that is not a mobile number is refused; nothing is recorded.
    assert _notify(court, hearing_id, party.id, "12345").status_code == 400
    assert _bob_party(court, session).notified_at is None

    assert _notify(court, hearing_id, party.id, court.bob.phone).status_code == 302
    texts = [r.getMessage() for r in caplog.records if court.bob.phone in r.getMessage()]
    assert any("3 日内" in t and "(2026)浙0203民初88号" in t for t in texts)
    notified = _bob_party(court, session).notified_at
    assert notified is not None
    page = court.judge.get(f"/staff/hearings/{hearing_id}").get_data(as_text=True)
    assert f"{court.bob.phone[:3]}****{court.bob.phone[-4:]}" in page

    # Only the notified number sees the invitation.
    assert court.alice.call("GET", "/case-invitations")["items"] == []
    invitation = court.bob.call("GET", "/case-invitations")["items"][0]
    assert invitation["name"] == "孙大伟"
    assert invitation["role"] == "defendant"
    link_by = dt.datetime.fromisoformat(invitation["link_by"])
    assert link_by - dt.datetime.fromisoformat(invitation["notified_at"]) == dt.timedelta(days=3)
    # Bob cannot see the hearing before linking.
    assert _error(lambda: court.bob.call("GET", f"/hearings/{hearing_id}"))[0] == 404

    case = court.bob.call("POST", f"/case-invitations/{party.id}/link")
    assert case["my_roles"] == ["defendant"]
    assert [c["id"] for c in court.bob.call("GET", "/cases")["items"]] == [court.case_id]
    assert court.bob.call("GET", "/case-invitations")["items"] == []
    # The hearing already scheduled is served on him now (it was served on Alice at once).
    inbox = court.bob.call("GET", "/inbox")["items"]
    assert [item["kind"] for item in inbox] == ["hearing_notice"]
    assert _error(lambda: court.bob.call("POST", f"/case-invitations/{party.id}/link")) == (
        409,
        "already_linked",
    )
    # Booked into the hearing already scheduled; consents; heard by video with R3a held.
    court.video_ready(hearing_id)
    hearing = court.bob.call("GET", f"/hearings/{hearing_id}")
    assert hearing["my_online"] is True
    assert hearing["mode"] == "video"
    assert _r3a(hearing, "孙大伟") == [True]


def test_a_defendant_who_links_after_three_days_is_heard_in_the_courtroom(
    court: Court, session: Session
) -> None:
    hearing_id = court.schedule()
    party = _bob_party(court, session)
    assert court.bob.phone
    assert _notify(court, hearing_id, party.id, court.bob.phone).status_code == 302
    stored = _bob_party(court, session)
    assert stored.notified_at is not None
    stored.notified_at -= dt.timedelta(days=3, hours=1)  # the notice went out days ago
    session.add(stored)
    session.commit()
    court.bob.call("POST", f"/case-invitations/{party.id}/link")
    court.video_ready(hearing_id)
    hearing = court.bob.call("GET", f"/hearings/{hearing_id}")
    assert _r3a(hearing, "孙大伟") == [False]
    assert hearing["my_online"] is False
    assert hearing["mode"] == "hybrid"  # the plaintiff online, the defendant in court


def test_only_the_person_named_with_the_notified_number_can_link(
    court: Court, session: Session, make_litigant: Any
) -> None:
    hearing_id = court.schedule()
    party = _bob_party(court, session)
    stranger: LitigantClient = make_litigant(name="王五")
    assert stranger.phone
    # Someone else's number sees nothing and cannot link.
    assert _notify(court, hearing_id, party.id, court.bob.phone or "").status_code == 302
    assert stranger.call("GET", "/case-invitations")["items"] == []
    assert _error(lambda: stranger.call("POST", f"/case-invitations/{party.id}/link")) == (
        404,
        "case_invitation_not_found",
    )
    # Notified at the stranger's number, the verified name still has to be the party's.
    assert _notify(court, hearing_id, party.id, stranger.phone).status_code == 302
    assert _error(lambda: stranger.call("POST", f"/case-invitations/{party.id}/link")) == (
        403,
        "name_mismatch",
    )
    assert _bob_party(court, session).account_id is None
    # Once linked, a party cannot be notified again.
    assert _notify(court, hearing_id, party.id, court.bob.phone or "").status_code == 302
    court.bob.call("POST", f"/case-invitations/{party.id}/link")
    assert _notify(court, hearing_id, party.id, court.bob.phone or "").status_code == 409


def test_an_unverified_account_is_told_to_verify_first(
    court: Court, session: Session, make_litigant: Any
) -> None:
    hearing_id = court.schedule()
    party = _bob_party(court, session)
    newcomer: LitigantClient = make_litigant(verified=False)
    assert newcomer.phone
    assert _notify(court, hearing_id, party.id, newcomer.phone).status_code == 302
    assert _error(lambda: newcomer.call("POST", f"/case-invitations/{party.id}/link")) == (
        403,
        "identity_required",
    )
