"""Bringing a party who is not yet on the system into a case (R3a, R4).

A complaint names the defendant; nothing links them to an account. The court notifies
them by text message at a phone number; signed in with that number and verified under the
name the case gives, they link their account to the case. Linking is what lets them
consent, take part online and be served electronically. R3a: a notified defendant who
wants a video hearing must have verified and linked within 3 days of the notice;
otherwise that party runs offline (see ``link_deadline`` and the hearing's eligibility).
"""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING

from sqlmodel import Session, col, select

from court.accounts.interfaces import CodeSender
from court.accounts.models import Account
from court.accounts.services import mask_phone, normalise_phone
from court.audit import Actor, record_audit
from court.cases.models import Case, CaseParty, PartyRole
from court.db import after_commit, utcnow
from court.errors import Conflict, Forbidden, NotFound
from court.identity.errors import IdentityRequired
from court.identity.models import Person
from court.identity.protection import mask_name
from court.timekeeping import CHINA, WorkingCalendar, local_date

if TYPE_CHECKING:
    from court.hearing.models import Participant

#: R3a (OLR 10): a notified defendant verifies and links within 3 days.
LINK_DAYS = 3
#: The same number is not texted the same notice again sooner than this (a double click, two
#: clerks at once): the repeat is recorded as not sent.
RESEND_AFTER = dt.timedelta(minutes=1)
#: Who can be brought in by notice: the parties a filing names (a co-plaintiff too), not
#: agents, who are appointed by a party.
NOTIFIABLE = frozenset(
    {
        PartyRole.PLAINTIFF,
        PartyRole.DEFENDANT,
        PartyRole.THIRD_PARTY,
        PartyRole.APPLICANT,
        PartyRole.RESPONDENT,
    }
)


class InvitationNotFound(NotFound):
    code = "case_invitation_not_found"
    zh = "没有发给您手机号的该案件通知。"
    en = "No notice of this case was sent to your phone number."


class NameMismatch(Forbidden):
    code = "name_mismatch"
    zh = "您的实名信息（姓名或身份证件号码）与案件中的当事人不符，不能关联该案件。"
    en = "Your verified identity (name or ID number) is not the party's in this case."


class AlreadyParty(Conflict):
    code = "already_a_party"
    zh = "您已是该案件的当事人，不能再以另一当事人身份关联。"
    en = "You are already a party to this case; you cannot link as another party."


class AlreadyLinked(Conflict):
    code = "already_linked"
    zh = "该当事人已关联账户。"
    en = "This party is already linked to an account."


def link_deadline(notified_at: dt.datetime, calendar: WorkingCalendar) -> dt.datetime:
    """R3a's 3 days as the Civil Procedure Law counts a period (art. 85): the day of the
    notice does not count; the period ends at the end of its last day, court time; a last
    day that is a holiday or a rest day moves to the next working day."""
    last = local_date(notified_at) + dt.timedelta(days=LINK_DAYS)
    while not calendar.is_working_day(last):
        last += dt.timedelta(days=1)
    return dt.datetime.combine(last + dt.timedelta(days=1), dt.time(), tzinfo=CHINA)


def linked_in_time(party: CaseParty, now: dt.datetime) -> bool | None:
    """R3a for a notified party: True if linked within the 3 days, False if not (or the days
    ran out), None while the days are still running. None for a party never notified."""
    deadline = party.link_by
    if deadline is None:
        return None
    if party.linked_at is not None:
        return party.linked_at < deadline
    return False if now >= deadline else None


