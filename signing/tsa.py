"""The court's own RFC 3161 time-stamping authority, and a pyHanko time stamper using it.

This is real code with its own certificate (EKU timeStamping, critical, from the court PKI):
it answers TimeStampReq messages with signed TimeStampResp tokens. Production may point at
an external TSA instead (``TimeStamper`` in pyHanko is the interface).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import secrets
from collections.abc import Sequence

from asn1crypto import algos, cms, core, tsp
from asn1crypto import x509 as asn1_x509
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from pyhanko.sign.timestamps.api import TimeStamper

from signing.pki import ROOT, TSA, CourtPKI

#: Our TSA policy: an OID in the UUID arc (X.667), so no registration is needed.
POLICY_OID = "2.25.184011457437373424466521683913584516523"
_ALLOWED_DIGESTS = {"sha256": 32, "sha384": 48, "sha512": 64}


class TimeStampAuthority:
    """Signs time-stamp tokens with the court's TSA key (ECDSA P-256)."""

    def __init__(
        self,
        certificate: x509.Certificate,
        key: ec.EllipticCurvePrivateKey,
        chain: Sequence[x509.Certificate] = (),
    ) -> None:
        self._cert = asn1_x509.Certificate.load(
            certificate.public_bytes(serialization.Encoding.DER)
        )
        self._key = key
        self._chain = [
            asn1_x509.Certificate.load(c.public_bytes(serialization.Encoding.DER)) for c in chain
        ]

    def respond(
        self, request: tsp.TimeStampReq, *, now: dt.datetime | None = None
    ) -> tsp.TimeStampResp:
        """Answer one request (RFC 3161 §2.4.2); refuse what we do not support, never guess."""
        imprint = request["message_imprint"]
        algorithm = imprint["hash_algorithm"]["algorithm"].native
        digest = imprint["hashed_message"].native
        if algorithm not in _ALLOWED_DIGESTS or len(digest) != _ALLOWED_DIGESTS[algorithm]:
            return _rejection("bad_alg", "unsupported or malformed message imprint")
        policy = request["req_policy"].native
        if policy is not None and policy != POLICY_OID:
            return _rejection("unaccepted_policy", "unknown policy")
        when = (now or dt.datetime.now(dt.UTC)).replace(microsecond=0)
        info = tsp.TSTInfo(
            {
                "version": "v1",
                "policy": POLICY_OID,
                "message_imprint": imprint,
                "serial_number": secrets.randbits(127),
                "gen_time": when,
                "accuracy": {"seconds": 1},
                "ordering": False,
                "nonce": request["nonce"].native,
                "tsa": asn1_x509.GeneralName(name="directory_name", value=self._cert.subject),
            }
        )
        token = self._sign(info, include_certs=bool(request["cert_req"].native), when=when)
        return tsp.TimeStampResp({"status": {"status": "granted"}, "time_stamp_token": token})

    def respond_der(self, request_der: bytes) -> bytes:
        try:
            request = tsp.TimeStampReq.load(request_der)
            request.native  # noqa: B018 - parse everything now, so garbage is refused here
        except (ValueError, TypeError):
            return _rejection("bad_data_format", "not a TimeStampReq").dump()
        return self.respond(request).dump()

    def _sign(
        self, info: tsp.TSTInfo, *, include_certs: bool, when: dt.datetime
    ) -> cms.ContentInfo:
        content = info.dump()
        cert_hash = hashlib.sha256(self._cert.dump()).digest()
        signed_attrs = cms.CMSAttributes(
            [
                cms.CMSAttribute({"type": "content_type", "values": ["tst_info"]}),
                cms.CMSAttribute(
                    {"type": "signing_time", "values": [cms.Time({"utc_time": core.UTCTime(when)})]}
                ),
                cms.CMSAttribute(
                    {"type": "message_digest", "values": [hashlib.sha256(content).digest()]}
                ),
                # RFC 5816: ESSCertIDv2 identifies the TSA certificate by its SHA-256.
                cms.CMSAttribute(
                    {
                        "type": "signing_certificate_v2",
                        "values": [
                            {
                                "certs": [
                                    {
                                        "hash_algorithm": {"algorithm": "sha256"},
                                        "cert_hash": cert_hash,
                                        "issuer_serial": {
                                            "issuer": [
                                                asn1_x509.GeneralName(
                                                    name="directory_name", value=self._cert.issuer
                                                )
                                            ],
                                            "serial_number": self._cert.serial_number,
                                        },
                                    }
                                ]
                            }
                        ],
                    }
                ),
            ]
        )
        signature = self._key.sign(signed_attrs.dump(), ec.ECDSA(hashes.SHA256()))
        signer = cms.SignerInfo(
            {
                "version": "v1",
                "sid": cms.SignerIdentifier(
                    {
                        "issuer_and_serial_number": {
                            "issuer": self._cert.issuer,
                            "serial_number": self._cert.serial_number,
                        }
                    }
                ),
                "digest_algorithm": algos.DigestAlgorithm({"algorithm": "sha256"}),
                "signed_attrs": signed_attrs,
                "signature_algorithm": algos.SignedDigestAlgorithm({"algorithm": "sha256_ecdsa"}),
                "signature": signature,
            }
        )
        signed_data = {
            "version": "v3",
            "digest_algorithms": [algos.DigestAlgorithm({"algorithm": "sha256"})],
            "encap_content_info": {
                "content_type": "tst_info",
                "content": core.ParsableOctetString(content),
            },
            "signer_infos": [signer],
        }
        if include_certs:
            signed_data["certificates"] = [self._cert, *self._chain]
        return cms.ContentInfo(
            {"content_type": "signed_data", "content": cms.SignedData(signed_data)}
        )


def _rejection(failure: str, text: str) -> tsp.TimeStampResp:
    return tsp.TimeStampResp(
        {"status": {"status": "rejection", "status_string": [text], "fail_info": {failure}}}
    )


class CourtTimeStamper(TimeStamper):
    """pyHanko time stamper that asks the court's TSA in-process (no network round trip)."""

    def __init__(self, authority: TimeStampAuthority) -> None:
        super().__init__(include_nonce=True)
        self._authority = authority

    async def async_request_tsa_response(self, req: tsp.TimeStampReq) -> tsp.TimeStampResp:
        return self._authority.respond(req)


class LazyCourtTimeStamper(CourtTimeStamper):
    """A CourtTimeStamper that loads the TSA key from the PKI on first use, not at start-up."""

    def __init__(self, pki: CourtPKI) -> None:
        TimeStamper.__init__(self, include_nonce=True)
        self._pki = pki
        self._loaded: TimeStampAuthority | None = None

    async def async_request_tsa_response(self, req: tsp.TimeStampReq) -> tsp.TimeStampResp:
        if self._loaded is None:
            self._loaded = TimeStampAuthority(
                self._pki.certificate(TSA), self._pki.ec_key(TSA), [self._pki.certificate(ROOT)]
            )
        return self._loaded.respond(req)
