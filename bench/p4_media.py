"""P4: server CPU per participant and received frame rate with 2, 4, 6 and 8 participants
at 640×480 (with recording), for our relay (encoded media forwarded) against aiortc's
``MediaRelay`` (decoded once, encoded again per viewer) relaying the same peers in the same
run. Each server is its own process, as in production; its CPU comes from /proc."""

from __future__ import annotations

import multiprocessing
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from bench.media_peers import FPS, peer_main
from hearings.client import RemoteMediaNode

SIZES = (2, 4, 6, 8)
WARM_UP = 4.0
MEASURE = 6.0
#: "Holds the source frame rate": every viewer receives at least this share of it.
HOLDS = 0.9


def _cpu_seconds(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    ticks = os.sysconf("SC_CLK_TCK")
    return (int(fields[11]) + int(fields[12])) / ticks  # utime + stime


def _server(mode: str, folder: Path) -> tuple[subprocess.Popen[bytes], Path]:
    sock = folder / f"{mode}.sock"
    if mode == "forward":
        command = [
            sys.executable,
            "-m",
            "hearings.server",
            "--socket",
            str(sock),
            "--recordings",
            str(folder / "recordings"),
            "--loopback",
        ]
    else:
        command = [sys.executable, "-m", "bench.relay_node", "--socket", str(sock)]
    process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 30
    while not sock.exists():
        if time.monotonic() > deadline or process.poll() is not None:
            raise SystemExit(f"P4: the {mode} server did not start")
        time.sleep(0.1)
    return process, sock


def _run(mode: str, size: int, folder: Path) -> dict[str, float]:
    process, sock = _server(mode, folder)
    node = RemoteMediaNode(sock)
    context = multiprocessing.get_context("spawn")
    peers = []
    try:
        for seed in range(1, size + 1):
            conn, child = context.Pipe()
            worker = context.Process(target=peer_main, args=(child, size - 1, seed), daemon=True)
            worker.start()
            peers.append((worker, conn))
        for index, (_, conn) in enumerate(peers):
            if not conn.poll(60):
                raise SystemExit("P4: a participant made no offer")
            offer = conn.recv()
            conn.send(node.join("bench", f"p{index}", offer, role="party", admitted=True))
        time.sleep(WARM_UP)
        forwarded_before = sum(p.forwarded_frames for p in node.state("bench").peers)
        cpu_before, began = _cpu_seconds(process.pid), time.monotonic()
        time.sleep(MEASURE)
        cpu_after, ended = _cpu_seconds(process.pid), time.monotonic()
        forwarded = sum(p.forwarded_frames for p in node.state("bench").peers) - forwarded_before
        rates: list[float] = []
        sent: list[float] = []
        for _, conn in peers:
            conn.send(("report", began, ended))
            if not conn.poll(30):
                raise SystemExit("P4: a participant did not report")
            report = conn.recv()
            rates.extend(report["video"])
            sent.append(report["sent_fps"])
        node.close_room("bench")
    finally:
        for worker, conn in peers:
            try:
                conn.send("stop")
                conn.poll(5)
            except OSError:
                pass
            worker.join(5)
            if worker.is_alive():
                worker.kill()
        process.terminate()
        try:
            process.wait(30)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(10)
    cpu = (cpu_after - cpu_before) / (ended - began) * 100
    slots = size * (size - 1)
    delivered = sum(rates) * (ended - began)
    return {
        "forwarded_fps": forwarded / (ended - began) / slots if forwarded else float("nan"),
        "ms_per_frame": (cpu_after - cpu_before) * 1000 / max(delivered, 1),
        "cpu": cpu,
        "cpu_per_participant": cpu / size,
        "fps_mean": statistics.fmean(rates) if rates else 0.0,
        "fps_min": min(rates) if rates else 0.0,
        "sent": statistics.fmean(sent),
    }


def run() -> None:
    folder = Path(tempfile.mkdtemp(prefix="microcourt-p4-"))
    results: dict[tuple[str, int], dict[str, float]] = {}
    for size in SIZES:
        for mode in ("forward", "relay"):  # interleaved: machine noise hits both alike
            results[(mode, size)] = _run(mode, size, folder)
    print(
        "P4  hearing media at 640x480, 30 fps sources, our relay (encoded forwarding, recording "
        "on) vs aiortc MediaRelay (decode once, encode per viewer), same peers, same run"
    )
    print(
        "    N  server CPU % (ours/relay)  per participant  ratio  | CPU ms per delivered "
        "frame  ratio | forwarded fps | received fps mean/min (ours, relay)"
    )
    largest = largest_forwarded = 0
    comparable: list[str] = []
    for size in SIZES:
        ours, base = results[("forward", size)], results[("relay", size)]
        ratio = ours["cpu_per_participant"] / max(base["cpu_per_participant"], 1e-6)
        per_frame = ours["ms_per_frame"] / max(base["ms_per_frame"], 1e-6)
        print(
            f"    {size}  {ours['cpu']:5.1f} / {base['cpu']:5.1f}        "
            f"{ours['cpu_per_participant']:5.1f} / {base['cpu_per_participant']:5.1f}  "
            f"{ratio:.2f}  |  {ours['ms_per_frame']:.3f} / {base['ms_per_frame']:.3f}  "
            f"{per_frame:.2f} |  {ours['forwarded_fps']:5.1f}       | "
            f"{ours['fps_mean']:4.1f}/{ours['fps_min']:4.1f}, "
            f"{base['fps_mean']:4.1f}/{base['fps_min']:4.1f}"
        )
        if ours["fps_min"] >= HOLDS * FPS:
            largest = size
        if base["fps_min"] >= HOLDS * FPS:  # MediaRelay doing the same work as ours
            comparable.append(f"{size}: {ratio:.2f}x")
        if ours["forwarded_fps"] >= HOLDS * FPS:
            largest_forwarded = size
    print(
        f"    largest hearing where every viewer received >= {HOLDS * FPS:.0f} fps: "
        f"{largest or 'none'}; where the server forwarded >= {HOLDS * FPS:.0f} fps to every "
        f"slot: {largest_forwarded or 'none'} (goal 8). The participants run on the same 2 "
        "cores (niced), so what they receive also depends on their own share of the CPU."
    )
    print(
        "    CPU per participant where MediaRelay itself holds the source rate (the same work "
        f"done): {', '.join(comparable) or 'none'} (goal <= 0.2x); past that MediaRelay "
        "saturates the machine, and CPU per delivered frame is the fair comparison."
    )
