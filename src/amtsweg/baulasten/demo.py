"""Demo of the Baulastenverzeichnis in the Rhein-Kreis Neuss.

``load_baulasten_demo()`` sets up what the building-supervision offices would: one register per
keeping authority as ``demo/data/alliance.json`` says (``building_authority`` true: the town keeps
its own; the Kreis keeps Jüchen's and Rommerskirchen's), the 55 real Gemarkungen of the Katasterbezirk
Rhein-Kreis Neuss, the team "Bauaufsicht – Baulasten" at every keeper (the inbox of the Auskunft
service 99012004023000, which only the keepers offer), a caseworker login per keeper (and a second
one in Neuss for the four-eyes check), about 300 fictitious entries on real Gemarkungen entered
through the register services (so versions, search text and audit are what the product writes),
some of them deleted and some edited, a batch of generated scan pages uploaded through the capture
service, and open Auskunft requests of a demo citizen and a demo notary's office filed through
``intake.auskunft_file``.

Scans: when OCRmyPDF is installed (``ocr.ocr_available()`` is None), the demo delivers the OCR
messages of three of Neuss' scans right away, through the outbox as the worker would
(``outbox_deliver``), after the data is committed; Neuss' caseworker then indexes two of them to the
entry and parcel their page names, and the second Neuss login checks one of those (four eyes). So the
capture queue and the progress page show every state: waiting for OCR, recognised, indexed, checked.
The other scans wait for the worker. Without OCRmyPDF every scan waits, and the summary says why.

Demo assumption: where the Gemarkungen table gives no town, the Gemarkung is assigned to the town
of :data:`GEMARKUNG_TOWNS` (the town it lies in as far as we know; not an official assignment).

Loading twice changes nothing: registers, entries (by sheet and number), scans (by content) and
requests (one per demo applicant and parcel set) are only created when missing.
"""

from __future__ import annotations

import contextlib
import csv
import io
import json
import random
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.files.uploadedfile import SimpleUploadedFile, UploadedFile
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import transaction
from django.db.models import Case, Count, When
from django.utils import timezone

from amtsweg.catalog.models import Service, ServiceOffering
from amtsweg.demo.services import DEMO_CITIZEN_EMAIL, DEMO_PASSWORD
from amtsweg.identity.models import Organisation, OrganisationMembership, TotpDevice, User
from amtsweg.tenancy.models import Authority, Membership, Team

from . import scanpages
from .management.commands.baulasten_seed import FIRST, LAST, STREETS, entry_text
from .models import (
    AuskunftRequest,
    Baulast,
    BaulastKind,
    Gemarkung,
    Parcel,
    Register,
    RegisterArea,
    ScanFile,
)

ALLIANCE = Path(__file__).resolve().parents[1] / "demo" / "data" / "alliance.json"
DEMO_DATA = Path(__file__).resolve().parents[1] / "demo" / "data"
GEMARKUNGEN_CSV = Path(__file__).resolve().parent / "data" / "gemarkungen_rhein_kreis_neuss.csv"
KREIS = "05162000"
NEUSS = "05162024"
CHECKER_EMAIL = "baulasten.pruefung.neuss@demo.amtsweg.de"
# Of Neuss' demo scans: recognised at load time (when OCR is installed), then indexed, then checked.
SCANS_RECOGNISED, SCANS_INDEXED = 3, 2
LEIKA_AUSKUNFT = "99012004023000"
TEAM = "Bauaufsicht – Baulasten"
CHANNEL = "cli"
SEED = 20_261_109
NOTARY_EMAIL = "notariat@demo.amtsweg.de"
NOTARY_IDENTIFIER = "DEMO-NOTARIAT-1"

