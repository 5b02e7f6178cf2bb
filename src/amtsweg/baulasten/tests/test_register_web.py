"""The register through its entry points: back-office pages and staff API, create → edit → delete."""

from __future__ import annotations

from typing import Any

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from amtsweg.testing import World

from ..models import Baulast
from .factories import DORMAGEN_45, JUECHEN_8, NEUSS_119_2, NEUSS_200, BaulastenSetup, baulasten_setup


@pytest.fixture
def setup(world: World) -> BaulastenSetup:
    return baulasten_setup(world)


def _client(user: Any) -> Client:
    client = Client()
    client.force_login(user)
    return client


def _parcel_rows(*rows: dict[str, str]) -> dict[str, str]:
    data = {"parcels-TOTAL_FORMS": str(len(rows)), "parcels-INITIAL_FORMS": "0"}
    for i, row in enumerate(rows):
        for key, value in row.items():
            data[f"parcels-{i}-{key}"] = value
    return data


def test_pages_create_edit_delete_restore(setup: BaulastenSetup) -> None:
    client = _client(setup.bau_neuss)
    base = "/backoffice/05162024/baulasten/"
    page = client.get(base + "eintraege/neu/")
    assert page.status_code == 200
    # Errors: no burdened parcel, unknown Flur: the summary names each with a link.
    bad = client.post(
        base + "eintraege/neu/",
        {"sheet": "12", "number": "1", "kind": "zufahrt", "text": "Zufahrt.", "entered_on": "2023-04-05"}
        | _parcel_rows({"role": "beguenstigt", "gemarkung": "053359", "flur": "1000", "flurstueck": "5"}),
    )
    assert bad.status_code == 400
    body = bad.content.decode()
    assert "error-summary" in body and 'href="#id_parcels-0-flur"' in body
    assert "Geben Sie mindestens ein belastetes Flurstück an." not in body  # row errors first
    taken = client.post(
        base + "eintraege/neu/",
        {"sheet": "1", "number": "1", "kind": "zufahrt", "text": "Zufahrt.", "entered_on": "2023-04-05"}
        | _parcel_rows({"role": "belastet", "kennzeichen": NEUSS_200}),
    )
    assert taken.status_code == 400 and "schon vergeben" in taken.content.decode()
    created = client.post(
        base + "eintraege/neu/",
        {
            "sheet": "12",
            "number": "1",
            "kind": "zufahrt",
            "text": "Zufahrt über den Hof.",
            "obligors": "Ida Hof",
            "entered_on": "2023-04-05",
        }
        | _parcel_rows(
            {
                "role": "belastet",
                "gemarkung": "053359",
                "flur": "7",
                "flurstueck": "200",
                "location": "Am Obertor 3",
            },
            {"role": "beguenstigt", "kennzeichen": NEUSS_119_2},
        ),
    )
    assert created.status_code == 302
    entry = Baulast.objects.get(register=setup.neuss_register, sheet=12)
    detail = client.get(created["Location"]).content.decode()
    assert "Gemarkung Neuss, Flur 7, Flurstück 200" in detail and "Ida Hof" in detail
    edit_url = base + f"eintraege/{entry.pk}/bearbeiten/"
    assert client.get(edit_url).status_code == 200
    form = {
        "sheet": "12",
        "number": "1",
        "kind": "zufahrt",
        "text": "Zufahrt über den Hof, 4 m breit.",
        "obligors": "Ida Hof",
        "entered_on": "2023-04-05",
        "version": "1",
    } | _parcel_rows({"role": "belastet", "kennzeichen": NEUSS_200})
    assert client.post(edit_url, form).status_code == 302
    stale = client.post(edit_url, form | {"text": "Alt."})
    assert stale.status_code == 400 and "inzwischen geändert" in stale.content.decode()
    detail = client.get(base + f"eintraege/{entry.pk}/").content.decode()
    assert "Fassung 2" in detail and "4 m breit" in detail and "<del>" in detail  # the diff
    no_reason = client.post(
        base + f"eintraege/{entry.pk}/loeschen/",
        {"delete-deleted_on": "2024-01-02", "delete-reason": "", "delete-version": "2"},
    )
    assert no_reason.status_code == 400 and 'href="#id_delete-reason"' in no_reason.content.decode()
    deleted = client.post(
        base + f"eintraege/{entry.pk}/loeschen/",
        {"delete-deleted_on": "2024-01-02", "delete-reason": "Verzicht", "delete-version": "2"},
    )
    assert deleted.status_code == 302
    entry.refresh_from_db()
    assert entry.is_deleted and entry.version == 3
    assert (
        client.post(base + f"eintraege/{entry.pk}/wiederherstellen/", {"restore-version": "3"}).status_code
        == 302
    )
    entry.refresh_from_db()
    assert not entry.is_deleted and entry.version == 4


def test_register_page_searches_and_shows_parcels(setup: BaulastenSetup) -> None:
    client = _client(setup.bau_neuss)
    page = client.get(
        "/backoffice/05162024/baulasten/", {"gemarkung": "053359", "flur": "3", "parcel": "119/2"}
    )
    body = page.content.decode()
    assert page.status_code == 200
    assert "Gemarkung Neuss, Flur 3, Flurstück 119/2" in body and "2 Baulasten gefunden" in body
    bad = client.get("/backoffice/05162024/baulasten/", {"parcel": "119/2"})
    assert bad.status_code == 400 and 'href="#id_gemarkung"' in bad.content.decode()
    other = client.get("/backoffice/05162004/baulasten/")
    assert other.status_code == 404


