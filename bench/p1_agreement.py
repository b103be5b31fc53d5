"""P1: a two-party mediation agreement end to end (render, two phone signatures, mediator
signature, court seal B-LTA, log appends) against a bare WeasyPrint render of the same HTML."""

from __future__ import annotations

import datetime as dt
import hashlib
import statistics
import time
from dataclasses import dataclass
from typing import Any

from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.asymmetric.utils import Prehashed
from sqlmodel import select

from bench.harness import temp_instance
from bench.p3_filing import _litigants
from court import components, create_app
from court.accounts.models import Account, Court, Role
from court.accounts.services import create_staff
from court.audit import Actor
from court.db import get_engine, unit_of_work
from court.registry import services
from court.registry.models import SEAL_FIELD
from documents.rendering import render_html

ROUNDS = 8


def _context(court: str) -> dict[str, Any]:
    return {
        "court_name": court,
        "number": None,
        "organisation": f"{court}诉前调解中心",
        "mediator": "王立平",
        "case_number": None,
        "cause": "民间借贷纠纷",
        "parties": [
            {"role": "申请人", "name": "刘小明", "description": "男，1990年出生", "agents": []},
            {"role": "被申请人", "name": "孙某", "description": "男，1988年出生", "agents": []},
        ],
        "dispute": "被申请人向申请人借款人民币五万元，约定到期归还，至今未还。" * 3,
        "terms": [f"第{i}项：被申请人于2026年{i}月底前归还借款人民币一万元。" for i in range(1, 6)],
        "performance": "银行转账至申请人指定账户。",
        "default_clause": "逾期未付的，申请人可就未付部分申请强制执行。",
        "issued_at": dt.datetime.now(dt.UTC),
    }


def _phone_sign(key: ec.EllipticCurvePrivateKey, digest: bytes) -> bytes:
    return key.sign(digest, ec.ECDSA(Prehashed(hashes.SHA256())))


@dataclass
class Stage:
    app: Any
    engine: Any
    court_id: str
    court_name: str
    signers: list[dict[str, Any]]
    clients: list[Any]
    mediator_id: str


def setup() -> Stage:
    """A court, two enrolled litigants and a mediator, ready to sign agreements."""
    instance = str(temp_instance())
    clients = _litigants(instance, 2)
    app = create_app({"instance_path": instance})
    engine = get_engine(app)
    with app.app_context(), unit_of_work(engine) as s:
        court = s.exec(select(Court)).one()
        mediator = create_staff(
            s,
            Actor.system("bench"),
            username="bench-mediator",
            display_name="王立平",
            role=Role.MEDIATOR,
            court=court,
            password="bench password long",
        )
        accounts = [_account_of(s, client) for client in clients]
        court_id, court_name, mediator_id = court.id, court.name, mediator.id
    signers = [
        {"field": "party-1", "role": "申请人", "name": "刘小明", "account_id": accounts[0]},
        {"field": "party-2", "role": "被申请人", "name": "孙某", "account_id": accounts[1]},
        {
            "field": "mediator",
            "role": "调解员",
            "name": "王立平",
            "account_id": mediator_id,
            "kind": "staff",
        },
    ]
    return Stage(app, engine, court_id, court_name, signers, clients, mediator_id)


def sealed_agreement(stage: Stage) -> bytes:
    """One agreement signed by both parties and the mediator, and sealed."""
    with stage.app.app_context():
        document_id = _end_to_end(
            stage.engine,
            stage.court_id,
            _context(stage.court_name),
            stage.signers,
            stage.clients,
            stage.mediator_id,
        )
        with unit_of_work(stage.engine) as s:
            from court.registry.models import CourtDocument

            document = s.get(CourtDocument, document_id)
            with components.blobs().open(document.current_sha256) as fh:
                return fh.read()


