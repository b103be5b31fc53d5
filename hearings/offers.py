"""Reading a device's SDP offer before the media node answers it.

aiortc's parser takes almost any text: ``"hello world"`` reads as an SDP with no media, and
malformed lines escape as ``ValueError``, ``AssertionError``, ``KeyError``, ``IndexError``,
``AttributeError`` or ``StopIteration``. ``read_offer`` turns all of that into one error,
``BadOffer`` with a machine-readable reason, and checks what the node's ``setRemoteDescription``
and ``createAnswer`` would trip over, so that an offer it accepts can be answered. It is pure
(text in, frozen ``Offer`` out): the court calls it before it records anything, and the media
node calls it again before it touches a room.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from functools import cache

from aiortc import RTCRtpReceiver
from aiortc.sdp import MediaDescription, SessionDescription

from hearings.interfaces import BadOffer

#: What aiortc's parser raises on malformed lines (found by mutating real offers).
_PARSE_ERRORS = (
    ValueError,
    AssertionError,
    LookupError,
    AttributeError,
    TypeError,
    StopIteration,
)
#: Media the node answers; an ``application`` (data channel) section is answered, unused.
ANSWERED_KINDS = frozenset({"audio", "video", "application"})
#: The relay forwards encoded video without transcoding and the recorder writes VP8, so a
#: video section must offer VP8 (mandatory for WebRTC endpoints, RFC 7742 §5).
VIDEO_CODEC = ("video/vp8", 90000)


@cache
def _audio_codecs() -> frozenset[tuple[str, int]]:
    capabilities = RTCRtpReceiver.getCapabilities("audio")
    return frozenset(
        (c.mimeType.lower(), c.clockRate)
        for c in (capabilities.codecs if capabilities else [])
        if c.mimeType.lower() != "audio/rtx"
    )


@dataclass(frozen=True)
class Offer:
    """An SDP offer the media node can answer: its sections as (kind, direction), in order
    (an ``application`` section has no direction: "")."""

    sections: tuple[tuple[str, str], ...]


def _check_section(media: MediaDescription, audio_codecs: frozenset[tuple[str, int]]) -> None:
    """The per-section checks aiortc makes (or fails on) when it takes an offer."""
    mid = media.rtp.muxId
    if not mid:
        # JSEP (RFC 8829) §5.2.1: every section carries a=mid; aiortc matches answers by it.
        raise BadOffer("missing_mid", f"{media.kind} section without a=mid")
    if media.ice is None or not media.ice.usernameFragment or not media.ice.password:
        raise BadOffer("missing_ice", f"section {mid}: no a=ice-ufrag or a=ice-pwd")
    if media.dtls is None or not media.dtls.fingerprints:
        # RFC 8842 §5: a=setup and a=fingerprint; without them no DTLS, so no media.
        raise BadOffer("missing_dtls", f"section {mid}: no a=setup or a=fingerprint")
    if media.kind == "application":
        return
    if not media.rtcp_mux:
        raise BadOffer("no_rtcp_mux", f"section {mid}: no a=rtcp-mux")
    if media.direction is None:
        # JSEP §5.2.1 writes the direction; aiortc has no default for a missing one.
        raise BadOffer("missing_direction", f"section {mid}: no a=sendrecv, a=sendonly, ...")
    offered = {(c.mimeType.lower(), c.clockRate) for c in media.rtp.codecs}
    usable = {VIDEO_CODEC} if media.kind == "video" else audio_codecs
    if not offered & usable:
        raise BadOffer("no_common_codec", f"section {mid}: no {media.kind} codec the node speaks")


def read_offer(sdp: str) -> Offer:
    """Parse an SDP offer and check the node can answer it; raise ``BadOffer`` if not."""
    # RFC 8866 §5: a session description starts with the protocol version line, "v=0".
    if not sdp.startswith("v=0"):
        raise BadOffer("not_sdp", "an SDP offer starts with v=0")
    try:
        description = SessionDescription.parse(sdp)
    except _PARSE_ERRORS as exc:
        raise BadOffer("not_sdp", f"{type(exc).__name__}: {exc}"[:200]) from exc
    if not description.origin:
        raise BadOffer("not_sdp", "no o= line")  # RFC 8866 §5.2: mandatory
    kinds = [m.kind for m in description.media]
    unknown = sorted(set(kinds) - ANSWERED_KINDS)
    if unknown:
        raise BadOffer("unsupported_media", f"cannot answer m={unknown[0][:40]}")
    if not {"audio", "video"} & set(kinds):
        raise BadOffer("no_media", "no audio or video section")
    audio_codecs = _audio_codecs()
    for media in description.media:
        _check_section(media, audio_codecs)
    mids = Counter(m.rtp.muxId for m in description.media)
    repeated = [mid for mid, n in mids.items() if n > 1]
    if repeated:
        raise BadOffer("duplicate_mid", f"a=mid:{repeated[0]} names more than one section")
    for group in description.group:
        if group.semantic == "BUNDLE" and not {str(i) for i in group.items} <= set(mids):
            # aiortc moves bundled sections onto the first named section's transport.
            raise BadOffer("bad_bundle", "a=group:BUNDLE names a section that does not exist")
    return Offer(tuple((m.kind, m.direction or "") for m in description.media))
