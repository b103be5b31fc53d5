"""Online mediation from request to a sealed agreement, and everything that may go wrong on
the way (R11–R16)."""

from __future__ import annotations

import datetime as dt
import threading
from typing import Any

import pytest
import time_machine
from flask import Flask
from flask.testing import FlaskClient
from sqlmodel import Session, col, select

from court.history import StateHistory
from court.mediation.models import Mediation, MediationDocument
from court.registry.models import CourtDocument, DocumentRevision
from litigant_client import ApiError, LitigantClient, WsgiTransport
from tests import factories
from tests.court.mediation_world import World, build


@pytest.fixture
def world(app: Flask, session: Session, make_litigant: Any) -> World:
    return build(app, session, make_litigant)


def _error(call: Any) -> tuple[int, dict[str, Any]]:
    with pytest.raises(ApiError) as caught:
        call()
    reply = caught.value.reply
    return reply.status, reply.body["error"]


def _verify(client: FlaskClient, pdf: bytes) -> dict[str, Any]:
    reply = client.post("/api/v1/verify", data=pdf, content_type="application/pdf")
    assert reply.status_code == 200, reply.get_data(as_text=True)
    return dict(reply.json["report"])


def _agreement(world: World, mediation_id: str) -> dict[str, Any]:
    papers = world.alice.call("GET", f"/mediations/{mediation_id}")["papers"]
    return next(p for p in papers if p["kind"] == "mediation_agreement" and p["current"])


def test_pre_filing_mediation_ends_in_a_sealed_agreement_that_verifies_and_is_confirmed(
    world: World, client: FlaskClient, session: Session
) -> None:
    mediation = world.request()
    assert mediation["state"] == "invited"
    assert mediation["stage"] == "pre_filing"
    # The respondent finds the invitation under their phone number and agrees.
    invitations = world.bob.call("GET", "/mediations")["items"]
    assert [m["id"] for m in invitations] == [mediation["id"]]
    agreed = world.bob.call(
        "POST",
        f"/mediations/{mediation['id']}/answer",
        {"agree": True, "service_address": "mini-app:孙大伟"},
    )
    assert agreed["state"] == "choosing"
    assert [d["rule"] for d in agreed["deadlines"]] == ["R11"]
    # One party's choice is not yet a joint choice.
    one = world.alice.call(
        "POST", f"/mediations/{mediation['id']}/choice", {"mediator_id": world.mediator_id}
    )
    assert one["state"] == "choosing"
    both = world.bob.call(
        "POST", f"/mediations/{mediation['id']}/choice", {"mediator_id": world.mediator_id}
    )
    assert both["state"] == "awaiting_acceptance"
    assert both["mediator_via"] == "chosen"

    mediator = world.staff_client(world.mediator_username)
    queue = mediator.get("/staff/mediations/").get_data(as_text=True)
    assert mediation["id"] in queue
    assert world.accept(mediation["id"], mediator).status_code == 302
    running = world.alice.call("GET", f"/mediations/{mediation['id']}")
    assert running["state"] == "in_progress"
    assert running["disclosure"] == "无"
    due = next(d for d in running["deadlines"] if d["rule"] == "R13")
    started = dt.datetime.now(dt.timezone(dt.timedelta(hours=8))).date()
    assert dt.date.fromisoformat(due["due"]) == started + dt.timedelta(days=30)

    # The parties and the mediator talk in the thread.
    world.alice.call("POST", f"/mediations/{mediation['id']}/messages", {"body": "我同意分期。"})
    page = f"/staff/mediations/{mediation['id']}"
    world.post_form(mediator, page, f"{page}/messages", body="请双方确认还款日期。")
    thread = world.bob.call("GET", f"/mediations/{mediation['id']}/messages")["items"]
    bodies = [m["body"] for m in thread]
    assert "我同意分期。" in bodies
    assert "请双方确认还款日期。" in bodies
    assert next(m for m in thread if m["body"] == "请双方确认还款日期。")["author"].startswith(
        "调解员"
    )

    assert world.issue_agreement(mediation["id"]).status_code == 302
    paper = _agreement(world, mediation["id"])
    assert paper["state"] == "awaiting_signatures"
    assert paper["my_field"] == "party-1"
    world.alice.sign_document(paper["document_id"])
    assert world.alice.call("GET", f"/mediations/{mediation['id']}")["state"] == "in_progress"
    world.bob.sign_document(paper["document_id"])
    # R14: the agreement takes effect at the last party's signature.
    done = world.alice.call("GET", f"/mediations/{mediation['id']}")
    assert done["state"] == "agreed"
    assert done["ground"] == "agreement"
    assert done["effective_at"] is not None

    # The mediator signs last (password again), and the court seals at once.
    document_page = f"/staff/documents/{paper['document_id']}"
    reply = world.post_form(
        mediator, document_page, f"{document_page}/sign", password=factories.STAFF_PASSWORD
    )
    assert reply.status_code == 302
    session.rollback()
    document = session.get(CourtDocument, paper["document_id"])
    assert document is not None
    assert document.state == "sealed"
    pdf = world.alice.download(f"/documents/{paper['document_id']}/pdf")
    report = _verify(client, pdf)
    assert report["indication"] == "TOTAL-PASSED", report
    assert report["registry_match"] is True
    assert [s["field_name"] for s in report["signatures"]] == [
        "party-1",
        "party-2",
        "mediator",
        "court-seal",
    ]

    # Judicial confirmation: both parties apply, a judge grants, the ruling is served.
    first = world.alice.call("POST", f"/mediations/{mediation['id']}/confirmation")
    assert first["confirmation"] == "applied"
    second = world.bob.call("POST", f"/mediations/{mediation['id']}/confirmation")
    assert second["confirmation"] == "pending"
    session.rollback()
    factories.staff(session, factories.Role.JUDGE, "judge-li")
    session.commit()
    judge = world.staff_client("judge-li")
    reply = world.post_form(
        judge,
        page,
        f"{page}/confirmation",
        grant="1",
        reasons="协议系双方自愿达成，内容不违反法律规定。",
        password=factories.STAFF_PASSWORD,
    )
    assert reply.status_code == 302, reply.get_data(as_text=True)
    assert world.alice.call("GET", f"/mediations/{mediation['id']}")["confirmation"] == "granted"
    inbox = world.bob.call("GET", "/inbox")["items"]
    ruling = next(i for i in inbox if i["kind"] == "confirmation_ruling")
    ruling_pdf = world.bob.download(f"/inbox/{ruling['id']}/document")
    assert _verify(client, ruling_pdf)["indication"] == "TOTAL-PASSED"


