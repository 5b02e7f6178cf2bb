"""Imports of authorities (from the Destatis AGS and RS code lists) and of postcode areas (from CSV).

Both imports read and check their input completely before they write, and write in bulk inside
one transaction: a bad file changes nothing, and importing all 11,000 municipalities takes seconds.

Rules for the code lists (documented for administrators in ``docs/administration.md``):

* Only municipalities become authorities. Skipped are the city-state sub-districts (rows with a
  ``Hinweis``, e.g. Hamburg's Ortsteile and Berlin's Bezirke) and unincorporated areas
  (``gemeindefreies Gebiet``/``gemfr.``, coastal waters and condominia with AGS ``…998``/``…999``).
* AGS and RS are joined by ``AGS = RS[0:5] + RS[9:12]``. Where the lists disagree (the 2026-06-30
  lists have one such case, Uder 16061119 vs. RS 160615051097), the one RS without AGS partner in
  the same Kreis with the identical Bezeichnung is taken, and the import reports it as a warning.
* Kreisfreie Stadt: the only municipality of its 5-digit Kreis key, with AGS ``<Kreis key>000``.
  Decided over the whole file, never the prefix-filtered part. Region-/Städteregion-angehörige
  cities (Hannover 03241001, Aachen 05334002) are thus towns of their Kreis, as in the law.
* Stadt: one of the designations after the name (``, Stadt``, ``, Hansestadt``, ``, GKSt``, Bavaria's
  ``, St`` …) names a town. The name itself does not count: "Stadtlauringen, M" is a Markt.
  Everything else, including Markt and Flecken, is a Gemeinde.
* ``name`` is the Bezeichnung up to the first comma, ``official_name`` the whole Bezeichnung.
"""

from __future__ import annotations

import csv
import io
import re
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path

from django.db import IntegrityError, transaction

from amtsweg.core.text import german_slugify

from .genericode import CodeList, CodeListRow, FileError, ImportFileError, codelist_read
from .models import Alliance, Authority, PostcodeArea
from .responsibility import street_key

_AGS = re.compile(r"[0-9]{8}")
_RS = re.compile(r"[0-9]{12}")
_POSTCODE = re.compile(r"[0-9]{5}")
_PREFIX = re.compile(r"[0-9]{0,8}")
_UNINCORPORATED = re.compile(r"gemfr\.|gemeindefrei", re.IGNORECASE)
_TOWN_DESIGNATIONS = {"St", "GKSt"}  # Bavaria's abbreviations for Stadt and Große Kreisstadt
_SLUG_LENGTH = Authority._meta.get_field("slug").max_length or 100

KEY_COLUMN = "SCHLUESSEL"
NAME_COLUMN = "Bezeichnung"
NOTE_COLUMN = "Hinweis"


def name_clean(official_name: str) -> str:
    """``Neuss, Stadt`` → ``Neuss``; ``Gelnhausen, Barbarossastadt, Kreisstadt`` → ``Gelnhausen``."""
    return official_name.split(",", 1)[0].strip()


def is_town_name(official_name: str) -> bool:
    designations = [part.strip() for part in official_name.split(",")[1:]]
    return any(part in _TOWN_DESIGNATIONS or "stadt" in part.lower() for part in designations)


@dataclass(frozen=True)
class Municipality:
    """One municipality of the code lists, joined and classified, ready to become an Authority."""

    ags: str
    regional_key: str
    official_name: str
    kind: str
    line: int  # in the AGS file

    @property
    def name(self) -> str:
        return name_clean(self.official_name)


@dataclass
class AuthorityImportResult:
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    skipped: int = 0  # rows of the selection that are no municipality
    kreis: Authority | None = None
    warnings: list[str] = field(default_factory=list)


