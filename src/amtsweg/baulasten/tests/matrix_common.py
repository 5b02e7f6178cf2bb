"""Objects the isolation matrix rows call their routes for: the matrix's target authority (Neuss, or
Dormagen as "other") keeps a register with one Gemarkung, one parcel and one entry."""

from __future__ import annotations

from datetime import date

from amtsweg.tenancy.models import Authority
from amtsweg.testing import World

from ..models import Baulast, BaulastKind, BaulastParcel, Gemarkung, Parcel, Register, RegisterArea

# One real Gemarkung per matrix town (Neuss 3359, Dormagen 3347).
_GEMARKUNG = {"05162024": ("053359", "Neuss"), "05162004": ("053347", "Dormagen")}


def register_at(w: World, a: Authority) -> Register:
    register, created = Register.objects.get_or_create(
        authority=a, defaults={"name": f"Verzeichnis {a.name}"}
    )
    if created:
        RegisterArea.objects.create(register=register, town=a)
    return register


def entry_at(w: World, a: Authority) -> Baulast:
    register = register_at(w, a)
    entry = Baulast.objects.filter(register=register).first()
    if entry is None:
        key, name = _GEMARKUNG.get(a.ags, ("053364", a.name))
        gemarkung, _ = Gemarkung.objects.get_or_create(key=key, defaults={"name": name, "town": a})
        parcel, _ = Parcel.objects.get_or_create(
            kennzeichen=f"{key}00100001______", defaults={"gemarkung": gemarkung, "flur": 1, "zaehler": 1}
        )
        entry = Baulast.objects.create(
            register=register,
            authority=a,
            sheet=1,
            number=1,
            kind=BaulastKind.SETBACK,
            text="Abstandsfläche",
            entered_on=date(2020, 1, 1),
            search_text="Abstandsfläche",
        )
        BaulastParcel.objects.create(baulast=entry, parcel=parcel, role=BaulastParcel.Role.BURDENED)
    return entry


def entry_pk(w: World, a: Authority) -> int:
    return entry_at(w, a).pk


def parcel_key(w: World, a: Authority) -> str:
    entry = entry_at(w, a)
    return entry.parcel_links.values_list("parcel__kennzeichen", flat=True).first() or ""
