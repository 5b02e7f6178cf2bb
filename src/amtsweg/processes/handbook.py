"""The process handbook (Prozesshandbuch): per process model, each step's know-how — instructions, legal
basis, templates, contact — kept by element id, so it survives new versions of the model as long as
the element ids stay, and readable as a book in flow order (pages, API, PDF).

Who may see what: process models and their handbooks are alliance knowledge; any staff member of an
authority of the alliance reads them. Only the authority's administrators change the handbook of its
variant, and only alliance administrators the handbook of the reference model.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from django.db import transaction
from django.db.models import Q
from django.http import Http404

from amtsweg.core.problems import Problem
from amtsweg.tenancy import access
from amtsweg.tenancy.access import Actor
from amtsweg.tenancy.models import AuditEvent, Authority

from .models import HandbookEntry, ProcessDefinition, ProcessVersion
from .selectors import process_definitions_for
from .steps import node_type_label, ordered_steps
from .structure import Node

FIELDS = ("instructions", "legal_basis", "templates", "contact")
MAX_LENGTHS = {"instructions": 20_000, "legal_basis": 2000, "templates": 2000, "contact": 300}


@dataclass(frozen=True)
class HandbookStep:
    """One chapter of the handbook: an activity of the version (``node``) with its entry, if any; or an
    entry whose element the version no longer has (``orphaned``, ``node`` is None)."""

    number: int
    bpmn_id: str
    entry: HandbookEntry | None
    node: Node | None = None

    @property
    def name(self) -> str:
        return self.node.label if self.node is not None else self.bpmn_id

    @property
    def lane(self) -> str:
        return self.node.lane if self.node is not None else ""

    @property
    def type_label(self) -> str:
        return str(node_type_label(self.node)) if self.node is not None else ""

    @property
    def orphaned(self) -> bool:
        return self.node is None

    @property
    def templates(self) -> list[str]:
        if self.entry is None:
            return []
        return [line.strip() for line in self.entry.templates.splitlines() if line.strip()]

    @property
    def anchor(self) -> str:
        return f"schritt-{self.bpmn_id}"


# --- reads ---------------------------------------------------------------------------------------


def handbook_definition_get(*, user: Actor, pk: int, authority: Authority | None = None) -> ProcessDefinition:
    """The process model ``pk`` if ``user`` may read it (seen from ``authority``'s back office: the
    reference models and the variants of that authority's alliance); :class:`Http404` otherwise."""
    queryset = process_definitions_for(user)
    if authority is not None:
        queryset = queryset.filter(
            Q(authority__isnull=True) | Q(authority__alliance_id=authority.alliance_id)
        )
    definition = queryset.filter(pk=pk).first()
    if definition is None:
        raise Http404
    return definition


def may_edit_handbook(user: Actor, definition: ProcessDefinition) -> bool:
    """Variants: the authority's administrators; the reference model: alliance administrators."""
    if definition.authority_id is None:
        return access.administers_alliance(user)
    return access.can_access(user, definition.authority_id, administer=True)


def handbook_version(definition: ProcessDefinition, version_id: int | None = None) -> ProcessVersion | None:
    """The version the handbook is read for: ``version_id`` if it is one of ``definition``'s, else the
    published version, else the newest."""
    versions = definition.versions.all()
    if version_id is not None:
        chosen = versions.filter(pk=version_id).first()
        if chosen is None:
            raise Http404
        return chosen
    return (
        versions.filter(status=ProcessVersion.Status.PUBLISHED).first()
        or versions.order_by("-number").first()
    )


def handbook_for(definition: ProcessDefinition, version: ProcessVersion | None) -> list[HandbookStep]:
    """Every activity of ``version`` in flow order with its entry ("no entry yet": ``entry`` None),
    followed by the entries whose element ``version`` does not have (orphaned)."""
    entries = {e.bpmn_id: e for e in definition.handbook.select_related("updated_by")}
    steps: list[HandbookStep] = []
    seen: set[str] = set()
    if version is not None:
        for node in ordered_steps(version.parsed):
            if not node.is_activity:
                continue
            seen.add(node.id)
            steps.append(HandbookStep(len(steps) + 1, node.id, entries.get(node.id), node))
    for bpmn_id in sorted(set(entries) - seen):
        steps.append(HandbookStep(len(steps) + 1, bpmn_id, entries[bpmn_id]))
    return steps


def handbook_step(
    definition: ProcessDefinition, version: ProcessVersion | None, bpmn_id: str
) -> HandbookStep:
    for step in handbook_for(definition, version):
        if step.bpmn_id == bpmn_id:
            return step
    raise Http404


# --- writes --------------------------------------------------------------------------------------


def _activity_ids(definition: ProcessDefinition) -> set[str]:
    ids: set[str] = set()
    for version in definition.versions.only("structure"):
        ids.update(node.id for node in version.parsed.activities)
    return ids


def _validate(values: Mapping[str, str]) -> dict[str, str]:
    errors: dict[str, str] = {}
    for name, limit in MAX_LENGTHS.items():
        if len(values[name]) > limit:
            errors[name] = f"max {limit}"
    if "\n" in values["contact"] or "\r" in values["contact"]:
        errors["contact"] = "single line"
    return errors


def handbook_entry_save(
    *,
    definition: ProcessDefinition,
    bpmn_id: str,
    instructions: str,
    legal_basis: str,
    templates: str,
    contact: str,
    actor: Actor,
    channel: str = "web",
) -> HandbookEntry:
    """Create or change the handbook entry of step ``bpmn_id`` (an activity of a version of
    ``definition``). Text is stored as written (plain text; pages escape it)."""
    if not may_edit_handbook(actor, definition):
        raise Problem(
            "Nur die Administration der Behörde (Variante) oder des Verbunds (Referenzmodell) darf das "
            "Handbuch ändern.",
            "Only the authority's administrators (variant) or the alliance's (reference model) may change "
            "the handbook.",
            status_code=403,
            code="forbidden",
        )
    if bpmn_id not in _activity_ids(definition):
        raise Problem(
            f"„{bpmn_id}“ ist keine Aufgabe dieses Prozessmodells.",
            f"'{bpmn_id}' is not an activity of this process model.",
            status_code=422,
            code="unknown-step",
            extra={"element": bpmn_id},
        )
    values = {
        "instructions": instructions.replace("\r\n", "\n").strip(),
        "legal_basis": legal_basis.replace("\r\n", "\n").strip(),
        "templates": templates.replace("\r\n", "\n").strip(),
        "contact": contact.strip(),
    }
    errors = _validate(values)
    if errors:
        raise Problem(
            "Ein Feld ist zu lang oder ungültig.",
            "A field is too long or invalid.",
            status_code=422,
            code="invalid-entry",
            extra={"errors": errors},
        )
    updated_by = actor if getattr(actor, "is_authenticated", False) else None
    with transaction.atomic():
        entry = (
            HandbookEntry.objects.select_for_update().filter(definition=definition, bpmn_id=bpmn_id).first()
        )
        created = entry is None
        if entry is None:
            entry = HandbookEntry(definition=definition, bpmn_id=bpmn_id)
        changed = [name for name in FIELDS if getattr(entry, name) != values[name]]
        for name in FIELDS:
            setattr(entry, name, values[name])
        entry.updated_by = updated_by  # type: ignore[assignment]
        entry.save()
        access.audit(
            actor=actor,
            action=AuditEvent.Action.CREATE if created else AuditEvent.Action.UPDATE,
            obj=entry,
            authority_id=definition.authority_id,
            channel=channel,
            changes={"bpmn_id": bpmn_id, "fields": changed},
        )
    return entry


def handbook_save(
    *, definition: ProcessDefinition, entries: Sequence[Mapping[str, Any]], actor: Actor, channel: str = "web"
) -> list[HandbookEntry]:
    """Save several entries at once: all or none."""
    with transaction.atomic():
        return [
            handbook_entry_save(
                definition=definition,
                bpmn_id=str(item["bpmn_id"]),
                instructions=str(item.get("instructions", "")),
                legal_basis=str(item.get("legal_basis", "")),
                templates=str(item.get("templates", "")),
                contact=str(item.get("contact", "")),
                actor=actor,
                channel=channel,
            )
            for item in entries
        ]
