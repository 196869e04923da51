"""A producer process for the crash test: commits a write and its event, then hangs before the
wake-up is published, until the test kills it with SIGKILL.

Run as `python -m tests.cream.events.crash_producer DB_URL EVENT_ID`.
"""

from __future__ import annotations

import asyncio
import sys

from cream.events.log import EventLog
from cream.events.wakeups import Wakeup
from cream.storage.database import Database, Statement


class HangBeforePublish:
    """A notifier whose publish announces the commit on stdout, then never returns."""

    async def publish(self, environment: str) -> bool:
        print("committed", flush=True)
        await asyncio.sleep(3600)
        return True

    async def subscribe(self, environment: str) -> Wakeup:
        return Wakeup()

    async def close(self) -> None:
        return None


async def main(url: str, event_id: str) -> None:
    async with await Database.connect(url) as db:
        log = EventLog(db, "PAPER", producer="crash", notifier=HangBeforePublish())
        event = log.event("cycle.completed", {"cycle_id": "cyc-crash"}).model_copy(
            update={"id": event_id}
        )
        business = Statement(
            "INSERT INTO consensus_rounds (id, environment, cycle_id, round, plan, verdicts, "
            "approved, created_at, updated_at) "
            "VALUES ('r-crash', 'PAPER', 'cyc-crash', 1, '{}', '[]', 1, 'now', 'now')"
        )
        await log.commit([business], [event])


if __name__ == "__main__":
    asyncio.run(main(sys.argv[1], sys.argv[2]))
