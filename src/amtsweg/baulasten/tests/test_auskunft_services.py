"""The online Auskunft's services: intake, the submission check, fees, the decision and the notice."""

from __future__ import annotations

import subprocess
from datetime import date
from typing import Any

import pytest

from amtsweg.cases.models import Case, Phase
from amtsweg.core.problems import Problem
from amtsweg.notices.models import Notice
from amtsweg.outbox.testing import deliver_due_messages
from amtsweg.payments.models import Payment, PaymentEvent
from amtsweg.payments.services import payment_transition
from amtsweg.processes.models import ProcessInstance, ProcessTask
from amtsweg.processes.services import process_task_complete
from amtsweg.testing import World

from ..models import AuskunftParcel, AuskunftRequest, BaulastKind
from ..services_auskunft import auskunft_decide, auskunft_fee_preview, auskunft_intake, suggested_fee_cents
from .factories import BaulastenSetup, baulasten_setup, make_entry
from .factories_auskunft import (
    DORMAGEN_45,
    GRIMLINGHAUSEN_12,
    JUECHEN_8,
    NEUSS_119_2,
    NEUSS_200,
    AuskunftSetup,
    auskunft_draft,
    auskunft_file,
    auskunft_of,
    auskunft_setup,
    decision_task,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def bs(world: World) -> BaulastenSetup:
    return baulasten_setup(world)


@pytest.fixture
def au(world: World, bs: BaulastenSetup) -> AuskunftSetup:
    return auskunft_setup(world, bs)


def _pay(case: Case) -> Payment:
    payment = Payment.objects.get(case=case)
    payment_transition(
        payment=payment, to=Payment.Status.PAID, source=PaymentEvent.Source.BANK, external_id="b"
    )
    while deliver_due_messages():  # payment.paid → the process issues the notice → notice.render
        pass
    return payment


def _pdf_text(notice: Notice) -> str:
    assert notice.document is not None
    with notice.document.file.open("rb") as handle:
        data = handle.read()
    done = subprocess.run(["pdftotext", "-", "-"], input=data, capture_output=True, check=True)
    return str(done.stdout.decode())


# --- intake -------------------------------------------------------------------------------------------


def test_intake_resolves_parcels_and_looks_them_up(world: World, au: AuskunftSetup) -> None:
    case = auskunft_file(citizen=world.citizen, authority=world.neuss, parcels=[NEUSS_119_2, NEUSS_200])
    request = auskunft_of(case)
    assert request.register == au.base.neuss_register
    assert request.source == AuskunftRequest.Source.PORTAL
    assert request.interest_category == "eigentuemer"
    assert request.decision == AuskunftRequest.Decision.PENDING
    rows = list(request.parcels.order_by("position"))
    assert [(r.kennzeichen, r.result, r.entries_found) for r in rows] == [
        ("053359003001190002__", AuskunftParcel.Result.ENTRIES, 2),
        ("05335900700200______", AuskunftParcel.Result.NO_ENTRY, 0),
    ]
    assert rows[0].parcel is not None and rows[1].parcel is not None
    assert decision_task(case) is not None  # waiting for the caseworker


def test_intake_is_idempotent(world: World, au: AuskunftSetup) -> None:
    case = auskunft_file(citizen=world.citizen, authority=world.neuss, parcels=[NEUSS_119_2])
    first = auskunft_of(case)
    again = auskunft_intake(case=case)
    assert again.pk == first.pk
    assert AuskunftRequest.objects.filter(case=case).count() == 1
    assert AuskunftParcel.objects.filter(request=first).count() == 1


def test_api_channel_is_recorded_as_source(world: World, au: AuskunftSetup) -> None:
    case = auskunft_file(citizen=world.citizen, authority=world.neuss, parcels=[NEUSS_200], channel="api")
    assert auskunft_of(case).source == AuskunftRequest.Source.API


def test_parcel_without_flur_is_resolved_when_unique(world: World, au: AuskunftSetup) -> None:
    case = auskunft_file(citizen=world.citizen, authority=world.neuss, parcels=[("053359", None, "119/2")])
    row = auskunft_of(case).parcels.get()
    assert row.kennzeichen == "053359003001190002__"
    assert row.result == AuskunftParcel.Result.ENTRIES


# --- the submission check -----------------------------------------------------------------------------


def test_check_refuses_an_unknown_gemarkung(world: World, au: AuskunftSetup) -> None:
    # Allrath (3214) is offered by the form but not set up in this register landscape
    draft = auskunft_draft(
        citizen=world.citizen, authority=world.neuss, parcels=[NEUSS_200, ("053214", 1, "5")]
    )
    from amtsweg.cases.services import submission_submit
    from amtsweg.testing import EID_LOGIN

    with pytest.raises(Problem) as caught:
        submission_submit(draft=draft, actor=world.citizen, channel="web", assurance=EID_LOGIN)
    assert caught.value.status_code == 422
    assert caught.value.code == "baulasten-parcel-invalid"
    assert caught.value.extra["position"] == 2
    assert not Case.objects.exists()


@pytest.mark.parametrize(
    ("gemarkung", "number", "part"), [("993359", "5", "land"), ("053359", "0", "zaehler")]
)
def test_check_refuses_an_invalid_parcel(
    world: World, au: AuskunftSetup, gemarkung: str, number: str, part: str
) -> None:
    # Answers that the form would refuse, as another client (bulk, XBau) could put them in a draft
    from ..checks import auskunft_submission_check

    draft = auskunft_draft(citizen=world.citizen, authority=world.neuss, parcels=[NEUSS_200])
    draft.data["flurstuecke"] = [{"gemarkung": gemarkung, "flur": "1", "flurstueck": number}]
    with pytest.raises(Problem) as caught:
        auskunft_submission_check(draft)
    assert caught.value.code == "baulasten-parcel-invalid"
    assert caught.value.extra["position"] == 1
    assert "Flurstück 1" in caught.value.detail_de


def test_check_names_the_keeper_of_a_parcel_elsewhere(world: World, au: AuskunftSetup) -> None:
    draft = auskunft_draft(citizen=world.citizen, authority=world.neuss, parcels=[NEUSS_200, JUECHEN_8])
    from amtsweg.cases.services import submission_submit
    from amtsweg.testing import EID_LOGIN

    with pytest.raises(Problem) as caught:
        submission_submit(draft=draft, actor=world.citizen, channel="web", assurance=EID_LOGIN)
    problem = caught.value
    assert problem.status_code == 422
    assert problem.code == "baulasten-parcel-elsewhere"
    assert "Rhein-Kreis" in problem.detail_de or world.kreis.name in problem.detail_de
    assert problem.extra["keeper_ags"] == world.kreis.ags
    assert problem.extra["position"] == 2
    assert "Flurstück 8/1" in problem.detail_de
    assert not Case.objects.exists()


def test_kreis_keeps_the_register_for_juechen(world: World, au: AuskunftSetup) -> None:
    case = auskunft_file(citizen=world.citizen, authority=world.kreis, parcels=[JUECHEN_8])
    request = auskunft_of(case)
    assert request.register == au.base.kreis_register
    assert request.authority == world.kreis
    row = request.parcels.get()
    assert row.result == AuskunftParcel.Result.ENTRIES and row.entries_found == 1
    # Jüchen itself keeps no register: a draft there is not even offered
    assert case.authority == world.kreis


def test_dormagen_parcel_at_neuss_is_refused(world: World, au: AuskunftSetup) -> None:
    draft = auskunft_draft(citizen=world.citizen, authority=world.neuss, parcels=[DORMAGEN_45])
    from amtsweg.cases.services import submission_submit
    from amtsweg.testing import EID_LOGIN

    with pytest.raises(Problem) as caught:
        submission_submit(draft=draft, actor=world.citizen, channel="web", assurance=EID_LOGIN)
    assert caught.value.code == "baulasten-parcel-elsewhere"
    assert "Dormagen" in caught.value.detail_de


# --- fees ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("entries", "cents"), [(0, 3000), (1, 5000), (2, 7500), (3, 10000), (5, 15000), (10, 15000)]
)
def test_suggested_fee(bs: BaulastenSetup, entries: int, cents: int) -> None:
    assert suggested_fee_cents(bs.neuss_register, entries) == cents


