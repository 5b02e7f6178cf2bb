"""Statistics of the instruction for the health office, with exact numbers: certificates per month and
language, pass rates of first and of all attempts, attempts needed, failing items, revocations; the
month and language filters; a constant number of queries; the page, the CSV and the staff API."""

from __future__ import annotations

import csv
import io
from datetime import date, datetime, time, timedelta
from typing import Any

import pytest
from django.test import Client
from django.utils import timezone

from amtsweg.testing import World

from ..models import Question
from ..selectors_stats import MIN_ANSWERS, period_for, statistics, statistics_csv
from .factories import IfsgSetup, ifsg_setup
from .matrix_staff import attempts_for, certificate_for, instruction_for, item_results

pytestmark = pytest.mark.django_db


def _noon(day: date) -> datetime:
    return timezone.make_aware(datetime.combine(day, time(12)))


def _month(offset: int) -> date:
    today = timezone.localdate().replace(day=1)
    index = today.year * 12 + today.month - 1 + offset
    return date(index // 12, index % 12 + 1, 1)


@pytest.fixture
def data(world: World) -> dict[str, Any]:
    setup = ifsg_setup(world)
    programme, citizen = setup.programme, world.citizen
    now = timezone.now() - timedelta(minutes=1)
    last_month = _noon(_month(-1) + timedelta(days=14))
    long_ago = _noon(_month(-13) + timedelta(days=3))

    a = instruction_for(programme, citizen, language="de", at=now)
    attempts_a = attempts_for(a, [True], at=now)
    certificate_for(programme, citizen, language="de", issued_at=now, instruction=a, name="Anna Arslan")
    b = instruction_for(programme, citizen, language="de", at=now)
    attempts_for(b, [False, True], at=now)
    certificate_for(
        programme, citizen, language="de", issued_at=now, instruction=b, name="Bernd Berg", revoked=True
    )
    c = instruction_for(programme, citizen, language="de", at=now)
    attempts_for(c, [False], at=now)
    d = instruction_for(programme, citizen, language="ar", at=last_month)
    attempts_for(d, [False, False, True], at=last_month)
    certificate_for(
        programme, citizen, language="ar", issued_at=last_month, instruction=d, name="Dana Haddad"
    )
    e = instruction_for(programme, citizen, language="en", at=long_ago)
    attempts_for(e, [True], at=long_ago)
    certificate_for(programme, citizen, language="en", issued_at=long_ago, instruction=e, name="Emil Old")

    q = setup.questions
    item_results(attempts_a[0], q[0], correct=4, wrong=6, language="de", at=now)  # 10, 60 %
    item_results(attempts_a[0], q[1], correct=8, wrong=12, language="de", at=now)  # 20, 60 %
    item_results(attempts_a[0], q[2], correct=0, wrong=MIN_ANSWERS - 1, language="de", at=now)  # too few
    item_results(attempts_a[0], q[3], correct=10, wrong=0, language="de", at=now)  # never wrong
    item_results(attempts_a[0], q[4], correct=2, wrong=8, language="de", at=now)  # 80 %, then deactivated
    item_results(attempts_a[0], q[5], correct=0, wrong=10, language="de", at=long_ago)  # outside the period
    Question.objects.filter(pk=q[4].pk).update(active=False)
    return {"setup": setup, "world": world}


def test_the_figures_of_the_last_twelve_months(
    data: dict[str, Any], django_assert_max_num_queries: Any
) -> None:
    setup: IfsgSetup = data["setup"]
    with django_assert_max_num_queries(8):
        stats = statistics(programme=setup.programme, user=setup.caseworker)

    assert len(stats.per_month) == 12
    assert stats.per_month[-1] == (_month(0), 2)
    assert stats.per_month[-2] == (_month(-1), 1)
    assert sum(count for _month_, count in stats.per_month) == 3  # the one of 13 months ago is outside
    assert stats.certificates == 3
    assert stats.revoked == 1

    by_code = {f.code: f for f in stats.per_language}
    assert list(by_code) == ["de", "ar"]
    de, ar = by_code["de"], by_code["ar"]
    assert (de.certificates, de.first_attempts, de.first_passed, de.attempts, de.passed) == (2, 3, 1, 4, 2)
    assert de.first_pass_rate == pytest.approx(1 / 3)
    assert de.pass_rate == pytest.approx(0.5)
    assert de.average_attempts_to_pass == pytest.approx(1.5)
    assert (ar.certificates, ar.first_attempts, ar.first_passed, ar.attempts, ar.passed) == (1, 1, 0, 3, 1)
    assert ar.first_pass_rate == 0
    assert ar.average_attempts_to_pass == pytest.approx(3.0)
    total = stats.total
    assert (total.certificates, total.first_attempts, total.first_passed, total.attempts, total.passed) == (
        3,
        4,
        1,
        7,
        3,
    )
    assert total.average_attempts_to_pass == pytest.approx(2.0)

    q = setup.questions
    items = [(i.number, i.answers, i.wrong, i.active) for i in stats.failing_items]
    assert items == [(q[4].number, 10, 8, False), (q[1].number, 20, 12, True), (q[0].number, 10, 6, True)]
    assert stats.failing_items[0].text == q[4].texts["de"]["text"]
    assert stats.failing_items[0].share_wrong == pytest.approx(0.8)


def test_month_and_language_filters(data: dict[str, Any]) -> None:
    setup: IfsgSetup = data["setup"]
    last = statistics(programme=setup.programme, user=setup.caseworker, month=_month(-1))
    assert last.period.start == timezone.make_aware(datetime.combine(_month(-1), time.min))
    assert last.period.end == timezone.make_aware(datetime.combine(_month(0), time.min))
    assert last.per_month[-1] == (_month(-1), 1)  # the series ends with the chosen month
    assert (last.certificates, last.revoked) == (1, 0)
    assert [(f.code, f.attempts, f.passed) for f in last.per_language] == [("ar", 3, 1)]
    assert last.failing_items == []

    german = statistics(programme=setup.programme, user=setup.caseworker, language="de")
    assert (german.certificates, german.revoked) == (2, 1)
    assert [f.code for f in german.per_language] == ["de"]
    assert german.total.average_attempts_to_pass == pytest.approx(1.5)
    assert len(german.failing_items) == 3

    arabic = statistics(programme=setup.programme, user=setup.caseworker, language="ar")
    assert arabic.failing_items == []  # every answer was given in German


def test_another_towns_staff_get_no_figures(data: dict[str, Any]) -> None:
    setup: IfsgSetup = data["setup"]
    world: World = data["world"]
    stats = statistics(programme=setup.programme, user=world.caseworker_dormagen)
    assert stats.certificates == 0
    assert stats.per_language == []
    assert stats.failing_items == []


def test_period_for_a_january_reaches_back_into_the_previous_year() -> None:
    period = period_for(today=date(2026, 1, 20))
    assert period.months[0] == date(2025, 2, 1)
    assert period.months[-1] == date(2026, 1, 1)
    assert timezone.localtime(period.end).date() == date(2026, 2, 1)


def test_overview_page_csv_and_api(data: dict[str, Any]) -> None:
    setup: IfsgSetup = data["setup"]
    world: World = data["world"]
    client = Client()
    client.force_login(setup.caseworker)
    base = f"/backoffice/{world.kreis.ags}/infektionsschutz/"

    page = client.get(base)
    assert page.status_code == 200
    html = page.content.decode()
    assert "Bescheinigungen je Monat" in html
    assert q_text(setup, 4) in html  # the item failing most often, by its German text

    response = client.get(base + "statistik.csv?sprache=de")
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/csv")
    rows = list(csv.reader(io.StringIO(response.content.decode("utf-8-sig")), delimiter=";"))
    assert rows[0][:3] == ["bereich", "schluessel", "anzahl"]
    assert ["erster_versuch", "de", "3", "1", "0.3333", "", ""] in rows
    assert ["alle_versuche", "de", "4", "2", "0.5000", "1.5000", ""] in rows
    assert ["widerrufen", "", "1", "", "", "", ""] in rows
    assert not any(row[1] == "ar" for row in rows)

    body = client.get(f"/api/v1/ifsg/staff/{world.kreis.ags}/statistics/").json()
    assert body["certificates"] == 3 and body["revoked"] == 1
    assert body["per_month"][-1] == {"month": _month(0).strftime("%Y-%m"), "certificates": 2}
    assert body["total"]["average_attempts_to_pass"] == pytest.approx(2.0)
    assert [i["wrong"] for i in body["failing_items"]] == [8, 12, 6]
    bad = client.get(f"/api/v1/ifsg/staff/{world.kreis.ags}/statistics/?month=2026-13")
    assert bad.status_code == 400
    assert bad["Content-Type"].startswith("application/problem+json")


def q_text(setup: IfsgSetup, index: int) -> str:
    return str(setup.questions[index].texts["de"]["text"])


def test_csv_cells_cannot_become_formulas(data: dict[str, Any]) -> None:
    setup: IfsgSetup = data["setup"]
    question = setup.questions[4]
    question.texts["de"]["text"] = '=HYPERLINK("http://example.invalid")'
    question.save()
    text = statistics_csv(statistics(programme=setup.programme, user=setup.caseworker))
    assert "'=HYPERLINK" in text
