"""How the authorities of an alliance run the same service, side by side (Prozessvergleich).

For each authority: the process version it uses (its own published variant, else the alliance's
published reference model, else the latest version there is), and from it the lanes, the media breaks
(steps on paper, by post, fax or in person) and the hand-overs. Activities are matched across the
authorities by their normalised name, and by element id where the names differ; each matched activity
carries the figures from the event log (:mod:`amtsweg.processes.metrics`).

The matching and the summaries are pure functions over :class:`ProcessStructure` and the metrics;
:func:`compare` loads what they need. The result holds aggregated figures only, never a case.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Literal

from django.db.models import Q, QuerySet
from django.utils.formats import number_format
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from amtsweg.catalog.models import Service
from amtsweg.tenancy import access
from amtsweg.tenancy.models import Authority

from .metrics import ActivityMetric, CaseMetric, activity_metrics, case_metrics
from .models import ProcessDefinition, ProcessVersion
from .steps import MEDIUM_LABELS, ordered_steps
from .structure import Node, ProcessStructure

VersionSource = Literal["variant", "reference", "latest_variant", "latest_reference", "none"]
SOURCE_LABELS = {
    "variant": gettext_lazy("eigene Variante (veröffentlicht)"),
    "reference": gettext_lazy("Referenzmodell des Verbunds (veröffentlicht)"),
    "latest_variant": gettext_lazy("eigene Variante, noch nicht veröffentlicht (neueste Version)"),
    "latest_reference": gettext_lazy("Referenzmodell, noch nicht veröffentlicht (neueste Version)"),
    "none": gettext_lazy("kein Prozessmodell"),
}
HEAT_LEVELS = 5

_UMLAUTS = str.maketrans({"ä": "ae", "ö": "oe", "ü": "ue", "ß": "ss"})
_NOT_WORD = re.compile(r"[\W_]+")


def normalise_name(name: str) -> str:
    """The name of an activity as the comparison matches it: case, spacing, punctuation and the
    spelling of umlauts ("Prüfen" = "pruefen" = "PRÜFEN ") do not matter."""
    text = unicodedata.normalize("NFKC", name).casefold()
    text = unicodedata.normalize("NFC", text).translate(_UMLAUTS)
    return " ".join(_NOT_WORD.sub(" ", text).split())


def format_duration(seconds: float | None) -> str:
    """A duration for people: "45 s", "12 min", "3,5 Std.", "2,5 Tage" (localised number format)."""
    if seconds is None:
        return "–"
    if seconds < 60:
        return _("%(n)s s") % {"n": number_format(round(seconds), 0)}
    if seconds < 3600:
        return _("%(n)s min") % {"n": number_format(round(seconds / 60), 0)}
    if seconds < 86400:
        return _("%(n)s Std.") % {"n": number_format(round(seconds / 3600, 1), 1)}
    # number_format cuts digits off; round first.
    return _("%(n)s Tage") % {"n": number_format(round(seconds / 86400, 1), 1)}


# --- the structural comparison (pure) ----------------------------------------------------------


@dataclass(frozen=True)
class Step:
    """One activity of one authority's model, with its figures from the event log."""

    node: Node
    metric: ActivityMetric | None = None

    @property
    def count(self) -> int:
        return self.metric.count if self.metric else 0

    @property
    def median_waiting(self) -> float | None:
        return self.metric.median_waiting if self.metric else None

    @property
    def median_lead(self) -> float | None:
        return self.metric.median_lead if self.metric else None

    @property
    def waiting_label(self) -> str:
        return format_duration(self.median_waiting)

    @property
    def lead_label(self) -> str:
        return format_duration(self.median_lead)

    @property
    def medium_label(self) -> str:
        return str(MEDIUM_LABELS.get(self.node.medium, ""))


@dataclass
class ActivityRow:
    """One activity matched across the authorities: ``cells`` in the order of the authorities, empty
    where an authority's model has no such activity."""

    key: str
    label: str
    cells: list[Step | None]

    @property
    def in_all(self) -> bool:
        return all(cell is not None for cell in self.cells)

    @property
    def present(self) -> int:
        return sum(cell is not None for cell in self.cells)


