"""The DCAT-AP.de catalogue (RDF/XML) of a care finder's open data: one catalogue, one dataset
("Freie Pflegeplätze im <Kreis>"), and as distributions the latest CSV and JSON plus the dated ones of
the last 30 releases, each with absolute access/download URLs, format, media type, size and SHA-256.

Built with lxml from the stored releases; ``base_url`` is the portal's public address (no trailing
slash), so the catalogue names the URLs a harvester (GovData, Open.NRW) can fetch.
"""

from __future__ import annotations

from datetime import datetime

from django.conf import settings
from django.urls import reverse
from django.utils import timezone
from lxml import etree

from .models import CareFinder, OpenDataRelease
from .opendata import LICENSE_URI, latest_releases

NS = {
    "rdf": "http://www.w3.org/1999/02/22-rdf-syntax-ns#",
    "rdfs": "http://www.w3.org/2000/01/rdf-schema#",
    "dcat": "http://www.w3.org/ns/dcat#",
    "dct": "http://purl.org/dc/terms/",
    "foaf": "http://xmlns.com/foaf/0.1/",
    "vcard": "http://www.w3.org/2006/vcard/ns#",
    "dcatde": "http://dcat-ap.de/def/dcatde/",
    "adms": "http://www.w3.org/ns/adms#",
    "spdx": "http://spdx.org/rdf/terms#",
    "xsd": "http://www.w3.org/2001/XMLSchema#",
}
THEME_HEALTH = "http://publications.europa.eu/resource/authority/data-theme/HEAL"
DAILY = "http://publications.europa.eu/resource/authority/frequency/DAILY"
GEOCODING_LEVEL = "http://dcat-ap.de/def/politicalGeocoding/Level/administrativeDistrict"
GEOCODING_DISTRICT = "http://dcat-ap.de/def/politicalGeocoding/districtKey/{key}"
SHA256 = "http://spdx.org/rdf/terms#checksumAlgorithm_sha256"
FORMATS = {
    "csv": ("http://publications.europa.eu/resource/authority/file-type/CSV", "text/csv"),
    "json": ("http://publications.europa.eu/resource/authority/file-type/JSON", "application/json"),
}
KEYWORDS = ("Pflege", "Pflegeplätze", "Pflegeheim", "Kurzzeitpflege", "Tagespflege", "Heimaufsicht")
# Open.NRW harvests the data of North Rhine-Westphalia's municipalities for GovData; override per
# deployment with CARE_OPENDATA_CONTRIBUTOR_ID.
DEFAULT_CONTRIBUTOR = "http://dcat-ap.de/def/contributors/openNRW"


def _q(name: str) -> str:
    prefix, local = name.split(":")
    return f"{{{NS[prefix]}}}{local}"


XML_LANG = "{http://www.w3.org/XML/1998/namespace}lang"


def _el(parent: etree._Element, name: str, text: str | None = None, **attrs: str) -> etree._Element:
    element = etree.SubElement(
        parent, _q(name), {XML_LANG if k == "lang" else _q(k.replace("__", ":")): v for k, v in attrs.items()}
    )
    if text is not None:
        element.text = text
    return element


def _resource(parent: etree._Element, name: str, uri: str) -> etree._Element:
    return _el(parent, name, rdf__resource=uri)


def _typed(parent: etree._Element, name: str, value: str, datatype: str) -> etree._Element:
    return _el(parent, name, value, rdf__datatype=NS["xsd"] + datatype)


def _iso(moment: datetime) -> str:
    return timezone.localtime(moment).replace(microsecond=0).isoformat()


def district_key(finder: CareFinder) -> str:
    """The Kreis' 5-digit district key (Kreisschlüssel): the first five digits of its AGS."""
    return finder.authority.ags[:5]


def file_url(base_url: str, finder: CareFinder, label: str, fmt: str) -> str:
    """``label`` is ``"aktuell"`` or the release date (YYYY-MM-DD)."""
    if label == "aktuell":
        path = reverse("portal:care_opendata_latest", kwargs={"ags": finder.authority.ags, "fmt": fmt})
    else:
        path = reverse(
            "portal:care_opendata_file", kwargs={"ags": finder.authority.ags, "day": label, "fmt": fmt}
        )
    return base_url + path


