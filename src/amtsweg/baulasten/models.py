"""Baulastenverzeichnis: the register of building encumbrances kept by the building-supervision
offices (untere Bauaufsichtsbehörde), the digitising of its paper files, online Auskunft and XBau.

Who keeps the register for a town is configured: a ``Register`` belongs to the keeping authority and
covers the towns listed in its ``RegisterArea`` rows (in the Rhein-Kreis Neuss the Kreis keeps it for
Jüchen and Rommerskirchen, the other towns keep their own). Every register-owned row carries
``authority`` = the keeper, so ``tenancy.access`` scopes it like every other authority-owned data.

Parcels (``Parcel``, ALKIS Flurstück) are identified by the 20-character Flurstückskennzeichen
(``flurstueck.py`` parses, validates and formats it). A ``Baulast`` is one entry (Eintragung) on a
register sheet (Baulastenblatt) with its burdened and benefiting parcels; every change is kept as a
``BaulastVersion``. Scans of the paper files (``ScanFile``) are OCR'd by the worker into searchable
PDF/A, indexed to parcels and entries by one member of staff and checked by another (four eyes).
An online Auskunft is a case of the Auskunft service; its ``AuskunftRequest`` holds the requested
parcels, the legitimate interest, the caseworker's decision, the fees and the extract as found.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.validators import MinValueValidator
from django.db import models
from django.db.models import F, Q
from django.db.models.functions import Upper
from django.utils.translation import gettext_lazy as _

# The text search configuration of the full-text indexes (PostgreSQL only, created by migration
# 0002): GIN on ``to_tsvector('german'::regconfig, <column>)`` of ``Baulast.search_text`` and
# ``ScanFile.text``, and trigram GIN on ``UPPER(Baulast.obligors)``. Selectors must filter on exactly
# that expression so that the planner uses the index.
SEARCH_CONFIG = "german"


class Register(models.Model):
    """A Baulastenverzeichnis, kept by one building-supervision authority for the towns of its area.

    The Auskunft fees live here because they depend on what the register holds for each parcel: a
    parcel without entries costs ``fee_negative_cents`` (Negativbescheinigung); a parcel with entries
    an extract fee inside the frame ``fee_extract_min_cents``–``fee_extract_max_cents`` (Rahmengebühr),
    suggested as the minimum plus ``fee_extract_per_entry_cents`` for each entry after the first.
    """

    authority = models.OneToOneField(
        "tenancy.Authority",
        on_delete=models.PROTECT,
        related_name="baulasten_register",
        verbose_name=_("führende Behörde"),
    )
    name = models.CharField(_("Bezeichnung"), max_length=200)
    contact_email = models.EmailField(_("E-Mail der Bauaufsicht"), blank=True)
    fee_negative_cents = models.PositiveIntegerField(
        _("Gebühr Negativbescheinigung je Flurstück (Cent)"), default=3000
    )
    fee_extract_min_cents = models.PositiveIntegerField(
        _("Auszug je Flurstück: mindestens (Cent)"), default=5000
    )
    fee_extract_max_cents = models.PositiveIntegerField(
        _("Auszug je Flurstück: höchstens (Cent)"), default=15000
    )
    fee_extract_per_entry_cents = models.PositiveIntegerField(
        _("Auszug: Vorschlag je weiterer Baulast (Cent)"), default=2500
    )
    fee_legal_basis = models.CharField(
        _("Rechtsgrundlage der Gebühr"),
        max_length=300,
        blank=True,
        default="Allgemeine Verwaltungsgebührenordnung NRW (AVerwGebO NRW), Tarifstelle 2 (Bauordnungsrecht)",
    )
    created_at = models.DateTimeField(_("angelegt am"), auto_now_add=True)

    class Meta:
        verbose_name = _("Baulastenverzeichnis")
        verbose_name_plural = _("Baulastenverzeichnisse")
        constraints = [
            models.CheckConstraint(
                condition=Q(fee_extract_min_cents__lte=F("fee_extract_max_cents")),
                name="baulasten_register_fee_frame",
            )
        ]

    def __str__(self) -> str:
        return self.name


class RegisterArea(models.Model):
    """A town whose Baulasten the register keeps; each town has exactly one register."""

    register = models.ForeignKey(Register, on_delete=models.CASCADE, related_name="areas")
    town = models.OneToOneField(
        "tenancy.Authority",
        on_delete=models.PROTECT,
        related_name="baulasten_area",
        verbose_name=_("Stadt / Gemeinde"),
    )

    class Meta:
        verbose_name = _("Gebiet des Verzeichnisses")
        verbose_name_plural = _("Gebiete des Verzeichnisses")

    def __str__(self) -> str:
        return str(self.town)


class Gemarkung(models.Model):
    """A cadastral district (Gemarkung): ``key`` = Land (2 digits) + Gemarkungsnummer (4 digits),
    the first six characters of every Flurstückskennzeichen in it."""

    key = models.CharField(_("Schlüssel"), max_length=6, unique=True)
    name = models.CharField(_("Name"), max_length=120)
    town = models.ForeignKey(
        "tenancy.Authority",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="gemarkungen",
        verbose_name=_("Stadt / Gemeinde"),
        help_text=_("Die Stadt oder Gemeinde, in der die Gemarkung liegt; sie bestimmt das Verzeichnis."),
    )

    class Meta:
        verbose_name = _("Gemarkung")
        verbose_name_plural = _("Gemarkungen")
        ordering = ["name", "key"]

    def __str__(self) -> str:
        return f"{self.name} ({self.key[2:]})"

    @property
    def land(self) -> str:
        return self.key[:2]

    @property
    def number(self) -> str:
        return self.key[2:]


class Parcel(models.Model):
    """A Flurstück of the cadastre, identified by its 20-character ALKIS Flurstückskennzeichen.

    The parts are kept beside the key for display and for the Gemarkung/Flur search; ``location`` is
    the Lagebezeichnung (street and house number) for the address search. Parcels are shared by all
    registers (a Baulast may burden a parcel and benefit one in the next town)."""

    kennzeichen = models.CharField(_("Flurstückskennzeichen"), max_length=20, unique=True)
    gemarkung = models.ForeignKey(Gemarkung, on_delete=models.PROTECT, related_name="parcels")
    flur = models.PositiveSmallIntegerField(_("Flur"), null=True, blank=True)
    zaehler = models.PositiveIntegerField(_("Zähler"), validators=[MinValueValidator(1)])
    nenner = models.PositiveSmallIntegerField(_("Nenner"), null=True, blank=True)
    folge = models.PositiveSmallIntegerField(_("Folge"), null=True, blank=True)
    location = models.CharField(_("Lage (Straße, Hausnummer)"), max_length=200, blank=True)

    class Meta:
        verbose_name = _("Flurstück")
        verbose_name_plural = _("Flurstücke")
        indexes = [
            models.Index(fields=["gemarkung", "flur", "zaehler"], name="baulasten_parcel_gfz"),
            models.Index(Upper("location"), name="baulasten_parcel_location"),
        ]

    def __str__(self) -> str:
        from .flurstueck import display

        return display(self.kennzeichen, gemarkung_name=self.gemarkung.name)


class BaulastKind(models.TextChoices):
    """The kind of a Baulast (Art der Baulast). XBau carries it as a code of the pattern list
    ``urn:xoev-de:xbau:codeliste:artderbaulast`` whose values are not published; these are the
    alliance's own codes (docs/baulasten.md)."""

    SETBACK = "abstandsflaeche", _("Abstandsflächenbaulast")
    PARKING = "stellplatz", _("Stellplatzbaulast")
    ACCESS = "zufahrt", _("Zufahrts- und Zugangsbaulast")
    UNION = "vereinigung", _("Vereinigungsbaulast")
    UTILITY = "leitung", _("Leitungsbaulast")
    OTHER = "sonstige", _("Sonstige Baulast")


