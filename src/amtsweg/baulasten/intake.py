"""Filing an Auskunft programmatically: one request (``auskunft_file``, used by XBau 0710 and the demo)
and many at once for professional users (``auskunft_file_batch``, used by the batch API and the CSV
upload page).

Every request goes the way of an online application: a Draft on the keeping authority's offering of
the Auskunft service, filled with the keys of the form ``baulastenauskunft`` and submitted through
``cases.services.submission_submit``, so the submission check, the process and the receipts run exactly
as for the portal form.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
from dataclasses import dataclass, field
from typing import Any

from django.conf import settings
from django.core.cache import cache
from django.db import transaction

from amtsweg.cases.models import Case
from amtsweg.catalog.models import Service
from amtsweg.core.problems import Problem
from amtsweg.identity.assurance import Assurance
from amtsweg.identity.models import Organisation, User
from amtsweg.identity.selectors import organisation_for, organisations_of
from amtsweg.tenancy.models import Authority

from . import flurstueck
from .models import Gemarkung, InterestCategory
from .selectors import register_for_gemarkung

LEIKA_AUSKUNFT = "99012004023000"
CHANNEL_XBAU = "xbau"
MAX_PARCELS = 20
MAX_REASON = 2000
MAX_LOCATION = 200
IDEMPOTENCY_SECONDS = 24 * 3600


class BatchInvalid(Problem):
    """One or more items of a batch are invalid; nothing was filed (422, ``errors`` per item/field)."""

    status_code = 422
    code = "baulasten-batch-invalid"


class NotProfessional(Problem):
    status_code = 403
    code = "baulasten-not-professional"


def auskunft_file(
    *,
    applicant: User,
    authority: Authority,
    parcels: list[flurstueck.Flurstueck],
    interest: str,
    reason: str,
    location: str = "",
    channel: str,
    assurance: Assurance,
) -> Case:
    """File one Auskunft for ``parcels`` at the keeping ``authority`` as ``applicant``: a Draft with the
    form's answers, submitted through ``submission_submit`` (validation, submission check, process,
    receipts). Raises what the submission raises (422 invalid answers or parcel elsewhere, trust level)."""
    from amtsweg.cases.services import submission_submit
    from amtsweg.forms.services import draft_start

    service = Service.objects.get(leika_key=LEIKA_AUSKUNFT)
    with transaction.atomic():
        draft = draft_start(service=service, authority=authority, applicant=applicant)
        draft.data = form_answers(parcels=parcels, interest=interest, reason=reason, location=location)
        draft.save(update_fields=["data", "updated_at"])
        submission = submission_submit(draft=draft, actor=applicant, channel=channel, assurance=assurance)
    return Case.objects.get(submission=submission)


def form_answers(
    *, parcels: list[flurstueck.Flurstueck], interest: str, reason: str, location: str = ""
) -> dict[str, Any]:
    """The answers of the form ``baulastenauskunft`` (the contract with H-AUSKUNFT's form keys)."""
    rows: list[dict[str, Any]] = []
    for parcel in parcels:
        row: dict[str, Any] = {"gemarkung": parcel.gemarkung_key, "flurstueck": parcel.number}
        if parcel.flur is not None:
            row["flur"] = str(parcel.flur)
        rows.append(row)
    answers: dict[str, Any] = {"flurstuecke": rows, "interesse": interest, "begruendung": reason}
    if location:
        answers["lage"] = location
    return answers


# --- many at once -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class ParcelInput:
    gemarkung: str  # key "053359", number "3359" or name "Neuss"
    flur: int | str | None
    flurstueck: str  # "119" or "119/2"


@dataclass(frozen=True)
class BatchItem:
    reference: str  # the client's own reference, returned with the result
    parcels: list[ParcelInput]
    interest: str
    reason: str
    location: str = ""


@dataclass
class Result:
    index: int
    reference: str
    case: Case
    replayed: bool = False  # returned from an earlier request with the same Idempotency-Key


@dataclass
class _Checked:
    item: BatchItem
    parcels: list[flurstueck.Flurstueck]
    keeper: Authority


@dataclass
class ItemError:
    index: int
    reference: str
    field: str
    message_de: str
    message_en: str

    def as_dict(self) -> dict[str, Any]:
        return {
            "index": self.index,
            "reference": self.reference,
            "field": self.field,
            "detail": self.message_de,
            "detail_en": self.message_en,
        }


@dataclass
class _Errors:
    items: list[ItemError] = field(default_factory=list)

    def add(self, index: int, item: BatchItem, path: str, de: str, en: str) -> None:
        self.items.append(ItemError(index, item.reference, path, de, en))


def resolve_gemarkung(value: str) -> tuple[Gemarkung | None, str, str]:
    """A Gemarkung by key (``053359``), number (``3359``) or unique name; (None, de, en) when not."""
    text = (value or "").strip()
    if text.isdigit() and len(text) == 6:
        found = Gemarkung.objects.filter(key=text).first()
    elif text.isdigit() and 1 <= len(text) <= 4:
        found = Gemarkung.objects.filter(key=f"05{text.zfill(4)}").first()
    elif text:
        # "Neuss (3359)" as the form's label shows it
        if text.endswith(")") and "(" in text:
            number = text.rsplit("(", 1)[1].rstrip(")").strip()
            if number.isdigit():
                return resolve_gemarkung(number)
        matches = list(Gemarkung.objects.filter(name__iexact=text).order_by("key")[:5])
        if len(matches) > 1:
            numbers = ", ".join(m.number for m in matches)
            return (
                None,
                f"Den Gemarkungsnamen „{text}“ gibt es mehrfach ({numbers}); bitte die Nummer angeben.",
                f"The Gemarkung name {text!r} is ambiguous ({numbers}); please give the number.",
            )
        found = matches[0] if matches else None
    else:
        return None, "Bitte die Gemarkung angeben.", "Please give the Gemarkung."
    if found is None:
        return None, f"Die Gemarkung „{text}“ ist nicht bekannt.", f"The Gemarkung {text!r} is not known."
    return found, "", ""


def _check_item(index: int, item: BatchItem, errors: _Errors) -> _Checked | None:
    before = len(errors.items)
    if not item.reference.strip() or len(item.reference) > 100:
        errors.add(
            index,
            item,
            "reference",
            "Bitte ein eigenes Zeichen (1–100 Zeichen) angeben.",
            "Please give your own reference (1–100 characters).",
        )
    if item.interest not in InterestCategory.values:
        errors.add(
            index,
            item,
            "interest",
            "Unbekannte Art des berechtigten Interesses.",
            f"Unknown kind of legitimate interest (one of {', '.join(InterestCategory.values)}).",
        )
    if not item.reason.strip():
        errors.add(
            index,
            item,
            "reason",
            "Bitte das berechtigte Interesse begründen.",
            "Please state the legitimate interest.",
        )
    elif len(item.reason) > MAX_REASON:
        errors.add(
            index,
            item,
            "reason",
            f"Die Begründung ist länger als {MAX_REASON} Zeichen.",
            f"The reason exceeds {MAX_REASON} characters.",
        )
    if len(item.location) > MAX_LOCATION:
        errors.add(
            index,
            item,
            "location",
            f"Die Lage ist länger als {MAX_LOCATION} Zeichen.",
            f"The location exceeds {MAX_LOCATION} characters.",
        )
    if not item.parcels:
        errors.add(
            index,
            item,
            "parcels",
            "Bitte mindestens ein Flurstück angeben.",
            "Please name at least one parcel.",
        )
    elif len(item.parcels) > MAX_PARCELS:
        errors.add(
            index,
            item,
            "parcels",
            f"Höchstens {MAX_PARCELS} Flurstücke je Antrag.",
            f"At most {MAX_PARCELS} parcels per request.",
        )
    parcels: list[flurstueck.Flurstueck] = []
    keepers: dict[int, Authority] = {}
    for position, parcel in enumerate(item.parcels[:MAX_PARCELS]):
        path = f"parcels.{position}"
        gemarkung, de, en = resolve_gemarkung(parcel.gemarkung)
        if gemarkung is None:
            errors.add(index, item, f"{path}.gemarkung", de, en)
            continue
        try:
            flur = int(parcel.flur) if parcel.flur not in (None, "") else None
        except (TypeError, ValueError):
            errors.add(
                index,
                item,
                f"{path}.flur",
                "Die Flur ist eine Zahl von 1 bis 999.",
                "The Flur is a number from 1 to 999.",
            )
            continue
        try:
            zaehler, nenner = flurstueck.parse_number(parcel.flurstueck)
            built = flurstueck.build(
                land=gemarkung.land, gemarkung=gemarkung.number, flur=flur, zaehler=zaehler, nenner=nenner
            )
        except flurstueck.InvalidKennzeichen as exc:
            part = exc.extra.get("part", "flurstueck")
            errors.add(
                index,
                item,
                f"{path}.{'flur' if part == 'flur' else 'flurstueck'}",
                exc.detail_de,
                exc.detail_en,
            )
            continue
        register = register_for_gemarkung(gemarkung.key)
        if register is None:
            errors.add(
                index,
                item,
                f"{path}.gemarkung",
                f"Für die Gemarkung {gemarkung} führt keine Behörde des Verbunds ein Baulastenverzeichnis.",
                f"No authority of the alliance keeps a register for Gemarkung {gemarkung}.",
            )
            continue
        keepers.setdefault(register.authority_id, register.authority)
        if len(keepers) > 1:
            errors.add(
                index,
                item,
                f"{path}.gemarkung",
                "Alle Flurstücke eines Antrags müssen im selben Baulastenverzeichnis liegen "
                f"(hier: {', '.join(k.name for k in keepers.values())}).",
                "All parcels of one request must lie in the same register "
                f"(here: {', '.join(k.name for k in keepers.values())}).",
            )
            continue
        parcels.append(built)
    if len(errors.items) > before or not keepers:
        return None
    return _Checked(item=item, parcels=parcels, keeper=next(iter(keepers.values())))


def batch_check(items: list[BatchItem]) -> list[_Checked]:
    """Every item checked before anything is filed; BatchInvalid with all errors (index, field)."""
    limit = settings.BAULASTEN_AUSKUNFT_BATCH_MAX
    if not items:
        raise BatchInvalid(
            "Der Sammelantrag enthält keinen Antrag.", "The batch contains no request.", extra={"errors": []}
        )
    if len(items) > limit:
        raise BatchInvalid(
            f"Ein Sammelantrag umfasst höchstens {limit} Anträge (hier {len(items)}).",
            f"A batch holds at most {limit} requests (this one {len(items)}).",
            code="baulasten-batch-too-large",
            extra={"errors": [], "limit": limit},
        )
    errors = _Errors()
    checked: list[_Checked] = []
    references: dict[str, int] = {}
    for index, item in enumerate(items):
        if item.reference in references:
            errors.add(
                index,
                item,
                "reference",
                f"Das Zeichen „{item.reference}“ steht schon bei Antrag {references[item.reference] + 1}.",
                f"The reference {item.reference!r} is already used by request "
                f"{references[item.reference] + 1}.",
            )
        references.setdefault(item.reference, index)
        result = _check_item(index, item, errors)
        if result is not None:
            checked.append(result)
    if errors.items:
        raise BatchInvalid(
            f"{len(errors.items)} Angabe(n) im Sammelantrag sind fehlerhaft; es wurde nichts eingereicht.",
            f"{len(errors.items)} entr(y/ies) of the batch are invalid; nothing was filed.",
            extra={"errors": [e.as_dict() for e in errors.items]},
        )
    return checked


def professional_organisation(user: User, assurance: Assurance) -> Organisation:
    """The organisation ``user`` files for (the one chosen at login, else their only/first one); 403
    for a person who is no member of any organisation."""
    chosen = organisation_for(user, assurance.organisation_id)
    organisation = chosen or organisations_of(user).first()
    if organisation is None:
        raise NotProfessional(
            "Sammelanträge stellen nur Organisationen (Notariate, Banken, Planungsbüros). Ihr Konto "
            "gehört zu keiner Organisation.",
            "Only organisations (notaries, banks, planners) can file batches. Your account is not a "
            "member of any organisation.",
        )
    return organisation


def _fingerprint(items: list[BatchItem]) -> str:
    payload = json.dumps(
        [dataclasses.asdict(i) for i in items], sort_keys=True, ensure_ascii=False, default=str
    )
    return hashlib.sha256(payload.encode()).hexdigest()


def _idempotency_cache_key(applicant: User, key: str) -> str:
    return f"idempotency:baulasten-batch:{applicant.pk}:{hashlib.sha256(key.encode()).hexdigest()}"


def _check_key(key: str) -> None:
    if not 1 <= len(key) <= 255 or not key.isprintable():
        raise Problem(
            "Der Idempotency-Key muss 1 bis 255 druckbare Zeichen lang sein.",
            "The Idempotency-Key must be 1 to 255 printable characters.",
            code="invalid-idempotency-key",
        )


def auskunft_file_batch(
    *,
    applicant: User,
    items: list[BatchItem],
    channel: str,
    assurance: Assurance,
    idempotency_key: str = "",
) -> list[Result]:
    """File many Auskunft requests at once for a professional ``applicant``: all items are checked
    first (nothing is filed when one is invalid: BatchInvalid with index and field of each error), then
    filed in one transaction. With ``idempotency_key`` (the same mechanism as the application API's
    Idempotency-Key: the shared cache, 24 hours, per applicant) a repeat returns the same cases; the
    same key with other items is refused (422)."""
    organisation = professional_organisation(applicant, assurance)
    assurance = dataclasses.replace(assurance, organisation_id=organisation.pk)
    cache_key = ""
    fingerprint = _fingerprint(items)
    if idempotency_key:
        _check_key(idempotency_key)
        cache_key = _idempotency_cache_key(applicant, idempotency_key)
        stored = cache.get(cache_key)
        if stored is not None:
            return _replay(stored, fingerprint, applicant)
    checked = batch_check(items)
    replay: list[Result] | None = None
    with transaction.atomic():
        results = [
            Result(
                index=index,
                reference=entry.item.reference,
                case=auskunft_file(
                    applicant=applicant,
                    authority=entry.keeper,
                    parcels=entry.parcels,
                    interest=entry.item.interest,
                    reason=entry.item.reason,
                    location=entry.item.location,
                    channel=channel,
                    assurance=assurance,
                ),
            )
            for index, entry in enumerate(checked)
        ]
        if cache_key:
            value = {
                "fingerprint": fingerprint,
                "cases": [[r.index, r.reference, r.case.pk] for r in results],
            }
            if not cache.add(cache_key, value, timeout=IDEMPOTENCY_SECONDS):
                # A concurrent request with the same key finished first: undo ours, answer with its cases.
                transaction.set_rollback(True)
                stored = cache.get(cache_key)
                if stored is None:
                    raise Problem(
                        "Ein Sammelantrag mit diesem Idempotency-Key wird gerade bearbeitet.",
                        "A batch with this Idempotency-Key is being processed.",
                        status_code=409,
                        code="idempotency-key-in-use",
                    )
                replay = _replay(stored, fingerprint, applicant)
    return replay if replay is not None else results


def _replay(stored: dict[str, Any], fingerprint: str, applicant: User) -> list[Result]:
    if stored.get("fingerprint") != fingerprint:
        raise Problem(
            "Dieser Idempotency-Key wurde schon für einen anderen Sammelantrag verwendet.",
            "This Idempotency-Key was already used for another batch.",
            status_code=422,
            code="idempotency-key-reused",
        )
    cases = {
        c.pk: c for c in Case.objects.filter(pk__in=[row[2] for row in stored["cases"]], applicant=applicant)
    }
    return [
        Result(index=i, reference=ref, case=cases[pk], replayed=True)
        for i, ref, pk in stored["cases"]
        if pk in cases
    ]
