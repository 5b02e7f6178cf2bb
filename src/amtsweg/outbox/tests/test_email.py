"""E-mail notifications through a real SMTP server (aiosmtpd) started for each test."""

from __future__ import annotations

import socket
from collections.abc import Iterator

import pytest
from django.test import override_settings
from django.utils import translation

from amtsweg.core.mail import InvalidRecipient, message_id_for, send_mail_message
from amtsweg.outbox.models import OutboxMessage
from amtsweg.outbox.services import Outcome, outbox_deliver
from amtsweg.outbox.testing import ReceivedMail, SMTPCapture, deliver_due_messages
from amtsweg.testing import World

from .factories import enqueue, make_case, make_postbox_message

pytestmark = pytest.mark.django_db

# Nothing of the application may appear in an e-mail: name, reference, subject, text of the message.
PERSONAL = ("Clara", "Citizen", "NE-2026", "Personalausweis", "Meldebescheinigung", "Sehr geehrte")


def assert_no_personal_data(mail: ReceivedMail) -> None:
    for part in (str(mail.message["Subject"]), mail.text, mail.html):
        for word in PERSONAL:
            assert word not in part, f"{word!r} in e-mail"


@override_settings(PUBLIC_URL="https://portal.rhein-kreis-neuss.example")
def test_receipt_email_goes_out_with_a_link_and_nothing_else(world: World, smtp_server: SMTPCapture) -> None:
    case = make_case(world)
    message = enqueue(
        "email.receipt", {"case": case.pk}, key=f"email.receipt:{case.pk}", authority_id=world.neuss.pk
    )
    assert outbox_deliver(message_id=message.pk) == Outcome.DONE

    [mail] = smtp_server.wait_for(1)
    assert mail.recipients == ["clara@example.org"]
    assert mail.message["To"] == "clara@example.org"
    assert mail.message["From"] == "Amtsweg <amtsweg@localhost>"
    assert mail.message["Subject"].startswith("Ihr Antrag ist eingegangen")
    assert mail.message["Message-ID"] == f"<amtsweg.outbox-{message.pk}@portal.rhein-kreis-neuss.example>"
    assert mail.message["Auto-Submitted"] == "auto-generated"
    assert "Ihr Antrag ist eingegangen" in mail.text
    assert "https://portal.rhein-kreis-neuss.example/konto/antraege/" in mail.text
    assert 'href="https://portal.rhein-kreis-neuss.example/konto/antraege/"' in mail.html
    assert '<html lang="de">' in mail.html
    assert_no_personal_data(mail)
    message.refresh_from_db()
    assert message.status == "done"


def test_postbox_email_names_the_authority_but_not_the_message(
    world: World, smtp_server: SMTPCapture
) -> None:
    postbox = make_postbox_message(world, make_case(world))
    enqueue("email.postbox", {"message": postbox.pk}, authority_id=world.neuss.pk)
    assert deliver_due_messages() == 1

    [mail] = smtp_server.wait_for(1)
    assert mail.recipients == ["clara@example.org"]
    assert mail.message["Subject"].startswith("Neue Nachricht in Ihrem Postfach bei Neuss")
    assert "eine neue Nachricht von Neuss" in mail.text
    assert "http://127.0.0.1:8000/konto/postfach/" in mail.text
    assert_no_personal_data(mail)


def test_mail_server_down_is_retried_then_delivered(
    world: World, smtp_server: SMTPCapture, settings: object
) -> None:
    case = make_case(world)
    message = enqueue("email.receipt", {"case": case.pk})
    port = smtp_server.port
    with socket.socket() as closed:  # a port nobody listens on
        closed.bind(("127.0.0.1", 0))
        settings.EMAIL_PORT = closed.getsockname()[1]  # type: ignore[attr-defined]
    assert outbox_deliver(message_id=message.pk) == Outcome.RETRY
    message.refresh_from_db()
    assert message.status == "pending"
    assert message.last_error.startswith("ConnectionRefusedError")
    settings.EMAIL_PORT = port  # type: ignore[attr-defined]
    OutboxMessage.objects.filter(pk=message.pk).update(next_attempt_at=message.created_at)
    assert outbox_deliver(message_id=message.pk) == Outcome.DONE
    assert len(smtp_server.wait_for(1)) == 1


