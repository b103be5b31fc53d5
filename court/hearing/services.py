"""Scheduling a hearing, signed consent to the hearing stage (R1, R3, R3b), objections, the
judge's findings and the eligibility decision (R17–R19), the conference's states, joining
(R5) and attendance (R20)."""

from __future__ import annotations

import datetime as dt
import hashlib
from collections.abc import Mapping
from typing import Any

from sqlmodel import Session, col, select

from court.accounts.models import Account
from court.audit import Actor, record_audit
from court.cases.linking import linked_in_time
from court.cases.models import Case, CaseParty
from court.db import utcnow
from court.devices.services import get_own_device, usable_certificate
from court.eligibility import (
    CaseFacts,
    Consent,
    JudgeQuestion,
    PartyFacts,
    decide_video_eligibility,
)
from court.eligibility import Finding as JudgeFinding
from court.eligibility import (
    SelfTest as SelfTestState,
)
from court.errors import Conflict, Forbidden, NotFound, ValidationFailed
from court.hearing.models import (
    COURT_ROLES,
    EXCUSED,
    HEARING_MOVES,
    PARTY_ROLES,
    AbsenceReason,
    AttendanceEvent,
    Decision,
    Finding,
    Hearing,
    HearingConsent,
    HearingState,
    Objection,
    Participant,
    ParticipantRole,
    SelfTest,
)
from court.identity.models import ReverifyPurpose
from court.identity.services import require_fresh_verification
from court.reference.services import cause_tags
from court.settings import Settings
from signing.evidence.store import EvidenceLog
from signing.pki import CourtPKI
from signing.signatures import canonical_json, verify_device_signature

CONSENT_TYPE = "micro-court/hearing-consent/v1"
NOTICE_VERSION = "hearing-consent-2026-11"
#: The text each party signs to consent to the hearing stage (R1, R3, R3b, R5, R20, R21).
NOTICE_TEXT = (
    "在线庭审告知书\n"
    "一、本人自愿选择以视频方式在线参加本案庭审。本同意仅适用于本案庭审环节，"
    "不视为对其他诉讼环节在线进行的同意（R1）。\n"
    "二、本人可以在庭审开始前的合理期限内撤回同意；撤回后本人以线下方式到庭（R3）。\n"
    "三、进入在线庭审前，本人须重新进行身份验证（R5）。\n"
    "四、本人应当选择安静、无干扰、光线适宜、网络信号良好的场所参加庭审，"
    "不得在可能影响庭审音视频效果或者有损庭审严肃性的场所参加庭审。\n"
    "五、同意后无正当理由不参加在线庭审的，视为拒不到庭；庭审中擅自退出且经提示后仍不返回的，"
    "视为中途退庭。网络故障、设备损坏、电力中断或者不可抗力等属于正当理由（R20）。\n"
    "六、未经人民法院许可，任何人不得录制、截取、传播庭审音视频（R21）。庭审全程录音录像。"
)
NOTICE_SHA256 = hashlib.sha256(NOTICE_TEXT.encode()).hexdigest()
#: How close to the scheduled time consent may still be withdrawn (R3: a reasonable time).
WITHDRAW_BEFORE = dt.timedelta(hours=1)
#: How long a consent statement's time may lie from the server's clock.
STATEMENT_SKEW = dt.timedelta(minutes=10)

CASE_ROLE_TO_PARTICIPANT = {
    "plaintiff": ParticipantRole.PLAINTIFF,
    "applicant": ParticipantRole.PLAINTIFF,
    "defendant": ParticipantRole.DEFENDANT,
    "respondent": ParticipantRole.DEFENDANT,
    "third_party": ParticipantRole.THIRD_PARTY,
    "agent": ParticipantRole.AGENT,
}
OPEN_STATES = frozenset(
    {HearingState.NOT_STARTED, HearingState.IN_SESSION, HearingState.PAUSED, HearingState.SUSPENDED}
)