def test_a_party_of_another_mediation_learns_nothing_about_this_one(
    world: World, make_litigant: Any
) -> None:
    mediation_id = world.started()
    world.issue_agreement(mediation_id)
    document_id = _agreement(world, mediation_id)["document_id"]
    stranger = make_litigant(name="王五")
    for method, path, body in [
        ("GET", f"/mediations/{mediation_id}", None),
        ("GET", f"/mediations/{mediation_id}/messages", None),
        ("GET", f"/mediations/{mediation_id}/events", None),
        ("POST", f"/mediations/{mediation_id}/messages", {"body": "让我看看"}),
        ("POST", f"/mediations/{mediation_id}/choice", {"mediator_id": world.mediator_id}),
        ("GET", f"/documents/{document_id}", None),
    ]:
        status, error = _error(lambda m=method, p=path, b=body: stranger.call(m, p, b))
        assert status == 404, (path, error)
    assert stranger.call("GET", "/mediations")["items"] == []


def test_two_parties_signing_at_the_same_instant_both_end_up_signed_once(
    world: World, app: Flask, session: Session
) -> None:
    mediation_id = world.started()
    world.issue_agreement(mediation_id)
    document_id = _agreement(world, mediation_id)["document_id"]
    tasks = {}
    clients = {}
    for name, party in (("alice", world.alice), ("bob", world.bob)):
        # Each party on its own connection, as two phones are.
        clients[name] = LitigantClient(
            WsgiTransport(app.test_client()),
            access_token=party.access_token,
            device_id=party.device_id,
            key=party.key,
        )
        tasks[name] = party.call(
            "POST", f"/documents/{document_id}/signing", {"device_id": party.device_id}
        )
    results: dict[str, int] = {}
    barrier = threading.Barrier(2)

    def finish(name: str) -> None:
        import base64

        own = clients[name]
        barrier.wait()
        try:
            own.call(
                "POST",
                f"/documents/{document_id}/signing/{tasks[name]['preparation_id']}",
                {"signature": own.sign_digest(base64.b64decode(tasks[name]["digest"]))},
            )
            results[name] = 200
        except ApiError as exc:
            results[name] = exc.reply.status

    threads = [threading.Thread(target=finish, args=(n,)) for n in ("alice", "bob")]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    # Only one preparation is live at a time: at most one of the two completes, the
    # other is told its preparation is stale, and nothing signed is ever rewritten.
    assert sorted(results.values()) in ([200, 409], [409, 409]), results
    for name, party in (("alice", world.alice), ("bob", world.bob)):
        if results[name] != 200:
            party.sign_document(document_id)
    state = world.alice.call("GET", f"/mediations/{mediation_id}")
    assert state["state"] == "agreed"
    session.rollback()
    revisions = session.exec(
        select(DocumentRevision.reason)
        .where(DocumentRevision.document_id == document_id)
        .order_by(col(DocumentRevision.number))
    ).all()
    assert sorted(revisions[1:]) == ["signed:party-1", "signed:party-2"]
    moves = session.exec(
        select(StateHistory).where(
            StateHistory.entity_id == mediation_id, StateHistory.to_state == "agreed"
        )
    ).all()
    assert len(moves) == 1