def _many_entries(bs: BaulastenSetup, count: int) -> None:
    for number in range(count):
        make_entry(
            register=bs.neuss_register,
            sheet=100 + number,
            number=1,
            kind=BaulastKind.OTHER,
            text=f"Baulast {number}",
            burdened=["05335900700200______"],
        )


@pytest.mark.parametrize(("count", "total"), [(0, 3000), (1, 5000), (3, 10000), (10, 15000)])
def test_fee_per_entry_count(world: World, au: AuskunftSetup, count: int, total: int) -> None:
    _many_entries(au.base, count)
    case = auskunft_file(citizen=world.citizen, authority=world.neuss, parcels=[NEUSS_200])
    request = auskunft_of(case)
    assert auskunft_fee_preview(request).total_cents == total
    decided = auskunft_decide(request=request, actor=au.base.bau_neuss, accepted=True, channel="web")
    assert decided.fee_cents == total
    assert Payment.objects.get(case=case).amount_cents == total


def test_mixed_parcels_and_override_inside_the_frame(world: World, au: AuskunftSetup) -> None:
    case = auskunft_file(
        citizen=world.citizen, authority=world.neuss, parcels=[NEUSS_119_2, NEUSS_200, GRIMLINGHAUSEN_12]
    )
    request = auskunft_of(case)
    preview = auskunft_fee_preview(request)
    assert [(r.result, r.fee_cents, r.editable) for r in preview.rows] == [
        ("entries", 7500, True),
        ("no_entry", 3000, False),
        ("no_entry", 3000, False),  # the only entry there is deleted
    ]
    decided = auskunft_decide(
        request=request, actor=au.base.bau_neuss, accepted=True, extract_fees={1: 12000}, channel="web"
    )
    assert decided.fee_cents == 12000 + 3000 + 3000
    assert [p.fee_cents for p in decided.parcels.order_by("position")] == [12000, 3000, 3000]
    payment = Payment.objects.get(case=case)
    assert payment.amount_cents == 18000
    assert decided.extract[0]["entries"][0]["sheet"] == 1
    assert {e["kind"] for e in decided.extract[0]["entries"]} == {"abstandsflaeche", "stellplatz"}
    assert decided.extract[2]["entries"] == []


