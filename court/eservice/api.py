"""The litigant's inbox of served documents."""

from __future__ import annotations

import datetime as dt

from flask import Response

from court import components
from court.accounts.models import LITIGANT_SIDE
from court.accounts.principal import current_account
from court.api import api
from court.api.models import PublicModel
from court.api.routing import principal
from court.db import db
from court.eservice import services


class ServedPublic(PublicModel):
    id: str
    kind: str
    title: str
    case_id: str | None
    submission_id: str | None
    pdf_sha256: str
    pdf_size: int
    consent_ground: str
    served_at: dt.datetime
    read_at: dt.datetime | None
    log_index: int


class Inbox(PublicModel):
    items: list[ServedPublic]


@api.get(
    "/inbox",
    response=Inbox,
    roles=LITIGANT_SIDE,
    tags=["service"],
    summary="Documents served on me",
)
def my_inbox() -> Inbox:
    return Inbox(
        items=[ServedPublic.model_validate(d) for d in services.inbox(db(), current_account().id)]
    )


@api.get(
    "/inbox/<served_id>/document",
    roles=LITIGANT_SIDE,
    tags=["service"],
    errors=[404],
    summary="Download a served document (PDF); the first download records the read time",
)
def served_pdf(served_id: str) -> Response:
    served = services.own_served(db(), current_account().id, served_id)
    services.mark_read(db(), principal().actor(), served)
    with components.blobs().open(served.pdf_sha256) as fh:
        data = fh.read()
    response = Response(data, mimetype="application/pdf")
    response.headers["Content-Disposition"] = f'inline; filename="{served.kind}.pdf"'
    return response


@api.get(
    "/inbox/<served_id>/certificate",
    roles=LITIGANT_SIDE,
    tags=["service"],
    errors=[404],
    summary="The electronic service certificate (电子送达凭证), sealed, as PDF",
)
def certificate(served_id: str) -> Response:
    session = db()
    served = services.own_served(session, current_account().id, served_id)
    settings = components.settings()
    pdf = services.service_certificate(
        session,
        components.blobs(),
        components.evidence_log(),
        principal().actor(),
        served,
        recipient=current_account().display_name,
        seal=components.sealing_key(session),
        timestamper=components.timestamper(),
        base_url=settings.public_base_url,
    )
    return Response(pdf, mimetype="application/pdf")