def test_changing_the_terms_after_a_party_signed_makes_a_new_version_everyone_signs(
    world: World, client: FlaskClient, session: Session
) -> None:
    mediation_id = world.started()
    world.issue_agreement(mediation_id)
    first = _agreement(world, mediation_id)
    world.alice.sign_document(first["document_id"])
    session.rollback()
    signed_v1 = session.get(CourtDocument, first["document_id"])
    assert signed_v1 is not None
    v1_sha = signed_v1.current_sha256

    reply = world.issue_agreement(mediation_id, terms="被申请人分两期归还借款50000元。")
    assert reply.status_code == 302
    second = _agreement(world, mediation_id)
    assert second["document_id"] != first["document_id"]
    assert second["version"] == 2
    assert second["my_field"] == "party-1"
    session.rollback()
    old = session.get(CourtDocument, first["document_id"])
    assert old is not None
    assert old.state == "superseded"
    assert old.current_sha256 == v1_sha  # the signed revision was not touched
    # Signing the superseded version is refused; the mediation is not agreed by it.
    status, _ = _error(lambda: world.bob.sign_document(first["document_id"]))
    assert status == 403
    world.alice.sign_document(second["document_id"])
    world.bob.sign_document(second["document_id"])
    assert world.alice.call("GET", f"/mediations/{mediation_id}")["state"] == "agreed"
    # The superseded one says so when verified.
    pdf = world.alice.download(f"/documents/{first['document_id']}/pdf")
    assert _verify(client, pdf)["indication"] != "TOTAL-PASSED"
    # After every party signed, the terms can no longer be changed.
    reply = world.issue_agreement(mediation_id, terms="另行约定。")
    assert reply.status_code == 409


def test_a_party_refusing_to_sign_ends_the_mediation_on_that_ground(
    world: World, session: Session
) -> None:
    mediation_id = world.started()
    world.issue_agreement(mediation_id)
    document_id = _agreement(world, mediation_id)["document_id"]
    ended = world.bob.call(
        "POST", f"/mediations/{mediation_id}/agreement/refusal", {"reason": "金额不能接受"}
    )
    assert ended["state"] == "terminated"
    assert ended["ground"] == "party_refuses_to_sign"
    assert ended["ground_name"] == "当事人拒绝在调解协议上签名"
    status, _ = _error(lambda: world.alice.sign_document(document_id))
    assert status == 403
    session.rollback()
    document = session.get(CourtDocument, document_id)
    assert document is not None
    assert document.state == "revoked"


