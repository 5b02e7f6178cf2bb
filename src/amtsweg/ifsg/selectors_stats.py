"""Statistics of the instruction for the health office: certificates per month and language, quiz pass
rates, the items that fail most often, revocations.

Every figure is one aggregate query over rows scoped through ``tenancy.access`` (about six queries in
all, whatever the volume). The period is the twelve calendar months up to the chosen month (default:
the current one); with a month filter every figure except the monthly series covers only that month.
A language filter applies to everything.
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass, field
from datetime import date, datetime, time

from django.db.models import Avg, Count, Q, QuerySet
from django.db.models.functions import TruncMonth
from django.utils import timezone

from amtsweg.identity.models import User
from amtsweg.notices.models import Notice
from amtsweg.tenancy import access

from . import languages
from .models import Certificate, ItemResult, Programme, Question, QuizAttempt

MONTHS = 12
MIN_ANSWERS = 10  # below this an item's share of wrong answers says nothing
TOP_ITEMS = 10


@dataclass(frozen=True)
class Period:
    """Half-open interval [start, end) in local time, and the months of the monthly series."""

    start: datetime
    end: datetime
    months: list[date]
    month: date | None  # the month filter, if any


@dataclass(frozen=True)
class LanguageFigures:
    code: str
    name: str
    certificates: int = 0
    first_attempts: int = 0
    first_passed: int = 0
    attempts: int = 0
    passed: int = 0
    average_attempts_to_pass: float | None = None

    @property
    def first_pass_rate(self) -> float | None:
        return self.first_passed / self.first_attempts if self.first_attempts else None

    @property
    def pass_rate(self) -> float | None:
        return self.passed / self.attempts if self.attempts else None


@dataclass(frozen=True)
class FailingItem:
    question_id: int
    number: int
    text: str  # German question text
    active: bool
    answers: int
    wrong: int

    @property
    def share_wrong(self) -> float:
        return self.wrong / self.answers


@dataclass(frozen=True)
class Statistics:
    period: Period
    language: str | None
    per_month: list[tuple[date, int]]
    per_language: list[LanguageFigures]
    total: LanguageFigures  # all languages together (``code`` is "")
    failing_items: list[FailingItem]
    revoked: int
    min_answers: int = MIN_ANSWERS
    certificates: int = field(default=0)


def _month_start(day: date) -> date:
    return day.replace(day=1)


def _add_months(day: date, months: int) -> date:
    index = day.year * 12 + day.month - 1 + months
    return date(index // 12, index % 12 + 1, 1)


def _aware(day: date) -> datetime:
    return timezone.make_aware(datetime.combine(day, time.min))  # in the current (local) time zone


def period_for(month: date | None = None, *, today: date | None = None) -> Period:
    """The period of the statistics: ``month`` alone if given, else the twelve months up to today's."""
    today = today or timezone.localdate()
    last = _month_start(month or today)
    first = _add_months(last, -(MONTHS - 1))
    months = [_add_months(first, n) for n in range(MONTHS)]
    start = _aware(last if month else first)
    return Period(start=start, end=_aware(_add_months(last, 1)), months=months, month=month)


def _certificates(programme: Programme, user: User, language: str | None) -> QuerySet[Certificate]:
    rows = access.scope(Certificate.objects.filter(authority_id=programme.authority_id), user)
    return rows.filter(language=language) if language else rows


