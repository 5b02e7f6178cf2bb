"""Reads of the capture part: the queue and the progress figures per town and per batch."""

from __future__ import annotations

from dataclasses import dataclass, field

from django.db.models import Count, OuterRef, QuerySet, Subquery, Sum
from django.db.models.functions import Coalesce

from amtsweg.tenancy.models import Authority

from .models import Register, ScanBatch, ScanFile

STATUSES = [s.value for s in ScanFile.Status]


@dataclass
class ProgressRow:
    """Files, pages and files per status of one town (or batch); percentages of all files."""

    label: str
    key: str
    files: int = 0
    pages: int = 0
    by_status: dict[str, int] = field(default_factory=lambda: dict.fromkeys(STATUSES, 0))

    def add(self, status: str, files: int, pages: int) -> None:
        self.files += files
        self.pages += pages
        self.by_status[status] = self.by_status.get(status, 0) + files

    def _percent(self, count: int) -> float | None:
        return round(100.0 * count / self.files, 1) if self.files else None

    @property
    def indexed_total(self) -> int:
        """Indexed at least once and not sent back: waiting for the check, or checked."""
        return self.by_status["indexed"] + self.by_status["checked"]

    @property
    def ocr_total(self) -> int:
        """Text recognised or past that step (everything but waiting and failed)."""
        return self.files - self.by_status["uploaded"] - self.by_status["ocr_failed"]

    @property
    def percent_ocr(self) -> float | None:
        return self._percent(self.ocr_total)

    @property
    def percent_indexed(self) -> float | None:
        return self._percent(self.indexed_total)

    @property
    def percent_checked(self) -> float | None:
        return self._percent(self.by_status["checked"])


def scans_of(register: Register) -> QuerySet[ScanFile]:
    return ScanFile.objects.filter(batch__register=register)


def progress_by_town(register: Register, scans: QuerySet[ScanFile]) -> list[ProgressRow]:
    """One row per town of the register's area (also those without scans), then "not yet
    assigned", then the total. A scan counts for the town of the Gemarkung of its first parcel."""
    through = ScanFile.parcels.through
    first_town = Subquery(
        through.objects.filter(scanfile=OuterRef("pk")).order_by("pk").values("parcel__gemarkung__town")[:1]
    )
    grouped = (
        scans.annotate(town=first_town)
        .values("town", "status")
        .annotate(files=Count("pk"), page_sum=Coalesce(Sum("pages"), 0))
        .order_by()
    )
    towns = Authority.objects.filter(baulasten_area__register=register).order_by("name")
    rows = {town.pk: ProgressRow(label=town.name, key=town.ags) for town in towns}
    unassigned = ProgressRow(label="", key="")
    total = ProgressRow(label="", key="total")
    for row in grouped:
        target = rows.get(row["town"], unassigned)
        target.add(row["status"], row["files"], row["page_sum"])
        total.add(row["status"], row["files"], row["page_sum"])
    return [*rows.values(), unassigned, total]


def progress_by_batch(scans: QuerySet[ScanFile], *, limit: int = 200) -> list[ProgressRow]:
    grouped = (
        scans.values("batch", "status")
        .annotate(files=Count("pk"), page_sum=Coalesce(Sum("pages"), 0))
        .order_by()
    )
    batches = {
        b.pk: ProgressRow(label=str(b), key=str(b.pk))
        for b in ScanBatch.objects.filter(pk__in=scans.values("batch")).order_by("-created_at")[:limit]
    }
    for row in grouped:
        if row["batch"] in batches:
            batches[row["batch"]].add(row["status"], row["files"], row["page_sum"])
    return list(batches.values())
