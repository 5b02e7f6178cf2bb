"""Reads of the register: the parcel lookup (which entries burden or benefit a parcel) and the search
(parcel, address, Gemarkung/Flur, owner name for staff, full text over the entries and the OCR text of
their scans), always scoped through ``tenancy.access``.

The full text filters and ranks on the stored ``tsvector`` columns of migration 0002 (GIN-indexed),
so PostgreSQL answers from the index; SQLite falls back to ``LIKE`` per word. A word found in a large
part of a million entries is answered without counting or ranking every hit: the count stops at
``FULLTEXT_CAP`` ("more than 1,000 hits") and such a result is listed by sheet and number; up to the
cap, hits are ranked (``ts_rank``).
"""

from __future__ import annotations

from dataclasses import dataclass, field

from django.db import connection
from django.db.models import Exists, F, OuterRef, Prefetch, Q, QuerySet, Value
from django.db.models.expressions import RawSQL
from django.db.models.fields import FloatField

from amtsweg.core.problems import Problem
from amtsweg.identity.models import User
from amtsweg.tenancy import access
from amtsweg.tenancy.access import Actor
from amtsweg.tenancy.models import AuditEvent, Authority

from . import flurstueck
from .models import SEARCH_CONFIG, Baulast, BaulastParcel, Gemarkung, Register, RegisterArea, ScanFile

MAX_LIMIT = 200
_TSQUERY = f"websearch_to_tsquery('{SEARCH_CONFIG}'::regconfig, %s)"


# The stored tsvector column (migration 0002) of each searched table.
_VECTORS = {"baulasten_baulast": "search_vector", "baulasten_scanfile": "text_vector"}
# Full-text hits beyond this are neither counted exactly nor ranked (see the module docstring).
FULLTEXT_CAP = 1000


def fulltext_condition(table: str, alias: str | None = None) -> str:
    """The WHERE condition on ``table``'s GIN-indexed tsvector column (one %s: the query). ``table``
    and ``alias`` are constants of this module, never user input."""
    return f'"{alias or table}"."{_VECTORS[table]}" @@ {_TSQUERY}'


def entries_with_parcels(qs: QuerySet[Baulast]) -> QuerySet[Baulast]:
    return qs.prefetch_related(
        Prefetch(
            "parcel_links",
            queryset=BaulastParcel.objects.select_related("parcel__gemarkung").order_by(
                "role", "parcel__kennzeichen"
            ),
        )
    )


# --- the parcel lookup ------------------------------------------------------------------------------


def entries_for_parcel(
    *,
    kennzeichen: str,
    authority_ids: set[int] | list[int] | None = None,
    register: Register | None = None,
) -> list[Baulast]:
    """The entries (deleted ones included: ``is_deleted``) that burden or benefit the parcel, by sheet
    and number; each carries ``parcel_role`` (``BaulastParcel.Role``). One query through the unique
    index of the key and the link index; the caller names the registers it may read (the authorities
    ``tenancy.access`` gives it, or the one register of an Auskunft).

    Raises ``InvalidKennzeichen`` (422) for a malformed key."""
    if authority_ids is None and register is None:
        raise ValueError("entries_for_parcel needs authority_ids or register")
    key = flurstueck.parse(kennzeichen).kennzeichen
    qs = Baulast.objects.filter(parcel_links__parcel__kennzeichen=key)
    if register is not None:
        qs = qs.filter(register=register)
    if authority_ids is not None:
        qs = qs.filter(authority_id__in=list(authority_ids))
    return list(qs.annotate(parcel_role=F("parcel_links__role")).order_by("sheet", "number", "parcel_role"))


# --- the search -------------------------------------------------------------------------------------


@dataclass
class SearchCriteria:
    """What the register page and the API search by; empty fields do not restrict."""

    parcel: str = ""  # a 20-character key, or a Flurstücksnummer ("119/2") with ``gemarkung``
    address: str = ""
    gemarkung: str = ""  # 6-digit key (Land + number); 4 digits = NRW
    flur: int | None = None
    owner: str = ""  # staff only; reading obligors is audited
    q: str = ""
    include_deleted: bool = False

    def is_empty(self) -> bool:
        return not (self.parcel or self.address or self.gemarkung or self.flur or self.owner or self.q)


@dataclass
class SearchPage:
    entries: list[Baulast]
    total: int
    limit: int
    offset: int
    criteria: SearchCriteria = field(default_factory=SearchCriteria)
    # More than ``total`` (= FULLTEXT_CAP) full-text hits: shown as "more than 1,000", not ranked.
    more: bool = False

    @property
    def has_next(self) -> bool:
        return self.offset + len(self.entries) < self.total


class SearchInvalid(Problem):
    """A search criterion that cannot be used (400, ``field`` names it)."""

    def __init__(self, detail_de: str, detail_en: str, *, field: str) -> None:
        super().__init__(
            detail_de, detail_en, status_code=400, code="baulasten-search-invalid", extra={"field": field}
        )


