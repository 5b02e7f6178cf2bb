"""The citizen's application flow through the portal, driven through the test client like a browser.

Start at the responsible town → steps with errors and corrections → repeating rows → uploads
(valid, disguised, oversized, wrong type) → review → submit → receipt; double submits, tampered
and foreign draft ids, expired sessions, and a new form version published while a draft is open.
"""

from __future__ import annotations

import re
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.http import QueryDict
from django.test import Client
from django.utils import timezone

from amtsweg.cases.models import Case, Document, Submission
from amtsweg.forms.models import Draft, FormVersion
from amtsweg.forms.tests.factories import (
    EXE_BYTES,
    PDF_BYTES,
    SCHEMA,
    ZIP_BYTES,
    adult_birth_date,
    flat_answers,
    make_draft,
    publish_form,
)
from amtsweg.identity.models import User
from amtsweg.testing import World, make_user


@pytest.fixture(autouse=True)
def media(settings: Any) -> Iterator[Path]:
    with tempfile.TemporaryDirectory() as folder:
        settings.MEDIA_ROOT = folder
        yield Path(folder)


@pytest.fixture
def version(world: World) -> FormVersion:
    return publish_form(world.town_service)


@pytest.fixture
def citizen(world: World, version: FormVersion) -> Client:
    client = Client()
    client.force_login(world.citizen)
    return client


@pytest.fixture
def other_citizen(world: World) -> User:
    return make_user("otto@example.org", kind=User.Kind.CITIZEN, first="Otto", last="Other")


def start(client: Client, world: World) -> Draft:
    response = client.post(f"/antraege/neu/{world.town_service.leika_key}/", {"ags": world.neuss.ags})
    assert response.status_code == 302
    draft = Draft.objects.filter(applicant=world.citizen).latest("created_at")
    assert response["Location"] == f"/antraege/{draft.id}/schritt/person/"
    return draft


def person_post(**overrides: str) -> dict[str, str]:
    data = {
        "given_name": "Clara",
        "family_name": "Citizen",
        "birth_date": adult_birth_date(),
        "email": "clara@example.org",
        "phone": "",
        "address.street": "Markt",
        "address.house_number": "1",
        "address.postcode": "41460",
        "address.city": "Neuss",
        "_action": "next",
    }
    data.update(overrides)
    return data


def details_post(purpose: str = "authority", **overrides: str) -> dict[str, Any]:
    data: dict[str, Any] = {
        "purpose": purpose,
        "copies": "2",
        "fee": "10,00",
        "languages": ["de", "fr"],
        "valid_from": "",
        "valid_until": "",
        "remarks": "",
        "_action": "next",
    }
    data.update(overrides)
    return data


def errors_in(html: str) -> list[str]:
    summary = re.search(r'<div class="error-summary".*?</div>', html, re.S)
    return re.findall(r"<li>(?:<a[^>]*>)?(.*?)(?:</a>)?</li>", summary.group(0)) if summary else []


# --- start ------------------------------------------------------------------------------------


def test_start_page_names_the_responsible_town_and_starts_a_draft(citizen: Client, world: World) -> None:
    page = citizen.get(f"/antraege/neu/{world.town_service.leika_key}/?ags={world.dormagen.ags}")
    assert page.status_code == 200
    assert "Ihr Antrag geht an Dormagen." in page.content.decode()
    response = citizen.post(f"/antraege/neu/{world.town_service.leika_key}/", {"ags": world.dormagen.ags})
    draft = Draft.objects.get(applicant=world.citizen)
    assert response["Location"] == f"/antraege/{draft.id}/schritt/person/"
    assert draft.authority == world.dormagen
    assert draft.form_version.status == FormVersion.Status.PUBLISHED
    assert draft.current_step == "person"


def test_start_without_residence_goes_back_to_the_service_page(citizen: Client, world: World) -> None:
    response = citizen.get(f"/antraege/neu/{world.town_service.leika_key}/")
    assert response.status_code == 302
    assert response["Location"] == f"/leistungen/{world.town_service.leika_key}/#zustaendigkeit"


