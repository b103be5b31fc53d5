"""Calling pyHanko's asyncio-based code from synchronous code, whoever the caller is.

pyHanko runs its work with ``asyncio.run``, which refuses to start inside a thread that
already runs an event loop (an async web server, a notebook, Playwright's sync API in a
test). Then the call moves to a short-lived thread of its own.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Coroutine
from concurrent.futures import ThreadPoolExecutor
from typing import Any, TypeVar

T = TypeVar("T")


def _loop_running() -> bool:
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        return False
    return True


def outside_event_loop(fn: Callable[..., T], *args: Any, **kwargs: Any) -> T:
    """Call ``fn`` here, or in a fresh thread if this thread is running an event loop."""
    if not _loop_running():
        return fn(*args, **kwargs)
    with ThreadPoolExecutor(max_workers=1, thread_name_prefix="outside-loop") as pool:
        return pool.submit(fn, *args, **kwargs).result()


def run_coroutine(coroutine: Coroutine[Any, Any, T]) -> T:
    """``asyncio.run`` that also works when called from inside a running event loop."""
    result: T = outside_event_loop(asyncio.run, coroutine)
    return result
