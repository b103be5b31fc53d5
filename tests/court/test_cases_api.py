"""A litigant's own cases, and nobody else's."""

from __future__ import annotations

from sqlmodel import Session, select

from court.accounts.models import Account
from court.audit import Actor
from court.cases.models import CASE_MOVES, Case, CaseParty, CaseState, PartyRole, Procedure
from court.db import new_id, utcnow
from court.registry.models import CourtDocument
from tests import factories

SEED = Actor.system("test")


def _give_case(session: Session, phone: str, title: str, number: str | None = None) -> Case:
    account = session.exec(select(Account).where(Account.phone == phone)).one()
    case = Case(
        court_id=factories.court(session).id,
        title=title,
        case_number=number,
        procedure=Procedure.SIMPLE.value,
        state=CaseState.PRE_FILING.value,
        created_at=utcnow(),
    )
    CASE_MOVES.start(session, case, CaseState.PRE_FILING, SEED, "filed")
    if number:
        CASE_MOVES.move(session, case, CaseState.REGISTERED, SEED, "立案")
    session.flush()
    session.add(
        CaseParty(
            case_id=case.id,
            account_id=account.id,
            role=PartyRole.PLAINTIFF.value,
            name=account.display_name,
        )
    )
    session.commit()
    return case


def test_a_litigant_sees_only_their_cases_with_history(make_litigant, session: Session) -> None:
    alice, bob = make_litigant(enrolled=False), make_litigant(enrolled=False)
    mine = _give_case(session, alice.phone, "买卖合同纠纷", "(2026)浙0203民初7号")
    theirs = _give_case(session, bob.phone, "民间借贷纠纷")
    listed = alice.call("GET", "/cases")["items"]
    assert [c["id"] for c in listed] == [mine.id]
    assert listed[0]["my_roles"] == ["plaintiff"]
    detail = alice.call("GET", f"/cases/{mine.id}")
    assert detail["case_number"] == "(2026)浙0203民初7号"
    assert [h["to_state"] for h in detail["history"]] == ["pre_filing", "registered"]
    assert detail["parties"][0]["role"] == "plaintiff"
    hidden = alice.call("GET", f"/cases/{theirs.id}", expect=404)
    assert hidden["error"]["code"] == "not_found"


def test_cases_need_a_token(client) -> None:
    assert client.get("/api/v1/cases").status_code == 401


def test_the_case_lists_the_documents_i_sign_and_no_one_elses(
    make_litigant, session: Session
) -> None:
    alice, bob = make_litigant(enrolled=False), make_litigant(enrolled=False)
    case = _give_case(session, alice.phone, "买卖合同纠纷", "(2026)浙0203民初8号")
    ids = {
        c.phone: c.call("GET", "/me")["id"] for c in (alice, bob)
    }  # the accounts behind the phones
    court_id = factories.court(session).id

    def document(title: str, signer: str, state: str) -> CourtDocument:
        row = CourtDocument(
            court_id=court_id,
            case_id=case.id,
            kind="mediation_agreement",
            title=title,
            state=state,
            short_code=new_id()[:12],
            current_sha256="0" * 64,
            signers=[{"field": "party-1", "role": "原告", "name": "x", "account_id": signer}],
            created_at=utcnow(),
        )
        session.add(row)
        return row

    older = document("调解协议书（旧）", ids[alice.phone], "superseded")
    current = document("调解协议书", ids[alice.phone], "awaiting_signatures")
    document("他人的文书", ids[bob.phone], "awaiting_signatures")
    session.commit()

    listed = alice.call("GET", f"/cases/{case.id}")["documents"]
    assert [(d["id"], d["source"], d["state"]) for d in listed] == [
        (older.id, "signing", "superseded"),
        (current.id, "signing", "awaiting_signatures"),
    ]
    assert listed[1]["pdf"] == f"/api/v1/documents/{current.id}/pdf"