@pytest.mark.parametrize(
    ("ags", "status", "text"),
    [("99999999", 404, "keine Behörde"), ("0516", 400, "8 Ziffern"), ("05162000", 400, "ist ein Kreis")],
)
def test_start_with_a_bad_residence_explains_why(
    citizen: Client, world: World, ags: str, status: int, text: str
) -> None:
    response = citizen.post(f"/antraege/neu/{world.town_service.leika_key}/", {"ags": ags})
    assert response.status_code == status
    assert text in response.content.decode()
    assert not Draft.objects.exists()


def test_start_without_a_published_form_says_so(citizen: Client, world: World) -> None:
    response = citizen.post(f"/antraege/neu/{world.kreis_service.leika_key}/", {"ags": world.neuss.ags})
    assert response.status_code == 404
    assert "noch kein Online-Formular" in response.content.decode()
    assert not Draft.objects.exists()


def test_start_for_an_unknown_service_is_404(citizen: Client) -> None:
    assert citizen.get("/antraege/neu/00000000000000/?ags=05162024").status_code == 404


def test_anonymous_visitors_are_sent_to_the_citizen_login(world: World, version: FormVersion) -> None:
    url = f"/antraege/neu/{world.town_service.leika_key}/?ags={world.neuss.ags}"
    response = Client().get(url)
    assert response.status_code == 302
    assert response["Location"].startswith("/konto/anmelden/?next=")
    assert Client().get("/antraege/").status_code == 302


def test_staff_accounts_get_403(world: World, version: FormVersion) -> None:
    client = Client()
    client.force_login(world.caseworker_neuss)
    response = client.post(f"/antraege/neu/{world.town_service.leika_key}/", {"ags": world.neuss.ags})
    assert response.status_code == 403
    assert "Bürgerkonto" in response.content.decode()
    assert client.get("/antraege/").status_code == 403
    assert not Draft.objects.exists()


# --- the whole way ----------------------------------------------------------------------------


