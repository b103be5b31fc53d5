"""The life of a mediation: request, invitation, choice or assignment of the mediator,
acceptance with disclosure, change of mediator, time limits, and how it ends (R11–R16).

Every move goes through ``MEDIATION_MOVES`` (history row, who and why); time limits come
from ``deadlines`` and are checked when someone acts, and again by :func:`sweep`.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass, field

from sqlmodel import Session, col, select

from court.accounts.models import Account, Role
from court.audit import Actor, record_audit
from court.cases.models import CASE_MOVES, Case, CaseParty, CaseState, Procedure
from court.db import utcnow
from court.errors import ValidationFailed
from court.eservice.models import ConsentGround
from court.identity.errors import IdentityRequired
from court.identity.models import Person
from court.live import notify_after_commit
from court.mediation import deadlines
from court.mediation.errors import (
    DeadlinePassed,
    MediationNotFound,
    MediatorUnavailable,
    NotInvited,
    WrongState,
)
from court.mediation.models import (
    GROUND_NAMES,
    MEDIATION_MOVES,
    OPEN_STATES,
    ChangeRequest,
    Confirmation,
    Mediation,
    MediationParty,
    MediationStage,
    MediationState,
    Mediator,
    PartySide,
    TerminationGround,
)
from court.reference.models import CaseCause, CauseTag
from court.reference.services import cause_tags
from court.threads.models import Message
from court.timekeeping import WorkingCalendar, local_date

#: A reminder goes out this many days before the mediation's time limit (R13).
REMIND_DAYS_BEFORE = 3
#: An extension agreed at one time is at most this long (the parties may agree again).
MAX_EXTENSION_DAYS = 30


def channel(mediation_id: str) -> str:
    return f"mediation:{mediation_id}"


def today() -> dt.date:
    return local_date(utcnow())


# --- reading, with access -------------------------------------------------------------


def _load(session: Session, mediation_id: str, *, lock: bool = False) -> Mediation:
    query = select(Mediation).where(Mediation.id == mediation_id)
    if lock:
        query = query.with_for_update()
    mediation = session.exec(query).first()
    if mediation is None:
        raise MediationNotFound({"mediation": mediation_id})
    return mediation


def parties_of(session: Session, mediation_id: str) -> list[MediationParty]:
    return list(
        session.exec(
            select(MediationParty)
            .where(MediationParty.mediation_id == mediation_id)
            .order_by(col(MediationParty.side), col(MediationParty.id))
        )
    )


def _linked_party(session: Session, mediation_id: str, account_id: str) -> MediationParty | None:
    return session.exec(
        select(MediationParty).where(
            MediationParty.mediation_id == mediation_id, MediationParty.account_id == account_id
        )
    ).first()


def for_party(
    session: Session, account: Account, mediation_id: str, *, lock: bool = False
) -> tuple[Mediation, MediationParty]:
    """A mediation the account is a party of, or was invited to by its phone number; any
    other mediation is not found (a party of another mediation learns nothing)."""
    mediation = _load(session, mediation_id, lock=lock)
    party = _linked_party(session, mediation.id, account.id)
    if party is None and account.phone:
        party = session.exec(
            select(MediationParty).where(
                MediationParty.mediation_id == mediation.id,
                MediationParty.phone == account.phone,
                col(MediationParty.account_id).is_(None),
            )
        ).first()
    if party is None:
        raise MediationNotFound({"mediation": mediation_id})
    return mediation, party


def of_account(session: Session, account: Account) -> list[Mediation]:
    """Mediations the account is a party of, and invitations to its phone number."""
    condition = col(MediationParty.account_id) == account.id
    if account.phone:
        condition = condition | (
            (col(MediationParty.phone) == account.phone) & col(MediationParty.account_id).is_(None)
        )
    return list(
        session.exec(
            select(Mediation)
            .join(MediationParty, col(MediationParty.mediation_id) == Mediation.id)
            .where(condition)
            .order_by(col(Mediation.created_at).desc())
        ).unique()
    )


def mediator_of(session: Session, mediation: Mediation) -> Mediator | None:
    return session.get(Mediator, mediation.mediator_id) if mediation.mediator_id else None


def for_mediator(
    session: Session, staff: Account, mediation_id: str, *, lock: bool = False
) -> Mediation:
    """A mediation currently in the hands of this mediator; anyone else's is not found."""
    mediation = _load(session, mediation_id, lock=lock)
    mediator = mediator_of(session, mediation)
    if mediator is None or mediator.account_id != staff.id:
        raise MediationNotFound({"mediation": mediation_id})
    return mediation


