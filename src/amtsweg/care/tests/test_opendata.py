"""The daily open-data release (CSV/JSON without personal data, checksums, idempotent per day), its
DCAT-AP.de catalogue (parsed with lxml, required properties asserted) and the download endpoints."""

from __future__ import annotations

import csv
import hashlib
import io
import json
from datetime import date, datetime, time, timedelta
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo

import pytest
from django.test import Client
from lxml import etree

from amtsweg.testing import World

from ..dcat import NS
from ..models import CareType, OpenDataRelease
from ..opendata import CSV_COLUMNS, release_create
from ..services import ReportLine, vacancy_report_submit
from .factories import CareSetup, care_setup

BERLIN = ZoneInfo("Europe/Berlin")
DAY = date(2026, 11, 24)
NOW = datetime.combine(DAY, time(10, 30), tzinfo=BERLIN)


@pytest.fixture
def care(world: World) -> CareSetup:
    setup = care_setup(world)
    setup.st_quirin.report_email = "geheim@st-quirin.example"
    setup.st_quirin.save()
    vacancy_report_submit(
        facility=setup.st_quirin,
        actor=setup.operator_user,
        lines=[
            ReportLine(
                CareType.FULL_TIME, 2, expected=[(DAY + timedelta(days=7), 4), (DAY + timedelta(days=30), 6)]
            ),
            ReportLine(CareType.SHORT_TERM, 0),
        ],
        channel="web",
        now=NOW - timedelta(hours=2),
    )
    vacancy_report_submit(
        facility=setup.am_stadtpark,
        actor=setup.other_operator_user,
        lines=[ReportLine(CareType.FULL_TIME, 1)],
        channel="web",
        now=NOW - timedelta(days=3),
    )
    return setup


def read(field: object) -> bytes:
    with field.open("rb") as handle:  # type: ignore[attr-defined]
        return bytes(handle.read())


def test_csv_has_the_documented_columns_one_row_per_offer_and_no_personal_data(care: CareSetup) -> None:
    release = release_create(finder=care.finder, day=DAY, now=NOW)
    content = read(release.csv_file)
    assert hashlib.sha256(content).hexdigest() == release.csv_sha256
    assert len(content) == release.csv_size
    text = content.decode("utf-8")
    assert "\r\n" in text
    rows = list(csv.DictReader(io.StringIO(text, newline="")))
    assert tuple(rows[0].keys()) == CSV_COLUMNS
    assert release.rows == len(rows) == 4
    by_key = {(r["name"], r["care_type"]): r for r in rows}
    full = by_key[("Seniorenzentrum St. Quirin", CareType.FULL_TIME)]
    assert full["free_now"] == "2" and full["capacity"] == "80" and full["stale"] == "false"
    assert full["operator"] == "Sonnenhof Pflege gGmbH"
    assert datetime.fromisoformat(full["reported_at"]) == NOW - timedelta(hours=2)
    assert (full["next_expected_date"], full["next_expected_places"]) == ("2026-12-01", "4")
    stale = by_key[("Haus am Stadtpark", CareType.FULL_TIME)]
    assert stale["stale"] == "true" and stale["free_now"] == "1"
    never = by_key[("Tagespflege Rheinblick", CareType.DAY_CARE)]
    assert never["free_now"] == "" and never["reported_at"] == "" and never["stale"] == "true"
    for secret in ("geheim@st-quirin.example", "pflege@sonnenhof.example", "Olga", "info@"):
        assert secret not in text


def test_json_matches_the_csv_and_carries_the_expected_list(care: CareSetup) -> None:
    release = release_create(finder=care.finder, day=DAY, now=NOW)
    content = read(release.json_file)
    assert hashlib.sha256(content).hexdigest() == release.json_sha256
    document = json.loads(content)
    assert document["date"] == "2026-11-24"
    assert document["license"] == "http://dcat-ap.de/def/licenses/dl-by-de/2.0"
    assert len(document["rows"]) == 4
    row = next(r for r in document["rows"] if r["care_type"] == CareType.FULL_TIME and r["free_now"] == 2)
    assert row["expected"] == [{"date": "2026-12-01", "places": 4}, {"date": "2026-12-24", "places": 6}]
    assert set(row) == {*CSV_COLUMNS[:-2], "expected"}
    assert "geheim@" not in content.decode()