def test_the_whole_way_from_start_to_receipt(citizen: Client, world: World, media: Path) -> None:
    draft = start(citizen, world)
    step_url = f"/antraege/{draft.id}/schritt"

    # Step 1 with mistakes: everything typed comes back, with an error summary linking to the fields.
    page = citizen.post(
        f"{step_url}/person/",
        person_post(family_name="", email="clara(at)example", **{"address.postcode": "4146"}),
    )
    html = page.content.decode()
    assert page.status_code == 200
    assert errors_in(html) == [
        "Bitte geben Sie „Familienname“ an.",
        "Bitte geben Sie eine gültige E-Mail-Adresse ein, z. B. name@beispiel.de.",
        "Eine deutsche Postleitzahl besteht aus genau 5 Ziffern.",
    ]
    assert 'href="#f-family_name"' in html and 'href="#f-address-postcode"' in html
    assert 'value="clara(at)example"' in html and 'value="4146"' in html and 'value="Markt"' in html
    assert 'aria-invalid="true" aria-describedby="f-email-error"' in html
    assert "<title>Fehler:" in html
    draft.refresh_from_db()
    assert draft.data == {}  # nothing half-saved

    # Corrected: saved and on to step 2.
    response = citizen.post(f"{step_url}/person/", person_post())
    assert response["Location"] == f"{step_url}/details/"
    draft.refresh_from_db()
    assert draft.data["address"] == {
        "street": "Markt",
        "house_number": "1",
        "postcode": "41460",
        "city": "Neuss",
    }
    assert draft.completed_steps == ["person"]

    # Step 2: German number formats and a cross-field rule.
    page = citizen.post(
        f"{step_url}/details/", details_post("work", valid_from="2030-05-01", valid_until="2030-04-01")
    )
    assert errors_in(page.content.decode()) == ["„Gültig bis“ darf nicht vor „Gültig ab“ liegen."]
    response = citizen.post(f"{step_url}/details/", details_post("work", fee="1.234,5", copies="3"))
    assert response.status_code == 302
    draft.refresh_from_db()
    assert draft.data["fee"] == "1234.50" and draft.data["copies"] == "3"
    assert draft.data["languages"] == ["de", "fr"]

    # Step 3: "yes" reveals the children; adding and removing rows works without JavaScript.
    assert response["Location"] == f"{step_url}/family/"
    page = citizen.get(f"{step_url}/family/")
    assert "children.0.child_name" not in page.content.decode()  # hidden until "yes" is saved
    page = citizen.post(
        f"{step_url}/family/", {"has_children": "ja", "_action": "next", "_shown": "has_children"}
    )
    html = page.content.decode()
    assert "weitere Angaben" in html and not errors_in(html)
    assert 'name="children.0.child_name"' in html
    response = citizen.post(
        f"{step_url}/family/",
        {
            "has_children": "ja",
            "children.0._row": "1",
            "children.0.child_name": "Carl",
            "children.0.child_birth_date": "2015-05-01",
            "_add_row": "children",
            "_shown": "has_children,children",
        },
    )
    assert response.status_code == 302
    assert response["Location"] == f"{step_url}/family/?weitere=children#f-children-row-1"
    html = citizen.get(response["Location"]).content.decode()
    assert 'value="Carl"' in html and 'name="children.1.child_name"' in html
    assert "Weitere Zeile" in html
    rows = {
        "has_children": "ja",
        "children.0._row": "1",
        "children.0.child_name": "Carl",
        "children.0.child_birth_date": "2015-05-01",
        "children.0.attends_school": "ja",
        "children.1._row": "1",
        "children.1.child_name": "Cleo",
        "children.1.child_birth_date": "2023-02-03",
        "_shown": "has_children,children",
    }
    page = citizen.post(f"{step_url}/family/", {**rows, "_action": "next"})
    assert errors_in(page.content.decode()) == ["Bitte geben Sie „Name der Schule“ an."]
    assert 'href="#f-children-0-school_name"' in page.content.decode()
    response = citizen.post(f"{step_url}/family/", {**rows, "_remove_row": "children.0"})
    assert response["Location"] == f"{step_url}/family/#f-children"
    draft.refresh_from_db()
    assert [child["child_name"] for child in draft.data["children"]] == ["Cleo"]
    rows = {k: v for k, v in rows.items() if not k.startswith("children.0")}
    rows = {k.replace("children.1", "children.0"): v for k, v in rows.items()}
    response = citizen.post(f"{step_url}/family/", {**rows, "_action": "next"})
    assert response["Location"] == f"{step_url}/employer/"  # purpose "work" shows the employer step

    # Step 4: uploads. A disguised exe, a ZIP and an oversized file are refused with clear messages;
    # the valid PDF is kept even though the step still has an error.
    page = citizen.post(
        f"{step_url}/employer/",
        {
            "employer_name": "",
            "proof": [
                SimpleUploadedFile("Vertrag.pdf", PDF_BYTES, "application/pdf"),
                SimpleUploadedFile("Ausweis.pdf", EXE_BYTES, "application/pdf"),
            ],
            "_action": "next",
        },
    )
    html = page.content.decode()
    assert errors_in(html) == [
        "Bitte geben Sie „Name des Arbeitgebers“ an.",
        "Die Datei „Ausweis.pdf“ hat keinen erlaubten Dateityp. Erlaubt sind: PDF, JPEG, PNG. "
        "Maßgeblich ist der Inhalt der Datei, nicht ihr Name.",
    ]
    stored = Document.objects.get(draft=draft)
    assert stored.filename == "Vertrag.pdf" and stored.content_type == "application/pdf"
    assert f'name="proof" value="{stored.pk}"' in html  # shown with a remove button, kept on the next post
    assert 'name="_remove_file"' in html
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr("amtsweg.cases.documents.upload_max_mb", lambda: 1)
        page = citizen.post(
            f"{step_url}/employer/",
            {
                "employer_name": "ACME",
                "proof": [
                    str(stored.pk),
                    SimpleUploadedFile("gross.pdf", PDF_BYTES + b"0" * 1024 * 1024, "application/pdf"),
                ],
                "_action": "next",
            },
        )
    assert errors_in(page.content.decode()) == [
        "Die Datei „gross.pdf“ ist zu groß. Erlaubt sind höchstens 1 MB."
    ]
    page = citizen.post(
        f"{step_url}/employer/",
        {
            "employer_name": "ACME",
            "proof": [str(stored.pk), SimpleUploadedFile("a.zip", ZIP_BYTES)],
            "_action": "next",
        },
    )
    assert "hat keinen erlaubten Dateityp" in page.content.decode()
    assert Document.objects.filter(draft=draft).count() == 1
    response = citizen.post(
        f"{step_url}/employer/", {"employer_name": "ACME", "proof": str(stored.pk), "_action": "next"}
    )
    assert response["Location"] == f"/antraege/{draft.id}/pruefen/"

    # Review: every answer readable, a change link per step.
    page = citizen.get(f"/antraege/{draft.id}/pruefen/")
    html = page.content.decode()
    for text in (
        "Markt 1, 41460 Neuss",
        "1.234,50 €",
        "Deutsch, Französisch",
        "Arbeitgeber",
        "Vertrag.pdf",
        "Cleo",
    ):
        assert text in html
    assert f'href="/antraege/{draft.id}/schritt/family/?ziel=pruefen"' in html
    assert not errors_in(html)

    # Submit, twice (a double click): one submission, one case, the same receipt.
    first = citizen.post(f"/antraege/{draft.id}/einreichen/", {"draft": str(draft.id)})
    second = citizen.post(f"/antraege/{draft.id}/einreichen/", {"draft": str(draft.id)})
    assert first["Location"] == second["Location"] == f"/antraege/{draft.id}/eingang/"
    assert Submission.objects.count() == 1 and Case.objects.count() == 1
    case = Case.objects.get()
    assert case.authority == world.neuss and case.applicant == world.citizen
    assert Document.objects.get(pk=stored.pk).case == case

    receipt = citizen.get(f"/antraege/{draft.id}/eingang/").content.decode()
    assert case.reference in receipt and "Neuss" in receipt
    assert "wird gerade erstellt" in receipt  # the worker has not rendered the PDF yet
    Document.objects.create(
        kind=Document.Kind.RECEIPT,
        case=case,
        filename="Eingangsbestaetigung.pdf",
        content_type="application/pdf",
        size=1,
        sha256="0" * 64,
        created_at=timezone.now(),
        file="documents/receipt.pdf",
    )
    receipt = citizen.get(f"/antraege/{draft.id}/eingang/").content.decode()
    assert "Eingangsbestätigung herunterladen" in receipt and "wird gerade erstellt" not in receipt

    # Once submitted, the form pages lead to the receipt; nothing can be changed any more.
    assert citizen.get(f"{step_url}/person/")["Location"] == f"/antraege/{draft.id}/eingang/"
    assert citizen.post(f"{step_url}/person/", person_post(given_name="X"))["Location"].endswith("/eingang/")
    assert citizen.get(f"/antraege/{draft.id}/")["Location"].endswith("/eingang/")
    assert Submission.objects.get().data["given_name"] == "Clara"


