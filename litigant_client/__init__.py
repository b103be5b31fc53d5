"""The reference litigant client: what the mini-app does, in Python.

It keeps a P-256 key (which never leaves it), signs in with a phone code, verifies identity,
enrols its key by CSR, and signs challenges as RFC 8785 canonical JSON. Tests, benchmarks and
demonstrations drive the API through it; the mini-app team can read it as the contract.
"""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
import json
from dataclasses import dataclass, field
from typing import Any, Protocol

import rfc8785
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID


@dataclass
class Reply:
    status: int
    body: Any
    headers: dict[str, str]
    #: The raw response bytes (a PDF, an image); JSON replies are parsed into ``body``.
    raw: bytes = b""


class ApiError(Exception):
    def __init__(self, reply: Reply) -> None:
        self.reply = reply
        error = reply.body.get("error", {}) if isinstance(reply.body, dict) else {}
        self.code = error.get("code")
        super().__init__(f"{reply.status} {self.code}: {error.get('message')}")


class Transport(Protocol):
    def request(
        self, method: str, path: str, body: Any | None, headers: dict[str, str]
    ) -> Reply: ...

    def send(self, method: str, path: str, data: bytes | None, headers: dict[str, str]) -> Reply:
        """Send raw bytes (tus PATCH) or no body (HEAD, DELETE)."""
        ...


class WsgiTransport:
    """Talks to a WSGI app in-process (a Flask or Werkzeug test client)."""

    def __init__(self, test_client: Any) -> None:
        self._client = test_client

    def request(self, method: str, path: str, body: Any | None, headers: dict[str, str]) -> Reply:
        response = self._client.open(path, method=method, json=body, headers=headers)
        payload = response.get_json(silent=True) if response.data else None
        return Reply(response.status_code, payload, dict(response.headers))

    def send(self, method: str, path: str, data: bytes | None, headers: dict[str, str]) -> Reply:
        response = self._client.open(path, method=method, data=data, headers=headers)
        payload = response.get_json(silent=True) if response.data else None
        return Reply(response.status_code, payload, dict(response.headers), response.data)


class HttpTransport:
    """Talks to a server over HTTP with a keep-alive session (requests)."""

    def __init__(self, base_url: str) -> None:
        import requests

        self._base = base_url.rstrip("/")
        self._session = requests.Session()

    def request(self, method: str, path: str, body: Any | None, headers: dict[str, str]) -> Reply:
        response = self._session.request(
            method, self._base + path, json=body, headers=headers, timeout=30
        )
        payload = response.json() if response.content else None
        return Reply(response.status_code, payload, dict(response.headers))

    def send(self, method: str, path: str, data: bytes | None, headers: dict[str, str]) -> Reply:
        response = self._session.request(
            method, self._base + path, data=data, headers=headers, timeout=120
        )
        is_json = response.headers.get("Content-Type", "").startswith("application/json")
        payload = response.json() if response.content and is_json else None
        return Reply(response.status_code, payload, dict(response.headers), response.content)


