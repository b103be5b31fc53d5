"""The published mediator directory (R10): filters, publishing, complaints (OMR 29)."""

from __future__ import annotations

import re

from flask import Flask
from flask.testing import FlaskClient
from sqlmodel import Session

from court.accounts.models import Role
from court.audit import Actor
from court.mediation import directory
from court.mediation.models import MediatorType
from tests import factories

ADMIN = Actor(account_id=None, role="admin")


def _roster(session: Session) -> dict[str, str]:
    court = factories.court(session)
    made = {}
    for name, kind, areas, fee, languages in (
        (
            "周阿伯",
            MediatorType.COMMUNITY_ELDER,
            ["simple_civil_commercial"],
            False,
            ["普通话", "宁波话"],
        ),
        (
            "陈律师",
            MediatorType.LAWYER,
            ["simple_civil_commercial", "P04"],
            True,
            ["普通话", "English"],
        ),
        ("王大姐", MediatorType.WOMENS_FEDERATION, ["personal_status"], False, ["普通话"]),
    ):
        mediator = directory.add_mediator(
            session,
            ADMIN,
            name=name,
            type=kind,
            organisation="海曙区调解中心",
            court_id=court.id,
            areas=areas,
            charges_fee=fee,
            languages=languages,
            expertise=f"{name}擅长邻里纠纷",
        )
        made[name] = mediator.id
    session.commit()
    return made


def _names(client: FlaskClient, query: str) -> list[str]:
    reply = client.get(f"/api/v1/mediators{query}")
    assert reply.status_code == 200, reply.json
    return [m["name"] for m in reply.json["items"]]


def test_the_directory_publishes_what_r10_requires_and_filters(
    client: FlaskClient, session: Session
) -> None:
    _roster(session)
    everyone = client.get("/api/v1/mediators").json
    assert everyone["total"] == 3
    elder = next(m for m in everyone["items"] if m["name"] == "周阿伯")
    assert elder["type_name"] == "老娘舅（社区调解员）"
    assert elder["languages"] == ["普通话", "宁波话"]
    assert elder["charges_fee"] is False
    assert elder["court_id"]  # the inviting court is published
    assert set(_names(client, "?area=personal_status")) == {"王大姐"}
    assert set(_names(client, "?area=simple_civil_commercial&fee=free")) == {"周阿伯"}
    assert _names(client, "?type=lawyer") == ["陈律师"]
    assert _names(client, "?language=宁波话") == ["周阿伯"]
    assert _names(client, "?q=陈") == ["陈律师"]
    page = client.get("/api/v1/mediators?limit=2&offset=2").json
    assert page["total"] == 3
    assert len(page["items"]) == 1


def test_bad_filters_are_refused(client: FlaskClient) -> None:
    assert client.get("/api/v1/mediators?type=wizard").status_code == 422
    assert client.get("/api/v1/mediators?limit=1000").status_code == 422
    assert client.get("/api/v1/mediators?colour=red").status_code == 422


def test_a_litigant_complains_and_the_administrator_sees_it(
    app: Flask, make_litigant, session: Session
) -> None:
    made = _roster(session)
    litigant = make_litigant(enrolled=False)
    reply = litigant.call(
        "POST", f"/mediators/{made['陈律师']}/complaints", {"text": "调解时态度粗暴，偏袒对方"}
    )
    assert reply["mediator_id"] == made["陈律师"]
    assert litigant.call(
        "POST", "/mediators/nope/complaints", {"text": "不存在的调解员"}, expect=404
    )
    session.rollback()
    factories.staff(session, Role.ADMIN, "admin1")
    session.commit()
    admin = app.test_client()
    factories.signed_in(admin, "admin1")
    roster = admin.get("/staff/mediators/").get_data(as_text=True)
    assert "调解时态度粗暴" in roster


def test_the_administrator_manages_the_roster(
    app: Flask, client: FlaskClient, session: Session
) -> None:
    made = _roster(session)
    factories.staff(session, Role.ADMIN, "admin1")
    factories.staff(session, Role.CLERK, "clerk1")
    session.commit()
    admin = app.test_client()
    factories.signed_in(admin, "admin1")
    token = re.search(
        r'name="csrf_token" value="([^"]+)"', admin.get("/staff/mediators/").get_data(as_text=True)
    ).group(1)
    added = admin.post(
        "/staff/mediators/",
        data={
            "csrf_token": token,
            "name": "李特邀",
            "type": "invited",
            "organisation": "宁波仲裁委",
            "areas": "P04",
            "languages": "普通话",
        },
    )
    assert added.status_code == 302
    assert "李特邀" in _names(client, "?type=invited")
    bad = admin.post(
        "/staff/mediators/",
        data={"csrf_token": token, "name": "x", "type": "wizard", "organisation": "y"},
    )
    assert bad.status_code == 422
    hidden = admin.post(
        f"/staff/mediators/{made['周阿伯']}/active", data={"csrf_token": token, "active": "0"}
    )
    assert hidden.status_code == 302
    assert "周阿伯" not in _names(client, "")
    assert client.get(f"/api/v1/mediators/{made['周阿伯']}").status_code == 404
    clerk = app.test_client()
    factories.signed_in(clerk, "clerk1")
    assert clerk.get("/staff/mediators/").status_code == 403