def for_court_staff(
    session: Session, staff: Account, mediation_id: str, *, lock: bool = False
) -> Mediation:
    mediation = _load(session, mediation_id, lock=lock)
    if mediation.court_id != staff.court_id:
        raise MediationNotFound({"mediation": mediation_id})
    return mediation


def queue_of_mediator(session: Session, staff: Account) -> list[Mediation]:
    return list(
        session.exec(
            select(Mediation)
            .join(Mediator, col(Mediator.id) == Mediation.mediator_id)
            .where(Mediator.account_id == staff.id)
            .order_by(col(Mediation.created_at).desc())
        )
    )


def court_queue(session: Session, court_id: str) -> list[Mediation]:
    return list(
        session.exec(
            select(Mediation)
            .where(Mediation.court_id == court_id)
            .order_by(col(Mediation.created_at).desc())
        )
    )


def pending_changes(session: Session, mediation_id: str) -> list[ChangeRequest]:
    return list(
        session.exec(
            select(ChangeRequest).where(
                ChangeRequest.mediation_id == mediation_id, ChangeRequest.state == "pending"
            )
        )
    )


def confirmations_pending(session: Session, mediation_ids: Sequence[str]) -> set[str]:
    """Which of these mediations have a judicial confirmation waiting for a judge."""
    if not mediation_ids:
        return set()
    return set(
        session.exec(
            select(Confirmation.mediation_id).where(
                col(Confirmation.mediation_id).in_(list(mediation_ids)),
                Confirmation.state == "pending",
            )
        )
    )


# --- system messages ------------------------------------------------------------------


def system_message(session: Session, mediation: Mediation, body: str) -> Message:
    """A line from the court in the mediation's thread: it reaches everyone live."""
    message = Message(mediation_id=mediation.id, author="系统", body=body, created_at=utcnow())
    session.add(message)
    session.flush()
    notify_after_commit(session, channel(mediation.id))
    return message


# --- requesting and answering ---------------------------------------------------------


@dataclass(frozen=True)
class OtherParty:
    name: str
    phone: str


@dataclass(frozen=True)
class Request:
    cause_id: int
    summary: str
    claim: str
    #: R23: the requester's e-service address (consent: volunteered in the application).
    service_address: str
    respondents: Sequence[OtherParty] = field(default_factory=tuple)
    case_id: str | None = None


def _person(session: Session, account: Account) -> Person:
    person = session.get(Person, account.person_id) if account.person_id else None
    if person is None:
        raise IdentityRequired()
    return person