def test_personal_status_papers_are_refused_online_citing_r15_and_signed_in_person(
    world: World, session: Session
) -> None:
    mediation_id = world.started(cause="离婚纠纷")
    assert world.alice.call("GET", f"/mediations/{mediation_id}")["personal_status"] is True
    world.issue_agreement(mediation_id, terms="双方自愿离婚。")
    paper = _agreement(world, mediation_id)
    assert paper["in_person"] is True
    assert paper["my_field"] is None
    status, error = _error(
        lambda: world.alice.call(
            "POST",
            f"/documents/{paper['document_id']}/signing",
            {"device_id": world.alice.device_id},
        )
    )
    assert status == 409
    assert error["code"] == "in_person_signing_only"
    assert error["details"]["rule"] == "R15"
    assert "R15" in error["message"]
    # The mediator cannot sign it online either.
    mediator = world.staff_client(world.mediator_username)
    document_page = f"/staff/documents/{paper['document_id']}"
    reply = world.post_form(
        mediator, document_page, f"{document_page}/sign", password=factories.STAFF_PASSWORD
    )
    assert reply.status_code == 409
    # The clerk records the paper signed in person by uploading its scan.
    session.rollback()
    factories.staff(session, factories.Role.CLERK, "clerk-chen")
    session.commit()
    clerk = world.staff_client("clerk-chen")
    page = f"/staff/mediations/{mediation_id}"
    html = clerk.get(page).get_data(as_text=True)
    assert "登记当面签署" in html
    import io

    bad = clerk.post(
        f"{page}/wet-ink/{paper['document_id']}",
        data={
            "csrf_token": factories.csrf_token(html),
            "scan": (io.BytesIO(b"not a scan"), "s.jpg"),
        },
        content_type="multipart/form-data",
    )
    assert bad.status_code == 422
    scan = factories.document_photo()
    good = clerk.post(
        f"{page}/wet-ink/{paper['document_id']}",
        data={"csrf_token": factories.csrf_token(html), "scan": (io.BytesIO(scan), "scan.jpg")},
        content_type="multipart/form-data",
    )
    assert good.status_code == 302, good.get_data(as_text=True)
    state = world.alice.call("GET", f"/mediations/{mediation_id}")
    assert state["state"] == "agreed"
    # Judicial confirmation is never for a personal-status relation.
    status, error = _error(
        lambda: world.alice.call("POST", f"/mediations/{mediation_id}/confirmation")
    )
    assert status == 409
    assert error["details"]["rule"] == "R15"


def test_a_mediator_cannot_accept_a_mediation_assigned_to_someone_else(world: World) -> None:
    mediation = world.request()
    world.agree_and_choose(mediation["id"])
    other = world.staff_client("mediator-zhou")
    page = f"/staff/mediations/{mediation['id']}"
    assert other.get(page).status_code == 404
    html = other.get("/staff/mediations/").get_data(as_text=True)
    reply = other.post(
        f"{page}/accept", data={"csrf_token": factories.csrf_token(html), "disclosure": "无"}
    )
    assert reply.status_code == 404
    assert world.alice.call("GET", f"/mediations/{mediation['id']}")["state"] == (
        "awaiting_acceptance"
    )


def test_an_invited_party_whose_verified_name_differs_cannot_answer(
    world: World, make_litigant: Any, client: FlaskClient, inbox: Any
) -> None:
    mediation = world.request(respondents=[{"name": "赵六", "phone": world.bob.phone}])
    status, error = _error(
        lambda: world.bob.call("POST", f"/mediations/{mediation['id']}/answer", {"agree": True})
    )
    assert status == 403
    assert error["code"] == "not_invited"
    assert world.alice.call("GET", f"/mediations/{mediation['id']}")["state"] == "invited"


def test_declining_the_invitation_ends_it_and_bad_requests_change_nothing(
    world: World, session: Session
) -> None:
    status, _ = _error(lambda: world.alice.call("POST", "/mediations", {"cause_id": 1}))
    assert status == 422
    status, _ = _error(
        lambda: world.request(respondents=[{"name": "自己", "phone": world.alice.phone}])
    )
    assert status == 422
    status, _ = _error(lambda: world.request(cause_id=999_999))
    assert status == 422
    session.rollback()
    assert session.exec(select(Mediation)).all() == []
    mediation = world.request()
    declined = world.bob.call("POST", f"/mediations/{mediation['id']}/answer", {"agree": False})
    assert declined["state"] == "declined"
    assert declined["ground"] == "party_refuses_to_continue"
    status, _ = _error(
        lambda: world.alice.call(
            "POST", f"/mediations/{mediation['id']}/choice", {"mediator_id": world.mediator_id}
        )
    )
    assert status == 409


# Monday 2026-12-07 09:00 in Ningbo.
MONDAY = dt.datetime(2026, 12, 7, 1, 0, tzinfo=dt.UTC)