def _keys_check(
    codelist: CodeList, pattern: re.Pattern[str], label: str, digits: int, errors: list[FileError]
) -> dict[str, CodeListRow]:
    by_key: dict[str, CodeListRow] = {}
    for row in codelist.rows:
        key = row.values.get(KEY_COLUMN, "")
        if not pattern.fullmatch(key):
            hint_de = hint_en = ""
            if key.isdigit() and len(key) in (8, 12) and len(key) != digits:
                hint_de, hint_en = " Sind --ags und --rs vertauscht?", " Are --ags and --rs swapped?"
            errors.append(
                FileError(
                    codelist.file,
                    row.line,
                    f"{label} „{key}“ hat nicht genau {digits} Ziffern.{hint_de}",
                    f"{label} '{key}' does not have exactly {digits} digits.{hint_en}",
                )
            )
        elif key in by_key:
            errors.append(
                FileError(
                    codelist.file,
                    row.line,
                    f"{label} {key} steht schon in Zeile {by_key[key].line}.",
                    f"{label} {key} already appears on line {by_key[key].line}.",
                )
            )
        elif not row.values.get(NAME_COLUMN):
            errors.append(
                FileError(
                    codelist.file,
                    row.line,
                    f"{label} {key} hat keine Bezeichnung.",
                    f"{label} {key} has no Bezeichnung.",
                )
            )
        else:
            by_key[key] = row
    return by_key


def _is_municipality(ags: str, row: CodeListRow) -> bool:
    return not (
        row.values.get(NOTE_COLUMN)
        or ags.endswith(("998", "999"))
        or _UNINCORPORATED.search(row.values[NAME_COLUMN])
    )


def municipalities_read(
    *, ags_path: Path, rs_path: Path, prefix: str = ""
) -> tuple[list[Municipality], int, list[str]]:
    """Read, check and join both code lists; return the municipalities whose AGS starts with ``prefix``.

    Returns ``(municipalities, skipped, warnings)``: ``skipped`` counts the selected rows that are
    no municipality. Raises :class:`ImportFileError` listing every problem found.
    """
    ags_list = codelist_read(ags_path, required_columns=(KEY_COLUMN, NAME_COLUMN))
    rs_list = codelist_read(rs_path, required_columns=(KEY_COLUMN, NAME_COLUMN))
    errors: list[FileError] = []
    ags_rows = _keys_check(ags_list, _AGS, "AGS", 8, errors)
    rs_rows = _keys_check(rs_list, _RS, "RS", 12, errors)
    if errors:
        raise ImportFileError(errors)

    # Kreisfrei is a property of the whole Kreis key, so count over the whole file, not the selection.
    per_kreis: dict[str, list[str]] = defaultdict(list)
    for ags, row in ags_rows.items():
        if _is_municipality(ags, row):
            per_kreis[ags[:5]].append(ags)

    rs_by_ags: dict[str, str] = {}
    for rs, row in rs_rows.items():
        joined = rs[:5] + rs[9:]
        if joined in rs_by_ags:
            errors.append(
                FileError(
                    rs_list.file,
                    row.line,
                    f"RS {rs} ergibt denselben AGS {joined} wie RS {rs_by_ags[joined]}.",
                    f"RS {rs} yields the same AGS {joined} as RS {rs_by_ags[joined]}.",
                )
            )
        rs_by_ags[joined] = rs
    orphan_rs = {rs for joined, rs in rs_by_ags.items() if joined not in ags_rows}

    selected: list[Municipality] = []
    skipped = 0
    warnings: list[str] = []
    for ags, row in sorted(ags_rows.items()):
        if not ags.startswith(prefix):
            continue
        if not _is_municipality(ags, row):
            skipped += 1
            continue
        official_name = row.values[NAME_COLUMN]
        partner = rs_by_ags.get(ags)
        if partner is None:
            # The lists disagree: accept the one orphan RS of the same Kreis with the same name.
            candidates = [
                key
                for key in orphan_rs
                if key[:5] == ags[:5] and rs_rows[key].values[NAME_COLUMN] == official_name
            ]
            if len(candidates) != 1:
                errors.append(
                    FileError(
                        ags_list.file,
                        row.line,
                        f"AGS {ags} ({official_name}) hat keinen Partner in {rs_list.file}.",
                        f"AGS {ags} ({official_name}) has no partner in {rs_list.file}.",
                    )
                )
                continue
            partner = candidates[0]
            orphan_rs.discard(partner)
            warnings.append(
                f"AGS {ags} ({official_name}): RS {partner} über den Namen zugeordnet, "
                f"weil RS[0:5]+RS[9:12] nicht passt."
            )
        municipalities_in_kreis = per_kreis[ags[:5]]
        if len(municipalities_in_kreis) == 1 and ags.endswith("000"):
            kind = Authority.Kind.KREISFREIE_STADT
        elif is_town_name(official_name):
            kind = Authority.Kind.STADT
        else:
            kind = Authority.Kind.GEMEINDE
        selected.append(Municipality(ags, partner, official_name, kind, row.line))
    if errors:
        raise ImportFileError(errors)
    if not selected:
        raise ImportFileError(
            [
                FileError(
                    ags_list.file,
                    0,
                    f"Keine Gemeinde hat einen AGS, der mit „{prefix}“ beginnt.",
                    f"No municipality has an AGS starting with '{prefix}'.",
                )
            ]
        )
    return selected, skipped, warnings