def request_mediation(
    session: Session,
    actor: Actor,
    account: Account,
    calendar: WorkingCalendar,
    *,
    court_id: str,
    request: Request,
) -> Mediation:
    """A party asks for mediation, before filing (诉前) or within a case of theirs (诉中);
    the other parties are invited by phone."""
    person = _person(session, account)
    cause = session.get(CaseCause, request.cause_id)
    if cause is None:
        raise ValidationFailed({"field": "cause_id"}, zh="案由不存在。", en="No such case cause.")
    case: Case | None = None
    respondents = list(request.respondents)
    if request.case_id is not None:
        case = session.get(Case, request.case_id)
        case_parties = (
            list(session.exec(select(CaseParty).where(CaseParty.case_id == request.case_id)))
            if case
            else []
        )
        if case is None or not any(p.account_id == account.id for p in case_parties):
            raise MediationNotFound({"case": request.case_id})
        if case.state != CaseState.REGISTERED:
            raise WrongState({"case_state": case.state})
        if not respondents:
            for member in case_parties:
                owner = session.get(Account, member.account_id) if member.account_id else None
                if member.account_id != account.id and owner is not None and owner.phone:
                    respondents.append(OtherParty(member.name, owner.phone))
    if not respondents:
        raise ValidationFailed(
            {"field": "respondents"},
            zh="请至少填写一位对方当事人（姓名和手机号）。",
            en="Name at least one other party (name and phone).",
        )
    phones = [r.phone for r in respondents]
    if account.phone in phones or len(set(phones)) != len(phones):
        raise ValidationFailed(
            {"field": "respondents"},
            zh="对方当事人的手机号不能重复，也不能是您自己的。",
            en="The other parties' phones must differ from each other and from yours.",
        )
    now = utcnow()
    mediation = Mediation(
        court_id=court_id,
        case_id=case.id if case else None,
        stage=(MediationStage.IN_CASE if case else MediationStage.PRE_FILING).value,
        state=MediationState.INVITED.value,
        cause_id=cause.id or 0,
        personal_status=CauseTag.PERSONAL_STATUS in cause_tags(session, request.cause_id),
        simple_procedure=bool(
            case and case.procedure in (Procedure.SIMPLE, Procedure.SMALL_CLAIMS)
        ),
        summary=request.summary,
        claim=request.claim,
        requested_by=account.id,
        created_at=now,
    )
    MEDIATION_MOVES.start(session, mediation, MediationState.INVITED, actor, "requested")
    session.flush()
    session.add(
        MediationParty(
            mediation_id=mediation.id,
            account_id=account.id,
            side=PartySide.APPLICANT.value,
            name=person.name,
            phone=account.phone or "",
            service_address=request.service_address,
            consent_ground=ConsentGround.FILING_E_ADDRESS.value,
            answer="agreed",
            answered_at=now,
        )
    )
    for other in respondents:
        session.add(
            MediationParty(
                mediation_id=mediation.id,
                side=PartySide.RESPONDENT.value,
                name=other.name,
                phone=other.phone,
            )
        )
    session.flush()
    record_audit(
        session,
        actor,
        "mediation.request",
        "mediation",
        mediation.id,
        {"stage": mediation.stage, "case": mediation.case_id},
    )
    return mediation


def answer_invitation(
    session: Session,
    actor: Actor,
    account: Account,
    calendar: WorkingCalendar,
    *,
    mediation_id: str,
    agree: bool,
    service_address: str,
) -> Mediation:
    """The invited party agrees to mediate (and so accepts electronic service by this act,
    R23) or declines. Their verified name must be the name they were invited under."""
    mediation, party = for_party(session, account, mediation_id, lock=True)
    person = _person(session, account)
    if party.answer != "invited":
        raise WrongState({"answer": party.answer})
    if mediation.state != MediationState.INVITED:
        raise WrongState({"state": mediation.state})
    if person.name != party.name:
        raise NotInvited({"invited_as": party.name})
    now = utcnow()
    party.account_id = account.id
    party.answer = "agreed" if agree else "declined"
    party.answered_at = now
    if agree:
        party.service_address = service_address
        party.consent_ground = ConsentGround.REPLY_OR_ACT.value
    session.add(party)
    session.flush()
    if not agree:
        mediation.ground = TerminationGround.PARTY_REFUSES_TO_CONTINUE.value
        mediation.closed_at = now
        MEDIATION_MOVES.move(
            session, mediation, MediationState.DECLINED, actor, "the invited party declined"
        )
        system_message(session, mediation, f"{party.name}不同意调解，本次调解未能启动。")
    elif all(p.answer == "agreed" for p in parties_of(session, mediation.id)):
        choose_by, assign_by = deadlines.choice_deadlines(today(), calendar)
        mediation.choose_by = choose_by.due
        mediation.assign_by = assign_by.due
        MEDIATION_MOVES.move(
            session, mediation, MediationState.CHOOSING, actor, "every party agreed to mediate"
        )
        system_message(
            session,
            mediation,
            f"各方当事人均同意调解。请于 {choose_by.due:%Y-%m-%d} 前共同选择调解员；"
            f"逾期未选择的，由法院于 {assign_by.due:%Y-%m-%d} 前指定（R11）。",
        )
    session.add(mediation)
    record_audit(session, actor, "mediation.answer", "mediation", mediation.id, {"agree": agree})
    return mediation


# --- the mediator: chosen, assigned, accepting ----------------------------------------


def _available_mediator(session: Session, mediation: Mediation, mediator_id: str) -> Mediator:
    mediator = session.get(Mediator, mediator_id)
    if (
        mediator is None
        or not mediator.active
        or mediator.account_id is None
        or mediator.court_id != mediation.court_id
    ):
        raise MediatorUnavailable({"mediator": mediator_id})
    owner = session.get(Account, mediator.account_id)
    if owner is None or owner.state != "active" or owner.role not in (Role.MEDIATOR, Role.JUDGE):
        raise MediatorUnavailable({"mediator": mediator_id})
    return mediator