def test_a_hidden_step_is_skipped_and_its_answers_do_not_count(citizen: Client, world: World) -> None:
    draft = start(citizen, world)
    data = flat_answers(purpose="authority")
    data["employer_name"] = "stale answer from an earlier choice"
    Draft.objects.filter(pk=draft.pk).update(data=data, completed_steps=["person", "details", "family"])
    response = citizen.post(
        f"/antraege/{draft.id}/schritt/family/", {"has_children": "nein", "_action": "next"}
    )
    assert response["Location"] == f"/antraege/{draft.id}/pruefen/"
    assert citizen.get(f"/antraege/{draft.id}/schritt/employer/")["Location"] == f"/antraege/{draft.id}/"
    assert "Arbeitgeber" not in citizen.get(f"/antraege/{draft.id}/pruefen/").content.decode()


def test_save_and_continue_later_on_another_device(citizen: Client, world: World) -> None:
    draft = start(citizen, world)
    # Incomplete, but well-formed: saved without complaints about what is missing.
    response = citizen.post(
        f"/antraege/{draft.id}/schritt/person/",
        {"given_name": "Clara", "_action": "save", "address.city": ""},
    )
    assert response["Location"] == "/antraege/"
    listing = citizen.get("/antraege/").content.decode()
    assert "Ihre Angaben sind gespeichert" in listing and world.town_service.name in listing
    draft.refresh_from_db()
    assert draft.data == {"given_name": "Clara"} and draft.completed_steps == []

    # A malformed answer is never stored, not even for later: the page says what is wrong.
    page = citizen.post(
        f"/antraege/{draft.id}/schritt/person/", {"given_name": "Clara", "email": "x", "_action": "save"}
    )
    assert errors_in(page.content.decode()) == [
        "Bitte geben Sie eine gültige E-Mail-Adresse ein, z. B. name@beispiel.de."
    ]

    phone = Client()  # another device, same account
    phone.force_login(world.citizen)
    response = phone.get(f"/antraege/{draft.id}/")
    assert response["Location"] == f"/antraege/{draft.id}/schritt/person/"
    assert 'value="Clara"' in phone.get(response["Location"]).content.decode()