def notify(
    session: Session,
    actor: Actor,
    sender: CodeSender,
    calendar: WorkingCalendar,
    staff: Account,
    *,
    case_id: str,
    party_id: str,
    phone: str,
) -> tuple[CaseParty, bool]:
    """Text an unlinked party of a case of the staff member's court about the case; return
    the party and whether a text went out (not when the same number was texted less than
    ``RESEND_AFTER`` ago)."""
    party = session.get(CaseParty, party_id, with_for_update=True, populate_existing=True)
    case = session.get(Case, party.case_id) if party is not None else None
    if party is None or case is None or case.court_id != staff.court_id or case.id != case_id:
        raise NotFound({"party": party_id})
    if party.account_id is not None:
        raise AlreadyLinked({"party": party_id})
    if party.role not in NOTIFIABLE:
        raise NotFound({"party": party_id})
    number = normalise_phone(phone)
    now = utcnow()
    texted = party.texted_at if party.phone == number else None
    if texted is not None and now - texted < RESEND_AFTER:
        return party, False
    # A notice to a new number is a new notice: the 3 days run from it. Notifying the same
    # number again repeats the text and keeps the days running from the first notice.
    if party.phone != number or party.notified_at is None:
        party.phone, party.notified_at = number, now
        party.link_by = link_deadline(now, calendar)
    elif party.link_by is None:  # notified before the deadline was kept (migration 0015)
        party.link_by = link_deadline(party.notified_at, calendar)
    deadline = party.link_by
    party.texted_at = now
    session.add(party)
    session.flush()
    by = deadline.astimezone(CHINA) - dt.timedelta(seconds=1)
    text = (
        f"{case.title}（{case.case_number or '待立案'}）：法院通知您参加诉讼。请于"
        f" {by:%Y年%m月%d日} 24 时前使用本手机号登录移动微法院，完成实名认证并关联案件；"
        "逾期的，线下参加庭审。"
    )
    # Sent once the notice is committed: a rolled-back notice sends nothing.
    after_commit(session, lambda: sender.send_text(number, text))
    record_audit(
        session,
        actor,
        "case.notify_party",
        "case",
        case.id,
        {"party": party.id, "phone": mask_phone(number)},
    )
    return party, True


def invitations(session: Session, account: Account) -> list[tuple[CaseParty, Case]]:
    """Unlinked parties notified at this account's phone number, with their cases."""
    if not account.phone:
        return []
    rows = session.exec(
        select(CaseParty, Case)
        .join(Case, col(Case.id) == CaseParty.case_id)
        .where(
            CaseParty.phone == account.phone,
            col(CaseParty.account_id).is_(None),
            col(CaseParty.notified_at).is_not(None),
        )
        .order_by(col(CaseParty.notified_at).desc(), col(CaseParty.id))
    ).all()
    return [(party, case) for party, case in rows]


def is_the_party(person: Person | None, party: CaseParty) -> bool:
    """Whether this verified person is the party: the same name and, when the complaint gave
    the party's ID number, that number (a same-named stranger at a number the other side
    supplied is not the party)."""
    if person is None or person.name != party.name:
        return False
    return party.id_match is None or (
        person.id_type == party.id_type and person.id_match == party.id_match
    )


def invitation_name(session: Session, account: Account, party: CaseParty) -> tuple[str, bool]:
    """The party's name as the invitation shows it to this account, and whether the account
    is the party: in full to the party verified, masked to anyone else holding the number
    (not yet verified, or someone else: numbers are reassigned) — the text message itself
    never names the party."""
    person = session.get(Person, account.person_id) if account.person_id else None
    if is_the_party(person, party):
        return party.name, True
    return mask_name(party.name), False


def link(
    session: Session, actor: Actor, account: Account, *, party_id: str
) -> tuple[CaseParty, list[Participant]]:
    """Link the signed-in, verified account to the party it was notified as (R4: under the
    verified name only). Open hearings of the case book the account in that party's place:
    those places are returned (each is owed the hearing notice)."""
    from court.hearing.services import book_linked_party

    party = session.get(CaseParty, party_id, with_for_update=True)
    if party is None or not account.phone or party.phone != account.phone:
        raise InvitationNotFound({"party": party_id})
    if party.account_id is not None:
        if party.account_id == account.id:
            raise AlreadyLinked({"party": party_id})
        raise InvitationNotFound({"party": party_id})
    person = session.get(Person, account.person_id) if account.person_id else None
    if person is None:
        raise IdentityRequired()
    if not is_the_party(person, party):
        # The name masked: whoever holds the number may not be the party.
        raise NameMismatch({"party_name": mask_name(party.name)})
    already = session.exec(
        select(CaseParty.id).where(
            CaseParty.case_id == party.case_id, CaseParty.account_id == account.id
        )
    ).first()
    if already is not None:  # one person is never two parties of a case (both sides)
        raise AlreadyParty({"case": party.case_id})
    party.account_id = account.id
    party.linked_at = utcnow()
    session.add(party)
    session.flush()
    booked = book_linked_party(session, party)
    record_audit(session, actor, "case.link_party", "case", party.case_id, {"party": party.id})
    return party, booked
