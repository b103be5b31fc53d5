"""Crash injection: filing, signing and sealing against the production server configuration
(gunicorn, two workers, the embedded database), killed with SIGKILL at random moments and
restarted, while clients retry every step with its idempotency key (pages resume by tus
offset). Afterwards the invariants are checked on the data at rest and counted.

    python -m tests.reliability.crash --kills 200      # prints the counts

Imported by tests/reliability/test_crash.py, which runs it in CI.
"""

from __future__ import annotations

import argparse
import base64
import datetime as dt
import functools
import hashlib
import os
import random
import re
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import requests

from litigant_client import ApiError, HttpTransport, LitigantClient, Reply

VENV_PYTHON = sys.executable
CODE_RE = re.compile(r"SMS to (\d{11}): code (\d{6})")
RETRYABLE = (requests.ConnectionError, requests.Timeout, requests.exceptions.ChunkedEncodingError)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class Server:
    """gunicorn as `make run` starts it, in its own process group so SIGKILL takes all."""

    def __init__(self, instance: Path, port: int) -> None:
        self.instance = instance
        self.port = port
        self.log = instance / "server.log"
        self.process: subprocess.Popen[bytes] | None = None
        self.starts = 0

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> None:
        env = {
            **os.environ,
            "MICROCOURT_INSTANCE_PATH": str(self.instance),
            "MICROCOURT_PUBLIC_BASE_URL": self.url,
        }
        with open(self.log, "ab") as out:
            self.process = subprocess.Popen(
                [
                    VENV_PYTHON,
                    "-m",
                    "gunicorn",
                    "--bind",
                    f"127.0.0.1:{self.port}",
                    "--workers",
                    "2",
                    "--threads",
                    "8",
                    "--log-level",
                    "warning",
                    "--no-control-socket",  # see bench.harness
                    "wsgi:app",
                ],
                env=env,
                stdout=out,
                stderr=out,
                start_new_session=True,
            )
        self.starts += 1
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            try:
                if requests.get(f"{self.url}/api/v1/mediators?limit=1", timeout=2).ok:
                    return
            except RETRYABLE:
                pass
            if self.process.poll() is not None:
                raise RuntimeError(f"the server died on start; see {self.log}")
            time.sleep(0.05)
        raise RuntimeError("the server did not come up")

    def kill(self) -> None:
        assert self.process is not None
        os.killpg(self.process.pid, signal.SIGKILL)
        self.process.wait(30)

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGTERM)
            try:
                self.process.wait(30)
            except subprocess.TimeoutExpired:
                self.kill()

    def code_for(self, phone: str) -> str:
        for found in reversed(CODE_RE.findall(self.log.read_text(errors="replace"))):
            if found[0] == phone:
                return str(found[1])
        raise AssertionError(f"no code for {phone}")


def retry(action: Any, *, deadline: float, what: str) -> Any:
    """Run ``action`` until it gets an answer from a living server (bounded in time)."""
    pause = 0.05
    while True:
        try:
            return action()
        except RETRYABLE:
            pass
        except ApiError as exc:
            if exc.reply.status < 500 and exc.reply.status != 429:
                raise
        if time.monotonic() > deadline:
            raise TimeoutError(what)
        time.sleep(pause)
        pause = min(pause * 2, 1.0)


def _call(client: LitigantClient, method: str, path: str, body: Any, key: str) -> Any:
    return client.call(method, path, body, idempotency_key=key)


@dataclass
class Results:
    filings_done: list[str] = field(default_factory=list)
    documents_done: list[str] = field(default_factory=list)
    submission_ids: set[str] = field(default_factory=set)
    errors: list[str] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)


def _tus(
    client: LitigantClient, method: str, path: str, data: bytes | None, headers: dict[str, str]
) -> Reply:
    reply = client.transport.send(
        method,
        client.prefix + path,
        data,
        {"Authorization": f"Bearer {client.access_token}", "Tus-Resumable": "1.0.0", **headers},
    )
    if reply.status >= 500:
        raise ApiError(reply)
    return reply


