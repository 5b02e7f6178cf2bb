"""E-mail notifications delivered through the outbox: new postbox item, application received.

The e-mails carry no personal data and no case content — no name, no reference number, no form
data — only the fact that something arrived and a link to the portal, where the citizen logs in.
A deleted recipient, postbox message or case needs no e-mail any more: the handler then does nothing.
"""

from __future__ import annotations

import logging
import smtplib
from collections.abc import Mapping, Sequence
from typing import Any

from django.urls import reverse
from django.utils.functional import Promise
from django.utils.text import format_lazy
from django.utils.translation import gettext_lazy as _

from amtsweg.cases.models import Case, PostboxMessage
from amtsweg.core.mail import InvalidRecipient, message_id_for, send_mail_message
from amtsweg.identity.models import User

from . import conf
from .models import OutboxMessage
from .registry import PermanentFailure, handler
from .services import external_effect

logger = logging.getLogger("amtsweg.outbox")

# Where the links lead (portal URL names of the cases module); the citizen logs in there.
POSTBOX_URL = "portal:postbox"
APPLICATIONS_URL = "portal:my_applications"


def portal_link(url_name: str) -> str:
    return conf.public_url() + reverse(url_name)


def _payload_id(outbox: OutboxMessage, key: str) -> int:
    value = outbox.payload.get(key)
    if not isinstance(value, int) or isinstance(value, bool):
        raise PermanentFailure(f"payload has no {key!r} id")
    return value


def send_to_account(
    outbox: OutboxMessage,
    recipient: User,
    *,
    subject: str | Promise,
    template: str,
    context: dict[str, str],
) -> None:
    if not recipient.is_active or not recipient.email:
        logger.info(
            "outbox message %s: recipient account inactive or without address, nothing sent", outbox.pk
        )
        return
    send_to_address(outbox, recipient.email, subject=subject, template=template, context=context)


def send_to_address(
    outbox: OutboxMessage,
    to: str,
    *,
    subject: str | Promise,
    template: str,
    context: Mapping[str, Any],
    attachments: Sequence[tuple[str, bytes, str]] = (),
    languages: Sequence[str] | None = None,
    headers: Mapping[str, str] | None = None,
) -> None:
    """Send the e-mail of ``outbox`` to ``to``; a refusal for good becomes :class:`PermanentFailure`."""
    try:
        send_mail_message(
            to=to,
            subject=subject,
            template=template,
            context=context,
            message_id=message_id_for(f"outbox-{outbox.pk}"),
            attachments=attachments,
            languages=languages,
            headers=headers,
        )
    except InvalidRecipient as exc:
        raise PermanentFailure(str(exc)) from exc
    except smtplib.SMTPRecipientsRefused as exc:
        codes = sorted({code for code, _message in exc.recipients.values()})
        raise PermanentFailure(f"the mail server refused the recipient (SMTP {codes})") from exc
    except smtplib.SMTPResponseException as exc:
        if 500 <= exc.smtp_code < 600:
            # Refused for good (e.g. the sender address is not allowed): staff fix it and retry.
            raise PermanentFailure(f"the mail server refused the message (SMTP {exc.smtp_code})") from exc
        raise


@handler("email.postbox")
@external_effect
def email_postbox(outbox: OutboxMessage) -> None:
    """Tell a citizen about a new message in their postbox (payload: ``{"message": <PostboxMessage pk>}``)."""
    message = (
        PostboxMessage.objects.select_related("recipient", "authority")
        .filter(pk=_payload_id(outbox, "message"))
        .first()
    )
    if message is None:
        logger.info("outbox message %s: postbox message is gone, nothing sent", outbox.pk)
        return
    send_to_account(
        outbox,
        message.recipient,
        subject=format_lazy(
            _("Neue Nachricht in Ihrem Postfach bei {authority}"), authority=message.authority.name
        ),
        template="email/postbox",
        context={"link": portal_link(POSTBOX_URL), "authority": message.authority.name},
    )


@handler("email.receipt")
@external_effect
def email_receipt(outbox: OutboxMessage) -> None:
    """Confirm to the applicant that their application arrived (payload: ``{"case": <Case id>}``)."""
    case = Case.objects.select_related("applicant").filter(pk=_payload_id(outbox, "case")).first()
    if case is None:
        logger.info("outbox message %s: case is gone, nothing sent", outbox.pk)
        return
    send_to_account(
        outbox,
        case.applicant,
        subject=_("Ihr Antrag ist eingegangen"),
        template="email/receipt",
        context={"link": portal_link(APPLICATIONS_URL)},
    )