# The 55 Gemarkungen of the Katasterbezirk Rhein-Kreis Neuss (key = Land 05 + number) with the town
# (AGS) each lies in. Demo assumption where no confirmed town is known (see the module docstring).
GEMARKUNG_TOWNS: dict[str, tuple[str, str]] = {
    "053359": ("Neuss", "05162024"), "053351": ("Grimlinghausen", "05162024"),
    "053352": ("Uedesheim", "05162024"), "053354": ("Holzheim", "05162024"),
    "053362": ("Norf", "05162024"), "053363": ("Rosellen", "05162024"),
    "053350": ("Grefrath", "05162024"), "053222": ("Hoisten", "05162024"),
    "053347": ("Dormagen", "05162004"), "053357": ("Gohr", "05162004"),
    "053348": ("Hackenbroich", "05162004"), "053360": ("Nievenheim", "05162004"),
    "053361": ("Straberg", "05162004"),
    "053216": ("Grevenbroich", "05162008"), "053214": ("Allrath", "05162008"),
    "053215": ("Barrenstein", "05162008"), "053205": ("Elsen", "05162008"),
    "053206": ("Elfgen", "05162008"), "053211": ("Frimmersdorf", "05162008"),
    "053218": ("Gindorf", "05162008"), "053219": ("Gustorf", "05162008"),
    "053221": ("Hemmerden", "05162008"), "053220": ("Kapellen", "05162008"),
    "053207": ("Laach", "05162008"), "053217": ("Neuenhausen", "05162008"),
    "053223": ("Neukirchen", "05162008"), "053212": ("Neurath", "05162008"),
    "053228": ("Wevelinghoven", "05162008"),
    "053224": ("Jüchen", "05162012"), "053204": ("Bedburdyck", "05162012"),
    "053213": ("Garzweiler", "05162012"), "053226": ("Hochneukirch", "05162012"),
    "053225": ("Kelzenberg", "05162012"), "053208": ("Broich", "05162012"),
    "053355": ("Kaarst", "05162016"), "053346": ("Büttgen", "05162016"),
    "053188": ("Korschenbroich", "05162020"), "053194": ("Kleinenbroich", "05162020"),
    "053349": ("Glehn", "05162020"), "053195": ("Liedberg", "05162020"),
    "053189": ("Pesch", "05162020"),
    "053345": ("Büderich", "05162022"), "053052": ("Ilverich", "05162022"),
    "053053": ("Langst-Kierst", "05162022"), "053054": ("Lank", "05162022"),
    "053055": ("Latum", "05162022"), "053056": ("Nierst", "05162022"),
    "053057": ("Ossum-Bösinghoven", "05162022"), "053058": ("Strümp", "05162022"),
    "053060": ("Osterath", "05162022"),
    "053364": ("Rommerskirchen", "05162028"), "053356": ("Frixheim-Anstel", "05162028"),
    "053209": ("Hoeningen", "05162028"), "053358": ("Nettesheim-Butzheim", "05162028"),
    "053210": ("Oekoven", "05162028"),
}  # fmt: skip
# Entries per keeper (about 300 in all), roughly by the size of the towns.
ENTRIES = {
    "05162024": 80,
    "05162004": 40,
    "05162008": 45,
    "05162016": 25,
    "05162020": 25,
    "05162022": 40,
    KREIS: 45,
}
# Demo caseworker e-mails: baulasten.<slug>@demo.amtsweg.de, the Kreis baulasten.kreis@…
FIRST_NAMES = {"05162024": ("Bea", "Bauer"), KREIS: ("Konrad", "Kreisbau")}


@dataclass
class BaulastenDemoSummary:
    registers: int = 0  # created by this load
    entries: int = 0  # created by this load
    scans: int = 0  # uploaded by this load
    requests: int = 0  # Auskunft requests filed by this load
    recognised: int = 0  # scans whose OCR this load ran
    indexed: int = 0  # scans indexed by this load
    checked: int = 0  # scans checked by this load
    ocr_missing: str | None = None  # why the scans wait (OCR not installed), else None
    logins: list[tuple[str, str, str]] = field(default_factory=list)


def _spec() -> dict[str, Any]:
    spec: dict[str, Any] = json.loads(ALLIANCE.read_text(encoding="utf-8"))
    return spec


def keepers(spec: dict[str, Any]) -> dict[str, list[str]]:
    """Keeper AGS → the towns (AGS) whose register it keeps."""
    result: dict[str, list[str]] = {KREIS: []}
    for town in spec["towns"]:
        if town["building_authority"]:
            result[town["ags"]] = [town["ags"]]
        else:
            result[KREIS].append(town["ags"])
    return result