class Baulast(models.Model):
    """One entry (Eintragung) of the register: sheet (Baulastenblatt) and entry number, kind, the
    obligation's text, its parcels and dates. ``deleted_on`` set = deleted (Löschung); deleted entries
    stay in the register and its history. ``obligors`` (the owners who declared it) is personal data:
    staff only, and reading it is audited with the entry. ``search_text`` is what the full-text search
    indexes (the text, the kind and the parcels, kept by the services); ``version`` counts the
    changes and is the optimistic lock of the edit form."""

    register = models.ForeignKey(Register, on_delete=models.PROTECT, related_name="entries")
    authority = models.ForeignKey(
        "tenancy.Authority", on_delete=models.PROTECT, related_name="baulasten", verbose_name=_("Behörde")
    )
    sheet = models.PositiveIntegerField(_("Baulastenblatt"), validators=[MinValueValidator(1)])
    number = models.PositiveIntegerField(_("lfd. Nr."), validators=[MinValueValidator(1)])
    kind = models.CharField(_("Art"), max_length=20, choices=BaulastKind.choices)
    text = models.TextField(_("Inhalt der Baulast"))
    obligors = models.TextField(_("Verpflichtete (Eigentümer bei Eintragung)"), blank=True)
    entered_on = models.DateField(_("eingetragen am"))
    deleted_on = models.DateField(_("gelöscht am"), null=True, blank=True)
    deletion_reason = models.TextField(_("Grund der Löschung"), blank=True)
    file_reference = models.CharField(_("Aktenzeichen"), max_length=100, blank=True)
    search_text = models.TextField(_("Suchtext"), blank=True, editable=False)
    version = models.PositiveIntegerField(_("Version"), default=1)
    created_at = models.DateTimeField(_("angelegt am"), auto_now_add=True)
    updated_at = models.DateTimeField(_("geändert am"), auto_now=True)

    class Meta:
        verbose_name = _("Baulast")
        verbose_name_plural = _("Baulasten")
        ordering = ["sheet", "number"]
        constraints = [
            models.UniqueConstraint(fields=["register", "sheet", "number"], name="baulasten_entry_unique"),
            models.CheckConstraint(
                condition=Q(deleted_on__isnull=True) | Q(deleted_on__gte=F("entered_on")),
                name="baulasten_deleted_after_entered",
            ),
        ]
        indexes = [
            models.Index(fields=["authority", "sheet", "number"], name="baulasten_entry_authority"),
        ]

    def __str__(self) -> str:
        return f"Baulastenblatt {self.sheet}, lfd. Nr. {self.number}"

    @property
    def is_deleted(self) -> bool:
        return self.deleted_on is not None


