"""Isolation-matrix rows for the handbook routes of the processes module.

A handbook is alliance knowledge: the staff of every authority of the alliance read it (through their
own back office), only the owner's administrators (variant) change it. The target is Neuss's variant
of the town service, with its demo Hundesteuer model.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from amtsweg.tenancy.models import Authority
from amtsweg.testing import NEUSS_ADMINS, Route, World, page_read

from ..models import ProcessDefinition
from ..services import process_version_import, process_version_publish

MODEL = Path(__file__).resolve().parents[2] / "demo" / "data" / "processes" / "hundesteuer_neuss.bpmn"
STEP = "Activity_Antrag_pruefen"


def handbook_definition(w: World, a: Authority) -> ProcessDefinition:
    """``a``'s variant of the town service with a published version, made on first use."""
    cache: dict[int, ProcessDefinition] = w.__dict__.setdefault("_handbook_definitions", {})
    if a.pk not in cache:
        version = process_version_import(
            service=w.town_service, authority=a, xml=MODEL.read_bytes(), filename=MODEL.name, actor=None
        )
        cache[a.pk] = process_version_publish(version=version, actor=None).definition
    return cache[a.pk]


def alliance_staff_read(role: str, target: str) -> set[int]:
    """API read of a variant: every staff member of the alliance (not only the owner's)."""
    if role == "anonymous":
        return {401, 403}
    return {403} if role == "citizen" else {200}


def variant_admin_write(role: str, target: str) -> set[int]:
    """API change of a variant's handbook: the owner's administrators; other staff may read, not change."""
    if role == "anonymous":
        return {401, 403}
    return {200} if role in NEUSS_ADMINS else {403}


def edit_page(role: str, target: str) -> set[int]:
    if role == "anonymous":
        return {302}
    if role == "citizen":
        return {403}
    if role in NEUSS_ADMINS:
        return {200}
    return {403} if role == "caseworker_neuss" else {404}


def edit_post(role: str, target: str) -> set[int]:
    """Saved and sent back to the handbook for the admins; the rest as for the page."""
    allowed = edit_page(role, target)
    return {302} if allowed == {200} else allowed


def _page(suffix: str) -> Callable[[World, Authority], str]:
    return lambda w, a: f"/backoffice/{a.ags}/prozesse/{handbook_definition(w, a).pk}/{suffix}"


ENTRY: dict[str, object] = {
    "instructions": "Zeile 1\nZeile 2",
    "legal_basis": "§ 3 KAG NRW",
    "templates": "",
    "contact": "Team Steuern",
}

ROUTES: list[Route] = [
    Route("backoffice:process-handbook", _page("handbuch/"), page_read),
    Route("backoffice:process-handbook-pdf", _page("handbuch.pdf"), page_read),
    Route("backoffice:process-handbook-edit", _page(f"handbuch/{STEP}/bearbeiten/"), edit_page),
    Route(
        "backoffice:process-handbook-edit",
        _page(f"handbuch/{STEP}/bearbeiten/"),
        edit_post,
        method="post",
        data=ENTRY,
    ),
    Route(
        "api-staff-process-handbook",
        lambda w, a: f"/api/v1/staff/processes/{handbook_definition(w, a).pk}/handbook",
        alliance_staff_read,
    ),
    Route(
        "api-staff-process-handbook",
        lambda w, a: f"/api/v1/staff/processes/{handbook_definition(w, a).pk}/handbook",
        variant_admin_write,
        method="put",
        data={"entries": [{"bpmn_id": STEP, **ENTRY}]},
    ),
    Route(
        "api-staff-process-handbook-step",
        lambda w, a: f"/api/v1/staff/processes/{handbook_definition(w, a).pk}/handbook/{STEP}",
        alliance_staff_read,
    ),
    Route(
        "api-staff-process-handbook-step",
        lambda w, a: f"/api/v1/staff/processes/{handbook_definition(w, a).pk}/handbook/{STEP}",
        variant_admin_write,
        method="put",
        data=ENTRY,
    ),
]
