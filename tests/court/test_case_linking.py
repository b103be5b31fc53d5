"""A defendant who is only a name in the complaint: the court texts them, they sign in with
that number, verify under that name and link their account to the case; linked within 3
days they may be heard by video (R3a), later they are heard in the courtroom."""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

import pytest
from flask import Flask
from sqlmodel import Session, select

from court.cases.linking import RESEND_AFTER, link_deadline
from court.cases.models import CaseParty
from court.identity.protection import mask_name
from court.timekeeping import WorkingCalendar
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


def components_calendar(court: Court) -> WorkingCalendar:
    from court import components

    with court.app.app_context():
        return components.working_calendar()


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
    assert any("24 时前" in t and "(2026)浙0203民初88号" in t for t in texts)
    notified = _bob_party(court, session).notified_at
    assert notified is not None
    page = court.judge.get(f"/staff/hearings/{hearing_id}").get_data(as_text=True)
    assert f"{court.bob.phone[:3]}****{court.bob.phone[-4:]}" in page

    # Only the notified number sees the invitation.
    assert court.alice.call("GET", "/case-invitations")["items"] == []
    invitation = court.bob.call("GET", "/case-invitations")["items"][0]
    assert invitation["name"] == "孙大伟"  # verified as the party: named in full
    assert invitation["is_you"] is True
    assert invitation["role"] == "defendant"
    link_by = dt.datetime.fromisoformat(invitation["link_by"])
    notified_at = dt.datetime.fromisoformat(invitation["notified_at"])
    assert link_by == link_deadline(notified_at, components_calendar(court))
    assert dt.timedelta(days=3) < link_by - notified_at <= dt.timedelta(days=10)
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
    assert stored.link_by is not None
    # The notice went out days ago: its 3 days ended a minute before now.
    shift = stored.link_by - dt.datetime.now(dt.UTC) + dt.timedelta(minutes=1)
    stored.notified_at -= shift
    stored.link_by -= shift
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
    # Notified at the stranger's number (a reassigned number, a mistake), the verified name
    # still has to be the party's, and the stranger never learns the party's full name.
    assert _notify(court, hearing_id, party.id, stranger.phone).status_code == 302
    [invitation] = stranger.call("GET", "/case-invitations")["items"]
    assert (invitation["name"], invitation["is_you"]) == ("孙*伟", False)
    with pytest.raises(ApiError) as refused:
        stranger.call("POST", f"/case-invitations/{party.id}/link")
    assert refused.value.reply.status == 403
    assert refused.value.reply.body["error"]["code"] == "name_mismatch"
    assert "孙大伟" not in json.dumps(refused.value.reply.body, ensure_ascii=False)
    assert refused.value.reply.body["error"]["details"]["party_name"] == "孙*伟"
    assert _bob_party(court, session).account_id is None
    # Once linked, a party cannot be notified again.
    assert _notify(court, hearing_id, party.id, court.bob.phone or "").status_code == 302
    court.bob.call("POST", f"/case-invitations/{party.id}/link")
    assert _notify(court, hearing_id, party.id, court.bob.phone or "").status_code == 409


def test_the_complaints_id_number_decides_who_the_party_is(
    court: Court, session: Session, make_litigant: Any
) -> None:
    """A same-named person at a number the other side gave is not the defendant when the
    complaint gave the defendant's ID number."""
    from court.identity.models import Person

    hearing_id = court.schedule()
    party = _bob_party(court, session)
    protector = court.app.extensions["court.id_protector"]
    party.id_type = "resident_id"
    party.id_match = protector.match_value("resident_id", "110101199003070000")
    session.add(party)
    session.commit()
    namesake: LitigantClient = make_litigant(name="孙大伟")
    assert namesake.phone
    assert _notify(court, hearing_id, party.id, namesake.phone).status_code == 302
    assert _error(lambda: namesake.call("POST", f"/case-invitations/{party.id}/link")) == (
        403,
        "name_mismatch",
    )
    # Bob himself, whose verified number is the one in the complaint, links.
    from court.accounts.models import Account

    bob_account = session.get(Account, court.bob.call("GET", "/me")["id"])
    assert bob_account is not None
    bob_person = session.exec(select(Person).where(Person.id == bob_account.person_id)).one()
    party = _bob_party(court, session)
    party.id_match = bob_person.id_match
    session.add(party)
    session.commit()
    assert _notify(court, hearing_id, party.id, court.bob.phone or "").status_code == 302
    assert court.bob.call("POST", f"/case-invitations/{party.id}/link")["my_roles"] == ["defendant"]


def test_one_person_is_never_both_sides_of_a_case(court: Court, session: Session) -> None:
    """The plaintiff, named again as the defendant and texted at their own number, cannot
    link as the defendant too."""
    hearing_id = court.schedule()
    party = _bob_party(court, session)
    party.name = "刘小明"
    session.add(party)
    session.commit()
    assert _notify(court, hearing_id, party.id, court.alice.phone or "").status_code == 302
    assert _error(lambda: court.alice.call("POST", f"/case-invitations/{party.id}/link")) == (
        409,
        "already_a_party",
    )
    assert _bob_party(court, session).account_id is None