@pytest.mark.parametrize("cents", [4999, 15001, 0])
def test_override_outside_the_frame_is_refused(world: World, au: AuskunftSetup, cents: int) -> None:
    case = auskunft_file(citizen=world.citizen, authority=world.neuss, parcels=[NEUSS_119_2])
    request = auskunft_of(case)
    with pytest.raises(Problem) as caught:
        auskunft_decide(
            request=request, actor=au.base.bau_neuss, accepted=True, extract_fees={1: cents}, channel="web"
        )
    assert caught.value.status_code == 422
    assert caught.value.code == "auskunft-fee-outside-frame"
    request.refresh_from_db()
    assert request.decision == AuskunftRequest.Decision.PENDING
    assert not Payment.objects.filter(case=case).exists()
    assert decision_task(case) is not None


def test_override_of_a_negative_certificate_is_refused(world: World, au: AuskunftSetup) -> None:
    case = auskunft_file(citizen=world.citizen, authority=world.neuss, parcels=[NEUSS_200])
    with pytest.raises(Problem) as caught:
        auskunft_decide(
            request=auskunft_of(case),
            actor=au.base.bau_neuss,
            accepted=True,
            extract_fees={1: 6000},
            channel="web",
        )
    assert caught.value.code == "auskunft-fee-not-extract"


# --- the decision -------------------------------------------------------------------------------------


def test_decide_twice_is_409(world: World, au: AuskunftSetup) -> None:
    case = auskunft_file(citizen=world.citizen, authority=world.neuss, parcels=[NEUSS_200])
    request = auskunft_of(case)
    auskunft_decide(request=request, actor=au.base.bau_neuss, accepted=True, channel="web")
    with pytest.raises(Problem) as caught:
        auskunft_decide(request=request, actor=au.base.bau_neuss, accepted=False, reason="x", channel="web")
    assert caught.value.status_code == 409
    assert Payment.objects.filter(case=case).count() == 1


def test_other_towns_staff_may_not_decide(world: World, au: AuskunftSetup) -> None:
    case = auskunft_file(citizen=world.citizen, authority=world.neuss, parcels=[NEUSS_200])
    with pytest.raises(Problem) as caught:
        auskunft_decide(request=auskunft_of(case), actor=au.base.bau_dormagen, accepted=True, channel="web")
    assert caught.value.status_code == 403