def _distribution(
    parent: etree._Element,
    *,
    base_url: str,
    finder: CareFinder,
    release: OpenDataRelease,
    fmt: str,
    label: str,
) -> None:
    url = file_url(base_url, finder, label, fmt)
    size = release.csv_size if fmt == "csv" else release.json_size
    digest = release.csv_sha256 if fmt == "csv" else release.json_sha256
    file_type, media_type = FORMATS[fmt]
    holder = _el(parent, "dcat:distribution")
    dist = _el(holder, "dcat:Distribution", rdf__about=url)
    title = (
        f"Freie Pflegeplätze, aktuell ({fmt.upper()})"
        if label == "aktuell"
        else f"Freie Pflegeplätze am {release.date:%d.%m.%Y} ({fmt.upper()})"
    )
    _el(dist, "dct:title", title)
    _resource(dist, "dcat:accessURL", url)
    _resource(dist, "dcat:downloadURL", url)
    _resource(dist, "dct:format", file_type)
    _resource(dist, "dcat:mediaType", f"https://www.iana.org/assignments/media-types/{media_type}")
    _typed(dist, "dcat:byteSize", str(size), "decimal")
    checksum = _el(_el(dist, "spdx:checksum"), "spdx:Checksum")
    _resource(checksum, "spdx:algorithm", SHA256)
    _typed(checksum, "spdx:checksumValue", digest, "hexBinary")
    _resource(dist, "dct:license", LICENSE_URI)
    _el(dist, "dcatde:licenseAttributionByText", finder.authority.name)
    _typed(dist, "dct:issued", _iso(release.created_at), "dateTime")
    _typed(dist, "dct:modified", _iso(release.created_at), "dateTime")


def catalog_rdf(finder: CareFinder, *, base_url: str) -> bytes:
    """The catalogue of ``finder`` as RDF/XML (UTF-8)."""
    authority = finder.authority
    releases = latest_releases(finder)
    root = etree.Element(_q("rdf:RDF"), nsmap=NS)
    page = base_url + reverse("portal:care_opendata")
    catalog_uri = base_url + reverse("portal:care_opendata_catalog", kwargs={"ags": authority.ags})
    dataset_uri = f"{catalog_uri}#dataset"
    publisher_uri = f"{catalog_uri}#publisher"

    catalog = _el(root, "dcat:Catalog", rdf__about=catalog_uri)
    _el(catalog, "dct:title", f"Offene Daten des Pflegefinders – {authority.name}", lang="de")
    _el(
        catalog,
        "dct:description",
        f"Tägliche Meldungen freier Pflegeplätze der Einrichtungen im {authority.name}.",
        lang="de",
    )
    _resource(catalog, "foaf:homepage", page)
    _resource(catalog, "dct:language", "http://publications.europa.eu/resource/authority/language/DEU")
    _resource(catalog, "dct:publisher", publisher_uri)
    if releases:
        _typed(catalog, "dct:modified", _iso(releases[0].created_at), "dateTime")
    _resource(catalog, "dcat:dataset", dataset_uri)

    agent = _el(root, "foaf:Agent", rdf__about=publisher_uri)
    _el(agent, "foaf:name", authority.name)

    dataset = _el(root, "dcat:Dataset", rdf__about=dataset_uri)
    _el(dataset, "dct:title", f"Freie Pflegeplätze im {authority.name}", lang="de")
    _el(
        dataset,
        "dct:description",
        "Freie Plätze je Pflegeeinrichtung und Versorgungsart (vollstationäre Pflege, Kurzzeitpflege, "
        "Tagespflege, Nachtpflege, ambulante Dienste, Wohngemeinschaften), wie die Einrichtungen sie "
        "täglich melden, mit Zeitpunkt der Meldung, Kennzeichen veralteter Meldungen und erwarteten "
        "freien Plätzen. Ohne personenbezogene Daten.",
        lang="de",
    )
    _el(dataset, "dct:identifier", dataset_uri)
    _resource(dataset, "dct:publisher", publisher_uri)
    contributor = settings.CARE_OPENDATA_CONTRIBUTOR_ID or DEFAULT_CONTRIBUTOR
    _resource(dataset, "dcatde:contributorID", contributor)
    _resource(dataset, "dcatde:politicalGeocodingURI", GEOCODING_DISTRICT.format(key=district_key(finder)))
    _resource(dataset, "dcatde:politicalGeocodingLevelURI", GEOCODING_LEVEL)
    _resource(dataset, "dct:license", LICENSE_URI)
    _resource(dataset, "dcat:theme", THEME_HEALTH)
    _resource(dataset, "dct:accrualPeriodicity", DAILY)
    _resource(dataset, "dcat:landingPage", page)
    for keyword in KEYWORDS:
        _el(dataset, "dcat:keyword", keyword, lang="de")
    contact = _el(_el(dataset, "dcat:contactPoint"), "vcard:Organization")
    _el(contact, "vcard:fn", f"Heimaufsicht – {authority.name}")
    if finder.contact_email:
        _resource(contact, "vcard:hasEmail", f"mailto:{finder.contact_email}")
    if releases:
        _typed(dataset, "dct:issued", _iso(releases[-1].created_at), "dateTime")
        _typed(dataset, "dct:modified", _iso(releases[0].created_at), "dateTime")
        for fmt in ("csv", "json"):
            _distribution(
                dataset, base_url=base_url, finder=finder, release=releases[0], fmt=fmt, label="aktuell"
            )
        for release in releases:
            for fmt in ("csv", "json"):
                _distribution(
                    dataset,
                    base_url=base_url,
                    finder=finder,
                    release=release,
                    fmt=fmt,
                    label=release.date.isoformat(),
                )
    return bytes(etree.tostring(root, xml_declaration=True, encoding="UTF-8", pretty_print=True))
