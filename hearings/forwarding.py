"""Forwarding encoded media: one source per incoming track, many outlets.

A :class:`Source` reads an incoming track without pause (an aiortc remote track that nobody
reads queues without bound) and hands each encoded frame, as an immutable
:class:`EncodedFrame`, to every subscriber: viewers' :class:`Outlet` tracks and recorders.
An outlet is the track a viewer's ``RTCRtpSender`` sends; it builds a new ``av.Packet``
for every frame (a frame object shared between senders gets its timestamp rewritten by
each of them), keeps a bounded queue (a slow viewer loses frames, not memory), shows video
only from a keyframe on, asks the publisher for one when it needs it (RTCP PLI, at most
twice a second per source), and keeps its timestamps running when it is switched from one
source to another.
"""

from __future__ import annotations

import asyncio
import fractions
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Protocol

import av
from aiortc.mediastreams import MediaStreamError, MediaStreamTrack

#: A source asks its publisher for a keyframe at most this often.
PLI_INTERVAL = 0.5
#: A viewer still waiting for a keyframe asks again after this long.
KEYFRAME_RETRY = 1.0
QUEUE_VIDEO = 30
QUEUE_AUDIO = 25
#: Measurement window for frame and bit rates.
WINDOW = 2.0


@dataclass(frozen=True, slots=True)
class EncodedFrame:
    data: bytes
    pts: int
    time_base: fractions.Fraction
    keyframe: bool
    arrived: float


class Subscriber(Protocol):
    def push(self, frame: EncodedFrame, source: Source) -> None: ...

    def ended(self, source: Source) -> None: ...


class Source:
    """One participant's incoming audio or video track, fanned out."""

    def __init__(
        self, track: MediaStreamTrack, peer_id: str, ask_keyframe: Callable[[], None] | None
    ) -> None:
        self.track = track
        self.kind = track.kind
        self.peer_id = peer_id
        self._ask_keyframe = ask_keyframe
        self._subscribers: list[Subscriber] = []
        self._task: asyncio.Task[None] | None = None
        self._last_ask = -1e9
        self.frames = 0
        self.bytes = 0
        self._recent: list[tuple[float, int]] = []
        self.ended = False

    def start(self) -> None:
        if self._task is None:
            self._task = asyncio.ensure_future(self._pump())

    def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()

    def subscribe(self, subscriber: Subscriber) -> None:
        if subscriber not in self._subscribers:
            self._subscribers.append(subscriber)

    def unsubscribe(self, subscriber: Subscriber) -> None:
        if subscriber in self._subscribers:
            self._subscribers.remove(subscriber)

    def request_keyframe(self, *, now: bool = False) -> None:
        if self.kind != "video" or self._ask_keyframe is None:
            return
        moment = time.monotonic()
        if now or moment - self._last_ask >= PLI_INTERVAL:
            self._last_ask = moment
            self._ask_keyframe()

    def rates(self) -> tuple[float, float]:
        """Frames per second and kilobits per second over the last two seconds."""
        horizon = time.monotonic() - WINDOW
        recent = [(t, n) for t, n in self._recent if t >= horizon]
        self._recent = recent
        if not recent:
            return 0.0, 0.0
        return len(recent) / WINDOW, sum(n for _, n in recent) * 8 / 1000 / WINDOW

    async def _pump(self) -> None:
        while True:
            try:
                packet: Any = await self.track.recv()
            except MediaStreamError:
                break
            frame = EncodedFrame(
                bytes(packet),
                int(packet.pts or 0),
                packet.time_base or fractions.Fraction(1, 90000),
                bool(packet.is_keyframe),
                time.monotonic(),
            )
            self.frames += 1
            self.bytes += len(frame.data)
            self._recent.append((frame.arrived, len(frame.data)))
            if len(self._recent) > 400:
                self._recent = self._recent[-200:]
            for subscriber in list(self._subscribers):
                subscriber.push(frame, self)
        self.ended = True
        for subscriber in list(self._subscribers):
            subscriber.ended(self)