def _name_mediator(
    session: Session,
    actor: Actor,
    calendar: WorkingCalendar,
    mediation: Mediation,
    mediator: Mediator,
    via: str,
) -> None:
    accept_by = deadlines.acceptance_deadline(today(), calendar)
    mediation.mediator_id = mediator.id
    mediation.mediator_via = via
    mediation.accept_by = accept_by.due
    mediation.disclosure = None
    MEDIATION_MOVES.move(
        session, mediation, MediationState.AWAITING_ACCEPTANCE, actor, f"mediator {via}"
    )
    session.add(mediation)
    how = "当事人共同选定" if via == "chosen" else "法院指定"
    system_message(
        session,
        mediation,
        f"{how}调解员{mediator.name}，调解员应于 {accept_by.due:%Y-%m-%d} 前决定是否接受（R11）。",
    )


def choose_mediator(
    session: Session,
    actor: Actor,
    account: Account,
    calendar: WorkingCalendar,
    *,
    mediation_id: str,
    mediator_id: str,
) -> Mediation:
    """A party names the mediator they want; when every party named the same one, that is
    the joint choice (R11). After the 2 working days, the court assigns instead."""
    mediation, party = for_party(session, account, mediation_id, lock=True)
    if party.account_id != account.id:
        raise NotInvited()
    if mediation.state != MediationState.CHOOSING:
        raise WrongState({"state": mediation.state})
    if mediation.choose_by is not None and today() > mediation.choose_by:
        raise DeadlinePassed(
            {"rule": "R11", "due": mediation.choose_by.isoformat()},
            zh="共同选择调解员的期限（2 个工作日）已过，将由法院指定调解员（R11）。",
            en="The 2 working days to choose a mediator have passed; the court assigns one (R11).",
        )
    mediator = _available_mediator(session, mediation, mediator_id)
    party.chosen_mediator_id = mediator.id
    session.add(party)
    session.flush()
    if all(p.chosen_mediator_id == mediator.id for p in parties_of(session, mediation.id)):
        _name_mediator(session, actor, calendar, mediation, mediator, "chosen")
    record_audit(
        session, actor, "mediation.choose", "mediation", mediation.id, {"mediator": mediator.id}
    )
    return mediation


def assign_mediator(
    session: Session,
    actor: Actor,
    staff: Account,
    calendar: WorkingCalendar,
    *,
    mediation_id: str,
    mediator_id: str,
) -> Mediation:
    """The court assigns a mediator once the parties' time to choose has run out, or after
    a mediator declined or was changed (R11, R12)."""
    mediation = for_court_staff(session, staff, mediation_id, lock=True)
    if mediation.state == MediationState.CHOOSING:
        if mediation.choose_by is not None and today() <= mediation.choose_by:
            raise WrongState(
                {"state": mediation.state, "choose_by": mediation.choose_by.isoformat()},
                zh="当事人共同选择调解员的期限尚未届满（R11）。",
                en="The parties' time to choose a mediator has not run out yet (R11).",
            )
        MEDIATION_MOVES.move(
            session, mediation, MediationState.AWAITING_ASSIGNMENT, actor, "no joint choice"
        )
    if mediation.state != MediationState.AWAITING_ASSIGNMENT:
        raise WrongState({"state": mediation.state})
    mediator = _available_mediator(session, mediation, mediator_id)
    _name_mediator(session, actor, calendar, mediation, mediator, "assigned")
    record_audit(
        session, actor, "mediation.assign", "mediation", mediation.id, {"mediator": mediator.id}
    )
    return mediation


def _due_to_start(mediation: Mediation) -> dt.date:
    return deadlines.mediation_deadline(
        mediation.started_on or today(),
        filed=mediation.stage == MediationStage.IN_CASE,
        simple_procedure=mediation.simple_procedure,
        extended_days=mediation.extended_days,
    ).due


