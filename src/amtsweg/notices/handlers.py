"""Outbox handlers of the notices module: render a notice (``notice.render``) or receipt (``receipt.render``).

Both are marked as having an external effect (the PDF file in storage) so that the outbox runs them
outside a transaction: rendering takes a few hundred milliseconds, and on SQLite an open transaction
would block every other writer meanwhile. The services they call are idempotent — they store the
document in a short transaction of their own, after checking again that no earlier attempt did — so
an attempt repeated after a crash leaves one document and one postbox message.
"""

from __future__ import annotations

import logging

from amtsweg.outbox.models import OutboxMessage
from amtsweg.outbox.registry import PermanentFailure, handler
from amtsweg.outbox.services import external_effect

from .rendering import PdfRenderError
from .services import notice_render, receipt_render

logger = logging.getLogger("amtsweg.notices")


def _payload_id(message: OutboxMessage, key: str) -> int:
    value = message.payload.get(key)
    if not isinstance(value, int) or isinstance(value, bool):
        raise PermanentFailure(f"payload has no {key!r} id")
    return value


@handler("notice.render")
@external_effect
def render_notice(message: OutboxMessage) -> None:
    """Render, store and deliver a notice (payload: ``{"notice": <Notice id>}``)."""
    try:
        notice = notice_render(notice_id=_payload_id(message, "notice"))
    except PdfRenderError as exc:
        raise PermanentFailure(str(exc)) from exc  # a template fault: trying again renders the same
    if notice is None:
        raise PermanentFailure("the notice does not exist")


@handler("receipt.render")
@external_effect
def render_receipt(message: OutboxMessage) -> None:
    """Render and store the receipt of a submitted application (payload: ``{"case": <Case id>}``)."""
    try:
        document = receipt_render(case_id=_payload_id(message, "case"))
    except PdfRenderError as exc:
        raise PermanentFailure(str(exc)) from exc
    if document is None:
        logger.info("outbox message %s: the case is gone, no receipt rendered", message.pk)