class BaulastParcel(models.Model):
    """A parcel of an entry: burdened (belastet) or benefiting (begünstigt)."""

    class Role(models.TextChoices):
        BURDENED = "belastet", _("belastetes Flurstück")
        BENEFITING = "beguenstigt", _("begünstigtes Flurstück")

    baulast = models.ForeignKey(Baulast, on_delete=models.CASCADE, related_name="parcel_links")
    parcel = models.ForeignKey(Parcel, on_delete=models.PROTECT, related_name="baulast_links")
    role = models.CharField(_("Rolle"), max_length=12, choices=Role.choices)

    class Meta:
        verbose_name = _("Flurstück der Baulast")
        verbose_name_plural = _("Flurstücke der Baulast")
        constraints = [
            models.UniqueConstraint(fields=["baulast", "parcel", "role"], name="baulasten_link_unique"),
        ]
        indexes = [models.Index(fields=["parcel", "role"], name="baulasten_link_parcel")]

    def __str__(self) -> str:
        return f"{self.baulast} – {self.parcel_id} ({self.role})"


class BaulastVersion(models.Model):
    """The state of an entry after each change (full history): who, when, what it was then."""

    class Change(models.TextChoices):
        CREATED = "created", _("eingetragen")
        UPDATED = "updated", _("geändert")
        DELETED = "deleted", _("gelöscht")
        RESTORED = "restored", _("Löschung aufgehoben")

    baulast = models.ForeignKey(Baulast, on_delete=models.CASCADE, related_name="versions")
    number = models.PositiveIntegerField(_("Version"))
    change = models.CharField(_("Änderung"), max_length=10, choices=Change.choices)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    channel = models.CharField(_("Kanal"), max_length=10, blank=True)
    at = models.DateTimeField(_("Zeitpunkt"))
    snapshot: models.JSONField[dict[str, Any]] = models.JSONField(_("Stand"), default=dict)

    class Meta:
        verbose_name = _("Fassung einer Baulast")
        verbose_name_plural = _("Fassungen einer Baulast")
        ordering = ["baulast", "number"]
        constraints = [
            models.UniqueConstraint(fields=["baulast", "number"], name="baulasten_version_unique"),
        ]

    def __str__(self) -> str:
        return f"{self.baulast_id} v{self.number}"