def _gemarkungen(by_ags: dict[str, Authority]) -> None:
    # H-REGISTER's import of the shipped table (confirmed towns), when it is there.
    with contextlib.suppress(CommandError, LookupError, FileNotFoundError):
        call_command("baulasten_import_gemarkungen", stdout=io.StringIO())
    for key, (name, ags) in GEMARKUNG_TOWNS.items():
        gemarkung, _ = Gemarkung.objects.get_or_create(key=key, defaults={"name": name})
        if gemarkung.town_id is None and ags in by_ags:
            gemarkung.town = by_ags[ags]  # demo assumption (module docstring)
            gemarkung.save(update_fields=["town"])


def _staff(email: str, first: str, last: str, authority: Authority, team: Team) -> User:
    from amtsweg.identity.staff import totp_enrol_demo

    user = User.objects.filter(email=email).first()
    if user is None:
        user = User.objects.create_user(
            email=email,
            password=DEMO_PASSWORD,
            kind=User.Kind.STAFF,
            first_name=first,
            last_name=last,
            email_verified_at=timezone.now(),
        )
    if settings.DEMO_MODE and not TotpDevice.objects.filter(user=user).exists():
        totp_enrol_demo(user=user)
    Membership.objects.get_or_create(user=user, authority=authority)
    team.members.add(user)
    return user


def _register(keeper: Authority, towns: list[Authority], summary: BaulastenDemoSummary) -> Register:
    article = "des" if keeper.kind == Authority.Kind.KREIS else "der"
    titles: dict[str, str] = {
        Authority.Kind.KREIS: "Rhein-Kreises Neuss",
        Authority.Kind.STADT: f"Stadt {keeper.name}",
    }
    title = titles.get(str(keeper.kind), f"Gemeinde {keeper.name}")
    register, created = Register.objects.get_or_create(
        authority=keeper,
        defaults={
            "name": f"Baulastenverzeichnis {article} {title}",
            "contact_email": f"baulasten@{keeper.slug}.demo.amtsweg.de",
        },
    )
    summary.registers += created
    for town in towns:
        RegisterArea.objects.get_or_create(town=town, defaults={"register": register})
    return register


def _offerings(keeper_ags: set[str], teams: dict[str, Team]) -> None:
    """The Auskunft is offered by the keepers only, into their Bauaufsicht team, online."""
    service = Service.objects.filter(leika_key=LEIKA_AUSKUNFT).first()
    if service is None:
        return
    for offering in ServiceOffering.objects.filter(service=service).select_related("authority"):
        ags = offering.authority.ags
        if ags not in keeper_ags:
            if offering.enabled:
                offering.enabled = False
                offering.save(update_fields=["enabled", "updated_at"])
            continue
        changed = []
        if offering.team_id != teams[ags].pk:
            offering.team = teams[ags]
            changed.append("team")
        if offering.maturity < ServiceOffering.Maturity.ONLINE_TRANSACTION:
            offering.maturity = ServiceOffering.Maturity.ONLINE_TRANSACTION
            changed.append("maturity")
        if changed:
            offering.save(update_fields=[*changed, "updated_at"])


def _fluren() -> dict[str, list[int]]:
    """Gemarkung key → the Fluren it has (the ``fluren`` column of the shipped table, e.g. "1-3;7"),
    so demo parcels lie in Fluren that exist."""
    result: dict[str, list[int]] = {}
    with contextlib.suppress(FileNotFoundError), GEMARKUNGEN_CSV.open(encoding="utf-8", newline="") as handle:
        for row in csv.DictReader(handle):
            numbers: list[int] = []
            for part in (row.get("fluren") or "").split(";"):
                low, _, high = part.strip().partition("-")
                if low.isdigit() and (not high or high.isdigit()):
                    numbers.extend(range(int(low), int(high or low) + 1))
            if numbers:
                result[row["key"]] = numbers
    return result


def _parcel_key(rng: random.Random, gemarkung: str, flur: int, zaehler: int, nenner: int | None) -> str:
    return gemarkung + f"{flur:03d}{zaehler:05d}" + (f"{nenner:04d}" if nenner else "____") + "__"