def accept(
    session: Session, actor: Actor, staff: Account, *, mediation_id: str, disclosure: str
) -> Mediation:
    """The mediator takes the mediation and discloses any conflict of interest (R11, R12);
    the mediation's own time limit starts (R13)."""
    mediation = for_mediator(session, staff, mediation_id, lock=True)
    if mediation.state != MediationState.AWAITING_ACCEPTANCE:
        raise WrongState({"state": mediation.state})
    if mediation.accept_by is not None and today() > mediation.accept_by:
        raise DeadlinePassed(
            {"rule": "R11", "due": mediation.accept_by.isoformat()},
            zh="接受委派的期限（3 个工作日）已过，法院将另行指定调解员（R11）。",
            en="The 3 working days to accept have passed; the court will assign another (R11).",
        )
    disclosure = disclosure.strip()
    if not disclosure:
        raise ValidationFailed(
            {"field": "disclosure"},
            zh="请如实披露可能影响公正调解的利害关系；没有的，请填写“无”（R12）。",
            en="Disclose any conflict of interest, or write 无 (none) (R12).",
        )
    mediation.disclosure = disclosure
    if mediation.started_on is None:
        mediation.started_on = today()
        mediation.due_on = _due_to_start(mediation)
    MEDIATION_MOVES.move(session, mediation, MediationState.IN_PROGRESS, actor, "accepted")
    session.add(mediation)
    if mediation.case_id:
        case = session.get(Case, mediation.case_id)
        if case is not None and case.state == CaseState.REGISTERED:
            CASE_MOVES.move(session, case, CaseState.IN_MEDIATION, actor, "mediation started")
    mediator = mediator_of(session, mediation)
    system_message(
        session,
        mediation,
        f"调解员{mediator.name if mediator else ''}已接受调解。利害关系披露：{disclosure}。"
        f"调解期限至 {mediation.due_on:%Y-%m-%d}（R13）。如认为调解员应当回避，可申请更换（R12）。",
    )
    record_audit(session, actor, "mediation.accept", "mediation", mediation.id)
    return mediation


def _back_to_court(
    session: Session, actor: Actor, calendar: WorkingCalendar, mediation: Mediation, why: str
) -> None:
    mediation.mediator_id = None
    mediation.mediator_via = None
    mediation.accept_by = None
    mediation.assign_by = calendar.add_working_days(today(), deadlines.ASSIGN_WORKING_DAYS)
    for party in parties_of(session, mediation.id):
        party.chosen_mediator_id = None
        session.add(party)
    MEDIATION_MOVES.move(session, mediation, MediationState.AWAITING_ASSIGNMENT, actor, why)
    session.add(mediation)


def decline(
    session: Session,
    actor: Actor,
    staff: Account,
    calendar: WorkingCalendar,
    *,
    mediation_id: str,
    reason: str,
) -> Mediation:
    """The mediator declines, with reasons (R11); the court assigns another."""
    mediation = for_mediator(session, staff, mediation_id, lock=True)
    if mediation.state != MediationState.AWAITING_ACCEPTANCE:
        raise WrongState({"state": mediation.state})
    reason = reason.strip()
    if not reason:
        raise ValidationFailed(
            {"field": "reason"},
            zh="不接受调解的，应当说明理由（R11）。",
            en="Give reasons for declining (R11).",
        )
    _back_to_court(session, actor, calendar, mediation, f"mediator declined: {reason}")
    system_message(
        session,
        mediation,
        f"调解员不接受本次调解，理由：{reason}。"
        f"法院将于 {mediation.assign_by:%Y-%m-%d} 前另行指定。",
    )
    record_audit(session, actor, "mediation.decline", "mediation", mediation.id, {"reason": reason})
    return mediation


def ask_for_change(
    session: Session, actor: Actor, account: Account, *, mediation_id: str, reason: str
) -> ChangeRequest:
    """A party asks to change the mediator (R12); the court decides."""
    mediation, party = for_party(session, account, mediation_id, lock=True)
    if party.account_id != account.id or mediation.mediator_id is None:
        raise WrongState({"state": mediation.state})
    if mediation.state not in (MediationState.AWAITING_ACCEPTANCE, MediationState.IN_PROGRESS):
        raise WrongState({"state": mediation.state})
    if pending_changes(session, mediation.id):
        raise WrongState(
            {"pending": True},
            zh="已有一项更换调解员的申请待法院决定。",
            en="A request to change the mediator is already waiting for the court.",
        )
    request = ChangeRequest(
        mediation_id=mediation.id,
        mediator_id=mediation.mediator_id,
        account_id=account.id,
        reason=reason.strip(),
        created_at=utcnow(),
    )
    session.add(request)
    session.flush()
    system_message(session, mediation, f"{party.name}申请更换调解员，待法院决定（R12）。")
    record_audit(session, actor, "mediation.change_request", "mediation", mediation.id)
    return request