class HearingNotFound(NotFound):
    code = "hearing_not_found"
    zh = "未找到该庭审。"
    en = "No such hearing."


class HearingClosed(Conflict):
    code = "hearing_closed"
    zh = "庭审已结束或已取消。"
    en = "The hearing is closed or cancelled."


class ConsentRefused(Conflict):
    code = "consent_refused"
    zh = "当前不能作出或撤回同意。"
    en = "Consent cannot be given or withdrawn now."


class NotOnline(Forbidden):
    code = "not_an_online_participant"
    zh = "您不是以在线方式参加本次庭审的人员（需同意在线庭审并通过设备自检，R1、R2）。"
    en = "You do not take part in this hearing online (consent and a passed self-test, R1, R2)."


class NotAdmitted(Forbidden):
    code = "not_admitted"
    zh = "请在等候室等待法官准许进入。"
    en = "Wait in the waiting room until the judge admits you."


# --- reading, with access -------------------------------------------------------------


def _hearing(session: Session, hearing_id: str, *, lock: bool = False) -> Hearing:
    query = select(Hearing).where(Hearing.id == hearing_id)
    if lock:
        query = query.with_for_update()
    hearing = session.exec(query).first()
    if hearing is None:
        raise HearingNotFound({"hearing": hearing_id})
    return hearing


def participants_of(session: Session, hearing_id: str) -> list[Participant]:
    return list(
        session.exec(
            select(Participant)
            .where(Participant.hearing_id == hearing_id)
            .order_by(col(Participant.role), col(Participant.name))
        )
    )


def for_participant(
    session: Session, account: Account, hearing_id: str, *, lock: bool = False
) -> tuple[Hearing, Participant]:
    """A hearing the account is booked into; any other is not found."""
    hearing = _hearing(session, hearing_id, lock=lock)
    participant = session.exec(
        select(Participant).where(
            Participant.hearing_id == hearing.id, Participant.account_id == account.id
        )
    ).first()
    if participant is None:
        raise HearingNotFound({"hearing": hearing_id})
    return hearing, participant


def for_court_staff(
    session: Session, staff: Account, hearing_id: str, *, lock: bool = False
) -> Hearing:
    hearing = _hearing(session, hearing_id, lock=lock)
    if hearing.court_id != staff.court_id:
        raise HearingNotFound({"hearing": hearing_id})
    return hearing


def for_judge(session: Session, judge: Account, hearing_id: str, *, lock: bool = False) -> Hearing:
    """Only the presiding judge runs the hearing."""
    hearing = for_court_staff(session, judge, hearing_id, lock=lock)
    if hearing.judge_id != judge.id:
        raise Forbidden({"hearing": hearing_id, "presiding_judge": False})
    return hearing


def hearings_of(session: Session, account_id: str) -> list[Hearing]:
    return list(
        session.exec(
            select(Hearing)
            .join(Participant, col(Participant.hearing_id) == Hearing.id)
            .where(Participant.account_id == account_id)
            .order_by(col(Hearing.scheduled_at))
        ).unique()
    )


def court_hearings(session: Session, court_id: str) -> list[Hearing]:
    return list(
        session.exec(
            select(Hearing)
            .where(Hearing.court_id == court_id)
            .order_by(col(Hearing.scheduled_at).desc())
        )
    )


# --- scheduling -----------------------------------------------------------------------


#: How far ahead a hearing may be booked. A first-instance civil case is to be concluded
#: within six months of filing, six more with the court president's approval (Civil Procedure
#: Law art. 152; simple procedure three months and one more, art. 164), and only a higher
#: court may extend it further: a hearing more than a year away fits no time limit a court
#: sets itself, so such a date is a slip of the keyboard (9999, 2062 for 2026), and refused.
#: 366 days, so that the same date next year is always bookable.
SCHEDULE_HORIZON = dt.timedelta(days=366)


