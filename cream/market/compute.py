"""One worker thread for the market layer's CPU work (path sampling, snapshot assembly).

Moving numpy work off the event loop keeps the engine's other RPCs answering, but one
thread per call does not make it faster: twenty symbols' bars sampled on twenty pool threads
fight over the GIL (each switch waits out the interpreter's switch interval), and a snapshot
that computes in 20 ms took 70. Queued on one thread, the calls run back to back while the
loop stays free.
"""

from __future__ import annotations

import asyncio
import functools
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any, Final, TypeVar

_T = TypeVar("_T")

_EXECUTOR: Final = ThreadPoolExecutor(max_workers=1, thread_name_prefix="cream-market")


async def off_loop(function: Callable[..., _T], /, *args: Any, **kwargs: Any) -> _T:
    """`function(*args, **kwargs)` on the market worker thread."""
    loop = asyncio.get_running_loop()
    return await loop.run_in_executor(_EXECUTOR, functools.partial(function, *args, **kwargs))
