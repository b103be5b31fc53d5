"""The P4 baseline: the same rooms relayed with aiortc's ``MediaRelay`` (each incoming video
decoded once, then encoded again for every viewer), served like the real media node.

    python -m bench.relay_node --socket PATH
"""

from __future__ import annotations

import argparse
import asyncio
from pathlib import Path
from typing import Any

from aiortc import RTCPeerConnection, RTCSessionDescription
from aiortc.contrib.media import MediaRelay
from aiortc.mediastreams import MediaStreamError, MediaStreamTrack

from hearings import rtc
from hearings.interfaces import Recording, RoomState
from hearings.node import LocalMediaNode
from hearings.server import serve


class Switchable(MediaStreamTrack):
    """A viewer's slot: frames from whichever relayed track is attached."""

    def __init__(self, kind: str) -> None:
        super().__init__()
        self.kind = kind
        self.inner: MediaStreamTrack | None = None
        self._attached = asyncio.Event()

    def attach(self, track: MediaStreamTrack) -> None:
        self.inner = track
        self._attached.set()

    async def recv(self) -> Any:
        await self._attached.wait()
        assert self.inner is not None
        try:
            return await self.inner.recv()
        except MediaStreamError:
            self.stop()
            raise


class RelayRoom:
    def __init__(self) -> None:
        self.relay = MediaRelay()
        self.peers: dict[str, dict[str, Any]] = {}

    async def join(self, peer_id: str, offer_sdp: str) -> str:
        pc = RTCPeerConnection(rtc.configuration())
        await pc.setRemoteDescription(RTCSessionDescription(sdp=offer_sdp, type="offer"))
        peer: dict[str, Any] = {"pc": pc, "video": None, "audio": None, "slots": []}
        for transceiver in pc.getTransceivers():
            if transceiver._offerDirection == "sendonly":
                track = Switchable(transceiver.kind)
                transceiver.sender.replaceTrack(track)
                transceiver.direction = "sendonly"
                peer["slots"].append(track)
            elif transceiver.receiver.track is not None:
                peer[transceiver.kind] = transceiver.receiver.track
        await pc.setLocalDescription(await pc.createAnswer())
        self.peers[peer_id] = peer
        self.rewire()
        return str(pc.localDescription.sdp)

    def rewire(self) -> None:
        order = list(self.peers)
        for viewer_id, viewer in self.peers.items():
            others = [self.peers[o] for o in order if o != viewer_id]
            videos = [s for s in viewer["slots"] if s.kind == "video"]
            audios = [s for s in viewer["slots"] if s.kind == "audio"]
            for index, other in enumerate(others):
                for slots, kind in ((videos, "video"), (audios, "audio")):
                    if index < len(slots) and slots[index].inner is None and other[kind]:
                        slots[index].attach(self.relay.subscribe(other[kind]))

    async def close(self) -> None:
        for peer in self.peers.values():
            await peer["pc"].close()
        self.peers.clear()


class RelayNode(LocalMediaNode):
    """Only what the benchmark calls: join, state, close_room, shutdown."""

    def __init__(self) -> None:
        super().__init__(None, loopback=True, forward_encoded=False)
        self._relays: dict[str, RelayRoom] = {}

    def join(self, room_id: str, peer_id: str, offer_sdp: str, *, role: str, admitted: bool) -> str:
        async def go() -> str:
            room = self._relays.setdefault(room_id, RelayRoom())
            return await room.join(peer_id, offer_sdp)

        return self._call(go())

    def state(self, room_id: str) -> RoomState:
        return RoomState(room_id, False, [])

    def close_room(self, room_id: str) -> list[Recording]:
        async def go() -> list[Recording]:
            room = self._relays.pop(room_id, None)
            if room is not None:
                await room.close()
            return []

        return self._call(go())


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--socket", type=Path, required=True)
    options = parser.parse_args()
    asyncio.run(serve(RelayNode(), options.socket))


if __name__ == "__main__":
    main()
