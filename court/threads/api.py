"""Threads for phones: a mediation's messages and a consultation's, with attachments, read
by page or followed live as server-sent events."""

from __future__ import annotations

import datetime as dt
import time
from collections.abc import Callable, Iterator
from typing import Annotated

from flask import Response, request
from pydantic import Field
from sqlalchemy.engine import Engine

from court import components
from court.accounts.models import LITIGANT_SIDE
from court.accounts.principal import current_account
from court.api import api
from court.api.models import ApiModel, PublicModel, QueryModel
from court.api.routing import principal
from court.db import db, get_engine, open_session
from court.live import POLL_SECONDS, hub, watchers
from court.ratelimit import limit_account
from court.threads import services as thread
from court.threads.models import Attachment, Message

#: A live stream ends after this long; EventSource reconnects with Last-Event-ID, so a
#: server thread is never held for good by one browser.
STREAM_SECONDS = 60.0
#: A comment line this often when idle: a client that went away is noticed (and its
#: server thread freed) at the next write.
KEEPALIVE_SECONDS = 5.0


class MessageIn(ApiModel):
    body: Annotated[str, Field(max_length=thread.MAX_BODY)] = ""
    attachment_id: Annotated[str | None, Field(max_length=64)] = None


class AttachmentPublic(PublicModel):
    id: str
    name: str
    media_type: str
    size: int
    sha256: str


class MessagePublic(PublicModel):
    id: int
    author: str
    mine: bool
    body: str
    attachment: AttachmentPublic | None
    created_at: dt.datetime


class MessageList(PublicModel):
    items: list[MessagePublic]
    #: Pass as ``after`` to read on.
    last_id: int


class AfterQuery(QueryModel):
    after: Annotated[int, Field(ge=0)] = 0


class AttachQuery(QueryModel):
    name: Annotated[str, Field(max_length=200)] = ""


def message_public(message: Message, attachment: Attachment | None, me: str) -> MessagePublic:
    return MessagePublic(
        id=message.id or 0,
        author=message.author,
        mine=message.account_id == me,
        body=message.body,
        attachment=AttachmentPublic.model_validate(attachment) if attachment else None,
        created_at=message.created_at,
    )


def _list(found: thread.Thread, after: int) -> MessageList:
    me = current_account().id
    rows = thread.messages_after(db(), found, after)
    return MessageList(
        items=[message_public(m, a, me) for m, a in rows],
        last_id=rows[-1][0].id or after if rows else after,
    )


def event_stream(
    engine: Engine, found: thread.Thread, after: int, me: str, *, seconds: float = STREAM_SECONDS
) -> Iterator[str]:
    """Server-sent events: one ``message`` event per message (its id is the event id)."""
    with watchers.watching(engine, thread.poll_new_messages):
        yield from _events(engine, found, after, me, seconds)


def _events(
    engine: Engine, found: thread.Thread, after: int, me: str, seconds: float
) -> Iterator[str]:
    yield "retry: 2000\n\n"
    deadline = time.monotonic() + seconds
    quiet_since = time.monotonic()
    seen = hub.version(found.channel)
    while time.monotonic() < deadline and not watchers.is_shut_down(engine):
        session = open_session(engine, write=False)
        try:
            rows = thread.messages_after(session, found, after)
        finally:
            session.close()
        for message, attachment in rows:
            after = message.id or after
            payload = message_public(message, attachment, me).model_dump_json()
            yield f"id: {after}\nevent: message\ndata: {payload}\n\n"
        if rows:
            quiet_since = time.monotonic()
            continue
        if time.monotonic() - quiet_since > KEEPALIVE_SECONDS:
            quiet_since = time.monotonic()
            yield ": keep-alive\n\n"
        seen = hub.wait(found.channel, seen, min(POLL_SECONDS, deadline - time.monotonic()))


def stream_response(found: thread.Thread, after: int, me: str) -> Response:
    last = request.headers.get("Last-Event-ID", "")
    if last.isdigit():
        after = max(after, int(last))
    response = Response(event_stream(get_engine(), found, after, me), mimetype="text/event-stream")
    response.headers["Cache-Control"] = "no-store"
    response.headers["X-Accel-Buffering"] = "no"
    return response