def check_schedule_time(scheduled_at: dt.datetime, now: dt.datetime) -> None:
    """Refuse a hearing time that is not in the future or is beyond ``SCHEDULE_HORIZON``;
    every service that sets ``Hearing.scheduled_at`` calls this."""
    if scheduled_at.tzinfo is None or scheduled_at <= now:
        raise ValidationFailed(
            {"field": "scheduled_at"}, zh="开庭时间须为将来的时间。", en="Schedule in the future."
        )
    latest = now + SCHEDULE_HORIZON
    if scheduled_at > latest:
        raise ValidationFailed(
            {"field": "scheduled_at", "latest": latest.isoformat()},
            zh="开庭时间不得晚于一年之后，请检查年份。",
            en="A hearing can be scheduled at most one year ahead; check the year.",
        )


def schedule(
    session: Session,
    actor: Actor,
    judge: Account,
    *,
    case_id: str,
    scheduled_at: dt.datetime,
    clerk: Account | None = None,
) -> Hearing:
    """Book a hearing for a case of the judge's court, with the case's parties and agents."""
    case = session.get(Case, case_id)
    if case is None or case.court_id != judge.court_id or case.case_number is None:
        raise NotFound({"case": case_id})
    now = utcnow()
    check_schedule_time(scheduled_at, now)
    hearing = Hearing(
        court_id=case.court_id,
        case_id=case.id,
        judge_id=judge.id,
        title=f"{case.case_number} {case.title}",
        scheduled_at=scheduled_at,
        state=HearingState.NOT_STARTED.value,
        created_at=now,
    )
    HEARING_MOVES.start(session, hearing, HearingState.NOT_STARTED, actor, "scheduled")
    session.flush()
    session.add(
        Participant(
            hearing_id=hearing.id,
            account_id=judge.id,
            role=ParticipantRole.JUDGE.value,
            name=judge.display_name,
            online=True,
        )
    )
    if clerk is not None:
        session.add(
            Participant(
                hearing_id=hearing.id,
                account_id=clerk.id,
                role=ParticipantRole.CLERK.value,
                name=clerk.display_name,
                online=True,
            )
        )
    for party in session.exec(select(CaseParty).where(CaseParty.case_id == case.id)):
        role = CASE_ROLE_TO_PARTICIPANT.get(party.role)
        if role is not None:
            session.add(
                Participant(
                    hearing_id=hearing.id,
                    account_id=party.account_id,
                    case_party_id=party.id,
                    role=role.value,
                    name=party.name,
                )
            )
    session.flush()
    record_audit(session, actor, "hearing.schedule", "hearing", hearing.id, {"case": case.id})
    return hearing


def add_participant(
    session: Session,
    actor: Actor,
    judge: Account,
    *,
    hearing_id: str,
    role: ParticipantRole,
    name: str,
    account_id: str | None,
) -> Participant:
    """Book an interpreter, a witness or another person into the hearing."""
    hearing = for_judge(session, judge, hearing_id, lock=True)
    if hearing.state not in OPEN_STATES:
        raise HearingClosed({"state": hearing.state})
    if role in COURT_ROLES or not name.strip():
        raise ValidationFailed({"field": "role"})
    participant = Participant(
        hearing_id=hearing.id,
        account_id=account_id,
        role=role.value,
        name=name.strip(),
        # Interpreters and witnesses are not parties: no consent of theirs decides the mode.
        online=account_id is not None and role not in PARTY_ROLES,
    )
    session.add(participant)
    session.flush()
    record_audit(
        session, actor, "hearing.add_participant", "hearing", hearing.id, {"role": role.value}
    )
    return participant


# --- consent (R1, R3, R3b) ------------------------------------------------------------