def test_acting_after_each_deadline_is_refused_and_the_sweep_applies_them(
    world: World, app: Flask, session: Session
) -> None:
    from court import components
    from court.db import get_engine, unit_of_work
    from court.mediation import services

    with time_machine.travel(MONDAY, tick=False):
        world.refresh()
        mediation = world.request()
        world.bob.call("POST", f"/mediations/{mediation['id']}/answer", {"agree": True})
    # R11: 2 working days to choose: until Wednesday; on Thursday the choice is closed.
    with time_machine.travel(MONDAY + dt.timedelta(days=3), tick=False):
        world.refresh()
        status, error = _error(
            lambda: world.alice.call(
                "POST",
                f"/mediations/{mediation['id']}/choice",
                {"mediator_id": world.mediator_id},
            )
        )
        assert status == 409
        assert error["code"] == "deadline_passed"
        assert error["details"] == {"rule": "R11", "due": "2026-12-09"}
        with app.app_context(), unit_of_work(get_engine(app)) as s:
            report = services.sweep(s, components.working_calendar())
        assert report.to_assignment == 1
        # The court assigns; the mediator then has 3 working days (to Tuesday).
        session.rollback()
        factories.staff(session, factories.Role.CLERK, "clerk-chen")
        session.commit()
        clerk = world.staff_client("clerk-chen")
        page = f"/staff/mediations/{mediation['id']}"
        reply = world.post_form(clerk, page, f"{page}/assign", mediator_id=world.mediator_id)
        assert reply.status_code == 302, reply.get_data(as_text=True)
    with time_machine.travel(MONDAY + dt.timedelta(days=8), tick=False):  # next Tuesday
        world.refresh()
        assert world.accept(mediation["id"]).status_code == 302
        state = world.alice.call("GET", f"/mediations/{mediation['id']}")
        assert state["mediator_via"] == "assigned"
        assert next(d for d in state["deadlines"] if d["rule"] == "R13")["due"] == "2027-01-14"
    # A reminder three days before the limit, once.
    with time_machine.travel(dt.datetime(2027, 1, 11, 1, 0, tzinfo=dt.UTC), tick=False):
        world.refresh()
        with app.app_context(), unit_of_work(get_engine(app)) as s:
            assert services.sweep(s, components.working_calendar()).reminded == 1
        with app.app_context(), unit_of_work(get_engine(app)) as s:
            assert services.sweep(s, components.working_calendar()).reminded == 0
        thread = world.alice.call("GET", f"/mediations/{mediation['id']}/messages")["items"]
        assert any("2027-01-14" in m["body"] and "R13" in m["body"] for m in thread)
    # R13: after the limit nobody may act, and the sweep terminates it.
    with time_machine.travel(dt.datetime(2027, 1, 15, 1, 0, tzinfo=dt.UTC), tick=False):
        world.refresh()
        status, error = _error(
            lambda: world.alice.call(
                "POST", f"/mediations/{mediation['id']}/messages", {"body": "还在吗？"}
            )
        )
        assert status == 409
        assert error["details"]["rule"] == "R13"
        with app.app_context(), unit_of_work(get_engine(app)) as s:
            assert services.sweep(s, components.working_calendar()).expired == 1
        ended = world.alice.call("GET", f"/mediations/{mediation['id']}")
        assert ended["state"] == "terminated"
        assert ended["ground"] == "time_expired"


def test_an_extension_applies_only_when_every_party_agrees(world: World) -> None:
    mediation_id = world.started()
    before = world.alice.call("GET", f"/mediations/{mediation_id}")
    due = dt.date.fromisoformat(next(d for d in before["deadlines"] if d["rule"] == "R13")["due"])
    proposed = world.alice.call("POST", f"/mediations/{mediation_id}/extension", {"days": 10})
    assert proposed["extension_proposed"] == 10
    assert next(d for d in proposed["deadlines"] if d["rule"] == "R13")["due"] == due.isoformat()
    status, _ = _error(
        lambda: world.bob.call("POST", f"/mediations/{mediation_id}/extension", {"days": 5})
    )
    assert status == 422
    agreed = world.bob.call("POST", f"/mediations/{mediation_id}/extension", {"days": 10})
    assert agreed["extended_days"] == 10
    assert agreed["extension_proposed"] is None
    new_due = next(d for d in agreed["deadlines"] if d["rule"] == "R13")["due"]
    assert dt.date.fromisoformat(new_due) == due + dt.timedelta(days=10)


