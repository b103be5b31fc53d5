"""The litigant's inbox of served documents."""

from __future__ import annotations

import datetime as dt

from flask import Response

from court import components
from court.accounts.principal import current_account
from court.api import api
from court.api.models import PublicModel
from court.api.routing import principal
from court.db import db, utcnow
from court.eservice import services
from court.eservice.models import ServedDocument
from documents.rendering import render_pdf

LITIGANT_SIDE = ("litigant", "agent")


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
    summary="The electronic service certificate (电子送达凭证) as PDF",
)
def service_certificate(served_id: str) -> Response:
    served = services.own_served(db(), current_account().id, served_id)
    return Response(certificate_pdf(served), mimetype="application/pdf")


def certificate_pdf(served: ServedDocument) -> bytes:
    settings = components.settings()
    return render_pdf(
        "service_certificate.html",
        {
            "court_name": settings.court_name,
            "number": None,
            "recipient": current_account().display_name,
            "title": served.title,
            "pdf_sha256": served.pdf_sha256,
            "consent_ground": services.consent_text(served),
            "served_at": served.served_at,
            "read_at": served.read_at,
            "log_index": served.log_index,
            "issued_at": utcnow(),
        },
    )