def match_activities(
    structures: Sequence[ProcessStructure | None],
    metrics: Sequence[Mapping[str, ActivityMetric]] | None = None,
    *,
    primary: int = 0,
) -> list[ActivityRow]:
    """Match the activities of several models (one per authority, in order; ``None`` for an authority
    without a model) into rows.

    First by normalised name (an unnamed activity by its id; the second activity of the same name in
    one model is a different row from the first). Then rows that no authority shares are merged when
    they share an element id — a variant that renamed a step of the reference model keeps its id.
    Rows come in the flow order of the ``primary`` model (e.g. the reference model), then of the others
    in turn, and are labelled with the name in the first model that has them in this order.
    """
    width = len(structures)
    metrics = metrics or [{} for _ in structures]
    rows: dict[str, ActivityRow] = {}
    order = [primary, *(i for i in range(width) if i != primary)] if 0 <= primary < width else range(width)
    for index in order:
        structure = structures[index]
        if structure is None:
            continue
        occurrences: dict[str, int] = {}
        for node in (n for n in ordered_steps(structure) if n.is_activity):
            base = normalise_name(node.name) or f"#{node.id}"
            occurrences[base] = occurrences.get(base, 0) + 1
            key = base if occurrences[base] == 1 else f"{base} ({occurrences[base]})"
            row = rows.get(key)
            if row is None:
                row = rows[key] = ActivityRow(key=key, label=node.label, cells=[None] * width)
            row.cells[index] = Step(node=node, metric=metrics[index].get(node.id))
    return _merge_by_id(list(rows.values()))


def _merge_by_id(rows: list[ActivityRow]) -> list[ActivityRow]:
    merged: list[ActivityRow] = []
    for row in rows:
        ids = {cell.node.id for cell in row.cells if cell is not None}
        for target in merged:
            disjoint = all(a is None or b is None for a, b in zip(target.cells, row.cells, strict=True))
            if disjoint and ids & {cell.node.id for cell in target.cells if cell is not None}:
                target.cells = [a or b for a, b in zip(target.cells, row.cells, strict=True)]
                break
        else:
            merged.append(row)
    return merged


@dataclass(frozen=True)
class VersionInUse:
    """The process version an authority uses for a service, and why that one."""

    version: ProcessVersion | None
    source: VersionSource

    @property
    def source_label(self) -> str:
        return str(SOURCE_LABELS[self.source])

    @property
    def structure(self) -> ProcessStructure | None:
        return self.version.parsed if self.version is not None else None


@dataclass(frozen=True)
class AuthorityColumn:
    """One authority in the comparison: its model and the figures of its cases."""

    authority: Authority
    version: VersionInUse
    cases: CaseMetric
    lanes: list[str] = field(default_factory=list)
    activity_count: int = 0
    media_breaks: list[Node] = field(default_factory=list)
    handovers: list[Node] = field(default_factory=list)
    steps: list[Node] = field(default_factory=list)  # the activities in flow order

    @property
    def case_lead_label(self) -> str:
        return format_duration(self.cases.median_lead)

    @property
    def media_break_labels(self) -> list[tuple[Node, str]]:
        return [(node, str(MEDIUM_LABELS.get(node.medium, node.medium))) for node in self.media_breaks]


def summarise(
    authority: Authority, version: VersionInUse, cases: CaseMetric | None = None
) -> AuthorityColumn:
    """The structural figures of one authority's model."""
    structure = version.structure
    cases = cases or CaseMetric(authority_id=authority.pk, cases=0, finished=0, median_lead=None)
    if structure is None:
        return AuthorityColumn(authority=authority, version=version, cases=cases)
    return AuthorityColumn(
        authority=authority,
        version=version,
        cases=cases,
        lanes=list(structure.lanes),
        activity_count=len(structure.activities),
        media_breaks=structure.media_breaks,
        handovers=structure.handovers,
        steps=[node for node in ordered_steps(structure) if node.is_activity],
    )


@dataclass(frozen=True)
class Comparison:
    """A service as the chosen authorities run it."""

    service: Service
    columns: list[AuthorityColumn]
    rows: list[ActivityRow]
    metrics: dict[int, dict[str, ActivityMetric]] = field(default_factory=dict)

    @property
    def authorities(self) -> list[Authority]:
        return [column.authority for column in self.columns]

    @property
    def common(self) -> list[ActivityRow]:
        return [row for row in self.rows if row.in_all]

    @property
    def differing(self) -> list[ActivityRow]:
        """Activities that only some of the authorities' models have."""
        return [row for row in self.rows if not row.in_all]