def test_a_party_asks_to_change_mediator_and_the_court_assigns_another(
    world: World, session: Session
) -> None:
    mediation_id = world.started()
    world.alice.call(
        "POST", f"/mediations/{mediation_id}/change-request", {"reason": "调解员与对方相识"}
    )
    status, _ = _error(
        lambda: world.bob.call(
            "POST", f"/mediations/{mediation_id}/change-request", {"reason": "我也要换"}
        )
    )
    assert status == 409
    session.rollback()
    factories.staff(session, factories.Role.CLERK, "clerk-chen")
    session.commit()
    clerk = world.staff_client("clerk-chen")
    page = f"/staff/mediations/{mediation_id}"
    html = clerk.get(page).get_data(as_text=True)
    assert "调解员与对方相识" in html
    from court.mediation.models import ChangeRequest

    session.rollback()
    change = session.exec(select(ChangeRequest)).one()
    reply = world.post_form(clerk, page, f"/staff/mediations/changes/{change.id}", grant="1")
    assert reply.status_code == 302
    assert world.alice.call("GET", f"/mediations/{mediation_id}")["state"] == (
        "awaiting_assignment"
    )
    world.post_form(clerk, page, f"{page}/assign", mediator_id=world.other_mediator_id)
    assert world.accept(mediation_id, world.staff_client("mediator-zhou")).status_code == 302
    state = world.alice.call("GET", f"/mediations/{mediation_id}")
    assert state["state"] == "in_progress"
    assert state["mediator_id"] == world.other_mediator_id
    # The first mediator no longer sees it.
    assert world.staff_client(world.mediator_username).get(page).status_code == 404


def test_joining_a_session_needs_a_fresh_re_verification(world: World, session: Session) -> None:
    mediation_id = world.started()
    mediator = world.staff_client(world.mediator_username)
    page = f"/staff/mediations/{mediation_id}"
    soon = (dt.datetime.now(dt.UTC) + dt.timedelta(hours=2)).astimezone(
        dt.timezone(dt.timedelta(hours=8))
    )
    world.post_form(mediator, page, f"{page}/sessions", starts_at=soon.strftime("%Y-%m-%dT%H:%M"))
    meeting = world.alice.call("GET", f"/mediations/{mediation_id}")["sessions"][0]
    join = f"/mediations/{mediation_id}/sessions/{meeting['id']}/join"
    status, _ = _error(lambda: world.alice.call("POST", join))
    assert status == 409  # not open yet
    world.post_form(mediator, page, f"{page}/sessions/{meeting['id']}/open")
    status, error = _error(lambda: world.alice.call("POST", join))
    assert status == 403
    assert error["code"] == "reverification_required"
    world.alice.reverify("mediation")
    world.alice.call("POST", join)
    from court.mediation.models import Attendance

    session.rollback()
    rows = session.exec(select(Attendance)).all()
    assert len(rows) == 1
    assert rows[0].reverification_id is not None


def test_attachments_are_checked_kept_and_readable_only_by_the_parties(
    world: World, session: Session, make_litigant: Any
) -> None:
    from court.threads.models import Attachment

    mediation_id = world.started()
    base = f"/api/v1/mediations/{mediation_id}/attachments"
    headers = {
        "Authorization": f"Bearer {world.alice.access_token}",
        "Content-Type": "application/octet-stream",
    }
    transport = world.alice.transport
    refused = transport.send("POST", base + "?name=x.exe", b"MZ\x90\x00 not a photo", headers)
    assert refused.status == 422
    session.rollback()
    assert session.exec(select(Attachment)).all() == []
    photo = factories.document_photo(width=600, height=800)
    kept = transport.send("POST", base + "?name=借条.jpg", photo, headers)
    assert kept.status == 201, kept.body
    attachment = kept.body
    assert attachment["media_type"] == "image/jpeg"
    message = world.alice.call(
        "POST",
        f"/mediations/{mediation_id}/messages",
        {"body": "借条照片", "attachment_id": attachment["id"]},
    )
    assert message["attachment"]["name"] == "借条.jpg"
    got = world.bob.download(f"/mediations/{mediation_id}/attachments/{attachment['id']}")
    assert got == photo
    stranger = make_litigant(name="王五")
    with pytest.raises(ApiError):
        stranger.download(f"/mediations/{mediation_id}/attachments/{attachment['id']}")