def consent_statement(
    hearing: Hearing, participant: Participant, account_id: str, at: dt.datetime
) -> dict[str, Any]:
    """What a party signs: this notice text, this stage, this case, this time (R3b)."""
    return {
        "type": CONSENT_TYPE,
        "case": hearing.case_id,
        "hearing": hearing.id,
        "stage": "hearing",
        "party": participant.id,
        "account": account_id,
        "how": "explicit",
        "notice_version": NOTICE_VERSION,
        "notice_sha256": NOTICE_SHA256,
        "time": at.astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
    }


def active_consent(session: Session, hearing_id: str, account_id: str) -> HearingConsent | None:
    return session.exec(
        select(HearingConsent).where(
            HearingConsent.hearing_id == hearing_id,
            HearingConsent.account_id == account_id,
            col(HearingConsent.withdrawn_at).is_(None),
        )
    ).first()


def _party(hearing: Hearing, participant: Participant) -> None:
    if participant.role not in PARTY_ROLES and participant.role != ParticipantRole.AGENT:
        raise ConsentRefused(
            {"role": participant.role},
            zh="只有当事人及其代理人需要作出在线庭审同意。",
            en="Only parties and their agents consent.",
        )
    if hearing.state != HearingState.NOT_STARTED:
        raise ConsentRefused({"state": hearing.state})


def give_consent(
    session: Session,
    pki: CourtPKI,
    log: EvidenceLog,
    actor: Actor,
    account: Account,
    *,
    hearing_id: str,
    device_id: str,
    time: dt.datetime,
    signature: bytes,
) -> HearingConsent:
    hearing, participant = for_participant(session, account, hearing_id, lock=True)
    _party(hearing, participant)
    now = utcnow()
    if abs(now - time) > STATEMENT_SKEW:
        raise ValidationFailed(
            {"field": "time"}, zh="签署时间与服务器时间相差过大。", en="The time is off."
        )
    if active_consent(session, hearing.id, account.id) is not None:
        raise ConsentRefused({"consent": "already given"}, zh="您已同意在线庭审。")
    device = get_own_device(session, account.id, device_id)
    certificate = usable_certificate(session, pki, device, at=now)
    statement = consent_statement(hearing, participant, account.id, time)
    verify_device_signature(certificate, canonical_json(statement), signature)
    leaf = log.append(
        session,
        "hearing.consent",
        {
            "statement_sha256": hashlib.sha256(canonical_json(statement)).hexdigest(),
            "signature_sha256": hashlib.sha256(signature).hexdigest(),
            "certificate_serial": device.serial,
            "hearing": hearing.id,
            "time": now.isoformat(),
        },
    )
    consent = HearingConsent(
        hearing_id=hearing.id,
        case_id=hearing.case_id,
        account_id=account.id,
        notice_version=NOTICE_VERSION,
        notice_sha256=NOTICE_SHA256,
        statement=statement,
        signature=signature,
        device_id=device.id,
        certificate_serial=device.serial,
        log_index=leaf.index,
        given_at=now,
    )
    session.add(consent)
    session.flush()
    record_audit(session, actor, "hearing.consent", "hearing", hearing.id, {"device": device.id})
    decide(session, actor, hearing)
    return consent


def withdraw_consent(
    session: Session, log: EvidenceLog, actor: Actor, account: Account, *, hearing_id: str
) -> HearingConsent:
    """R3: withdrawal a reasonable time before the hearing (here: up to 1 hour before)."""
    hearing, participant = for_participant(session, account, hearing_id, lock=True)
    _party(hearing, participant)
    if utcnow() > hearing.scheduled_at - WITHDRAW_BEFORE:
        raise ConsentRefused(
            {"rule": "R3", "latest": (hearing.scheduled_at - WITHDRAW_BEFORE).isoformat()},
            zh="距开庭不足 1 小时，不能再撤回在线庭审的同意（R3）。",
            en="Consent can no longer be withdrawn within 1 hour of the hearing (R3).",
        )
    consent = active_consent(session, hearing.id, account.id)
    if consent is None:
        raise ConsentRefused({"consent": None}, zh="您尚未同意在线庭审。")
    consent.withdrawn_at = utcnow()
    session.add(consent)
    log.append(
        session,
        "hearing.consent_withdrawn",
        {"consent": consent.id, "hearing": hearing.id, "time": consent.withdrawn_at.isoformat()},
    )
    record_audit(session, actor, "hearing.consent_withdrawn", "hearing", hearing.id)
    decide(session, actor, hearing)
    return consent