def _entries(
    register: Register, gemarkungen: list[str], actor: User, summary: BaulastenDemoSummary, count: int
) -> list[Baulast]:
    from .services_register import baulast_create, baulast_delete, baulast_update

    rng = random.Random(SEED + register.authority_id)
    fluren = _fluren()
    made: list[Baulast] = []
    kinds = list(BaulastKind.values)
    today = timezone.localdate()
    for index in range(count):
        # Every draw happens whether or not the entry exists, so a reload plans the same entries.
        sheet, number = index // 2 + 1, index % 2 + 1
        kind = rng.choices(kinds, weights=[38, 22, 15, 12, 8, 5])[0]
        gemarkung = rng.choice(gemarkungen)
        flur, zaehler = rng.choice(fluren.get(gemarkung) or range(1, 26)), rng.randint(10, 900)
        nenner = rng.choice((None, None, 1, 2, 3, 4, 5))
        burdened = _parcel_key(rng, gemarkung, flur, zaehler, nenner)
        benefiting = _parcel_key(rng, gemarkung, flur, zaehler + rng.choice((1, 2)), None)
        with_benefiting = kind == BaulastKind.UNION or rng.random() < 0.4
        street = f"{rng.choice(STREETS)} {rng.randint(1, 120)}"
        number_text = f"{zaehler}/{nenner}" if nenner else str(zaehler)
        text = entry_text(rng, kind, number_text, str(zaehler + 1) if with_benefiting else "", street)
        entered = date(1965, 1, 1) + timedelta(days=rng.randint(0, (today - date(1965, 1, 1)).days - 400))
        obligors = f"{rng.choice(FIRST)} {rng.choice(LAST)}"
        fate = rng.random()
        existing = Baulast.objects.filter(register=register, sheet=sheet, number=number).first()
        if existing is not None:
            made.append(existing)
            continue
        role_union = kind == BaulastKind.UNION
        entry = baulast_create(
            register=register,
            actor=actor,
            channel=CHANNEL,
            sheet=sheet,
            number=number,
            kind=kind,
            text=text,
            obligors=obligors,
            entered_on=entered,
            burdened=[burdened, benefiting] if role_union else [burdened],
            benefiting=[benefiting] if with_benefiting and not role_union else [],
            file_reference=f"63/{entered.year}/{sheet:04d}",
            locations={burdened: street},
        )
        summary.entries += 1
        if fate < 0.08:  # deleted (Löschung) some years later
            deleted_on = min(today, entered + timedelta(days=rng.randint(400, 9000)))
            entry = baulast_delete(
                baulast=entry,
                actor=actor,
                channel=CHANNEL,
                deleted_on=deleted_on,
                reason="Auf Antrag gelöscht: das begünstigte Vorhaben wurde nicht verwirklicht.",
            )
        elif fate < 0.18:  # corrected once: the history shows the change
            entry = baulast_update(
                baulast=entry,
                actor=actor,
                channel=CHANNEL,
                expected_version=entry.version,
                text=entry.text + " Berichtigt: Lageplan vom Vermessungsbüro nachgereicht.",
            )
        made.append(entry)
    return made


def _page_parcel(entry: Baulast) -> Parcel | None:
    """The parcel a generated scan page of ``entry`` names (its first burdened one)."""
    link = (
        entry.parcel_links.select_related("parcel__gemarkung")
        .order_by(Case(When(role="belastet", then=0), default=1), "pk")
        .first()
    )
    return link.parcel if link is not None else None


def _scan_name(entry: Baulast) -> str:
    return f"Baulastenblatt_{entry.sheet:04d}_{entry.number}.pdf"


def _scans(register: Register, entries: list[Baulast], actor: User, summary: BaulastenDemoSummary) -> None:
    """A batch of generated scan pages of the register's first entries (known text), uploaded through
    the capture service; the worker's OCR recognises them (or they wait, with the banner)."""
    try:
        from .services_capture import scan_batch_upload
    except ImportError:  # the capture part is not installed
        return
    files: list[UploadedFile[bytes]] = []
    for entry in entries[:4]:
        parcel = _page_parcel(entry)
        if parcel is None:
            continue
        number = f"{parcel.zaehler}/{parcel.nenner}" if parcel.nenner else str(parcel.zaehler)
        text = scanpages.SheetText(
            keeper=register.name.removeprefix("Baulastenverzeichnis "),
            sheet=entry.sheet,
            number=entry.number,
            entered=entry.entered_on.strftime("%d.%m.%Y"),
            gemarkung=parcel.gemarkung.name,
            flur=parcel.flur,
            flurstueck=number,
            street=parcel.location or "-",
            kind_label=str(entry.get_kind_display()),
            body=scanpages.wrap(entry.text),
        )
        name = _scan_name(entry)
        # By name: a page rendered again differs in its PDF metadata, so its hash would too.
        if ScanFile.objects.filter(authority_id=register.authority_id, original_name=name).exists():
            continue
        content = scanpages.scan_pdf(text, pages=1, seed=entry.pk)
        files.append(SimpleUploadedFile(name, content, content_type="application/pdf"))
    if not files:
        return
    before = ScanFile.objects.filter(authority_id=register.authority_id).count()
    scan_batch_upload(
        register=register, actor=actor, files=files, label="Archivkarton 1 (Demo)", channel=CHANNEL
    )
    summary.scans += ScanFile.objects.filter(authority_id=register.authority_id).count() - before


