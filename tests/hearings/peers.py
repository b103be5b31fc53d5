"""Synthetic participants in their own processes, driven over a pipe by the test.

The test carries the signalling (it holds the litigant's token and device key and calls the
court's API); the process carries the media, over real UDP on 127.0.0.1.
"""

from __future__ import annotations

import asyncio
import multiprocessing
import time
from multiprocessing.connection import Connection
from typing import Any


def _peer_main(conn: Connection, slots: int, seed: int, send: bool) -> None:
    from hearings import rtc
    from hearings.synthetic import SyntheticPeer

    rtc.loopback_only()
    rtc.forward_encoded_media()  # count what arrives without decoding it
    rtc.route_retransmissions()
    rtc.larger_receive_buffers()

    async def main() -> None:
        loop = asyncio.get_running_loop()
        peer = SyntheticPeer(slots=slots, seed=seed, send=send)
        conn.send(await peer.offer())
        await peer.accept(await loop.run_in_executor(None, conn.recv))
        while True:
            command = await loop.run_in_executor(None, conn.recv)
            if command == "report":
                now = time.monotonic()
                conn.send(
                    {
                        "connection": peer.pc.connectionState,
                        "received": [
                            {
                                "kind": r.kind,
                                "frames": r.frames,
                                "keyframes": r.keyframes,
                                "rate": r.rate(now - 2.0, now),
                            }
                            for r in peer.received
                        ],
                    }
                )
            elif command == "drop":
                # A dropped connection: the process vanishes without saying goodbye.
                conn.send("dropping")
                import os

                os._exit(0)
            else:
                await peer.close()
                conn.send("closed")
                return

    asyncio.run(main())


class PeerProcess:
    """One participant's device in a separate process."""

    def __init__(self, *, slots: int = 2, seed: int = 1, send: bool = True) -> None:
        context = multiprocessing.get_context("spawn")
        self.conn, child = context.Pipe()
        self.process = context.Process(
            target=_peer_main, args=(child, slots, seed, send), daemon=True
        )
        self.process.start()

    def offer(self, timeout: float = 30) -> str:
        assert self.conn.poll(timeout), "the peer made no offer"
        offer: str = self.conn.recv()
        return offer

    def answer(self, sdp: str) -> None:
        self.conn.send(sdp)

    def report(self) -> dict[str, Any]:
        self.conn.send("report")
        assert self.conn.poll(15), "the peer did not report"
        report: dict[str, Any] = self.conn.recv()
        return report

    def wait_for(self, check: Any, timeout: float = 20.0) -> dict[str, Any]:
        """Report until ``check(report)`` holds (bounded in time)."""
        deadline = time.monotonic() + timeout
        report = self.report()
        while not check(report) and time.monotonic() < deadline:
            time.sleep(0.5)
            report = self.report()
        return report

    def drop(self) -> None:
        self.conn.send("drop")
        self.process.join(10)

    def close(self) -> None:
        if self.process.is_alive():
            try:
                self.conn.send("close")
                self.conn.poll(10)
            except (BrokenPipeError, EOFError, OSError):
                pass
            self.process.join(10)
        if self.process.is_alive():
            self.process.kill()
        self.conn.close()