def decide_change(
    session: Session,
    actor: Actor,
    staff: Account,
    calendar: WorkingCalendar,
    *,
    request_id: str,
    grant: bool,
    note: str,
) -> ChangeRequest:
    request = session.get(ChangeRequest, request_id)
    if request is None:
        raise MediationNotFound({"change_request": request_id})
    mediation = for_court_staff(session, staff, request.mediation_id, lock=True)
    if request.state != "pending":
        raise WrongState({"change_request": request.state})
    request.state = "granted" if grant else "refused"
    request.decided_by = staff.id
    request.decision_note = note.strip()
    request.decided_at = utcnow()
    session.add(request)
    if grant and mediation.mediator_id == request.mediator_id:
        _back_to_court(session, actor, calendar, mediation, "change of mediator granted (R12)")
        system_message(
            session,
            mediation,
            f"法院准许更换调解员，将于 {mediation.assign_by:%Y-%m-%d} 前另行指定（R12）。",
        )
    elif not grant:
        system_message(session, mediation, f"法院决定不更换调解员。{request.decision_note}")
    record_audit(
        session, actor, "mediation.change_decided", "mediation", mediation.id, {"grant": grant}
    )
    return request


# --- time limits (R13) ----------------------------------------------------------------


def require_running(mediation: Mediation) -> None:
    """Refuse acts in a mediation that is not in progress or whose time has run out."""
    if mediation.state != MediationState.IN_PROGRESS:
        raise WrongState({"state": mediation.state})
    if mediation.due_on is not None and today() > mediation.due_on:
        raise DeadlinePassed(
            {"rule": "R13", "due": mediation.due_on.isoformat()},
            zh=f"调解期限已于 {mediation.due_on:%Y-%m-%d} 届满，且未经当事人同意延长（R13）。",
            en=f"The mediation's time ran out on {mediation.due_on} without an agreed "
            "extension (R13).",
        )


def propose_extension(
    session: Session, actor: Actor, mediation: Mediation, days: int, by: MediationParty | None
) -> Mediation:
    """Propose to extend the time limit; it applies once every party agreed (R13)."""
    require_running(mediation)
    if not 1 <= days <= MAX_EXTENSION_DAYS:
        raise ValidationFailed({"field": "days", "max": MAX_EXTENSION_DAYS})
    mediation.extension_proposed = days
    for party in parties_of(session, mediation.id):
        party.extension_agreed = days if by is not None and party.id == by.id else None
        session.add(party)
    session.add(mediation)
    session.flush()
    system_message(session, mediation, f"提议将调解期限延长 {days} 日，须经各方当事人同意（R13）。")
    _apply_extension_if_agreed(session, actor, mediation)
    return mediation


def agree_to_extension(
    session: Session, actor: Actor, account: Account, *, mediation_id: str, days: int
) -> Mediation:
    mediation, party = for_party(session, account, mediation_id, lock=True)
    require_running(mediation)
    if mediation.extension_proposed is None:
        return propose_extension(session, actor, mediation, days, party)
    if days != mediation.extension_proposed:
        raise ValidationFailed(
            {"field": "days", "proposed": mediation.extension_proposed},
            zh="同意的延长天数须与提议一致。",
            en="Agree to the number of days proposed.",
        )
    party.extension_agreed = days
    session.add(party)
    session.flush()
    _apply_extension_if_agreed(session, actor, mediation)
    return mediation


def _apply_extension_if_agreed(session: Session, actor: Actor, mediation: Mediation) -> None:
    days = mediation.extension_proposed
    if days is None or not all(
        p.extension_agreed == days for p in parties_of(session, mediation.id)
    ):
        return
    mediation.extended_days += days
    mediation.due_on = _due_to_start(mediation)
    mediation.extension_proposed = None
    mediation.reminded_on = None
    session.add(mediation)
    system_message(
        session,
        mediation,
        f"各方当事人同意延长调解期限 {days} 日，新的期限为 {mediation.due_on:%Y-%m-%d}（R13）。",
    )
    record_audit(session, actor, "mediation.extend", "mediation", mediation.id, {"days": days})


