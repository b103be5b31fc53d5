"""The media node as its own process: web workers call it over a Unix socket, and stopping
it (SIGTERM, as a deployment does) finalises every recording."""

from __future__ import annotations

import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import av
import pytest

from hearings.client import MediaNodeError, RemoteMediaNode
from hearings.interfaces import BadOffer
from tests.hearings.peers import PeerProcess
from tests.hearings.sdp import OFFER

pytestmark = pytest.mark.slow


@pytest.fixture
def media_server(tmp_path: Path) -> Iterator[tuple[subprocess.Popen[bytes], Path, Path]]:
    socket_path = tmp_path / "media.sock"
    recordings = tmp_path / "recordings"
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "hearings.server",
            "--socket",
            str(socket_path),
            "--recordings",
            str(recordings),
            "--loopback",
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    deadline = time.monotonic() + 30
    while not socket_path.exists() and time.monotonic() < deadline:
        assert process.poll() is None, process.stderr.read() if process.stderr else ""
        time.sleep(0.1)
    try:
        yield process, socket_path, recordings
    finally:
        if process.poll() is None:
            process.kill()
        process.wait(10)
        if process.stderr:
            process.stderr.close()


def test_shutdown_finalises_the_recordings_of_a_running_hearing(
    media_server: tuple[subprocess.Popen[bytes], Path, Path],
) -> None:
    process, socket_path, recordings = media_server
    node = RemoteMediaNode(socket_path)
    peers = [PeerProcess(slots=1, seed=n) for n in (1, 2)]
    try:
        for n, peer in enumerate(peers):
            peer.answer(
                node.join("room-7", f"peer-{n}", peer.offer(), role="plaintiff", admitted=True)
            )
        report = peers[0].wait_for(
            lambda r: max(x["rate"] for x in r["received"] if x["kind"] == "video") >= 20
        )
        assert max(x["rate"] for x in report["received"] if x["kind"] == "video") >= 20
        state = node.state("room-7")
        assert sorted(p.peer_id for p in state.peers) == ["peer-0", "peer-1"]
        assert all(p.connection == "connected" and p.video_fps > 15 for p in state.peers)
        assert [s.peer_id for s in node.slots("room-7", "peer-0")] == ["peer-1"]
        with pytest.raises(MediaNodeError):
            node._call("shutdown")  # not callable over the socket
        time.sleep(1.5)
        process.send_signal(signal.SIGTERM)  # the hearing is still running
        assert process.wait(30) == 0
    finally:
        for peer in peers:
            peer.close()
    files = sorted((recordings / "room-7").glob("*.webm"))
    assert [f.name.rsplit("-", 1)[0] for f in files] == ["peer-0", "peer-1"]
    for path in files:
        with av.open(str(path)) as container:
            assert sorted(s.type for s in container.streams) == ["audio", "video"]
            assert container.duration is not None
            assert container.duration / 1e6 >= 1.0


def test_a_media_process_sends_a_refused_offer_back_as_a_bad_offer(
    media_server: tuple[subprocess.Popen[bytes], Path, Path],
) -> None:
    """Not a ``MediaNodeError`` (a failing node): the court answers it as the caller's 422."""
    _, socket_path, _ = media_server
    node = RemoteMediaNode(socket_path)
    with pytest.raises(BadOffer) as caught:
        node.join("room-1", "peer-1", "v=0 garbage sdp", role="plaintiff", admitted=False)
    assert caught.value.reason == "not_sdp"
    assert "invalid literal" in caught.value.detail
    with pytest.raises(BadOffer) as caught:
        node.start_self_test("test-1", "x" * 50, seconds=1.0)
    assert caught.value.reason == "not_sdp"
    # The process goes on serving, and holds no trace of either.
    assert node.state("room-1").peers == []
    assert "m=audio" in node.start_self_test("test-2", OFFER, seconds=1.0)
