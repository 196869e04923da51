"""The outbox event log: events committed with business writes, consumers with offsets."""

from cream.events.consumer import Consumer, Handler
from cream.events.envelope import EventEnvelope, EventKind, new_event_id
from cream.events.errors import CorruptEventError, EventError, InvalidEventError
from cream.events.log import EventLog, notifier_for
from cream.events.outbox import StoredEvent, append, head, read_after
from cream.events.redis_wakeups import RedisNotifier
from cream.events.retention import CleanupResult, cleanup
from cream.events.wakeups import InProcessNotifier, Notifier, Wakeup

__all__ = [
    "CleanupResult",
    "Consumer",
    "CorruptEventError",
    "EventEnvelope",
    "EventError",
    "EventKind",
    "EventLog",
    "Handler",
    "InProcessNotifier",
    "InvalidEventError",
    "Notifier",
    "RedisNotifier",
    "StoredEvent",
    "Wakeup",
    "append",
    "cleanup",
    "head",
    "new_event_id",
    "notifier_for",
    "read_after",
]
