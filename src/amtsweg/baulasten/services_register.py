"""Writes of the register itself: entries (create, change, delete = Löschung, restore) with their
parcels, and the shared parcels. Each entry write is one transaction, bumps the entry's ``version``
(the optimistic lock of the edit form and the API), keeps a ``BaulastVersion`` snapshot (the full
history), recomputes ``search_text`` and records an audit event.

Callers have reached the register and the entry through ``tenancy.access``.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import date
from typing import Any

from django.db import IntegrityError, transaction
from django.utils import timezone, translation

from amtsweg.core.problems import Problem
from amtsweg.identity.models import User
from amtsweg.tenancy.access import Actor, audit
from amtsweg.tenancy.models import AuditEvent

from . import flurstueck
from .models import Baulast, BaulastKind, BaulastParcel, BaulastVersion, Gemarkung, Parcel, Register

CHANNEL_WEB = "web"
# The fields of an entry that ``baulast_update`` changes (parcels are ``burdened``/``benefiting``).
ENTRY_FIELDS = ("sheet", "number", "kind", "text", "obligors", "entered_on", "file_reference")
PARCEL_FIELDS = ("burdened", "benefiting")


class EntryInvalid(Problem):
    """An entry or parcel that cannot be written as given (422, ``field`` names the input at fault)."""

    def __init__(self, detail_de: str, detail_en: str, *, code: str, field: str = "") -> None:
        super().__init__(
            detail_de, detail_en, status_code=422, code=code, extra={"field": field} if field else None
        )


class EntryConflict(Problem):
    """The entry changed meanwhile, or its sheet/number is taken, or it is (not) deleted (409)."""

    def __init__(
        self, detail_de: str, detail_en: str, *, code: str, extra: dict[str, Any] | None = None
    ) -> None:
        super().__init__(detail_de, detail_en, status_code=409, code=code, extra=extra)


# --- parcels ----------------------------------------------------------------------------------------


def parcel_get_or_create(*, kennzeichen: str, location: str = "") -> Parcel:
    """The parcel with this Flurstückskennzeichen, created on first use.

    The key must parse (``InvalidKennzeichen``, 422) and its Gemarkung must be known (422
    ``baulasten-gemarkung-unknown``). A given ``location`` (Lagebezeichnung) replaces the stored one.
    """
    parts = flurstueck.parse(kennzeichen)
    gemarkung = Gemarkung.objects.filter(key=parts.gemarkung_key).first()
    if gemarkung is None:
        raise EntryInvalid(
            f"Die Gemarkung {parts.gemarkung_key} ({parts.display()}) ist nicht bekannt.",
            f"Gemarkung {parts.gemarkung_key} ({parts.display()}) is not known.",
            code="baulasten-gemarkung-unknown",
            field="kennzeichen",
        )
    location = location.strip()
    parcel, created = Parcel.objects.get_or_create(
        kennzeichen=parts.kennzeichen,
        defaults={
            "gemarkung": gemarkung,
            "flur": parts.flur,
            "zaehler": parts.zaehler,
            "nenner": parts.nenner,
            "folge": parts.folge,
            "location": location,
        },
    )
    if not created and location and parcel.location != location:
        parcel.location = location
        parcel.save(update_fields=["location"])
    return parcel


def _keys(values: Iterable[str], role_de: str, role_en: str, field: str) -> list[str]:
    """Normalised, de-duplicated keys in input order; an invalid one names its role and position."""
    keys: list[str] = []
    for position, value in enumerate(values, start=1):
        try:
            key = flurstueck.parse(value).kennzeichen
        except flurstueck.InvalidKennzeichen as exc:
            raise EntryInvalid(
                f"{role_de} Nr. {position}: {exc.detail_de}",
                f"{role_en} no. {position}: {exc.detail_en}",
                code="flurstueck-invalid",
                field=field,
            ) from exc
        if key not in keys:
            keys.append(key)
    return keys


def _resolve_parcels(
    *,
    register: Register,
    burdened: Iterable[str],
    benefiting: Iterable[str],
    locations: Mapping[str, str] | None,
) -> list[tuple[Parcel, str]]:
    burdened_keys = _keys(burdened, "Belastetes Flurstück", "Burdened parcel", "burdened")
    benefiting_keys = _keys(benefiting, "Begünstigtes Flurstück", "Benefiting parcel", "benefiting")
    if not burdened_keys:
        raise EntryInvalid(
            "Eine Baulast belastet mindestens ein Flurstück.",
            "A Baulast burdens at least one parcel.",
            code="baulasten-parcel-missing",
            field="burdened",
        )
    both = set(burdened_keys) & set(benefiting_keys)
    if both:
        raise EntryInvalid(
            f"Ein Flurstück kann nicht zugleich belastet und begünstigt sein: {', '.join(sorted(both))}.",
            f"A parcel cannot be both burdened and benefiting: {', '.join(sorted(both))}.",
            code="baulasten-parcel-both-roles",
            field="benefiting",
        )
    locations = {flurstueck.parse(k).kennzeichen: v for k, v in (locations or {}).items()}
    area_towns = set(register.areas.values_list("town_id", flat=True))
    links: list[tuple[Parcel, str]] = []
    for role, keys in (
        (BaulastParcel.Role.BURDENED, burdened_keys),
        (BaulastParcel.Role.BENEFITING, benefiting_keys),
    ):
        for key in keys:
            parcel = parcel_get_or_create(kennzeichen=key, location=locations.get(key, ""))
            if role == BaulastParcel.Role.BURDENED and parcel.gemarkung.town_id not in area_towns:
                # Benefiting parcels may lie anywhere; the burden is registered where the burdened parcel is.
                raise EntryInvalid(
                    f"{parcel} liegt nicht im Gebiet dieses Baulastenverzeichnisses; die Baulast ist dort "
                    "einzutragen, wo das belastete Flurstück liegt.",
                    f"{parcel} is outside this register's area; the Baulast belongs to the register of the "
                    "burdened parcel.",
                    code="baulasten-parcel-elsewhere",
                    field="burdened",
                )
            links.append((parcel, role))
    return links


# --- entries ----------------------------------------------------------------------------------------


def _check_entry(*, sheet: int, number: int, kind: str, text: str, entered_on: date) -> None:
    for value, de, en, field in (
        (sheet, "Baulastenblatt", "Sheet", "sheet"),
        (number, "lfd. Nr.", "Entry number", "number"),
    ):
        if isinstance(value, bool) or not isinstance(value, int) or value < 1:
            raise EntryInvalid(
                f"{de}: eine ganze Zahl ab 1.",
                f"{en}: a whole number from 1.",
                code="baulasten-entry-invalid",
                field=field,
            )
    if kind not in BaulastKind.values:
        raise EntryInvalid(
            f"Unbekannte Art der Baulast: {kind!r}.",
            f"Unknown kind of Baulast: {kind!r}.",
            code="baulasten-entry-invalid",
            field="kind",
        )
    if not text.strip():
        raise EntryInvalid(
            "Der Inhalt der Baulast fehlt.",
            "The text of the Baulast is missing.",
            code="baulasten-entry-invalid",
            field="text",
        )
    if entered_on > timezone.localdate():
        raise EntryInvalid(
            "Das Datum der Eintragung liegt in der Zukunft.",
            "The date of entry lies in the future.",
            code="baulasten-entry-invalid",
            field="entered_on",
        )


def _check_free(register: Register, sheet: int, number: int, exclude_pk: int | None = None) -> None:
    taken = Baulast.objects.filter(register=register, sheet=sheet, number=number)
    if exclude_pk is not None:
        taken = taken.exclude(pk=exclude_pk)
    if taken.exists():
        raise EntryConflict(
            f"Baulastenblatt {sheet}, lfd. Nr. {number} ist in diesem Verzeichnis schon vergeben.",
            f"Sheet {sheet}, entry {number} is already taken in this register.",
            code="baulasten-entry-exists",
            extra={"sheet": sheet, "number": number},
        )


def _set_links(baulast: Baulast, links: list[tuple[Parcel, str]]) -> None:
    baulast.parcel_links.all().delete()
    BaulastParcel.objects.bulk_create(BaulastParcel(baulast=baulast, parcel=p, role=r) for p, r in links)


def _search_text(baulast: Baulast) -> str:
    """What the full-text search indexes: kind, text, parcels (as shown and their Lage), file reference.
    Never the obligors: they are personal data, searched only by staff through the owner search."""
    with translation.override("de"):
        kind = str(baulast.get_kind_display())
    parts = [kind, baulast.text]
    for link in baulast.parcel_links.select_related("parcel__gemarkung").order_by(
        "role", "parcel__kennzeichen"
    ):
        parts.append(str(link.parcel))
        if link.parcel.location:
            parts.append(link.parcel.location)
    if baulast.file_reference:
        parts.append(baulast.file_reference)
    return "\n".join(parts)


def baulast_snapshot(baulast: Baulast) -> dict[str, Any]:
    """The entry's state as kept in its history (``BaulastVersion.snapshot``)."""
    return {
        "sheet": baulast.sheet,
        "number": baulast.number,
        "kind": baulast.kind,
        "text": baulast.text,
        "obligors": baulast.obligors,
        "entered_on": baulast.entered_on.isoformat(),
        "deleted_on": baulast.deleted_on.isoformat() if baulast.deleted_on else None,
        "deletion_reason": baulast.deletion_reason,
        "file_reference": baulast.file_reference,
        "parcels": [
            {"kennzeichen": k, "role": r}
            for k, r in baulast.parcel_links.order_by("role", "parcel__kennzeichen").values_list(
                "parcel__kennzeichen", "role"
            )
        ],
    }