def test_in_case_mediation_invites_the_case_parties_and_runs_on_the_simple_limit(
    world: World, session: Session
) -> None:
    from court.cases.models import Case, CaseParty, CaseState, Procedure

    court = factories.court(session)
    alice_id = world.alice.call("GET", "/me")["id"]
    bob_id = world.bob.call("GET", "/me")["id"]
    case = Case(
        court_id=court.id,
        case_number="(2026)浙0203民初9号",
        title="刘小明诉孙大伟民间借贷纠纷",
        procedure=Procedure.SIMPLE.value,
        state=CaseState.REGISTERED.value,
        created_at=dt.datetime.now(dt.UTC),
    )
    session.add(case)
    session.flush()
    session.add(CaseParty(case_id=case.id, account_id=alice_id, role="plaintiff", name="刘小明"))
    session.add(CaseParty(case_id=case.id, account_id=bob_id, role="defendant", name="孙大伟"))
    session.commit()
    mediation = world.request(case_id=case.id, respondents=[])
    assert mediation["stage"] == "in_case"
    assert [p["name"] for p in mediation["parties"]] == ["刘小明", "孙大伟"]
    world.agree_and_choose(mediation["id"])
    world.accept(mediation["id"])
    state = world.alice.call("GET", f"/mediations/{mediation['id']}")
    due = dt.date.fromisoformat(next(d for d in state["deadlines"] if d["rule"] == "R13")["due"])
    started = dt.datetime.now(dt.timezone(dt.timedelta(hours=8))).date()
    assert due == started + dt.timedelta(days=7)
    session.rollback()
    assert session.get(Case, case.id).state == "in_mediation"
    # Ending without agreement sends the case on to trial, with the failure record.
    mediator = world.staff_client(world.mediator_username)
    page = f"/staff/mediations/{mediation['id']}"
    reply = world.post_form(
        mediator,
        page,
        f"{page}/close",
        ground="positions_too_far_apart",
        undisputed_facts="借款五万元的事实无争议。",
        cost_conduct="被申请人三次无故缺席调解。",
    )
    assert reply.status_code == 302
    ended = world.alice.call("GET", f"/mediations/{mediation['id']}")
    assert ended["state"] == "terminated"
    assert ended["undisputed_facts"] == "借款五万元的事实无争议。"
    session.rollback()
    assert session.get(Case, case.id).state == "in_trial"
    assert session.exec(select(MediationDocument)).all() == []


def test_a_mediator_declines_with_reasons_and_the_court_assigns_another(
    world: World, session: Session
) -> None:
    mediation = world.request()
    world.agree_and_choose(mediation["id"])
    mediator = world.staff_client(world.mediator_username)
    page = f"/staff/mediations/{mediation['id']}"
    no_reason = world.post_form(mediator, page, f"{page}/decline", reason=" ")
    assert no_reason.status_code == 422
    reply = world.post_form(mediator, page, f"{page}/decline", reason="与被申请人系同事关系")
    assert reply.status_code == 302
    state = world.alice.call("GET", f"/mediations/{mediation['id']}")
    assert state["state"] == "awaiting_assignment"
    assert state["mediator_id"] is None
    thread = world.alice.call("GET", f"/mediations/{mediation['id']}/messages")
    assert any("与被申请人系同事关系" in m["body"] for m in thread["items"])
    assert mediator.get(page).status_code == 404


def test_the_mediator_sees_the_materials_the_parties_attached(world: World) -> None:
    mediation_id = world.started()
    photo = factories.document_photo(width=600, height=800)
    kept = world.alice.transport.send(
        "POST",
        f"/api/v1/mediations/{mediation_id}/attachments?name=转账记录.png",
        photo,
        {
            "Authorization": f"Bearer {world.alice.access_token}",
            "Content-Type": "application/octet-stream",
        },
    )
    assert kept.status == 201
    mediator = world.staff_client(world.mediator_username)
    html = mediator.get(f"/staff/mediations/{mediation_id}").get_data(as_text=True)
    assert "转账记录.png" in html
    download = mediator.get(f"/staff/mediations/{mediation_id}/attachments/{kept.body['id']}")
    assert download.data == photo
