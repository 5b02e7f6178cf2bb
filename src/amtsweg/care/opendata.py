"""The daily open-data release of a care finder: one row per active facility and care offer with its
current vacancy, as CSV and JSON, stored through ``default_storage`` under ``care/opendata/``.

No personal data: neither the reminder address nor who reported; only what the public search shows.
The CSV is UTF-8, comma-separated, RFC 4180 quoting, CRLF line ends, one header row (``CSV_COLUMNS``):

``facility_id, name, street, postcode, town, latitude, longitude, operator, care_type, capacity,
free_now, reported_at, stale, next_expected_date, next_expected_places``

``free_now`` and ``reported_at`` are empty for an offer that was never reported; ``reported_at`` is
ISO 8601 with offset; ``stale`` is ``true``/``false`` (older than the finder's limit, or never
reported); ``next_expected_*`` is the first expected entry after the release date, empty if none. The
JSON file is an object with the release's metadata and ``rows`` (same keys; ``expected`` is the whole
list of ``{"date", "places"}`` instead of the two ``next_expected_*`` columns).
"""

from __future__ import annotations

import csv
import hashlib
import io
import json
from datetime import date, datetime, timedelta
from typing import Any

from django.core.files.base import ContentFile
from django.db import IntegrityError, transaction
from django.utils import timezone

from .models import CareFinder, CareOffer, OpenDataRelease
from .selectors import is_stale

LICENSE_URI = "http://dcat-ap.de/def/licenses/dl-by-de/2.0"
LICENSE_NAME = "Datenlizenz Deutschland – Namensnennung – Version 2.0"
CSV_COLUMNS = (
    "facility_id",
    "name",
    "street",
    "postcode",
    "town",
    "latitude",
    "longitude",
    "operator",
    "care_type",
    "capacity",
    "free_now",
    "reported_at",
    "stale",
    "next_expected_date",
    "next_expected_places",
)
HISTORY_DAYS = 30  # dated releases listed in the catalogue besides the latest


def _rows(finder: CareFinder, *, day: date, now: datetime) -> list[dict[str, Any]]:
    limit = timedelta(hours=finder.stale_after_hours)
    offers = (
        CareOffer.objects.filter(facility__authority_id=finder.authority_id, facility__active=True)
        .select_related("facility__operator")
        .order_by("facility__name", "facility_id", "care_type")
    )
    rows = []
    for offer in offers:
        facility = offer.facility
        rows.append(
            {
                "facility_id": facility.pk,
                "name": facility.name,
                "street": facility.street,
                "postcode": facility.postcode,
                "town": facility.town,
                "latitude": round(facility.latitude, 6),
                "longitude": round(facility.longitude, 6),
                "operator": facility.operator.name,
                "care_type": offer.care_type,
                "capacity": offer.capacity,
                "free_now": offer.free_now,
                "reported_at": timezone.localtime(offer.reported_at).isoformat()
                if offer.reported_at
                else None,
                "stale": is_stale(offer.reported_at, limit=limit, now=now),
                "expected": [e for e in offer.expected if date.fromisoformat(e["date"]) > day],
            }
        )
    return rows


def render_csv(rows: list[dict[str, Any]]) -> bytes:
    buffer = io.StringIO(newline="")
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow(CSV_COLUMNS)
    for row in rows:
        upcoming = row["expected"][0] if row["expected"] else None
        writer.writerow(
            [
                row["facility_id"],
                row["name"],
                row["street"],
                row["postcode"],
                row["town"],
                f"{row['latitude']:.6f}",
                f"{row['longitude']:.6f}",
                row["operator"],
                row["care_type"],
                row["capacity"],
                "" if row["free_now"] is None else row["free_now"],
                row["reported_at"] or "",
                "true" if row["stale"] else "false",
                upcoming["date"] if upcoming else "",
                upcoming["places"] if upcoming else "",
            ]
        )
    return buffer.getvalue().encode("utf-8")


def render_json(finder: CareFinder, rows: list[dict[str, Any]], *, day: date, now: datetime) -> bytes:
    document = {
        "publisher": finder.authority.name,
        "date": day.isoformat(),
        "generated_at": timezone.localtime(now).isoformat(),
        "license": LICENSE_URI,
        "stale_after_hours": finder.stale_after_hours,
        "rows": rows,
    }
    return json.dumps(document, ensure_ascii=False, indent=1).encode("utf-8")


def release_create(*, finder: CareFinder, day: date, now: datetime | None = None) -> OpenDataRelease:
    """The release of ``finder`` for ``day``: created from the current vacancies the first time, the
    stored one ever after (idempotent per finder and day, also when two workers race)."""
    existing = OpenDataRelease.objects.filter(finder=finder, date=day).first()
    if existing is not None:
        return existing
    now = now or timezone.now()
    rows = _rows(finder, day=day, now=now)
    csv_bytes = render_csv(rows)
    json_bytes = render_json(finder, rows, day=day, now=now)
    release = OpenDataRelease(
        finder=finder,
        date=day,
        created_at=now,
        csv_sha256=hashlib.sha256(csv_bytes).hexdigest(),
        json_sha256=hashlib.sha256(json_bytes).hexdigest(),
        csv_size=len(csv_bytes),
        json_size=len(json_bytes),
        rows=len(rows),
    )
    stem = f"pflegeplaetze-{finder.authority.ags}-{day.isoformat()}"
    release.csv_file.save(f"{stem}.csv", ContentFile(csv_bytes), save=False)
    release.json_file.save(f"{stem}.json", ContentFile(json_bytes), save=False)
    try:
        with transaction.atomic():
            release.save()
    except IntegrityError:
        # Another worker released this day a moment ago: keep its files, drop ours.
        release.csv_file.delete(save=False)
        release.json_file.delete(save=False)
        return OpenDataRelease.objects.get(finder=finder, date=day)
    return release


def releases_daily(*, now: datetime) -> int:
    """Today's (local date) release for every enabled finder whose report due time has passed and that
    has none yet; the number created.

    Why at the due time and not at midnight: a file dated D then holds the reports of D (facilities
    report in the morning, by ``report_due_time``), not the state of the evening before. Reports after
    the due time appear in the next day's file; the portal's "aktuell" is the newest release.
    """
    local = timezone.localtime(now)
    today = local.date()
    created = 0
    finders = (
        CareFinder.objects.filter(enabled=True).exclude(releases__date=today).select_related("authority")
    )
    for finder in finders:
        if local.time() < finder.report_due_time:
            continue
        release_create(finder=finder, day=today, now=now)
        created += 1
    return created


def latest_releases(finder: CareFinder, *, count: int = HISTORY_DAYS + 1) -> list[OpenDataRelease]:
    return list(OpenDataRelease.objects.filter(finder=finder).order_by("-date")[:count])