def _slug_unique(name: str, ags: str, taken: set[str]) -> str:
    slug = german_slugify(name, max_length=_SLUG_LENGTH) or ags
    if slug in taken:
        slug = f"{slug[: _SLUG_LENGTH - len(ags) - 1]}-{ags}"
    taken.add(slug)
    return slug


def _apply(authority: Authority, *, official_name: str, name: str, **values: object) -> bool:
    """Set the code-list-owned fields; True when something changed.

    ``name`` follows the code list only while nobody has changed it, i.e. while it still equals the
    name derived from the stored official name. Slug, branding, contact and ``is_active`` belong
    to the administrators and are never touched.
    """
    changed = False
    if authority.name == name_clean(authority.official_name) or not authority.official_name:
        values["name"] = name
    values["official_name"] = official_name
    for attribute, value in values.items():
        if getattr(authority, attribute) != value:
            setattr(authority, attribute, value)
            changed = True
    return changed


_UPDATE_FIELDS = ["name", "official_name", "kind", "regional_key", "parent", "alliance"]


def authorities_import(
    *,
    ags_path: Path,
    rs_path: Path,
    prefix: str = "",
    alliance_slug: str | None = None,
    kreis_name: str | None = None,
) -> AuthorityImportResult:
    """Create or update (by AGS) the authorities of the code lists whose AGS starts with ``prefix``.

    With ``kreis_name`` (needs a 5-digit ``prefix``) the Kreis itself is created or updated too, with
    AGS ``<prefix>000`` and RS ``<prefix>0000000``, and becomes the parent of its municipalities.
    Municipalities of a Kreis already in the database are linked to it in any case.
    """
    if not _PREFIX.fullmatch(prefix):
        raise ImportFileError(
            [
                FileError(
                    "--prefix", 0, "Das Präfix besteht aus bis zu 8 Ziffern.", "The prefix is up to 8 digits."
                )
            ]
        )
    kreis_name = (kreis_name or "").strip() or None
    if kreis_name and len(prefix) != 5:
        raise ImportFileError(
            [
                FileError(
                    "--kreis-name",
                    0,
                    "Ein Kreis kann nur mit einem 5-stelligen Kreisschlüssel als --prefix angelegt werden.",
                    "A Kreis can only be created with a 5-digit Kreis key as --prefix.",
                )
            ]
        )
    alliance: Alliance | None = None
    if alliance_slug:
        alliance = Alliance.objects.filter(slug=alliance_slug).first()
        if alliance is None:
            raise ImportFileError(
                [
                    FileError(
                        "--alliance",
                        0,
                        f"Einen Verbund „{alliance_slug}“ gibt es nicht.",
                        f"There is no alliance '{alliance_slug}'.",
                    )
                ]
            )

    municipalities, skipped, warnings = municipalities_read(ags_path=ags_path, rs_path=rs_path, prefix=prefix)
    if kreis_name and any(m.kind == Authority.Kind.KREISFREIE_STADT for m in municipalities):
        raise ImportFileError(
            [
                FileError(
                    "--kreis-name",
                    0,
                    f"{prefix} ist eine kreisfreie Stadt und hat keinen Kreis.",
                    f"{prefix} is a kreisfreie Stadt and has no Kreis.",
                )
            ]
        )

    result = AuthorityImportResult(skipped=skipped, warnings=warnings)
    try:
        with transaction.atomic():
            _write(
                result,
                municipalities,
                alliance=alliance,
                kreis_key=prefix if kreis_name else None,
                kreis_name=kreis_name,
            )
    except IntegrityError as error:
        # E.g. an RS that another authority (with a different AGS) already holds.
        raise ImportFileError(
            [
                FileError(
                    ags_path.name,
                    0,
                    f"Widerspruch zu vorhandenen Behörden: {error}",
                    f"Conflict with existing authorities: {error}",
                )
            ]
        ) from error
    return result


