"""The generic application pages send an instruction's draft back into the instruction's own pages."""

from __future__ import annotations

import pytest
from django.test import Client

from amtsweg.forms.models import Draft
from amtsweg.payments.models import Payment
from amtsweg.payments.views import after_payment_url
from amtsweg.testing import World

from ..services import instruction_start
from .factories import ifsg_setup
from .test_portal_views import login

pytestmark = pytest.mark.django_db


def test_resuming_the_draft_and_returning_from_payment_lead_to_the_instruction(world: World) -> None:
    setup = ifsg_setup(world)
    instruction = instruction_start(
        programme=setup.programme, applicant=world.citizen, language="de", channel="web"
    )
    assert instruction.draft is not None
    client = login(Client(), world.citizen)
    response = client.get(f"/antraege/{instruction.draft.pk}/")
    assert response.status_code == 302
    assert response["Location"] == f"/infektionsschutz/{instruction.pk}/"
    payment = Payment(draft=instruction.draft)
    assert after_payment_url(payment) == f"/infektionsschutz/{instruction.pk}/"


def test_ordinary_drafts_are_not_redirected(world: World) -> None:
    from amtsweg.cases.tests.factories import make_draft

    draft: Draft = make_draft(world)
    assert after_payment_url(Payment(draft=draft)) == f"/antraege/{draft.pk}/pruefen/"


def test_applying_for_the_service_starts_the_instruction_not_the_generic_form(world: World) -> None:
    setup = ifsg_setup(world)
    client = login(Client(), world.citizen)
    response = client.get(f"/antraege/neu/{setup.service.leika_key}/?ags={world.neuss.ags}")
    assert response.status_code == 302
    assert response["Location"] == f"/infektionsschutz/?programm={setup.programme.pk}"
    assert not Draft.objects.exists()
    setup.programme.enabled = False  # switched off online: the generic page explains the service
    setup.programme.save(update_fields=["enabled"])
    assert client.get(f"/antraege/neu/{setup.service.leika_key}/?ags={world.neuss.ags}").status_code == 200