def _record(
    baulast: Baulast, *, change: str, actor: Actor, channel: str, action: str, fields: list[str]
) -> None:
    baulast.search_text = _search_text(baulast)
    baulast.save(update_fields=["search_text", "updated_at"])
    BaulastVersion.objects.create(
        baulast=baulast,
        number=baulast.version,
        change=change,
        actor=actor if isinstance(actor, User) and actor.is_authenticated else None,
        channel=channel,
        at=timezone.now(),
        snapshot=baulast_snapshot(baulast),
    )
    # Field names only: the values (obligors) are personal data and live in the history.
    audit(
        actor=actor,
        action=action,
        obj=baulast,
        authority_id=baulast.authority_id,
        channel=channel,
        changes={"version": baulast.version, "change": change, "fields": fields},
    )


def baulast_create(
    *,
    register: Register,
    actor: Actor,
    channel: str,
    sheet: int,
    number: int,
    kind: str,
    text: str,
    obligors: str,
    entered_on: date,
    burdened: list[str],
    benefiting: list[str],
    file_reference: str = "",
    locations: Mapping[str, str] | None = None,
) -> Baulast:
    """Enter a Baulast on ``sheet``/``number`` of ``register`` (version 1)."""
    _check_entry(sheet=sheet, number=number, kind=kind, text=text, entered_on=entered_on)
    with transaction.atomic():
        _check_free(register, sheet, number)
        links = _resolve_parcels(
            register=register, burdened=burdened, benefiting=benefiting, locations=locations
        )
        try:
            with transaction.atomic():
                baulast = Baulast.objects.create(
                    register=register,
                    authority_id=register.authority_id,
                    sheet=sheet,
                    number=number,
                    kind=kind,
                    text=text.strip(),
                    obligors=obligors.strip(),
                    entered_on=entered_on,
                    file_reference=file_reference.strip(),
                    version=1,
                )
        except IntegrityError:  # the same sheet/number entered concurrently
            _check_free(register, sheet, number)
            raise
        _set_links(baulast, links)
        _record(
            baulast,
            change=BaulastVersion.Change.CREATED,
            actor=actor,
            channel=channel,
            action=AuditEvent.Action.CREATE,
            fields=[*ENTRY_FIELDS, *PARCEL_FIELDS],
        )
    return baulast


