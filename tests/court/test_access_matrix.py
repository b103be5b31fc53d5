"""Every API endpoint × every kind of caller × own or another's resource, generated from the
route table, so that a new endpoint cannot be left out: only what is allowed succeeds."""

from __future__ import annotations

import re
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlmodel import Session, select

from court.api import api
from court.api.catalogue import API_MODULES
from court.cases.models import CaseParty
from court.hearing.models import SelfTest
from court.registry.models import CourtDocument
from litigant_client import Filing, LitigantClient
from tests import factories
from tests.court.hearing_world import FAVOURABLE, Court
from tests.court.mediation_world import build

assert API_MODULES  # every API module is imported, so every route is in the table
STREAMS = re.compile(r"/events$")
#: GET endpoints whose answer depends on the resource's state, not only on ownership.
STATEFUL_GETS = {"/submissions/<submission_id>/packet"}
ACCEPTED = {"Accept": "application/json"}


def _upload(party: LitigantClient, path: str, data: bytes) -> dict[str, Any]:
    reply = party.transport.send(
        "POST",
        f"/api/v1{path}",
        data,
        {
            "Authorization": f"Bearer {party.access_token}",
            "Content-Type": "application/octet-stream",
        },
    )
    assert reply.status == 201, reply.body
    return dict(reply.body)


@pytest.fixture
def owned(
    app: Flask, session: Session, make_litigant: Any
) -> tuple[LitigantClient, dict[str, str]]:
    """Litigant A and an id of theirs for every path parameter the API has."""
    world = build(app, session, make_litigant)
    alice = world.alice
    mediation_id = world.started()
    world.issue_agreement(mediation_id)
    page = f"/staff/mediations/{mediation_id}"
    mediator = world.staff_client(world.mediator_username)
    import datetime as dt

    soon = (dt.datetime.now(dt.UTC) + dt.timedelta(hours=2)).astimezone(
        dt.timezone(dt.timedelta(hours=8))
    )
    world.post_form(mediator, page, f"{page}/sessions", starts_at=soon.strftime("%Y-%m-%dT%H:%M"))
    mediation = alice.call("GET", f"/mediations/{mediation_id}")
    document_id = next(p["document_id"] for p in mediation["papers"])
    photo = factories.document_photo(width=400, height=600)
    ids = {
        "mediation_id": mediation_id,
        "session_id": mediation["sessions"][0]["id"],
        "document_id": document_id,
        "preparation_id": alice.call(
            "POST", f"/documents/{document_id}/signing", {"device_id": alice.device_id}
        )["preparation_id"],
        "mediator_id": world.mediator_id,
        "device_id": alice.device_id or "",
    }
    mediation_attachment = _upload(
        alice, f"/mediations/{mediation_id}/attachments?name=a.jpg", photo
    )
    ids["attachment_id"] = mediation_attachment["id"]
    # A consultation with the mediator.
    court_day = dt.date.today() + dt.timedelta(days=1)
    slot = None
    for offset in range(1, 10):
        day = dt.date.today() + dt.timedelta(days=offset)
        free = alice.call("GET", f"/mediators/{world.mediator_id}/slots?day={day.isoformat()}")[
            "slots"
        ]
        if free:
            slot = free[0]
            break
    assert slot, court_day
    ids["appointment_id"] = alice.call(
        "POST", f"/mediators/{world.mediator_id}/appointments", {"starts_at": slot, "topic": "咨询"}
    )["id"]
    # A case and a hearing with A as plaintiff (its notice lands in A's inbox).
    court = Court(app, session, make_litigant, parties=(alice, world.bob))
    hearing_id = court.schedule()
    court.findings(hearing_id, FAVOURABLE)
    court.self_test_passed(alice, hearing_id)
    session.rollback()
    ids["test_id"] = session.exec(select(SelfTest)).one().id
    ids["hearing_id"] = hearing_id
    ids["attachment_id@/hearings"] = _upload(
        alice, f"/hearings/{hearing_id}/attachments?name=h.jpg", photo
    )["id"]
    ids["attachment_id@/appointments"] = _upload(
        alice, f"/appointments/{ids['appointment_id']}/attachments?name=c.jpg", photo
    )["id"]
    ids["case_id"] = court.case_id
    # A party of that case the court notified at A's number, not yet linked.
    session.rollback()
    invited = CaseParty(
        case_id=court.case_id,
        role="third_party",
        name="第三人",
        phone=alice.phone,
        notified_at=dt.datetime.now(dt.UTC),
    )
    session.add(invited)
    session.commit()
    ids["party_id"] = invited.id
    ids["served_id"] = alice.call("GET", "/inbox")["items"][0]["id"]
    # A submission with an upload under way.
    filing = Filing(alice)
    submission = filing.open("complaint", details={"claims": ["归还借款"]})
    ids["submission_id"] = submission["id"]
    location = filing.start_page(submission["id"], photo)
    ids["upload_id"] = location.rsplit("/", 1)[-1]
    ids["code"] = session.get(CourtDocument, document_id).short_code
    return alice, ids


