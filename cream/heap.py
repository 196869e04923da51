"""Keep the garbage collector off the heap a process builds at startup.

A Cream process imports the SDKs (google-genai, anthropic, alpaca-py, grpc, pandas,
langgraph) and holds about 340,000 container objects before it does any work. Every full
(generation 2) collection walks all of them: about 250 ms on the 2-core CI machine. CPython
starts one whenever enough objects have survived younger collections, so in a trading cycle
it lands in the middle of a stage and holds up every task of it.

`freeze_startup_heap()` collects once, then moves every surviving object into the permanent
generation (`gc.freeze`), so later collections walk only what the process built since.
Frozen objects are never collected; that is the point, and the reason to call it only after
imports and setup (what is alive then lives as long as the process), once, before serving.
"""

from __future__ import annotations

import gc

_frozen = False


def freeze_startup_heap() -> int:
    """Collect, then freeze what survived; returns how many objects are now frozen.

    Idempotent per process: a second call returns the count without freezing again, so that
    garbage made between calls is never frozen by accident.
    """
    global _frozen
    if not _frozen:
        gc.collect()
        gc.freeze()
        _frozen = True
    return gc.get_freeze_count()
