"""The process handbook: entries per step that survive new versions, read in flow order (page, API,
PDF), changed only by the administrators who own the model."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest
from django.test import Client

from amtsweg.core.problems import Problem
from amtsweg.tenancy.models import Alliance, AuditEvent, Authority, Membership
from amtsweg.testing import World, make_user

from ..handbook import handbook_entry_save, handbook_for
from ..models import HandbookEntry, ProcessDefinition, ProcessVersion
from ..services import process_version_import, process_version_publish
from .matrix_handbook import handbook_definition

DEMO = Path(__file__).resolve().parents[2] / "demo" / "data" / "processes"
XSS = '<script>alert("x")</script><img src=x onerror=alert(1)>'
# The Neuss variant's activities in flow order (breadth-first along the sequence flows).
NEUSS_STEPS = [
    "Bearbeitung beginnen",
    "Anmeldung prüfen und Steuer festsetzen",
    "Unterlagen nachfordern",
    "Steuerbescheid erlassen",
    "Überlange Bearbeitung klären",
    "Vorgang abschließen",
    "An die Nachforderung erinnern",
]


def _client(user: object) -> Client:
    client = Client()
    client.force_login(user)  # type: ignore[arg-type]
    return client


def _reference(world: World) -> ProcessDefinition:
    xml = (DEMO / "hundesteuer.bpmn").read_bytes()
    version = process_version_import(
        service=world.town_service, authority=None, xml=xml, filename="hundesteuer.bpmn", actor=None
    )
    return process_version_publish(version=version, actor=None).definition


def _save(
    definition: ProcessDefinition, actor: object, bpmn_id: str = "Activity_Antrag_pruefen", **values: str
) -> HandbookEntry:
    return handbook_entry_save(
        definition=definition,
        bpmn_id=bpmn_id,
        instructions=values.get("instructions", "Erst prüfen,\ndann festsetzen."),
        legal_basis=values.get("legal_basis", "§ 3 KAG NRW"),
        templates=values.get("templates", "Bescheidvorlage\nSteuertabelle"),
        contact=values.get("contact", "Team Steuern, 02131 90-2255"),
        actor=actor,  # type: ignore[arg-type]
    )


# --- services and selector ------------------------------------------------------------------------


def test_handbook_lists_every_activity_in_flow_order_and_marks_missing_entries(world: World) -> None:
    definition = handbook_definition(world, world.neuss)
    _save(definition, world.admin_neuss)
    steps = handbook_for(definition, definition.versions.get())
    assert [s.name for s in steps] == NEUSS_STEPS
    review = next(s for s in steps if s.bpmn_id == "Activity_Antrag_pruefen")
    assert review.entry is not None and review.templates == ["Bescheidvorlage", "Steuertabelle"]
    assert review.lane == "Bürgerbüro" and not review.orphaned
    assert [s.bpmn_id for s in steps if s.entry is None] == [s.bpmn_id for s in steps if s is not review]


def test_entry_survives_a_new_version_and_is_orphaned_when_its_step_goes(world: World) -> None:
    definition = handbook_definition(world, world.neuss)
    _save(definition, world.admin_neuss, "Activity_Nachfordern")
    # Version 2 (the Dormagen model) has the same ids for shared steps; "Activity_Nachfordern" stays,
    # so add an entry for a step only version 1 has and check it becomes orphaned in version 2.
    _save(definition, world.admin_neuss, "Activity_Antrag_pruefen")
    xml = (
        (DEMO / "hundesteuer.bpmn").read_bytes().replace(b"Activity_Antrag_pruefen", b"Activity_Pruefung_neu")
    )
    v2 = process_version_import(
        service=world.town_service, authority=world.neuss, xml=xml, filename="v2.bpmn", actor=None
    )
    steps = handbook_for(definition, v2)
    by_id = {s.bpmn_id: s for s in steps}
    assert by_id["Activity_Nachfordern"].entry is not None  # same element id: same know-how
    assert by_id["Activity_Antrag_pruefen"].orphaned and steps[-1].bpmn_id == "Activity_Antrag_pruefen"
    assert by_id["Activity_Pruefung_neu"].entry is None
    # An entry for an element of an older version is still accepted (the key spans versions).
    _save(definition, world.admin_neuss, "Activity_Antrag_pruefen", instructions="geändert")


def test_save_validates_the_step_and_the_text(world: World) -> None:
    definition = handbook_definition(world, world.neuss)
    with pytest.raises(Problem) as unknown:
        _save(definition, world.admin_neuss, "Gateway_Vollstaendig")  # a gateway is not a step
    assert unknown.value.status_code == 422 and unknown.value.code == "unknown-step"
    with pytest.raises(Problem) as too_long:
        _save(definition, world.admin_neuss, instructions="x" * 20_001)
    assert too_long.value.extra["errors"] == {"instructions": "max 20000"}
    with pytest.raises(Problem) as two_lines:
        _save(definition, world.admin_neuss, contact="a\nb")
    assert two_lines.value.code == "invalid-entry"
    assert not HandbookEntry.objects.exists()


def test_only_owners_administrators_change_and_changes_are_audited(world: World) -> None:
    variant = handbook_definition(world, world.neuss)
    reference = _reference(world)
    for user in (world.caseworker_neuss, world.caseworker_dormagen, world.citizen):
        with pytest.raises(Problem) as refused:
            _save(variant, user)
        assert refused.value.status_code == 403
    with pytest.raises(Problem):
        _save(reference, world.admin_neuss)  # the reference model belongs to the alliance
    _save(variant, world.admin_neuss)
    _save(variant, world.kreis_admin, instructions="Neu")
    _save(reference, world.kreis_admin)
    events = AuditEvent.objects.filter(object_type="processes.handbookentry").order_by("id")
    assert [(e.action, e.authority_id, e.actor_id) for e in events] == [
        ("create", world.neuss.pk, world.admin_neuss.pk),
        ("update", world.neuss.pk, world.kreis_admin.pk),
        ("create", None, world.kreis_admin.pk),
    ]
    assert events[1].changes == {"bpmn_id": "Activity_Antrag_pruefen", "fields": ["instructions"]}


# --- pages ------------------------------------------------------------------------------------------


def test_page_shows_entries_escaped_with_line_breaks(world: World) -> None:
    definition = handbook_definition(world, world.neuss)
    _save(definition, world.admin_neuss, instructions=f"Zeile eins\n{XSS}", contact=XSS)
    body = _client(world.caseworker_neuss).get(
        f"/backoffice/{world.neuss.ags}/prozesse/{definition.pk}/handbuch/"
    )
    html = body.content.decode()
    assert body.status_code == 200
    assert "<script>alert" not in html and "<img src=x" not in html
    assert "Zeile eins<br>&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;" in html
    assert html.count("noch kein Eintrag") == len(NEUSS_STEPS) - 1
    assert "bearbeiten/" not in html  # a caseworker reads, an administrator edits


def test_staff_of_another_town_read_a_variant_through_their_own_back_office(world: World) -> None:
    definition = handbook_definition(world, world.neuss)
    client = _client(world.caseworker_dormagen)
    assert (
        client.get(f"/backoffice/{world.dormagen.ags}/prozesse/{definition.pk}/handbuch/").status_code == 200
    )
    assert client.get(f"/backoffice/{world.neuss.ags}/prozesse/{definition.pk}/handbuch/").status_code == 404
    handbook = f"/backoffice/{world.dormagen.ags}/prozesse/{definition.pk}/handbuch/"
    edit = f"{handbook}Activity_Antrag_pruefen/bearbeiten/"
    assert client.get(edit).status_code == 403


def test_other_alliances_do_not_see_the_handbook(world: World) -> None:
    other = Alliance.objects.create(name="Anderer Kreis", slug="anderer-kreis")
    town = Authority.objects.create(
        alliance=other,
        kind=Authority.Kind.STADT,
        name="Anderswo",
        slug="anderswo",
        ags="05999001",
        regional_key="059990001001",
    )
    stranger = make_user("sam@anderswo.example")
    Membership.objects.create(user=stranger, authority=town, role=Membership.Role.AUTHORITY_ADMIN)
    definition = handbook_definition(world, world.neuss)
    client = _client(stranger)
    assert client.get(f"/backoffice/{town.ags}/prozesse/{definition.pk}/handbuch/").status_code == 404
    response = client.get(f"/api/v1/staff/processes/{definition.pk}/handbook")
    assert response.status_code == 404 and response["Content-Type"].startswith("application/problem+json")
    reference = _reference(world)  # reference models are alliance-independent knowledge
    assert client.get(f"/backoffice/{town.ags}/prozesse/{reference.pk}/handbuch/").status_code == 200


def test_administrator_edits_a_step_through_the_form(world: World) -> None:
    definition = handbook_definition(world, world.neuss)
    client = _client(world.admin_neuss)
    url = (
        f"/backoffice/{world.neuss.ags}/prozesse/{definition.pk}/handbuch/Activity_Antrag_pruefen/bearbeiten/"
    )
    page = client.get(url)
    assert page.status_code == 200 and 'aria-describedby="id_instructions-hint"' in page.content.decode()
    invalid = client.post(url, {"instructions": "x" * 20_001, "contact": "Team"})
    assert invalid.status_code == 400
    assert (
        'class="error-summary"' in invalid.content.decode()
        and 'href="#id_instructions"' in invalid.content.decode()
    )
    saved = client.post(
        url, {"instructions": "A\r\nB", "legal_basis": "", "templates": "", "contact": "Team"}
    )
    assert saved.status_code == 302 and saved["Location"].endswith("#schritt-Activity_Antrag_pruefen")
    assert HandbookEntry.objects.get(definition=definition).instructions == "A\nB"
    assert client.get(url.replace("Activity_Antrag_pruefen", "Gibt_es_nicht")).status_code == 404


def test_pdf_has_every_step_version_and_page_numbers(world: World) -> None:
    if shutil.which("pdftotext") is None:
        pytest.skip("pdftotext (poppler-utils) is not installed")
    definition = handbook_definition(world, world.neuss)
    _save(definition, world.admin_neuss, instructions="Chipnummer abgleichen")
    response = _client(world.caseworker_neuss).get(
        f"/backoffice/{world.neuss.ags}/prozesse/{definition.pk}/handbuch.pdf"
    )
    assert response.status_code == 200 and response["Content-Type"] == "application/pdf"
    assert response.content.startswith(b"%PDF")
    text = subprocess.run(
        ["pdftotext", "-layout", "-", "-"],
        input=response.content,
        capture_output=True,
        check=True,
    ).stdout.decode()
    for name in NEUSS_STEPS:
        assert name in text
    assert "Chipnummer abgleichen" in text
    assert "Version 1 (veröffentlicht)" in text and "Seite 1 von" in text


# --- API --------------------------------------------------------------------------------------------


def test_api_reads_and_writes_the_handbook(world: World) -> None:
    definition = handbook_definition(world, world.neuss)
    url = f"/api/v1/staff/processes/{definition.pk}/handbook"
    admin = _client(world.admin_neuss)
    put = admin.put(
        f"{url}/Activity_Antrag_pruefen",
        {"instructions": XSS, "templates": "A\nB", "contact": "Team"},
        content_type="application/json",
    )
    assert put.status_code == 200, put.content
    assert put.json()["entry"]["templates"] == ["A", "B"] and put.json()["entry"]["instructions"] == XSS
    body = _client(world.caseworker_dormagen).get(url).json()
    assert body["definition"]["authority"] == world.neuss.ags and body["version"]["number"] == 1
    assert [s["name"] for s in body["steps"]] == NEUSS_STEPS
    assert [s["entry"] is not None for s in body["steps"]].count(True) == 1
    bulk = admin.put(
        url,
        {
            "entries": [
                {"bpmn_id": "Activity_Nachfordern", "contact": "x"},
                {"bpmn_id": "Nope", "contact": "y"},
            ]
        },
        content_type="application/json",
    )
    assert bulk.status_code == 422 and bulk["Content-Type"].startswith("application/problem+json")
    assert not HandbookEntry.objects.filter(bpmn_id="Activity_Nachfordern").exists()  # all or nothing
    missing = admin.get(f"{url}/Nope")
    assert missing.status_code == 404 and missing["Content-Type"].startswith("application/problem+json")
    assert admin.get(f"{url}?version=999999").status_code == 404


def test_handbook_page_query_count_does_not_grow_with_entries(
    world: World, django_assert_max_num_queries: object
) -> None:
    definition = handbook_definition(world, world.neuss)
    version = ProcessVersion.objects.get(definition=definition)
    for node in version.parsed.activities:
        _save(definition, world.admin_neuss, node.id)
    client = _client(world.caseworker_neuss)
    url = f"/backoffice/{world.neuss.ags}/prozesse/{definition.pk}/handbuch/"
    client.get(url)
    with django_assert_max_num_queries(14):  # type: ignore[operator]
        assert client.get(url).status_code == 200
