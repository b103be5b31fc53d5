"""Arranging a hearing for the tests: a judge, a registered simple loan case, two parties."""

from __future__ import annotations

import datetime as dt
from typing import Any

from flask import Flask
from sqlmodel import Session, select

from court.accounts.models import Role
from court.cases.models import Case, CaseParty, CaseState, Procedure
from court.hearing.models import SelfTest
from court.reference.models import CaseCause
from litigant_client import LitigantClient
from tests import factories

JUDGE = "judge-li"
FAVOURABLE = {
    "facts_clear": ("yes", "借条、转账记录齐全"),
    "rights_clear": ("yes", "借贷关系明确"),
    "dispute_minor": ("yes", "仅对还款期限有分歧"),
    "must_check_in_court": ("no", "证据均为电子数据"),
    "complex_voluminous": ("no", "证据 4 份"),
    "state_secrets": ("no", "不涉及"),
    "major_social_impact": ("no", "普通民间借贷"),
    "other_reason": ("no", "无"),
}


class Court:
    def __init__(
        self,
        app: Flask,
        session: Session,
        make_litigant: Any,
        parties: tuple[LitigantClient, LitigantClient] | None = None,
        *,
        defendant_linked: bool = True,
    ) -> None:
        self.app = app
        self.session = session
        self.alice: LitigantClient
        self.bob: LitigantClient
        self.alice, self.bob = parties or (
            make_litigant(name="刘小明"),
            make_litigant(name="孙大伟"),
        )
        factories.staff(session, Role.JUDGE, JUDGE)
        cause = session.exec(select(CaseCause).where(CaseCause.name == "民间借贷纠纷")).one()
        case = Case(
            court_id=factories.court(session).id,
            case_number="(2026)浙0203民初88号",
            title="刘小明诉孙大伟民间借贷纠纷",
            cause_id=cause.id,
            procedure=Procedure.SIMPLE.value,
            state=CaseState.REGISTERED.value,
            created_at=dt.datetime.now(dt.UTC),
            registered_at=dt.datetime.now(dt.UTC),
        )
        session.add(case)
        session.flush()
        for party, role, name in (
            (self.alice, "plaintiff", "刘小明"),
            (self.bob, "defendant", "孙大伟"),
        ):
            # An unlinked defendant is only a name in the complaint until they link (R3a).
            linked = role == "plaintiff" or defendant_linked
            account_id = party.call("GET", "/me")["id"] if linked else None
            session.add(CaseParty(case_id=case.id, account_id=account_id, role=role, name=name))
        session.commit()
        self.case_id = case.id
        self.judge = factories.signed_in(app.test_client(), JUDGE)

    def form(self, page: str, action: str, **data: Any) -> Any:
        html = self.judge.get(page).get_data(as_text=True)
        return self.judge.post(action, data={"csrf_token": factories.csrf_token(html), **data})

    def schedule(self, when: dt.datetime | None = None) -> str:
        when = when or dt.datetime.now(dt.UTC) + dt.timedelta(days=3)
        local = when.astimezone(dt.timezone(dt.timedelta(hours=8)))
        reply = self.form(
            "/staff/hearings/",
            "/staff/hearings/",
            case_id=self.case_id,
            scheduled_at=local.strftime("%Y-%m-%dT%H:%M"),
        )
        assert reply.status_code == 302, reply.get_data(as_text=True)
        return reply.headers["Location"].rsplit("/", 1)[-1]

    def findings(self, hearing_id: str, answers: dict[str, tuple[str, str]]) -> Any:
        data: dict[str, str] = {}
        for question, (answer, reasons) in answers.items():
            data[f"q-{question}"] = answer
            data[f"r-{question}"] = reasons
        page = f"/staff/hearings/{hearing_id}"
        return self.form(page, f"{page}/findings", **data)

    def consent(self, party: LitigantClient, hearing_id: str) -> Any:
        notice = party.call("GET", f"/hearings/{hearing_id}/consent-notice")
        signature = party.sign_statement(notice["statement"])
        return party.call(
            "POST",
            f"/hearings/{hearing_id}/consent",
            {
                "device_id": party.device_id,
                "time": notice["statement"]["time"],
                "signature": signature,
            },
        )

    def video_ready(self, hearing_id: str) -> None:
        """Favourable findings, and both parties tested and consenting: a video hearing."""
        self.findings(hearing_id, FAVOURABLE)
        for party in (self.alice, self.bob):
            self.self_test_passed(party, hearing_id)
            self.consent(party, hearing_id)

    def self_test_passed(self, party: LitigantClient, hearing_id: str) -> None:
        """What the media layer records after a passed device test."""
        self.session.rollback()
        now = dt.datetime.now(dt.UTC)
        self.session.add(
            SelfTest(
                hearing_id=hearing_id,
                account_id=party.call("GET", "/me")["id"],
                result="passed",
                video_kbps=600.0,
                frames_per_second=29.5,
                started_at=now,
                finished_at=now,
            )
        )
        self.session.commit()