# --- digitising the paper files ---------------------------------------------------------------------


class ScanBatch(models.Model):
    """One bulk upload of scanned files (e.g. a box of the paper archive)."""

    register = models.ForeignKey(Register, on_delete=models.PROTECT, related_name="scan_batches")
    authority = models.ForeignKey("tenancy.Authority", on_delete=models.PROTECT, related_name="+")
    label = models.CharField(_("Bezeichnung"), max_length=200, blank=True)
    uploaded_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(_("hochgeladen am"), auto_now_add=True)

    class Meta:
        verbose_name = _("Scan-Stapel")
        verbose_name_plural = _("Scan-Stapel")
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return self.label or f"Stapel {self.pk}"


def _scan_path(instance: ScanFile, filename: str) -> str:
    # Random, not the original name (kept in the database): names of paper files may carry personal data.
    return f"baulasten/scans/{instance.authority_id}/{instance.sha256}"


def _ocr_path(instance: ScanFile, filename: str) -> str:
    return f"baulasten/ocr/{instance.authority_id}/{instance.sha256}.pdf"


class ScanFile(models.Model):
    """A scanned paper file (PDF or TIFF): OCR'd by the worker into a searchable PDF/A, then indexed
    to parcels and entries (capture) and checked by a second person (four eyes).

    The same file (by SHA-256) is stored once per authority, so a repeated upload never duplicates it.
    """

    class Status(models.TextChoices):
        UPLOADED = "uploaded", _("hochgeladen, Texterkennung ausstehend")
        OCR_DONE = "ocr_done", _("Text erkannt, zu erfassen")
        OCR_FAILED = "ocr_failed", _("Texterkennung fehlgeschlagen")
        INDEXED = "indexed", _("erfasst, Prüfung ausstehend")
        CHECKED = "checked", _("geprüft")

    batch = models.ForeignKey(ScanBatch, on_delete=models.CASCADE, related_name="files")
    authority = models.ForeignKey("tenancy.Authority", on_delete=models.PROTECT, related_name="+")
    original = models.FileField(_("Scan"), upload_to=_scan_path, max_length=200)
    original_name = models.CharField(_("Dateiname"), max_length=200)
    content_type = models.CharField(_("Dateityp"), max_length=50)
    size = models.PositiveBigIntegerField(_("Größe (Bytes)"))
    sha256 = models.CharField(_("SHA-256"), max_length=64)
    pages = models.PositiveIntegerField(_("Seiten"), null=True, blank=True)
    status = models.CharField(_("Status"), max_length=12, choices=Status.choices, default=Status.UPLOADED)
    ocr_pdf = models.FileField(_("durchsuchbares PDF/A"), upload_to=_ocr_path, max_length=200, blank=True)
    text = models.TextField(_("erkannter Text"), blank=True)
    ocr_error = models.TextField(_("Fehler der Texterkennung"), blank=True)
    ocr_seconds = models.FloatField(_("Dauer der Texterkennung (s)"), null=True, blank=True)
    ocr_at = models.DateTimeField(_("Text erkannt am"), null=True, blank=True)
    suggestions: models.JSONField[list[dict[str, Any]]] = models.JSONField(
        _("Vorschläge aus dem Text"), default=list, blank=True
    )
    entries = models.ManyToManyField(
        Baulast, blank=True, related_name="documents", verbose_name=_("Baulasten")
    )
    parcels = models.ManyToManyField(
        Parcel, blank=True, related_name="documents", verbose_name=_("Flurstücke")
    )
    indexed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    indexed_at = models.DateTimeField(_("erfasst am"), null=True, blank=True)
    checked_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    checked_at = models.DateTimeField(_("geprüft am"), null=True, blank=True)
    created_at = models.DateTimeField(_("hochgeladen am"), auto_now_add=True)

    class Meta:
        verbose_name = _("Scan")
        verbose_name_plural = _("Scans")
        ordering = ["created_at", "pk"]
        constraints = [
            models.UniqueConstraint(fields=["authority", "sha256"], name="baulasten_scan_once"),
            # Four eyes: the person who checks the indexing is never the one who did it.
            models.CheckConstraint(
                condition=Q(checked_by__isnull=True) | ~Q(checked_by=F("indexed_by")),
                name="baulasten_scan_four_eyes",
            ),
        ]
        indexes = [
            models.Index(fields=["authority", "status"], name="baulasten_scan_queue"),
        ]

    def __str__(self) -> str:
        return self.original_name


