"""The worker's side: notice.render and receipt.render are idempotent and leave nothing half done."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from django.conf import settings
from django.db import transaction

from amtsweg.cases.models import Document, PostboxMessage
from amtsweg.cases.tests.factories import submit_case
from amtsweg.notices import rendering, services
from amtsweg.notices.handlers import render_notice, render_receipt
from amtsweg.notices.models import Notice
from amtsweg.notices.services import notice_revoke
from amtsweg.outbox.models import OutboxMessage
from amtsweg.outbox.registry import PermanentFailure, registered_kinds
from amtsweg.outbox.services import Outcome, outbox_deliver
from amtsweg.testing import World

from .factories import issued_notice

pytestmark = pytest.mark.django_db


def stored_files() -> list[Path]:
    root = Path(settings.MEDIA_ROOT)
    return [path for path in root.rglob("*") if path.is_file()] if root.exists() else []


def render_message(notice: Notice) -> OutboxMessage:
    return OutboxMessage.objects.get(kind="notice.render", payload={"notice": notice.pk})


def test_both_handlers_are_registered() -> None:
    assert {"notice.render", "receipt.render"} <= set(registered_kinds())


def test_rendering_twice_leaves_one_document_one_message_one_email(world: World) -> None:
    notice = issued_notice(world)
    message = render_message(notice)
    render_notice(message)
    render_notice(message)

    notice.refresh_from_db()
    assert notice.status == Notice.Status.ISSUED
    documents = Document.objects.filter(case=notice.case, kind=Document.Kind.NOTICE)
    assert list(documents) == [notice.document]
    assert notice.document is not None and notice.document.content_type == "application/pdf"
    postbox = PostboxMessage.objects.get(case=notice.case, kind=PostboxMessage.Kind.NOTICE)
    assert postbox.recipient == world.citizen and postbox.document == notice.document
    assert notice.case.reference in postbox.body
    emails = OutboxMessage.objects.filter(kind="email.postbox")
    assert [e.payload for e in emails] == [{"message": postbox.pk}]
    assert emails.get().dedupe_key == f"email.postbox:{postbox.pk}"
    assert len(stored_files()) == 1


def test_delivered_through_the_outbox(world: World) -> None:
    notice = issued_notice(world)
    assert outbox_deliver(message_id=render_message(notice).pk) == Outcome.DONE
    notice.refresh_from_db()
    assert notice.status == Notice.Status.ISSUED and notice.document is not None
    assert render_message(notice).status == OutboxMessage.Status.DONE


def test_an_attempt_repeated_after_a_crash_changes_nothing(world: World) -> None:
    notice = issued_notice(world)
    services.notice_render(notice_id=notice.pk)  # the worker died before marking the message done
    assert outbox_deliver(message_id=render_message(notice).pk) == Outcome.DONE
    assert Document.objects.filter(kind=Document.Kind.NOTICE).count() == 1
    assert PostboxMessage.objects.filter(kind=PostboxMessage.Kind.NOTICE).count() == 1


def test_an_attempt_that_loses_the_race_deletes_its_file(
    world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    notice = issued_notice(world)
    real_render = rendering.render_pdf
    calls: list[int] = []

    def render_while_another_worker_finishes(**kwargs: Any) -> bytes:
        pdf = real_render(**kwargs)
        if not calls:
            calls.append(1)
            services.notice_render(notice_id=notice.pk)  # the other worker, faster
        return pdf

    monkeypatch.setattr(services, "render_pdf", render_while_another_worker_finishes)
    services.notice_render(notice_id=notice.pk)
    assert Document.objects.filter(kind=Document.Kind.NOTICE).count() == 1
    assert PostboxMessage.objects.filter(kind=PostboxMessage.Kind.NOTICE).count() == 1
    assert len(stored_files()) == 1, "the loser's PDF file was removed"


def test_a_failed_rendering_leaves_nothing_and_is_retried(
    world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    notice = issued_notice(world)

    def broken(**kwargs: Any) -> bytes:
        raise RuntimeError("layout failed")

    monkeypatch.setattr(services, "render_pdf", broken)
    assert outbox_deliver(message_id=render_message(notice).pk) == Outcome.RETRY
    notice.refresh_from_db()
    assert notice.status == Notice.Status.RENDERING and notice.document is None
    assert not Document.objects.exists() and not stored_files()
    assert "layout failed" in render_message(notice).last_error


def test_a_template_fault_fails_for_good_at_once(world: World, monkeypatch: pytest.MonkeyPatch) -> None:
    notice = issued_notice(world)

    def forbidden(**kwargs: Any) -> bytes:
        raise rendering.PdfRenderError("PDF templates may only use the notices app's static files")

    monkeypatch.setattr(services, "render_pdf", forbidden)
    assert outbox_deliver(message_id=render_message(notice).pk) == Outcome.FAILED
    assert render_message(notice).status == OutboxMessage.Status.FAILED


def test_a_failure_while_storing_removes_the_file(world: World, monkeypatch: pytest.MonkeyPatch) -> None:
    notice = issued_notice(world)

    def refuse(**kwargs: Any) -> None:
        raise RuntimeError("database gone")

    monkeypatch.setattr("amtsweg.cases.services.postbox_deliver", refuse)
    with pytest.raises(RuntimeError):
        services.notice_render(notice_id=notice.pk)
    assert not Document.objects.exists() and not stored_files()


def test_a_notice_revoked_before_rendering_is_not_delivered(world: World) -> None:
    notice = issued_notice(world)
    with transaction.atomic():
        notice_revoke(notice=notice, actor=world.caseworker_neuss, reason="Irrtümlich erlassen")
    render_notice(render_message(notice))
    notice.refresh_from_db()
    assert notice.status == Notice.Status.REVOKED and notice.document is None
    assert not PostboxMessage.objects.filter(kind=PostboxMessage.Kind.NOTICE).exists()


def test_payload_without_a_notice_fails_for_good(world: World) -> None:
    for payload in ({}, {"notice": "1"}, {"notice": True}):
        message = OutboxMessage(kind="notice.render", payload=payload)
        with pytest.raises(PermanentFailure):
            render_notice(message)
    with pytest.raises(PermanentFailure, match="does not exist"):
        render_notice(OutboxMessage(kind="notice.render", payload={"notice": 999_999}))


def test_receipt_rendering_is_idempotent_and_fills_the_postbox_message(world: World) -> None:
    case = submit_case(world)
    receipt_message = PostboxMessage.objects.create(
        recipient=world.citizen,
        case=case,
        authority=world.neuss,
        kind=PostboxMessage.Kind.RECEIPT,
        subject="Eingang",
    )
    message = OutboxMessage.objects.get(kind="receipt.render", payload={"case": case.pk})
    render_receipt(message)
    render_receipt(message)
    receipts = Document.objects.filter(case=case, kind=Document.Kind.RECEIPT)
    assert receipts.count() == 1
    receipt = receipts.get()
    assert receipt.filename == f"Eingangsbestaetigung-{case.reference}.pdf"
    receipt_message.refresh_from_db()
    assert receipt_message.document == receipt
    assert outbox_deliver(message_id=message.pk) == Outcome.DONE
    assert Document.objects.filter(case=case, kind=Document.Kind.RECEIPT).count() == 1


def test_the_receipt_goes_into_the_postbox_without_a_second_email(world: World) -> None:
    case = submit_case(world)
    emails_before = OutboxMessage.objects.filter(kind="email.postbox").count()
    document = services.receipt_render(case_id=case.pk)
    services.receipt_render(case_id=case.pk)
    message = PostboxMessage.objects.get(case=case, kind=PostboxMessage.Kind.RECEIPT)
    assert message.recipient == world.citizen and message.document == document
    assert case.reference in message.body
    assert OutboxMessage.objects.filter(kind="email.postbox").count() == emails_before


def test_receipt_for_a_vanished_case_does_nothing(world: World) -> None:
    render_receipt(OutboxMessage(pk=1, kind="receipt.render", payload={"case": 999_999}))
    assert not Document.objects.exists()
