"""Notice templates run in a sandbox: only the given values, no settings, no side effects, no includes."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from amtsweg.cases.models import Case
from amtsweg.cases.tests.factories import submit_case
from amtsweg.notices import sandbox
from amtsweg.testing import World

pytestmark = pytest.mark.django_db


@pytest.fixture
def case(world: World) -> Case:
    return submit_case(world)


def render(case: Case, source: str, fees: list[dict[str, Any]] | None = None) -> str:
    context = sandbox.notice_context(case=case, fees=fees or [], today=date(2026, 11, 24))
    return sandbox.render_text(source, context)


def test_the_documented_values_are_available(case: Case) -> None:
    text = render(
        case,
        "{{ case.reference }}|{{ case.service }}|{{ case.applicant_name }}|{{ data.given_name }}|"
        "{{ authority.name }}|{{ today|date:'d.m.Y' }}|{% for fee in fees %}{{ fee.amount }}{% endfor %}",
        fees=[{"label": "Gebühr", "amount": Decimal("10.00")}],
    )
    assert (
        text == f"{case.reference}|Meldebescheinigung Ausstellung|Clara Citizen|Clara|Neuss|24.11.2026|10,00"
    )


@pytest.mark.parametrize(
    "source",
    [
        "{{ settings.SECRET_KEY }}",
        "{{ case.applicant.password }}",
        "{{ case.authority.memberships.all }}",
        "{{ request.user }}",
        "{{ user.email }}",
        "{{ perms }}",
        "{{ case.submission.data }}",
        "{{ authority.memberships }}",
    ],
)
def test_nothing_outside_the_context_is_reachable(case: Case, source: str) -> None:
    assert render(case, source) == ""


@pytest.mark.parametrize(
    "source", ["{{ case.__class__ }}", "{{ data.__class__.__init__.__globals__ }}", "{{ case._meta }}"]
)
def test_private_attributes_do_not_even_compile(source: str) -> None:
    with pytest.raises(sandbox.TemplateError, match="underscore"):
        sandbox.check_template(source)


@pytest.mark.parametrize(
    "tag",
    [
        "load i18n",
        "include 'portal/base.html'",
        "extends 'portal/base.html'",
        "debug",
        "url 'portal:home'",
        "csrf_token",
        "ssi '/etc/passwd'",
        "load static",
    ],
)
def test_tags_that_reach_outside_are_not_available(case: Case, tag: str) -> None:
    with pytest.raises(sandbox.TemplateError):
        sandbox.check_template("{% " + tag + " %}")


def test_methods_with_side_effects_cannot_be_called(case: Case) -> None:
    data = {"children": ["Anna", "Ben"], "address": {"city": "Neuss"}}
    case.submission.data = data  # type: ignore[union-attr]
    render(
        case,
        "{{ data.clear }}{{ data.children.pop }}{{ data.children.clear }}{{ data.address.popitem }}"
        "{{ data.children.reverse }}{{ data.children.sort }}{{ case.delete }}",
    )
    assert render(case, "{{ data.children|join:',' }} {{ data.address.city }}") == "Anna,Ben Neuss"
    assert data == {"children": ["Anna", "Ben"], "address": {"city": "Neuss"}}
    assert Case.objects.filter(pk=case.pk).exists()


def test_the_output_is_text_not_html(case: Case) -> None:
    case.submission.data = {"given_name": "<b>Eve</b> & Co"}  # type: ignore[union-attr]
    assert render(case, "{{ data.given_name }}") == "<b>Eve</b> & Co", "escaped later, where it becomes HTML"


def test_structural_tags_and_filters_work(case: Case) -> None:
    source = (
        "{% if data.copies > 1 %}mehrere{% else %}eine{% endif %} "
        "{% with n=data.copies %}{{ n|add:2 }}{% endwith %} {{ data.family_name|upper }}"
    )
    assert render(case, source) == "eine 3 CITIZEN"


def test_blank_lines_are_tidied(case: Case) -> None:
    assert render(case, "A   \n\n\n\n\nB\n") == "A\n\nB"


def test_an_overlong_result_is_refused(case: Case) -> None:
    with pytest.raises(sandbox.TemplateError, match="at most"):
        render(case, "{% for i in 'x'|rjust:'60000'|make_list %}x{% endfor %}")


@settings(max_examples=60, deadline=None)
@given(st.text(max_size=200))
def test_any_source_either_renders_or_raises_template_error(source: str) -> None:
    try:
        sandbox.check_template(source)
    except sandbox.TemplateError:
        return
    sandbox.render_text(
        source, {"case": {}, "data": {}, "authority": {}, "fees": (), "today": date(2026, 1, 1)}
    )


def test_date_answers_are_dates_and_a_handed_over_part_reads_the_handed_over_data(
    case: Case, world: World
) -> None:
    from amtsweg.cases.services import case_open
    from amtsweg.processes.models import Handover, ProcessTask

    assert sandbox.freeze({"am": "2026-11-20", "nr": "2026-11-20x"}) == {
        "am": date(2026, 11, 20),
        "nr": "2026-11-20x",
    }
    part = case_open(
        authority=world.kreis,
        service=world.kreis_service,
        applicant=case.applicant,
        title="Teil",
        channel="handover",
        actor=None,
    )
    task = ProcessTask.objects.create(
        case=case,
        authority=case.authority,
        service=case.service,
        bpmn_id="uebergabe",
        kind="handover",
        state="waiting",
        created_at=case.submitted_at,
    )
    Handover.objects.create(
        case=case,
        task=task,
        from_authority=case.authority,
        to_authority=world.kreis,
        subject="Teil",
        data={"einzugsdatum": "2026-11-20", "ort": "Neuss"},
        receiving_case=part,
        created_at=case.submitted_at,
    )
    assert render(part, '{{ data.ort }} ab {{ data.einzugsdatum|date:"d.m.Y" }}') == "Neuss ab 20.11.2026"