def run() -> None:
    import weasyprint

    stage = setup()
    app, engine, signers = stage.app, stage.engine, stage.signers
    court_id, court_name, clients, mediator_id = (
        stage.court_id,
        stage.court_name,
        stage.clients,
        stage.mediator_id,
    )
    with app.app_context():
        context = _context(court_name)
        html_context = {
            **context,
            "signers": [
                *({k: s[k] for k in ("field", "role", "name")} for s in signers),
                {"field": SEAL_FIELD, "role": "法院印章", "name": ""},
            ],
            "short_code": "ABCD-EFGH-JKMN",
            "verify_url": "http://127.0.0.1:8000/verify/ABCD-EFGH-JKMN",
        }
        html = render_html("mediation_agreement.html", html_context)
        from documents.rendering import ASSETS, _fetcher

        bare: list[float] = []
        full: list[float] = []
        for round_ in range(ROUNDS + 1):
            started = time.perf_counter()
            weasyprint.HTML(
                string=html, base_url=ASSETS.as_uri() + "/", url_fetcher=_fetcher([])
            ).write_pdf()
            bare_s = time.perf_counter() - started
            started = time.perf_counter()
            _end_to_end(engine, court_id, context, signers, clients, mediator_id)
            full_s = time.perf_counter() - started
            if round_:  # the first round warms caches and the render worker
                bare.append(bare_s)
                full.append(full_s)
    b, f = statistics.median(bare), statistics.median(full)
    print(
        f"P1  two-party mediation agreement end to end vs a bare WeasyPrint render, {ROUNDS} rounds, medians"
    )
    print(f"    bare WeasyPrint render             {b * 1000:8.1f} ms")
    print(
        f"    render + 2 phone signatures + mediator + seal (B-LTA, fields locked) + log  {f * 1000:8.1f} ms"
    )
    print(f"    ratio: {f / b:.1f}x  (goal <= 3x)")
    engine.dispose()


def _account_of(session: Any, client: Any) -> str:
    from court.accounts.models import ApiToken
    from court.accounts.services import sha256_hex

    token = session.exec(
        select(ApiToken).where(ApiToken.token_sha256 == sha256_hex(client.access_token))
    ).one()
    return str(token.account_id)


def _end_to_end(
    engine: Any,
    court_id: str,
    context: dict[str, Any],
    signers: list[dict[str, Any]],
    clients: list[Any],
    mediator_id: str,
) -> str:
    actor = Actor.system("bench")
    with unit_of_work(engine) as s:
        document = services.issue_rendered(
            s,
            components.blobs(),
            components.evidence_log(),
            actor,
            court_id=court_id,
            case_id=None,
            kind="mediation_agreement",
            title="调解协议书",
            template="mediation_agreement.html",
            context=context,
            signers=signers,
            base_url="http://127.0.0.1:8000",
        )
        document_id = document.id
    for client, signer in zip(clients, signers[:2], strict=True):
        with unit_of_work(engine) as s:
            account = s.get(Account, signer["account_id"])
            prepared = services.prepare_party_signature(
                s,
                components.blobs(),
                components.pki(),
                account,
                document_id=document_id,
                device_id=client.device_id,
            )
            preparation_id, attributes = prepared.id, prepared.signed_attributes
        signature = _phone_sign(client.key, hashlib.sha256(attributes).digest())
        with unit_of_work(engine) as s:
            account = s.get(Account, signer["account_id"])
            services.finish_party_signature(
                s,
                components.blobs(),
                components.pki(),
                components.evidence_log(),
                components.timestamper(),
                actor,
                account,
                document_id=document_id,
                preparation_id=preparation_id,
                signature=signature,
            )
    with unit_of_work(engine) as s:
        staff = s.get(Account, mediator_id)
        services.sign_as_staff(
            s,
            components.blobs(),
            components.pki(),
            components.evidence_log(),
            components.timestamper(),
            actor,
            staff,
            document_id=document_id,
            title="调解员",
            seal=components.sealing_key(s),
        )
    return document_id
