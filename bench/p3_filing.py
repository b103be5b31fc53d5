"""P3: litigants filing signed 3-page submissions of ~3 MB photos through gunicorn, against a
bare endpoint on the same server that only streams the same bytes to disk; and the server's
peak memory while it takes a 20 MB page."""

from __future__ import annotations

import io
import threading
import time
from pathlib import Path

from PIL import Image, ImageDraw

from bench.harness import gunicorn, temp_instance
from court import create_app
from court.accounts.models import Account, Role
from court.accounts.services import issue_tokens
from court.audit import Actor
from court.cli import initialise
from court.db import get_engine, unit_of_work, utcnow
from court.devices.services import enrol_device
from court.identity.interfaces import IdentityKind
from court.identity.services import verify_identity
from litigant_client import Filing, HttpTransport, LitigantClient

CLIENTS = 4
SECONDS = 20.0
PAGES = 3


def photo(width: int, height: int, quality: int, seed: int) -> bytes:
    """A noisy phone photo of a page (noise keeps the JPEG as large as a real photo)."""
    image = Image.effect_noise((width, height), 40 + seed).convert("RGB")
    draw = ImageDraw.Draw(image)
    for y in range(100, height - 100, 60):
        draw.rectangle((100, y, width - 100, y + 20), outline="black", width=4)
    out = io.BytesIO()
    image.save(out, "JPEG", quality=quality)
    return out.getvalue()


def _litigants(instance: str, count: int) -> list[LitigantClient]:
    """Verified, enrolled litigants made directly in the database (no SMS round trip)."""
    from court.identity.validators import resident_id_check_character
    from litigant_client import LitigantClient as Client

    app = create_app({"instance_path": instance})
    clients = []
    with app.app_context():
        initialise(app)
        settings = app.extensions["court.settings"]
        for n in range(count):
            client = Client(transport=None)
            with unit_of_work(get_engine()) as s:
                account = Account(
                    role=Role.LITIGANT.value,
                    display_name="bench",
                    phone=f"1390000{n:04d}",
                    created_at=utcnow(),
                )
                s.add(account)
                s.flush()
                actor = Actor(account.id, account.role)
                first17 = f"33020319900307{n:03d}"
                verify_identity(
                    s,
                    app.extensions["court.identity_provider"],
                    app.extensions["court.id_protector"],
                    actor,
                    account,
                    kind=IdentityKind.NATURAL,
                    name=f"测试{n}",
                    id_number=first17 + resident_id_check_character(first17),
                )
                device = enrol_device(
                    s,
                    app.extensions["court.pki"],
                    actor,
                    account,
                    csr_bytes=client.make_csr().encode(),
                    label="bench",
                    validity_days=30,
                )
                pair = issue_tokens(s, settings, account, address="127.0.0.1")
                client.access_token = pair.access_token
                client.device_id = device.id
            clients.append(client)
    get_engine(app).dispose()
    return clients


def _drive(clients: list[LitigantClient], work, seconds: float) -> tuple[int, float]:
    """Run ``work(client)`` in a loop per client for ``seconds``; return (units done, elapsed)."""
    done = [0] * len(clients)
    stop = time.monotonic() + seconds

    def loop(i: int) -> None:
        while time.monotonic() < stop:
            work(clients[i])
            done[i] += 1

    threads = [threading.Thread(target=loop, args=(i,)) for i in range(len(clients))]
    began = time.monotonic()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return sum(done), time.monotonic() - began


def _worker_peak_rss_kb(master_pid: int) -> dict[int, int]:
    peaks = {}
    for status in Path("/proc").glob("[0-9]*/status"):
        try:
            text = status.read_text()
        except OSError:
            continue
        fields = dict(line.split(":", 1) for line in text.splitlines() if ":" in line)
        if fields.get("PPid", "").strip() == str(master_pid):
            peaks[int(status.parent.name)] = int(fields["VmHWM"].split()[0])
    return peaks