# --- how it ends (R16) ----------------------------------------------------------------


def close(
    session: Session,
    actor: Actor,
    mediation: Mediation,
    ground: TerminationGround,
    *,
    undisputed_facts: str = "",
    cost_conduct: str = "",
    note: str = "",
) -> Mediation:
    """End the mediation on an R16 ground; a failed mediation keeps its failure record,
    and a case in mediation goes on to trial (or is withdrawn)."""
    if mediation.state not in OPEN_STATES:
        raise WrongState({"state": mediation.state})
    now = utcnow()
    mediation.ground = ground.value
    mediation.closed_at = now
    if ground == TerminationGround.AGREEMENT:
        target = MediationState.AGREED
        mediation.effective_at = now
    elif ground == TerminationGround.SETTLED_AND_WITHDRAWN:
        target = MediationState.WITHDRAWN
    else:
        target = MediationState.TERMINATED
        mediation.undisputed_facts = undisputed_facts.strip()
        mediation.cost_conduct = cost_conduct.strip()
    MEDIATION_MOVES.move(session, mediation, target, actor, f"{ground.value}: {note}"[:500])
    session.add(mediation)
    if mediation.case_id:
        case = session.get(Case, mediation.case_id)
        if case is not None and case.state == CaseState.IN_MEDIATION:
            after = {
                MediationState.AGREED: CaseState.CLOSED,
                MediationState.WITHDRAWN: CaseState.WITHDRAWN,
            }.get(target, CaseState.IN_TRIAL)
            CASE_MOVES.move(session, case, after, actor, f"mediation ended: {ground.value}")
    system_message(session, mediation, f"调解结束：{GROUND_NAMES[ground]}。{note}".strip())
    record_audit(
        session, actor, "mediation.close", "mediation", mediation.id, {"ground": ground.value}
    )
    return mediation


# --- the sweep: what the calendar does by itself --------------------------------------


@dataclass
class SweepReport:
    to_assignment: int = 0
    unanswered: int = 0
    reminded: int = 0
    expired: int = 0


def sweep(session: Session, calendar: WorkingCalendar, *, on: dt.date | None = None) -> SweepReport:
    """Apply the time limits that run out by themselves (R11, R13): no joint choice in
    time → the court assigns; no answer from the mediator → another is assigned; a
    reminder before the mediation's limit; expiry without agreed extension terminates."""
    day = on or today()
    actor = Actor.system("deadline-sweep")
    report = SweepReport()
    open_ones = session.exec(
        select(Mediation)
        .where(col(Mediation.state).in_([s.value for s in OPEN_STATES]))
        .with_for_update()
    ).all()
    for mediation in open_ones:
        if (
            mediation.state == MediationState.CHOOSING
            and mediation.choose_by is not None
            and day > mediation.choose_by
        ):
            MEDIATION_MOVES.move(
                session, mediation, MediationState.AWAITING_ASSIGNMENT, actor, "no joint choice"
            )
            system_message(
                session,
                mediation,
                "当事人未在期限内共同选择调解员，"
                f"由法院于 {mediation.assign_by:%Y-%m-%d} 前指定（R11）。",
            )
            report.to_assignment += 1
        elif (
            mediation.state == MediationState.AWAITING_ACCEPTANCE
            and mediation.accept_by is not None
            and day > mediation.accept_by
        ):
            _back_to_court(session, actor, calendar, mediation, "mediator did not answer in time")
            system_message(
                session, mediation, "调解员未在 3 个工作日内决定是否接受，法院将另行指定（R11）。"
            )
            report.unanswered += 1
        elif mediation.state == MediationState.IN_PROGRESS and mediation.due_on is not None:
            if day > mediation.due_on:
                close(
                    session,
                    actor,
                    mediation,
                    TerminationGround.TIME_EXPIRED,
                    note="调解期限届满且未经各方同意延长（R13）。",
                )
                report.expired += 1
            elif (
                mediation.due_on - day
            ).days <= REMIND_DAYS_BEFORE and mediation.reminded_on is None:
                mediation.reminded_on = day
                session.add(mediation)
                system_message(
                    session,
                    mediation,
                    f"提醒：调解期限将于 {mediation.due_on:%Y-%m-%d} 届满。"
                    "需要延长的，须经各方当事人同意（R13）。",
                )
                report.reminded += 1
    return report
