"""Back office: the authority's notice list, the PDF for staff (audited) and revocation."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from amtsweg.cases.models import CaseEvent, PostboxMessage
from amtsweg.identity.models import User
from amtsweg.notices.models import Notice
from amtsweg.outbox.models import OutboxMessage
from amtsweg.tenancy.models import AuditEvent
from amtsweg.testing import World

from .factories import PLACEHOLDER_PDF, issued_notice, with_placeholder_pdf

pytestmark = pytest.mark.django_db

NEUSS = "05162024"


@pytest.fixture
def login(client: Client) -> Callable[[User], Client]:
    def as_user(user: User) -> Client:
        client.force_login(user)
        return client

    return as_user


def test_the_list_shows_the_authoritys_notices_only(world: World, login: Callable[[User], Client]) -> None:
    own = with_placeholder_pdf(issued_notice(world))
    other = with_placeholder_pdf(issued_notice(world, authority=world.dormagen))
    response = login(world.caseworker_neuss).get(f"/backoffice/{NEUSS}/bescheide/")
    html = response.content.decode()
    assert response.status_code == 200
    assert own.case.reference in html and f"/backoffice/{NEUSS}/bescheide/{own.pk}/pdf/" in html
    assert other.case.reference not in html


def test_the_list_filters_by_status(world: World, login: Callable[[User], Client]) -> None:
    issued = with_placeholder_pdf(issued_notice(world))
    rendering = issued_notice(world)
    client = login(world.caseworker_neuss)
    html = client.get(f"/backoffice/{NEUSS}/bescheide/", {"status": "rendering"}).content.decode()
    assert rendering.case.reference in html and issued.case.reference not in html
    assert client.get(f"/backoffice/{NEUSS}/bescheide/", {"status": "nonsense"}).status_code == 200


def test_the_list_needs_the_same_queries_for_one_or_many_notices(
    world: World, login: Callable[[User], Client]
) -> None:
    client = login(world.caseworker_neuss)
    with_placeholder_pdf(issued_notice(world))
    with CaptureQueriesContext(connection) as one:
        client.get(f"/backoffice/{NEUSS}/bescheide/")
    for _ in range(5):
        with_placeholder_pdf(issued_notice(world))
    with CaptureQueriesContext(connection) as many:
        client.get(f"/backoffice/{NEUSS}/bescheide/")
    assert len(many.captured_queries) == len(one.captured_queries)


def test_other_towns_staff_get_404(world: World, login: Callable[[User], Client]) -> None:
    notice = with_placeholder_pdf(issued_notice(world))
    client = login(world.caseworker_dormagen)
    for url in (
        f"/backoffice/{NEUSS}/bescheide/",
        f"/backoffice/{NEUSS}/bescheide/{notice.pk}/pdf/",
        f"/backoffice/{NEUSS}/bescheide/{notice.pk}/aufheben/",
    ):
        assert client.get(url).status_code == 404, url
    # Their own town's address with a Neuss notice's id is no way round it either.
    assert client.get(f"/backoffice/05162004/bescheide/{notice.pk}/pdf/").status_code == 404
    assert (
        client.post(f"/backoffice/05162004/bescheide/{notice.pk}/aufheben/", {"reason": "x"}).status_code
        == 404
    )
    notice.refresh_from_db()
    assert notice.status == Notice.Status.ISSUED


def test_staff_download_the_pdf_and_the_read_is_audited(
    world: World, login: Callable[[User], Client]
) -> None:
    notice = with_placeholder_pdf(issued_notice(world))
    response = login(world.caseworker_neuss).get(f"/backoffice/{NEUSS}/bescheide/{notice.pk}/pdf/")
    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    assert response["Content-Disposition"].startswith("attachment;")
    assert response.getvalue() == PLACEHOLDER_PDF
    read = AuditEvent.objects.get(object_type="notices.notice", object_id=str(notice.pk), action="read")
    assert read.actor == world.caseworker_neuss and read.authority == world.neuss


def test_a_notice_not_rendered_yet_has_no_pdf(world: World, login: Callable[[User], Client]) -> None:
    notice = issued_notice(world)
    assert (
        login(world.caseworker_neuss).get(f"/backoffice/{NEUSS}/bescheide/{notice.pk}/pdf/").status_code
        == 404
    )


def test_revoking_needs_a_reason(world: World, login: Callable[[User], Client]) -> None:
    notice = with_placeholder_pdf(issued_notice(world))
    client = login(world.caseworker_neuss)
    url = f"/backoffice/{NEUSS}/bescheide/{notice.pk}/aufheben/"
    page = client.get(url)
    assert page.status_code == 200 and 'name="reason"' in page.content.decode()
    response = client.post(url, {"reason": "   "})
    assert response.status_code == 400
    assert "Bitte geben Sie den Grund der Aufhebung an." in response.content.decode()
    notice.refresh_from_db()
    assert notice.status == Notice.Status.ISSUED


def test_revoking_tells_the_applicant_and_is_recorded(world: World, login: Callable[[User], Client]) -> None:
    notice = with_placeholder_pdf(issued_notice(world))
    client = login(world.caseworker_neuss)
    url = f"/backoffice/{NEUSS}/bescheide/{notice.pk}/aufheben/"
    response = client.post(url, {"reason": "Die Gebühr wurde falsch berechnet."})
    assert response.status_code == 302 and response["Location"] == f"/backoffice/{NEUSS}/bescheide/"

    notice.refresh_from_db()
    assert notice.status == Notice.Status.REVOKED and notice.revoked_at is not None
    assert notice.revoked_reason == "Die Gebühr wurde falsch berechnet."
    event = CaseEvent.objects.filter(case=notice.case, kind=CaseEvent.Kind.NOTICE).last()
    assert (
        event is not None
        and event.detail == {"notice": notice.pk, "revoked": True}
        and event.visible_to_applicant
    )
    message = PostboxMessage.objects.get(case=notice.case, kind=PostboxMessage.Kind.MESSAGE)
    assert message.recipient == world.citizen and "falsch berechnet" in message.body
    assert OutboxMessage.objects.filter(kind="email.postbox", payload={"message": message.pk}).exists()
    update = AuditEvent.objects.get(object_type="notices.notice", object_id=str(notice.pk), action="update")
    assert update.changes["status"] == ["issued", "revoked"]

    again = client.post(url, {"reason": "Noch einmal"})
    assert (
        again.status_code == 409
        and "aufgehoben. Grund: Die Gebühr wurde falsch berechnet." in again.content.decode()
    )
    assert PostboxMessage.objects.filter(case=notice.case, kind=PostboxMessage.Kind.MESSAGE).count() == 1


def test_authority_admins_may_revoke_too(world: World, login: Callable[[User], Client]) -> None:
    notice = with_placeholder_pdf(issued_notice(world))
    response = login(world.admin_neuss).post(
        f"/backoffice/{NEUSS}/bescheide/{notice.pk}/aufheben/", {"reason": "Widerruf"}
    )
    assert response.status_code == 302


def test_citizens_and_visitors_have_no_back_office(world: World, client: Client) -> None:
    notice = with_placeholder_pdf(issued_notice(world))
    url = f"/backoffice/{NEUSS}/bescheide/{notice.pk}/aufheben/"
    assert client.post(url, {"reason": "x"}).status_code == 302  # to the login
    client.force_login(world.citizen)
    assert client.post(url, {"reason": "x"}).status_code == 403
    notice.refresh_from_db()
    assert notice.status == Notice.Status.ISSUED