def attachment_response(attachment: Attachment) -> Response:
    """An attachment as a download, never shown inline (phones and staff pages alike)."""
    with components.blobs().open(attachment.sha256) as fh:
        data = fh.read()
    return Response(
        data,
        mimetype=attachment.media_type,
        headers={"Content-Disposition": "attachment", "X-Content-Type-Options": "nosniff"},
    )


def _mediation(mediation_id: str) -> thread.Thread:
    return thread.mediation_thread_for_party(db(), current_account(), mediation_id)


def _consultation(appointment_id: str) -> thread.Thread:
    return thread.consultation_thread(db(), current_account(), appointment_id)


def register_thread_routes(
    prefix: str, param: str, resolve: Callable[[str], thread.Thread], what: str
) -> None:
    """The same five endpoints for each kind of thread."""
    tag = ["mediation"]

    def read_messages(query: AfterQuery, **ids: str) -> MessageList:
        return _list(resolve(ids[param]), query.after)

    def post_message(body: MessageIn, **ids: str) -> MessagePublic:
        found = resolve(ids[param])
        message = thread.post(
            db(), current_account(), found, body=body.body, attachment_id=body.attachment_id
        )
        attachment = db().get(Attachment, message.attachment_id) if message.attachment_id else None
        return message_public(message, attachment, current_account().id)

    def add_attachment(query: AttachQuery, **ids: str) -> AttachmentPublic:
        found = resolve(ids[param])
        limit_account("upload", current_account().id, components.settings().uploads_per_minute)
        request.max_content_length = thread.MAX_ATTACHMENT_BYTES + 1
        attachment = thread.attach(
            db(),
            components.blobs(),
            principal().actor(),
            current_account(),
            found,
            data=request.get_data(cache=False),
            name=query.name,
        )
        return AttachmentPublic.model_validate(attachment)

    def read_attachment(attachment_id: str, **ids: str) -> Response:
        found = resolve(ids[param])
        return attachment_response(thread.attachment_in(db(), found, attachment_id))

    def events(query: AfterQuery, **ids: str) -> Response:
        found = resolve(ids[param])
        return stream_response(found, query.after, current_account().id)

    base = f"{prefix}/<{param}>"
    for fn in (read_messages, post_message, add_attachment, read_attachment, events):
        fn.__name__ = f"{fn.__name__}_{what}"
        fn.__qualname__ = fn.__name__
    api.get(
        f"{base}/messages",
        query=AfterQuery,
        response=MessageList,
        roles=LITIGANT_SIDE,
        tags=tag,
        errors=[404],
        summary=f"Messages of the {what} thread after a message id",
    )(read_messages)
    api.post(
        f"{base}/messages",
        body=MessageIn,
        response=MessagePublic,
        status=201,
        roles=LITIGANT_SIDE,
        tags=tag,
        errors=[404, 409, 422],
        summary=f"Post to the {what} thread (text, and an attachment uploaded before)",
    )(post_message)
    api.post(
        f"{base}/attachments",
        query=AttachQuery,
        response=AttachmentPublic,
        status=201,
        roles=LITIGANT_SIDE,
        tags=tag,
        raw_body="application/octet-stream",
        errors=[404, 409, 413, 415, 422],
        summary=f"Upload a file (image or PDF, at most 10 MB) to attach in the {what} thread",
    )(add_attachment)
    api.get(
        f"{base}/attachments/<attachment_id>",
        roles=LITIGANT_SIDE,
        tags=tag,
        errors=[404],
        summary=f"Download an attachment of the {what} thread",
    )(read_attachment)
    api.get(
        f"{base}/events",
        query=AfterQuery,
        roles=LITIGANT_SIDE,
        tags=tag,
        errors=[404],
        summary=f"Follow the {what} thread live (text/event-stream; honours Last-Event-ID)",
    )(events)


register_thread_routes("/mediations", "mediation_id", _mediation, "mediation")
register_thread_routes("/appointments", "appointment_id", _consultation, "consultation")
