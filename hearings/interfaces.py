"""What the court asks of a media node, whichever process or machine it runs in.

The court decides who may do what (bookings, re-verification, admission); a media node only
carries media: it answers SDP offers, forwards each admitted participant's encoded audio and
video to the others and to the recorder, measures self-tests, and hands back finished
recordings. Everything crosses this boundary as plain data (strings, numbers, dataclasses).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Protocol


class BadOffer(ValueError):
    """The node cannot answer this SDP offer: the caller's input, not the node, is at fault.

    ``reason`` is a stable machine code (see ``hearings.offers``); ``detail`` says what was
    found. Raised by ``join`` and ``start_self_test`` before anything is set up."""

    def __init__(self, reason: str, detail: str = "") -> None:
        self.reason = reason
        self.detail = detail
        super().__init__(f"{reason}: {detail}" if detail else reason)


class MediaUnavailable(RuntimeError):
    """The node cannot be reached, or failed: a fault of the node, not the caller, who may
    retry later (the court answers 503)."""


class UnknownRoom(KeyError):
    """The node holds no such room, peer or self-test (never had it, or lost it on a
    restart): raised by every node, in-process or across its socket."""


@dataclass(frozen=True)
class Slot:
    """One pair of receive slots in a viewer's connection and whose media it shows now."""

    index: int
    peer_id: str | None


@dataclass(frozen=True)
class PeerStats:
    peer_id: str
    role: str
    connection: str  # new / connecting / connected / failed / closed
    admitted: bool
    muted: bool
    video_fps: float
    video_kbps: float
    audio_kbps: float
    #: Frames this participant's receive slots have dropped (a slow link or device).
    dropped_frames: int = 0
    forwarded_frames: int = 0


@dataclass(frozen=True)
class Recording:
    """One finished recording file: one participant's audio and video for a stretch."""

    peer_id: str
    path: Path
    video_frames: int
    audio_packets: int
    seconds: float


@dataclass(frozen=True)
class SelfTestResult:
    test_id: str
    finished: bool
    passed: bool | None
    video_fps: float
    video_kbps: float
    audio_kbps: float
    detail: str = ""


@dataclass(frozen=True)
class RoomState:
    room_id: str
    paused: bool
    peers: list[PeerStats] = field(default_factory=list)


class MediaNode(Protocol):
    """A WebRTC relay and recorder for hearings (see ``hearings.node``)."""

    def join(self, room_id: str, peer_id: str, offer_sdp: str, *, role: str, admitted: bool) -> str:
        """Answer a participant's offer; returns the answer SDP. A participant offers its
        own audio and video (send) and pairs of receive-only video and audio slots. An offer
        the node cannot answer raises ``BadOffer`` and leaves the room as it was."""
        ...

    def admit(self, room_id: str, peer_id: str) -> None: ...

    def remove(self, room_id: str, peer_id: str) -> list[Recording]: ...

    def mute(self, room_id: str, peer_id: str, muted: bool) -> None: ...

    def pause(self, room_id: str, paused: bool) -> None: ...

    def slots(self, room_id: str, peer_id: str) -> list[Slot]: ...

    def state(self, room_id: str) -> RoomState: ...

    def close_room(self, room_id: str) -> list[Recording]:
        """Hang up everyone and finalise every recording of the room."""
        ...

    def start_self_test(self, test_id: str, offer_sdp: str, *, seconds: float) -> str:
        """Answer a device's offer and measure what it sends; ``BadOffer`` as for ``join``."""
        ...

    def self_test_result(self, test_id: str) -> SelfTestResult: ...

    def shutdown(self) -> list[Recording]:
        """Finalise every recording (the process is stopping)."""
        ...
