"""A device's SDP offer is read before the media node answers it: text that is not an offer
the node can answer is a ``BadOffer`` with a reason — from the check itself, from a node in
this process, and from a media process over its socket — and the node keeps no trace of it."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from hearings.interfaces import BadOffer, UnknownRoom
from hearings.node import LocalMediaNode
from hearings.offers import read_offer
from tests.hearings.sdp import LINES, OFFER, offer_with

BUNDLE = "a=group:BUNDLE 0 1"
AUDIO = "m=audio 9 UDP/TLS/RTP/SAVPF 96 0"
BAD_OFFERS = [
    ("v=0 garbage sdp", "not_sdp"),  # the parser's own ValueError
    ("hello world, not sdp", "not_sdp"),
    ("x" * 50, "not_sdp"),
    ("v=0\r\no=- 1 1 IN IP4 127.0.0.1\r\n", "no_media"),
    (offer_with({LINES[1]: None}), "not_sdp"),  # no o= line
    (offer_with({"a=setup:actpass": "a=setup:sideways"}), "not_sdp"),  # the parser's KeyError
    (offer_with({AUDIO: "m=text 9 UDP/TLS/RTP/SAVPF 96 0"}), "unsupported_media"),
    (offer_with({"a=mid:1": None}), "missing_mid"),
    (offer_with({"a=mid:1": "a=mid:0", BUNDLE: "a=group:BUNDLE 0"}), "duplicate_mid"),
    (offer_with({BUNDLE: "a=group:BUNDLE 0 7"}), "bad_bundle"),
    (offer_with({"a=ice-pwd:y3Y49pjm2P1T2vd7Th1yUt": None}), "missing_ice"),
    (offer_with({"a=setup:actpass": None}), "missing_dtls"),
    (offer_with({"a=rtcp-mux": None}), "no_rtcp_mux"),
    (offer_with({"a=sendrecv": None}), "missing_direction"),
    (offer_with({"a=rtpmap:97 VP8/90000": "a=rtpmap:97 VP9/90000"}), "no_common_codec"),
    (
        offer_with({"a=rtpmap:96 opus/48000/2": None, "a=rtpmap:0 PCMU/8000": None}),
        "no_common_codec",
    ),
]


def test_a_device_offer_is_read_section_by_section() -> None:
    assert read_offer(OFFER).sections == (("video", "sendrecv"), ("audio", "sendrecv"))


@pytest.mark.parametrize(("offer", "reason"), BAD_OFFERS)
def test_an_offer_the_node_cannot_answer_is_refused_with_its_reason(
    offer: str, reason: str
) -> None:
    with pytest.raises(BadOffer) as caught:
        read_offer(offer)
    assert caught.value.reason == reason


@settings(max_examples=300, derandomize=True, database=None, deadline=None)
@given(
    edits=st.lists(
        st.tuples(
            st.integers(0, len(LINES) - 1),
            st.integers(0, 80),
            st.text(alphabet="0123456789 :=/-abcmvx\t", max_size=6),
        ),
        min_size=1,
        max_size=4,
    )
)
def test_a_mangled_offer_is_read_or_refused_never_anything_else(
    edits: list[tuple[int, int, str]],
) -> None:
    """aiortc's parser raises ValueError, AssertionError, KeyError, IndexError, AttributeError
    or StopIteration on broken lines; a caller only ever sees ``BadOffer``."""
    lines = list(LINES)
    for index, cut, text in edits:
        lines[index] = lines[index][:cut] + text
    with contextlib.suppress(BadOffer):
        read_offer("\r\n".join(lines) + "\r\n")


@pytest.fixture
def node(tmp_path: Path) -> Iterator[LocalMediaNode]:
    local = LocalMediaNode(tmp_path / "recordings", loopback=True)
    try:
        yield local
    finally:
        local.shutdown()


def test_a_node_refuses_a_bad_offer_and_keeps_what_it_had(node: LocalMediaNode) -> None:
    answer = node.join("room-1", "peer-1", OFFER, role="plaintiff", admitted=True)
    assert "m=video" in answer
    assert "m=audio" in answer
    # Joining again with text that is not an offer keeps the earlier connection.
    with pytest.raises(BadOffer) as caught:
        node.join("room-1", "peer-1", "hello world, not sdp", role="plaintiff", admitted=True)
    assert caught.value.reason == "not_sdp"
    assert [p.peer_id for p in node.state("room-1").peers] == ["peer-1"]
    # A refused self-test is not started: there is no result to ask for.
    with pytest.raises(BadOffer):
        node.start_self_test("test-1", "v=0 garbage sdp", seconds=1.0)
    with pytest.raises(UnknownRoom):
        node.self_test_result("test-1")
    assert "m=video" in node.start_self_test("test-2", OFFER, seconds=1.0)
