"""The media node as its own process, serving ``MediaNode`` calls on a Unix socket.

    python -m hearings.server --socket instance/media.sock --recordings instance/recordings

One JSON object per line each way: ``{"method": ..., "args": {...}}`` in,
``{"result": ...}`` or ``{"error": ..., "kind": ...}`` out (a refused offer adds ``reason``
and ``detail``, and the client raises ``BadOffer`` again). On SIGTERM or SIGINT every
recording is finalised before the process exits.
"""

from __future__ import annotations

import argparse
import asyncio
import dataclasses
import functools
import json
import logging
import os
import signal
from pathlib import Path
from typing import Any

from hearings.interfaces import BadOffer
from hearings.node import LocalMediaNode

log = logging.getLogger("hearings.server")

METHODS = frozenset(
    {
        "join",
        "admit",
        "remove",
        "mute",
        "pause",
        "slots",
        "state",
        "close_room",
        "start_self_test",
        "self_test_result",
    }
)
MAX_LINE = 1 << 20  # an SDP is a few kilobytes


def to_json(value: Any) -> Any:
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {f.name: to_json(getattr(value, f.name)) for f in dataclasses.fields(value)}
    if isinstance(value, list | tuple):
        return [to_json(v) for v in value]
    if isinstance(value, Path):
        return str(value)
    return value


async def serve(node: Any, socket_path: Path) -> None:
    """Serve a node's ``MediaNode`` methods (a ``LocalMediaNode``, or a stand-in) until
    SIGTERM or SIGINT; then finalise its recordings."""
    loop = asyncio.get_running_loop()

    async def handle(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            while line := await reader.readline():
                try:
                    request = json.loads(line)
                    method = request["method"]
                    if method not in METHODS:
                        raise ValueError(f"unknown method {method!r}")
                    call = getattr(node, method)
                    args = request.get("args", {})
                    result = await loop.run_in_executor(None, functools.partial(call, **args))
                    reply: dict[str, Any] = {"result": to_json(result)}
                except Exception as exc:  # noqa: BLE001 - every failure goes back to the caller
                    log.warning("media call failed: %s", exc)
                    reply = {"error": str(exc), "kind": type(exc).__name__}
                    if isinstance(exc, BadOffer):  # the caller's offer: its reason goes back
                        reply.update(kind="BadOffer", reason=exc.reason, detail=exc.detail)
                writer.write(json.dumps(reply).encode() + b"\n")
                await writer.drain()
        finally:
            writer.close()

    if socket_path.exists():
        socket_path.unlink()
    server = await asyncio.start_unix_server(handle, path=str(socket_path), limit=MAX_LINE)
    os.chmod(socket_path, 0o600)
    stop = asyncio.Event()
    for signum in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(signum, stop.set)
    log.info("media node listening on %s", socket_path)
    async with server:
        await stop.wait()
    finished = await loop.run_in_executor(None, node.shutdown)
    log.info("media node stopped; %d recordings finalised", len(finished))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--socket", type=Path, required=True)
    parser.add_argument("--recordings", type=Path, required=True)
    parser.add_argument("--ice-servers", default="[]", help="JSON list of RTCIceServer")
    parser.add_argument(
        "--loopback", action="store_true", help="offer 127.0.0.1 only (development)"
    )
    options = parser.parse_args()
    logging.basicConfig(
        level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s"
    )
    node = LocalMediaNode(
        options.recordings,
        ice_servers=json.loads(options.ice_servers),
        loopback=options.loopback,
    )
    asyncio.run(serve(node, options.socket))


if __name__ == "__main__":
    main()
