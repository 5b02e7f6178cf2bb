"""Three Baulastenverzeichnisse as the alliance keeps them: Neuss and Dormagen keep their own, the Kreis
keeps Jüchen's. Real Gemarkungen (numbers from the Katasteramt Rhein-Kreis Neuss), fictitious parcels
and entries. Use ``baulasten_setup(world)`` in every register test.

The Auskunft service (LeiKa 99012004023000) is offered by each keeping authority with its team
"Bauaufsicht – Baulasten"; the form, the process and the notice templates are added by
``factories_auskunft.auskunft_setup``.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from amtsweg.catalog.models import Service, ServiceOffering
from amtsweg.identity.models import User
from amtsweg.tenancy.models import Authority, Membership, Team
from amtsweg.testing import World, make_user

from ..flurstueck import parse
from ..models import (
    Baulast,
    BaulastKind,
    BaulastParcel,
    BaulastVersion,
    Gemarkung,
    Parcel,
    Register,
    RegisterArea,
)

LEIKA_AUSKUNFT = "99012004023000"
TEAM = "Bauaufsicht – Baulasten"

# Parcels (20-character keys) used below.
NEUSS_119_2 = "053359003001190002__"  # Gemarkung Neuss, Flur 3, Flurstück 119/2: two entries
NEUSS_119_3 = "053359003001190003__"  # benefits from the setback entry on 119/2
NEUSS_200 = "05335900700200______"  # Gemarkung Neuss, Flur 7, Flurstück 200: no entry
GRIMLINGHAUSEN_12 = (
    "053351001000120001__"  # Gemarkung Grimlinghausen, Flur 1, Flurstück 12/1: a deleted entry
)
DORMAGEN_45 = "05334700200045______"  # Gemarkung Dormagen, Flur 2, Flurstück 45: one entry
JUECHEN_8 = "053224004000080001__"  # Gemarkung Jüchen, Flur 4, Flurstück 8/1: one entry (Kreis register)


@dataclass
class BaulastenSetup:
    service: Service  # 99012004023000 Baulastenverzeichnis Auskunft
    juechen: Authority  # town whose register the Kreis keeps
    neuss_register: Register
    dormagen_register: Register
    kreis_register: Register  # area: Jüchen
    bau_neuss: User  # caseworker in the Neuss team "Bauaufsicht – Baulasten" (indexes scans)
    bau_neuss_checker: User  # second caseworker in Neuss (four-eyes check)
    bau_dormagen: User
    bau_kreis: User  # Kreis caseworker (Jüchen's register)
    gemarkungen: dict[str, Gemarkung]  # by name: Neuss, Grimlinghausen, Dormagen, Jüchen
    setback: Baulast  # Neuss sheet 1 no. 1: Abstandsfläche, 119/2 burdened, 119/3 benefiting
    parking: Baulast  # Neuss sheet 2 no. 1: Stellplatz, 119/2 burdened
    deleted: Baulast  # Neuss sheet 3 no. 1: Zufahrt on Grimlinghausen 12/1, deleted
    dormagen_entry: Baulast  # Dormagen sheet 1 no. 1: Vereinigung on 45
    juechen_entry: Baulast  # Kreis sheet 1 no. 1: Leitung on Jüchen 8/1


def make_parcel(kennzeichen: str, *, location: str = "") -> Parcel:
    parts = parse(kennzeichen)
    parcel, _ = Parcel.objects.get_or_create(
        kennzeichen=parts.kennzeichen,
        defaults={
            "gemarkung": Gemarkung.objects.get(key=parts.gemarkung_key),
            "flur": parts.flur,
            "zaehler": parts.zaehler,
            "nenner": parts.nenner,
            "folge": parts.folge,
            "location": location,
        },
    )
    return parcel


def make_entry(
    *,
    register: Register,
    sheet: int,
    number: int,
    kind: str,
    text: str,
    burdened: list[str],
    benefiting: list[str] = [],  # noqa: B006 - never mutated
    entered_on: date = date(2019, 5, 14),
    deleted_on: date | None = None,
    obligors: str = "",
) -> Baulast:
    """An entry as the register services would leave it (search text and first version included)."""
    entry = Baulast.objects.create(
        register=register,
        authority=register.authority,
        sheet=sheet,
        number=number,
        kind=kind,
        text=text,
        obligors=obligors,
        entered_on=entered_on,
        deleted_on=deleted_on,
    )
    displays = []
    for role, keys in ((BaulastParcel.Role.BURDENED, burdened), (BaulastParcel.Role.BENEFITING, benefiting)):
        for key in keys:
            parcel = make_parcel(key)
            BaulastParcel.objects.create(baulast=entry, parcel=parcel, role=role)
            displays.append(str(parcel))
    entry.search_text = "\n".join([entry.get_kind_display(), text, *displays])
    entry.save(update_fields=["search_text"])
    BaulastVersion.objects.create(
        baulast=entry,
        number=1,
        change=BaulastVersion.Change.CREATED,
        at=entry.created_at,
        snapshot={"sheet": sheet, "number": number, "kind": kind, "text": text},
    )
    return entry


def _staff(email: str, authority: Authority, team: Team, first: str, last: str) -> User:
    user = make_user(email, first=first, last=last)
    Membership.objects.create(user=user, authority=authority)
    team.members.add(user)
    return user


def baulasten_setup(world: World) -> BaulastenSetup:
    juechen = Authority.objects.create(
        alliance=world.alliance,
        kind=Authority.Kind.STADT,
        name="Jüchen",
        slug="juechen",
        ags="05162012",
        regional_key="051620012012",
        parent=world.kreis,
    )
    service = Service.objects.create(
        leika_key=LEIKA_AUSKUNFT,
        name="Baulastenverzeichnis Auskunft",
        responsible_level=Service.Level.TOWN,
        required_trust_level="normal",
    )
    registers: dict[str, Register] = {}
    teams: dict[str, Team] = {}
    for key, keeper, towns, name in (
        ("neuss", world.neuss, [world.neuss], "Baulastenverzeichnis der Stadt Neuss"),
        ("dormagen", world.dormagen, [world.dormagen], "Baulastenverzeichnis der Stadt Dormagen"),
        ("kreis", world.kreis, [juechen], "Baulastenverzeichnis des Rhein-Kreises Neuss"),
    ):
        register = Register.objects.create(
            authority=keeper, name=name, contact_email=f"baulasten@{key}.example"
        )
        for town in towns:
            RegisterArea.objects.create(register=register, town=town)
        teams[key] = Team.objects.create(authority=keeper, name=TEAM)
        ServiceOffering.objects.create(service=service, authority=keeper, maturity=4, team=teams[key])
        registers[key] = register
    gemarkungen = {
        name: Gemarkung.objects.create(key=key, name=name, town=town)
        for key, name, town in (
            ("053359", "Neuss", world.neuss),
            ("053351", "Grimlinghausen", world.neuss),
            ("053347", "Dormagen", world.dormagen),
            ("053224", "Jüchen", juechen),
        )
    }
    make_parcel(NEUSS_119_2, location="Musterstraße 12")
    make_parcel(NEUSS_119_3, location="Musterstraße 14")
    make_parcel(NEUSS_200, location="Am Obertor 3")
    bau_neuss = _staff("bea@neuss.example", world.neuss, teams["neuss"], "Bea", "Bauaufsicht")
    checker = _staff("paul@neuss.example", world.neuss, teams["neuss"], "Paul", "Prüfer")
    bau_dormagen = _staff("dana@dormagen.example", world.dormagen, teams["dormagen"], "Dana", "Bau")
    bau_kreis = _staff("konrad@kreis.example", world.kreis, teams["kreis"], "Konrad", "Kreisbau")
    neuss = registers["neuss"]
    setback = make_entry(
        register=neuss,
        sheet=1,
        number=1,
        kind=BaulastKind.SETBACK,
        text=(
            "Der jeweilige Eigentümer des Flurstücks 119/2 verpflichtet sich, die Abstandsfläche des "
            "Wohnhauses auf dem Flurstück 119/3 in einer Tiefe von 3,00 m von Bebauung freizuhalten."
        ),
        burdened=[NEUSS_119_2],
        benefiting=[NEUSS_119_3],
        obligors="Erika Mustermann",
    )
    parking = make_entry(
        register=neuss,
        sheet=2,
        number=1,
        kind=BaulastKind.PARKING,
        text="Zwei Stellplätze für das Vorhaben Musterstraße 14 liegen auf dem Flurstück 119/2.",
        burdened=[NEUSS_119_2],
        benefiting=[NEUSS_119_3],
        entered_on=date(2021, 3, 2),
        obligors="Erika Mustermann",
    )
    deleted = make_entry(
        register=neuss,
        sheet=3,
        number=1,
        kind=BaulastKind.ACCESS,
        text="Zufahrt zum Hinterliegergrundstück über einen 3 m breiten Streifen.",
        burdened=[GRIMLINGHAUSEN_12],
        entered_on=date(1998, 9, 1),
        deleted_on=date(2015, 6, 30),
        obligors="Hans Beispiel",
    )
    dormagen_entry = make_entry(
        register=registers["dormagen"],
        sheet=1,
        number=1,
        kind=BaulastKind.UNION,
        text="Die Flurstücke 45 und 46 gelten für das Bauvorhaben als ein Grundstück.",
        burdened=[DORMAGEN_45],
        obligors="Doris Dormagener",
    )
    juechen_entry = make_entry(
        register=registers["kreis"],
        sheet=1,
        number=1,
        kind=BaulastKind.UTILITY,
        text="Duldung einer Abwasserleitung zugunsten des Flurstücks 9.",
        burdened=[JUECHEN_8],
        obligors="Jürgen Jüchener",
    )
    return BaulastenSetup(
        service=service,
        juechen=juechen,
        neuss_register=neuss,
        dormagen_register=registers["dormagen"],
        kreis_register=registers["kreis"],
        bau_neuss=bau_neuss,
        bau_neuss_checker=checker,
        bau_dormagen=bau_dormagen,
        bau_kreis=bau_kreis,
        gemarkungen=gemarkungen,
        setback=setback,
        parking=parking,
        deleted=deleted,
        dormagen_entry=dormagen_entry,
        juechen_entry=juechen_entry,
    )
