"""The comparison as staff use it: the page, its exports, the heat map and the API, with their errors
and who may compare whom (any staff of the alliance, nobody outside it)."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.test import Client

from amtsweg.processes.models import ProcessVersion
from amtsweg.tenancy.models import Alliance, Authority, Membership
from amtsweg.testing import World, make_user

from .factories_comparison import DORMAGEN, REFERENCE, T0, event_case, make_version

HOUR = timedelta(hours=1)


@pytest.fixture
def models(world: World) -> World:
    """The reference model (Neuss uses it), Dormagen's variant, and a few finished cases."""
    reference = make_version(world.town_service, None, REFERENCE)
    variant = make_version(world.town_service, world.dormagen, DORMAGEN)
    for i in range(3):
        event_case(
            world,
            world.neuss,
            version=reference,
            submitted=T0 + i * HOUR,
            tasks=[
                ("Task_Pruefen", "user", 0 * HOUR, (i + 1) * HOUR, (i + 2) * HOUR),
                ("Task_Ausstellen", "user", (i + 2) * HOUR, (i + 3) * HOUR, (i + 4) * HOUR),
            ],
        )
    event_case(
        world,
        world.dormagen,
        version=variant,
        submitted=T0,
        tasks=[("Task_Post", "manual", 0 * HOUR, None, 50 * HOUR)],
    )
    return world


def client_for(user: object) -> Client:
    client = Client()
    client.force_login(user)  # type: ignore[arg-type]
    return client


def page_url(world: World, ags: str | None = None) -> str:
    return f"/backoffice/{ags or world.neuss.ags}/prozesse/vergleich/"


def query(world: World, *ags: str) -> str:
    return f"?leistung={world.town_service.leika_key}" + "".join(f"&behoerde={a}" for a in ags)


def test_the_form_offers_services_with_models_and_the_alliances_authorities(models: World) -> None:
    response = client_for(models.caseworker_neuss).get(page_url(models))
    assert response.status_code == 200
    html = response.content.decode()
    assert models.town_service.name in html
    assert models.kreis_service.name not in html  # no process model
    for authority in (models.neuss, models.dormagen, models.kreis):
        assert f'value="{authority.ags}"' in html
    assert "<legend" in html and "Ergebnis" not in html


def test_comparison_page_shows_models_side_by_side_and_the_figures(models: World) -> None:
    world = models
    response = client_for(world.caseworker_neuss).get(
        page_url(world) + query(world, world.neuss.ags, world.dormagen.ags)
    )
    assert response.status_code == 200
    html = response.content.decode()
    assert html.count('class="comparison-diagram"') == 2
    assert f"/backoffice/{world.neuss.ags}/prozesse/versionen/" in html  # the viewer's XML route
    assert "Per Post versenden (Post)" in html and "Ausdruck unterschreiben (Papier)" in html
    assert "An den Kreis übergeben" in html
    assert "nicht im Modell" in html and "nicht in allen Modellen" in html
    assert "2,0 Std." in html and "5,0 Std." in html  # Prüfen waited 1, 2, 3 h; cases took 4, 5, 6 h
    assert "2,1 Tage" in html  # Dormagen's post took 50 h
    assert "format=pdf" in html and "format=html" in html
    assert "T-0000" not in html  # no case references, only aggregated figures
    assert '<th scope="row">' in html and "<caption>" in html


def test_staff_of_another_town_may_compare_from_their_own_page(models: World) -> None:
    world = models
    dirk = client_for(world.caseworker_dormagen)
    ok = dirk.get(page_url(world, world.dormagen.ags) + query(world, world.neuss.ags, world.dormagen.ags))
    assert ok.status_code == 200 and "Neuss" in ok.content.decode()
    assert dirk.get(page_url(world, world.neuss.ags)).status_code == 404  # not Neuss's pages


def test_fewer_than_two_authorities_is_a_clear_error(models: World) -> None:
    world = models
    response = client_for(world.caseworker_neuss).get(page_url(world) + query(world, world.neuss.ags))
    assert response.status_code == 400
    html = response.content.decode()
    assert 'class="error-summary"' in html
    assert "mindestens zwei Behörden" in html
    assert 'href="#id_behoerde_0"' in html