def _write(
    result: AuthorityImportResult,
    municipalities: list[Municipality],
    *,
    alliance: Alliance | None,
    kreis_key: str | None,
    kreis_name: str | None,
) -> None:
    existing = {authority.ags: authority for authority in Authority.objects.select_for_update()}
    taken_slugs = {authority.slug for authority in existing.values()}
    kreise = {a.ags[:5]: a for a in existing.values() if a.kind == Authority.Kind.KREIS}
    # Compare and set keys, not objects: reading ``authority.parent`` would cost a query per row.
    alliance_values: dict[str, object] = {"alliance_id": alliance.pk} if alliance else {}

    if kreis_key and kreis_name:
        kreis = existing.get(f"{kreis_key}000")
        kreis_values: dict[str, object] = {
            "kind": Authority.Kind.KREIS,
            "regional_key": f"{kreis_key}0000000",
            **alliance_values,
        }
        if kreis is None:
            kreis = Authority.objects.create(
                name=kreis_name,
                official_name=kreis_name,
                ags=f"{kreis_key}000",
                slug=_slug_unique(kreis_name, f"{kreis_key}000", taken_slugs),
                **kreis_values,
            )
            result.created += 1
        elif _apply(kreis, official_name=kreis_name, name=kreis_name, **kreis_values):
            kreis.save(update_fields=_UPDATE_FIELDS)
            result.updated += 1
        else:
            result.unchanged += 1
        kreise[kreis_key] = result.kreis = kreis

    new: list[Authority] = []
    changed: list[Authority] = []
    for municipality in municipalities:
        kreisfrei = municipality.kind == Authority.Kind.KREISFREIE_STADT
        parent = None if kreisfrei else kreise.get(municipality.ags[:5])
        values: dict[str, object] = {
            "kind": municipality.kind,
            "regional_key": municipality.regional_key,
            **alliance_values,
        }
        authority = existing.get(municipality.ags)
        if authority is None:
            slug = _slug_unique(municipality.name, municipality.ags, taken_slugs)
            new.append(
                Authority(
                    ags=municipality.ags,
                    name=municipality.name,
                    slug=slug,
                    official_name=municipality.official_name,
                    parent=parent,
                    **values,
                )
            )
            continue
        if parent is not None or kreisfrei:  # without a known Kreis, keep a parent set by hand
            values["parent_id"] = parent.pk if parent else None
        if _apply(authority, official_name=municipality.official_name, name=municipality.name, **values):
            changed.append(authority)
        else:
            result.unchanged += 1
    Authority.objects.bulk_create(new, batch_size=1000)
    Authority.objects.bulk_update(changed, _UPDATE_FIELDS, batch_size=500)
    result.created += len(new)
    result.updated += len(changed)


# --- postcode areas ----------------------------------------------------------------------------

POSTCODE_COLUMNS = ("postcode", "street", "ags")


@dataclass
class PostcodeImportResult:
    created: int = 0
    deleted: int = 0
    unchanged: int = 0
    postcodes: int = 0


