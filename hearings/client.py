"""``MediaNode`` calls to a media node in another process (``hearings.server``)."""

from __future__ import annotations

import json
import socket
from pathlib import Path
from typing import Any

from hearings.interfaces import (
    BadOffer,
    MediaUnavailable,
    PeerStats,
    Recording,
    RoomState,
    SelfTestResult,
    Slot,
    UnknownRoom,
)

TIMEOUT = 30.0


class MediaNodeError(MediaUnavailable):
    """The media node failed (or could not be reached): a fault of the node, not the caller.
    An offer it refused comes back as ``BadOffer`` instead."""

    def __init__(self, kind: str, message: str) -> None:
        self.kind = kind
        super().__init__(f"{kind}: {message}")


def _recordings(items: list[dict[str, Any]]) -> list[Recording]:
    return [Recording(**{**item, "path": Path(item["path"])}) for item in items]


class RemoteMediaNode:
    def __init__(self, socket_path: Path) -> None:
        self.socket_path = socket_path

    def _call(self, method: str, **args: Any) -> Any:
        try:
            with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as sock:
                sock.settimeout(TIMEOUT)
                sock.connect(str(self.socket_path))
                sock.sendall(json.dumps({"method": method, "args": args}).encode() + b"\n")
                with sock.makefile("rb") as stream:
                    line = stream.readline()
        except OSError as exc:  # no socket, nobody listening, a timeout, a reset
            raise MediaNodeError("Unreachable", f"{self.socket_path}: {exc}") from exc
        if not line:
            raise MediaNodeError("ConnectionClosed", "the media node hung up")
        try:
            reply = json.loads(line)
        except ValueError as exc:
            raise MediaNodeError("BadReply", "the media node's reply is not JSON") from exc
        if "error" in reply:
            if reply.get("kind") == "BadOffer":
                raise BadOffer(str(reply.get("reason", "refused")), str(reply.get("detail", "")))
            if reply.get("kind") == "UnknownRoom":
                raise UnknownRoom(reply["error"])
            raise MediaNodeError(reply.get("kind", "Error"), reply["error"])
        return reply["result"]

    def join(self, room_id: str, peer_id: str, offer_sdp: str, *, role: str, admitted: bool) -> str:
        return str(
            self._call(
                "join",
                room_id=room_id,
                peer_id=peer_id,
                offer_sdp=offer_sdp,
                role=role,
                admitted=admitted,
            )
        )

    def admit(self, room_id: str, peer_id: str) -> None:
        self._call("admit", room_id=room_id, peer_id=peer_id)

    def remove(self, room_id: str, peer_id: str) -> list[Recording]:
        return _recordings(self._call("remove", room_id=room_id, peer_id=peer_id))

    def mute(self, room_id: str, peer_id: str, muted: bool) -> None:
        self._call("mute", room_id=room_id, peer_id=peer_id, muted=muted)

    def pause(self, room_id: str, paused: bool) -> None:
        self._call("pause", room_id=room_id, paused=paused)

    def slots(self, room_id: str, peer_id: str) -> list[Slot]:
        return [Slot(**s) for s in self._call("slots", room_id=room_id, peer_id=peer_id)]

    def state(self, room_id: str) -> RoomState:
        raw = self._call("state", room_id=room_id)
        return RoomState(raw["room_id"], raw["paused"], [PeerStats(**p) for p in raw["peers"]])

    def close_room(self, room_id: str) -> list[Recording]:
        return _recordings(self._call("close_room", room_id=room_id))

    def start_self_test(self, test_id: str, offer_sdp: str, *, seconds: float) -> str:
        return str(
            self._call("start_self_test", test_id=test_id, offer_sdp=offer_sdp, seconds=seconds)
        )

    def self_test_result(self, test_id: str) -> SelfTestResult:
        return SelfTestResult(**self._call("self_test_result", test_id=test_id))

    def shutdown(self) -> list[Recording]:
        """The media process finalises its recordings when it is stopped (SIGTERM)."""
        return []
