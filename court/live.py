"""Live delivery of thread messages to browsers and phones (server-sent events).

A stream waits on a per-channel condition and re-reads the database when woken. A write
wakes the streams of its own process at commit (:func:`notify_after_commit`). Writes made
by other processes (gunicorn runs several) are noticed by one watcher thread per process,
which runs only while a stream is open there and asks the database every
``WATCH_SECONDS`` for rows newer than the last it saw — one small query for all streams
of the process, not one per stream. The database stays the one source of truth: a stream
that missed a wake-up re-reads anyway every ``POLL_SECONDS``, and a client that reconnects
with ``Last-Event-ID`` reads what it has not seen.
"""

from __future__ import annotations

import logging
import threading
import time
from collections import defaultdict
from collections.abc import Callable, Iterator
from contextlib import contextmanager

from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session as OrmSession
from sqlmodel import Session

from court.db import after_commit

log = logging.getLogger(__name__)

#: Given a session and the last position seen (None at the start), return the new last
#: position and the channels that have something new.
Poll = Callable[[Session, int | None], tuple[int | None, list[str]]]

#: How often a waiting stream re-reads the database even without a wake-up.
POLL_SECONDS = 5.0
#: How often a process's watcher looks for rows written by other processes.
WATCH_SECONDS = 0.1


class Hub:
    """Per-process wake-ups: a version counter per channel and one condition for all."""

    def __init__(self) -> None:
        self._condition = threading.Condition()
        self._versions: defaultdict[str, int] = defaultdict(int)
        self._generation = 0

    def version(self, channel: str) -> int:
        with self._condition:
            return self._versions[channel]

    def publish(self, channel: str) -> None:
        with self._condition:
            self._versions[channel] += 1
            self._condition.notify_all()

    def wake_all(self) -> None:
        with self._condition:
            self._generation += 1
            self._condition.notify_all()

    def wait(self, channel: str, seen: int, timeout: float) -> int:
        """Wait until the channel moves past ``seen`` or the timeout passes; new version."""
        with self._condition:
            generation = self._generation
            self._condition.wait_for(
                lambda: self._versions[channel] != seen or self._generation != generation,
                timeout,
            )
            return self._versions[channel]


class Watchers:
    """One watcher thread per database, alive while this process has open streams."""

    def __init__(self, target: Hub) -> None:
        self._hub = target
        self._lock = threading.Lock()
        self._streams: dict[int, int] = {}
        self._closed: set[int] = set()

    @contextmanager
    def watching(self, engine: Engine, poll: Poll) -> Iterator[None]:
        key = id(engine)
        with self._lock:
            self._streams[key] = self._streams.get(key, 0) + 1
            if self._streams[key] == 1:
                threading.Thread(
                    target=self._run, args=(engine, poll), name="live-watcher", daemon=True
                ).start()
        try:
            yield
        finally:
            with self._lock:
                self._streams[key] -= 1

    def open_streams(self, engine: Engine) -> int:
        with self._lock:
            return self._streams.get(id(engine), 0)

    def shut_down(self, engine: Engine, *, wait: float = 10.0) -> None:
        """End every stream on this database (the app is going away) and wait for them."""
        with self._lock:
            self._closed.add(id(engine))
        self._hub.wake_all()
        deadline = time.monotonic() + wait
        while self.open_streams(engine) and time.monotonic() < deadline:
            time.sleep(0.02)

    def is_shut_down(self, engine: Engine) -> bool:
        with self._lock:
            return id(engine) in self._closed

    def _still_wanted(self, key: int) -> bool:
        with self._lock:
            if self._streams.get(key, 0) > 0 and key not in self._closed:
                return True
            self._streams.pop(key, None)
            return False

    def _run(self, engine: Engine, poll: Poll) -> None:
        from court.db import open_session

        key = id(engine)
        last: int | None = None
        stop = threading.Event()
        while self._still_wanted(key):
            try:
                session = open_session(engine, write=False)
                try:
                    last, channels = poll(session, last)
                finally:
                    session.close()
            except Exception:  # a failed poll must not end live delivery for the process
                log.exception("live watcher: poll failed; streams fall back to their own polls")
                channels = []
            for channel in channels:
                self._hub.publish(channel)
            stop.wait(WATCH_SECONDS)


hub = Hub()
watchers = Watchers(hub)


def notify_after_commit(session: OrmSession, channel: str) -> None:
    """Wake this process's streams on ``channel`` once the session's transaction commits
    (once per channel, however many rows the transaction wrote to it)."""
    after_commit(session, lambda: hub.publish(channel), key=("live", channel))