def test_back_saves_what_is_valid(citizen: Client, world: World) -> None:
    draft = start(citizen, world)
    citizen.post(f"/antraege/{draft.id}/schritt/person/", person_post())
    response = citizen.post(f"/antraege/{draft.id}/schritt/details/", {"copies": "4", "_action": "back"})
    assert response["Location"] == f"/antraege/{draft.id}/schritt/person/"
    draft.refresh_from_db()
    assert draft.data["copies"] == "4"
    assert draft.completed_steps == ["person"]


def test_removing_an_upload_deletes_it(
    citizen: Client, world: World, django_capture_on_commit_callbacks: Any
) -> None:
    draft = start(citizen, world)
    Draft.objects.filter(pk=draft.pk).update(data=flat_answers(purpose="work"))
    citizen.post(
        f"/antraege/{draft.id}/schritt/employer/",
        {"employer_name": "ACME", "proof": SimpleUploadedFile("a.pdf", PDF_BYTES), "_upload": "proof"},
    )
    document = Document.objects.get(draft=draft)
    path = Path(document.file.path)
    draft.refresh_from_db()
    assert draft.data["proof"] == [str(document.pk)]
    download = citizen.get(f"/antraege/{draft.id}/dateien/{document.pk}/")
    assert download.status_code == 200 and download["Content-Disposition"].startswith("attachment")
    assert b"".join(download.streaming_content) == PDF_BYTES  # type: ignore[attr-defined]

    with django_capture_on_commit_callbacks(execute=True):  # the file goes once the row is gone for good
        response = citizen.post(
            f"/antraege/{draft.id}/schritt/employer/",
            {"employer_name": "ACME", "proof": str(document.pk), "_remove_file": str(document.pk)},
        )
    assert response.status_code == 302
    assert not Document.objects.filter(pk=document.pk).exists()
    draft.refresh_from_db()
    assert "proof" not in draft.data
    assert not path.exists()


def test_a_document_of_another_draft_cannot_be_claimed(
    citizen: Client, world: World, other_citizen: User
) -> None:
    version = FormVersion.objects.get()
    foreign = make_draft(applicant=other_citizen, version=version, authority=world.neuss)
    foreign_doc = Document.objects.create(
        kind="attachment", draft=foreign, field_key="proof", filename="x.pdf", content_type="application/pdf",
        size=1, sha256="0" * 64, created_at=timezone.now(), file="documents/x",
    )  # fmt: skip
    draft = start(citizen, world)
    Draft.objects.filter(pk=draft.pk).update(data=flat_answers(purpose="work"))
    page = citizen.post(
        f"/antraege/{draft.id}/schritt/employer/",
        {"employer_name": "ACME", "proof": str(foreign_doc.pk), "_action": "next"},
    )
    assert "gehört nicht zu diesem Antrag" in page.content.decode()
    assert citizen.get(f"/antraege/{draft.id}/dateien/{foreign_doc.pk}/").status_code == 404
    response = citizen.post(
        f"/antraege/{draft.id}/schritt/employer/",
        {"employer_name": "ACME", "_remove_file": str(foreign_doc.pk)},
    )
    assert response.status_code == 302
    assert Document.objects.filter(pk=foreign_doc.pk).exists()


