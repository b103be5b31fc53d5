"""Synthetic participants for tests, benchmarks and demonstrations: a moving 640×480 picture
and a tone, sent like a phone's camera and microphone, and a peer that receives slots.

Nothing here is used by a hearing itself.
"""

from __future__ import annotations

import asyncio
import fractions
import math
import struct
import time
from dataclasses import dataclass, field
from typing import Any

import av
from aiortc import RTCPeerConnection, RTCSessionDescription
from aiortc.mediastreams import MediaStreamError, MediaStreamTrack

from hearings.rtc import configuration

WIDTH, HEIGHT, FPS = 640, 480, 30
VIDEO_CLOCK = fractions.Fraction(1, 90000)
AUDIO_RATE = 48000
AUDIO_SAMPLES = 960  # 20 ms


class Paced(MediaStreamTrack):
    """A live track whose n-th item is due ``n × period`` after its first, like a device's."""

    period = 1 / FPS

    def __init__(self) -> None:
        super().__init__()
        self.sent = 0
        self.start = 0.0

    async def next_turn(self) -> int:
        """Wait until the next item is due; return its number (0, 1, 2, …)."""
        if self.readyState != "live":
            raise MediaStreamError
        if self.sent == 0:
            self.start = time.monotonic()
        else:
            await asyncio.sleep(max(0.0, self.start + self.sent * self.period - time.monotonic()))
        self.sent += 1
        return self.sent - 1


class MovingPicture(Paced):
    """A textured picture that pans every frame (so that each frame costs real bits)."""

    kind = "video"

    def __init__(self, seed: int = 1, width: int = WIDTH, height: int = HEIGHT) -> None:
        super().__init__()
        self.width, self.height = width, height
        span = width * 2
        # A row of pseudo-random 8-pixel bands, shifted a little on each line: slanted
        # stripes that pan. Cheap to slice; an encoder needs real bits for it, about what a
        # camera picture costs (a noise picture would make every keyframe huge).
        state = seed * 2654435761 % 2**32
        row = bytearray()
        while len(row) < span:
            state = (1103515245 * state + 12345) % 2**31
            row.extend(bytes([40 + (state >> 16) % 160]) * 8)
        self._row = bytes(row[:span]) * 2

    async def recv(self) -> Any:
        index = await self.next_turn()
        frame = av.VideoFrame(self.width, self.height, "yuv420p")
        y_plane, u_plane, v_plane = frame.planes
        shift = index * 6
        stride = y_plane.line_size
        pad = bytes(stride - self.width)
        y_plane.update(
            b"".join(
                self._row[(shift + r // 4) % (self.width * 2) :][: self.width] + pad
                for r in range(self.height)
            )
        )
        u_plane.update(bytes([96 + index % 64]) * u_plane.buffer_size)
        v_plane.update(bytes([160]) * v_plane.buffer_size)
        frame.pts = index * (90000 // FPS)
        frame.time_base = VIDEO_CLOCK
        return frame


class Tone(Paced):
    """A 440 Hz tone in 20 ms frames, as a microphone would send."""

    kind = "audio"
    period = AUDIO_SAMPLES / AUDIO_RATE

    def __init__(self, hertz: float = 440.0) -> None:
        super().__init__()
        self.hertz = hertz

    async def recv(self) -> Any:
        offset = await self.next_turn() * AUDIO_SAMPLES
        samples = [
            int(6000 * math.sin(2 * math.pi * self.hertz * (offset + i) / AUDIO_RATE))
            for i in range(AUDIO_SAMPLES)
        ]
        frame = av.AudioFrame(format="s16", layout="mono", samples=AUDIO_SAMPLES)
        frame.planes[0].update(struct.pack(f"<{AUDIO_SAMPLES}h", *samples))
        frame.pts = offset
        frame.sample_rate = AUDIO_RATE
        frame.time_base = fractions.Fraction(1, AUDIO_RATE)
        return frame


@dataclass
class Received:
    """What one receive slot got."""

    kind: str
    frames: int = 0
    keyframes: int = 0
    first_at: float | None = None
    last_at: float | None = None
    arrivals: list[float] = field(default_factory=list)

    def rate(self, since: float, until: float) -> float:
        inside = [t for t in self.arrivals if since <= t < until]
        return len(inside) / max(until - since, 1e-6)


class SyntheticPeer:
    """A participant: sends a moving picture and a tone, receives ``slots`` pairs."""

    def __init__(self, *, slots: int, send: bool = True, seed: int = 1) -> None:
        self.pc = RTCPeerConnection(configuration())
        self.received: list[Received] = []
        self._tasks: list[asyncio.Task[None]] = []
        if send:
            self.pc.addTransceiver(MovingPicture(seed), direction="sendonly")
            self.pc.addTransceiver(Tone(330.0 + 110 * seed), direction="sendonly")
        for _ in range(slots):
            self.pc.addTransceiver("video", direction="recvonly")
            self.pc.addTransceiver("audio", direction="recvonly")

        @self.pc.on("track")
        def on_track(track: MediaStreamTrack) -> None:
            counter = Received(track.kind)
            self.received.append(counter)
            self._tasks.append(asyncio.ensure_future(self._count(track, counter)))

    async def offer(self) -> str:
        await self.pc.setLocalDescription(await self.pc.createOffer())
        return self.pc.localDescription.sdp

    async def accept(self, answer_sdp: str) -> None:
        await self.pc.setRemoteDescription(RTCSessionDescription(sdp=answer_sdp, type="answer"))

    async def _count(self, track: MediaStreamTrack, counter: Received) -> None:
        while True:
            try:
                item: Any = await track.recv()
            except MediaStreamError:
                return
            now = time.monotonic()
            counter.frames += 1
            counter.keyframes += bool(getattr(item, "is_keyframe", False))
            counter.first_at = counter.first_at or now
            counter.last_at = now
            counter.arrivals.append(now)

    async def close(self) -> None:
        for task in self._tasks:
            task.cancel()
        await self.pc.close()
