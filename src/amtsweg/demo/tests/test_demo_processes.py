"""The demo processes: Camunda-Modeler files the platform reads and runs, two deliberately different
Hundesteuer variants, and a year of simulated history that is valid, deterministic and loaded once."""

from __future__ import annotations

import ast
import io
from collections import Counter
from datetime import UTC, datetime
from statistics import median

import pytest
from django.core.management import call_command
from django.utils import timezone
from lxml import etree

from amtsweg.cases.models import Case, Phase
from amtsweg.demo.processes import (
    DATA,
    HISTORY_DOMAIN,
    HUNDESTEUER,
    LEAD_TEAM,
    PROFILES,
    REFERENCE_MODELS,
    VARIANTS,
    demo_processes_load,
    simulate_history,
)
from amtsweg.forms.models import FormVersion
from amtsweg.processes import engine, expressions
from amtsweg.processes.models import HandbookEntry, Handover, ProcessInstance, ProcessTask, ProcessVersion
from amtsweg.processes.structure import BPMN_NS, BPMNDI_NS, CAMUNDA_NS, ProcessStructure, read_structure
from amtsweg.tenancy.models import Authority, Team

FILES = sorted(DATA.glob("*.bpmn"))
DC_NS = "http://www.omg.org/spec/DD/20100524/DC"
DI_NS = "http://www.omg.org/spec/DD/20100524/DI"
NOW = datetime(2026, 6, 30, 12, tzinfo=UTC)


def _read(name: str) -> tuple[etree._Element, ProcessStructure]:
    root = etree.fromstring((DATA / name).read_bytes())
    return root, read_structure(root)


def _names(expression: str) -> set[str]:
    tree = ast.parse(expressions.translate(expression), mode="eval")
    return {node.id for node in ast.walk(tree) if isinstance(node, ast.Name)} - {"True", "False", "None"}


# Variables that a specialised platform action sets for the gateways after it (not answers).
ACTION_VARIABLES = {"amtsweg:baulasten.decision": {"interesse_anerkannt", "gebuehr_euro"}}


def _task_fields(root: etree._Element) -> set[str]:
    fields = {f.get("id") or "" for f in root.iter(f"{{{CAMUNDA_NS}}}formField")}
    for task in root.iter(f"{{{BPMN_NS}}}serviceTask"):
        fields |= ACTION_VARIABLES.get(task.get(f"{{{CAMUNDA_NS}}}topic") or "", set())
    return fields


def _handover_fields(root: etree._Element) -> set[str]:
    fields: set[str] = set()
    for parameter in root.iter(f"{{{CAMUNDA_NS}}}inputParameter"):
        if parameter.get("name") == "fields":
            fields |= {f.strip() for f in (parameter.text or "").split(",") if f.strip()}
    return fields


def test_the_demo_files_are_exactly_the_listed_models() -> None:
    assert {f.name for f in FILES} == set(REFERENCE_MODELS.values()) | set(VARIANTS.values())


@pytest.mark.parametrize("path", FILES, ids=lambda p: p.name)
def test_every_demo_model_is_a_camunda_file_the_platform_runs(path: object) -> None:
    root, structure = _read(path.name)  # type: ignore[attr-defined]
    assert root.get("exporter") == "Camunda Modeler" and CAMUNDA_NS in root.nsmap.values()
    # The Kreis' models (the vehicle part of a move, the instruction under § 43 IfSG) and the building
    # supervision's (the Baulasten Auskunft) run in their own teams.
    kreis_model = set(structure.lanes) in (
        {"Zulassungsstelle"},
        {"Gesundheitsamt – Infektionsschutz"},
        {"Bauaufsicht – Baulasten"},
    )
    assert structure.has_diagram and (kreis_model or set(structure.lanes) <= {"Bürgerbüro", LEAD_TEAM})
    assert not engine.check_executable(structure=structure, files=[(path.name, path.read_bytes())])  # type: ignore[attr-defined]
    # Every element and flow is drawn; edges have waypoints; shapes do not overlap (boundary events
    # sit on their activity's border).
    shapes = {}
    for shape in root.iter(f"{{{BPMNDI_NS}}}BPMNShape"):
        bounds = shape.find(f"{{{DC_NS}}}Bounds")
        assert bounds is not None
        shapes[shape.get("bpmnElement")] = tuple(
            float(bounds.get(k) or 0) for k in ("x", "y", "width", "height")
        )
    edges = {
        e.get("bpmnElement"): e.findall(f"{{{DI_NS}}}waypoint") for e in root.iter(f"{{{BPMNDI_NS}}}BPMNEdge")
    }
    assert {n.id for n in structure.nodes} <= set(shapes)
    assert all(len(edges.get(f.id, [])) >= 2 for f in structure.flows)
    boxes = [(n, shapes[n.id]) for n in structure.nodes if not n.attached_to]
    for i, (a, (ax, ay, aw, ah)) in enumerate(boxes):
        for b, (bx, by, bw, bh) in boxes[i + 1 :]:
            assert ax + aw <= bx or bx + bw <= ax or ay + ah <= by or by + bh <= ay, f"{a.id} overlaps {b.id}"
    if kreis_model:  # a hand-over's receiving model or an automated certificate: no applicant to ask
        return
    # The conventions every town's demo model shows.
    nodes = structure.by_id()
    assert any(f.condition for f in structure.flows)
    assert any(n.action == "notice.issue" for n in structure.nodes)
    request = next(n for n in structure.nodes if n.action == "information.request")
    waits = [n for n in structure.nodes if n.type == "eventBasedGateway"]
    assert len(waits) == 1
    caught = {nodes[f.target].message or nodes[f.target].timer for f in structure.outgoing(waits[0].id)}
    assert caught == {"information_received", "P14D"}
    assert request.type == "serviceTask"
    boundary = next(n for n in structure.nodes if n.attached_to)
    assert boundary.timer == "P5D" and not boundary.interrupting
    assert nodes[boundary.attached_to].type == "userTask"
    assert nodes[structure.outgoing(boundary.id)[0].target].lane == LEAD_TEAM


