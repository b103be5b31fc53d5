"""What waits for the commit — deleting a file the database may still refer to, a text
message, waking live streams — happens after it, once, and never after a rollback."""

from __future__ import annotations

from pathlib import Path

from flask import Flask

from court.db import after_commit, get_engine, open_session, unit_of_work, unlink_after_commit


def test_actions_run_after_the_commit_in_order_and_once_per_key(app: Flask) -> None:
    done: list[str] = []
    with app.app_context(), unit_of_work(get_engine(app)) as session:
        after_commit(session, lambda: done.append("text"))
        after_commit(session, lambda: done.append("wake a"), key=("live", "a"))
        after_commit(session, lambda: done.append("wake a again"), key=("live", "a"))
        after_commit(session, lambda: done.append("wake b"), key=("live", "b"))
        assert done == []  # nothing before the commit
    assert done == ["text", "wake a", "wake b"]


def test_a_rollback_drops_what_waited_for_the_commit(app: Flask, tmp_path: Path) -> None:
    kept = tmp_path / "part"
    kept.write_bytes(b"bytes the database still refers to")
    done: list[str] = []
    with app.app_context():
        session = open_session(get_engine(app), write=True)
        try:
            after_commit(session, lambda: done.append("text"))
            unlink_after_commit(session, kept)
            session.rollback()
            session.commit()  # a later commit of the same session does not run them
        finally:
            session.close()
    assert done == []
    assert kept.exists()
