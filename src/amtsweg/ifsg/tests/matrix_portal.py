"""Isolation-matrix rows: the citizen's pages of the instruction (H-PORTAL part of ``ifsg``).

The start page and published material are public. The language page is for citizens (staff accounts
are refused). An instruction belongs to one person: the rows call another person's instruction, which
is a 404 for every citizen (whatever the login level), a redirect to the login for anonymous visitors
and a refusal for staff accounts. Draft material files are for the health office's staff only.
"""

from __future__ import annotations

from collections.abc import Callable

from django.core.files.base import ContentFile

from amtsweg.identity.models import User
from amtsweg.tenancy.models import Authority
from amtsweg.testing import Route, World, make_user, public

from ..models import Instruction, Material, Programme
from .factories import ifsg_setup

OTHER_CITIZEN = "ifsg-other@example.org"


def _programme(w: World) -> Programme:
    existing = Programme.objects.filter(authority=w.kreis).first()
    return existing if existing is not None else ifsg_setup(w).programme


def _other_instruction(w: World) -> int:
    """An instruction of a citizen who is none of the matrix's roles."""
    programme = _programme(w)
    existing = Instruction.objects.filter(applicant__email=OTHER_CITIZEN).first()
    if existing is not None:
        return existing.pk
    from ..services import instruction_start

    other = make_user(OTHER_CITIZEN, kind=User.Kind.CITIZEN)
    return instruction_start(programme=programme, applicant=other, language="de", channel="web").pk


def _material(w: World, status: str) -> int:
    programme = _programme(w)
    material = Material.objects.filter(programme=programme, status=status, language="de").first()
    if material is None:
        material = Material.objects.create(
            programme=programme,
            language="de",
            version=9,
            status=status,
            title="Entwurf",
            text="x",
            declaration="y",
        )
    if not material.leaflet:
        material.leaflet.save("merkblatt.pdf", ContentFile(b"%PDF-1.7\n%%EOF\n"))
    return material.pk


def citizen_page(role: str, target: str) -> set[int]:
    """Pages for citizens that show no one's data (staff accounts are refused)."""
    if role in ("anonymous", "citizen"):
        return {200}
    return {403}


def other_persons_instruction(role: str, target: str) -> set[int]:
    if role == "anonymous":
        return {302}
    if role == "citizen":
        return {404}
    return {403}


def health_office_draft(role: str, target: str) -> set[int]:
    # The programme is the Kreis's: of the matrix's roles only the Kreis administrator reads it.
    return {200} if role == "kreis_admin" else {404}


def _step(step: str) -> Callable[[World, Authority], str]:
    return lambda w, a: f"/infektionsschutz/{_other_instruction(w)}/{step}"


def _file(status: str) -> Callable[[World, Authority], str]:
    return lambda w, a: f"/infektionsschutz/material/{_material(w, status)}/leaflet/"


ROUTES: list[Route] = [
    Route("portal:ifsg_start", lambda w, a: "/infektionsschutz/", public),
    Route(
        "portal:ifsg_language",
        lambda w, a: f"/infektionsschutz/sprache/?programm={_programme(w).pk}",
        citizen_page,
    ),
    Route("portal:ifsg_file", _file(Material.Status.PUBLISHED), public),
    Route("portal:ifsg_file", _file(Material.Status.DRAFT), health_office_draft),
    Route("portal:ifsg_instruction", _step(""), other_persons_instruction),
    Route("portal:ifsg_material", _step("material/"), other_persons_instruction),
    Route(
        "portal:ifsg_material",
        _step("material/"),
        other_persons_instruction,
        method="post",
        data={"bestaetigt": "1"},
    ),
    Route("portal:ifsg_declaration", _step("erklaerung/"), other_persons_instruction),
    Route("portal:ifsg_quiz", _step("quiz/"), other_persons_instruction),
    Route("portal:ifsg_fee", _step("gebuehr/"), other_persons_instruction),
    Route("portal:ifsg_submit", _step("absenden/"), other_persons_instruction),
    Route(
        "portal:ifsg_submit",
        _step("absenden/"),
        other_persons_instruction,
        method="post",
    ),
    Route("portal:ifsg_done", _step("fertig/"), other_persons_instruction),
]