def _path(rule: str, ids: dict[str, str]) -> str:
    def fill(match: re.Match[str]) -> str:
        name = match.group(1)
        # A resource that lives inside another (an attachment in a thread) has one per kind.
        scoped = f"{name}@/{rule.split('/')[1]}"
        if scoped in ids:
            return ids[scoped]
        assert name in ids, f"the access matrix has no resource for <{name}>: add one"
        return ids[name]

    return re.sub(r"<([^>]+)>", fill, rule)


def _call(client: FlaskClient, method: str, path: str, token: str | None) -> int:
    headers = dict(ACCEPTED)
    if token:
        headers["Authorization"] = f"Bearer {token}"
    url = f"/api/v1{path}"
    if method in ("GET", "HEAD"):
        response = client.open(url, method=method, headers=headers, buffered=False)
    else:
        response = client.open(url, method=method, headers=headers, json={}, buffered=False)
    status = response.status_code
    response.close()  # a live stream is not read to its end
    return status


def test_every_endpoint_for_every_caller(
    app: Flask,
    client: FlaskClient,
    session: Session,
    make_litigant: Any,
    owned: tuple[LitigantClient, dict[str, str]],
) -> None:
    owner, ids = owned
    stranger = make_litigant(name="王五")
    session.rollback()
    factories.staff(session, factories.Role.CLERK, "matrix-clerk")
    session.commit()
    staff = factories.signed_in(app.test_client(), "matrix-clerk")
    checked = 0
    for op in api.operations:
        path = _path(op.rule, ids)
        where = f"{op.method} {op.rule}"
        anonymous = _call(client, op.method, path, None)
        as_staff = _call(staff, op.method, path, None)  # a staff cookie is not an API token
        if op.roles is None:
            assert anonymous not in (401, 403), where
        else:
            assert anonymous == 401, (where, anonymous)
            assert as_staff == 401, (where, as_staff)
        if "<" not in op.rule or op.roles is None:
            checked += 1
            continue
        # Another litigant never succeeds on A's resources, and learns nothing from a read.
        theirs = _call(client, op.method, path, stranger.access_token)
        assert not 200 <= theirs < 300, (where, theirs)
        if op.method == "GET":
            assert theirs == 404, (where, theirs)
            mine = _call(client, op.method, path, owner.access_token)
            if op.rule not in STATEFUL_GETS:
                assert 200 <= mine < 300, (where, mine)  # the ids are real: the check means it
        checked += 1
    assert checked == len(api.operations)


def test_every_staff_page_for_every_role(app: Flask, session: Session) -> None:
    """Every staff page and form, generated from the URL map: an anonymous visitor is sent
    to sign in, a staff member of another role is refused (403), and a permitted role never
    gets a server error (with unknown ids: not found; forms without a CSRF token: 400)."""
    from court.web.auth import STAFF_ROLE_NAMES

    for role in STAFF_ROLE_NAMES:
        factories.staff(session, factories.Role(role), f"matrix-{role}")
    session.commit()
    browsers = {
        role: factories.signed_in(app.test_client(), f"matrix-{role}") for role in STAFF_ROLE_NAMES
    }
    anonymous = app.test_client()
    checked = 0
    for rule in app.url_map.iter_rules():
        view = app.view_functions[rule.endpoint]
        roles = getattr(view, "staff_roles", None)
        if roles is None:
            assert not rule.rule.startswith("/staff/") or rule.rule in ("/staff/sign-in",), (
                f"{rule.rule} is a staff page without staff_required"
            )
            continue
        path = re.sub(r"<(?:[^:>]+:)?([^>]+)>", "unknown", rule.rule)
        for method in sorted((rule.methods or set()) - {"HEAD", "OPTIONS"}):
            where = f"{method} {rule.rule}"
            reply = anonymous.open(path, method=method)
            if method == "GET":
                assert reply.status_code == 302, where
                assert "/staff/sign-in" in reply.headers["Location"], where
            else:
                assert reply.status_code in (302, 400), where  # CSRF first, or sign in
            for role, browser in browsers.items():
                response = browser.open(path, method=method, buffered=False)
                status = response.status_code
                response.close()
                if role in roles:
                    assert status < 500, (where, role, status)
                elif method == "GET":
                    assert status == 403, (where, role, status)
            checked += 1
    assert checked > 40
