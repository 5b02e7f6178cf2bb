"""The postbox through HTTP: own messages only, newest first, read state, attachments, the header links."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from django.db import connection
from django.template import Context, Template
from django.test import Client, RequestFactory
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from amtsweg.cases.models import Case, Document, PostboxMessage
from amtsweg.identity.models import User
from amtsweg.testing import World

from . import factories_citizen as factories


@pytest.fixture(autouse=True)
def _media(settings: Any, tmp_path: Path) -> None:
    settings.MEDIA_ROOT = tmp_path


@pytest.fixture
def case(world: World) -> Case:
    return factories.submitted_case(citizen=world.citizen, service=world.town_service, authority=world.neuss)


def _client(user: User) -> Client:
    client = Client()
    client.force_login(user)
    return client


def test_list_is_newest_first_with_unread_markers_and_count(world: World, case: Case) -> None:
    request = factories.request_information(case=case, caseworker=world.caseworker_neuss)
    notice = factories.add_document(case=case, kind=Document.Kind.NOTICE)
    newest = factories.deliver_notice_message(case=case, document=notice)
    first = PostboxMessage.objects.get(information_request=request)
    PostboxMessage.objects.filter(pk=first.pk).update(created_at=timezone.now() - timedelta(days=1))
    page = _client(world.citizen).get("/konto/postfach/").content.decode()
    assert page.index(newest.subject) < page.index(first.subject)
    assert "2 ungelesene Nachrichten" in page
    assert page.count("Neu:") == 2
    assert f'href="/konto/postfach/{first.pk}/"' in page and "Nachforderung von Neuss" in page
    assert case.reference in page


def test_opening_a_message_marks_it_read_once(world: World, case: Case) -> None:
    request = factories.request_information(case=case, caseworker=world.caseworker_neuss)
    message = PostboxMessage.objects.get(information_request=request)
    client = _client(world.citizen)
    page = client.get(f"/konto/postfach/{message.pk}/").content.decode()
    assert "Bitte reichen Sie eine Kopie Ihres Personalausweises nach." in page
    assert f'href="/konto/antraege/{case.pk}/nachforderungen/{request.pk}/"' in page
    assert "Jetzt antworten" in page
    message.refresh_from_db()
    first_read = message.read_at
    assert first_read is not None
    client.get(f"/konto/postfach/{message.pk}/")
    message.refresh_from_db()
    assert message.read_at == first_read  # the first reading time is kept
    listing = client.get("/konto/postfach/").content.decode()
    assert "Neu:" not in listing and "Alle Nachrichten sind gelesen." in listing


def test_message_of_an_answered_request_says_so(world: World, case: Case) -> None:
    request = factories.request_information(case=case, caseworker=world.caseworker_neuss)
    client = _client(world.citizen)
    client.post(f"/konto/antraege/{case.pk}/nachforderungen/{request.pk}/", {"answer": "Erledigt."})
    message = PostboxMessage.objects.get(information_request=request)
    page = client.get(f"/konto/postfach/{message.pk}/").content.decode()
    assert "Sie haben diese Nachforderung am" in page and "Jetzt antworten" not in page


def test_message_offers_its_document_but_never_an_internal_one(world: World, case: Case) -> None:
    notice = factories.add_document(case=case, kind=Document.Kind.NOTICE, filename="bescheid.pdf")
    message = factories.deliver_notice_message(case=case, document=notice)
    client = _client(world.citizen)
    page = client.get(f"/konto/postfach/{message.pk}/").content.decode()
    assert f'href="/konto/dokumente/{notice.pk}/"' in page and "bescheid.pdf herunterladen" in page
    assert client.get(f"/konto/dokumente/{notice.pk}/").status_code == 200
    internal = factories.add_document(case=case, kind=Document.Kind.INTERNAL, filename="intern.pdf")
    leaked = factories.deliver_notice_message(case=case, document=internal)
    page = client.get(f"/konto/postfach/{leaked.pk}/").content.decode()
    assert str(internal.pk) not in page and "intern.pdf" not in page
    assert client.get(f"/konto/dokumente/{internal.pk}/").status_code == 404


def test_document_of_a_message_without_a_case_is_downloadable_by_its_recipient_only(
    world: World, case: Case
) -> None:
    letter = factories.add_document(case=case, kind=Document.Kind.ATTACHMENT, filename="info.pdf")
    Document.objects.filter(pk=letter.pk).update(case=None)
    from django.db import transaction

    from amtsweg.cases.services import postbox_deliver

    with transaction.atomic():
        postbox_deliver(
            recipient_id=world.citizen.pk,
            case=None,
            kind=PostboxMessage.Kind.MESSAGE,
            subject="Information",
            body="",
            authority_id=world.neuss.pk,
            document=Document.objects.get(pk=letter.pk),
        )
    assert _client(world.citizen).get(f"/konto/dokumente/{letter.pk}/").status_code == 200
    assert _client(factories.other_citizen()).get(f"/konto/dokumente/{letter.pk}/").status_code == 404


def test_another_citizens_message_is_404_and_stays_unread(world: World, case: Case) -> None:
    request = factories.request_information(case=case, caseworker=world.caseworker_neuss)
    message = PostboxMessage.objects.get(information_request=request)
    other = _client(factories.other_citizen())
    assert other.get(f"/konto/postfach/{message.pk}/").status_code == 404
    assert message.subject not in other.get("/konto/postfach/").content.decode()
    message.refresh_from_db()
    assert message.read_at is None


def test_list_query_count_does_not_grow_with_messages(world: World, case: Case) -> None:
    factories.request_information(case=case, caseworker=world.caseworker_neuss)
    client = _client(world.citizen)
    with CaptureQueriesContext(connection) as one:
        assert client.get("/konto/postfach/").status_code == 200
    for _ in range(5):
        other_case = factories.submitted_case(
            citizen=world.citizen, service=world.town_service, authority=world.neuss
        )
        factories.request_information(case=other_case, caseworker=world.caseworker_neuss)
        factories.deliver_notice_message(
            case=other_case, document=factories.add_document(case=other_case, kind=Document.Kind.NOTICE)
        )
    with CaptureQueriesContext(connection) as eleven:
        assert client.get("/konto/postfach/").status_code == 200
    # Session, user, count, page (with sender, case and document joined), unread count.
    assert len(eleven) == len(one) <= 5, [q["sql"] for q in eleven.captured_queries]


def test_list_is_paginated(world: World, case: Case) -> None:
    from django.db import transaction

    from amtsweg.cases.services import postbox_deliver

    with transaction.atomic():
        for number in range(30):
            postbox_deliver(
                recipient_id=world.citizen.pk,
                case=case,
                kind=PostboxMessage.Kind.MESSAGE,
                subject=f"Nachricht {number:02d}",
                body="",
            )
    client = _client(world.citizen)
    first = client.get("/konto/postfach/").content.decode()
    assert "Nachricht 29" in first and "Nachricht 04" not in first and "Seite 1 von 2" in first
    second = client.get("/konto/postfach/?seite=2").content.decode()
    assert "Nachricht 04" in second and "Nachricht 29" not in second
    assert client.get("/konto/postfach/?seite=abc").status_code == 200


# --- the header's account links ({% account_nav %}) ---------------------------------------------


def _nav(user: Any, path: str = "/leistungen/") -> str:
    from django.contrib.auth.models import AnonymousUser
    from django.urls import resolve

    request = RequestFactory().get(path)
    request.user = user or AnonymousUser()
    request.resolver_match = resolve(path)
    return Template("{% load citizen_nav %}{% account_nav %}").render(Context({"request": request}))


def test_header_offers_login_with_a_way_back(world: World) -> None:
    html = _nav(None, "/leistungen/")
    assert 'href="/konto/anmelden/?next=/leistungen/"' in html and "Anmelden" in html
    assert "?next" not in _nav(None, "/konto/anmelden/")


def test_header_shows_my_account_and_unread_count_for_citizens(world: World, case: Case) -> None:
    assert "ungelesen" not in _nav(world.citizen)
    factories.request_information(case=case, caseworker=world.caseworker_neuss)
    html = _nav(world.citizen)
    assert 'href="/konto/"' in html and "Mein Konto" in html
    assert 'href="/konto/postfach/"' in html and "(1 ungelesen)" in html
    assert "Anmelden" not in html


def test_header_sends_staff_to_the_back_office(world: World) -> None:
    html = _nav(world.caseworker_neuss)
    assert 'href="/backoffice/"' in html and "Mein Konto" not in html