def run() -> None:
    instance = str(temp_instance())
    clients = _litigants(instance, CLIENTS)
    photos = [photo(3024, 4032, 60, seed) for seed in range(PAGES)]
    page_mb = sum(len(p) for p in photos) / PAGES / 1e6
    with gunicorn("bench.p3_app:app", {"MICROCOURT_INSTANCE_PATH": instance}) as server:
        base = f"http://127.0.0.1:{server.port}"
        for client in clients:
            client.transport = HttpTransport(base)

        def file_submission(client: LitigantClient) -> None:
            filing = Filing(client)
            draft = filing.open("complaint", details={"claims": ["bench"]})
            for data in photos:
                filing.upload_page(draft["id"], data, chunk=1 << 20)
            filing.sign(draft["id"])

        def bare(client: LitigantClient) -> None:
            for data in photos:
                for offset in range(0, len(data), 1 << 20):
                    reply = client.transport.send(
                        "POST",
                        "/bench/bare-upload",
                        data[offset : offset + (1 << 20)],
                        {"Content-Type": "application/octet-stream"},
                    )
                    assert reply.status == 204

        file_submission(clients[0])  # warm up
        bare_done, bare_s = _drive(clients, bare, SECONDS)
        filed_done, filed_s = _drive(clients, file_submission, SECONDS)
        bare_rate = bare_done / bare_s
        filed_rate = filed_done / filed_s
        print(
            f"P3  {CLIENTS} litigants filing signed {PAGES}-page submissions of {page_mb:.1f} MB photos "
            f"(12 MP), gunicorn 2x4, {SECONDS:.0f} s each"
        )
        print(
            f"    bare endpoint (stream to disk) {bare_rate:7.2f} submissions' worth/s  ({bare_rate * PAGES * page_mb:6.1f} MB/s)"
        )
        print(
            f"    filing: open, tus upload, checks, display copies, sign, log  {filed_rate:7.2f} submissions/s  ({filed_rate * PAGES * page_mb:6.1f} MB/s)"
        )
        print(f"    ratio filing/bare: {filed_rate / bare_rate:.2f}  (goal >= 0.6)")

    _peak_memory(instance, clients[:1])


def _peak_memory(instance: str, clients: list[LitigantClient]) -> None:
    """Peak RSS of a fresh single worker taking a 20+ MB page, against the bare endpoint."""
    big = photo(8000, 6000, 80, 9)
    client = clients[0]
    results = {}
    for label in ("bare", "filing"):
        with gunicorn(
            "bench.p3_app:app", {"MICROCOURT_INSTANCE_PATH": instance}, workers=1
        ) as server:
            client.transport = HttpTransport(f"http://127.0.0.1:{server.port}")
            client.call("GET", "/me")  # the worker has imported and served once
            before = max(_worker_peak_rss_kb(server.pid).values())
            if label == "bare":
                for offset in range(0, len(big), 1 << 20):
                    client.transport.send(
                        "POST",
                        "/bench/bare-upload",
                        big[offset : offset + (1 << 20)],
                        {"Content-Type": "application/octet-stream"},
                    )
            else:
                filing = Filing(client)
                draft = filing.open("complaint", details={})
                filing.upload_page(draft["id"], big, chunk=1 << 20)
            after = max(_worker_peak_rss_kb(server.pid).values())
            results[label] = (before, after)
    for label, (before, after) in results.items():
        print(
            f"    {len(big) / 1e6:.1f} MB page (48 MP JPEG), {label:<6}: worker peak RSS {before / 1024:6.1f} MB -> {after / 1024:6.1f} MB "
            f"(+{(after - before) / 1024:.1f} MB)"
        )
    growth_mb = (results["filing"][1] - results["filing"][0]) / 1024
    print(
        f"    filing RSS growth / page size: {growth_mb / (len(big) / 1e6):.2f}  (flat: the bytes are streamed "
        "in 256 KB chunks; a JPEG decodes at 1/8 scale to be checked and at display scale to be copied)"
    )