@dataclass
class LitigantClient:
    transport: Transport
    prefix: str = "/api/v1"
    phone: str | None = None
    access_token: str | None = None
    refresh_token: str | None = None
    device_id: str | None = None
    certificate_pem: str | None = None
    key: ec.EllipticCurvePrivateKey = field(
        default_factory=lambda: ec.generate_private_key(ec.SECP256R1())
    )

    # -- plumbing ------------------------------------------------------------------------
    def call(
        self,
        method: str,
        path: str,
        body: Any | None = None,
        *,
        idempotency_key: str | None = None,
        expect: int | tuple[int, ...] = (200, 201, 202, 204),
    ) -> Any:
        headers = {"Accept": "application/json"}
        if self.access_token:
            headers["Authorization"] = f"Bearer {self.access_token}"
        if idempotency_key:
            headers["Idempotency-Key"] = idempotency_key
        reply = self.transport.request(method, self.prefix + path, body, headers)
        allowed = (expect,) if isinstance(expect, int) else expect
        if reply.status not in allowed:
            raise ApiError(reply)
        return reply.body

    def download(self, path: str) -> bytes:
        """GET a binary resource (a served PDF, a filing packet) with this client's token."""
        headers = {"Authorization": f"Bearer {self.access_token}"} if self.access_token else {}
        reply = self.transport.send("GET", self.prefix + path, None, headers)
        if reply.status != 200:
            raise ApiError(reply)
        return reply.raw

    # -- signing in ----------------------------------------------------------------------
    def ask_for_code(self, phone: str) -> Any:
        return self.call("POST", "/auth/otp", {"phone": phone})

    def sign_in(self, phone: str, code: str) -> Any:
        tokens = self.call("POST", "/auth/token", {"phone": phone, "code": code})
        self.phone = phone
        self.access_token = tokens["access_token"]
        self.refresh_token = tokens["refresh_token"]
        return tokens

    def refresh(self) -> Any:
        tokens = self.call("POST", "/auth/refresh", {"refresh_token": self.refresh_token})
        self.access_token = tokens["access_token"]
        self.refresh_token = tokens["refresh_token"]
        return tokens

    def verify_identity(self, name: str, id_number: str, kind: str = "natural") -> Any:
        return self.call("POST", "/identity", {"kind": kind, "name": name, "id_number": id_number})

    # -- keys ----------------------------------------------------------------------------
    def make_csr(self, common_name: str = "ignored by the court") -> str:
        csr = (
            x509.CertificateSigningRequestBuilder()
            .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, common_name)]))
            .sign(self.key, hashes.SHA256())
        )
        return csr.public_bytes(serialization.Encoding.PEM).decode()

    def enrol_device(self, label: str = "phone") -> Any:
        device = self.call("POST", "/devices", {"csr": self.make_csr(), "label": label})
        self.device_id = device["id"]
        self.certificate_pem = device["certificate_pem"]
        return device

    def sign_statement(self, statement: dict[str, Any]) -> str:
        """Sign the RFC 8785 canonical JSON of ``statement``; return base64 DER."""
        message = rfc8785.dumps(statement)
        return base64.b64encode(self.key.sign(message, ec.ECDSA(hashes.SHA256()))).decode()

    def sign_document(self, document_id: str, *, handwriting_png: bytes | None = None) -> Any:
        """Sign a court document (PAdES): get the signed attributes, sign their digest."""
        start: dict[str, Any] = {"device_id": self.device_id}
        if handwriting_png is not None:
            start["handwriting_png"] = base64.b64encode(handwriting_png).decode()
        task = self.call("POST", f"/documents/{document_id}/signing", start)
        return self.call(
            "POST",
            f"/documents/{document_id}/signing/{task['preparation_id']}",
            {"signature": self.sign_digest(base64.b64decode(task["digest"]))},
        )

    def sign_digest(self, digest: bytes) -> str:
        """Sign a SHA-256 digest, as a phone keystore does; return base64 DER."""
        from cryptography.hazmat.primitives.asymmetric.utils import Prehashed

        signature = self.key.sign(digest, ec.ECDSA(Prehashed(hashes.SHA256())))
        return base64.b64encode(signature).decode()

    def reverify(self, purpose: str) -> Any:
        """Re-verify identity (R5) by signing a fresh server challenge."""
        challenge = self.call("POST", "/identity/challenges", {"purpose": purpose})
        return self.call(
            "POST",
            "/identity/reverifications",
            {
                "challenge_id": challenge["id"],
                "device_id": self.device_id,
                "signature": self.sign_statement(challenge["statement"]),
            },
        )


TUS = {"Tus-Resumable": "1.0.0"}


def _tus_metadata(**values: str) -> str:
    return ",".join(f"{k} {base64.b64encode(v.encode()).decode()}" for k, v in values.items())


@dataclass
class Filing:
    """Filing by photo: open, upload pages resumably (tus 1.0), sign the manifest."""

    client: LitigantClient

    def _auth(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.client.access_token}", **TUS}

    def open(self, kind: str, *, details: dict[str, Any] | None = None, **fields: Any) -> Any:
        body = {"kind": kind, "details": details or {}, **fields}
        return self.client.call("POST", "/submissions", body)

    def start_page(self, submission_id: str, data: bytes, *, sha256: str | None = None) -> str:
        """Create the upload; return its location."""
        digest = sha256 or hashlib.sha256(data).hexdigest()
        reply = self.client.transport.send(
            "POST",
            f"{self.client.prefix}/submissions/{submission_id}/pages",
            None,
            {
                **self._auth(),
                "Upload-Length": str(len(data)),
                "Upload-Metadata": _tus_metadata(sha256=digest, device="reference-client"),
            },
        )
        if reply.status != 201:
            raise ApiError(reply)
        return reply.headers["Location"]

    def offset(self, location: str) -> int:
        reply = self.client.transport.send("HEAD", location, None, self._auth())
        if reply.status != 200:
            raise ApiError(reply)
        return int(reply.headers["Upload-Offset"])

    def send_bytes(self, location: str, data: bytes, offset: int) -> Reply:
        return self.client.transport.send(
            "PATCH",
            location,
            data,
            {
                **self._auth(),
                "Upload-Offset": str(offset),
                "Content-Type": "application/offset+octet-stream",
            },
        )

    def upload_page(self, submission_id: str, data: bytes, *, chunk: int = 1 << 20) -> Reply:
        """Upload a whole page in chunks, resuming from the server's offset after a failure."""
        location = self.start_page(submission_id, data)
        offset = 0
        while True:
            reply = self.send_bytes(location, data[offset : offset + chunk], offset)
            if reply.status != 204:
                raise ApiError(reply)
            offset = int(reply.headers["Upload-Offset"])
            if offset >= len(data):
                return reply

    def manifest(self, submission_id: str, *, at: str | None = None) -> dict[str, Any]:
        draft = self.client.call("GET", f"/submissions/{submission_id}")
        signing_time = at or dt.datetime.now(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
        return {**draft["manifest_to_sign"], "time": signing_time}

    def sign(
        self, submission_id: str, *, manifest: dict[str, Any] | None = None, **extra: Any
    ) -> Any:
        manifest = manifest or self.manifest(submission_id)
        return self.client.call(
            "POST",
            f"/submissions/{submission_id}/sign",
            {
                "manifest": manifest,
                "device_id": self.client.device_id,
                "signature": self.client.sign_statement(manifest),
                **extra,
            },
        )


def pretty(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False, indent=2)
