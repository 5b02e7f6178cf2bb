"""Isolation-matrix rows of the citizen's instruction API (``/api/v1/ifsg/...``).

An instruction is owned by a person, not an authority: the world's citizen reaches their own
instruction (the code each step answers in the state prepared here), staff of every authority get 403,
anonymous callers 401/403. That another citizen gets 404 on every instruction route is proven in
``test_api_citizen.py::test_another_citizen_gets_404_on_every_instruction_route`` against these rows.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date

from amtsweg.tenancy.models import Authority
from amtsweg.testing import Route, World, public

from .. import services
from .factories import IfsgSetup, ifsg_setup


@dataclass(frozen=True)
class InstructionObjects:
    instruction: int
    attempt: int


def setup_of(w: World) -> IfsgSetup:
    """The health office's programme in ``w`` (set up once per world)."""
    setup: IfsgSetup | None = w.__dict__.get("_ifsg_setup")
    if setup is None:
        setup = w.__dict__["_ifsg_setup"] = ifsg_setup(w)
    return setup


def instruction_objects(w: World) -> InstructionObjects:
    """The world's citizen's instruction: material confirmed, declared, a quiz attempt drawn."""
    cached: InstructionObjects | None = w.__dict__.get("_ifsg_objects")
    if cached is None:
        setup = setup_of(w)
        instruction = services.instruction_start(
            programme=setup.programme, applicant=w.citizen, language="de", channel="api"
        )
        services.instruction_material_confirm(instruction=instruction, actor=w.citizen)
        services.instruction_declare(
            instruction=instruction,
            actor=w.citizen,
            familienname="Citizen",
            vornamen="Clara",
            geburtsdatum=date(1990, 5, 17),
            declared=True,
        )
        attempt = services.quiz_start(instruction=instruction, actor=w.citizen)
        cached = w.__dict__["_ifsg_objects"] = InstructionObjects(instruction.pk, attempt.pk)
    return cached


def citizen_api(*citizen: int) -> Callable[[str, str], set[int]]:
    """The citizen gets ``citizen`` (the step's answer here), staff 403, anonymous 401/403."""

    def expect(role: str, target: str) -> set[int]:
        if role == "anonymous":
            return {401, 403}
        return set(citizen) if role == "citizen" else {403}

    return expect


def _url(suffix: str = "") -> Callable[[World, Authority], str]:
    return lambda w, a: f"/api/v1/ifsg/instructions/{instruction_objects(w).instruction}{suffix}"


DECLARATION = {"familienname": "Citizen", "vornamen": "Clara", "geburtsdatum": "1990-05-17", "declared": True}

ROUTES: list[Route] = [
    Route("api-ifsg-programme-list", lambda w, a: (setup_of(w), "/api/v1/ifsg/programmes")[1], public),
    Route(
        "api-ifsg-instruction-list",
        lambda w, a: (instruction_objects(w), "/api/v1/ifsg/instructions")[1],
        citizen_api(200),
    ),
    Route("api-ifsg-instruction-detail", _url(), citizen_api(200)),
    Route("api-ifsg-instruction-material", _url("/material"), citizen_api(200)),
    Route("api-ifsg-instruction-material", _url("/material"), citizen_api(200), method="post"),
    Route(
        "api-ifsg-instruction-declaration",
        _url("/declaration"),
        citizen_api(200),
        method="post",
        data=DECLARATION,
    ),
    Route("api-ifsg-instruction-quiz", _url("/quiz"), citizen_api(200), method="post"),
    Route(
        # reaches the attempt and is refused for the empty answers (ownership is checked first)
        "api-ifsg-instruction-quiz-answers",
        lambda w, a: f"{_url('/quiz')(w, a)}/{instruction_objects(w).attempt}",
        citizen_api(400),
        method="post",
        data={"answers": []},
    ),
    # the quiz is not passed yet: the fee is not due (409)
    Route("api-ifsg-instruction-payment", _url("/payment"), citizen_api(409), method="post"),
    Route(
        "api-ifsg-instruction-waiver", _url("/waiver"), citizen_api(409), method="post", data={"code": "X"}
    ),
    # the matrix logs in with a password: below substantiell, submission is refused (403 trust level)
    Route("api-ifsg-instruction-submit", _url("/submit"), citizen_api(403), method="post"),
]