@pytest.mark.parametrize("leistung", ["99999999999999", "", "kaputt"])
def test_unknown_service_is_a_clear_error(models: World, leistung: str) -> None:
    world = models
    response = client_for(world.caseworker_neuss).get(
        page_url(world) + f"?leistung={leistung}&behoerde={world.neuss.ags}&behoerde={world.dormagen.ags}"
    )
    assert response.status_code == 400
    assert 'href="#id_leistung"' in response.content.decode()


def test_authorities_outside_the_alliance_are_no_choice(models: World) -> None:
    world = models
    other = Alliance.objects.create(name="Lippe", slug="lippe")
    blomberg = Authority.objects.create(
        alliance=other,
        kind="stadt",
        name="Blomberg",
        slug="blomberg",
        ags="05766008",
        regional_key="057660008008",
    )
    client = client_for(world.caseworker_neuss)
    assert 'value="05766008"' not in client.get(page_url(world)).content.decode()
    response = client.get(page_url(world) + query(world, world.neuss.ags, blomberg.ags))
    assert response.status_code == 400
    assert "gehört nicht zum Verbund" in response.content.decode()


def test_html_report_is_a_standalone_download(models: World) -> None:
    world = models
    response = client_for(world.caseworker_neuss).get(
        page_url(world) + query(world, world.neuss.ags, world.dormagen.ags) + "&format=html"
    )
    assert response.status_code == 200
    assert response["Content-Type"] == "text/html; charset=utf-8"
    assert response["Content-Disposition"].startswith(
        f'attachment; filename="prozessvergleich-{world.town_service.leika_key}-'
    )
    assert response["X-Content-Type-Options"] == "nosniff"
    csp = response["Content-Security-Policy"]
    assert "default-src 'none'" in csp and "style-src 'sha256-" in csp and "unsafe-inline" not in csp
    html = response.content.decode()
    assert html.startswith("<!DOCTYPE html>") and "<style>" in html
    assert "<script" not in html and 'href="/' not in html and 'src="' not in html  # nothing to fetch
    assert "Aktivitäten im Vergleich" in html and "Schritte bei Dormagen" in html


def test_pdf_report(models: World) -> None:
    world = models
    response = client_for(world.kreis_admin).get(
        page_url(world) + query(world, world.neuss.ags, world.dormagen.ags) + "&format=pdf"
    )
    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    assert response["Content-Disposition"].endswith('.pdf"')
    assert response.content.startswith(b"%PDF")


def test_unknown_format_is_refused(models: World) -> None:
    world = models
    response = client_for(world.caseworker_neuss).get(
        page_url(world) + query(world, world.neuss.ags, world.dormagen.ags) + "&format=docx"
    )
    assert response.status_code == 400


def test_heat_map_of_the_model_in_use(models: World) -> None:
    world = models
    url = f"/backoffice/{world.neuss.ags}/prozesse/leistungen/{world.town_service.pk}/heatmap/"
    response = client_for(world.caseworker_neuss).get(url)
    assert response.status_code == 200
    html = response.content.decode()
    assert "Referenzmodell des Verbunds" in html
    assert 'id="heatmap"' in html and 'class="bpmn-viewer"' in html  # the diagram (viewer include)
    assert "1,0 Std." in html and "2,0 Std." in html  # the legend: level 1 and level 3
    # Task_Pruefen waited 1, 2, 3 h (median 2 h), Task_Ausstellen 1 h each: levels by quantile
    assert "2,0 Std." in html and "1,0 Std." in html
    assert "3 / 5" in html and "1 / 5" in html  # 2 of 5 quantile steps above the shortest
    assert html.count("<tr>") >= 4


def test_heat_map_without_a_model_or_service(world: World) -> None:
    client = client_for(world.caseworker_neuss)
    base = f"/backoffice/{world.neuss.ags}/prozesse/leistungen"
    response = client.get(f"{base}/{world.kreis_service.pk}/heatmap/")
    assert response.status_code == 200
    assert "noch kein Prozessmodell" in response.content.decode()
    assert client.get(f"{base}/999999/heatmap/").status_code == 404


# --- API -------------------------------------------------------------------------------------------