def _locked(baulast: Baulast, expected_version: int | None) -> Baulast:
    current = Baulast.objects.select_for_update().get(pk=baulast.pk)
    if expected_version is not None and current.version != expected_version:
        raise EntryConflict(
            f"Die Baulast wurde inzwischen geändert (jetzt Fassung {current.version}, Ihre Fassung "
            f"{expected_version}). Bitte laden Sie sie neu und übernehmen Sie Ihre Änderungen erneut.",
            f"The entry was changed meanwhile (now version {current.version}, yours {expected_version}). "
            "Reload it and apply your changes again.",
            code="baulasten-version-conflict",
            extra={"current_version": current.version},
        )
    return current


def baulast_update(
    *,
    baulast: Baulast,
    actor: Actor,
    channel: str,
    expected_version: int,
    locations: Mapping[str, str] | None = None,
    **changes: Any,
) -> Baulast:
    """Change an entry's fields (``ENTRY_FIELDS``) and/or parcels (``burdened``, ``benefiting``).

    ``expected_version`` is the version the caller edited: a stale one is refused (409
    ``baulasten-version-conflict``) instead of silently overwriting someone else's change. A deleted
    entry is restored first. Nothing changed → no new version.
    """
    unknown = set(changes) - set(ENTRY_FIELDS) - set(PARCEL_FIELDS)
    if unknown:
        raise EntryInvalid(
            f"Unbekannte Angaben: {', '.join(sorted(unknown))}.",
            f"Unknown fields: {', '.join(sorted(unknown))}.",
            code="baulasten-entry-invalid",
            field=sorted(unknown)[0],
        )
    with transaction.atomic():
        current = _locked(baulast, expected_version)
        if current.is_deleted:
            raise EntryConflict(
                "Eine gelöschte Baulast wird nicht geändert; heben Sie zuerst die Löschung auf.",
                "A deleted entry is not changed; restore it first.",
                code="baulasten-entry-deleted",
            )
        for name in ("text", "obligors", "file_reference"):
            if name in changes:
                changes[name] = str(changes[name] or "").strip()
        changed = [
            name for name in ENTRY_FIELDS if name in changes and getattr(current, name) != changes[name]
        ]
        for name in changed:
            setattr(current, name, changes[name])
        _check_entry(
            sheet=current.sheet,
            number=current.number,
            kind=current.kind,
            text=current.text,
            entered_on=current.entered_on,
        )
        if "sheet" in changed or "number" in changed:
            _check_free(current.register, current.sheet, current.number, exclude_pk=current.pk)
        if set(PARCEL_FIELDS) & set(changes):
            old = {(k, r) for k, r in current.parcel_links.values_list("parcel__kennzeichen", "role")}
            links = _resolve_parcels(
                register=current.register,
                burdened=changes.get("burdened", [k for k, r in old if r == BaulastParcel.Role.BURDENED]),
                benefiting=changes.get(
                    "benefiting", [k for k, r in old if r == BaulastParcel.Role.BENEFITING]
                ),
                locations=locations,
            )
            if {(p.kennzeichen, r) for p, r in links} != old:
                _set_links(current, links)
                changed += [f for f in PARCEL_FIELDS if f in changes]
        elif locations:
            for key, location in locations.items():
                parcel_get_or_create(kennzeichen=key, location=location)
        if not changed:
            return current
        current.version += 1
        current.save()
        _record(
            current,
            change=BaulastVersion.Change.UPDATED,
            actor=actor,
            channel=channel,
            action=AuditEvent.Action.UPDATE,
            fields=changed,
        )
    return current