def test_refusal_needs_a_reason(world: World, au: AuskunftSetup) -> None:
    case = auskunft_file(citizen=world.citizen, authority=world.neuss, parcels=[NEUSS_200])
    with pytest.raises(Problem) as caught:
        auskunft_decide(
            request=auskunft_of(case), actor=au.base.bau_neuss, accepted=False, reason="  ", channel="web"
        )
    assert caught.value.code == "auskunft-reason-required"


def test_generic_task_form_cannot_decide(world: World, au: AuskunftSetup) -> None:
    case = auskunft_file(citizen=world.citizen, authority=world.neuss, parcels=[NEUSS_119_2])
    task = decision_task(case)
    assert task is not None
    with pytest.raises(Problem):
        process_task_complete(
            task=task,
            data={"interesse_anerkannt": True, "gebuehr_euro": "1.00"},
            actor=au.base.bau_neuss,
            channel="web",
        )
    task.refresh_from_db()
    assert task.state == ProcessTask.State.OPEN
    assert not Payment.objects.filter(case=case).exists()
    assert auskunft_of(case).decision == AuskunftRequest.Decision.PENDING


def test_refusal_gives_a_notice_with_the_reasons_and_no_payment(world: World, au: AuskunftSetup) -> None:
    case = auskunft_file(
        citizen=world.citizen,
        authority=world.neuss,
        parcels=[NEUSS_119_2],
        interest="sonstige",
        reason="Neugier",
    )
    reason = "Neugier ist kein berechtigtes Interesse; ein Bezug zum Grundstück ist nicht dargelegt."
    auskunft_decide(
        request=auskunft_of(case), actor=au.base.bau_neuss, accepted=False, reason=reason, channel="web"
    )
    deliver_due_messages()
    case.refresh_from_db()
    assert case.decision == "rejected"
    assert case.phase == Phase.CLOSED
    assert not Payment.objects.filter(case=case).exists()
    notice = Notice.objects.get(case=case)
    assert reason in notice.body
    assert notice.issued_by == au.base.bau_neuss
    assert notice.fee_lines == []
    text = _pdf_text(notice)
    assert "Neugier ist kein berechtigtes Interesse" in text
    assert "Abstandsfl" not in text  # a refusal shows nothing of the register
    assert ProcessInstance.objects.get(case=case).status == ProcessInstance.Status.COMPLETED


def test_accepted_request_is_paid_then_noticed_with_the_extract(world: World, au: AuskunftSetup) -> None:
    case = auskunft_file(citizen=world.citizen, authority=world.neuss, parcels=[NEUSS_119_2, NEUSS_200])
    auskunft_decide(request=auskunft_of(case), actor=au.base.bau_neuss, accepted=True, channel="web")
    deliver_due_messages()
    assert not Notice.objects.filter(case=case).exists()  # the notice waits for the fee
    payment = _pay(case)
    assert payment.amount_cents == 7500 + 3000
    case.refresh_from_db()
    assert case.decision == "granted"
    assert case.phase == Phase.CLOSED
    notice = Notice.objects.get(case=case)
    assert notice.issued_by == au.base.bau_neuss
    assert [line["amount"] for line in notice.fee_lines] == ["75.00", "30.00"]
    assert "keine Baulast eingetragen" in notice.body
    text = _pdf_text(notice)
    for expected in (
        "Auszug aus dem Baulastenverzeichnis der Stadt Neuss",
        "Gemarkung Neuss, Flur 3, Flurstück 119/2",
        "Abstandsflächenbaulast",
        "Stellplatzbaulast",
        "14.05.2019",
        "keine Baulast eingetragen",
        "Gemarkung Neuss, Flur 7, Flurstück 200",
    ):
        assert expected in text, expected
    assert world.citizen.postbox.filter(case=case, document=notice.document).exists()


def test_extract_is_the_state_at_the_decision(world: World, au: AuskunftSetup) -> None:
    case = auskunft_file(citizen=world.citizen, authority=world.neuss, parcels=[NEUSS_119_2])
    request = auskunft_decide(
        request=auskunft_of(case), actor=au.base.bau_neuss, accepted=True, channel="web"
    )
    au.base.parking.deleted_on = date(2026, 1, 2)
    au.base.parking.save()
    _pay(case)
    request.refresh_from_db()
    assert len(request.extract[0]["entries"]) == 2
    text = _pdf_text(Notice.objects.get(case=case))
    assert "Stellplatzbaulast" in text


def _unused(*_: Any) -> None:  # keep imports honest for mypy when tests are trimmed
    return None