def api_url(world: World, *ags: str, service: str | None = None) -> str:
    key = service or world.town_service.leika_key
    return f"/api/v1/staff/processes/comparison?service={key}" + "".join(f"&authority={a}" for a in ags)


def test_api_returns_the_comparison(models: World, django_assert_max_num_queries: object) -> None:
    world = models
    client = client_for(world.caseworker_dormagen)
    with django_assert_max_num_queries(12):  # type: ignore[operator]
        response = client.get(api_url(world, world.neuss.ags, world.dormagen.ags))
    assert response.status_code == 200
    body = response.json()
    assert body["service"] == {"leika_key": world.town_service.leika_key, "name": world.town_service.name}
    neuss, dormagen = body["authorities"]
    assert (neuss["ags"], neuss["version"]["source"], neuss["handover_count"]) == (
        world.neuss.ags,
        "reference",
        0,
    )
    assert dormagen["version"]["source"] == "variant"
    assert dormagen["version"]["status"] == ProcessVersion.Status.PUBLISHED
    assert [m["medium"] for m in dormagen["media_breaks"]] == ["paper", "post"]
    assert dormagen["handover_count"] == 1 and dormagen["handovers"][0]["bpmn_id"] == "Task_Kreis"
    assert (neuss["cases"], neuss["finished_cases"]) == (3, 3)
    assert neuss["median_case_lead_seconds"] == 5 * 3600  # leads 4, 5, 6 h
    activities = {a["name"]: a for a in body["activities"]}
    pruefen = activities["Antrag prüfen"]
    assert pruefen["in_all"] is True
    assert [s["authority"] for s in pruefen["steps"]] == [world.neuss.ags, world.dormagen.ags]
    assert pruefen["steps"][0]["count"] == 3
    assert pruefen["steps"][0]["median_waiting_seconds"] == 2 * 3600
    assert pruefen["steps"][1]["median_waiting_seconds"] is None
    post = activities["Per Post versenden"]
    assert post["in_all"] is False and post["steps"][0]["median_lead_seconds"] == 50 * 3600
    assert "T-0000" not in response.content.decode()


@pytest.mark.parametrize(
    ("authorities", "status"),
    [((), 400), (("05162024",), 400), (("05162024", "05162024"), 400), (("05162024", "kaputt"), 400)],
)
def test_api_needs_two_authorities(models: World, authorities: tuple[str, ...], status: int) -> None:
    response = client_for(models.caseworker_neuss).get(api_url(models, *authorities))
    assert response.status_code == status
    assert response["Content-Type"].startswith("application/problem+json")


def test_api_unknown_service_and_authorities_outside_the_alliance_are_404(models: World) -> None:
    world = models
    other = Alliance.objects.create(name="Lippe", slug="lippe")
    blomberg = Authority.objects.create(
        alliance=other,
        kind="stadt",
        name="Blomberg",
        slug="blomberg",
        ags="05766008",
        regional_key="057660008008",
    )
    client = client_for(world.caseworker_neuss)
    unknown = client.get(api_url(world, world.neuss.ags, world.dormagen.ags, service="99999999999999"))
    assert unknown.status_code == 404
    outside = client.get(api_url(world, world.neuss.ags, blomberg.ags))
    assert outside.status_code == 404
    assert outside["Content-Type"].startswith("application/problem+json")
    assert outside.json()["authority"] == blomberg.ags
    # and the other way round: Blomberg's staff cannot look into the Rhein-Kreis
    lippe_staff = make_user("lena@blomberg.example")
    Membership.objects.create(user=lippe_staff, authority=blomberg)
    response = client_for(lippe_staff).get(api_url(world, world.neuss.ags, world.dormagen.ags))
    assert response.status_code == 404
    assert (
        client_for(lippe_staff)
        .get(page_url(world, blomberg.ags) + query(world, world.neuss.ags, blomberg.ags))
        .status_code
        == 400
    )


def test_api_is_for_staff_only(models: World) -> None:
    url = api_url(models, models.neuss.ags, models.dormagen.ags)
    assert client_for(models.citizen).get(url).status_code == 403
    assert Client().get(url).status_code in (401, 403)