def object_to_video(
    session: Session, actor: Actor, account: Account, *, hearing_id: str, reason: str
) -> Objection:
    """A party objects to the video hearing, with reasons, for the judge to weigh (R18)."""
    hearing, participant = for_participant(session, account, hearing_id, lock=True)
    _party(hearing, participant)
    if active_consent(session, hearing.id, account.id) is not None:
        raise ConsentRefused(
            {"consent": "given"},
            zh="您已同意在线庭审，如需反对请先撤回同意。",
            en="Withdraw your consent before objecting.",
        )
    objection = Objection(
        hearing_id=hearing.id, account_id=account.id, reason=reason.strip(), created_at=utcnow()
    )
    session.add(objection)
    session.flush()
    record_audit(session, actor, "hearing.objection", "hearing", hearing.id)
    decide(session, actor, hearing)
    return objection


# --- the judge's findings and the decision (R17–R19) ----------------------------------


def record_findings(
    session: Session,
    actor: Actor,
    judge: Account,
    *,
    hearing_id: str,
    findings: Mapping[JudgeQuestion, tuple[bool, str]],
    objections: Mapping[str, tuple[bool, str]] | None = None,
) -> Decision:
    """The judge's findings, each with reasons; then the decision is made again."""
    hearing = for_judge(session, judge, hearing_id, lock=True)
    now = utcnow()
    for question, (holds, reasons) in findings.items():
        if not reasons.strip():
            raise ValidationFailed(
                {"field": question.value},
                zh="每项认定都应当写明理由。",
                en="Give reasons for every finding.",
            )
        session.add(
            Finding(
                hearing_id=hearing.id,
                question=question.value,
                holds=holds,
                reasons=reasons.strip(),
                judge_id=judge.id,
                created_at=now,
            )
        )
    for objection_id, (good, reasons) in (objections or {}).items():
        objection = session.get(Objection, objection_id)
        if objection is None or objection.hearing_id != hearing.id:
            raise NotFound({"objection": objection_id})
        if not reasons.strip():
            raise ValidationFailed({"field": f"objection-{objection_id}"})
        objection.good_reason = good
        objection.judge_reasons = reasons.strip()
        objection.decided_at = now
        session.add(objection)
    session.flush()
    record_audit(
        session,
        actor,
        "hearing.findings",
        "hearing",
        hearing.id,
        {"questions": sorted(q.value for q in findings)},
    )
    return decide(session, actor, hearing)


def latest_findings(session: Session, hearing_id: str) -> dict[JudgeQuestion, Finding]:
    found: dict[JudgeQuestion, Finding] = {}
    for row in session.exec(
        select(Finding).where(Finding.hearing_id == hearing_id).order_by(col(Finding.id))
    ):
        found[JudgeQuestion(row.question)] = row
    return found


def latest_self_test(session: Session, hearing_id: str, account_id: str) -> SelfTest | None:
    return session.exec(
        select(SelfTest)
        .where(SelfTest.hearing_id == hearing_id, SelfTest.account_id == account_id)
        .order_by(col(SelfTest.started_at).desc())
    ).first()


