"""Outbox handlers of the processes module: hand-overs worked as cases of their own.

Both run inside the outbox's transaction (no external effect), so their writes and the message's
"done" mark commit together: a crash in between leaves the message to be retried, and the service
functions are idempotent, so the retry neither loses nor doubles anything.
"""

from __future__ import annotations

from uuid import UUID

from amtsweg.outbox.models import OutboxMessage
from amtsweg.outbox.registry import handler

from .services import handover_deliver, handover_return


@handler("processes.handover_deliver")
def deliver(message: OutboxMessage) -> None:
    """Open the receiving authority's case for the hand-over."""
    handover_deliver(handover_id=UUID(str(message.payload["handover"])))


@handler("processes.handover_return")
def answer(message: OutboxMessage) -> None:
    """Answer the hand-over from its closed receiving case; the sender's process goes on."""
    handover_return(handover_id=UUID(str(message.payload["handover"])))
