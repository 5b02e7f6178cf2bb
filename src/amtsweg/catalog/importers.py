"""Import of the OZG/LeiKa catalogue from the CSV files of the OZG-Umsetzungskatalog.

The import reads and validates both files completely before it writes anything, then upserts in
bulk keyed by the natural keys (OZG-ID, LeiKa key) inside one transaction. Only the fields that
come from the catalogue (name, type, OZG link, Themenfeld, Lebenslage) are written; texts,
keywords, trust level and responsible level are curated by the alliance and never overwritten.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from amtsweg.core.text import german_slugify

from .models import Lebenslage, OzgService, Service, Themenfeld

OZG_COLUMNS = ("ozg_id", "name", "themenfeld", "lage")
LEIKA_COLUMNS = ("leika_key", "name", "leika_typ", "ozg_id")

_OZG_ID = re.compile(r"^\d{1,6}$")
_LEIKA_KEY = re.compile(r"^\d{14}$")


def _slug(value: str, *, max_length: int) -> str:
    return german_slugify(value, max_length=max_length) or "eintrag"


@dataclass(frozen=True)
class RowError:
    """One problem in an input file, located by file name and (physical, 1-based) line number."""

    file: str
    line: int
    message: str

    def __str__(self) -> str:
        return f"{self.file}, Zeile {self.line}: {self.message}"


@dataclass(frozen=True)
class EntityCounts:
    created: int = 0
    updated: int = 0
    unchanged: int = 0


@dataclass(frozen=True)
class CatalogImportResult:
    """What an import did; ``errors`` lists every bad row (skipped with ``skip_invalid``)."""

    themenfelder: EntityCounts
    lebenslagen: EntityCounts
    ozg_services: EntityCounts
    services: EntityCounts
    errors: tuple[RowError, ...] = ()
    written: bool = True


class CatalogImportError(Exception):
    """The input files are invalid; nothing was written."""

    def __init__(self, errors: Iterable[RowError]) -> None:
        self.errors = tuple(errors)
        super().__init__("\n".join(str(error) for error in self.errors))


@dataclass(frozen=True)
class OzgRow:
    line: int
    ozg_id: str
    name: str
    themenfeld: str
    lage: str


@dataclass(frozen=True)
class LeikaRow:
    line: int
    leika_key: str
    name: str
    leika_type: str
    ozg_id: str


@dataclass
class _Parsed:
    ozg: list[OzgRow] = field(default_factory=list)
    leika: list[LeikaRow] = field(default_factory=list)
    errors: list[RowError] = field(default_factory=list)


def _read_rows(
    path: Path, columns: tuple[str, ...], errors: list[RowError]
) -> Iterator[tuple[int, dict[str, str]]]:
    """Rows of a CSV file as (line number, values); problems with the file itself go to ``errors``."""
    name = path.name
    try:
        raw = path.read_bytes()
    except OSError as exc:
        errors.append(
            RowError(name, 0, _("Die Datei kann nicht gelesen werden: %(reason)s") % {"reason": exc.strerror})
        )
        return
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = raw.count(b"\n", 0, exc.start) + 1
        errors.append(
            RowError(
                name,
                line,
                _("Die Datei ist nicht UTF-8-kodiert (ungültiges Byte an Position %(pos)d).")
                % {"pos": exc.start},
            )
        )
        return
    if not text.strip():
        errors.append(RowError(name, 1, _("Die Datei ist leer.")))
        return
    reader = csv.reader(io.StringIO(text, newline=""), strict=True)
    try:
        header = [cell.strip() for cell in next(reader)]
    except csv.Error as exc:
        errors.append(
            RowError(name, 1, _("Die Kopfzeile ist kein gültiges CSV: %(reason)s") % {"reason": exc})
        )
        return
    missing = [column for column in columns if column not in header]
    unknown = [column for column in header if column not in columns]
    if missing or unknown or len(header) != len(set(header)):
        errors.append(
            RowError(
                name,
                1,
                _("Falsche Kopfzeile „%(found)s“; erwartet wird „%(expected)s“.")
                % {"found": ",".join(header), "expected": ",".join(columns)},
            )
        )
        return
    positions = [header.index(column) for column in columns]
    line = reader.line_num
    while True:
        start = line + 1
        try:
            cells = next(reader)
        except StopIteration:
            return
        except csv.Error as exc:
            errors.append(RowError(name, start, _("Ungültiges CSV: %(reason)s") % {"reason": exc}))
            return
        line = reader.line_num
        if not cells or all(not cell.strip() for cell in cells):
            continue
        if len(cells) != len(header):
            errors.append(
                RowError(
                    name,
                    start,
                    _("Die Zeile hat %(found)d statt %(expected)d Spalten.")
                    % {"found": len(cells), "expected": len(header)},
                )
            )
            continue
        yield start, {column: cells[pos].strip() for column, pos in zip(columns, positions, strict=True)}


def _check_text(
    name: str, line: int, label: str, value: str, max_length: int, errors: list[RowError]
) -> bool:
    if not value:
        errors.append(RowError(name, line, _("Die Spalte „%(column)s“ ist leer.") % {"column": label}))
        return False
    if len(value) > max_length:
        errors.append(
            RowError(
                name,
                line,
                _("Die Spalte „%(column)s“ ist länger als %(max)d Zeichen.")
                % {"column": label, "max": max_length},
            )
        )
        return False
    return True


def _check_key(
    file_name: str,
    line: int,
    value: str,
    pattern: re.Pattern[str],
    seen: dict[str, int],
    errors: list[RowError],
    *,
    invalid: str,
    duplicate: str,
) -> bool:
    """A row's key must match ``pattern`` and not repeat an earlier row's (``seen``: key → line)."""
    if not pattern.match(value):
        errors.append(RowError(file_name, line, invalid % {"value": value}))
        return False
    if value in seen:
        errors.append(RowError(file_name, line, duplicate % {"value": value, "first": seen[value]}))
        return False
    return True


def parse_ozg_file(path: Path, errors: list[RowError]) -> list[OzgRow]:
    """Valid rows of ``ozg_leistungen.csv``; every bad row is appended to ``errors``."""
    rows: list[OzgRow] = []
    seen: dict[str, int] = {}
    for line, values in _read_rows(path, OZG_COLUMNS, errors):
        ozg_id = values["ozg_id"]
        ok = _check_key(
            path.name,
            line,
            ozg_id,
            _OZG_ID,
            seen,
            errors,
            invalid=_("Ungültige OZG-ID „%(value)s“ (bis zu 6 Ziffern erwartet)."),
            duplicate=_("Die OZG-ID %(value)s steht schon in Zeile %(first)d."),
        )
        ok &= _check_text(path.name, line, "name", values["name"], 300, errors)
        ok &= _check_text(path.name, line, "themenfeld", values["themenfeld"], 200, errors)
        if len(values["lage"]) > 200:
            errors.append(RowError(path.name, line, _("Die Spalte „lage“ ist länger als 200 Zeichen.")))
            ok = False
        if ok:
            seen[ozg_id] = line
            rows.append(OzgRow(line, ozg_id, values["name"], values["themenfeld"], values["lage"]))
    return rows


def parse_leika_file(path: Path, known_ozg_ids: set[str], errors: list[RowError]) -> list[LeikaRow]:
    """Valid rows of ``leika_leistungen.csv``; ``ozg_id`` must be empty or one of ``known_ozg_ids``."""
    rows: list[LeikaRow] = []
    seen: dict[str, int] = {}
    for line, values in _read_rows(path, LEIKA_COLUMNS, errors):
        key, ozg_id = values["leika_key"], values["ozg_id"]
        ok = _check_key(
            path.name,
            line,
            key,
            _LEIKA_KEY,
            seen,
            errors,
            invalid=_("Ungültiger LeiKa-Schlüssel „%(value)s“ (genau 14 Ziffern erwartet)."),
            duplicate=_("Der LeiKa-Schlüssel %(value)s steht schon in Zeile %(first)d."),
        )
        ok &= _check_text(path.name, line, "name", values["name"], 300, errors)
        if len(values["leika_typ"]) > 20:
            errors.append(RowError(path.name, line, _("Die Spalte „leika_typ“ ist länger als 20 Zeichen.")))
            ok = False
        if ozg_id and ozg_id not in known_ozg_ids:
            errors.append(
                RowError(
                    path.name,
                    line,
                    _("Unbekannte OZG-ID %(value)s (weder in der OZG-Datei noch im Katalog).")
                    % {"value": ozg_id},
                )
            )
            ok = False
        if ok:
            seen[key] = line
            rows.append(LeikaRow(line, key, values["name"], values["leika_typ"], ozg_id))
    return rows


def catalog_import(
    *, ozg_file: Path | None, leika_file: Path | None, skip_invalid: bool = False
) -> CatalogImportResult:
    """Import the OZG and/or LeiKa file in one transaction.

    Raises :class:`CatalogImportError` with every error and writes nothing when a file is invalid,
    unless ``skip_invalid`` is set: then the valid rows are imported and the errors returned.
    """
    errors: list[RowError] = []
    ozg_rows = parse_ozg_file(ozg_file, errors) if ozg_file is not None else []
    known_ozg_ids = {row.ozg_id for row in ozg_rows}
    if leika_file is not None:
        referenced = set(OzgService.objects.values_list("ozg_id", flat=True))
        leika_rows = parse_leika_file(leika_file, known_ozg_ids | referenced, errors)
    else:
        leika_rows = []
    if errors and not skip_invalid:
        raise CatalogImportError(errors)
    with transaction.atomic():
        themen_counts, lage_counts, ozg_counts = _upsert_ozg(ozg_rows)
        service_counts = _upsert_services(leika_rows)
    return CatalogImportResult(themen_counts, lage_counts, ozg_counts, service_counts, tuple(errors))


def _unique_slug(base: str, taken: set[str], max_length: int) -> str:
    slug, number = base, 2
    while slug in taken:
        suffix = f"-{number}"
        slug = base[: max_length - len(suffix)] + suffix
        number += 1
    taken.add(slug)
    return slug


def _upsert_ozg(rows: list[OzgRow]) -> tuple[EntityCounts, EntityCounts, EntityCounts]:
    if not rows:
        return EntityCounts(), EntityCounts(), EntityCounts()
    # Themenfelder and Lebenslagen: a few dozen, created by name, never renamed.
    themen = {t.name: t for t in Themenfeld.objects.all()}
    taken = set(Themenfeld.objects.values_list("slug", flat=True))
    new_themen = [
        Themenfeld(name=name, slug=_unique_slug(_slug(name, max_length=100), taken, 100))
        for name in dict.fromkeys(row.themenfeld for row in rows)
        if name not in themen
    ]
    Themenfeld.objects.bulk_create(new_themen)
    themen = {t.name: t for t in Themenfeld.objects.all()}

    lagen = {(lage.themenfeld_id, lage.name): lage for lage in Lebenslage.objects.all()}
    taken = set(Lebenslage.objects.values_list("slug", flat=True))
    new_lagen: list[Lebenslage] = []
    for row in rows:
        themenfeld = themen[row.themenfeld]
        if row.lage and (themenfeld.pk, row.lage) not in lagen:
            new_lage = Lebenslage(
                name=row.lage,
                themenfeld=themenfeld,
                slug=_unique_slug(_slug(row.lage, max_length=120), taken, 120),
            )
            lagen[(themenfeld.pk, row.lage)] = new_lage
            new_lagen.append(new_lage)
    Lebenslage.objects.bulk_create(new_lagen)
    lagen = {(lage.themenfeld_id, lage.name): lage for lage in Lebenslage.objects.all()}

    existing = {ozg.ozg_id: ozg for ozg in OzgService.objects.all()}
    to_create: list[OzgService] = []
    to_update: list[OzgService] = []
    renamed: list[int] = []
    for row in rows:
        themenfeld = themen[row.themenfeld]
        lage: Lebenslage | None = lagen[(themenfeld.pk, row.lage)] if row.lage else None
        ozg = existing.get(row.ozg_id)
        if ozg is None:
            to_create.append(
                OzgService(ozg_id=row.ozg_id, name=row.name, themenfeld=themenfeld, lebenslage=lage)
            )
            continue
        lage_id = lage.pk if lage else None
        if (ozg.name, ozg.themenfeld_id, ozg.lebenslage_id) != (row.name, themenfeld.pk, lage_id):
            ozg.name, ozg.themenfeld, ozg.lebenslage = row.name, themenfeld, lage
            to_update.append(ozg)
            renamed.append(ozg.pk)
    OzgService.objects.bulk_create(to_create, batch_size=500)
    OzgService.objects.bulk_update(to_update, ["name", "themenfeld", "lebenslage"], batch_size=500)
    if renamed:
        # The search index reads OZG names through the services; touching them marks the index stale.
        Service.objects.filter(ozg_service_id__in=renamed).update(updated_at=timezone.now())
    return (
        EntityCounts(created=len(new_themen), unchanged=len(themen) - len(new_themen)),
        EntityCounts(created=len(new_lagen), unchanged=len(lagen) - len(new_lagen)),
        EntityCounts(
            created=len(to_create),
            updated=len(to_update),
            unchanged=len(rows) - len(to_create) - len(to_update),
        ),
    )


def _upsert_services(rows: list[LeikaRow]) -> EntityCounts:
    if not rows:
        return EntityCounts()
    ozg_pks = dict(OzgService.objects.values_list("ozg_id", "pk"))
    existing = {
        service.leika_key: service
        for service in Service.objects.only(
            "pk", "leika_key", "name", "leika_type", "ozg_service_id", "updated_at"
        )
    }
    now = timezone.now()
    to_create: list[Service] = []
    to_update: list[Service] = []
    for row in rows:
        ozg_pk = ozg_pks[row.ozg_id] if row.ozg_id else None
        service = existing.get(row.leika_key)
        if service is None:
            to_create.append(
                Service(
                    leika_key=row.leika_key, name=row.name, leika_type=row.leika_type, ozg_service_id=ozg_pk
                )
            )
        elif (service.name, service.leika_type, service.ozg_service_id) != (row.name, row.leika_type, ozg_pk):
            service.name, service.leika_type, service.ozg_service_id = row.name, row.leika_type, ozg_pk
            service.updated_at = now  # bulk_update does not apply auto_now
            to_update.append(service)
    Service.objects.bulk_create(to_create, batch_size=500)
    Service.objects.bulk_update(
        to_update, ["name", "leika_type", "ozg_service", "updated_at"], batch_size=500
    )
    return EntityCounts(
        created=len(to_create), updated=len(to_update), unchanged=len(rows) - len(to_create) - len(to_update)
    )
