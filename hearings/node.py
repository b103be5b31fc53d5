"""A media node on its own asyncio event loop, in a thread of this process.

Every public method is safe to call from any thread (a Flask request, a test): it hands a
coroutine to the node's loop and waits for its result. ``hearings.server`` serves the same
methods to other processes over a Unix socket, and ``hearings.client.RemoteMediaNode``
calls them, so the court's web workers can share one media process.
"""

from __future__ import annotations

import asyncio
import logging
import threading
from collections.abc import Coroutine
from pathlib import Path
from typing import Any, TypeVar

from hearings import rtc
from hearings.interfaces import Recording, RoomState, SelfTestResult, Slot, UnknownRoom
from hearings.offers import read_offer
from hearings.room import Room, SelfTest

log = logging.getLogger(__name__)
T = TypeVar("T")
CALL_TIMEOUT = 30.0


#: How long the stopping loop waits for its cancelled tasks to end.
SETTLE_TIMEOUT = 5.0


async def _settle() -> None:
    """Cancel what is left on the loop (sources' pumps, connection attempts that never got
    a candidate, self-test measurements) and let it end, so that no task is destroyed
    pending when the loop closes."""
    current = asyncio.current_task()
    others = [task for task in asyncio.all_tasks() if task is not current]
    for task in others:
        task.cancel()
    if others:
        await asyncio.wait(others, timeout=SETTLE_TIMEOUT)


class LocalMediaNode:
    def __init__(
        self,
        record_dir: Path | None,
        *,
        ice_servers: list[dict[str, Any]] | None = None,
        loopback: bool = False,
        forward_encoded: bool = True,
    ) -> None:
        if forward_encoded:
            rtc.forward_encoded_media()
        rtc.route_retransmissions()
        rtc.larger_receive_buffers()
        if loopback:
            rtc.loopback_only()
        self.record_dir = record_dir
        self.ice_servers = ice_servers or []
        self.loop = asyncio.new_event_loop()
        self._rooms: dict[str, Room] = {}
        self._tests: dict[str, SelfTest] = {}
        self._thread = threading.Thread(target=self._run, name="media-node", daemon=True)
        self._thread.start()
        self._closed = False

    def _run(self) -> None:
        asyncio.set_event_loop(self.loop)
        self.loop.run_forever()

    def _call(self, coroutine: Coroutine[Any, Any, T]) -> T:
        return asyncio.run_coroutine_threadsafe(coroutine, self.loop).result(CALL_TIMEOUT)

    def _room(self, room_id: str) -> Room:
        room = self._rooms.get(room_id)
        if room is None:
            room = self._rooms[room_id] = Room(room_id, self.record_dir, self.ice_servers)
        return room

    # -- the MediaNode interface -------------------------------------------------------

    def join(self, room_id: str, peer_id: str, offer_sdp: str, *, role: str, admitted: bool) -> str:
        read_offer(offer_sdp)  # BadOffer before any room is touched

        async def go() -> str:
            return await self._room(room_id).join(peer_id, offer_sdp, role, admitted)

        return self._call(go())

    def admit(self, room_id: str, peer_id: str) -> None:
        async def go() -> None:
            self._room(room_id).admit(peer_id)

        self._call(go())

    def remove(self, room_id: str, peer_id: str) -> list[Recording]:
        async def go() -> list[Recording]:
            return await self._room(room_id).remove(peer_id)

        return self._call(go())

    def mute(self, room_id: str, peer_id: str, muted: bool) -> None:
        async def go() -> None:
            self._room(room_id).mute(peer_id, muted)

        self._call(go())

    def pause(self, room_id: str, paused: bool) -> None:
        async def go() -> None:
            self._room(room_id).pause(paused)

        self._call(go())

    def slots(self, room_id: str, peer_id: str) -> list[Slot]:
        async def go() -> list[Slot]:
            return self._room(room_id).slots(peer_id)

        return self._call(go())

    def state(self, room_id: str) -> RoomState:
        async def go() -> RoomState:
            return self._room(room_id).state()

        return self._call(go())

    def close_room(self, room_id: str) -> list[Recording]:
        async def go() -> list[Recording]:
            room = self._rooms.pop(room_id, None)
            return await room.close() if room is not None else []

        return self._call(go())

    def start_self_test(self, test_id: str, offer_sdp: str, *, seconds: float) -> str:
        read_offer(offer_sdp)

        async def go() -> str:
            test = SelfTest(test_id, seconds, self.ice_servers)
            answer = await test.start(offer_sdp)
            self._tests[test_id] = test  # only a test that runs has a result to ask for
            return answer

        return self._call(go())

    def self_test_result(self, test_id: str) -> SelfTestResult:
        async def go() -> SelfTestResult:
            test = self._tests.get(test_id)
            if test is None:
                raise UnknownRoom(test_id)
            return test.result

        return self._call(go())

    def shutdown(self) -> list[Recording]:
        """Finalise every room's recordings and stop the loop."""
        if self._closed:
            return []
        self._closed = True

        async def go() -> list[Recording]:
            finished: list[Recording] = []
            for room_id in list(self._rooms):
                finished.extend(await self._rooms.pop(room_id).close())
            for test in self._tests.values():
                await test.pc.close()
            await _settle()
            return finished

        try:
            return self._call(go())
        finally:
            self.loop.call_soon_threadsafe(self.loop.stop)
            self._thread.join(timeout=10)
            if not self._thread.is_alive():
                self.loop.close()