def _party_facts(session: Session, hearing: Hearing, participant: Participant) -> PartyFacts:
    consent = Consent.NONE
    objection = None
    self_test = SelfTestState.NOT_DONE
    if participant.account_id is not None:
        given = session.exec(
            select(HearingConsent)
            .where(
                HearingConsent.hearing_id == hearing.id,
                HearingConsent.account_id == participant.account_id,
            )
            .order_by(col(HearingConsent.given_at).desc())
        ).first()
        if given is not None:
            consent = Consent.WITHDRAWN if given.withdrawn_at else Consent.CONSENTED
        objection = session.exec(
            select(Objection)
            .where(
                Objection.hearing_id == hearing.id,
                Objection.account_id == participant.account_id,
            )
            .order_by(col(Objection.created_at).desc())
        ).first()
        if objection is not None and consent != Consent.CONSENTED:
            consent = Consent.OBJECTED
        test = latest_self_test(session, hearing.id, participant.account_id)
        if test is not None and test.result in ("passed", "failed"):
            self_test = SelfTestState(test.result)
    notice = _case_party(session, participant)
    return PartyFacts(
        party_id=participant.id,
        name=participant.name,
        consent=consent,
        objection_reason=objection.reason if objection else None,
        objection_is_good=(
            JudgeFinding(objection.good_reason, objection.judge_reasons or "")
            if objection is not None and objection.good_reason is not None
            else None
        ),
        self_test=self_test,
        # R3a: a defendant the court brought in by notice, and whether they verified and
        # linked within the 3 days (None while the days run).
        notified_defendant=(
            participant.role == ParticipantRole.DEFENDANT
            and notice is not None
            and notice.notified_at is not None
        ),
        linked_in_time=linked_in_time(notice, utcnow()) if notice is not None else None,
    )


def _case_party(session: Session, participant: Participant) -> CaseParty | None:
    """The case's party record behind a hearing place (a witness, or a place the judge
    added by hand, has none; migration 0016 gave older places theirs)."""
    if participant.case_party_id is None:
        return None
    return session.get(CaseParty, participant.case_party_id)


def book_linked_party(session: Session, party: CaseParty) -> list[Participant]:
    """A party just linked their account: open hearings of the case book it in their place.
    Return the places booked (each is owed the hearing notice)."""
    role = CASE_ROLE_TO_PARTICIPANT.get(party.role)
    if role is None:
        return []
    booked = list(
        session.exec(
            select(Participant)
            .join(Hearing, col(Hearing.id) == Participant.hearing_id)
            .where(
                Hearing.case_id == party.case_id,
                col(Hearing.state).in_([s.value for s in OPEN_STATES]),
                Participant.case_party_id == party.id,
                col(Participant.account_id).is_(None),
            )
        )
    )
    for participant in booked:
        participant.account_id = party.account_id
        session.add(participant)
    session.flush()
    return booked


def decide(session: Session, actor: Actor, hearing: Hearing) -> Decision:
    """Make the eligibility decision from the record as it stands, keep it, and set each
    participant's mode (R2) and the hearing's."""
    case = session.get(Case, hearing.case_id)
    assert case is not None
    people = [
        p
        for p in participants_of(session, hearing.id)
        if p.role in PARTY_ROLES or p.role == ParticipantRole.AGENT
    ]
    facts = CaseFacts(
        procedure=case.procedure,
        cause_tags=cause_tags(session, case.cause_id) if case.cause_id else frozenset(),
        parties=[_party_facts(session, hearing, p) for p in people],
        findings={
            q: JudgeFinding(f.holds, f.reasons, f.judge_id)
            for q, f in latest_findings(session, hearing.id).items()
        },
    )
    result = decide_video_eligibility(facts)
    online = {p.party_id: p.online and result.eligible is True for p in result.parties}
    for participant in people:
        participant.online = online.get(participant.id, False)
        session.add(participant)
    hearing.mode = result.mode.value
    session.add(hearing)
    row = Decision(
        hearing_id=hearing.id,
        eligible=result.eligible,
        mode=result.mode.value,
        decision=result.as_dict(),
        account_id=actor.account_id,
        created_at=utcnow(),
    )
    session.add(row)
    session.flush()
    return row