def _publish_auskunft(actor: User | None) -> bool:
    """The Auskunft form and process for the service (alliance-wide), as an administrator would
    publish them; False when a part is missing (then no requests are filed)."""
    from amtsweg.forms import services as form_services
    from amtsweg.forms.models import FormVersion
    from amtsweg.forms.schema import FormSchema
    from amtsweg.processes.models import ProcessVersion
    from amtsweg.processes.services import process_version_import, process_version_publish

    form = DEMO_DATA / "forms" / "baulastenauskunft.json"
    bpmn = DEMO_DATA / "processes" / "baulastenauskunft.bpmn"
    service = Service.objects.filter(leika_key=LEIKA_AUSKUNFT).first()
    if service is None or not form.exists() or not bpmn.exists():
        return False
    definition = form_services.form_definition_get_or_create(service=service, authority=None)
    schema = FormSchema.model_validate(json.loads(form.read_text(encoding="utf-8")))
    published = definition.versions.filter(status=FormVersion.Status.PUBLISHED).first()
    if published is None or published.parsed != schema:
        version = form_services.form_version_create(
            definition=definition, schema=schema, source=f"Demo {form.name}", actor=actor, channel=CHANNEL
        )
        form_services.form_version_publish(version=version, actor=actor, channel=CHANNEL)
    xml = bpmn.read_bytes()
    current = ProcessVersion.objects.filter(
        definition__service=service, definition__authority=None, status=ProcessVersion.Status.PUBLISHED
    ).first()
    if current is None or current.bpmn_xml != xml.decode("utf-8"):
        process = process_version_import(
            service=service, authority=None, xml=xml, filename=bpmn.name, actor=actor
        )
        if not process.executable:
            return False
        process_version_publish(version=process, actor=actor)
    return True


def _payment_accounts(keepers_: list[Authority]) -> None:
    from amtsweg.payments.models import PaymentAccount

    for authority in keepers_:
        PaymentAccount.objects.get_or_create(
            authority=authority,
            defaults={
                "recipient": f"Kasse {authority.name}",
                "iban": "DE02305500000000012345",
                "bic": "WELADEDNXXX",
                "kassenzeichen_prefix": f"BL{authority.ags[-2:]}",
            },
        )


