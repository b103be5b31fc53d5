"""Arranging a mediation for the tests: a court, mediators with accounts, litigants, causes."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from flask import Flask
from flask.testing import FlaskClient
from sqlmodel import Session, select

from court.accounts.models import Role
from court.audit import Actor
from court.mediation import directory
from court.mediation.models import MediatorType
from court.reference.models import CaseCause
from litigant_client import LitigantClient
from tests import factories


def cause_id(session: Session, name: str) -> int:
    found = session.exec(select(CaseCause).where(CaseCause.name == name)).first()
    assert found is not None, name
    assert found.id is not None
    return found.id


@dataclass
class World:
    app: Flask
    session: Session
    alice: LitigantClient  # the applicant, 刘小明
    bob: LitigantClient  # the respondent, 孙大伟
    mediator_id: str
    mediator_username: str
    other_mediator_id: str

    def refresh(self) -> None:
        """New access tokens after a jump in time (they last hours, refresh tokens days)."""
        self.alice.refresh()
        self.bob.refresh()

    def staff_client(self, username: str) -> FlaskClient:
        return factories.signed_in(self.app.test_client(), username)

    def request(self, *, cause: str = "民间借贷纠纷", **extra: Any) -> dict[str, Any]:
        body = {
            "cause_id": cause_id(self.session, cause),
            "summary": "被申请人于2026年3月借款五万元，约定半年归还，到期未还。",
            "claim": "归还借款五万元。",
            "service_address": "mini-app:刘小明",
            "respondents": [{"name": "孙大伟", "phone": self.bob.phone}],
            **extra,
        }
        self.session.rollback()
        return dict(self.alice.call("POST", "/mediations", body))

    def agree_and_choose(self, mediation_id: str) -> dict[str, Any]:
        self.bob.call(
            "POST",
            f"/mediations/{mediation_id}/answer",
            {"agree": True, "service_address": "mini-app:孙大伟"},
        )
        for party in (self.alice, self.bob):
            reply = party.call(
                "POST", f"/mediations/{mediation_id}/choice", {"mediator_id": self.mediator_id}
            )
        return dict(reply)

    def post_form(self, client: FlaskClient, page: str, action: str, **data: Any) -> Any:
        html = client.get(page).get_data(as_text=True)
        return client.post(action, data={"csrf_token": factories.csrf_token(html), **data})

    def accept(self, mediation_id: str, client: FlaskClient | None = None) -> Any:
        client = client or self.staff_client(self.mediator_username)
        page = f"/staff/mediations/{mediation_id}"
        return self.post_form(client, page, f"{page}/accept", disclosure="无")

    def started(self, **extra: Any) -> str:
        """A mediation in progress with the chosen mediator."""
        mediation = self.request(**extra)
        self.agree_and_choose(mediation["id"])
        reply = self.accept(mediation["id"])
        assert reply.status_code == 302, reply.get_data(as_text=True)
        return str(mediation["id"])

    def issue_agreement(
        self, mediation_id: str, terms: str = "被申请人于2026年12月31日前归还借款50000元。"
    ) -> Any:
        client = self.staff_client(self.mediator_username)
        page = f"/staff/mediations/{mediation_id}"
        return self.post_form(
            client,
            page,
            f"{page}/papers/mediation_agreement",
            dispute="借款到期未还。",
            terms=terms,
            performance="银行转账。",
            default_clause="逾期按年利率3.65%支付利息。",
        )


def build(app: Flask, session: Session, make_litigant: Any) -> World:
    court = factories.court(session)
    mediator_account = factories.staff(session, Role.MEDIATOR, "mediator-wang")
    other_account = factories.staff(session, Role.MEDIATOR, "mediator-zhou")
    mediator = directory.add_mediator(
        session,
        Actor.system("test"),
        name=mediator_account.display_name,
        type=MediatorType.PEOPLES,
        organisation="海曙区人民调解委员会",
        court_id=court.id,
        areas=["simple_civil_commercial"],
        account_id=mediator_account.id,
    )
    other = directory.add_mediator(
        session,
        Actor.system("test"),
        name=other_account.display_name,
        type=MediatorType.COMMUNITY_ELDER,
        organisation="鼓楼街道老娘舅工作室",
        court_id=court.id,
        areas=["simple_civil_commercial"],
        account_id=other_account.id,
    )
    session.commit()
    alice = make_litigant(name="刘小明")
    bob = make_litigant(name="孙大伟")
    return World(app, session, alice, bob, mediator.id, "mediator-wang", other.id)