# --- online Auskunft --------------------------------------------------------------------------------


class InterestCategory(models.TextChoices):
    """Who asks, and why (berechtigtes Interesse; § 85 Abs. 4 BauO NRW 2018: Einsicht and copies for
    anyone with a legitimate interest)."""

    OWNER = "eigentuemer", _("Eigentümerin / Eigentümer oder Erbbauberechtigte")
    BUYER = "kaufinteressent", _("Kaufinteressentin / Kaufinteressent")
    NOTARY = "notar", _("Notarin / Notar")
    BANK = "kreditinstitut", _("Kreditinstitut (Beleihung)")
    ARCHITECT = "entwurfsverfasser", _("Architektin / Architekt, Entwurfsverfassende")
    NEIGHBOUR = "nachbar", _("Nachbarin / Nachbar")
    AUTHORITY = "behoerde", _("Behörde")
    OTHER = "sonstige", _("Sonstiges")


class AuskunftRequest(models.Model):
    """The register side of an Auskunft case: requested parcels (``AuskunftParcel``), the stated
    legitimate interest, the caseworker's decision and fees, and the extract as it was found when
    the decision was taken (``extract``: what the notice and the XBau 0713 show)."""

    class Source(models.TextChoices):
        PORTAL = "portal", _("Portal")
        API = "api", _("Schnittstelle")
        XBAU = "xbau", _("XBau-Nachricht 0710")

    class Decision(models.TextChoices):
        PENDING = "pending", _("offen")
        ACCEPTED = "accepted", _("berechtigtes Interesse anerkannt")
        REFUSED = "refused", _("berechtigtes Interesse nicht dargelegt")

    case = models.OneToOneField("cases.Case", on_delete=models.CASCADE, related_name="baulasten_auskunft")
    register = models.ForeignKey(Register, on_delete=models.PROTECT, related_name="auskunft_requests")
    authority = models.ForeignKey("tenancy.Authority", on_delete=models.PROTECT, related_name="+")
    source = models.CharField(_("Eingang"), max_length=10, choices=Source.choices, default=Source.PORTAL)
    interest_category = models.CharField(
        _("berechtigtes Interesse"), max_length=20, choices=InterestCategory.choices
    )
    interest_text = models.TextField(_("Begründung"), blank=True)
    decision = models.CharField(
        _("Entscheidung"), max_length=10, choices=Decision.choices, default=Decision.PENDING
    )
    refusal_reason = models.TextField(_("Gründe der Ablehnung"), blank=True)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    decided_at = models.DateTimeField(_("entschieden am"), null=True, blank=True)
    fee_cents = models.PositiveIntegerField(_("Gebühr gesamt (Cent)"), null=True, blank=True)
    extract: models.JSONField[list[dict[str, Any]]] = models.JSONField(
        _("Auszug aus dem Verzeichnis"), default=list, blank=True
    )
    created_at = models.DateTimeField(_("angelegt am"), auto_now_add=True)

    class Meta:
        verbose_name = _("Baulastenauskunft")
        verbose_name_plural = _("Baulastenauskünfte")
        indexes = [models.Index(fields=["authority", "decision"], name="baulasten_auskunft_open")]

    def __str__(self) -> str:
        return f"Auskunft {self.case_id}"


