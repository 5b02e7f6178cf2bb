"""The vehicle register behind the Zulassungsstelle: an adapter interface and the local register.

Everything that reads or writes vehicle registrations goes through :func:`get_register`, which
returns the adapter named by ``settings.VEHICLES_REGISTER`` (a dotted path, environment variable
``AMTSWEG_VEHICLES_REGISTER``; built once per process). Two places use it:

* the Kreis part of a move (``vehicles.services``): :meth:`VehicleRegister.find` checks each
  handed-over plate, :meth:`VehicleRegister.change_address` records the new address, exactly once;
* the desired-plate check (``vehicles.reservations``): :meth:`VehicleRegister.plate_issued`.

:class:`LocalVehicleRegister` keeps the register in the table ``vehicles.RegisteredVehicle``: the demo
and the tests, and a district that has no connection yet.

Plugging in the real register (KBA / i-Kfz)
-------------------------------------------
Production writes a class with the three methods of :class:`VehicleRegister` (the protocol is
structural: no base class needed), e.g. ``acme_kfz.KbaRegister``, and sets
``AMTSWEG_VEHICLES_REGISTER=acme_kfz.KbaRegister``. The class is built without arguments; it reads
its own settings (endpoint, client certificate) from the environment. Rules the adapter must keep:

* ``find`` and ``plate_issued`` only read; ``plate_issued`` is called for every availability check
  of a desired plate and must be fast (one indexed lookup or a cached list of issued plates);
* ``change_address`` is called inside the caller's database transaction while the
  ``VehicleChange`` row is locked, and at most once per vehicle of a move (the row's ``recorded_at``
  is set in the same transaction). A remote register that cannot join the transaction must be
  idempotent on its side (send the ``VehicleChange`` id as the message id, e.g. in the XKfz
  message header) so that a retry after a crash between the remote write and the local commit
  changes nothing twice;
* failures are raised as :class:`RegisterUnavailable` (retry later; nothing was changed) or
  :class:`RegisterRefused` (the register will not take the change; the caseworker sees the reason).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Collection
from dataclasses import dataclass
from functools import lru_cache
from typing import Protocol, runtime_checkable

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils.module_loading import import_string

from amtsweg.core.problems import Problem
from amtsweg.identity.models import User

from .models import RegisteredVehicle


@dataclass(frozen=True)
class RegisterEntry:
    """One vehicle as the register knows it (Fahrzeug- und Halterdaten)."""

    plate: str
    vin: str
    make: str
    model: str
    district_prefix: str
    holder_family_name: str
    holder_given_names: str
    holder_birth_date: dt.date | None
    holder_street: str
    holder_postcode: str
    holder_city: str

    @property
    def in_district(self) -> bool:
        """Whether the vehicle is registered in this Zulassungsbezirk (``VEHICLES_PREFIXES``)."""
        return self.district_prefix.upper() in district_prefixes()


class RegisterRefused(Problem):
    """The register does not take the change (unknown vehicle, new plate already issued …)."""

    status_code = 409
    code = "register-refused"


class RegisterUnavailable(Problem):
    """The register cannot be reached now; nothing was changed. Try again later."""

    status_code = 503
    code = "register-unavailable"


@runtime_checkable
class VehicleRegister(Protocol):
    """What the platform needs from a vehicle register."""

    def find(self, plate: str) -> RegisterEntry | None:
        """The vehicle with the canonical ``plate`` (``"NE-AB 123"``), or None."""
        ...

    def plate_issued(self, plate_text: str) -> bool:
        """Whether the canonical plate is issued to a vehicle (in any district's use)."""
        ...

    def plates_issued(self, plate_texts: Collection[str]) -> set[str]:
        """Which of the canonical plates are issued (one request for a plate and its alternatives)."""
        ...

    def change_address(
        self,
        *,
        plate: str,
        street: str,
        postcode: str,
        city: str,
        moved_on: dt.date,
        keep_plate: bool,
        actor: User,
        new_plate: str | None = None,
    ) -> RegisterEntry:
        """Record the holder's new address for the vehicle with ``plate``.

        A vehicle of this district keeps its plate; ``keep_plate`` and ``new_plate`` do not apply
        (``new_plate`` given is refused). A vehicle from another district becomes this district's:
        with ``keep_plate`` it keeps its plate (Kennzeichenmitnahme, § 47 Abs. 1 FZV), else
        ``new_plate`` (canonical text, one of this district's prefixes, not issued) is required and
        replaces it. Returns the entry as it is now; raises :class:`RegisterRefused` or
        :class:`RegisterUnavailable`.
        """
        ...


def district_prefixes() -> tuple[str, ...]:
    return tuple(p.upper() for p in settings.VEHICLES_PREFIXES)


def _entry(row: RegisteredVehicle) -> RegisterEntry:
    return RegisterEntry(
        plate=row.plate,
        vin=row.vin,
        make=row.make,
        model=row.model,
        district_prefix=row.district_prefix,
        holder_family_name=row.holder_family_name,
        holder_given_names=row.holder_given_names,
        holder_birth_date=row.holder_birth_date,
        holder_street=row.holder_street,
        holder_postcode=row.holder_postcode,
        holder_city=row.holder_city,
    )


class LocalVehicleRegister:
    """The register as the table ``RegisteredVehicle`` (demo, tests, districts without a connection)."""

    def find(self, plate: str) -> RegisterEntry | None:
        row = RegisteredVehicle.objects.filter(plate=plate).first()
        return _entry(row) if row is not None else None

    def plate_issued(self, plate_text: str) -> bool:
        # One lookup on the unique index of ``plate``.
        return RegisteredVehicle.objects.filter(plate=plate_text).exists()

    def plates_issued(self, plate_texts: Collection[str]) -> set[str]:
        # One query on the unique index of ``plate``.
        rows = RegisteredVehicle.objects.filter(plate__in=list(plate_texts))
        return set(rows.values_list("plate", flat=True))

    def change_address(
        self,
        *,
        plate: str,
        street: str,
        postcode: str,
        city: str,
        moved_on: dt.date,
        keep_plate: bool,
        actor: User,
        new_plate: str | None = None,
    ) -> RegisterEntry:
        with transaction.atomic():
            row = RegisteredVehicle.objects.select_for_update().filter(plate=plate).first()
            if row is None:
                raise RegisterRefused(
                    f"Das Fahrzeug mit dem Kennzeichen {plate} ist nicht im Register.",
                    f"The vehicle with the plate {plate} is not in the register.",
                    code="vehicle-not-found",
                )
            ours = district_prefixes()
            fields = ["holder_street", "holder_postcode", "holder_city", "updated_at"]
            if row.district_prefix.upper() in ours:
                if new_plate:
                    raise RegisterRefused(
                        "Ein Fahrzeug dieses Bezirks behält bei der Adressänderung sein Kennzeichen.",
                        "A vehicle of this district keeps its plate when the address changes.",
                        code="new-plate-not-applicable",
                    )
            else:
                district = plate.split("-", 1)[0] if keep_plate else (new_plate or "").split("-", 1)[0]
                if not keep_plate:
                    if not new_plate or district.upper() not in ours:
                        raise RegisterRefused(
                            "Ohne Kennzeichenmitnahme braucht das Fahrzeug ein neues Kennzeichen "
                            f"dieses Bezirks ({', '.join(ours)}).",
                            f"Without keeping the plate the vehicle needs a new plate of this district "
                            f"({', '.join(ours)}).",
                            code="new-plate-required",
                        )
                    row.plate = new_plate
                    fields.append("plate")
                row.district_prefix = ours[0] if keep_plate else district.upper()
                fields.append("district_prefix")
            row.holder_street = street[:200]
            row.holder_postcode = postcode[:5]
            row.holder_city = city[:100]
            try:
                with transaction.atomic():
                    row.save(update_fields=fields)
            except IntegrityError:
                raise RegisterRefused(
                    f"Das Kennzeichen {new_plate} ist bereits vergeben.",
                    f"The plate {new_plate} is already issued.",
                    code="plate-issued",
                ) from None
        return _entry(row)


@lru_cache(maxsize=1)
def _register_class(path: str) -> type[VehicleRegister]:
    cls: type[VehicleRegister] = import_string(path)
    return cls


_instances: dict[str, VehicleRegister] = {}


def get_register() -> VehicleRegister:
    """The configured register adapter (``settings.VEHICLES_REGISTER``), built once per process."""
    path = str(settings.VEHICLES_REGISTER)
    register = _instances.get(path)
    if register is None:
        register = _register_class(path)()
        _instances[path] = register
    return register