def _requests(registers: dict[str, Register], summary: BaulastenDemoSummary, now: datetime) -> None:
    """Open Auskunft requests of the demo citizen and the demo notary's office, filed as the portal
    and the professional channel file them (so the process runs: intake, then the interest check)."""
    from amtsweg.identity.assurance import Assurance
    from amtsweg.identity.levels import TrustLevel

    from . import flurstueck
    from .intake import auskunft_file

    citizen = User.objects.filter(email=DEMO_CITIZEN_EMAIL).first()
    notary = User.objects.filter(email=NOTARY_EMAIL).first()
    assurance = Assurance(TrustLevel.HIGH, "demo")
    plans: list[tuple[User | None, str, str, str, str, int]] = [
        (citizen, "05162024", "eigentuemer", "Eigentümerin laut Grundbuch von Neuss.", "web", 0),
        (citizen, KREIS, "kaufinteressent", "Wir möchten das Grundstück in Jüchen kaufen.", "web", 1),
        (notary, "05162024", "notar", "Beurkundung eines Kaufvertrags, UR-Nr. 512/2026.", "api", 2),
        (notary, "05162004", "notar", "Beurkundung eines Kaufvertrags, UR-Nr. 513/2026.", "api", 3),
        (notary, "05162022", "kreditinstitut", "Beleihungsprüfung im Auftrag der Sparkasse.", "api", 4),
    ]  # fmt: skip
    for applicant, ags, interest, reason, channel, index in plans:
        register = registers.get(ags)
        if applicant is None or register is None:
            continue
        entries = list(
            Baulast.objects.filter(register=register, deleted_on__isnull=True).order_by("sheet", "number")[
                index * 3 : index * 3 + 2
            ]
        )
        keys = [
            e.parcel_links.filter(role="belastet").values_list("parcel__kennzeichen", flat=True).first()
            for e in entries
        ]
        parcels = [flurstueck.parse(k) for k in keys if k]
        if index % 2 == 0:  # and a parcel without entry: a Negativbescheinigung line
            first = parcels[0] if parcels else None
            if first is not None:
                parcels.append(
                    flurstueck.build(
                        land=first.land, gemarkung=first.gemarkung, flur=first.flur, zaehler=9876
                    )
                )
        if not parcels:
            continue
        already = AuskunftRequest.objects.filter(
            case__submission__applicant=applicant, register=register, interest_text=reason
        ).exists()
        if already:
            continue
        auskunft_file(
            applicant=applicant,
            authority=register.authority,
            parcels=parcels,
            interest=interest,
            reason=reason,
            channel=channel,
            assurance=assurance,
        )
        summary.requests += 1


def _notary(summary: BaulastenDemoSummary) -> User:
    organisation, _ = Organisation.objects.get_or_create(
        identifier=NOTARY_IDENTIFIER,
        defaults={
            "name": "Notariat am Rhein (Demo)",
            "legal_form": "Notariat",
            "address": "Markt 5, 41460 Neuss",
        },
    )
    user = User.objects.filter(email=NOTARY_EMAIL).first()
    if user is None:
        user = User.objects.create_user(
            email=NOTARY_EMAIL,
            password=DEMO_PASSWORD,
            kind=User.Kind.CITIZEN,
            first_name="Nils",
            last_name="Notar",
            email_verified_at=timezone.now(),
        )
    OrganisationMembership.objects.get_or_create(organisation=organisation, user=user)
    summary.logins.append(("Notariat (Baulastenauskünfte, Sammelantrag)", NOTARY_EMAIL, DEMO_PASSWORD))
    return user


def _scan_workflow(register: Register, summary: BaulastenDemoSummary) -> None:
    """OCR three of ``register``'s demo scans through the outbox, index two, check one (module
    docstring). Runs outside the loader's transaction when it can (OCR takes seconds per page and
    must not hold a transaction open); each step only happens while it is still missing."""
    from amtsweg.outbox.models import OutboxMessage
    from amtsweg.outbox.services import outbox_deliver

    from . import ocr
    from .services_capture import OCR_KIND, scan_check, scan_index

    summary.ocr_missing = ocr.ocr_available()
    demo_scans = ScanFile.objects.filter(
        authority_id=register.authority_id, original_name__startswith="Baulastenblatt_"
    ).order_by("pk")
    if summary.ocr_missing is not None:
        return
    Status = ScanFile.Status
    first = list(demo_scans[:SCANS_RECOGNISED])
    for scan in first:
        if scan.status != Status.UPLOADED:
            continue
        message = OutboxMessage.objects.filter(
            kind=OCR_KIND, payload__scan_id=scan.pk, status=OutboxMessage.Status.PENDING
        ).first()
        if message is not None:
            outbox_deliver(message_id=message.pk)  # what the worker does with it
            scan.refresh_from_db()
            summary.recognised += scan.status == Status.OCR_DONE
    staff = User.objects.filter(email=f"baulasten.{register.authority.slug}@demo.amtsweg.de").first()
    checker = User.objects.filter(email=CHECKER_EMAIL).first()
    if staff is None or checker is None:
        return
    entries = {_scan_name(e): e for e in Baulast.objects.filter(register=register)}
    to_index = [s for s in first[:SCANS_INDEXED] if s.original_name in entries]
    for scan in to_index:
        if scan.status in (Status.OCR_DONE, Status.OCR_FAILED):
            # The entry and the parcel the page names (the suggestions read the same from its text).
            entry = entries[scan.original_name]
            parcel = _page_parcel(entry)
            scan_index(
                scan=scan,
                actor=staff,
                parcels=[parcel.kennzeichen] if parcel is not None else [],
                entries=[entry.pk],
                channel=CHANNEL,
            )
            summary.indexed += 1
    if to_index:
        scan = ScanFile.objects.get(pk=to_index[0].pk)
        if scan.status == Status.INDEXED and scan.indexed_by_id != checker.pk:
            scan_check(scan=scan, actor=checker, approve=True, channel=CHANNEL)
            summary.checked += 1