def test_the_hundesteuer_variants_differ_deliberately() -> None:
    _, neuss = _read(VARIANTS[("99102013002000", "05162024")])
    dormagen_root, dormagen = _read(VARIANTS[("99102013002000", "05162004")])
    assert not neuss.media_breaks and not neuss.handovers
    assert len([n for n in neuss.nodes if n.type == "userTask" and n.lane == "Bürgerbüro"]) == 1
    assert {n.medium for n in dormagen.media_breaks} == {"paper", "post"}
    (handover,) = dormagen.handovers
    params = {p.get("name"): p.text for p in dormagen_root.iter(f"{{{CAMUNDA_NS}}}inputParameter")}
    assert params["to"] == "kreis" and handover.lane == "Bürgerbüro"
    assert len([n for n in dormagen.nodes if n.type == "userTask"]) > len(
        [n for n in neuss.nodes if n.type == "userTask"]
    )
    assert any(n.name == "Festsetzung freigeben" and n.lane == LEAD_TEAM for n in dormagen.nodes)


def _follows_the_model(structure: ProcessStructure, bpmn_ids: list[str]) -> bool:
    """Every step is reached by a flow from an earlier step, or is a boundary event of one."""
    flows = {(f.source, f.target) for f in structure.flows}
    nodes = structure.by_id()
    for index, bpmn_id in enumerate(bpmn_ids[1:], start=1):
        earlier = set(bpmn_ids[:index])
        if nodes[bpmn_id].attached_to in earlier:
            continue
        if not any((source, bpmn_id) in flows for source in earlier):
            return False
    return bpmn_ids[0] == "StartEvent_Antrag" and bpmn_ids[-1] in {
        "EndEvent_Erledigt",
        "Event_Eskalation_erledigt",
    }


@pytest.mark.parametrize("ags", sorted(PROFILES))
def test_simulated_history_is_deterministic_and_follows_the_model(ags: str) -> None:
    _, structure = _read(VARIANTS[("99102013002000", ags)])
    first = simulate_history(structure=structure, profile=PROFILES[ags], count=300, seed=7, now=NOW)
    again = simulate_history(structure=structure, profile=PROFILES[ags], count=300, seed=7, now=NOW)
    assert first == again
    assert first != simulate_history(structure=structure, profile=PROFILES[ags], count=300, seed=8, now=NOW)
    deviating = [c for c in first if c.deviation]
    assert 3 <= len(deviating) <= 30  # about 5 %
    assert all(_follows_the_model(structure, [t.bpmn_id for t in c.tasks]) for c in first if not c.deviation)
    for case in first:
        assert NOW.replace(year=2025) <= case.submitted_at and case.completed_at < NOW
        for task in case.tasks:
            assert task.created_at <= (task.claimed_at or task.created_at) <= task.completed_at
            assert task.created_at >= case.submitted_at
    assert [c.submitted_at for c in first] == sorted(c.submitted_at for c in first)


def _lead_days(ags: str) -> float:
    cases = Case.objects.filter(authority__ags=ags, applicant__email__endswith=HISTORY_DOMAIN)
    return median((c.decided_at - c.submitted_at).total_seconds() / 86400 for c in cases if c.decided_at)