def test_invalid_address_fails_for_good_without_naming_it(world: World, smtp_server: SMTPCapture) -> None:
    world.citizen.email = "clara at example"
    world.citizen.save(update_fields=["email"])
    message = enqueue("email.receipt", {"case": make_case(world).pk})
    assert outbox_deliver(message_id=message.pk) == Outcome.FAILED
    message.refresh_from_db()
    assert message.last_error == "PermanentFailure: the recipient address is not a valid e-mail address"
    assert smtp_server.messages == []


class _Refusing:
    async def handle_RCPT(
        self, server: object, session: object, envelope: object, address: str, options: list[str]
    ) -> str:
        return f"550 5.1.1 <{address}>: Recipient address rejected"


@pytest.fixture
def refusing_server(settings: object) -> Iterator[None]:
    from amtsweg.outbox.testing import _Controller

    controller = _Controller(_Refusing(), hostname="127.0.0.1", port=0)
    controller.start()
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"  # type: ignore[attr-defined]
    settings.EMAIL_HOST, settings.EMAIL_PORT = "127.0.0.1", controller.port  # type: ignore[attr-defined]
    yield
    controller.stop()


@pytest.mark.usefixtures("refusing_server")
def test_refused_recipient_fails_for_good_and_the_error_names_no_address(world: World) -> None:
    message = enqueue("email.receipt", {"case": make_case(world).pk})
    assert outbox_deliver(message_id=message.pk) == Outcome.FAILED
    message.refresh_from_db()
    assert message.last_error == "PermanentFailure: the mail server refused the recipient (SMTP [550])"
    assert "clara" not in message.last_error


def test_deleted_case_needs_no_email(world: World, smtp_server: SMTPCapture) -> None:
    message = enqueue("email.receipt", {"case": 987654})
    assert outbox_deliver(message_id=message.pk) == Outcome.DONE
    assert smtp_server.messages == []


def test_payload_without_id_fails_for_good(world: World, smtp_server: SMTPCapture) -> None:
    message = enqueue("email.postbox", {"postbox": 1})
    assert outbox_deliver(message_id=message.pk) == Outcome.FAILED
    message.refresh_from_db()
    assert message.last_error == "PermanentFailure: payload has no 'message' id"


def test_inactive_recipient_gets_nothing(world: World, smtp_server: SMTPCapture) -> None:
    case = make_case(world)
    world.citizen.is_active = False
    world.citizen.save(update_fields=["is_active"])
    assert outbox_deliver(message_id=enqueue("email.receipt", {"case": case.pk}).pk) == Outcome.DONE
    assert smtp_server.messages == []


def test_body_in_german_then_english_when_translated(
    smtp_server: SMTPCapture, monkeypatch: pytest.MonkeyPatch
) -> None:
    from django.utils.translation import trans_real

    english = {"Guten Tag,": "Hello,", "Ihr Antrag ist eingegangen": "Your application has arrived"}

    def fake_gettext(text: str) -> str:
        if translation.get_language() == "en" and text in english:
            return english[text]
        return trans_real.gettext(text)

    monkeypatch.setattr(translation._trans, "gettext", fake_gettext)  # type: ignore[attr-defined]
    from django.utils.translation import gettext_lazy

    send_mail_message(
        to="someone@example.org",
        subject=gettext_lazy("Ihr Antrag ist eingegangen"),
        template="email/receipt",
        context={"link": "http://127.0.0.1:8000/meine-antraege/"},
        message_id=message_id_for("test-1"),
    )
    [mail] = smtp_server.wait_for(1)
    assert mail.message["Subject"] == "Ihr Antrag ist eingegangen / Your application has arrived"
    assert mail.text.index("Guten Tag,") < mail.text.index("Hello,")
    assert '<div lang="de">' in mail.html and '<div lang="en">' in mail.html


def test_untranslated_text_is_not_repeated(smtp_server: SMTPCapture) -> None:
    send_mail_message(
        to="someone@example.org",
        subject="Test",
        template="email/receipt",
        context={"link": "http://127.0.0.1:8000/"},
        message_id=message_id_for("test-2"),
        languages=["de", "de"],
    )
    [mail] = smtp_server.wait_for(1)
    assert mail.text.count("Guten Tag,") == 1
    assert mail.message["Subject"] == "Test"


def test_invalid_address_is_refused_before_sending() -> None:
    with pytest.raises(InvalidRecipient):
        send_mail_message(
            to="not an address", subject="x", template="email/receipt", context={}, message_id="<x@y>"
        )
