"""The demo's move: Clara Bürger moves from Dormagen to Neuss with her three cars, Neuss has
confirmed it, and the vehicle part waits at the Kreis with the register already checked."""

from __future__ import annotations

import pytest

from amtsweg.cases.models import Case
from amtsweg.processes.models import Handover, ProcessTask

from ..demo import load_move_demo, load_vehicles_demo
from ..models import VehicleChange


@pytest.mark.django_db
def test_the_demo_move_is_at_the_kreis_once() -> None:
    from amtsweg.demo.applications import demo_applications_load
    from amtsweg.demo.processes import demo_processes_load
    from amtsweg.demo.services import demo_load

    demo_load(full_catalog=False)
    demo_applications_load()
    demo_processes_load()
    load_vehicles_demo()
    assert load_move_demo()
    handover = Handover.objects.select_related("case", "receiving_case").get(
        service__leika_key="99036008071000"
    )
    assert handover.case.authority.ags == "05162024" and handover.case.decision == "granted"
    part = handover.receiving_case
    assert part is not None and part.authority.ags == "05162000"
    assert (
        "haushaltsmitglieder" not in handover.data and handover.data["aufkleber_zustellung"] == "buergerbuero"
    )
    checks = dict(VehicleChange.objects.filter(case=part).values_list("plate", "register_check"))
    assert checks == {"NE-CB 1988": "found", "GV-CB 521E": "found", "D-CB 2105": "other_district"}
    assert ProcessTask.objects.filter(case=part, state="open", kind="user").count() == 1
    assert not load_move_demo()  # loading the demo again keeps the move as it is
    assert Case.objects.filter(service__leika_key="99036008071000").count() == 1
