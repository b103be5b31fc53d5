"""aiortc set-up for a media process: configuration, and the two process-wide adjustments
forwarding needs (aiortc 1.16; each checks it is applied once).

1. **Encoded frames out of receivers.** aiortc's receiver hands each complete encoded frame
   (after its jitter buffer) to a decoder looked up by ``get_decoder`` in
   ``aiortc.rtcrtpreceiver``. We put a decoder there that does not decode: it wraps the
   frame as an ``av.Packet``. A remote track then yields packets, and a track that yields
   packets is sent by ``RTCRtpSender`` through the encoder's ``pack()`` — RTP packetisation
   only. So media is forwarded without being decoded or encoded again. With nothing to
   decode, the per-receiver decoder thread is skipped too: the frame is wrapped on the
   event loop where it completes (see ``_InlineFrames``).
2. **RTX routing.** aiortc registers a receiver's media SSRC with the transport's RTP
   router but not its retransmission (RTX) SSRC; with several incoming video tracks on
   one bundled transport, retransmissions are then dropped. We register both.

Because both change aiortc for the whole process, a media node runs in its own process
(``python -m hearings.server``) in production; tests may run one in a thread.
"""

from __future__ import annotations

import fractions
import logging
from typing import Any

import av
from aiortc import RTCBundlePolicy, RTCConfiguration, RTCIceServer

_APPLIED = "_microcourt_hearings"
_log = logging.getLogger(__name__)


def configuration(ice_servers: list[dict[str, Any]] | None = None) -> RTCConfiguration:
    """No public STUN by default (aiortc would ask Google's), one bundled transport (without
    it later video tracks are not relayed)."""
    servers = [RTCIceServer(**s) for s in ice_servers or []]
    return RTCConfiguration(iceServers=servers, bundlePolicy=RTCBundlePolicy.MAX_BUNDLE)


def vp8_keyframe(data: bytes) -> bool:
    """RFC 6386 §9.1: a key frame has bit 0 of the tag clear and the start code 9d 01 2a."""
    return len(data) >= 10 and not data[0] & 0x01 and data[3:6] == b"\x9d\x01\x2a"


def vp8_size(data: bytes) -> tuple[int, int] | None:
    if not vp8_keyframe(data):
        return None
    return (
        int.from_bytes(data[6:8], "little") & 0x3FFF,
        int.from_bytes(data[8:10], "little") & 0x3FFF,
    )


def h264_keyframe(data: bytes) -> bool:
    """An IDR slice or an SPS in the Annex-B stream aiortc depacketises to."""
    at = data.find(b"\x00\x00\x01")
    while at != -1 and at + 3 < len(data):
        if data[at + 3] & 0x1F in (5, 7):
            return True
        at = data.find(b"\x00\x00\x01", at + 3)
    return False


class _PacketDecoder:
    """Stands where aiortc expects a decoder; returns the encoded frame as a packet."""

    def __init__(self, codec: Any) -> None:
        self.name = codec.name.lower()
        self.time_base = fractions.Fraction(1, codec.clockRate)

    def decode(self, encoded_frame: Any) -> list[Any]:
        data = encoded_frame.data
        if not data:  # padding-only RTP: nothing to forward
            return []
        packet = av.Packet(data)
        packet.pts = packet.dts = encoded_frame.timestamp
        packet.time_base = self.time_base
        if self.name == "vp8":
            packet.is_keyframe = vp8_keyframe(data)
        elif self.name == "h264":
            packet.is_keyframe = h264_keyframe(data)
        else:
            packet.is_keyframe = True
        return [packet]


class _InlineFrames:
    """Stands where aiortc's receiver keeps the queue to its decoder thread.

    aiortc gives every receiver a decoder thread: each complete frame goes through a
    ``queue.Queue`` to the thread and back to the event loop. With nothing to decode, that
    round trip per frame was the costliest thing a receiving process did (two thread
    hand-overs and a fight for the GIL, 14 threads per participant at 8). Here the frame is
    wrapped where it completes, on the event loop, and queued on the track directly.
    """

    def __init__(self, receiver: Any) -> None:
        self._receiver = receiver
        self._decoders: dict[str, _PacketDecoder] = {}

    def put(self, task: tuple[Any, Any] | None) -> None:
        queue = self._receiver._track._queue
        if task is None:  # the receiver stops: the track ends
            queue.put_nowait(None)
            return
        codec, encoded_frame = task
        decoder = self._decoders.get(codec.name)
        if decoder is None:
            decoder = self._decoders[codec.name] = _PacketDecoder(codec)
        try:
            packets = decoder.decode(encoded_frame)
        except Exception:  # noqa: BLE001 - one bad frame must not end the whole transport
            _log.exception("could not wrap a received %s frame; dropped", codec.name)
            return
        for packet in packets:
            queue.put_nowait(packet)


def _no_decoder_thread(*args: Any) -> None:
    """The decoder thread's body when frames are handled inline: nothing to do."""


def forward_encoded_media() -> None:
    """Make this process's receivers yield encoded packets (see the module text)."""
    import aiortc.rtcrtpreceiver as receiver

    found: Any = receiver

    if getattr(found.get_decoder, _APPLIED, False):
        return

    def get_decoder(codec: Any) -> _PacketDecoder:
        return _PacketDecoder(codec)

    setattr(get_decoder, _APPLIED, True)
    found.get_decoder = get_decoder
    # Frames are wrapped inline on the event loop; the decoder thread aiortc starts for
    # each receiver finds nothing to do and ends at once.
    original_init = found.RTCRtpReceiver.__init__

    def init(self: Any, kind: str, transport: Any) -> None:
        original_init(self, kind, transport)
        self._RTCRtpReceiver__decoder_queue = _InlineFrames(self)

    found.RTCRtpReceiver.__init__ = init
    found.decoder_worker = _no_decoder_thread


def route_retransmissions() -> None:
    """Register each receiver's RTX SSRC with the transport's router, too."""
    from aiortc.rtcdtlstransport import RTCDtlsTransport

    original = RTCDtlsTransport._register_rtp_receiver
    if getattr(original, _APPLIED, False):
        return

    def register(self: Any, receiver: Any, parameters: Any) -> None:
        original(self, receiver, parameters)
        for encoding in parameters.encodings:
            if encoding.rtx is not None:
                self._rtp_router.ssrc_table[encoding.rtx.ssrc] = receiver

    setattr(register, _APPLIED, True)
    RTCDtlsTransport._register_rtp_receiver = register  # type: ignore[method-assign]


def loopback_only() -> None:
    """Offer only 127.0.0.1 as a host candidate (aioice skips loopback addresses). For
    tests and a single machine's development set-up; never in production."""
    import aioice.ice

    def addresses(use_ipv4: bool, use_ipv6: bool) -> list[str]:
        return ["127.0.0.1"] if use_ipv4 else []

    aioice.ice.get_host_addresses = addresses


#: Receive buffer asked for each ICE socket. With many streams on one socket a scheduling
#: hiccup of a few milliseconds overflows aioice's 256 KiB and the kernel drops datagrams
#: (visible as RcvbufErrors in /proc/net/snmp). The kernel caps it at net.core.rmem_max.
RECEIVE_BUFFER = 4 * 1024 * 1024


def larger_receive_buffers(size: int = RECEIVE_BUFFER) -> None:
    """aioice reads its buffer size from a module constant when it opens each socket."""
    import aioice.turn

    aioice.turn.UDP_SOCKET_BUFFER_SIZE = max(aioice.turn.UDP_SOCKET_BUFFER_SIZE, size)