def latest_decision(session: Session, hearing_id: str) -> Decision | None:
    return session.exec(
        select(Decision).where(Decision.hearing_id == hearing_id).order_by(col(Decision.id).desc())
    ).first()


# --- the conference -------------------------------------------------------------------


def move(
    session: Session,
    actor: Actor,
    judge: Account,
    *,
    hearing_id: str,
    to: HearingState,
    reason: str = "",
) -> Hearing:
    """Open, pause, resume, suspend, close or cancel; every move in the history."""
    hearing = for_judge(session, judge, hearing_id, lock=True)
    HEARING_MOVES.move(session, hearing, to, actor, reason or to.value)
    now = utcnow()
    if to == HearingState.IN_SESSION and hearing.opened_at is None:
        hearing.opened_at = now
    if to in (HearingState.CLOSED, HearingState.CANCELLED):
        hearing.closed_at = now
        classified = {e.participant_id for e in attendance_of(session, hearing.id) if e.reason}
        for participant in participants_of(session, hearing.id):
            if participant.presence in ("waiting", "admitted"):
                _attendance(session, hearing, participant, "leave", note="闭庭")
                participant.presence = "left"
                session.add(participant)
            elif (
                to == HearingState.CLOSED
                and _never_joined_online(participant)
                and participant.id not in classified  # the clerk already said why
            ):
                # R20: someone due online never came. Whether that was for a good reason
                # is for the court to find; until then the absence waits, unclassified.
                _attendance(session, hearing, participant, "absent", note=NO_SHOW_NOTE)
    session.add(hearing)
    record_audit(session, actor, f"hearing.{to.value}", "hearing", hearing.id, {"reason": reason})
    return hearing


#: The note on an absence the system records at close (R20); the court classifies it.
NO_SHOW_NOTE = "应在线参加庭审，闭庭时仍未上线；是否有正当理由待认定"


def _never_joined_online(participant: Participant) -> bool:
    """A party due online who never came (R20 is about parties: not witnesses or staff)."""
    return participant.online and participant.role in PARTY_ROLES and participant.joined_at is None


def unclassified_absences(session: Session, hearing_id: str) -> list[Participant]:
    """Participants whose latest absence has no reason class yet (R20): the clerk's list."""
    latest: dict[str, AttendanceEvent] = {}
    for event in attendance_of(session, hearing_id):
        if event.kind in ("absent", "walked_out", "in_person"):
            latest[event.participant_id] = event
    waiting = {pid for pid, event in latest.items() if event.reason is None}
    return [p for p in participants_of(session, hearing_id) if p.id in waiting]


def switch_offline(
    session: Session, actor: Actor, judge: Account, *, hearing_id: str, reasons: str
) -> Hearing:
    """R18: a ground arose mid-hearing; continue offline. What was done online stays valid."""
    hearing = for_judge(session, judge, hearing_id, lock=True)
    if hearing.state not in OPEN_STATES or not reasons.strip():
        raise ValidationFailed({"field": "reasons"}, zh="请写明转为线下审理的理由。")
    session.add(
        Finding(
            hearing_id=hearing.id,
            question=JudgeQuestion.OTHER_REASON.value,
            holds=True,
            reasons=reasons.strip(),
            judge_id=judge.id,
            created_at=utcnow(),
        )
    )
    session.flush()
    decide(session, actor, hearing)
    record_audit(session, actor, "hearing.switch_offline", "hearing", hearing.id)
    return hearing


def _attendance(
    session: Session,
    hearing: Hearing,
    participant: Participant,
    kind: str,
    *,
    reason: AbsenceReason | None = None,
    note: str = "",
) -> AttendanceEvent:
    event = AttendanceEvent(
        hearing_id=hearing.id,
        participant_id=participant.id,
        kind=kind,
        reason=reason.value if reason else None,
        excused=(reason in EXCUSED) if reason else None,
        note=note,
        at=utcnow(),
    )
    session.add(event)
    session.flush()
    return event


