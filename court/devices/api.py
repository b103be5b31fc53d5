"""Device enrolment endpoints, and the public certificates and CRLs."""

from __future__ import annotations

import datetime as dt
from typing import Annotated

from cryptography import x509
from cryptography.hazmat.primitives import serialization
from flask import Blueprint, Response
from pydantic import Field

from court import components
from court.accounts.models import LITIGANT_SIDE
from court.accounts.principal import current_account
from court.api import api
from court.api.models import ApiModel, PublicModel
from court.api.routing import principal
from court.db import db
from court.devices import services
from court.devices.models import Device
from court.errors import NotFound
from signing.pki import EVENT_CA, LOG_KEY, ROOT, SEAL, TSA


class DeviceEnrolment(ApiModel):
    #: PEM text, or base64 of DER. Only ECDSA P-256 keys; the subject is ignored.
    csr: Annotated[str, Field(min_length=32, max_length=8192)]
    label: Annotated[str, Field(min_length=1, max_length=64)] = "phone"


class DevicePublic(PublicModel):
    id: str
    label: str
    state: str
    serial: str
    not_before: dt.datetime
    not_after: dt.datetime
    created_at: dt.datetime
    revoked_at: dt.datetime | None
    certificate_pem: str


class EnrolledDevice(DevicePublic):
    #: The issuing event CA then the court root, PEM.
    chain_pem: list[str]


class DeviceList(PublicModel):
    items: list[DevicePublic]


class Revocation(ApiModel):
    reason: Annotated[str, Field(min_length=1, max_length=200)] = "key compromise or loss"


@api.post(
    "/devices",
    body=DeviceEnrolment,
    response=EnrolledDevice,
    status=201,
    roles=LITIGANT_SIDE,
    tags=["devices"],
    errors=[401, 403, 409, 422],
    summary="Enrol a phone's P-256 key by CSR and receive its certificate",
)
def enrol(body: DeviceEnrolment) -> EnrolledDevice:
    """The CSR's self-signature proves possession; the certificate names the verified person."""
    settings = components.settings()
    pki = components.pki()
    device = services.enrol_device(
        db(),
        pki,
        principal().actor(),
        current_account(),
        csr_bytes=services.decode_csr_field(body.csr),
        label=body.label,
        validity_days=settings.device_certificate_days,
    )
    chain = [
        pki.certificate(name).public_bytes(serialization.Encoding.PEM).decode()
        for name in (EVENT_CA, ROOT)
    ]
    return EnrolledDevice(**DevicePublic.model_validate(device).model_dump(), chain_pem=chain)


@api.get(
    "/devices",
    response=DeviceList,
    roles=LITIGANT_SIDE,
    tags=["devices"],
    errors=[401],
    summary="List my devices",
)
def list_devices() -> DeviceList:
    devices = services.list_devices(db(), current_account().id)
    return DeviceList(items=[DevicePublic.model_validate(d) for d in devices])


@api.post(
    "/devices/<device_id>/revoke",
    body=Revocation,
    response=DevicePublic,
    roles=LITIGANT_SIDE,
    tags=["devices"],
    errors=[401, 404, 409, 422],
    summary="Revoke a device; its certificate is listed on the next CRL",
)
def revoke(device_id: str, body: Revocation) -> Device:
    device = services.get_own_device(db(), current_account().id, device_id)
    return services.revoke_device(db(), principal().actor(), device, body.reason)


#: Public PKI files: anyone may fetch the root, the CA certificates and the CRLs.
pki_blueprint = Blueprint("pki", __name__, url_prefix="/pki")
_PUBLIC_CERTS = {ROOT, EVENT_CA, SEAL, TSA}


@pki_blueprint.get("/<name>.pem")
def certificate(name: str) -> Response:
    pki = components.pki()
    if name in _PUBLIC_CERTS:
        data = pki.certificate(name).public_bytes(serialization.Encoding.PEM)
    elif name == f"{LOG_KEY}.pub":
        data = pki.log_public_key_path.read_bytes()
    else:
        raise NotFound({"certificate": name})
    return Response(data, mimetype="application/x-pem-file")


@pki_blueprint.get(f"/{LOG_KEY}.vkey")
def log_verifier_key() -> Response:
    """The evidence log's key as a C2SP verifier key line, for offline receipt checks."""
    return Response(components.log_verifier_key() + "\n", mimetype="text/plain")


@pki_blueprint.get("/<name>.crl")
def crl(name: str) -> Response:
    """A CRL signed now (DER): the root's lists no one, the event CA's lists revoked devices."""
    if name not in (ROOT, EVENT_CA):
        raise NotFound({"crl": name})
    revoked = services.revoked_certificates(db()) if name == EVENT_CA else []
    validity = dt.timedelta(hours=components.settings().crl_validity_hours)
    signed: x509.CertificateRevocationList = components.pki().build_crl(
        name, revoked, validity=validity
    )
    response = Response(
        signed.public_bytes(serialization.Encoding.DER), mimetype="application/pkix-crl"
    )
    response.headers["Cache-Control"] = "no-cache"
    return response
