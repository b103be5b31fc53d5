"""A consultation booked with a mediator has its own thread: the litigant on the phone, the
mediator in the browser, nobody else."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
import time_machine
from flask import Flask
from sqlmodel import Session

from litigant_client import ApiError
from tests.court.mediation_world import build

# Monday 2026-12-07, 08:00 in Ningbo.
NOW = dt.datetime(2026, 12, 7, 0, 0, tzinfo=dt.UTC)


def test_a_consultation_thread_between_the_litigant_and_the_mediator(
    app: Flask, session: Session, make_litigant: Any
) -> None:
    with time_machine.travel(NOW, tick=False):
        world = build(app, session, make_litigant)
        booked = world.alice.call(
            "POST",
            f"/mediators/{world.mediator_id}/appointments",
            {"starts_at": "2026-12-08T02:00:00Z", "topic": "借款纠纷咨询"},
        )
        world.alice.call(
            "POST", f"/appointments/{booked['id']}/messages", {"body": "借条丢了还能主张吗？"}
        )
        mediator = world.staff_client(world.mediator_username)
        listing = mediator.get("/staff/mediations/consultations/").get_data(as_text=True)
        assert "借款纠纷咨询" in listing
        page = f"/staff/mediations/consultations/{booked['id']}"
        reply = world.post_form(
            mediator, page, f"{page}/messages", body="可以提供转账记录等其他证据。"
        )
        assert reply.status_code == 302
        thread = world.alice.call("GET", f"/appointments/{booked['id']}/messages")["items"]
        assert [m["body"] for m in thread] == [
            "借条丢了还能主张吗？",
            "可以提供转账记录等其他证据。",
        ]
        assert thread[1]["author"].startswith("调解员")
        assert thread[0]["mine"] is True

        # Nobody else reads it: another litigant, another mediator.
        with pytest.raises(ApiError) as caught:
            world.bob.call("GET", f"/appointments/{booked['id']}/messages")
        assert caught.value.reply.status == 404
        assert world.staff_client("mediator-zhou").get(page).status_code == 404

        # A cancelled consultation takes no more messages.
        world.alice.call("POST", f"/appointments/{booked['id']}/cancel")
        with pytest.raises(ApiError) as caught:
            world.alice.call("POST", f"/appointments/{booked['id']}/messages", {"body": "在吗"})
        assert caught.value.reply.status == 409
