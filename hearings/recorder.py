"""Recording a participant's encoded VP8 video and Opus audio into WebM, as received: no
decoding, no encoding (PyAV muxes the packets).

The file starts at the first video keyframe (the recorder asks for one), or at the first
audio packet when the participant sends no video. Each source's timeline starts at the
wall-clock arrival of its first frame, so audio and video line up to within the jitter
buffers' difference (tens of milliseconds); exact lip sync would need the RTCP sender
reports, which aiortc does not expose. ``close`` writes the index: a file closed on
shutdown is a complete file.
"""

from __future__ import annotations

import fractions
import time
from pathlib import Path
from typing import Any

import av

from hearings.forwarding import EncodedFrame, Source
from hearings.rtc import vp8_size

MILLISECOND = fractions.Fraction(1, 1000)


class _Feed:
    def __init__(self, recorder: WebmRecorder, kind: str) -> None:
        self.recorder = recorder
        self.kind = kind

    def push(self, frame: EncodedFrame, source: Source) -> None:
        self.recorder.write(self.kind, frame)

    def ended(self, source: Source) -> None:
        return None


class WebmRecorder:
    def __init__(self, path: Path, *, video: Source | None, audio: Source | None) -> None:
        self.path = path
        self._sources = {k: s for k, s in (("video", video), ("audio", audio)) if s}
        self._feeds = {kind: _Feed(self, kind) for kind in self._sources}
        self._container: Any = None
        self._streams: dict[str, Any] = {}
        self._anchors: dict[str, tuple[int, float]] = {}
        self._last: dict[str, int] = {}
        self._started = 0.0
        self.closed = False
        self.video_frames = 0
        self.audio_packets = 0
        self.seconds = 0.0
        for kind, source in self._sources.items():
            source.subscribe(self._feeds[kind])
        if video is not None:
            video.request_keyframe(now=True)

    @property
    def opened(self) -> bool:
        return self._container is not None

    def _open(self, size: tuple[int, int] | None) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self._container = av.open(str(self.path), "w", format="webm")
        if "video" in self._sources and size is not None:
            width, height = size
            self._streams["video"] = self._container.add_mux_stream(
                "vp8", width=width, height=height
            )
        if "audio" in self._sources:
            # Declared through the libopus encoder so that the header carries OpusHead;
            # the encoder is never fed: the packets written are the received ones.
            self._streams["audio"] = self._container.add_stream(
                "libopus", rate=48000, layout="stereo"
            )
        self._started = time.monotonic()

    def write(self, kind: str, frame: EncodedFrame) -> None:
        if self.closed:
            return
        if self._container is None:
            if kind == "video":
                size = vp8_size(frame.data)
                if size is None:
                    return
                self._open(size)
            elif "video" not in self._sources:
                self._open(None)
            else:
                return
        stream = self._streams.get(kind)
        if stream is None:
            return
        first_pts, first_at = self._anchors.setdefault(kind, (frame.pts, frame.arrived))
        ms = round(
            (first_at - self._started) * 1000 + (frame.pts - first_pts) * frame.time_base * 1000
        )
        ms = max(ms, self._last.get(kind, -1) + 1)  # strictly increasing per stream
        self._last[kind] = ms
        packet = av.Packet(frame.data)
        packet.stream = stream
        packet.time_base = MILLISECOND
        packet.pts = packet.dts = ms
        packet.is_keyframe = frame.keyframe
        self._container.mux(packet)
        if kind == "video":
            self.video_frames += 1
        else:
            self.audio_packets += 1
        self.seconds = max(self.seconds, ms / 1000)

    def close(self) -> None:
        if self.closed:
            return
        self.closed = True
        for kind, source in self._sources.items():
            source.unsubscribe(self._feeds[kind])
        if self._container is not None:
            self._container.close()
            self._container = None