def check_join(
    session: Session, settings: Settings, account: Account, *, hearing_id: str
) -> tuple[Hearing, Participant]:
    """Refuse a join before anything is written: not booked, closed, not online, or a party
    without a fresh re-verification (R5). Locks the hearing for the ``enter`` that follows."""
    hearing, participant = for_participant(session, account, hearing_id, lock=True)
    if hearing.state not in OPEN_STATES:
        raise HearingClosed({"state": hearing.state})
    if not participant.online:
        raise NotOnline({"mode": hearing.mode})
    if participant.role not in COURT_ROLES:
        require_fresh_verification(session, settings, account.id, ReverifyPurpose.HEARING)
    return hearing, participant


def enter(
    session: Session, actor: Actor, hearing: Hearing, participant: Participant
) -> Participant:
    """Record a checked join (``check_join``): the waiting room, or straight in for staff."""
    if participant.role in COURT_ROLES:
        participant.presence = "admitted"
    elif participant.presence != "admitted":
        participant.presence = "waiting"
    participant.joined_at = utcnow()
    session.add(participant)
    _attendance(session, hearing, participant, "join")
    record_audit(session, actor, "hearing.join", "hearing", hearing.id)
    return participant


def leave(session: Session, actor: Actor, account: Account, *, hearing_id: str) -> Participant:
    hearing, participant = for_participant(session, account, hearing_id, lock=True)
    if participant.presence in ("waiting", "admitted"):
        participant.presence = "left"
        session.add(participant)
        _attendance(session, hearing, participant, "leave")
    record_audit(session, actor, "hearing.leave", "hearing", hearing.id)
    return participant


def set_presence(
    session: Session,
    actor: Actor,
    judge: Account,
    *,
    hearing_id: str,
    participant_id: str,
    action: str,
) -> Participant:
    """The judge admits someone from the waiting room, removes them, mutes or unmutes."""
    hearing = for_judge(session, judge, hearing_id, lock=True)
    participant = session.get(Participant, participant_id)
    if participant is None or participant.hearing_id != hearing.id:
        raise NotFound({"participant": participant_id})
    if action == "admit":
        if participant.presence != "waiting":
            raise Conflict({"presence": participant.presence})
        participant.presence = "admitted"
        _attendance(session, hearing, participant, "admitted")
    elif action == "remove":
        participant.presence = "removed"
        _attendance(session, hearing, participant, "removed")
    elif action in ("mute", "unmute"):
        participant.muted = action == "mute"
    else:
        raise ValidationFailed({"field": "action"})
    session.add(participant)
    record_audit(
        session, actor, f"hearing.{action}", "hearing", hearing.id, {"participant": participant.id}
    )
    return participant


def record_absence(
    session: Session,
    actor: Actor,
    staff: Account,
    *,
    hearing_id: str,
    participant_id: str,
    reason: AbsenceReason,
    note: str,
) -> AttendanceEvent:
    """R20: someone who consented did not join (or walked out), with the reason class."""
    hearing = for_court_staff(session, staff, hearing_id, lock=True)
    participant = session.get(Participant, participant_id)
    if participant is None or participant.hearing_id != hearing.id:
        raise NotFound({"participant": participant_id})
    kind = {
        AbsenceReason.LEFT_WITHOUT_PERMISSION: "walked_out",
        AbsenceReason.ATTENDED_IN_PERSON: "in_person",
    }.get(reason, "absent")
    event = _attendance(session, hearing, participant, kind, reason=reason, note=note.strip())
    record_audit(session, actor, "hearing.absence", "hearing", hearing.id, {"reason": reason.value})
    return event


def attendance_of(session: Session, hearing_id: str) -> list[AttendanceEvent]:
    return list(
        session.exec(
            select(AttendanceEvent)
            .where(AttendanceEvent.hearing_id == hearing_id)
            .order_by(col(AttendanceEvent.id))
        )
    )
