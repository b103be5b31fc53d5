"""Messages reach the other side live, over real HTTP, as server-sent events."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from typing import Any

import pytest
import requests
from flask import Flask
from sqlmodel import Session

from court.threads.api import event_stream
from court.threads.services import Thread
from tests.court.mediation_world import World, build


@pytest.fixture
def world(app: Flask, session: Session, make_litigant: Any) -> World:
    return build(app, session, make_litigant)


def _events(lines: Iterator[str]) -> Iterator[dict[str, Any]]:
    """Parse a text/event-stream: yield each event's id and data."""
    event: dict[str, Any] = {}
    for line in lines:
        if line == "":
            if "data" in event:
                yield event
            event = {}
        elif line.startswith("id: "):
            event["id"] = int(line[4:])
        elif line.startswith("data: "):
            event["data"] = json.loads(line[6:])


def test_a_message_posted_by_one_party_reaches_the_other_live_and_resumes_by_id(
    world: World, live_server: str
) -> None:
    mediation_id = world.started()
    url = f"{live_server}/api/v1/mediations/{mediation_id}/events"
    headers = {"Authorization": f"Bearer {world.alice.access_token}"}
    received: list[dict[str, Any]] = []
    got_it = threading.Event()

    with requests.get(url, headers=headers, stream=True, timeout=(5, 20)) as stream:
        assert stream.status_code == 200
        assert stream.headers["Content-Type"].startswith("text/event-stream")

        def read() -> None:
            for event in _events(stream.iter_lines(decode_unicode=True)):
                received.append(event)
                if event["data"]["body"] == "我方同意分两期付款。":
                    got_it.set()
                    return

        reader = threading.Thread(target=read, daemon=True)
        reader.start()
        world.bob.call(
            "POST", f"/mediations/{mediation_id}/messages", {"body": "我方同意分两期付款。"}
        )
        assert got_it.wait(15), received
    last = received[-1]
    assert last["data"]["author"] == "孙大伟"
    assert last["data"]["mine"] is False
    # The earlier system lines came first, in order.
    ids = [e["id"] for e in received]
    assert ids == sorted(ids)
    assert len(ids) >= 2

    # Reconnecting with Last-Event-ID gives only what came after.
    world.alice.call("POST", f"/mediations/{mediation_id}/messages", {"body": "好的。"})
    with requests.get(
        url, headers={**headers, "Last-Event-ID": str(last["id"])}, stream=True, timeout=(5, 20)
    ) as stream:
        first = next(_events(stream.iter_lines(decode_unicode=True)))
    assert first["data"]["body"] == "好的。"
    assert first["data"]["mine"] is True


def test_a_stranger_cannot_follow_the_stream(
    world: World, live_server: str, make_litigant: Any
) -> None:
    mediation_id = world.started()
    stranger = make_litigant(name="王五")
    reply = requests.get(
        f"{live_server}/api/v1/mediations/{mediation_id}/events",
        headers={"Authorization": f"Bearer {stranger.access_token}"},
        timeout=10,
    )
    assert reply.status_code == 404
    assert reply.json()["error"]["code"] == "mediation_not_found"


def test_a_stream_ends_after_its_time_so_no_server_thread_is_held_for_good(
    world: World, app: Flask
) -> None:
    mediation_id = world.started()
    from court.db import get_engine

    lines = list(event_stream(get_engine(app), Thread(mediation_id, None, ""), 0, "", seconds=1.5))
    assert lines[0].startswith("retry:")
    assert any(line.startswith("id: ") for line in lines)  # the system messages so far


def test_a_message_written_by_another_process_wakes_this_process_streams(
    world: World, app: Flask
) -> None:
    """Another gunicorn worker's commit does not reach this process's hub directly: the
    watcher notices the new row and wakes the streams on that thread's channel."""
    import datetime as dt

    from court.db import get_engine, open_session
    from court.live import hub, watchers
    from court.mediation.services import channel
    from court.threads.models import Message
    from court.threads.services import poll_new_messages

    mediation_id = world.started()
    engine = get_engine(app)
    seen = hub.version(channel(mediation_id))
    with watchers.watching(engine, poll_new_messages):
        import time

        time.sleep(0.3)  # let the watcher take its starting position
        other = open_session(engine, write=True)  # as another process would: no notify
        other.add(
            Message(
                mediation_id=mediation_id,
                author="系统",
                body="来自另一进程",
                created_at=dt.datetime.now(dt.UTC),
            )
        )
        other.commit()
        other.close()
        # Wait for the wake-up (generous bound: this checks that it comes, not how fast).
        assert hub.wait(channel(mediation_id), seen, timeout=10) != seen
