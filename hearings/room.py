"""A hearing's media room: peers, their sources, their receive slots, and the recorders.

Runs on the media node's event loop only. A participant offers its own audio and video
(sent) and pairs of receive-only video and audio *slots*; the room answers and later fills
the slots with the other admitted participants' media by switching what each slot's
outlet forwards — no renegotiation when people come and go. A participant in the waiting
room sends (their media is read and dropped) but receives nothing and is not recorded.
"""

from __future__ import annotations

import asyncio
import itertools
import logging
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from aiortc import RTCPeerConnection, RTCRtpSender, RTCSessionDescription
from aiortc.exceptions import InvalidAccessError, OperationError

from hearings.forwarding import Outlet, Source, keyframe_asker
from hearings.interfaces import BadOffer, PeerStats, Recording, RoomState, SelfTestResult, Slot
from hearings.recorder import WebmRecorder
from hearings.rtc import configuration

log = logging.getLogger(__name__)

#: VP8 and its retransmission format, the only video the relay carries.
VP8 = [
    codec
    for codec in RTCRtpSender.getCapabilities("video").codecs
    if codec.mimeType.lower() in ("video/vp8", "video/rtx")
]

#: A self-test passes with at least this much video (and some audio, if audio was sent).
SELF_TEST_MIN_FPS = 10.0
SELF_TEST_MIN_KBPS = 50.0


async def _answer(
    pc: RTCPeerConnection, offer_sdp: str, on_own_track: Any
) -> tuple[str, list[Outlet], list[Outlet]]:
    """Apply the offer; give every receive slot an outlet; return the answer and the
    video and audio outlets in slot order. An offer aiortc refuses (``hearings.offers``
    checked what it could beforehand) is the caller's ``BadOffer``; the caller closes ``pc``."""
    try:
        await pc.setRemoteDescription(RTCSessionDescription(sdp=offer_sdp, type="offer"))
    except (ValueError, InvalidAccessError, OperationError) as exc:
        raise BadOffer("refused", f"{type(exc).__name__}: {exc}"[:200]) from exc
    videos: list[Outlet] = []
    audios: list[Outlet] = []
    for transceiver in pc.getTransceivers():
        if transceiver.kind == "video":
            # Forwarding passes bytes through: every connection must speak the same codec,
            # and the recorder writes VP8.
            transceiver.setCodecPreferences(VP8)
        if transceiver._offerDirection == "sendonly":  # the viewer receives here
            outlet = Outlet(transceiver.kind)
            transceiver.sender.replaceTrack(outlet)
            transceiver.direction = "sendonly"
            # The viewer's PLI/FIR goes to the publisher, not to an encoder we do not run.
            sender: Any = transceiver.sender
            sender._send_keyframe = outlet.on_viewer_keyframe_request
            (videos if transceiver.kind == "video" else audios).append(outlet)
        elif transceiver.receiver.track is not None:
            on_own_track(transceiver)
    answer = await pc.createAnswer()
    await pc.setLocalDescription(answer)
    return pc.localDescription.sdp, videos, audios


async def _close_unanswered(pc: RTCPeerConnection, *sources: Source | None) -> None:
    """Undo what a failed ``_answer`` started: the sources it read from and the connection."""
    for source in sources:
        if source is not None:
            source.stop()
    await pc.close()


@dataclass
class Peer:
    peer_id: str
    role: str
    pc: RTCPeerConnection
    admitted: bool
    muted: bool = False
    video: Source | None = None
    audio: Source | None = None
    videos: list[Outlet] = field(default_factory=list)
    audios: list[Outlet] = field(default_factory=list)
    recorder: WebmRecorder | None = None
    joined: float = field(default_factory=time.monotonic)

    def outlets(self) -> list[Outlet]:
        return [*self.videos, *self.audios]