def _gemarkung_key(value: str) -> str:
    value = value.strip()
    if value.isascii() and value.isdigit() and len(value) == 4:
        value = "05" + value
    if not (value.isascii() and value.isdigit() and len(value) == 6):
        raise SearchInvalid(
            f"Gemarkung: sechsstelliger Schlüssel (z. B. 053359) erwartet, nicht „{value}“.",
            f"Gemarkung: a six-digit key (e.g. 053359) is expected, not {value!r}.",
            field="gemarkung",
        )
    return value


def _parcel_condition(criteria: SearchCriteria) -> Q | None:
    """The parcel criteria as a condition on ``BaulastParcel`` rows (None: no parcel criterion)."""
    condition = Q()
    used = False
    parcel = criteria.parcel.strip()
    if parcel and len(parcel.replace(" ", "")) == flurstueck.LENGTH:
        condition &= Q(parcel__kennzeichen=flurstueck.parse(parcel).kennzeichen)
        used = True
    elif parcel:
        if not criteria.gemarkung:
            raise SearchInvalid(
                "Zur Flurstücksnummer bitte die Gemarkung angeben (oder das 20-stellige Kennzeichen).",
                "Give the Gemarkung with the parcel number (or the 20-character key).",
                field="gemarkung",
            )
        key = _gemarkung_key(criteria.gemarkung)
        zaehler, nenner = flurstueck.parse_number(parcel)
        # Validates the parts as a whole (Land, Gemarkung, Flur range) like every other parcel input.
        parts = flurstueck.build(
            land=key[:2], gemarkung=key[2:], flur=criteria.flur, zaehler=zaehler, nenner=nenner
        )
        condition &= Q(parcel__gemarkung__key=parts.gemarkung_key, parcel__zaehler=zaehler)
        condition &= Q(parcel__nenner=nenner) if nenner is not None else Q(parcel__nenner__isnull=True)
        if criteria.flur is not None:
            condition &= Q(parcel__flur=criteria.flur)
        return condition
    if criteria.gemarkung:
        condition &= Q(parcel__gemarkung__key=_gemarkung_key(criteria.gemarkung))
        used = True
    if criteria.flur is not None:
        if not criteria.gemarkung:
            raise SearchInvalid(
                "Zur Flur bitte die Gemarkung angeben.",
                "Give the Gemarkung with the Flur.",
                field="gemarkung",
            )
        condition &= Q(parcel__flur=criteria.flur)
    if criteria.address.strip():
        condition &= Q(parcel__location__icontains=criteria.address.strip())
        used = True
    return condition if used else None


def _fulltext(qs: QuerySet[Baulast], authority: Authority, q: str) -> tuple[QuerySet[Baulast], bool]:
    """``qs`` narrowed to the entries whose text, or the OCR text of a linked scan, matches ``q``, in
    result order; and whether there are more than ``FULLTEXT_CAP`` hits (then not ranked)."""
    scans = ScanFile.entries.through.objects.filter(scanfile__authority=authority)
    if connection.vendor == "postgresql":
        # A plain condition on the GIN-indexed column, so that PostgreSQL may also walk the entries in
        # register order and stop after one page when a word is everywhere.
        in_text = qs.extra(where=[fulltext_condition("baulasten_baulast")], params=[q])  # noqa: S610
        # Unordered: the scan stops after the cap instead of sorting every hit first.
        hits = set(in_text.order_by().values_list("pk", flat=True)[: FULLTEXT_CAP + 1])
        links = ScanFile.entries.through._meta.db_table
        with connection.cursor() as cursor:
            cursor.execute(
                f"SELECT m.baulast_id FROM {links} m JOIN baulasten_scanfile s ON s.id = m.scanfile_id "  # noqa: S608
                f"WHERE s.authority_id = %s AND {fulltext_condition('baulasten_scanfile', 's')} LIMIT %s",
                [authority.pk, q, FULLTEXT_CAP + 1],
            )
            from_scans = [row[0] for row in cursor.fetchall()]
        if from_scans:
            hits.update(qs.filter(pk__in=from_scans).values_list("pk", flat=True))
        if len(hits) > FULLTEXT_CAP:
            # Too many to rank: the matching entries in register order; hits only in scans are
            # reached by refining the query, which the page asks for.
            unranked = in_text.annotate(rank=Value(0.0, output_field=FloatField()))
            return unranked.order_by("sheet", "number"), True
        rank = RawSQL(  # noqa: S611 - constants only; the query is a parameter
            f'ts_rank("baulasten_baulast"."search_vector", {_TSQUERY})', [q], output_field=FloatField()
        )
        return qs.filter(pk__in=hits).annotate(rank=rank).order_by("-rank", "sheet", "number"), False
    words = q.split()
    in_text_q = Q()
    in_scan = Q()
    for word in words:
        in_text_q &= Q(search_text__icontains=word)
        in_scan &= Q(scanfile__text__icontains=word)
    narrowed = qs.filter(in_text_q | Q(pk__in=scans.filter(in_scan).values("baulast_id")))
    return narrowed.annotate(rank=Value(0.0, output_field=FloatField())).order_by("sheet", "number"), False


