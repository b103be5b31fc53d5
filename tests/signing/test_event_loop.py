"""pyHanko-based calls work from plain threads and from inside a running event loop."""

from __future__ import annotations

import asyncio
import threading

from signing.event_loop import run_coroutine


async def _whoami() -> str:
    await asyncio.sleep(0)
    return threading.current_thread().name


def test_a_coroutine_runs_here_when_no_loop_runs() -> None:
    assert run_coroutine(_whoami()) == threading.current_thread().name


def test_a_coroutine_runs_in_its_own_thread_inside_a_running_loop() -> None:
    async def caller() -> str:
        return run_coroutine(_whoami())  # a sync call made from async code

    name = asyncio.run(caller())
    assert name.startswith("outside-loop")