def baulasten_scans_line(summary: BaulastenDemoSummary) -> str:
    """The demo summary's line on the scanned paper files: their states, or why they wait."""
    counts = dict(
        ScanFile.objects.filter(original_name__startswith="Baulastenblatt_")
        .values_list("status")
        .annotate(n=Count("pk"))
    )
    states = "; ".join(
        f"{counts[status]} {label}" for status, label in ScanFile.Status.choices if counts.get(status)
    )
    line = f"Baulasten-Scans: {sum(counts.values())} ({states or 'keine'})."
    if summary.ocr_missing is not None:
        line += (
            " Die Scans warten auf die Texterkennung, weil sie hier nicht installiert ist: "
            f"{summary.ocr_missing.split(' / ')[0]}"
        )
    else:
        line += " Die übrigen Scans erkennt der Worker (amtsweg worker)."
    return line


def load_baulasten_demo(
    *, now: datetime | None = None, requests: bool = True, capture: bool = True
) -> BaulastenDemoSummary:
    """Create what is missing of the Baulasten demo (module docstring); idempotent. Runs after
    ``demo_load`` (the authorities and the catalogue must exist). ``capture``: run the OCR of the
    Neuss demo scans now and index and check some (when OCRmyPDF is installed)."""
    summary = _load(now=now or timezone.now(), requests=requests)
    neuss = Register.objects.filter(authority__ags=NEUSS).select_related("authority").first()
    if neuss is not None:
        if capture:
            _scan_workflow(neuss, summary)
        else:
            from . import ocr

            summary.ocr_missing = ocr.ocr_available()
    return summary


@transaction.atomic
def _load(*, now: datetime, requests: bool) -> BaulastenDemoSummary:
    spec = _spec()
    summary = BaulastenDemoSummary()
    plan = keepers(spec)
    by_ags = {a.ags: a for a in Authority.objects.filter(ags__in=[KREIS, *[t["ags"] for t in spec["towns"]]])}
    _gemarkungen(by_ags)
    registers: dict[str, Register] = {}
    teams: dict[str, Team] = {}
    actors: dict[str, User] = {}
    for keeper_ags, town_ags in plan.items():
        keeper = by_ags[keeper_ags]
        register = _register(keeper, [by_ags[a] for a in town_ags], summary)
        registers[keeper_ags] = register
        teams[keeper_ags], _ = Team.objects.get_or_create(authority=keeper, name=TEAM)
        slug = "kreis" if keeper_ags == KREIS else keeper.slug
        first, last = FIRST_NAMES.get(keeper_ags, ("Bauaufsicht", keeper.name))
        email = f"baulasten.{slug}@demo.amtsweg.de"
        actors[keeper_ags] = _staff(email, first, last, keeper, teams[keeper_ags])
        summary.logins.append((f"Bauaufsicht – Baulasten {keeper.name}", email, DEMO_PASSWORD))
    _staff(CHECKER_EMAIL, "Paul", "Prüfer", by_ags[NEUSS], teams[NEUSS])
    summary.logins.append(("Bauaufsicht Neuss (Vier-Augen-Prüfung)", CHECKER_EMAIL, DEMO_PASSWORD))
    _offerings(set(plan), teams)
    _notary(summary)
    for keeper_ags, register in registers.items():
        towns = {by_ags[a].pk for a in plan[keeper_ags]}
        keys = sorted(Gemarkung.objects.filter(town_id__in=towns).values_list("key", flat=True))
        if not keys:
            continue
        entries = _entries(register, keys, actors[keeper_ags], summary, ENTRIES.get(keeper_ags, 30))
        if keeper_ags in (NEUSS, KREIS):
            _scans(register, entries, actors[keeper_ags], summary)
    if requests and _publish_auskunft(None):
        _payment_accounts([r.authority for r in registers.values()])
        _requests(registers, summary, now)
    return summary
