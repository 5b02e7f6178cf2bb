"""A care finder at the Kreis with two operators (Träger), each with an account and facilities in
Neuss and Dormagen, set up the way the demo sets it up. Use ``care_setup(world)`` in every care test."""

from __future__ import annotations

from dataclasses import dataclass

from amtsweg.identity.models import Organisation, OrganisationMembership, User
from amtsweg.testing import World, make_user

from ..models import CareFinder, CareOffer, CareType, Facility, specialisation_mask

# Centroids of the towns (WGS 84), for queries in tests.
NEUSS = (51.1981, 6.6916)
DORMAGEN = (51.0951, 6.8403)


@dataclass
class CareSetup:
    finder: CareFinder
    operator: Organisation  # "Sonnenhof Pflege gGmbH": st_quirin (Neuss) and rheinblick (Dormagen)
    operator_user: User
    other_operator: Organisation  # "Caritas-Pflege Muster e. V.": am_stadtpark (Neuss)
    other_operator_user: User
    st_quirin: Facility  # Neuss: vollstationär 80 + Kurzzeitpflege 6; Demenz, Palliativ
    rheinblick: Facility  # Dormagen: Tagespflege 18
    am_stadtpark: Facility  # Neuss: vollstationär 60; Demenz, Haustiere; speaks tr


def make_facility(
    *,
    finder: CareFinder,
    operator: Organisation,
    name: str,
    street: str,
    postcode: str,
    town: str,
    latitude: float,
    longitude: float,
    offers: dict[str, int],
    specialisations: tuple[str, ...] = (),
    languages: tuple[str, ...] = (),
    email: str = "",
) -> Facility:
    facility = Facility.objects.create(
        authority=finder.authority,
        operator=operator,
        name=name,
        street=street,
        postcode=postcode,
        town=town,
        latitude=latitude,
        longitude=longitude,
        specialisation_bits=specialisation_mask(specialisations),
        languages=list(languages),
        email=email or f"info@{name.lower().split()[0]}.example",
    )
    for care_type, capacity in offers.items():
        CareOffer.objects.create(facility=facility, care_type=care_type, capacity=capacity)
    return facility


def make_operator(name: str, identifier: str, email: str) -> tuple[Organisation, User]:
    operator = Organisation.objects.create(name=name, identifier=identifier, legal_form="gGmbH")
    user = make_user(email, kind=User.Kind.CITIZEN, first="Olga", last=name.split()[0])
    OrganisationMembership.objects.create(organisation=operator, user=user)
    return operator, user


def care_setup(world: World) -> CareSetup:
    finder = CareFinder.objects.create(authority=world.kreis, contact_email="heimaufsicht@kreis.example")
    operator, operator_user = make_operator(
        "Sonnenhof Pflege gGmbH", "HRB 4711, Amtsgericht Neuss", "pflege@sonnenhof.example"
    )
    other, other_user = make_operator(
        "Caritas-Pflege Muster e. V.", "VR 815, Amtsgericht Neuss", "leitung@muster.example"
    )
    st_quirin = make_facility(
        finder=finder,
        operator=operator,
        name="Seniorenzentrum St. Quirin",
        street="Münsterplatz 1",
        postcode="41460",
        town="Neuss",
        latitude=51.1984,
        longitude=6.6878,
        offers={CareType.FULL_TIME: 80, CareType.SHORT_TERM: 6},
        specialisations=("demenz", "palliativ"),
    )
    rheinblick = make_facility(
        finder=finder,
        operator=operator,
        name="Tagespflege Rheinblick",
        street="Kölner Straße 20",
        postcode="41539",
        town="Dormagen",
        latitude=51.0940,
        longitude=6.8420,
        offers={CareType.DAY_CARE: 18},
    )
    am_stadtpark = make_facility(
        finder=finder,
        operator=other,
        name="Haus am Stadtpark",
        street="Jülicher Landstraße 30",
        postcode="41464",
        town="Neuss",
        latitude=51.1890,
        longitude=6.6750,
        offers={CareType.FULL_TIME: 60},
        specialisations=("demenz", "haustiere"),
        languages=("de", "tr"),
    )
    return CareSetup(
        finder=finder,
        operator=operator,
        operator_user=operator_user,
        other_operator=other,
        other_operator_user=other_user,
        st_quirin=st_quirin,
        rheinblick=rheinblick,
        am_stadtpark=am_stadtpark,
    )
