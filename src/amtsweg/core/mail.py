"""Sending e-mail: one helper that renders a plain-text and an HTML body from templates and sends them.

E-mails of the platform are notifications, never carriers of case content: they say that something
happened and link to the portal, where the citizen logs in to read it.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from email.utils import formataddr
from typing import Any
from urllib.parse import urlsplit

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.mail import EmailMultiAlternatives, get_connection
from django.core.validators import validate_email
from django.template.loader import render_to_string
from django.utils import translation
from django.utils.functional import Promise

# Seconds to wait for the mail server; Django's default is to wait for ever, which would hold a worker.
DEFAULT_SMTP_TIMEOUT = 30


class InvalidRecipient(ValueError):
    """The recipient address is not a valid e-mail address; sending again cannot help."""


def message_id_for(key: str) -> str:
    """A stable Message-ID for ``key`` (e.g. ``outbox-42``) in the domain of the portal.

    Sent again after a crash, the e-mail carries the same Message-ID, so mail servers and clients
    that de-duplicate on it show it once.
    """
    domain = (
        urlsplit(str(getattr(settings, "PUBLIC_URL", "") or "http://127.0.0.1:8000")).hostname or "localhost"
    )
    return f"<amtsweg.{key}@{domain}>"


def mail_languages() -> list[str]:
    """Languages an e-mail is written in when the recipient's language is not known: German first."""
    codes = [code for code, _name in settings.LANGUAGES]
    return sorted(codes, key=lambda code: code != settings.LANGUAGE_CODE)


def send_mail_message(
    *,
    to: str,
    subject: str | Promise,
    template: str,
    context: Mapping[str, Any],
    message_id: str,
    languages: Sequence[str] | None = None,
    attachments: Sequence[tuple[str, bytes, str]] = (),
    headers: Mapping[str, str] | None = None,
) -> None:
    """Send one e-mail to ``to``, rendered from ``<template>.txt`` and ``<template>.html``.

    The subject (a lazy translatable string) and both bodies are rendered in each of ``languages``
    (default: German, then English), one after the other; a language whose text is the same as an
    earlier one's (no translation yet) is left out. ``attachments`` are ``(filename, content, mimetype)``;
    ``headers`` are added to the standard ones (e.g. ``List-Unsubscribe``).
    Raises :class:`InvalidRecipient` for an address
    that is not one, and the SMTP library's exceptions when the server refuses or is unreachable.
    """
    try:
        validate_email(to)
    except ValidationError as exc:
        raise InvalidRecipient("the recipient address is not a valid e-mail address") from exc
    platform = str(getattr(settings, "PLATFORM_NAME", "Amtsweg"))
    values = {"platform_name": platform, **context}
    subjects: list[str] = []
    texts: list[str] = []
    sections: list[tuple[str, str]] = []
    for language in languages or mail_languages():
        with translation.override(language):
            subject_text = " ".join(str(subject).split())  # no line breaks in a header
            text = render_to_string(f"{template}.txt", values).strip()
            html = render_to_string(f"{template}.html", values).strip()
        if subject_text not in subjects:
            subjects.append(subject_text)
        if text not in texts:
            texts.append(text)
            sections.append((language, html))
    message = EmailMultiAlternatives(
        subject=" / ".join(subjects),
        body=("\n\n" + "-" * 60 + "\n\n").join(texts) + "\n",
        from_email=formataddr((platform, settings.DEFAULT_FROM_EMAIL)),
        to=[to],
        headers={
            "Message-ID": message_id,
            # RFC 3834: an automatic message; out-of-office replies must not answer it.
            "Auto-Submitted": "auto-generated",
            "X-Auto-Response-Suppress": "All",
            **(headers or {}),
        },
        connection=get_connection(timeout=getattr(settings, "EMAIL_TIMEOUT", None) or DEFAULT_SMTP_TIMEOUT),
    )
    message.attach_alternative(
        render_to_string(
            "email/_layout.html",
            {"title": " / ".join(subjects), "sections": sections, "lang": sections[0][0]},
        ),
        "text/html",
    )
    for filename, content, mimetype in attachments:
        message.attach(filename, content, mimetype)
    message.send()