class AuskunftParcel(models.Model):
    """A parcel named in an Auskunft request, with what the register held for it at the decision."""

    class Result(models.TextChoices):
        PENDING = "pending", _("offen")
        NO_ENTRY = "no_entry", _("keine Baulast eingetragen")
        ENTRIES = "entries", _("Baulasten eingetragen")
        UNKNOWN_PARCEL = "unknown", _("Flurstück nicht im Verzeichnisgebiet")

    request = models.ForeignKey(AuskunftRequest, on_delete=models.CASCADE, related_name="parcels")
    position = models.PositiveSmallIntegerField(_("Position"))
    kennzeichen = models.CharField(_("Flurstückskennzeichen"), max_length=20)
    parcel = models.ForeignKey(Parcel, on_delete=models.PROTECT, null=True, blank=True, related_name="+")
    result = models.CharField(_("Ergebnis"), max_length=10, choices=Result.choices, default=Result.PENDING)
    entries_found = models.PositiveIntegerField(_("Baulasten"), default=0)
    fee_cents = models.PositiveIntegerField(_("Gebühr (Cent)"), null=True, blank=True)

    class Meta:
        verbose_name = _("Flurstück der Auskunft")
        verbose_name_plural = _("Flurstücke der Auskunft")
        ordering = ["request", "position"]
        constraints = [
            models.UniqueConstraint(fields=["request", "position"], name="baulasten_auskunft_parcel_pos"),
        ]

    def __str__(self) -> str:
        return self.kennzeichen


# --- XBau -------------------------------------------------------------------------------------------


class XBauMessage(models.Model):
    """An XBau message received or produced, kept as sent (the message UUID is unique, so a message
    delivered twice is processed once)."""

    class Direction(models.TextChoices):
        IN = "in", _("eingegangen")
        OUT = "out", _("erzeugt")

    direction = models.CharField(_("Richtung"), max_length=3, choices=Direction.choices)
    message_type = models.CharField(_("Nachrichtentyp"), max_length=4)
    uuid = models.UUIDField(_("Nachrichten-UUID"), unique=True)
    authority = models.ForeignKey("tenancy.Authority", on_delete=models.PROTECT, related_name="+")
    case = models.ForeignKey("cases.Case", on_delete=models.SET_NULL, null=True, blank=True, related_name="+")
    baulast = models.ForeignKey(Baulast, on_delete=models.SET_NULL, null=True, blank=True, related_name="+")
    in_reply_to = models.ForeignKey(
        "self", on_delete=models.SET_NULL, null=True, blank=True, related_name="replies"
    )
    sender = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    xml = models.TextField(_("Nachricht"))
    created_at = models.DateTimeField(_("Zeitpunkt"), auto_now_add=True)

    class Meta:
        verbose_name = _("XBau-Nachricht")
        verbose_name_plural = _("XBau-Nachrichten")
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"{self.message_type} {self.uuid}"