def keyframe_asker(pc: Any, transceiver: Any) -> Callable[[], None]:
    """A callable that sends the publisher an RTCP PLI for the track on ``transceiver``.

    The media SSRC comes from the remote description (the first ``a=ssrc`` of the
    transceiver's section; a second one in an FID group is the RTX stream) or, failing
    that, from what the receiver has seen.
    """
    from aiortc import sdp

    receiver = transceiver.receiver
    known: dict[str, int] = {}
    pending: set[asyncio.Future[Any]] = set()

    def media_ssrc() -> int | None:
        if "ssrc" not in known and pc.remoteDescription is not None:
            for media in sdp.SessionDescription.parse(pc.remoteDescription.sdp).media:
                if media.rtp.muxId == transceiver.mid and media.ssrc:
                    known["ssrc"] = media.ssrc[0].ssrc
        if "ssrc" in known:
            return known["ssrc"]
        sources = receiver.getSynchronizationSources()
        return int(sources[0].source) if sources else None

    def ask() -> None:
        ssrc = media_ssrc()
        if ssrc is not None:
            # aiortc's receiver builds and sends the PLI (a private but long-stable method).
            pending.add(asyncio.ensure_future(receiver._send_rtcp_pli(ssrc)))
            for task in [t for t in pending if t.done()]:
                pending.discard(task)

    return ask


class Outlet(MediaStreamTrack):
    """The track one viewer's sender sends in one slot; ``recv`` returns ``av.Packet``."""

    def __init__(self, kind: str) -> None:
        super().__init__()
        self.kind = kind
        self._queue: asyncio.Queue[tuple[bytes, int, fractions.Fraction, bool]] = asyncio.Queue(
            maxsize=QUEUE_VIDEO if kind == "video" else QUEUE_AUDIO
        )
        self.source: Source | None = None
        self._need_keyframe = kind == "video"
        self._asked = 0.0
        self._timeline_source: Source | None = None
        self._offset = 0
        self._last_pts: int | None = None
        self._last_at = 0.0
        self.sent = 0
        self.dropped = 0

    def attach(self, source: Source | None) -> None:
        """Show ``source`` in this slot (or nothing)."""
        if source is self.source:
            return
        if self.source is not None:
            self.source.unsubscribe(self)
        self.source = source
        if source is not None:
            source.subscribe(self)
            if self.kind == "video":
                self._need_keyframe = True
                self._ask()

    def on_viewer_keyframe_request(self) -> None:
        """The viewer lost something (PLI/FIR): ask the publisher, not a local encoder."""
        self._ask()

    def _ask(self) -> None:
        self._asked = time.monotonic()
        if self.source is not None:
            self.source.request_keyframe()

    def push(self, frame: EncodedFrame, source: Source) -> None:
        if source is not self.source:
            return
        if self._need_keyframe:
            if not frame.keyframe:
                self.dropped += 1
                if time.monotonic() - self._asked > KEYFRAME_RETRY:
                    self._ask()
                return
            self._need_keyframe = False
        if self._queue.full():
            while not self._queue.empty():
                self._queue.get_nowait()
                self.dropped += 1
            if self.kind == "video" and not frame.keyframe:
                self._need_keyframe = True
                self._ask()
                self.dropped += 1
                return
        if source is not self._timeline_source:
            # A new source continues this outlet's own timeline.
            if self._last_pts is None:
                self._offset = -frame.pts
            else:
                elapsed = max(time.monotonic() - self._last_at, 0.001)
                self._offset = self._last_pts + max(1, int(elapsed / frame.time_base)) - frame.pts
            self._timeline_source = source
        pts = frame.pts + self._offset
        self._last_pts = pts
        self._last_at = time.monotonic()
        self._queue.put_nowait((frame.data, pts, frame.time_base, frame.keyframe))

    def ended(self, source: Source) -> None:
        if source is self.source:
            self.source = None  # the slot goes quiet; the sender keeps running

    async def recv(self) -> Any:
        if self.readyState != "live":
            raise MediaStreamError
        data, pts, time_base, keyframe = await self._queue.get()
        packet = av.Packet(data)
        packet.pts = pts
        packet.time_base = time_base
        packet.is_keyframe = keyframe
        self.sent += 1
        return packet
