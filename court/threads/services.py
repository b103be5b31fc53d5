"""Threads: the messages of a mediation, and of a consultation booked with a mediator.

Messages are rows (``id`` orders them); attachments are blobs with a row saying who
attached what to which thread. A new message wakes live streams at commit (court.live).
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlmodel import Session, col, func, select

from court.accounts.models import Account
from court.audit import Actor, record_audit
from court.db import utcnow
from court.errors import NotFound, ValidationFailed
from court.live import notify_after_commit
from court.mediation import services
from court.mediation.errors import MediationNotFound, WrongState
from court.mediation.models import Appointment, AppointmentState, Mediation, Mediator
from court.threads.models import Attachment, Message
from documents.blobs import FilesystemBlobStore
from documents.errors import PageRejected
from documents.uploads import sniff_attachment

MAX_ATTACHMENT_BYTES = 10 * 1024 * 1024
MAX_BODY = 4000
PAGE = 200


@dataclass(frozen=True)
class Thread:
    """One thread, and the name the caller has in it."""

    mediation_id: str | None
    appointment_id: str | None
    author: str
    hearing_id: str | None = None

    @property
    def channel(self) -> str:
        return channel_of(self.mediation_id, self.appointment_id, self.hearing_id)


def channel_of(mediation_id: str | None, appointment_id: str | None, hearing_id: str | None) -> str:
    if mediation_id:
        return services.channel(mediation_id)
    if hearing_id:
        return f"hearing:{hearing_id}"
    return f"appointment:{appointment_id}"


def mediation_thread_for_party(session: Session, account: Account, mediation_id: str) -> Thread:
    mediation, party = services.for_party(session, account, mediation_id)
    if party.account_id != account.id:
        # Invited but not yet answered: the thread opens once they take part.
        raise MediationNotFound({"mediation": mediation_id})
    return Thread(mediation.id, None, party.name)


def mediation_thread_for_mediator(session: Session, staff: Account, mediation_id: str) -> Thread:
    mediation = services.for_mediator(session, staff, mediation_id)
    return Thread(mediation.id, None, f"调解员{staff.display_name}")


def consultation_thread(session: Session, account: Account, appointment_id: str) -> Thread:
    """A consultation's thread: the litigant who booked it and the mediator booked."""
    appointment = session.get(Appointment, appointment_id)
    mediator = session.get(Mediator, appointment.mediator_id) if appointment else None
    if appointment is None or mediator is None:
        raise NotFound({"appointment": appointment_id})
    if appointment.account_id == account.id:
        return Thread(None, appointment.id, account.display_name)
    if mediator.account_id == account.id:
        return Thread(None, appointment.id, f"调解员{mediator.name}")
    raise NotFound({"appointment": appointment_id})


def _require_open(session: Session, thread: Thread) -> None:
    """Refuse a closed thread. The thread's row is locked, so that its messages commit in
    the order of their ids and a live reader never skips one (PostgreSQL may otherwise
    commit a lower id after a higher one)."""
    if thread.mediation_id:
        mediation = session.exec(
            select(Mediation).where(Mediation.id == thread.mediation_id).with_for_update()
        ).one()
        services.require_running(mediation)
    elif thread.hearing_id:
        from court.hearing.models import Hearing
        from court.hearing.services import OPEN_STATES, HearingClosed

        hearing = session.exec(
            select(Hearing).where(Hearing.id == thread.hearing_id).with_for_update()
        ).one()
        if hearing.state not in OPEN_STATES:
            raise HearingClosed({"state": hearing.state})
    else:
        appointment = session.exec(
            select(Appointment).where(Appointment.id == thread.appointment_id).with_for_update()
        ).first()
        if appointment is None or appointment.state != AppointmentState.BOOKED:
            raise WrongState({"appointment": thread.appointment_id})


