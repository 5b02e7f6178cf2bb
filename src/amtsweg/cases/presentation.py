"""How the back office words a case's history and shows its submitted data (no queries here)."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from django.utils.translation import gettext as _

from amtsweg.forms.rendering import SummaryRow, summary_by_step
from amtsweg.forms.schema import FormSchema

from .models import CaseEvent, Document

if TYPE_CHECKING:
    from .selectors import CaseDetail


@dataclass(frozen=True)
class SummarySection:
    title: str
    rows: list[SummaryRow]


def summary_sections(
    schema: FormSchema, data: dict[str, Any], documents: Iterable[Document] = ()
) -> list[SummarySection]:
    """The submitted answers per visible form step, worded by the form engine (labels, dates, euros)."""
    names = {str(document.pk): document.filename for document in documents}
    return [
        SummarySection(str(step.title), rows)
        for step, rows in summary_by_step(schema, data, documents=names)
        if rows
    ]


def event_text(event: CaseEvent, detail: CaseDetail) -> str:
    """What a history entry says beyond its kind: status change, new assignee or team, comment."""
    parts: list[str] = []
    info = event.detail or {}
    if event.kind in (CaseEvent.Kind.STATUS, CaseEvent.Kind.DECIDED, CaseEvent.Kind.INFO_REQUESTED):
        before = detail.statuses.get(str(info.get("from", "")))
        after = detail.statuses.get(event.status)
        if after is not None:
            parts.append(
                _("von „%(before)s“ nach „%(after)s“")
                % {"before": before.label if before else info.get("from", "–"), "after": after.label}
                if before
                else _("nach „%(after)s“") % {"after": after.label}
            )
    if event.kind == CaseEvent.Kind.DECIDED and info.get("decision"):
        labels = {
            "granted": _("bewilligt"),
            "partially": _("teilweise bewilligt"),
            "rejected": _("abgelehnt"),
        }
        parts.append(labels.get(str(info["decision"]), str(info["decision"])))
    if "assignee" in info:
        assignee = info["assignee"]
        parts.append(
            _("an %(name)s") % {"name": detail.people.get(assignee, "–")}
            if assignee
            else _("Zuweisung aufgehoben")
        )
    if "team" in info:
        team = info["team"]
        parts.append(
            _("an Team %(name)s") % {"name": detail.teams.get(team, "–")} if team else _("ohne Team")
        )
    if event.kind == CaseEvent.Kind.HANDOVER:
        parts.extend(handover_text(info))
    if info.get("comment"):
        parts.append(f"„{info['comment']}“")
    return " – ".join(parts)


def handover_text(info: dict[str, Any]) -> list[str]:
    """A hand-over entry: to whom and under which reference, from whom, or how it was answered."""
    if info.get("to_name"):
        return [
            _("an %(name)s übergeben, dort Aktenzeichen %(reference)s")
            % {"name": info["to_name"], "reference": info.get("reference", "–")}
        ]
    if info.get("from_name"):
        return [
            _("Teil des Antrags %(reference)s von %(name)s")
            % {"name": info["from_name"], "reference": info.get("reference", "–")}
        ]
    answers = {"completed": _("erledigt"), "declined": _("abgelehnt"), "accepted": _("angenommen")}
    status = str(info.get("status", ""))
    return [answers[status]] if status in answers else []
