"""Participants for the media benchmark (P4), each in its own process.

A publisher sends a 640×480 picture and a tone, each encoded once up front (VP8, Opus) and
looped in real time, so that eight publishers on a 2-core machine spend their CPU on
sending, not on encoding, as phones with hardware encoders would (a PLI restarts the video
loop at its keyframe). Receiving counts encoded frames per slot
without decoding them. What is measured is the server between them.
"""

from __future__ import annotations

import asyncio
import fractions
import time
from multiprocessing.connection import Connection
from typing import Any

import av
from aiortc.mediastreams import MediaStreamError, MediaStreamTrack

from hearings.synthetic import AUDIO_RATE, AUDIO_SAMPLES, Paced

FPS = 30
LOOP_FRAMES = 60


def encode_loop(seed: int) -> list[bytes]:
    """VP8-encode two seconds of the synthetic picture; frame 0 is the only keyframe."""
    from hearings.synthetic import MovingPicture

    picture = MovingPicture(seed)
    codec = av.CodecContext.create("libvpx", "w")
    codec.width, codec.height = 640, 480
    codec.pix_fmt = "yuv420p"
    codec.bit_rate = 600_000
    codec.framerate = fractions.Fraction(FPS, 1)
    codec.time_base = fractions.Fraction(1, FPS)
    codec.options = {"deadline": "realtime", "cpu-used": "8", "lag-in-frames": "0"}
    loop = asyncio.new_event_loop()
    frames: list[bytes] = []
    try:
        for index in range(LOOP_FRAMES):
            picture.start = time.monotonic() - index / FPS  # no waiting while encoding
            frame = loop.run_until_complete(picture.recv())
            frame.pts = index
            frame.time_base = codec.time_base
            frame.pict_type = (
                av.video.frame.PictureType.I if index == 0 else av.video.frame.PictureType.NONE
            )
            for packet in codec.encode(frame):
                frames.append(bytes(packet))
        for packet in codec.encode(None):
            frames.append(bytes(packet))
    finally:
        loop.close()
    return frames


def encode_tone_loop(hertz: float) -> list[bytes]:
    """Opus-encode one second of a tone (a whole number of cycles, so it loops cleanly)."""
    import math
    import struct

    codec = av.CodecContext.create("libopus", "w")
    codec.sample_rate = AUDIO_RATE
    codec.layout = "stereo"
    codec.format = "s16"
    codec.bit_rate = 32_000
    codec.time_base = fractions.Fraction(1, AUDIO_RATE)
    packets: list[bytes] = []
    for index in range(AUDIO_RATE // AUDIO_SAMPLES):
        start = index * AUDIO_SAMPLES
        samples = [
            int(6000 * math.sin(2 * math.pi * round(hertz) * (start + i) / AUDIO_RATE))
            for i in range(AUDIO_SAMPLES)
            for _ in range(2)  # both channels
        ]
        frame = av.AudioFrame(format="s16", layout="stereo", samples=AUDIO_SAMPLES)
        frame.planes[0].update(struct.pack(f"<{len(samples)}h", *samples))
        frame.sample_rate = AUDIO_RATE
        frame.pts = start
        frame.time_base = codec.time_base
        packets.extend(bytes(packet) for packet in codec.encode(frame))
    return packets


class LoopedAudio(Paced):
    """The pre-encoded tone in 20 ms packets, in real time, as a phone's encoder sends them."""

    kind = "audio"
    period = AUDIO_SAMPLES / AUDIO_RATE

    def __init__(self, packets: list[bytes]) -> None:
        super().__init__()
        self.packets = packets

    async def recv(self) -> Any:
        index = await self.next_turn()
        packet = av.Packet(self.packets[index % len(self.packets)])
        packet.pts = index * AUDIO_SAMPLES
        packet.time_base = fractions.Fraction(1, AUDIO_RATE)
        return packet


class LoopedVideo(Paced):
    kind = "video"
    period = 1 / FPS

    def __init__(self, frames: list[bytes]) -> None:
        super().__init__()
        self.frames = frames
        self.position = 0

    def restart(self) -> None:
        self.position = 0

    async def recv(self) -> Any:
        index = await self.next_turn()
        packet = av.Packet(self.frames[self.position])
        packet.pts = index * (90000 // FPS)
        packet.time_base = fractions.Fraction(1, 90000)
        packet.is_keyframe = self.position == 0
        self.position = (self.position + 1) % len(self.frames)
        return packet


def peer_main(conn: Connection, slots: int, seed: int) -> None:
    # The participants' devices share this machine with the server; give the server the
    # first call on the CPU, as it would have its own cores in production.
    import os

    from aiortc import RTCPeerConnection, RTCSessionDescription

    from hearings import rtc
    from hearings.synthetic import Received

    os.nice(10)
    rtc.loopback_only()
    rtc.forward_encoded_media()
    rtc.route_retransmissions()
    rtc.larger_receive_buffers()
    frames = encode_loop(seed)
    tone = encode_tone_loop(300.0 + 50 * seed)

    async def main() -> None:
        loop = asyncio.get_running_loop()
        pc = RTCPeerConnection(rtc.configuration())
        video = LoopedVideo(frames)
        sender: Any = pc.addTransceiver(video, direction="sendonly").sender
        sender._send_keyframe = video.restart  # a PLI restarts the loop at its keyframe
        pc.addTransceiver(LoopedAudio(tone), direction="sendonly")
        for _ in range(slots):
            pc.addTransceiver("video", direction="recvonly")
            pc.addTransceiver("audio", direction="recvonly")
        received: list[Received] = []
        tasks: list[asyncio.Task[None]] = []

        async def count(track: MediaStreamTrack, counter: Received) -> None:
            while True:
                try:
                    await track.recv()
                except MediaStreamError:
                    return
                counter.frames += 1
                counter.arrivals.append(time.monotonic())

        @pc.on("track")
        def on_track(track: MediaStreamTrack) -> None:
            counter = Received(track.kind)
            received.append(counter)
            tasks.append(asyncio.ensure_future(count(track, counter)))

        await pc.setLocalDescription(await pc.createOffer())
        conn.send(pc.localDescription.sdp)
        answer = await loop.run_in_executor(None, conn.recv)
        await pc.setRemoteDescription(RTCSessionDescription(sdp=answer, type="answer"))
        while True:
            command = await loop.run_in_executor(None, conn.recv)
            if isinstance(command, tuple) and command[0] == "report":
                since, until = command[1], command[2]
                conn.send(
                    {
                        "video": [r.rate(since, until) for r in received if r.kind == "video"],
                        "audio": [r.rate(since, until) for r in received if r.kind == "audio"],
                        "sent_fps": video.sent / max(time.monotonic() - video.start, 1e-6),
                    }
                )
            else:
                for task in tasks:
                    task.cancel()
                await pc.close()
                conn.send("closed")
                return

    asyncio.run(main())
