"""Many Auskunft requests at once: the batch API and the CSV upload page for organisation members."""

from __future__ import annotations

from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.utils import timezone
from pytest_django.fixtures import Settings as SettingsWrapper

from amtsweg.cases.models import Case
from amtsweg.catalog.models import Service
from amtsweg.identity.assurance import SESSION_KEY
from amtsweg.identity.models import Organisation, OrganisationMembership, User
from amtsweg.testing import World, make_user

from .. import intake
from ..models import AuskunftRequest
from .factories import baulasten_setup
from .factories_auskunft import AuskunftSetup, auskunft_setup

pytestmark = pytest.mark.django_db
URL = "/api/v1/baulasten/auskunft/batch"
PAGE = "/baulasten/auskunft/sammelantrag/"


@pytest.fixture
def setup(world: World) -> AuskunftSetup:
    return auskunft_setup(world, baulasten_setup(world))


@pytest.fixture
def notary() -> User:
    user = make_user("notarin@example.org", kind=User.Kind.CITIZEN, first="Nora", last="Notarin")
    organisation = Organisation.objects.create(name="Notariat Beispiel", identifier="NOT-1")
    OrganisationMembership.objects.create(organisation=organisation, user=user)
    return user


def login(user: User, level: str = "substantiell") -> Client:
    client = Client()
    client.force_login(user)
    session = client.session
    session[SESSION_KEY] = {"level": level, "method": "test", "at": timezone.now().isoformat()}
    session.save()
    return client


def item(reference: str, *parcels: dict[str, Any], interest: str = "notar") -> dict[str, Any]:
    return {
        "reference": reference,
        "parcels": list(parcels) or [{"gemarkung": "053359", "flur": 3, "flurstueck": "119/2"}],
        "interest": interest,
        "reason": "Beurkundung eines Kaufvertrags",
    }


def post(client: Client, items: list[dict[str, Any]], **headers: str) -> Any:
    return client.post(URL, data={"items": items}, content_type="application/json", headers=headers)


def test_batch_files_every_item_at_its_keeper(world: World, setup: AuskunftSetup, notary: User) -> None:
    response = post(
        login(notary),
        [
            item(
                "UR-1",
                {"gemarkung": "053359", "flur": 3, "flurstueck": "119/2"},
                {"gemarkung": "Neuss", "flurstueck": "200", "flur": 7},
            ),
            item("UR-2", {"gemarkung": "3347", "flur": 2, "flurstueck": "45"}),
            item("UR-3", {"gemarkung": "Jüchen", "flur": 4, "flurstueck": "8/1"}),
        ],
    )
    assert response.status_code == 201, response.content
    body = response.json()
    assert [r["reference"] for r in body] == ["UR-1", "UR-2", "UR-3"]
    assert [r["authority"] for r in body] == [world.neuss.ags, world.dormagen.ags, world.kreis.ags]
    cases = Case.objects.filter(applicant=notary)
    assert cases.count() == 3
    assert {c.submission.organisation.name for c in cases} == {"Notariat Beispiel"}  # type: ignore[union-attr]
    assert AuskunftRequest.objects.get(case_id=body[0]["case_id"]).parcels.count() == 2
    assert AuskunftRequest.objects.get(case_id=body[0]["case_id"]).source == AuskunftRequest.Source.API


def test_batch_is_all_or_nothing_with_errors_per_item(
    world: World, setup: AuskunftSetup, notary: User
) -> None:
    response = post(
        login(notary),
        [
            item("UR-1"),
            item("UR-2", {"gemarkung": "Nirgendwo", "flurstueck": "1"}),
            item("UR-3", {"gemarkung": "053359", "flur": 3, "flurstueck": "abc"}),
            item(
                "UR-4", {"gemarkung": "053359", "flurstueck": "1"}, {"gemarkung": "053347", "flurstueck": "2"}
            ),
            item("UR-1", interest="hobby"),
        ],
    )
    assert response.status_code == 422
    problem = response.json()
    assert problem["code"] == "baulasten-batch-invalid"
    found = {(e["index"], e["field"]) for e in problem["errors"]}
    assert found == {
        (1, "parcels.0.gemarkung"),
        (2, "parcels.0.flurstueck"),
        (3, "parcels.1.gemarkung"),
        (4, "reference"),
        (4, "interest"),
    }
    assert not Case.objects.filter(applicant=notary).exists()


def test_batch_idempotency_key_returns_the_same_cases(
    world: World, setup: AuskunftSetup, notary: User
) -> None:
    client = login(notary)
    first = post(client, [item("UR-1"), item("UR-2")], **{"Idempotency-Key": "abc-1"})
    assert first.status_code == 201
    again = post(client, [item("UR-1"), item("UR-2")], **{"Idempotency-Key": "abc-1"})
    assert again.status_code == 200
    assert [r["case_id"] for r in again.json()] == [r["case_id"] for r in first.json()]
    assert Case.objects.filter(applicant=notary).count() == 2
    other = post(client, [item("UR-9")], **{"Idempotency-Key": "abc-1"})
    assert other.status_code == 422 and other.json()["code"] == "idempotency-key-reused"
    assert post(client, [item("UR-1")], **{"Idempotency-Key": "abc-2"}).status_code == 201