def test_release_is_idempotent_per_finder_and_day_and_skips_closed_facilities(care: CareSetup) -> None:
    first = release_create(finder=care.finder, day=DAY, now=NOW)
    vacancy_report_submit(
        facility=care.rheinblick, actor=None, lines=[ReportLine(CareType.DAY_CARE, 5)], channel="web", now=NOW
    )
    again = release_create(finder=care.finder, day=DAY, now=NOW + timedelta(hours=1))
    assert again.pk == first.pk and again.csv_sha256 == first.csv_sha256
    assert OpenDataRelease.objects.count() == 1
    care.am_stadtpark.active = False
    care.am_stadtpark.save()
    nxt = release_create(finder=care.finder, day=DAY + timedelta(days=1), now=NOW + timedelta(days=1))
    assert nxt.rows == 3 and b"Haus am Stadtpark" not in read(nxt.csv_file)
    assert "Tagespflege Rheinblick,Kölner Straße 20,41539,Dormagen" in read(nxt.csv_file).decode()


def _text(node: etree._Element, path: str) -> list[str]:
    found = node.xpath(path, namespaces=NS)
    assert isinstance(found, list)
    return [str(x) for x in found]


def test_dcat_catalogue_has_the_required_dcat_ap_de_properties(care: CareSetup, client: Client) -> None:
    for back in (2, 1, 0):
        release_create(finder=care.finder, day=DAY - timedelta(days=back), now=NOW - timedelta(days=back))
    response = client.get("/pflegefinder/open-data/05162000/katalog.rdf")
    assert response.status_code == 200
    assert response["Content-Type"] == "application/rdf+xml"
    root = etree.fromstring(response.content)
    assert root.tag == f"{{{NS['rdf']}}}RDF"
    catalog = root.find("dcat:Catalog", NS)
    assert catalog is not None
    assert _text(catalog, "dct:title/text()") and _text(catalog, "dct:description/text()")
    publisher = _text(catalog, "dct:publisher/@rdf:resource")[0]
    assert _text(root, f"foaf:Agent[@rdf:about='{publisher}']/foaf:name/text()") == ["Rhein-Kreis Neuss"]
    dataset_uri = _text(catalog, "dcat:dataset/@rdf:resource")[0]
    dataset = root.find(f"dcat:Dataset[@rdf:about='{dataset_uri}']", NS)
    assert dataset is not None
    assert _text(dataset, "dct:title/text()") == ["Freie Pflegeplätze im Rhein-Kreis Neuss"]
    assert _text(dataset, "dct:description/text()")
    assert _text(dataset, "dct:publisher/@rdf:resource") == [publisher]
    assert _text(dataset, "dcatde:contributorID/@rdf:resource")
    assert _text(dataset, "dcatde:politicalGeocodingURI/@rdf:resource") == [
        "http://dcat-ap.de/def/politicalGeocoding/districtKey/05162"
    ]
    assert _text(dataset, "dcatde:politicalGeocodingLevelURI/@rdf:resource") == [
        "http://dcat-ap.de/def/politicalGeocoding/Level/administrativeDistrict"
    ]
    assert _text(dataset, "dct:license/@rdf:resource") == ["http://dcat-ap.de/def/licenses/dl-by-de/2.0"]
    assert _text(dataset, "dcat:theme/@rdf:resource") == [
        "http://publications.europa.eu/resource/authority/data-theme/HEAL"
    ]
    assert _text(dataset, "dct:accrualPeriodicity/@rdf:resource") == [
        "http://publications.europa.eu/resource/authority/frequency/DAILY"
    ]
    assert _text(dataset, "dcat:contactPoint/vcard:Organization/vcard:hasEmail/@rdf:resource") == [
        "mailto:heimaufsicht@kreis.example"
    ]
    assert "Pflegeplätze" in _text(dataset, "dcat:keyword/text()")
    distributions = dataset.findall("dcat:distribution/dcat:Distribution", NS)
    assert len(distributions) == 2 + 3 * 2  # latest CSV+JSON and three dated days
    client_downloads = 0
    for dist in distributions:
        url = _text(dist, "dcat:downloadURL/@rdf:resource")[0]
        assert url.startswith("http") and _text(dist, "dcat:accessURL/@rdf:resource") == [url]
        assert _text(dist, "dct:format/@rdf:resource")[0].startswith(
            "http://publications.europa.eu/resource/authority/file-type/"
        )
        assert _text(dist, "dcat:mediaType/@rdf:resource")
        assert _text(dist, "dct:license/@rdf:resource")
        assert _text(dist, "dct:modified/text()")
        size = int(_text(dist, "dcat:byteSize/text()")[0])
        digest = _text(dist, "spdx:checksum/spdx:Checksum/spdx:checksumValue/text()")[0]
        assert _text(dist, "spdx:checksum/spdx:Checksum/spdx:algorithm/@rdf:resource") == [
            "http://spdx.org/rdf/terms#checksumAlgorithm_sha256"
        ]
        response = client.get(urlsplit(url).path)
        assert response.status_code == 200
        body = b"".join(response.streaming_content)  # type: ignore[attr-defined]
        assert len(body) == size and hashlib.sha256(body).hexdigest() == digest
        client_downloads += 1
    assert client_downloads == 8