def test_incomplete_application_cannot_be_submitted(citizen: Client, world: World) -> None:
    draft = start(citizen, world)
    citizen.post(f"/antraege/{draft.id}/schritt/person/", person_post())
    review = citizen.get(f"/antraege/{draft.id}/pruefen/").content.decode()
    assert "noch nicht vollständig" in review
    assert f'href="/antraege/{draft.id}/schritt/details/?ziel=pruefen"' in review
    response = citizen.post(f"/antraege/{draft.id}/einreichen/", {"draft": str(draft.id)})
    assert response.status_code == 422
    assert (
        "Bitte wählen Sie bei „Wofür brauchen Sie die Bescheinigung?“ eine Antwort aus."
        in response.content.decode()
    )
    assert not Submission.objects.exists() and not Case.objects.exists()
    draft.refresh_from_db()
    assert draft.submitted_at is None


def test_changing_from_the_review_returns_to_it(citizen: Client, world: World) -> None:
    draft = start(citizen, world)
    Draft.objects.filter(pk=draft.pk).update(
        data=flat_answers(), completed_steps=["person", "details", "family"]
    )
    page = citizen.get(f"/antraege/{draft.id}/schritt/person/?ziel=pruefen").content.decode()
    assert 'name="_return" value="review"' in page
    response = citizen.post(f"/antraege/{draft.id}/schritt/person/", {**person_post(), "_return": "review"})
    assert response["Location"] == f"/antraege/{draft.id}/pruefen/"


def test_submit_form_must_carry_the_draft_id(citizen: Client, world: World) -> None:
    draft = start(citizen, world)
    Draft.objects.filter(pk=draft.pk).update(data=flat_answers())
    response = citizen.post(f"/antraege/{draft.id}/einreichen/", {"draft": "something else"})
    assert response["Location"] == f"/antraege/{draft.id}/pruefen/"
    assert not Submission.objects.exists()


def test_delete_a_draft(citizen: Client, world: World) -> None:
    draft = start(citizen, world)
    assert "Endgültig löschen" in citizen.get(f"/antraege/{draft.id}/loeschen/").content.decode()
    response = citizen.post(f"/antraege/{draft.id}/loeschen/")
    assert response["Location"] == "/antraege/"
    assert not Draft.objects.filter(pk=draft.pk).exists()
    assert citizen.get(f"/antraege/{draft.id}/").status_code == 404


# --- other people's drafts, tampered ids, expired sessions -----------------------------------------


def draft_urls(draft: Draft) -> list[tuple[str, str]]:
    base = f"/antraege/{draft.id}"
    return [
        ("get", f"{base}/"),
        ("get", f"{base}/schritt/person/"),
        ("post", f"{base}/schritt/person/"),
        ("get", f"{base}/pruefen/"),
        ("post", f"{base}/einreichen/"),
        ("get", f"{base}/eingang/"),
        ("get", f"{base}/loeschen/"),
        ("post", f"{base}/loeschen/"),
    ]


def test_another_citizens_draft_is_404_everywhere(
    world: World, version: FormVersion, other_citizen: User
) -> None:
    draft = make_draft(
        applicant=world.citizen, version=version, authority=world.neuss, data={"given_name": "Clara"}
    )
    client = Client()
    client.force_login(other_citizen)
    for method, url in draft_urls(draft):
        response = getattr(client, method)(url, {"given_name": "Mallory", "draft": str(draft.id)})
        assert response.status_code == 404, url
        assert "Clara" not in response.content.decode()
    draft.refresh_from_db()
    assert draft.data == {"given_name": "Clara"}
    assert Draft.objects.filter(pk=draft.pk).exists()
    assert "Clara" not in client.get("/antraege/").content.decode()


@pytest.mark.parametrize(
    "url",
    [
        "/antraege/00000000-0000-0000-0000-000000000000/",
        "/antraege/00000000-0000-0000-0000-000000000000/schritt/person/",
        "/antraege/not-a-uuid/",
        "/antraege/../admin/",
    ],
)
def test_tampered_draft_ids_are_404(citizen: Client, url: str) -> None:
    assert citizen.get(url).status_code == 404


