"""The viewer's pages and API over HTTP: who sees what, the XML's headers, the markers on the page,
the step list without JavaScript, and the build of the vendor files."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from django.core.management import call_command
from django.test import Client
from lxml import html as lxml_html

from amtsweg.processes import static_build
from amtsweg.processes.models import ProcessInstance, ProcessTask
from amtsweg.tenancy.models import Alliance, AuditEvent, Authority, Membership
from amtsweg.testing import World, make_user

from .factories_viewer import case_with_process, process_version


def _client(user: object) -> Client:
    client = Client()
    client.force_login(user)  # type: ignore[arg-type]
    return client


def _tree(body: bytes) -> Any:
    """The page as an lxml tree (typed loosely: lxml's xpath results are a union of everything)."""
    return lxml_html.fromstring(body)


def _markers(body: bytes) -> dict[str, object]:
    tree = _tree(body)
    (script,) = tree.xpath('//script[@id="diagramm-markers"]')
    assert script.get("type") == "application/json"
    return json.loads(script.text)  # type: ignore[no-any-return]


@pytest.mark.django_db
def test_version_diagram_page_has_canvas_step_list_and_assets_once(world: World) -> None:
    version = process_version(world, authority=world.neuss)
    response = _client(world.caseworker_neuss).get(
        f"/backoffice/{world.neuss.ags}/prozesse/versionen/{version.pk}/diagramm/"
    )
    assert response.status_code == 200
    tree = _tree(response.content)
    (canvas,) = tree.xpath('//div[@class="bpmn-viewer"]')
    assert (
        canvas.get("data-bpmn-url")
        == f"/backoffice/{world.neuss.ags}/prozesse/versionen/{version.pk}/bpmn/?inline=1"
    )
    assert canvas.get("data-markers") == "diagramm-markers"
    assert _markers(response.content) == {"completed": [], "current": [], "flows": []}
    scripts = [s.get("src") for s in tree.xpath("//script[@src]")]
    assert scripts.count("/static/processes/viewer.js") == 1
    assert all(s.startswith("/static/") for s in scripts)
    assert not tree.xpath("//script[not(@src) and not(@type='application/json')]"), "no inline scripts"
    assert not tree.xpath("//*[@style]"), "no style attributes (CSP)"
    # The step list: numbered in flow order, lanes as headings, conditions, media break, hand-over.
    lanes = [h.text_content().strip() for h in tree.xpath('//h3[@class="bpmn-steps__lane"]')]
    assert lanes == ["Lane „Bürgerbüro“", "Lane „Straßenverkehrsamt“"]
    step = tree.xpath('//li[@id="schritte-Gateway_Vollstaendig"]')[0]
    assert step.get("value") == "3"
    text = " ".join(step.text_content().split())
    assert "weiter zu An den Kreis übergeben wenn ${vollstaendig} („ja“)" in text
    assert "weiter zu Unterlagen nachfordern sonst („nein“)" in text
    assert tree.xpath('//li[@id="schritte-Task_Versand"]//*[contains(@class, "bpmn-step__mark--media")]')
    assert tree.xpath('//li[@id="schritte-Task_Uebergabe"]//*[contains(@class, "bpmn-step__mark--handover")]')
    links = tree.xpath('//li[@id="schritte-Event_Antwort"]//a/@href')
    assert links == ["#schritte-Task_Pruefen"]


@pytest.mark.django_db
def test_a_model_of_another_town_of_the_alliance_is_readable_under_the_own_authority(world: World) -> None:
    version = process_version(world, authority=world.neuss)
    reference = process_version(world, authority=None)
    client = _client(world.caseworker_dormagen)
    for pk in (version.pk, reference.pk):
        assert (
            client.get(f"/backoffice/{world.dormagen.ags}/prozesse/versionen/{pk}/diagramm/").status_code
            == 200
        )
        assert client.get(f"/api/v1/staff/processes/versions/{pk}/bpmn").status_code == 200
    # … but not under Neuss's address, which is not Dormagen's back office.
    assert (
        client.get(f"/backoffice/{world.neuss.ags}/prozesse/versionen/{version.pk}/diagramm/").status_code
        == 404
    )


@pytest.mark.django_db
def test_models_of_another_alliance_are_not_found(world: World) -> None:
    other = Alliance.objects.create(name="Lippe", slug="lippe")
    blomberg = Authority.objects.create(
        alliance=other,
        kind=Authority.Kind.STADT,
        name="Blomberg",
        slug="blomberg",
        ags="05766008",
        regional_key="057660008008",
    )
    stranger = make_user("sam@blomberg.example")
    Membership.objects.create(user=stranger, authority=blomberg)
    version = process_version(world, authority=world.neuss)
    client = _client(stranger)
    assert (
        client.get(f"/backoffice/{blomberg.ags}/prozesse/versionen/{version.pk}/diagramm/").status_code == 404
    )
    assert client.get(f"/backoffice/{blomberg.ags}/prozesse/versionen/{version.pk}/bpmn/").status_code == 404
    response = client.get(f"/api/v1/staff/processes/versions/{version.pk}/bpmn")
    assert response.status_code == 404
    assert response["Content-Type"].startswith("application/problem+json")
    # The reference model is the alliance-independent starting point: readable.
    reference = process_version(world, authority=None)
    assert client.get(f"/api/v1/staff/processes/versions/{reference.pk}/bpmn").status_code == 200


@pytest.mark.django_db
@pytest.mark.parametrize("inline", [False, True])
def test_bpmn_file_headers(world: World, inline: bool) -> None:
    version = process_version(world, authority=world.neuss)
    client = _client(world.caseworker_neuss)
    url = f"/backoffice/{world.neuss.ags}/prozesse/versionen/{version.pk}/bpmn/" + (
        "?inline=1" if inline else ""
    )
    response = client.get(url)
    assert response.status_code == 200
    assert response["Content-Type"] == "application/xml; charset=utf-8"
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Content-Security-Policy"] == "default-src 'none'; sandbox"
    disposition = response["Content-Disposition"]
    assert disposition == ("inline" if inline else "attachment") + '; filename="process_melde-v1.bpmn"'
    assert response.content.decode("utf-8") == version.bpmn_xml
    # The viewer's second load is a 304 without the body.
    again = client.get(url, HTTP_IF_NONE_MATCH=response["ETag"])
    assert again.status_code == 304 and again.content == b""


@pytest.mark.django_db
def test_bpmn_api_returns_the_file_also_for_accept_xml(world: World) -> None:
    version = process_version(world, authority=world.neuss)
    client = _client(world.caseworker_neuss)
    response = client.get(
        f"/api/v1/staff/processes/versions/{version.pk}/bpmn", HTTP_ACCEPT="application/xml"
    )
    assert response.status_code == 200
    assert response["Content-Type"] == "application/xml; charset=utf-8"
    assert response["Content-Security-Policy"] == "default-src 'none'; sandbox"
    assert response.content.startswith(b"<?xml")
    missing = client.get("/api/v1/staff/processes/versions/999999/bpmn", HTTP_ACCEPT="application/xml")
    assert missing.status_code == 404
    assert missing["Content-Type"].startswith("application/problem+json")
    assert json.loads(missing.content)["status"] == 404


@pytest.mark.django_db
def test_case_process_page_shows_position_path_and_open_tasks(world: World) -> None:
    case = case_with_process(world)
    response = _client(world.caseworker_neuss).get(
        f"/backoffice/{world.neuss.ags}/vorgaenge/{case.pk}/prozess/"
    )
    assert response.status_code == 200
    markers = _markers(response.content)
    assert markers["current"] == ["Task_Pruefen"]
    assert markers["flows"] == ["Flow_1", "Flow_2", "Flow_4", "Flow_5", "Flow_6"]
    tree = _tree(response.content)
    current = tree.xpath('//li[@id="schritte-Task_Pruefen"]')[0]
    assert "bpmn-step--current" in current.get("class")
    assert "aktuell" in current.text_content()
    done = tree.xpath('//li[@id="schritte-Task_Nachfordern"]')[0]
    assert "bpmn-step--completed" in done.get("class") and "erledigt" in done.text_content()
    untouched = tree.xpath('//li[@id="schritte-Task_Versand"]')[0]
    assert "bpmn-step--" not in untouched.get("class").replace("bpmn-step--task", "")
    open_rows = tree.xpath("(//table)[1]/tbody/tr")
    assert len(open_rows) == 1 and "Antrag prüfen" in open_rows[0].text_content()
    assert "Bürgerservice" in open_rows[0].text_content()
    assert open_rows[0].xpath(".//a/@href") == ["#schritte-Task_Pruefen"]
    path_rows = tree.xpath("(//table)[2]/tbody/tr")
    assert [" ".join(r.xpath("th")[0].text_content().split()) for r in path_rows] == [
        "Antrag prüfen",
        "Unterlagen nachfordern",
        "Antrag prüfen",
    ]
    assert AuditEvent.objects.filter(
        object_type="cases.case", object_id=str(case.pk), action=AuditEvent.Action.READ, channel="web"
    ).exists()


@pytest.mark.django_db
def test_case_of_another_town_is_not_found_and_leaves_no_audit_read(world: World) -> None:
    case = case_with_process(world)
    client = _client(world.caseworker_dormagen)
    assert client.get(f"/backoffice/{world.dormagen.ags}/vorgaenge/{case.pk}/prozess/").status_code == 404
    assert client.get(f"/api/v1/staff/cases/{case.pk}/process").status_code == 404
    assert not AuditEvent.objects.filter(object_id=str(case.pk), actor=world.caseworker_dormagen).exists()


@pytest.mark.django_db
def test_case_without_process(world: World) -> None:
    from amtsweg.cases.tests.factories import submit_case

    case = submit_case(world)
    ProcessInstance.objects.filter(case=case).delete()
    client = _client(world.caseworker_neuss)
    response = client.get(f"/backoffice/{world.neuss.ags}/vorgaenge/{case.pk}/prozess/")
    assert response.status_code == 200
    assert "nicht nach einem Prozessmodell" in response.content.decode()
    body = client.get(f"/api/v1/staff/cases/{case.pk}/process").json()
    assert body["status"] == "none" and body["version"] is None and body["open_tasks"] == []


@pytest.mark.django_db
def test_case_process_api(world: World) -> None:
    case = case_with_process(world)
    version = case.process.version
    response = _client(world.caseworker_neuss).get(f"/api/v1/staff/cases/{case.pk}/process")
    assert response.status_code == 200
    body = response.json()
    assert body["case"] == case.pk and body["reference"] == case.reference
    assert body["status"] == "running"
    assert body["version"]["id"] == version.pk
    assert body["version"]["authority"] == world.neuss.ags
    assert body["version"]["bpmn"].endswith(f"/api/v1/staff/processes/versions/{version.pk}/bpmn")
    assert body["markers"]["current"] == ["Task_Pruefen"]
    (task,) = body["open_tasks"]
    open_task = ProcessTask.objects.get(case=case, state=ProcessTask.State.OPEN)
    assert task["id"] == str(open_task.pk) and task["name"] == "Antrag prüfen" and task["state"] == "open"
    assert AuditEvent.objects.filter(
        object_id=str(case.pk), action=AuditEvent.Action.READ, channel="api"
    ).exists()


@pytest.mark.django_db
def test_case_page_link_block(world: World) -> None:
    from django.template.loader import render_to_string

    case = case_with_process(world)
    rendered = render_to_string("processes/viewer_case_link.html", {"case": case})
    assert f'href="/backoffice/{world.neuss.ags}/vorgaenge/{case.pk}/prozess/"' in rendered
    ProcessInstance.objects.filter(case=case).delete()
    case.refresh_from_db()
    assert render_to_string("processes/viewer_case_link.html", {"case": case}).strip() == ""


@pytest.mark.django_db
def test_model_without_diagram_shows_the_step_list_only(world: World) -> None:
    from .factories_viewer import sample_xml

    xml = sample_xml()
    xml = xml[: xml.index("  <bpmndi:BPMNDiagram")] + "</bpmn:definitions>\n"
    version = process_version(world, authority=world.neuss, xml=xml)
    response = _client(world.caseworker_neuss).get(
        f"/backoffice/{world.neuss.ags}/prozesse/versionen/{version.pk}/diagramm/"
    )
    tree = _tree(response.content)
    assert not tree.xpath('//div[@class="bpmn-viewer"]')
    assert len(tree.xpath('//li[contains(@class, "bpmn-step")]')) == 11
    assert "/static/processes/viewer.css" in response.content.decode()


def test_build_viewer_copies_the_vendor_files_with_licence(tmp_path: Path) -> None:
    source = static_build.node_modules()
    if not (source / static_build.PACKAGE / "package.json").exists():
        pytest.skip("bpmn-js is not installed (npm ci)")
    built = static_build.build_viewer(target=tmp_path)
    assert built.version.startswith("18.")
    names = {p.name for p in tmp_path.iterdir()}
    assert names == {
        "bpmn-navigated-viewer.production.min.js",
        "diagram-js.css",
        "bpmn-js.css",
        "LICENSE",
        "manifest.json",
    }
    assert "watermark" in (tmp_path / "LICENSE").read_text()
    assert static_build.built_version(tmp_path) == built.version
    (tmp_path / "bpmn-js.css").unlink()
    assert static_build.built_version(tmp_path) == ""


def test_build_viewer_refuses_missing_or_wrong_bpmn_js(tmp_path: Path) -> None:
    from django.core.management.base import CommandError

    with pytest.raises(CommandError, match="npm ci"):
        call_command("build_viewer", node_modules=tmp_path, verbosity=0)
    package = tmp_path / "bpmn-js"
    package.mkdir()
    (package / "package.json").write_text('{"version": "17.11.1"}')
    with pytest.raises(static_build.ViewerBuildError, match=r"18\.x"):
        static_build.build_viewer(source=tmp_path, target=tmp_path / "out")