def register_search(
    user: Actor,
    authority: Authority,
    *,
    parcel: str = "",
    address: str = "",
    gemarkung: str = "",
    flur: int | None = None,
    owner: str = "",
    q: str = "",
    include_deleted: bool = False,
    limit: int = 50,
    offset: int = 0,
    channel: str = "web",
) -> SearchPage:
    """The entries of ``authority``'s register matching every given criterion, best match first for a
    full-text query (ts_rank on PostgreSQL, up to ``FULLTEXT_CAP`` hits), else by sheet and number;
    paginated.

    Only ``authority``'s entries, and only when ``user`` may read that authority (``tenancy.access``).
    The owner criterion is for staff only (403 otherwise) and every entry it finds is audited as a read
    of its obligors. Raises ``SearchInvalid`` (400) or ``InvalidKennzeichen`` (422) for bad input."""
    criteria = SearchCriteria(
        parcel=parcel.strip(),
        address=address.strip(),
        gemarkung=gemarkung.strip(),
        flur=flur,
        owner=owner.strip(),
        q=q.strip(),
        include_deleted=include_deleted,
    )
    limit = max(1, min(limit, MAX_LIMIT))
    offset = max(0, offset)
    if criteria.owner and not (isinstance(user, User) and user.is_authenticated and user.is_staff_account):
        raise Problem(
            "Die Suche nach Eigentümern ist Dienstkräften vorbehalten.",
            "Searching by owner is for staff only.",
            status_code=403,
            code="baulasten-owner-search-staff-only",
        )
    qs = access.scope(Baulast.objects.filter(authority=authority), user)
    if not criteria.include_deleted:
        qs = qs.filter(deleted_on__isnull=True)
    condition = _parcel_condition(criteria)
    if condition is not None:
        qs = qs.filter(Exists(BaulastParcel.objects.filter(condition, baulast=OuterRef("pk"))))
    if criteria.owner:
        qs = qs.filter(obligors__icontains=criteria.owner)
    more = False
    if criteria.q:
        qs, more = _fulltext(qs, authority, criteria.q)
    else:
        qs = qs.order_by("sheet", "number")
    total = FULLTEXT_CAP if more else qs.count()
    entries = list(entries_with_parcels(qs)[offset : offset + limit])
    if criteria.owner:
        for entry in entries:
            access.audit(
                actor=user,
                action=AuditEvent.Action.READ,
                obj=entry,
                authority_id=entry.authority_id,
                channel=channel,
                changes={"owner_search": True},
            )
    return SearchPage(entries=entries, total=total, limit=limit, offset=offset, criteria=criteria, more=more)


def entry_for_user(user: Actor, authority: Authority, pk: int, *, channel: str) -> Baulast:
    """One entry of ``authority``'s register with its parcels (404 for another register; read audited)."""
    qs = entries_with_parcels(
        Baulast.objects.filter(authority=authority).select_related("register", "authority")
    )
    entry: Baulast = access.get_for_user(qs, user, channel=channel, pk=pk)
    return entry


def register_for_user(user: Actor, authority: Authority) -> Register | None:
    """The register ``authority`` keeps, if ``user`` may read it (None: it keeps none)."""
    return access.scope(Register.objects.filter(authority=authority), user).first()


def register_for_gemarkung(gemarkung_key: str) -> Register | None:
    """The register that keeps the Baulasten of the town the Gemarkung lies in."""
    town_id = Gemarkung.objects.filter(key=gemarkung_key).values_list("town_id", flat=True).first()
    if town_id is None:
        return None
    area = RegisterArea.objects.select_related("register__authority").filter(town_id=town_id).first()
    return area.register if area else None


def gemarkungen_of(register: Register) -> QuerySet[Gemarkung]:
    """The Gemarkungen of the register's area (the towns it keeps the register for)."""
    return Gemarkung.objects.filter(town__baulasten_area__register=register).order_by("name", "key")


def history(entry: Baulast) -> list[dict[str, object]]:
    """The versions of an entry, newest first, each with what changed against the one before."""
    versions = list(entry.versions.select_related("actor").order_by("number"))
    rows: list[dict[str, object]] = []
    previous: dict[str, object] = {}
    for version in versions:
        snapshot = version.snapshot or {}
        diff = [
            {"field": name, "before": previous.get(name), "after": snapshot.get(name)}
            for name in sorted(set(previous) | set(snapshot))
            if previous and previous.get(name) != snapshot.get(name)
        ]
        rows.append({"version": version, "diff": diff})
        previous = snapshot
    rows.reverse()
    return rows
