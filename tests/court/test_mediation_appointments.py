"""Consultation appointments with a mediator: slots, booking, no double booking, moves."""

from __future__ import annotations

import datetime as dt
import threading

import time_machine
from flask import Flask
from sqlmodel import Session, func, select

from court.audit import Actor
from court.mediation import directory
from court.mediation.models import Appointment, MediatorType
from tests import factories

# Monday 2026-12-07, 08:00 in Ningbo (00:00 UTC).
NOW = dt.datetime(2026, 12, 7, 0, 0, tzinfo=dt.UTC)
TUESDAY_10 = "2026-12-08T02:00:00Z"  # 10:00 China time
TUESDAY_1030 = "2026-12-08T02:30:00Z"


def _mediator(session: Session) -> str:
    mediator = directory.add_mediator(
        session,
        Actor.system("test"),
        name="周阿伯",
        type=MediatorType.COMMUNITY_ELDER,
        organisation="鼓楼街道老娘舅工作室",
        court_id=factories.court(session).id,
        areas=["simple_civil_commercial"],
    )
    session.commit()
    return mediator.id


def test_a_litigant_sees_free_slots_books_moves_and_cancels(
    client, make_litigant, session: Session
) -> None:
    with time_machine.travel(NOW, tick=False):
        mediator_id = _mediator(session)
        litigant = make_litigant(enrolled=False)
        slots = client.get(f"/api/v1/mediators/{mediator_id}/slots?day=2026-12-08").json["slots"]
        assert slots[0] == "2026-12-08T01:00:00Z"  # 9:00 in Ningbo
        assert len(slots) == 13  # 6 in the morning, 7 in the afternoon
        booked = litigant.call(
            "POST",
            f"/mediators/{mediator_id}/appointments",
            {"starts_at": TUESDAY_10, "topic": "邻里漏水纠纷咨询"},
        )
        free = client.get(f"/api/v1/mediators/{mediator_id}/slots?day=2026-12-08").json["slots"]
        assert TUESDAY_10 not in free
        moved = litigant.call(
            "POST", f"/appointments/{booked['id']}/move", {"starts_at": TUESDAY_1030}
        )
        assert moved["starts_at"] == TUESDAY_1030
        states = {a["id"]: a["state"] for a in litigant.call("GET", "/appointments")["items"]}
        assert states == {booked["id"]: "cancelled", moved["id"]: "booked"}
        # The freed slot can be booked again.
        again = litigant.call(
            "POST", f"/mediators/{mediator_id}/appointments", {"starts_at": TUESDAY_10}
        )
        assert litigant.call("POST", f"/appointments/{again['id']}/cancel")["state"] == "cancelled"
        cancelled_twice = litigant.call("POST", f"/appointments/{again['id']}/cancel", expect=409)
        assert cancelled_twice["error"]["code"] == "appointment_not_booked"
        # The old id of a moved appointment says what happened to it, not a mediation's state.
        old = litigant.call(
            "POST", f"/appointments/{booked['id']}/move", {"starts_at": TUESDAY_10}, expect=409
        )
        assert old["error"]["code"] == "appointment_not_booked"
        assert old["error"]["details"] == {"state": "cancelled"}


def test_slots_outside_hours_weekends_and_the_past_are_refused(
    client, make_litigant, session: Session
) -> None:
    with time_machine.travel(NOW, tick=False):
        mediator_id = _mediator(session)
        litigant = make_litigant(enrolled=False)
        for starts_at in (
            "2026-12-12T02:00:00Z",  # Saturday
            "2026-12-08T04:15:00Z",  # 12:15, lunch, and not on the half hour
            "2026-12-06T02:00:00Z",  # yesterday
            "2027-03-01T02:00:00Z",  # beyond 30 days
        ):
            reply = litigant.call(
                "POST",
                f"/mediators/{mediator_id}/appointments",
                {"starts_at": starts_at},
                expect=422,
            )
            assert reply["error"]["code"] == "not_a_slot"
        assert (
            client.get(f"/api/v1/mediators/{mediator_id}/slots?day=2026-12-12").json["slots"] == []
        )


def test_two_litigants_booking_one_slot_at_once_get_one_booking(
    app: Flask, make_litigant, session: Session
) -> None:
    with time_machine.travel(NOW, tick=True):
        mediator_id = _mediator(session)
        litigants = [make_litigant(enrolled=False) for _ in range(4)]
        barrier = threading.Barrier(4)
        statuses: list[int] = []

        def book(token: str) -> None:
            client = app.test_client()
            barrier.wait()
            reply = client.post(
                f"/api/v1/mediators/{mediator_id}/appointments",
                json={"starts_at": TUESDAY_10},
                headers={"Authorization": f"Bearer {token}"},
            )
            statuses.append(reply.status_code)

        threads = [threading.Thread(target=book, args=(lit.access_token,)) for lit in litigants]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
    assert sorted(statuses) == [201, 409, 409, 409]
    session.rollback()
    booked = session.exec(
        select(func.count()).select_from(Appointment).where(Appointment.state == "booked")
    ).one()
    assert booked == 1


def test_another_persons_appointment_cannot_be_touched(make_litigant, session: Session) -> None:
    with time_machine.travel(NOW, tick=False):
        mediator_id = _mediator(session)
        alice, bob = make_litigant(enrolled=False), make_litigant(enrolled=False)
        booked = alice.call(
            "POST", f"/mediators/{mediator_id}/appointments", {"starts_at": TUESDAY_10}
        )
        assert bob.call("POST", f"/appointments/{booked['id']}/cancel", expect=404)
        assert bob.call("GET", "/appointments")["items"] == []