@pytest.mark.django_db
def test_demo_loads_models_history_and_handbook_once() -> None:
    # load_demo loads the processes after the applications demo (its last step).
    from amtsweg.demo.applications import demo_applications_load
    from amtsweg.demo.services import demo_load

    demo_load(full_catalog=False)
    demo_applications_load()
    summary = demo_processes_load()
    assert (summary.models, summary.historical_cases, summary.handbook_entries) == (9, 600, 5)
    out = io.StringIO()
    call_command("load_demo", "--curated-catalog", "--without-ocr", stdout=out)
    assert "0 Prozessmodelle, 0 historische Vorgänge" in out.getvalue()  # a second load adds nothing

    published = ProcessVersion.objects.filter(status=ProcessVersion.Status.PUBLISHED).select_related(
        "definition__service", "definition__authority"
    )
    assert {
        (v.definition.service.leika_key, v.definition.authority.ags if v.definition.authority else None)
        for v in published
    } == {
        *((leika, None) for leika in REFERENCE_MODELS),
        *VARIANTS,
    }
    for version in published:
        definition = version.definition
        root = etree.fromstring(version.bpmn_xml.encode())
        structure = version.parsed
        # Lanes are teams of every town that runs the model.
        towns = (
            [definition.authority]
            if definition.authority
            else list(
                Authority.objects.filter(
                    offerings__service=definition.service, kind__in=["stadt", "gemeinde"]
                )
            )
        )
        for town in towns:
            assert set(structure.lanes) <= set(
                Team.objects.filter(authority=town).values_list("name", flat=True)
            )
        # Conditions and hand-over fields use real answer keys (or fields of the model's own tasks).
        form = FormVersion.objects.filter(
            definition__service=definition.service,
            definition__authority=None,
            status=FormVersion.Status.PUBLISHED,
        ).first()
        if form is None:  # a hand-over's receiving model: its variables are the handed-over data
            continue
        keys = {f.key for step in form.parsed.steps for f in step.fields} | _task_fields(root)
        used = {
            name
            for f in structure.flows
            if f.condition
            for name in _names(f.condition)
            # set by the platform: hasVariable tests and the answer of a hand-over
            if name != "__has__" and not name.startswith("handover_")
        } | _handover_fields(root)
        # A model without gateways (the automated certificate) uses no answer at all.
        assert used <= keys and (used or not any(f.condition for f in structure.flows)), used - keys

    for ags in ("05162024", "05162004"):
        cases = Case.objects.filter(authority__ags=ags, applicant__email__endswith=HISTORY_DOMAIN)
        assert cases.count() == 300 and set(cases.values_list("phase", flat=True)) == {Phase.CLOSED}
        instances = ProcessInstance.objects.filter(case__in=cases)
        assert set(instances.values_list("status", flat=True)) == {ProcessInstance.Status.COMPLETED}
        assert set(instances.values_list("version__definition__authority__ags", flat=True)) == {ags}
        references = list(cases.values_list("reference", flat=True))
        assert len(set(references)) == 300 and all(r.startswith(f"{ags[-3:]}-20") for r in references)
        tasks = ProcessTask.objects.filter(case__in=cases)
        assert not tasks.exclude(state=ProcessTask.State.COMPLETED).exists()
        spans = tasks.values_list("created_at", "completed_at")
        assert all(done is not None and start <= done <= timezone.now() for start, done in spans)
    assert _lead_days("05162004") > 3 * _lead_days("05162024")
    paper = ProcessTask.objects.filter(bpmn_id__in=["Activity_Unterschreiben", "Activity_Postversand"])
    assert (
        median(
            (done - start).total_seconds() / 86400
            for start, done in paper.values_list("created_at", "completed_at")
            if done
        )
        > 1
    )
    handovers = Handover.objects.all()
    assert handovers.exists() and set(handovers.values_list("to_authority__ags", flat=True)) == {"05162000"}
    # The Hundesteuer history hands dangerous dogs to the Kreis with only these answers (the demo
    # move's vehicle part, load_demo's last step, is tested in vehicles/tests/test_move_demo.py).
    dogs = handovers.filter(case__service__leika_key=HUNDESTEUER)
    assert dogs.exists() and all(
        set(h.data) == {"familienname", "vorname", "anschrift", "hund"} for h in dogs
    )
    assert HandbookEntry.objects.filter(definition__authority__isnull=True).count() == 5

    counts = (
        Case.objects.count(),
        ProcessTask.objects.count(),
        ProcessVersion.objects.count(),
        Handover.objects.count(),
    )
    again = demo_processes_load()
    assert (again.models, again.historical_cases, again.historical_tasks, again.handbook_entries) == (
        0,
        0,
        0,
        0,
    )
    assert (
        Case.objects.count(),
        ProcessTask.objects.count(),
        ProcessVersion.objects.count(),
        Handover.objects.count(),
    ) == counts
    assert (
        Counter(Team.objects.filter(name=LEAD_TEAM).values_list("authority_id", flat=True)).most_common(1)[0][
            1
        ]
        == 1
    )