class Room:
    def __init__(self, room_id: str, record_dir: Path | None, ice_servers: list[Any]) -> None:
        self.room_id = room_id
        self.record_dir = record_dir
        self.ice_servers = ice_servers
        self.peers: dict[str, Peer] = {}
        self.paused = False
        self.finished: list[Recording] = []
        self._numbers = itertools.count(1)

    # -- joining -----------------------------------------------------------------------

    async def join(self, peer_id: str, offer_sdp: str, role: str, admitted: bool) -> str:
        """Answer a participant; a participant who joins again (after a dropped connection)
        replaces their earlier connection once the new one is answered (an offer that cannot
        be answered leaves the earlier one as it was)."""
        pc = RTCPeerConnection(configuration(self.ice_servers))
        peer = Peer(peer_id, role, pc, admitted)

        def own_track(transceiver: Any) -> None:
            track = transceiver.receiver.track
            source = Source(track, peer_id, keyframe_asker(pc, transceiver))
            source.start()
            if track.kind == "video" and peer.video is None:
                peer.video = source
            elif track.kind == "audio" and peer.audio is None:
                peer.audio = source

        @pc.on("connectionstatechange")
        async def changed() -> None:
            if pc.connectionState in ("failed", "closed") and self.peers.get(peer_id) is peer:
                self._stop_recording(peer)
                self.rewire()

        try:
            answer, peer.videos, peer.audios = await _answer(pc, offer_sdp, own_track)
        except BaseException:
            await _close_unanswered(pc, peer.video, peer.audio)
            raise
        earlier = self.peers.pop(peer_id, None)
        if earlier is not None:
            await self._drop(earlier)
        self.peers[peer_id] = peer
        self.rewire()
        return answer

    # -- who sees whom -----------------------------------------------------------------

    def rewire(self) -> None:
        """Fill every admitted viewer's slots with the other admitted participants' media,
        in the order they joined; start and stop recordings to match."""
        speaking = [
            p for p in self.peers.values() if p.admitted and p.pc.connectionState != "closed"
        ]
        for viewer in self.peers.values():
            others = [p for p in speaking if p is not viewer]
            showing = viewer.admitted and not self.paused
            for index, outlet in enumerate(viewer.videos):
                source = others[index].video if showing and index < len(others) else None
                outlet.attach(source)
            for index, outlet in enumerate(viewer.audios):
                other = others[index] if showing and index < len(others) else None
                outlet.attach(other.audio if other is not None and not other.muted else None)
        for peer in self.peers.values():
            should_record = (
                self.record_dir is not None
                and peer.admitted
                and not self.paused
                and (peer.video is not None or peer.audio is not None)
                and peer.pc.connectionState not in ("failed", "closed")
            )
            if should_record and peer.recorder is None:
                assert self.record_dir is not None
                path = self.record_dir / self.room_id / f"{peer.peer_id}-{next(self._numbers)}.webm"
                peer.recorder = WebmRecorder(path, video=peer.video, audio=peer.audio)
            elif not should_record:
                self._stop_recording(peer)

    def slots(self, peer_id: str) -> list[Slot]:
        viewer = self.peers.get(peer_id)
        if viewer is None:
            return []
        found = []
        for index, outlet in enumerate(viewer.videos):
            source = outlet.source
            found.append(Slot(index, source.peer_id if source is not None else None))
        return found

    def _stop_recording(self, peer: Peer) -> None:
        recorder = peer.recorder
        peer.recorder = None
        if recorder is None:
            return
        recorder.close()
        if recorder.opened or recorder.path.exists():
            self.finished.append(
                Recording(
                    peer.peer_id,
                    recorder.path,
                    recorder.video_frames,
                    recorder.audio_packets,
                    recorder.seconds,
                )
            )

    async def _drop(self, peer: Peer) -> None:
        self._stop_recording(peer)
        for outlet in peer.outlets():
            outlet.attach(None)
            outlet.stop()
        for source in (peer.video, peer.audio):
            if source is not None:
                source.stop()
        await peer.pc.close()

    # -- the judge's controls ----------------------------------------------------------

    def admit(self, peer_id: str) -> None:
        peer = self.peers.get(peer_id)
        if peer is not None:
            peer.admitted = True
            self.rewire()

    def mute(self, peer_id: str, muted: bool) -> None:
        peer = self.peers.get(peer_id)
        if peer is not None:
            peer.muted = muted
            self.rewire()

    def pause(self, paused: bool) -> None:
        self.paused = paused
        self.rewire()

    async def remove(self, peer_id: str) -> list[Recording]:
        before = len(self.finished)
        peer = self.peers.pop(peer_id, None)
        if peer is not None:
            await self._drop(peer)
            self.rewire()
        return self.finished[before:]

    async def close(self) -> list[Recording]:
        for peer in list(self.peers.values()):
            await self._drop(peer)
        self.peers.clear()
        return list(self.finished)

    def state(self) -> RoomState:
        peers = []
        for peer in self.peers.values():
            video_fps, video_kbps = peer.video.rates() if peer.video else (0.0, 0.0)
            _, audio_kbps = peer.audio.rates() if peer.audio else (0.0, 0.0)
            peers.append(
                PeerStats(
                    peer.peer_id,
                    peer.role,
                    peer.pc.connectionState,
                    peer.admitted,
                    peer.muted,
                    round(video_fps, 1),
                    round(video_kbps, 1),
                    round(audio_kbps, 1),
                    sum(o.dropped for o in peer.outlets()),
                    sum(o.sent for o in peer.videos),
                )
            )
        return RoomState(self.room_id, self.paused, peers)


