"""The running app's configured components, chosen once in the app factory.

Views fetch them here instead of building their own, so that the choice of backend
(development stand-in or production service) is made in exactly one place.
"""

from __future__ import annotations

import threading
from pathlib import Path
from typing import TYPE_CHECKING, Any, cast

from flask import current_app

if TYPE_CHECKING:
    from pyhanko.sign.timestamps.api import TimeStamper
    from sqlmodel import Session

    from court.accounts.interfaces import CodeSender
    from court.identity.interfaces import IdentityProvider
    from court.identity.protection import IdNumberProtector
    from court.registry.services import DocumentTools
    from court.settings import Settings
    from court.timekeeping import WorkingCalendar
    from documents.blobs import FilesystemBlobStore
    from documents.sealing import SealingKey
    from hearings.interfaces import MediaNode
    from signing.evidence.store import EvidenceLog
    from signing.pki import CourtPKI


def settings() -> Settings:
    return cast("Settings", current_app.extensions["court.settings"])


def code_sender() -> CodeSender:
    return cast("CodeSender", current_app.extensions["court.code_sender"])


def identity_provider() -> IdentityProvider:
    return cast("IdentityProvider", current_app.extensions["court.identity_provider"])


def id_protector() -> IdNumberProtector:
    return cast("IdNumberProtector", current_app.extensions["court.id_protector"])


def pki() -> CourtPKI:
    return cast("CourtPKI", current_app.extensions["court.pki"])


def otp_key() -> bytes:
    return cast(bytes, current_app.extensions["court.otp_key"])


def blobs() -> FilesystemBlobStore:
    return cast("FilesystemBlobStore", current_app.extensions["court.blobs"])


def evidence_log() -> EvidenceLog:
    return cast("EvidenceLog", current_app.extensions["court.evidence_log"])


def log_actor_key() -> bytes:
    return cast(bytes, current_app.extensions["court.log_actor_key"])


def log_verifier_key() -> str:
    """The evidence log's public key as a C2SP verifier key line."""
    from signing.evidence.note import verifier_key

    log = evidence_log()
    return verifier_key(log.origin, pki().log_private_key().public_key())


def sealing_key(session: Session) -> SealingKey:
    """The court seal with its chain and fresh CRLs of the root and of the event CA.

    The seal embeds these in the document's security store, so every earlier signature
    (parties, mediator, judge) carries the revocation data it needs to verify offline.
    """
    import datetime as dt

    from court.devices.services import current_crls
    from documents.sealing import SealingKey
    from signing.pki import ROOT, SEAL

    authority = pki()
    validity = dt.timedelta(hours=settings().crl_validity_hours)
    crls = current_crls(session, authority, validity=validity)
    return SealingKey(
        key=authority.ec_key(SEAL),
        certificate=authority.certificate(SEAL),
        chain=[],
        root=authority.certificate(ROOT),
        crls=crls,
    )


def timestamper() -> TimeStamper:
    return cast("TimeStamper", current_app.extensions["court.timestamper"])


def working_calendar() -> WorkingCalendar:
    """The court's working days: weekends and configured holidays off, make-up days on."""
    from court.timekeeping import WorkingCalendar

    current = settings()
    return WorkingCalendar(
        holidays=frozenset(current.holidays), makeup_workdays=frozenset(current.makeup_workdays)
    )


def media_node() -> MediaNode:
    """The hearings media node: the shared media process when configured, else one on a
    thread of this process (created on first use)."""
    app = current_app
    with _MEDIA_LOCK:
        return _media_node(app)


_MEDIA_LOCK = threading.Lock()


def _media_node(app: Any) -> MediaNode:
    node = app.extensions.get("court.media_node")
    if node is None:
        current = settings()
        if current.media_socket:
            from hearings.client import RemoteMediaNode

            node = RemoteMediaNode(Path(current.media_socket))
        else:
            from hearings.node import LocalMediaNode

            node = LocalMediaNode(
                current.instance_path / "recordings",
                ice_servers=[dict(s) for s in current.ice_servers],
                loopback=current.media_loopback,
            )
        app.extensions["court.media_node"] = node
    return cast("MediaNode", node)


def recordings_dir() -> Path:
    return settings().instance_path / "recordings"


def document_tools() -> DocumentTools:
    """What issuing, signing and sealing court documents needs, for the running app."""
    from court.db import db
    from court.registry.services import DocumentTools

    return DocumentTools(
        blobs=blobs(),
        log=evidence_log(),
        seal=sealing_key(db()),
        timestamper=timestamper(),
        base_url=settings().public_base_url,
    )
