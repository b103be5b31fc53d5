"""Live delivery of thread messages to browsers and phones (server-sent events).

A stream waits on a per-channel condition and re-reads the database when woken. A write
wakes the streams of its own process at commit (:func:`notify_after_commit`); streams in
other processes (gunicorn runs several) find the new rows at their next poll, at most
``POLL_SECONDS`` later. The database stays the one source of truth: a stream that missed a
wake-up, or a client that reconnects with ``Last-Event-ID``, reads what it has not seen.
"""

from __future__ import annotations

import threading
from collections import defaultdict

from sqlalchemy import event
from sqlalchemy.orm import Session as OrmSession

#: How often a waiting stream re-reads the database even without a wake-up.
POLL_SECONDS = 1.0
_PENDING = "court.live.pending"


class Hub:
    """Per-process wake-ups: a version counter per channel and one condition for all."""

    def __init__(self) -> None:
        self._condition = threading.Condition()
        self._versions: defaultdict[str, int] = defaultdict(int)

    def version(self, channel: str) -> int:
        with self._condition:
            return self._versions[channel]

    def publish(self, channel: str) -> None:
        with self._condition:
            self._versions[channel] += 1
            self._condition.notify_all()

    def wait(self, channel: str, seen: int, timeout: float) -> int:
        """Wait until the channel moves past ``seen`` or the timeout passes; new version."""
        with self._condition:
            self._condition.wait_for(lambda: self._versions[channel] != seen, timeout)
            return self._versions[channel]


hub = Hub()


def notify_after_commit(session: OrmSession, channel: str) -> None:
    """Wake this process's streams on ``channel`` once the session's transaction commits."""
    session.info.setdefault(_PENDING, set()).add(channel)


@event.listens_for(OrmSession, "after_commit")
def _publish_pending(session: OrmSession) -> None:
    for channel in session.info.pop(_PENDING, ()):
        hub.publish(channel)


@event.listens_for(OrmSession, "after_soft_rollback")
def _drop_pending(session: OrmSession, previous_transaction: object) -> None:
    session.info.pop(_PENDING, None)