class SelfTest:
    """A device test: the participant sends media for a few seconds; we measure it."""

    def __init__(self, test_id: str, seconds: float, ice_servers: list[Any]) -> None:
        self.test_id = test_id
        self.seconds = seconds
        self.pc = RTCPeerConnection(configuration(ice_servers))
        self.video: Source | None = None
        self.audio: Source | None = None
        self.result: SelfTestResult = SelfTestResult(test_id, False, None, 0.0, 0.0, 0.0)
        self._task: asyncio.Task[None] | None = None

    async def start(self, offer_sdp: str) -> str:
        def own_track(transceiver: Any) -> None:
            source = Source(transceiver.receiver.track, self.test_id, None)
            source.start()
            if source.kind == "video":
                self.video = source
            else:
                self.audio = source

        try:
            answer, _, _ = await _answer(self.pc, offer_sdp, own_track)
        except BaseException:
            await _close_unanswered(self.pc, self.video, self.audio)
            raise
        self._task = asyncio.ensure_future(self._measure())
        return answer

    async def _measure(self) -> None:
        # Measure after the connection is up, for ``seconds``.
        deadline = time.monotonic() + 15
        while self.pc.connectionState != "connected" and time.monotonic() < deadline:
            await asyncio.sleep(0.1)
        start = {
            k: (s.frames, s.bytes) for k, s in (("video", self.video), ("audio", self.audio)) if s
        }
        await asyncio.sleep(self.seconds)
        measured: dict[str, tuple[float, float]] = {}
        for kind, source in (("video", self.video), ("audio", self.audio)):
            if source is None:
                continue
            frames0, bytes0 = start.get(kind, (0, 0))
            measured[kind] = (
                (source.frames - frames0) / self.seconds,
                (source.bytes - bytes0) * 8 / 1000 / self.seconds,
            )
        fps, video_kbps = measured.get("video", (0.0, 0.0))
        _, audio_kbps = measured.get("audio", (0.0, 0.0))
        problems = []
        if self.pc.connectionState != "connected":
            problems.append(f"connection {self.pc.connectionState}")
        if fps < SELF_TEST_MIN_FPS:
            problems.append(f"video {fps:.1f} fps < {SELF_TEST_MIN_FPS:.0f}")
        if video_kbps < SELF_TEST_MIN_KBPS:
            problems.append(f"video {video_kbps:.0f} kbps < {SELF_TEST_MIN_KBPS:.0f}")
        if self.audio is not None and audio_kbps <= 0:
            problems.append("no audio")
        self.result = SelfTestResult(
            self.test_id,
            True,
            not problems,
            round(fps, 1),
            round(video_kbps, 1),
            round(audio_kbps, 1),
            "; ".join(problems) or "ok",
        )
        for source in (self.video, self.audio):
            if source is not None:
                source.stop()
        await self.pc.close()