def postcodes_import(*, path: Path) -> PostcodeImportResult:
    """Load postcode areas (``postcode,street,ags[,note]``; ``#`` lines are comments) from ``path``.

    The file is the truth for every postcode it mentions: rows of those postcodes that the file no
    longer has are deleted, postcodes it does not mention are left alone. An empty street means the
    whole postcode (or, next to street rows of other towns, the rest of it).
    """
    file = path.name
    try:
        content = path.read_text(encoding="utf-8-sig")
    except OSError as error:
        raise ImportFileError(
            [
                FileError(
                    file, 0, f"Datei nicht lesbar: {error.strerror}.", f"File not readable: {error.strerror}."
                )
            ]
        ) from error
    except UnicodeDecodeError as error:
        raise ImportFileError(
            [FileError(file, 0, "Die Datei ist nicht UTF-8-kodiert.", "The file is not UTF-8 encoded.")]
        ) from error
    # Blank out comment lines instead of dropping them, so that line numbers stay physical.
    lines = ["" if line.lstrip().startswith("#") else line for line in content.splitlines()]
    reader = csv.reader(io.StringIO("\n".join(lines)))
    header = next(reader, None)
    while header == []:
        header = next(reader, None)
    header = [column.strip() for column in header or []]
    missing = [column for column in POSTCODE_COLUMNS if column not in header]
    if missing:
        raise ImportFileError(
            [
                FileError(
                    file,
                    reader.line_num,
                    f"Spalten fehlen: {', '.join(missing)}.",
                    f"Columns missing: {', '.join(missing)}.",
                )
            ]
        )

    errors: list[FileError] = []
    rows: list[tuple[int, str, str, str]] = []
    for values in reader:
        if not values:
            continue
        line = reader.line_num
        record = dict(zip(header, (value.strip() for value in values), strict=False))
        postcode, street, ags = record.get("postcode", ""), record.get("street", ""), record.get("ags", "")
        if len(values) > len(header):
            errors.append(FileError(file, line, "Mehr Werte als Spalten.", "More values than columns."))
        elif not _POSTCODE.fullmatch(postcode):
            errors.append(
                FileError(
                    file,
                    line,
                    f"Postleitzahl „{postcode}“ hat nicht genau 5 Ziffern.",
                    f"Postcode '{postcode}' does not have exactly 5 digits.",
                )
            )
        elif not _AGS.fullmatch(ags):
            errors.append(
                FileError(
                    file,
                    line,
                    f"AGS „{ags}“ hat nicht genau 8 Ziffern.",
                    f"AGS '{ags}' does not have exactly 8 digits.",
                )
            )
        elif len(street) > PostcodeArea._meta.get_field("street").max_length:  # type: ignore[operator]
            errors.append(FileError(file, line, "Straßenname zu lang.", "Street name too long."))
        else:
            rows.append((line, postcode, street, ags))

    authorities = {a.ags: a for a in Authority.objects.filter(ags__in={ags for *_, ags in rows})}
    seen: dict[tuple[str, str, str], int] = {}
    for line, postcode, street, ags in rows:
        authority = authorities.get(ags)
        if authority is None:
            errors.append(
                FileError(
                    file,
                    line,
                    f"Eine Behörde mit AGS {ags} gibt es nicht; erst import_authorities ausführen.",
                    f"There is no authority with AGS {ags}; run import_authorities first.",
                )
            )
        elif authority.kind == Authority.Kind.KREIS:
            errors.append(
                FileError(
                    file,
                    line,
                    f"AGS {ags} ist ein Kreis; PLZ-Gebiete gehören zu Städten und Gemeinden.",
                    f"AGS {ags} is a Kreis; postcode areas belong to towns and municipalities.",
                )
            )
        key = (postcode, street_key(street), ags)
        if key in seen:
            errors.append(
                FileError(
                    file,
                    line,
                    f"Doppelt: dieselbe Zuordnung steht schon in Zeile {seen[key]}.",
                    f"Duplicate: the same mapping already appears on line {seen[key]}.",
                )
            )
        seen.setdefault(key, line)
    if errors:
        raise ImportFileError(errors)
    if not rows:
        raise ImportFileError(
            [FileError(file, 0, "Die Datei enthält keine Zeilen.", "The file has no rows.")]
        )

    result = PostcodeImportResult(postcodes=len({postcode for _, postcode, _, _ in rows}))
    wanted = {(postcode, street, ags) for _, postcode, street, ags in rows}
    with transaction.atomic():
        current = PostcodeArea.objects.filter(postcode__in={postcode for _, postcode, _, _ in rows})
        stale: list[int] = []
        present: set[tuple[str, str, str]] = set()
        for area_id, postcode, street, ags in current.values_list(
            "pk", "postcode", "street", "authority__ags"
        ):
            if (postcode, street, ags) in wanted:
                present.add((postcode, street, ags))
            else:
                stale.append(area_id)
        PostcodeArea.objects.filter(pk__in=stale).delete()
        PostcodeArea.objects.bulk_create(
            [
                PostcodeArea(postcode=postcode, street=street, authority=authorities[ags])
                for postcode, street, ags in sorted(wanted - present)
            ]
        )
    result.deleted = len(stale)
    result.unchanged = len(present)
    result.created = len(wanted) - len(present)
    return result