def statistics(
    *,
    programme: Programme,
    user: User,
    month: date | None = None,
    language: str | None = None,
    today: date | None = None,
) -> Statistics:
    """The figures of ``programme`` that ``user`` may read (nothing for another authority's staff)."""
    period = period_for(month, today=today)
    in_period = Q(issued_at__gte=period.start, issued_at__lt=period.end)
    certificates = _certificates(programme, user, language)

    series_start = _aware(period.months[0])
    monthly = dict(
        certificates.filter(issued_at__gte=series_start, issued_at__lt=period.end)
        .order_by()
        .annotate(month=TruncMonth("issued_at", tzinfo=timezone.get_current_timezone()))
        .values_list("month")
        .annotate(n=Count("pk"))
        .values_list("month", "n")
    )
    per_month_counts = {
        (key.date() if isinstance(key, datetime) else key): count for key, count in monthly.items()
    }
    per_month = [(month_start, per_month_counts.get(month_start, 0)) for month_start in period.months]

    certificate_counts = dict(
        certificates.filter(in_period)
        .order_by()
        .values_list("language")
        .annotate(n=Count("pk"))
        .values_list("language", "n")
    )
    revoked = certificates.filter(in_period, notice__status=Notice.Status.REVOKED).count()

    attempts = access.scope(
        QuizAttempt.objects.filter(
            instruction__programme=programme,
            submitted_at__gte=period.start,
            submitted_at__lt=period.end,
            passed__isnull=False,
        ),
        user,
        via="instruction__authority",
    )
    if language:
        attempts = attempts.filter(instruction__language=language)
    attempt_rows = (
        attempts.order_by()
        .values_list("instruction__language")
        .annotate(
            first=Count("pk", filter=Q(number=1)),
            first_passed=Count("pk", filter=Q(number=1, passed=True)),
            all=Count("pk"),
            all_passed=Count("pk", filter=Q(passed=True)),
            # One passed attempt per instruction: its number is the attempts the person needed.
            to_pass=Avg("number", filter=Q(passed=True)),
        )
        .values_list("instruction__language", "first", "first_passed", "all", "all_passed", "to_pass")
    )
    by_language = {row[0]: row[1:] for row in attempt_rows}
    overall = attempts.aggregate(to_pass=Avg("number", filter=Q(passed=True)))

    per_language = []
    for lang in languages.LANGUAGES:
        counts = by_language.get(lang.code)
        if not counts and lang.code not in certificate_counts:
            continue
        first, first_passed, all_attempts, all_passed, to_pass = counts or (0, 0, 0, 0, None)
        per_language.append(
            LanguageFigures(
                code=lang.code,
                name=str(lang.name),
                certificates=certificate_counts.get(lang.code, 0),
                first_attempts=first,
                first_passed=first_passed,
                attempts=all_attempts,
                passed=all_passed,
                average_attempts_to_pass=float(to_pass) if to_pass is not None else None,
            )
        )
    total = LanguageFigures(
        code="",
        name="",
        certificates=sum(certificate_counts.values()),
        first_attempts=sum(f.first_attempts for f in per_language),
        first_passed=sum(f.first_passed for f in per_language),
        attempts=sum(f.attempts for f in per_language),
        passed=sum(f.passed for f in per_language),
        average_attempts_to_pass=float(overall["to_pass"]) if overall["to_pass"] is not None else None,
    )
    return Statistics(
        period=period,
        language=language,
        per_month=per_month,
        per_language=per_language,
        total=total,
        failing_items=failing_items(programme=programme, user=user, period=period, language=language),
        revoked=revoked,
        certificates=total.certificates,
    )


def failing_items(
    *, programme: Programme, user: User, period: Period, language: str | None = None, limit: int = TOP_ITEMS
) -> list[FailingItem]:
    """The items answered wrongly most often (share of wrong answers, then count), among items with at
    least :data:`MIN_ANSWERS` answers in the period; inactive questions count too."""
    results = access.scope(
        ItemResult.objects.filter(
            question__programme=programme, answered_at__gte=period.start, answered_at__lt=period.end
        ),
        user,
    )
    if language:
        results = results.filter(language=language)
    grouped = list(
        results.order_by()
        .values("question")
        .annotate(answers=Count("pk"), wrong=Count("pk", filter=Q(correct=False)))
        .filter(answers__gte=MIN_ANSWERS, wrong__gt=0)
        .values_list("question", "answers", "wrong")
    )
    # Ratios compared in integers (wrong_a * answers_b vs wrong_b * answers_a) would need a join in
    # SQL; the grouped rows are at most the size of the pool, so they are ordered here.
    grouped.sort(key=lambda row: (-row[2] / row[1], -row[1], row[0]))
    top = grouped[:limit]
    questions = Question.objects.filter(pk__in=[row[0] for row in top]).in_bulk()
    return [
        FailingItem(
            question_id=pk,
            number=questions[pk].number,
            text=questions[pk].text_in("de"),
            active=questions[pk].active,
            answers=answers,
            wrong=wrong,
        )
        for pk, answers, wrong in top
    ]


def _rate(value: float | None) -> str:
    return "" if value is None else f"{value:.4f}"


def _cell(value: object) -> str:
    text = str(value)
    # Spreadsheets run cells starting with these as formulas (CSV injection).
    return f"'{text}" if text[:1] in ("=", "+", "-", "@", "\t", "\r") else text


def statistics_csv(stats: Statistics) -> str:
    """The statistics as one CSV table (semicolon-separated, as German spreadsheets expect)."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, delimiter=";", lineterminator="\r\n")
    writer.writerow(["bereich", "schluessel", "anzahl", "bestanden", "quote", "durchschnitt", "text"])
    for month_start, count in stats.per_month:
        writer.writerow(["bescheinigungen_monat", month_start.strftime("%Y-%m"), count, "", "", "", ""])
    for figures in stats.per_language:
        writer.writerow(
            ["bescheinigungen_sprache", figures.code, figures.certificates, "", "", "", figures.name]
        )
        writer.writerow(
            [
                "erster_versuch",
                figures.code,
                figures.first_attempts,
                figures.first_passed,
                _rate(figures.first_pass_rate),
                "",
                "",
            ]
        )
        writer.writerow(
            [
                "alle_versuche",
                figures.code,
                figures.attempts,
                figures.passed,
                _rate(figures.pass_rate),
                _rate(figures.average_attempts_to_pass),
                "",
            ]
        )
    writer.writerow(["widerrufen", "", stats.revoked, "", "", "", ""])
    for item in stats.failing_items:
        writer.writerow(
            [
                "fehlerhafte_frage",
                item.number,
                item.answers,
                item.answers - item.wrong,
                _rate(item.share_wrong),
                "",
                _cell(item.text),
            ]
        )
    return buffer.getvalue()
