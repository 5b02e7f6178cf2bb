"""The failed-deliveries page and API: what keeps failing is shown to staff of its authority, with a retry."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from django.test import Client
from django.utils import timezone
from django_tasks_db.models import DBTaskResult

from amtsweg.outbox.models import OutboxMessage
from amtsweg.outbox.services import Outcome, outbox_deliver
from amtsweg.outbox.testing import SMTPCapture
from amtsweg.tenancy.models import AuditEvent, Authority
from amtsweg.testing import World

from .factories import enqueue, make_case

pytestmark = pytest.mark.django_db


def client_for(user: Any) -> Client:
    client = Client()
    client.force_login(user)
    return client


def failed(authority: Authority, kind: str = "email.receipt", **fields: Any) -> OutboxMessage:
    message = enqueue(kind, {"case": 0}, authority_id=authority.pk)
    values = {
        "status": OutboxMessage.Status.FAILED,
        "attempts": 8,
        "last_error": "SMTPServerDisconnected: gone",
    }
    values.update(fields)
    OutboxMessage.objects.filter(pk=message.pk).update(**values)
    message.refresh_from_db()
    return message


def test_failed_email_shows_up_and_is_delivered_after_retry(
    world: World, smtp_server: SMTPCapture, settings: Any
) -> None:
    """The whole way: a refusing setup fails the e-mail, staff see it, fix the cause, retry, it goes out."""
    case = make_case(world)
    world.citizen.email = "clara(at)example.org"  # an address the mail server would never take
    world.citizen.save(update_fields=["email"])
    message = enqueue("email.receipt", {"case": case.pk}, authority_id=world.neuss.pk)
    assert outbox_deliver(message_id=message.pk) == Outcome.FAILED

    client = client_for(world.caseworker_neuss)
    page = client.get(f"/backoffice/{world.neuss.ags}/zustellungen/")
    assert page.status_code == 200
    html = page.content.decode()
    assert "E-Mail: Eingangsbestätigung" in html
    assert "fehlgeschlagen" in html
    assert "PermanentFailure: the recipient address is not a valid e-mail address" in html
    assert f"/zustellungen/{message.pk}/wiederholen/" in html

    world.citizen.email = "clara@example.org"  # the cause is fixed (the citizen corrected the address)
    world.citizen.save(update_fields=["email"])
    response = client.post(
        f"/backoffice/{world.neuss.ags}/zustellungen/{message.pk}/wiederholen/", follow=True
    )
    assert response.redirect_chain[-1][0] == f"/backoffice/{world.neuss.ags}/zustellungen/"
    assert f"Zustellung Nr. {message.pk} wird jetzt erneut versucht." in response.content.decode()
    message.refresh_from_db()
    assert (message.status, message.attempts, message.locked_until) == ("pending", 1, None)
    event = AuditEvent.objects.get(action=AuditEvent.Action.UPDATE, object_id=str(message.pk))
    assert (event.actor, event.authority, event.channel) == (world.caseworker_neuss, world.neuss, "web")
    assert event.changes["status"] == ["failed", "pending"]

    assert outbox_deliver(message_id=message.pk) == Outcome.DONE
    [mail] = smtp_server.wait_for(1)
    assert mail.recipients == ["clara@example.org"]
    assert (
        f"/zustellungen/{message.pk}/"
        not in client.get(f"/backoffice/{world.neuss.ags}/zustellungen/").content.decode()
    )


def test_retry_is_scheduled_on_commit(world: World, django_capture_on_commit_callbacks: Any) -> None:
    message = failed(world.neuss)
    with django_capture_on_commit_callbacks(execute=True):
        client_for(world.caseworker_neuss).post(
            f"/backoffice/{world.neuss.ags}/zustellungen/{message.pk}/wiederholen/"
        )
    assert [row.args_kwargs["args"] for row in DBTaskResult.objects.filter(status="READY")] == [[message.pk]]


def test_page_lists_failed_and_delayed_but_not_fresh_or_done(world: World) -> None:
    old = timezone.now() - timedelta(hours=1)
    failed_message = failed(world.neuss)
    delayed = failed(
        world.neuss, status=OutboxMessage.Status.PENDING, attempts=0, last_error="", created_at=old
    )
    retrying = failed(
        world.neuss, status=OutboxMessage.Status.PENDING, attempts=2, last_error="TimeoutError: x"
    )
    fresh = failed(world.neuss, status=OutboxMessage.Status.PENDING, attempts=0, last_error="")
    done = failed(world.neuss, status=OutboxMessage.Status.DONE)
    other_town = failed(world.dormagen)
    html = (
        client_for(world.caseworker_neuss)
        .get(f"/backoffice/{world.neuss.ags}/zustellungen/")
        .content.decode()
    )
    for shown in (failed_message, delayed, retrying):
        assert f"/zustellungen/{shown.pk}/wiederholen/" in html
    for hidden in (fresh, done, other_town):
        assert f"/zustellungen/{hidden.pk}/wiederholen/" not in html
    assert "verzögert, nächster Versuch" in html


def test_message_being_attempted_has_no_retry_button_and_cannot_be_retried(world: World) -> None:
    message = failed(
        world.neuss,
        status=OutboxMessage.Status.PENDING,
        last_error="x",
        locked_until=timezone.now() + timedelta(minutes=5),
    )
    client = client_for(world.caseworker_neuss)
    html = client.get(f"/backoffice/{world.neuss.ags}/zustellungen/").content.decode()
    assert "wird gerade versucht" in html
    assert f"/zustellungen/{message.pk}/wiederholen/" not in html
    response = client.post(
        f"/backoffice/{world.neuss.ags}/zustellungen/{message.pk}/wiederholen/", follow=True
    )
    assert "Diese Zustellung wird gerade versucht." in response.content.decode()
    api = client.post(f"/api/v1/staff/deliveries/{message.pk}/retry")
    assert api.status_code == 409
    assert api.json()["code"] == "delivery-in-progress"


def test_staff_of_another_town_cannot_retry(world: World) -> None:
    message = failed(world.neuss)
    client = client_for(world.caseworker_dormagen)
    assert (
        client.post(f"/backoffice/{world.dormagen.ags}/zustellungen/{message.pk}/wiederholen/").status_code
        == 404
    )
    assert client.post(f"/api/v1/staff/deliveries/{message.pk}/retry").status_code == 404
    message.refresh_from_db()
    assert message.status == "failed"
    assert not AuditEvent.objects.filter(object_id=str(message.pk)).exists()


def test_retry_needs_post(world: World) -> None:
    message = failed(world.neuss)
    url = f"/backoffice/{world.neuss.ags}/zustellungen/{message.pk}/wiederholen/"
    assert client_for(world.caseworker_neuss).get(url).status_code == 405


def test_api_lists_failed_deliveries_of_own_authorities(world: World) -> None:
    mine = failed(world.neuss)
    failed(world.dormagen)
    failed(world.neuss, status=OutboxMessage.Status.DONE)
    body = client_for(world.caseworker_neuss).get("/api/v1/staff/deliveries?status=failed").json()
    assert body["count"] == 1
    [row] = body["results"]
    assert row["id"] == mine.pk
    assert row["authority"] == world.neuss.ags
    assert row["status"] == "failed"
    assert row["attempts"] == 8
    assert row["last_error"] == "SMTPServerDisconnected: gone"
    assert row["kind"] == "email.receipt"


def test_api_filters(world: World) -> None:
    failed(world.neuss)
    done = failed(world.neuss, status=OutboxMessage.Status.DONE)
    client = client_for(world.kreis_admin)
    assert client.get("/api/v1/staff/deliveries").json()["count"] == 1  # attention: failed or delayed
    assert client.get("/api/v1/staff/deliveries?status=done").json()["results"][0]["id"] == done.pk
    assert client.get(f"/api/v1/staff/deliveries?authority={world.dormagen.ags}").json()["count"] == 0
    assert client.get("/api/v1/staff/deliveries?authority=99999999").json()["count"] == 0
    bad = client.get("/api/v1/staff/deliveries?status=lost")
    assert bad.status_code == 400
    assert bad["Content-Type"].startswith("application/problem+json")


def test_api_retry(world: World) -> None:
    message = failed(world.neuss)
    client = client_for(world.admin_neuss)
    response = client.post(f"/api/v1/staff/deliveries/{message.pk}/retry")
    assert response.status_code == 200
    assert response.json()["status"] == "pending"
    assert AuditEvent.objects.filter(action="update", object_id=str(message.pk), channel="api").count() == 1
    OutboxMessage.objects.filter(pk=message.pk).update(status=OutboxMessage.Status.DONE)
    again = client.post(f"/api/v1/staff/deliveries/{message.pk}/retry")
    assert again.status_code == 409
    assert again.json()["code"] == "delivery-done"


def test_list_query_count_does_not_grow_with_rows(world: World, django_assert_max_num_queries: Any) -> None:
    client = client_for(world.caseworker_neuss)
    failed(world.neuss)
    client.get("/api/v1/staff/deliveries?status=failed")  # warm the session and the permission cache
    with django_assert_max_num_queries(16) as few:
        client.get("/api/v1/staff/deliveries?status=failed")
        client.get(f"/backoffice/{world.neuss.ags}/zustellungen/")
    for _ in range(30):
        failed(world.neuss)
    with django_assert_max_num_queries(len(few.captured_queries)):
        assert client.get("/api/v1/staff/deliveries?status=failed").json()["count"] == 31
        assert client.get(f"/backoffice/{world.neuss.ags}/zustellungen/").status_code == 200