def test_api_create_edit_history_delete_and_lookup(setup: BaulastenSetup) -> None:
    client = _client(setup.bau_neuss)
    base = "/api/v1/baulasten/05162024/"
    created = client.post(
        base + "entries",
        {
            "sheet": 30,
            "number": 2,
            "kind": "leitung",
            "text": "Duldung einer Gasleitung.",
            "obligors": "Gerd Gas",
            "entered_on": "2022-08-01",
            "burdened": [{"gemarkung": "053359", "flur": 7, "flurstueck": "200", "location": "Am Obertor 3"}],
            "benefiting": [{"kennzeichen": DORMAGEN_45}],
        },
        content_type="application/json",
    )
    assert created.status_code == 201, created.content
    entry = created.json()
    assert entry["version"] == 1 and entry["obligors"] == "Gerd Gas"
    assert {p["display"] for p in entry["parcels"]} == {
        "Gemarkung Neuss, Flur 7, Flurstück 200",
        "Gemarkung Dormagen, Flur 2, Flurstück 45",
    }
    url = base + f"entries/{entry['id']}"
    invalid = client.post(
        base + "entries",
        {
            "sheet": 31,
            "number": 1,
            "kind": "leitung",
            "text": "x",
            "entered_on": "2022-08-01",
            "burdened": [{"kennzeichen": DORMAGEN_45}],
        },
        content_type="application/json",
    )
    assert invalid.status_code == 422 and invalid["Content-Type"] == "application/problem+json"
    assert invalid.json()["code"] == "baulasten-parcel-elsewhere"
    no_version = client.patch(url, {"text": "x"}, content_type="application/json")
    assert no_version.status_code == 400 and "version" in no_version.json()["errors"]
    patched = client.patch(
        url, {"version": 1, "text": "Duldung einer Gasleitung DN 100."}, content_type="application/json"
    )
    assert patched.status_code == 200 and patched.json()["version"] == 2
    stale = client.patch(url, {"version": 1, "text": "alt"}, content_type="application/json")
    assert stale.status_code == 409 and stale.json()["current_version"] == 2
    history = client.get(url + "/history").json()
    assert [v["change"] for v in history] == ["created", "updated"]
    deleted = client.delete(
        url, {"deleted_on": "2024-01-02", "reason": "Verzicht"}, content_type="application/json"
    )
    assert deleted.status_code == 200 and deleted.json()["is_deleted"]
    lookup = client.get(base + "parcels/05335900700200______").json()
    assert lookup["display"] == "Gemarkung Neuss, Flur 7, Flurstück 200" and lookup["known"]
    assert [(e["sheet"], e["role"], e["is_deleted"]) for e in lookup["entries"]] == [(30, "belastet", True)]
    listed = client.get(base + "entries", {"include_deleted": "true", "q": "Gasleitung"}).json()
    assert [r["sheet"] for r in listed["results"]] == [30] and "obligors" not in listed["results"][0]
    bad_key = client.get(base + "parcels/0533590070020")
    assert bad_key.status_code == 422 and bad_key.json()["part"] == "kennzeichen"


def test_api_list_query_count_does_not_grow(setup: BaulastenSetup) -> None:
    client = _client(setup.bau_neuss)
    url = "/api/v1/baulasten/05162024/entries?include_deleted=true"
    with CaptureQueriesContext(connection) as few:
        assert client.get(url).json()["count"] == 3
    from .factories import make_entry

    for sheet in range(40, 50):
        make_entry(
            register=setup.neuss_register,
            sheet=sheet,
            number=1,
            kind="sonstige",
            text="x",
            burdened=[NEUSS_200],
            benefiting=[NEUSS_119_2],
        )
    with CaptureQueriesContext(connection) as many:
        assert client.get(url).json()["count"] == 13
    assert len(many.captured_queries) == len(few.captured_queries)


@pytest.mark.parametrize("ags", ["05162004", "05162000"])
def test_neuss_staff_get_404_for_other_registers_through_every_route(setup: BaulastenSetup, ags: str) -> None:
    client = _client(setup.bau_neuss)
    entry = setup.dormagen_entry if ags == "05162004" else setup.juechen_entry
    key = DORMAGEN_45 if ags == "05162004" else JUECHEN_8
    for url in (
        f"/api/v1/baulasten/{ags}/entries?parcel={key}",
        f"/api/v1/baulasten/{ags}/entries/{entry.pk}",
        f"/api/v1/baulasten/{ags}/entries/{entry.pk}/history",
        f"/api/v1/baulasten/{ags}/parcels/{key}",
        f"/backoffice/{ags}/baulasten/",
        f"/backoffice/{ags}/baulasten/eintraege/{entry.pk}/",
    ):
        assert client.get(url).status_code == 404, url
    # Through Neuss' own register, another register's entry id or parcel shows nothing either.
    assert client.get(f"/api/v1/baulasten/05162024/entries/{entry.pk}").status_code == 404
    assert client.get(f"/api/v1/baulasten/05162024/parcels/{key}").json()["entries"] == []
    assert client.get("/api/v1/baulasten/05162024/entries", {"parcel": key}).json()["count"] == 0