def filing_flow(client: LitigantClient, page: bytes, results: Results, deadline: float) -> None:
    """Open, upload one page resumably, sign: every step retried with the same key."""
    flow = uuid.uuid4().hex
    opened = retry(
        lambda: _call(
            client,
            "POST",
            "/submissions",
            {"kind": "complaint", "details": {"claims": ["归还借款"]}},
            f"open-{flow}",
        ),
        deadline=deadline,
        what="open",
    )
    submission = opened["id"]
    with results.lock:
        results.submission_ids.add(submission)
    digest = hashlib.sha256(page).hexdigest()
    meta = "sha256 " + base64.b64encode(digest.encode()).decode()
    created = retry(
        lambda: _tus(
            client,
            "POST",
            f"/submissions/{submission}/pages",
            None,
            {
                "Upload-Length": str(len(page)),
                "Upload-Metadata": meta,
                "Idempotency-Key": f"page-{flow}",
            },
        ),
        deadline=deadline,
        what="create upload",
    )
    assert created.status in (200, 201), created.body
    location = created.headers["Location"].split("/api/v1", 1)[-1]
    while True:
        head = retry(
            functools.partial(_tus, client, "HEAD", location, None, {}),
            deadline=deadline,
            what="offset",
        )
        if head.status == 404:  # the upload completed and became a page
            break
        offset = int(head.headers["Upload-Offset"])
        if offset >= len(page):
            break
        chunk_headers = {
            "Upload-Offset": str(offset),
            "Content-Type": "application/offset+octet-stream",
        }
        chunk = page[offset : offset + 8192]
        reply = retry(
            functools.partial(_tus, client, "PATCH", location, chunk, chunk_headers),
            deadline=deadline,
            what="chunk",
        )
        if reply.status not in (204, 409):
            raise AssertionError(f"chunk: {reply.status} {reply.body}")
    draft = retry(
        lambda: client.call("GET", f"/submissions/{submission}"), deadline=deadline, what="read"
    )
    manifest = {
        **draft["manifest_to_sign"],
        "time": dt.datetime.now(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
    }
    body = {
        "manifest": manifest,
        "device_id": client.device_id,
        "signature": client.sign_statement(manifest),
    }
    retry(
        lambda: _call(client, "POST", f"/submissions/{submission}/sign", body, f"sign-{flow}"),
        deadline=deadline,
        what="sign",
    )
    with results.lock:
        results.filings_done.append(submission)


def sign_field(client: LitigantClient, document_id: str, deadline: float) -> None:
    """Prepare and finish one phone signature; a stale preparation is prepared again."""
    while True:
        document = retry(
            lambda: client.call("GET", f"/documents/{document_id}"), deadline=deadline, what="doc"
        )
        if document["my_field"] is None:
            return  # signed (perhaps by a retried request whose answer was lost)
        attempt = uuid.uuid4().hex
        task = retry(
            functools.partial(
                _call,
                client,
                "POST",
                f"/documents/{document_id}/signing",
                {"device_id": client.device_id},
                f"prep-{attempt}",
            ),
            deadline=deadline,
            what="prepare",
        )
        signature = client.sign_digest(base64.b64decode(task["digest"]))
        try:
            retry(
                functools.partial(
                    _call,
                    client,
                    "POST",
                    f"/documents/{document_id}/signing/{task['preparation_id']}",
                    {"signature": signature},
                    f"fin-{attempt}",
                ),
                deadline=deadline,
                what="finish",
            )
            return
        except ApiError as exc:
            if exc.reply.status != 409:
                raise


def signing_flow(
    parties: tuple[LitigantClient, LitigantClient],
    document_id: str,
    results: Results,
    deadline: float,
) -> None:
    for party in parties:
        sign_field(party, document_id, deadline)
    with results.lock:
        results.documents_done.append(document_id)


def page_photo() -> bytes:
    from tests.factories import document_photo

    return document_photo(width=320, height=480, text_lines=10)


def enrol(server: Server, phone: str, name: str, id_number: str) -> LitigantClient:
    client = LitigantClient(HttpTransport(server.url))
    client.ask_for_code(phone)
    client.sign_in(phone, server.code_for(phone))
    client.verify_identity(name, id_number)
    client.enrol_device()
    return client


def issue_agreements(
    instance: Path, url: str, parties: list[tuple[str, str]], count: int
) -> list[str]:
    """Two-party agreements to sign, issued directly (the mediation flow is tested elsewhere)."""
    from sqlmodel import select

    from court import create_app
    from court.accounts.models import Court
    from court.audit import Actor
    from court.db import get_engine, unit_of_work
    from court.registry import services as registry

    app = create_app({"instance_path": instance, "public_base_url": url})
    ids = []
    with app.test_request_context(), unit_of_work(get_engine(app)) as session:
        court = session.exec(select(Court)).one()
        for n in range(count):
            document = registry.issue_rendered(
                session,
                app.extensions["court.blobs"],
                app.extensions["court.evidence_log"],
                Actor.system("crash-setup"),
                court_id=court.id,
                case_id=None,
                kind="mediation_agreement",
                title="调解协议书",
                template="mediation_agreement.html",
                context={
                    "court_name": court.name,
                    "number": None,
                    "organisation": "诉前调解中心",
                    "mediator": "王立平",
                    "case_number": None,
                    "cause": "民间借贷纠纷",
                    "parties": [
                        {"role": "申请人", "name": parties[0][1], "description": "", "agents": []},
                        {
                            "role": "被申请人",
                            "name": parties[1][1],
                            "description": "",
                            "agents": [],
                        },
                    ],
                    "dispute": f"第 {n} 号借款纠纷。",
                    "terms": ["被申请人归还借款。"],
                    "performance": "银行转账。",
                    "default_clause": "逾期可申请强制执行。",
                    "issued_at": dt.datetime.now(dt.UTC),
                },
                signers=[
                    {
                        "field": "party-1",
                        "role": "申请人",
                        "name": parties[0][1],
                        "account_id": parties[0][0],
                    },
                    {
                        "field": "party-2",
                        "role": "被申请人",
                        "name": parties[1][1],
                        "account_id": parties[1][0],
                    },
                ],
                base_url=url,
            )
            ids.append(document.id)
    get_engine(app).dispose()
    return ids


@dataclass
class Report:
    kills: int
    filings: int
    documents: int
    counts: dict[str, int]
    broken: list[str]


def check_invariants(  # noqa: PLR0912 - one checklist, read top to bottom
    instance: Path, results: Results, url: str
) -> tuple[dict[str, int], list[str]]:
    """Check the data at rest; return the counts and every broken invariant."""
    from cryptography import x509
    from sqlmodel import col, select

    from court import create_app
    from court.backup import BLOB_COLUMNS
    from court.db import get_engine, open_session
    from court.devices.models import Device
    from court.filing.models import Page, Submission
    from court.registry.models import CourtDocument, DocumentRevision
    from court.verification.services import verify_document_bytes
    from signing.evidence.errors import ProofError
    from signing.evidence.merkle import verify_consistency
    from signing.evidence.models import LogCheckpoint, LogLeaf
    from signing.evidence.note import open_checkpoint
    from signing.signatures import verify_device_signature

    app = create_app({"instance_path": instance, "public_base_url": url})
    broken: list[str] = []
    counts: dict[str, int] = {}
    store = instance / "blobs" / "sha256"
    with app.test_request_context():
        engine = get_engine(app)
        session = open_session(engine, write=False)
        log = app.extensions["court.evidence_log"]
        try:
            # 1. Every referenced blob exists and matches its hash.
            referenced = set()
            for table, column in BLOB_COLUMNS:
                from sqlalchemy import text

                referenced |= {
                    r[0] for r in session.execute(text(f"SELECT {column} FROM {table}")) if r[0]
                }
            for sha in referenced:
                path = store / sha[:2] / sha[2:4] / sha
                if not path.is_file():
                    broken.append(f"missing blob {sha}")
                elif hashlib.sha256(path.read_bytes()).hexdigest() != sha:
                    broken.append(f"blob {sha} does not match its hash")
            counts["blobs referenced"] = len(referenced)
            # 2./3. Submissions: none half-written; every accepted one signed, verified, logged.
            submissions = session.exec(select(Submission)).all()
            signed = 0
            for sub in submissions:
                pages = session.exec(select(Page).where(Page.submission_id == sub.id)).all()
                if sub.state == "draft":
                    continue
                signed += 1
                if not (
                    sub.manifest and sub.signature and sub.device_id and sub.log_index is not None
                ):
                    broken.append(f"submission {sub.id} accepted without signature or log leaf")
                    continue
                device = session.get(Device, sub.device_id)
                assert device is not None
                certificate = x509.load_pem_x509_certificate(device.certificate_pem.encode())
                try:
                    verify_device_signature(certificate, sub.manifest.encode(), sub.signature)
                except Exception as exc:  # noqa: BLE001
                    broken.append(f"submission {sub.id}: signature does not verify ({exc})")
                leaf = session.get(LogLeaf, sub.log_index)
                if leaf is None or (sub.manifest_sha256 or "") not in leaf.record:
                    broken.append(f"submission {sub.id}: no matching log leaf")
                if not pages:
                    broken.append(f"submission {sub.id}: accepted with no pages")
            counts["submissions accepted"] = signed
            strangers = {s.id for s in submissions} - results.submission_ids
            if strangers:
                broken.append(
                    f"{len(strangers)} submissions no client asked for (a retry created twice)"
                )
            # Every flow completed exactly once.
            if len(set(results.filings_done)) != len(results.filings_done):
                broken.append("a filing flow completed twice")
            not_accepted = [
                s for s in results.filings_done if session.get(Submission, s).state == "draft"
            ]
            if not_accepted:
                broken.append(f"{len(not_accepted)} completed filings are not accepted")
            # Documents: revisions contiguous, each field signed once, sealed ones verify.
            sealed = 0
            for document in session.exec(select(CourtDocument)).all():
                revisions = session.exec(
                    select(DocumentRevision)
                    .where(DocumentRevision.document_id == document.id)
                    .order_by(col(DocumentRevision.number))
                ).all()
                if [r.number for r in revisions] != list(range(1, len(revisions) + 1)):
                    broken.append(f"document {document.id}: revisions not contiguous")
                if revisions and revisions[-1].sha256 != document.current_sha256:
                    broken.append(f"document {document.id}: current revision is not the last")
                reasons = [r.reason for r in revisions]
                if len(reasons) != len(set(reasons)):
                    broken.append(f"document {document.id}: a field was signed twice")
                if len(set(document.signed_fields)) != len(document.signed_fields):
                    broken.append(f"document {document.id}: signed_fields repeats")
                if document.state == "sealed":
                    sealed += 1
                    with open(
                        store
                        / document.current_sha256[:2]
                        / document.current_sha256[2:4]
                        / document.current_sha256,
                        "rb",
                    ) as fh:
                        pdf = fh.read()
                    result = verify_document_bytes(
                        session,
                        app.extensions["court.pki"],
                        log,
                        app.extensions["court.log_verifier_key"]
                        if "court.log_verifier_key" in app.extensions
                        else _vkey(app),
                        pdf,
                    )
                    if not result.genuine:
                        broken.append(f"sealed document {document.id} does not verify")
                elif document.state == "signed":
                    broken.append(f"document {document.id} signed but never sealed")
            counts["documents sealed"] = sealed
            missing = set(results.documents_done) - {
                d.id
                for d in session.exec(select(CourtDocument).where(CourtDocument.state == "sealed"))
            }
            if missing:
                broken.append(f"{len(missing)} completed signing flows without a sealed document")
            # 4. Every checkpoint is consistent with the one before.
            checkpoints = session.exec(
                select(LogCheckpoint).order_by(col(LogCheckpoint.size))
            ).all()
            key = _vkey(app)
            previous = None
            for checkpoint in checkpoints:
                opened = open_checkpoint(checkpoint.note, key)
                if opened.tree_size != checkpoint.size or opened.root_hash != checkpoint.root_hash:
                    broken.append(f"checkpoint {checkpoint.size}: note and row differ")
                if previous is not None and previous.size > 0:
                    try:
                        verify_consistency(
                            previous.size,
                            checkpoint.size,
                            previous.root_hash,
                            checkpoint.root_hash,
                            log.consistency_proof(session, previous.size, checkpoint.size)
                            if checkpoint.size > previous.size
                            else [],
                        )
                    except ProofError as exc:
                        broken.append(f"checkpoints {previous.size}->{checkpoint.size}: {exc}")
                previous = checkpoint
            counts["checkpoints"] = len(checkpoints)
            counts["log leaves"] = log.size(session)
        finally:
            session.close()
            engine.dispose()
    return counts, broken


def _vkey(app: Any) -> str:
    from court import components

    with app.app_context():
        return components.log_verifier_key()


def run(kills: int, *, workers: int = 3, seed: int = 7, root: Path | None = None) -> Report:
    from tests.conftest import valid_resident_id

    rng = random.Random(seed)  # noqa: S311 - when to kill, not a secret
    instance = root or Path(tempfile.mkdtemp(prefix="microcourt-crash-")) / "instance"
    instance.mkdir(parents=True)
    from court import create_app
    from court.cli import initialise
    from court.db import get_engine

    app = create_app({"instance_path": instance})
    with app.app_context():
        initialise(app)
    get_engine(app).dispose()
    server = Server(instance, free_port())
    server.start()
    people = [
        enrol(server, f"1390000{n:04d}", name, valid_resident_id(f"33020319900307{n:03d}"))
        for n, name in enumerate(("刘小明", "孙大伟", "王五", "赵六"))
    ]
    accounts = [
        (p.call("GET", "/me")["id"], name)
        for p, name in zip(people, ("刘小明", "孙大伟", "王五", "赵六"), strict=True)
    ]
    server.stop()
    documents = issue_agreements(instance, server.url, accounts[:2], count=max(4, kills // 10))
    server.start()
    results = Results()
    page = page_photo()
    done = threading.Event()
    deadline = time.monotonic() + 60 * 60

    def client_loop(index: int) -> None:
        local = random.Random(index)  # noqa: S311
        while not done.is_set():
            try:
                if index == 0 and documents:
                    document = documents.pop()
                    signing_flow((people[0], people[1]), document, results, deadline)
                else:
                    filing_flow(people[2 + index % 2], page, results, deadline)
            except Exception as exc:  # noqa: BLE001 - every failure is a finding
                results.errors.append(f"{type(exc).__name__}: {exc}"[:300])
                if len(results.errors) > 20:
                    return
            time.sleep(local.random() * 0.05)

    threads = [threading.Thread(target=client_loop, args=(i,), daemon=True) for i in range(workers)]
    for thread in threads:
        thread.start()
    performed = 0
    try:
        while performed < kills:
            time.sleep(rng.uniform(0.05, 0.8))
            server.kill()
            performed += 1
            time.sleep(rng.uniform(0.0, 0.2))
            server.start()
    finally:
        done.set()
        for thread in threads:
            thread.join(120)
        server.stop()
    counts, broken = check_invariants(instance, results, server.url)
    broken += results.errors
    counts["kills"] = performed
    counts["filing flows completed"] = len(results.filings_done)
    counts["signing flows completed"] = len(results.documents_done)
    return Report(performed, len(results.filings_done), len(results.documents_done), counts, broken)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--kills", type=int, default=200)
    options = parser.parse_args()
    report = run(options.kills)
    for name, value in report.counts.items():
        print(f"{name:>28}: {value}")
    print(f"{'broken invariants':>28}: {len(report.broken)}")
    for line in report.broken:
        print("   ", line)
    sys.exit(1 if report.broken else 0)


if __name__ == "__main__":
    main()