def test_unknown_step_is_404(citizen: Client, world: World) -> None:
    draft = start(citizen, world)
    assert citizen.get(f"/antraege/{draft.id}/schritt/nope/").status_code == 404
    assert citizen.get(f"/antraege/{draft.id}/schritt/NOPE!/").status_code == 404


def test_expired_session_mid_form_keeps_the_draft(citizen: Client, world: World) -> None:
    draft = start(citizen, world)
    citizen.post(f"/antraege/{draft.id}/schritt/person/", person_post())
    draft.refresh_from_db()
    before = (draft.data, draft.completed_steps, draft.updated_at)

    citizen.logout()  # the session expired while the citizen was typing step 2
    response = citizen.post(f"/antraege/{draft.id}/schritt/details/", details_post())
    assert response.status_code == 302
    assert response["Location"] == f"/konto/anmelden/?next=/antraege/{draft.id}/schritt/details/"
    draft.refresh_from_db()
    assert (draft.data, draft.completed_steps, draft.updated_at) == before

    # Submitting with an expired session: back to the review page after login, nothing submitted.
    response = citizen.post(f"/antraege/{draft.id}/einreichen/", {"draft": str(draft.id)})
    assert response["Location"] == f"/konto/anmelden/?next=/antraege/{draft.id}/pruefen/"
    assert not Submission.objects.exists()

    # After logging in again the step shows the message and the saved answers.
    citizen.force_login(world.citizen)
    page = citizen.get(f"/antraege/{draft.id}/schritt/person/").content.decode()
    assert "Ihre Sitzung ist abgelaufen" in page
    assert 'value="Clara"' in page


# --- form versions ------------------------------------------------------------------------------


def test_a_new_form_version_does_not_break_a_draft_in_progress(citizen: Client, world: World) -> None:
    draft = start(citizen, world)
    citizen.post(f"/antraege/{draft.id}/schritt/person/", person_post())
    old_version = draft.form_version

    # The authority publishes version 2, which asks for something new in step 1 and drops step 3.
    schema = {**SCHEMA, "steps": [dict(step) for step in SCHEMA["steps"] if step["key"] != "family"]}
    schema["steps"][0] = {
        **schema["steps"][0],
        "fields": [
            *schema["steps"][0]["fields"],
            {"key": "tax_id", "type": "text", "label": {"de": "Steuer-ID"}, "required": True},
        ],
    }
    new_version = publish_form(world.town_service, schema=schema)
    old_version.refresh_from_db()
    assert old_version.status == FormVersion.Status.RETIRED

    draft.refresh_from_db()
    assert draft.form_version == old_version
    assert "Steuer-ID" not in citizen.get(f"/antraege/{draft.id}/schritt/person/").content.decode()
    citizen.post(f"/antraege/{draft.id}/schritt/details/", details_post())
    citizen.post(
        f"/antraege/{draft.id}/schritt/family/",
        {"has_children": "nein", "_action": "next", "_shown": "has_children"},
    )
    response = citizen.post(f"/antraege/{draft.id}/einreichen/", {"draft": str(draft.id)})
    assert response["Location"] == f"/antraege/{draft.id}/eingang/"
    submission = Submission.objects.get()
    assert submission.form_version == old_version
    assert submission.data["has_children"] is False

    # A draft started now gets the new version.
    fresh = start(citizen, world)
    assert fresh.form_version == new_version
    assert "Steuer-ID" in citizen.get(f"/antraege/{fresh.id}/schritt/person/").content.decode()


def test_receipt_before_submission_goes_back_to_the_form(citizen: Client, world: World) -> None:
    draft = start(citizen, world)
    assert citizen.get(f"/antraege/{draft.id}/eingang/")["Location"] == f"/antraege/{draft.id}/"


def test_drafts_list_shows_progress_and_only_own_open_drafts(
    citizen: Client, world: World, version: FormVersion, other_citizen: User
) -> None:
    make_draft(applicant=other_citizen, version=version, authority=world.dormagen)
    mine = make_draft(
        applicant=world.citizen,
        version=version,
        authority=world.neuss,
        data=flat_answers(),
        completed=["person"],
    )
    html = citizen.get("/antraege/").content.decode()
    assert f"/antraege/{mine.id}/" in html and "1 von 3 Schritten erledigt" in html
    assert "Dormagen" not in html