def heat_levels(values: Mapping[str, float | None], *, levels: int = HEAT_LEVELS) -> dict[str, int]:
    """A level 0 … ``levels - 1`` per key by the quantile of its value among all values (equal values,
    equal level); keys without a value get none."""
    known = sorted(v for v in values.values() if v is not None)
    result: dict[str, int] = {}
    for key, value in values.items():
        if value is None:
            continue
        below = sum(1 for v in known if v < value)
        result[key] = min(levels - 1, below * levels // len(known))
    return result


def waiting_heat(structure: ProcessStructure, metrics: Mapping[str, ActivityMetric]) -> dict[str, int]:
    """The heat level of every activity of ``structure`` with figures: its median waiting time's
    quantile among the activities (0 = shortest, 4 = longest)."""
    return heat_levels(
        {node.id: metrics[node.id].median_waiting for node in structure.activities if node.id in metrics}
    )


def heat_legend(structure: ProcessStructure, metrics: Mapping[str, ActivityMetric]) -> list[str]:
    """Per heat level, the range of median waiting times it stands for ("1,0 Std. – 2,5 Std.")."""
    levels = waiting_heat(structure, metrics)
    legend = []
    for level in range(HEAT_LEVELS):
        values = sorted(
            v for k, lv in levels.items() if lv == level and (v := metrics[k].median_waiting) is not None
        )
        if not values:
            legend.append("–")
        elif values[0] == values[-1]:
            legend.append(format_duration(values[0]))
        else:
            legend.append(f"{format_duration(values[0])} – {format_duration(values[-1])}")
    return legend


def heat_markers(structure: ProcessStructure, metrics: Mapping[str, ActivityMetric]) -> dict[str, object]:
    """Markers for the viewer: the median waiting time of every activity of ``structure`` as a heat
    level with its label (``{"heat": {bpmn_id: {"level": 0-4, "label": "2,5 Tage"}}}``)."""
    return {
        "heat": {
            bpmn_id: {"level": level, "label": format_duration(metrics[bpmn_id].median_waiting)}
            for bpmn_id, level in waiting_heat(structure, metrics).items()
        }
    }


# --- loading -------------------------------------------------------------------------------------


def comparable_authorities(
    user: access.Actor, *, alliance_of: Authority | None = None
) -> QuerySet[Authority]:
    """The authorities whose process figures ``user`` may compare: every authority of the alliances
    of the authorities ``user`` works for (only that of ``alliance_of``, when given)."""
    if alliance_of is not None:
        if not access.can_access(user, alliance_of):
            return Authority.objects.none()
        if alliance_of.alliance_id is None:
            return Authority.objects.filter(pk=alliance_of.pk)
        return Authority.objects.filter(alliance_id=alliance_of.alliance_id).order_by("name")
    own = access.authorities_for(user)
    alliances = own.exclude(alliance__isnull=True).values("alliance_id")
    return Authority.objects.filter(Q(alliance_id__in=alliances) | Q(pk__in=own.values("pk"))).order_by(
        "name"
    )


def comparable_services(authorities: QuerySet[Authority]) -> QuerySet[Service]:
    """Services with a process model of the alliance (a reference model or a variant of ``authorities``)."""
    with_process = ProcessDefinition.objects.filter(Q(authority__isnull=True) | Q(authority__in=authorities))
    return Service.objects.filter(pk__in=with_process.values("service_id")).order_by("name")


def versions_in_use(*, service: Service, authorities: Iterable[Authority]) -> dict[int, VersionInUse]:
    """Per authority id: the version it uses for ``service`` — its published variant, else the
    published reference model, else the newest version of its variant, else that of the reference."""
    authorities = list(authorities)
    versions = (
        ProcessVersion.objects.filter(definition__service=service)
        .filter(Q(definition__authority__isnull=True) | Q(definition__authority__in=authorities))
        .select_related("definition")
        .order_by("-number")
    )
    published: dict[int | None, ProcessVersion] = {}
    latest: dict[int | None, ProcessVersion] = {}
    for version in versions:
        owner = version.definition.authority_id
        latest.setdefault(owner, version)
        if version.status == ProcessVersion.Status.PUBLISHED:
            published[owner] = version
    result: dict[int, VersionInUse] = {}
    for authority in authorities:
        if authority.pk in published:
            result[authority.pk] = VersionInUse(published[authority.pk], "variant")
        elif None in published:
            result[authority.pk] = VersionInUse(published[None], "reference")
        elif authority.pk in latest:
            result[authority.pk] = VersionInUse(latest[authority.pk], "latest_variant")
        elif None in latest:
            result[authority.pk] = VersionInUse(latest[None], "latest_reference")
        else:
            result[authority.pk] = VersionInUse(None, "none")
    return result


def compare(*, service: Service, authorities: Sequence[Authority]) -> Comparison:
    """Compare how ``authorities`` (in this order) run ``service``: models, matched activities and the
    figures of their cases. The caller has checked that the user may see these authorities."""
    authorities = list(dict.fromkeys(authorities))
    in_use = versions_in_use(service=service, authorities=authorities)
    activities = activity_metrics(service=service, authorities=authorities)
    cases = case_metrics(service=service, authorities=authorities)
    # Name and order the rows after the reference model, if an authority uses it.
    sources = [in_use[a.pk].source for a in authorities]
    primary = next((i for i, source in enumerate(sources) if source in ("reference", "latest_reference")), 0)
    rows = match_activities(
        [in_use[a.pk].structure for a in authorities],
        [activities[a.pk] for a in authorities],
        primary=primary,
    )
    columns = [summarise(a, in_use[a.pk], cases[a.pk]) for a in authorities]
    return Comparison(service=service, columns=columns, rows=rows, metrics=activities)