def test_download_endpoints_types_names_and_404(care: CareSetup, client: Client) -> None:
    assert client.get("/pflegefinder/open-data/05162000/aktuell.csv").status_code == 404  # no release yet
    release_create(finder=care.finder, day=DAY, now=NOW)
    csv_response = client.get("/pflegefinder/open-data/05162000/aktuell.csv")
    assert csv_response.status_code == 200
    assert csv_response["Content-Type"] == "text/csv; charset=utf-8"
    assert 'filename="pflegeplaetze-05162000-aktuell.csv"' in csv_response["Content-Disposition"]
    dated = client.get("/pflegefinder/open-data/05162000/2026-11-24.json")
    assert dated.status_code == 200 and dated["Content-Type"] == "application/json"
    assert 'filename="pflegeplaetze-05162000-2026-11-24.json"' in dated["Content-Disposition"]
    assert client.get("/pflegefinder/open-data/05162000/2026-11-23.json").status_code == 404
    assert client.get("/pflegefinder/open-data/05162000/2026-02-30.csv").status_code == 404
    assert client.get("/pflegefinder/open-data/05162024/aktuell.csv").status_code == 404  # Neuss: no finder
    assert client.get("/pflegefinder/open-data/05162024/katalog.rdf").status_code == 404
    care.finder.enabled = False
    care.finder.save()
    assert client.get("/pflegefinder/open-data/05162000/aktuell.csv").status_code == 404


def test_portal_page_and_api_list_the_releases(care: CareSetup, client: Client) -> None:
    release = release_create(finder=care.finder, day=DAY, now=NOW)
    page = client.get("/pflegefinder/open-data/")
    assert page.status_code == 200
    html = page.content.decode()
    assert "Freie Pflegeplätze im Rhein-Kreis Neuss" in html and release.csv_sha256 in html
    assert "/pflegefinder/open-data/05162000/katalog.rdf" in html
    body = client.get("/api/v1/care/open-data").json()
    assert [d["authority"] for d in body] == ["05162000"]
    assert body[0]["latest_csv_url"].endswith("/pflegefinder/open-data/05162000/aktuell.csv")
    assert body[0]["releases"][0]["csv_sha256"] == release.csv_sha256
    assert body[0]["releases"][0]["json_url"].endswith("/2026-11-24.json")