def baulast_delete(
    *,
    baulast: Baulast,
    actor: Actor,
    channel: str,
    deleted_on: date,
    reason: str,
    expected_version: int | None = None,
) -> Baulast:
    """Löschung: the entry stays in the register and its history, flagged deleted since ``deleted_on``."""
    reason = reason.strip()
    if not reason:
        raise EntryInvalid(
            "Bitte geben Sie den Grund der Löschung an (z. B. Verzicht der Bauaufsichtsbehörde).",
            "State the reason of the deletion.",
            code="baulasten-entry-invalid",
            field="reason",
        )
    with transaction.atomic():
        current = _locked(baulast, expected_version)
        if current.is_deleted:
            raise EntryConflict(
                "Die Baulast ist bereits gelöscht.",
                "The entry is already deleted.",
                code="baulasten-entry-deleted",
            )
        if deleted_on < current.entered_on or deleted_on > timezone.localdate():
            raise EntryInvalid(
                "Das Löschungsdatum liegt zwischen der Eintragung und heute.",
                "The date of deletion lies between the entry's date and today.",
                code="baulasten-entry-invalid",
                field="deleted_on",
            )
        current.deleted_on = deleted_on
        current.deletion_reason = reason
        current.version += 1
        current.save()
        _record(
            current,
            change=BaulastVersion.Change.DELETED,
            actor=actor,
            channel=channel,
            action=AuditEvent.Action.DELETE,
            fields=["deleted_on", "deletion_reason"],
        )
    return current


def baulast_restore(
    *, baulast: Baulast, actor: Actor, channel: str, expected_version: int | None = None
) -> Baulast:
    """Undo a Löschung entered by mistake; the deletion stays visible in the history."""
    with transaction.atomic():
        current = _locked(baulast, expected_version)
        if not current.is_deleted:
            raise EntryConflict(
                "Die Baulast ist nicht gelöscht.",
                "The entry is not deleted.",
                code="baulasten-entry-not-deleted",
            )
        current.deleted_on = None
        current.deletion_reason = ""
        current.version += 1
        current.save()
        _record(
            current,
            change=BaulastVersion.Change.RESTORED,
            actor=actor,
            channel=channel,
            action=AuditEvent.Action.UPDATE,
            fields=["deleted_on", "deletion_reason"],
        )
    return current


def parcel_key(
    *, kennzeichen: str = "", gemarkung: str = "", flur: int | None = None, flurstueck_nr: str = ""
) -> str:
    """The 20-character key of a parcel given either as a key or as Gemarkung (6-digit key) + Flur +
    Flurstücksnummer ("119/2"), validated (``InvalidKennzeichen``, 422)."""
    if kennzeichen.strip():
        return flurstueck.parse(kennzeichen).kennzeichen
    gemarkung = gemarkung.strip()
    if len(gemarkung) != 6:
        raise flurstueck.InvalidKennzeichen(
            "Bitte die Gemarkung wählen oder das 20-stellige Flurstückskennzeichen angeben.",
            "Choose the Gemarkung or give the 20-character Flurstückskennzeichen.",
            part="gemarkung",
        )
    zaehler, nenner = flurstueck.parse_number(flurstueck_nr)
    return flurstueck.build(
        land=gemarkung[:2], gemarkung=gemarkung[2:], flur=flur, zaehler=zaehler, nenner=nenner
    ).kennzeichen
