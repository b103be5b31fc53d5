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
        cpu_before, began = _cpu_seconds(process.pid), time.monotonic()
        time.sleep(MEASURE)
        cpu_after, ended = _cpu_seconds(process.pid), time.monotonic()
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
    return {
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
        f"    {'N':>2}  {'server CPU':>22}  {'CPU per participant':>26}  "
        f"{'received fps mean / min':>34}  ratio CPU/participant"
    )
    largest = 0
    for size in SIZES:
        ours, base = results[("forward", size)], results[("relay", size)]
        ratio = ours["cpu_per_participant"] / max(base["cpu_per_participant"], 1e-6)
        print(
            f"    {size:>2}  ours {ours['cpu']:5.1f}% relay {base['cpu']:5.1f}%  "
            f"ours {ours['cpu_per_participant']:5.1f}% relay {base['cpu_per_participant']:5.1f}%  "
            f"ours {ours['fps_mean']:4.1f}/{ours['fps_min']:4.1f} relay "
            f"{base['fps_mean']:4.1f}/{base['fps_min']:4.1f}  {ratio:.2f}"
        )
        if ours["fps_min"] >= HOLDS * FPS:
            largest = size
    print(
        f"    largest hearing holding the source frame rate (every viewer >= {HOLDS * FPS:.0f} "
        f"fps): {largest or 'none'} participants (goal 8); CPU per participant goal <= 0.2x relay"
    )