def test_two_defendants_of_the_same_name_are_booked_into_their_own_places(
    court: Court, session: Session, make_litigant: Any
) -> None:
    session.rollback()
    twin = CaseParty(case_id=court.case_id, role="defendant", name="孙大伟")
    session.add(twin)
    session.commit()
    twin_id = twin.id
    hearing_id = court.schedule()
    party = _bob_party_by_id(session, twin_id)
    other: LitigantClient = make_litigant(name="孙大伟")
    assert _notify(court, hearing_id, party.id, other.phone or "").status_code == 302
    other.call("POST", f"/case-invitations/{party.id}/link")
    session.rollback()
    from court.hearing.models import Participant

    places = session.exec(
        select(Participant).where(
            Participant.hearing_id == hearing_id, Participant.name == "孙大伟"
        )
    ).all()
    me = other.call("GET", "/me")["id"]
    assert sorted((p.case_party_id == twin_id, p.account_id == me) for p in places) == [
        (False, False),
        (True, True),
    ]


def _bob_party_by_id(session: Session, party_id: str) -> CaseParty:
    session.rollback()
    found = session.get(CaseParty, party_id)
    assert found is not None
    return found


def test_the_three_days_count_as_the_civil_procedure_law_counts_them() -> None:
    """Art. 85: from the day after the notice, to the end of the last day (court time); a
    last day that is a rest day or a holiday moves to the next working day."""
    from court.timekeeping import CHINA, WorkingCalendar

    calendar = WorkingCalendar(holidays=frozenset({dt.date(2026, 12, 31)}))

    def ends(notified: dt.datetime) -> dt.datetime:
        return link_deadline(notified.replace(tzinfo=CHINA), calendar).astimezone(CHINA)

    # Monday 10:00 → Thursday is the last day: ends at midnight into Friday.
    assert ends(dt.datetime(2026, 11, 30, 10)) == dt.datetime(2026, 12, 4, tzinfo=CHINA)
    # Late on a Monday counts the same: the day of the notice is not counted.
    assert ends(dt.datetime(2026, 11, 30, 23, 50)) == dt.datetime(2026, 12, 4, tzinfo=CHINA)
    # Wednesday → Saturday, a rest day → Monday is the last day.
    assert ends(dt.datetime(2026, 12, 2, 9)) == dt.datetime(2026, 12, 8, tzinfo=CHINA)
    # Monday 28 Dec → Thursday 31 Dec is a holiday → Friday 1 Jan 2027 (working here).
    assert ends(dt.datetime(2026, 12, 28, 9)) == dt.datetime(2027, 1, 2, tzinfo=CHINA)
    # UTC evening is already the next day in court time.
    utc = dt.datetime(2026, 11, 29, 17, 0, tzinfo=dt.UTC)  # Monday 01:00 in Ningbo
    assert link_deadline(utc, calendar) == dt.datetime(2026, 12, 4, tzinfo=CHINA)


def test_an_unverified_account_is_told_to_verify_first(
    court: Court, session: Session, make_litigant: Any
) -> None:
    hearing_id = court.schedule()
    party = _bob_party(court, session)
    newcomer: LitigantClient = make_litigant(verified=False)
    assert newcomer.phone
    assert _notify(court, hearing_id, party.id, newcomer.phone).status_code == 302
    # Until verified as the party, the invitation does not name the party in full.
    [invitation] = newcomer.call("GET", "/case-invitations")["items"]
    assert (invitation["name"], invitation["is_you"]) == ("孙*伟", False)
    assert _error(lambda: newcomer.call("POST", f"/case-invitations/{party.id}/link")) == (
        403,
        "identity_required",
    )


@pytest.mark.parametrize(
    ("name", "masked"),
    [
        ("张三", "张*"),
        ("孙大伟", "孙*伟"),
        ("欧阳娜娜", "欧**娜"),
        ("宁波某某有限公司", "宁******司"),
        ("李", "*"),
    ],
)
def test_a_party_name_is_masked_to_its_family_name_and_last_character(
    name: str, masked: str
) -> None:
    assert mask_name(name) == masked


def test_a_double_click_texts_the_party_once_and_a_later_repeat_texts_again(
    court: Court, session: Session, caplog: pytest.LogCaptureFixture
) -> None:
    hearing_id = court.schedule()
    party = _bob_party(court, session)
    phone = court.bob.phone or ""

    def texts() -> int:
        return sum(
            1 for r in caplog.records if phone in r.getMessage() and "24 时前" in r.getMessage()
        )

    first = _notify(court, hearing_id, party.id, phone)
    again = _notify(court, hearing_id, party.id, phone)
    assert first.status_code == again.status_code == 302
    assert texts() == 1
    page = court.judge.get(f"/staff/hearings/{hearing_id}").get_data(as_text=True)
    assert "未重复发送" in page
    # A repeat a minute later is a repeat the clerk meant: it goes out, and the 3 days still
    # run from the first notice.
    stored = _bob_party(court, session)
    assert stored.texted_at is not None
    assert stored.notified_at is not None
    first_notice = stored.notified_at
    stored.texted_at -= RESEND_AFTER
    session.add(stored)
    session.commit()
    assert _notify(court, hearing_id, party.id, phone).status_code == 302
    assert texts() == 2
    session.expire_all()
    assert _bob_party(court, session).notified_at == first_notice