@pytest.mark.django_db(transaction=True)
def test_two_tabs_saving_different_steps_keep_both(world: World) -> None:
    """The draft row is locked while a step is merged in: concurrent saves never lose each other's answers."""
    import threading

    from django.db import connection

    from amtsweg.forms.services import draft_step_save

    name = str(connection.settings_dict["NAME"])
    if connection.vendor == "sqlite" and ("mode=memory" in name or name == ":memory:"):
        # Shared-cache in-memory SQLite fails table locks at once; real SQLite (WAL file) waits.
        pytest.skip("needs PostgreSQL or a file database: in-memory SQLite has no waiting locks")
    version = publish_form(world.town_service)
    draft = make_draft(applicant=world.citizen, version=version, authority=world.neuss)
    answers: dict[str, dict[str, Any]] = {
        "person": {"given_name": "Clara"},
        "details": {"copies": "3"},
        "family": {"has_children": False},
    }
    barrier = threading.Barrier(len(answers))
    failures: list[BaseException] = []

    def save(step: str) -> None:
        try:
            barrier.wait(timeout=10)
            draft_step_save(draft=draft, step_key=step, raw=answers[step], actor=world.citizen, partial=True)
        except BaseException as exc:  # reported below, in the test's thread
            failures.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=save, args=(step,)) for step in answers]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    assert not failures
    draft.refresh_from_db()
    assert draft.data == {"given_name": "Clara", "copies": "3", "has_children": False}


def test_drafts_page_queries_do_not_grow_with_the_drafts(
    citizen: Client, world: World, version: FormVersion
) -> None:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    make_draft(applicant=world.citizen, version=version, authority=world.neuss)
    with CaptureQueriesContext(connection) as one:
        assert citizen.get("/antraege/").status_code == 200
    for town in (world.neuss, world.dormagen) * 3:
        make_draft(applicant=world.citizen, version=version, authority=town, data=flat_answers())
    with CaptureQueriesContext(connection) as seven:
        assert citizen.get("/antraege/").content.decode().count("Fortsetzen<") == 7
    assert len(seven) == len(one)


def test_start_where_the_town_does_not_offer_the_service(citizen: Client, world: World) -> None:
    from amtsweg.catalog.models import ServiceOffering

    ServiceOffering.objects.filter(service=world.town_service, authority=world.dormagen).update(enabled=False)
    url = f"/antraege/neu/{world.town_service.leika_key}/?ags={world.dormagen.ags}"
    page = citizen.get(url)
    assert page.status_code == 404 and "noch kein Online-Formular" in page.content.decode()
    response = citizen.post(url, {"ags": world.dormagen.ags})
    assert response.status_code == 404 and "derzeit nicht an" in response.content.decode()
    assert not Draft.objects.exists()


def test_malformed_form_posts_get_messages_not_errors(citizen: Client, world: World) -> None:
    draft = start(citizen, world)
    url = f"/antraege/{draft.id}/schritt/person/"
    post = QueryDict(mutable=True)
    post.setlist(
        "given_name", ["Clara", "Mallory"]
    )  # a repeated name: the last one counts, like Django forms
    post.update({"family_name": "Nul\x00Byte", "email": "x" * 300_000, "birth_date": "31.02.2000"})
    post.update({"address.postcode": "٤١٤٦٠", "address.street": "Markt", "address.city": "Neuss"})
    post.update({"_action": "bogus", "_remove_row": "../../etc", "_add_row": "children.99999.x"})
    page = citizen.post(url, post.urlencode(), content_type="application/x-www-form-urlencoded")
    assert page.status_code == 200
    assert errors_in(page.content.decode()) == [
        "Die Eingabe enthält unzulässige Steuerzeichen.",
        "Bitte geben Sie ein gültiges Datum ein, z. B. 24.11.2026.",
        "Bitte höchstens 254 Zeichen eingeben (jetzt 300000).",
        "Eine deutsche Postleitzahl besteht aus genau 5 Ziffern.",
    ]
    draft.refresh_from_db()
    assert draft.data == {}