def attach(
    session: Session,
    blobs: FilesystemBlobStore,
    actor: Actor,
    account: Account,
    thread: Thread,
    *,
    data: bytes,
    name: str,
) -> Attachment:
    """Keep a file for a message: a whole image or a readable PDF, at most 10 MB."""
    _require_open(session, thread)
    try:
        media_type = sniff_attachment(data, max_bytes=MAX_ATTACHMENT_BYTES)
    except PageRejected as exc:
        raise ValidationFailed(
            {"reason": exc.code, "detail": exc.reason},
            zh="附件须为完整的图片（JPEG、PNG、WebP、HEIC）或可读取的 PDF，且不超过 10 MB。",
            en="Attach a whole image (JPEG, PNG, WebP, HEIC) or a readable PDF of at most 10 MB.",
        ) from exc
    ref = blobs.put_stream([data])
    attachment = Attachment(
        mediation_id=thread.mediation_id,
        appointment_id=thread.appointment_id,
        hearing_id=thread.hearing_id,
        account_id=account.id,
        sha256=ref.sha256,
        size=ref.size,
        media_type=media_type,
        name=(name.strip() or "附件")[:200],
        created_at=utcnow(),
    )
    session.add(attachment)
    session.flush()
    record_audit(
        session, actor, "thread.attach", "thread_attachment", attachment.id, {"sha256": ref.sha256}
    )
    return attachment


def post(
    session: Session,
    account: Account,
    thread: Thread,
    *,
    body: str,
    attachment_id: str | None = None,
) -> Message:
    _require_open(session, thread)
    body = body.strip()
    if not body and attachment_id is None:
        raise ValidationFailed({"field": "body"}, zh="消息不能为空。", en="The message is empty.")
    if len(body) > MAX_BODY:
        raise ValidationFailed({"field": "body", "max": MAX_BODY})
    if attachment_id is not None:
        attachment = session.get(Attachment, attachment_id)
        if (
            attachment is None
            or attachment.account_id != account.id
            or attachment.mediation_id != thread.mediation_id
            or attachment.appointment_id != thread.appointment_id
            or attachment.hearing_id != thread.hearing_id
        ):
            raise NotFound({"attachment": attachment_id})
    message = Message(
        mediation_id=thread.mediation_id,
        appointment_id=thread.appointment_id,
        hearing_id=thread.hearing_id,
        account_id=account.id,
        author=thread.author,
        body=body,
        attachment_id=attachment_id,
        created_at=utcnow(),
    )
    session.add(message)
    session.flush()
    notify_after_commit(session, thread.channel)
    return message


def messages_after(
    session: Session, thread: Thread, after: int, limit: int = PAGE
) -> list[tuple[Message, Attachment | None]]:
    query = (
        select(Message, Attachment)
        .join(Attachment, col(Attachment.id) == Message.attachment_id, isouter=True)
        .where(col(Message.id) > after)
        .order_by(col(Message.id))
        .limit(limit)
    )
    if thread.mediation_id:
        query = query.where(Message.mediation_id == thread.mediation_id)
    elif thread.hearing_id:
        query = query.where(Message.hearing_id == thread.hearing_id)
    else:
        query = query.where(Message.appointment_id == thread.appointment_id)
    return [(m, a) for m, a in session.exec(query)]


def attachment_in(session: Session, thread: Thread, attachment_id: str) -> Attachment:
    attachment = session.get(Attachment, attachment_id)
    if (
        attachment is None
        or attachment.mediation_id != thread.mediation_id
        or attachment.appointment_id != thread.appointment_id
        or attachment.hearing_id != thread.hearing_id
    ):
        raise NotFound({"attachment": attachment_id})
    return attachment


def poll_new_messages(session: Session, last: int | None) -> tuple[int | None, list[str]]:
    """For the live watcher: the newest message id, and the threads that got new messages."""
    if last is None:
        newest = session.exec(select(func.max(Message.id))).one()
        return int(newest or 0), []
    rows = session.exec(
        select(Message.id, Message.mediation_id, Message.appointment_id, Message.hearing_id)
        .where(col(Message.id) > last)
        .order_by(col(Message.id))
        .limit(1000)
    ).all()
    channels = {channel_of(m, a, h) for _, m, a, h in rows}
    return (rows[-1][0] if rows else last), sorted(channels)
