"""Isolation-matrix rows of the vehicle part's routes (staff pages and staff API at the authority that
works the part; the matrix's target authority stands in for the Kreis)."""

from __future__ import annotations

import datetime as dt

from django.utils import timezone

from amtsweg.tenancy.models import Authority
from amtsweg.testing import NEUSS_READERS, Route, World, page_read, staff_list


def _part(w: World, a: Authority) -> dict[str, int]:
    """A case at ``a`` working a vehicle part handed over by Dormagen: one vehicle recorded (for the
    label), one to record, one to refuse (created once per test database)."""
    from amtsweg.cases.services import case_open
    from amtsweg.cases.tests.factories import ensure_default_status_model, submit_case
    from amtsweg.processes.models import Handover, ProcessTask

    from ..models import RegisteredVehicle, VehicleChange
    from .kreis_factories import message

    cache: dict[int, dict[str, int]] = w.__dict__.setdefault("_vehicle_parts", {})
    if a.pk in cache:
        return cache[a.pk]
    ensure_default_status_model()
    sender = submit_case(w, authority=w.dormagen)
    case = case_open(
        authority=a,
        service=w.town_service,
        applicant=w.citizen,
        title="Fahrzeuge",
        channel="handover",
        actor=None,
    )
    now = timezone.now()
    task = ProcessTask.objects.create(
        case=sender,
        authority=w.dormagen,
        service=w.town_service,
        bpmn_id="h",
        kind="handover",
        state="waiting",
        created_at=now,
    )
    Handover.objects.create(
        case=sender,
        task=task,
        from_authority=w.dormagen,
        to_authority=a,
        subject="Fahrzeuge",
        data=message("NE-MA 1", "NE-MA 2", "NE-MA 3"),
        service=w.town_service,
        receiving_case=case,
        created_at=now,
    )
    for plate in ("NE-MA 1", "NE-MA 2"):
        RegisteredVehicle.objects.create(
            plate=plate,
            vin=f"MATRIX{plate[-1]}",
            district_prefix="NE",
            holder_family_name="Citizen",
            holder_birth_date=dt.date(1990, 4, 1),
        )
    ids = {}
    for position, (plate, outcome) in enumerate(
        (("NE-MA 1", "recorded"), ("NE-MA 2", "open"), ("NE-MA 3", "open"))
    ):
        row = VehicleChange.objects.create(
            case=case,
            position=position,
            plate=plate,
            outcome=outcome,
            register_check="found" if plate != "NE-MA 3" else "not_found",
            recorded_at=now if outcome == "recorded" else None,
        )
        ids[plate] = row.pk
    cache[a.pk] = {
        "case": case.pk,
        "recorded": ids["NE-MA 1"],
        "open": ids["NE-MA 2"],
        "refuse": ids["NE-MA 3"],
    }
    return cache[a.pk]


def page_post(role: str, target: str) -> set[int]:
    """A form of the vehicle-part page: the authority's staff go back to the page (302)."""
    if role == "anonymous":
        return {302}
    if role == "citizen":
        return {403}
    return {302} if role in NEUSS_READERS else {404}


def staff_post(role: str, target: str) -> set[int]:
    if role == "anonymous":
        return {401, 403}
    if role == "citizen":
        return {403}
    return {200} if role in NEUSS_READERS else {404}


def _page(w: World, a: Authority, suffix: str = "") -> str:
    return f"/backoffice/{a.ags}/kfz/{_part(w, a)['case']}/{suffix}"


ROUTES: list[Route] = [
    Route("backoffice:vehicle_parts", lambda w, a: f"/backoffice/{a.ags}/kfz/", page_read),
    Route("backoffice:vehicle_part", lambda w, a: _page(w, a), page_read),
    Route("backoffice:vehicle_labels", lambda w, a: _page(w, a, "aufkleber.pdf"), page_read),
    Route(
        "backoffice:vehicle_record",
        lambda w, a: _page(w, a, f"fahrzeuge/{_part(w, a)['open']}/eintragen/"),
        page_post,
        method="post",
        data={"keep_plate": "ja"},
    ),
    Route(
        "backoffice:vehicle_refuse",
        lambda w, a: _page(w, a, f"fahrzeuge/{_part(w, a)['refuse']}/ablehnen/"),
        page_post,
        method="post",
        data={"reason": "nicht im Register"},
    ),
    Route(
        "api-staff-vehicle-change-list",
        lambda w, a: f"/api/v1/staff/vehicles/changes?case={_part(w, a)['case']}",
        staff_list,
    ),
    Route(
        "api-staff-vehicle-change-record",
        lambda w, a: f"/api/v1/staff/vehicles/changes/{_part(w, a)['open']}/record",
        staff_post,
        method="post",
        data={"keep_plate": True},
    ),
    Route(
        "api-staff-vehicle-change-refuse",
        lambda w, a: f"/api/v1/staff/vehicles/changes/{_part(w, a)['refuse']}/refuse",
        staff_post,
        method="post",
        data={"reason": "nicht im Register"},
    ),
]
