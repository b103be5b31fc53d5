"""Documents served electronically, with the ground of consent and every time that matters."""

from __future__ import annotations

import datetime as dt
import enum

from sqlmodel import Field, SQLModel

from court.db import UTCDateTime, new_id


class ConsentGround(enum.StrEnum):
    """R23: why electronic service is allowed for this recipient."""

    EXPRESS = "express"
    PRE_DISPUTE_AGREEMENT = "pre_dispute_agreement"
    FILING_E_ADDRESS = "filing_e_address"
    REPLY_OR_ACT = "reply_or_act"


CONSENT_TEXT = {
    ConsentGround.EXPRESS: "受送达人明确表示同意电子送达",
    ConsentGround.PRE_DISPUTE_AGREEMENT: "纠纷发生前约定电子送达",
    ConsentGround.FILING_E_ADDRESS: "受送达人在起诉状或申请中主动提供电子送达地址",
    ConsentGround.REPLY_OR_ACT: "受送达人以回复、作出相应诉讼行为等方式表示接受",
}


class ServedDocument(SQLModel, table=True):
    __tablename__ = "served_document"

    id: str = Field(default_factory=new_id, primary_key=True)
    court_id: str = Field(foreign_key="court.id")
    recipient_account_id: str = Field(foreign_key="account.id", index=True)
    case_id: str | None = Field(default=None, foreign_key="case.id", index=True)
    submission_id: str | None = Field(default=None, foreign_key="submission.id", index=True)
    #: acceptance_notice, correction_notice, rejection_ruling …
    kind: str
    title: str
    pdf_sha256: str = Field(max_length=64)
    pdf_size: int
    consent_ground: str
    #: R24: service on a confirmed address is complete when the document reaches it.
    served_at: dt.datetime = Field(sa_type=UTCDateTime)
    #: First time the recipient opened the document (presumes service on other addresses).
    read_at: dt.datetime | None = Field(default=None, sa_type=UTCDateTime)
    log_index: int
    #: The sealed service certificate last issued, and whether it already showed the read.
    certificate_sha256: str | None = None
    certificate_shows_read: bool = False
