"""A device's SDP offer as a browser or the synthetic peer sends it, for tests that need one
without making it (no event loop, no sockets): own audio and video, sent and received."""

from __future__ import annotations

_FINGERPRINT = (
    "a=fingerprint:sha-256 6C:EF:00:17:C1:27:D2:33:CC:F7:92:8F:CC:48:5D:E5:"
    "61:E5:8F:3C:74:E9:8E:3C:68:A8:15:43:9F:03:49:24"
)
_TRANSPORT = [
    "a=rtcp:9 IN IP4 0.0.0.0",
    "a=rtcp-mux",
    "a=ice-ufrag:qx8W",
    "a=ice-pwd:y3Y49pjm2P1T2vd7Th1yUt",
    _FINGERPRINT,
    "a=setup:actpass",
]
LINES = [
    "v=0",
    "o=- 4005315174 4005315174 IN IP4 0.0.0.0",
    "s=-",
    "t=0 0",
    "a=group:BUNDLE 0 1",
    "a=msid-semantic:WMS *",
    "m=video 9 UDP/TLS/RTP/SAVPF 97 98",
    "c=IN IP4 0.0.0.0",
    "a=sendrecv",
    "a=mid:0",
    *_TRANSPORT,
    "a=rtpmap:97 VP8/90000",
    "a=rtcp-fb:97 nack",
    "a=rtcp-fb:97 nack pli",
    "a=rtpmap:98 rtx/90000",
    "a=fmtp:98 apt=97",
    "m=audio 9 UDP/TLS/RTP/SAVPF 96 0",
    "c=IN IP4 0.0.0.0",
    "a=sendrecv",
    "a=mid:1",
    *_TRANSPORT,
    "a=rtpmap:96 opus/48000/2",
    "a=rtpmap:0 PCMU/8000",
]
OFFER = "\r\n".join(LINES) + "\r\n"


def offer_with(replace: dict[str, str | None]) -> str:
    """The offer with some lines replaced (by another line) or removed (``None``)."""
    lines = [replace.get(line, line) for line in LINES]
    return "\r\n".join(line for line in lines if line is not None) + "\r\n"