def test_batch_limit(world: World, setup: AuskunftSetup, notary: User, settings: SettingsWrapper) -> None:
    settings.BAULASTEN_AUSKUNFT_BATCH_MAX = 2
    response = post(login(notary), [item("A"), item("B"), item("C")])
    assert response.status_code == 422 and response.json()["code"] == "baulasten-batch-too-large"
    assert not Case.objects.exists()


def test_batch_is_for_organisation_members_only(world: World, setup: AuskunftSetup) -> None:
    response = post(login(world.citizen), [item("A")])
    assert response.status_code == 403 and response.json()["code"] == "baulasten-not-professional"
    assert post(login(setup.base.bau_neuss), [item("A")]).status_code == 403
    assert post(Client(), [item("A")]).status_code in (401, 403)


def test_service_items_check_without_http(world: World, setup: AuskunftSetup) -> None:
    with pytest.raises(intake.BatchInvalid) as raised:
        intake.batch_check([])
    assert raised.value.status_code == 422


# --- the CSV page ---------------------------------------------------------------------------------------

HEADER = "reference;gemarkung;flur;flurstueck;interesse;begruendung\n"


def upload(client: Client, text: str) -> Any:
    return client.post(
        PAGE, {"aktion": "vorschau", "datei": SimpleUploadedFile("a.csv", text.encode(), "text/csv")}
    )


def test_csv_preview_shows_errors_per_line_and_files_nothing(
    world: World, setup: AuskunftSetup, notary: User
) -> None:
    client = login(notary)
    response = upload(
        client,
        HEADER
        + "UR-1;053359;3;119/2;notar;Kaufvertrag\n"
        + "UR-1;Nirgendwo;1;5;notar;Kaufvertrag\n"
        + "UR-2;053359;3;x/y;notar;Kaufvertrag\n",
    )
    assert response.status_code == 422
    page = response.content.decode()
    assert 'href="#zeile-3"' in page and 'href="#zeile-4"' in page
    assert 'href="#zeile-2"' not in page
    assert "einreichen" not in page.split("</table>")[1]
    assert not Case.objects.exists()


def test_csv_missing_columns(world: World, setup: AuskunftSetup, notary: User) -> None:
    response = upload(login(notary), "reference;gemarkung\nA;053359\n")
    assert response.status_code == 422
    assert "flurstueck" in response.content.decode()


def test_csv_confirm_files_the_requests_once(world: World, setup: AuskunftSetup, notary: User) -> None:
    client = login(notary)
    response = upload(
        client,
        HEADER
        + "UR-1;053359;3;119/2;notar;Kaufvertrag\n"
        + "UR-1;Neuss;7;200;notar;Kaufvertrag\n"
        + "UR-2;3347;2;45;Kreditinstitut (Beleihung);Beleihung\n",
    )
    assert response.status_code == 200, response.content.decode()[:2000]
    token = response.context["token"]
    done = client.post(PAGE, {"aktion": "einreichen", "token": token})
    assert done.status_code == 200
    cases = Case.objects.filter(applicant=notary)
    assert cases.count() == 2
    page = done.content.decode()
    for case in cases:
        assert case.reference in page
    assert "UR-1" in page and "UR-2" in page
    assert AuskunftRequest.objects.get(case__authority=world.dormagen).interest_category == "kreditinstitut"
    again = client.post(PAGE, {"aktion": "einreichen", "token": token})  # a double click
    assert again.status_code == 200
    assert Case.objects.filter(applicant=notary).count() == 2
    assert client.post(PAGE, {"aktion": "einreichen", "token": "falsch"}).status_code == 409


def test_csv_page_gates(world: World, setup: AuskunftSetup, notary: User) -> None:
    assert login(world.citizen).get(PAGE).status_code == 403  # no organisation
    assert login(notary).get(PAGE).status_code == 200
    # the level is the service's: "normal" by default, a password login is enough …
    assert login(notary, level="normal").get(PAGE).status_code == 200
    # … and an authority that asks for more gets the step-up first
    Service.objects.filter(leika_key="99012004023000").update(required_trust_level="substantiell")
    assert login(notary, level="normal").get(PAGE).status_code == 302
    template = Client().get("/baulasten/auskunft/sammelantrag/vorlage.csv")
    assert template.status_code == 200
    assert template.content.decode("utf-8-sig").startswith(
        "reference;gemarkung;flur;flurstueck;interesse;begruendung"
    )
