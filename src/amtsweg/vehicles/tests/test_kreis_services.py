"""The vehicle part at the Kreis: the message check, the register check per vehicle, recording
exactly once, refusing, the fee per recorded vehicle and the reply the town gets."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path
from typing import Any

import pytest

from amtsweg.cases.models import Case, Phase
from amtsweg.core.problems import Problem
from amtsweg.notices.models import Notice
from amtsweg.outbox.testing import deliver_due_messages
from amtsweg.payments.models import Fee, Payment, PaymentEvent
from amtsweg.payments.services import payment_transition
from amtsweg.payments.tests import factories as payment_factories
from amtsweg.processes.models import Handover, ProcessTask
from amtsweg.processes.services import process_task_complete
from amtsweg.tenancy.models import AuditEvent
from amtsweg.testing import World

from ..messages import InvalidMessage, json_schema_text, parse_message
from ..models import PlateReservation, RegisteredVehicle, VehicleChange
from ..registers import LocalVehicleRegister, RegisterRefused, get_register
from ..services import vehicle_change_record, vehicle_change_refuse
from .kreis_factories import hand_over, kreis_caseworker, message, publish_kreis_model, register

pytestmark = pytest.mark.django_db
ROOT = Path(__file__).resolve().parents[4]


@pytest.fixture
def kreis(world: World) -> Any:
    publish_kreis_model(world)
    payment_factories.account(world.kreis, prefix="RK")
    return kreis_caseworker(world)


def _changes(case: Case) -> dict[str, VehicleChange]:
    return {c.plate: c for c in VehicleChange.objects.filter(case=case)}


def _task(case: Case, bpmn_id: str) -> ProcessTask:
    return ProcessTask.objects.get(case=case, bpmn_id=bpmn_id, state="open")


# --- the message ---------------------------------------------------------------------------------


def test_the_schema_file_is_current() -> None:
    path = ROOT / "docs" / "schemas" / "kfz-adressaenderung.v1.json"
    assert path.read_text(encoding="utf-8") == json_schema_text(), (
        "regenerate: python -m amtsweg.vehicles.messages > docs/schemas/kfz-adressaenderung.v1.json"
    )
    schema = json.loads(path.read_text(encoding="utf-8"))
    assert schema["$id"].endswith("kfz-adressaenderung.v1.json")
    assert schema["additionalProperties"] is False
    assert "origin" in schema["required"] and "fahrzeuge" in schema["required"]


def test_a_valid_message_is_normalised() -> None:
    parsed = parse_message(message("ne ab 123", "D:XY 42E"))
    assert parsed.plates == ["NE-AB 123", "D-XY 42E"]
    assert parsed.geburtsdatum == dt.date(1990, 4, 1)
    assert parsed.origin.reference == "024-2026-000001"


@pytest.mark.parametrize(
    ("changes", "where"),
    [
        ({"fahrzeuge": []}, "fahrzeuge"),
        ({"fahrzeuge": [{"kennzeichen": "NEAB123"}]}, "fahrzeuge.0.kennzeichen"),
        ({"fahrzeuge": [{"kennzeichen": "NE-AB 1"}, {"kennzeichen": "ne ab 1"}]}, "fahrzeuge"),
        ({"neue_plz": "4146"}, "neue_plz"),
        ({"geburtsdatum": "01.04.1990"}, "geburtsdatum"),
        ({"aufkleber_zustellung": "abholung"}, "aufkleber_zustellung"),
        ({"haushaltsmitglieder": [{"familienname": "X"}]}, "haushaltsmitglieder"),  # never leaves the town
        ({"origin": {"authority_ags": "05162024"}}, "origin.authority_name"),
    ],
)
def test_an_invalid_message_says_what_is_wrong(changes: dict[str, Any], where: str) -> None:
    with pytest.raises(InvalidMessage) as caught:
        parse_message(message("NE-AB 1", **changes))
    assert any(line.startswith(where + ":") for line in caught.value.errors), caught.value.errors


def test_a_message_without_proof_of_registration_is_invalid() -> None:
    data = message("NE-AB 1")
    data["origin"] = {**data["origin"], "decision": "rejected"}
    with pytest.raises(InvalidMessage, match=r"origin\.decision"):
        parse_message(data)
    data.pop("origin")
    with pytest.raises(InvalidMessage, match="origin"):
        parse_message(data)


# --- the register adapter ------------------------------------------------------------------------


def test_the_configured_register_is_the_local_one_and_built_once(world: World) -> None:
    assert isinstance(get_register(), LocalVehicleRegister)
    assert get_register() is get_register()
    register("NE-AB 1")
    assert get_register().plate_issued("NE-AB 1")
    assert not get_register().plate_issued("NE-AB 2")
    entry = get_register().find("NE-AB 1")
    assert entry is not None and entry.in_district and entry.make == "VW"
    assert get_register().find("NE-AB 2") is None


def test_plate_issued_is_one_indexed_query(world: World, django_assert_num_queries: Any) -> None:
    register("GV-X 7")
    with django_assert_num_queries(1):
        assert get_register().plate_issued("GV-X 7")


def test_the_register_keeps_or_replaces_an_outside_plate(world: World, kreis: Any) -> None:
    register("D-XY 42")
    register("K-AB 9")
    register("NE-ZZ 99")
    moved = dt.date(2026, 5, 1)
    kept = get_register().change_address(
        plate="D-XY 42",
        street="Markt 2",
        postcode="41460",
        city="Neuss",
        moved_on=moved,
        keep_plate=True,
        actor=kreis,
    )
    assert (kept.plate, kept.district_prefix, kept.holder_city) == ("D-XY 42", "NE", "Neuss")
    with pytest.raises(RegisterRefused, match="new plate"):
        get_register().change_address(
            plate="K-AB 9",
            street="Markt 2",
            postcode="41460",
            city="Neuss",
            moved_on=moved,
            keep_plate=False,
            actor=kreis,
        )
    with pytest.raises(RegisterRefused, match="already issued"):
        get_register().change_address(
            plate="K-AB 9",
            street="Markt 2",
            postcode="41460",
            city="Neuss",
            moved_on=moved,
            keep_plate=False,
            new_plate="NE-ZZ 99",
            actor=kreis,
        )
    renamed = get_register().change_address(
        plate="K-AB 9",
        street="Markt 2",
        postcode="41460",
        city="Neuss",
        moved_on=moved,
        keep_plate=False,
        new_plate="GV-K 9",
        actor=kreis,
    )
    assert (renamed.plate, renamed.district_prefix) == ("GV-K 9", "GV")
    assert not RegisteredVehicle.objects.filter(plate="K-AB 9").exists()


# --- the process ---------------------------------------------------------------------------------


def test_each_vehicle_is_checked_against_the_register(world: World, kreis: Any) -> None:
    register("NE-AB 123")
    register("GV-X 7", holder_family_name="Andere", holder_birth_date=dt.date(1970, 1, 1))
    register("D-XY 42E")
    case = hand_over(world, message("NE-AB 123", "GV-X 7", "D-XY 42E", "NE-NO 1"))
    changes = _changes(case)
    assert {p: c.register_check for p, c in changes.items()} == {
        "NE-AB 123": "found",
        "GV-X 7": "holder_mismatch",
        "D-XY 42E": "other_district",
        "NE-NO 1": "not_found",
    }
    assert changes["GV-X 7"].check_detail["differences"] == ["familienname", "geburtsdatum"]
    assert "holder_family_name" not in json.dumps(changes["GV-X 7"].check_detail)
    assert [c.position for c in VehicleChange.objects.filter(case=case)] == [0, 1, 2, 3]
    team = _task(case, "Activity_Fahrzeuge").team
    assert team is not None and team.name == "Zulassungsstelle"
    assert _task(case, "Activity_Fahrzeuge").lane == "Zulassungsstelle"


def test_names_match_regardless_of_spelling(world: World, kreis: Any) -> None:
    register("NE-AB 1", holder_family_name="Müller-Lüdenscheidt", holder_given_names="Anna Maria")
    case = hand_over(world, message("NE-AB 1", familienname="MUELLER LUEDENSCHEIDT", vornamen="Maria"))
    assert _changes(case)["NE-AB 1"].register_check == "found"


def test_the_whole_part_records_charges_decides_and_answers_the_town(world: World, kreis: Any) -> None:
    register("NE-AB 123")
    register("D-XY 42E")
    case = hand_over(world, message("NE-AB 123", "D-XY 42E"))
    changes = _changes(case)
    # the task cannot be completed while a vehicle is open
    with pytest.raises(Problem, match="noch nicht alle Fahrzeuge"):
        process_task_complete(task=_task(case, "Activity_Fahrzeuge"), data={}, actor=kreis, channel="web")
    assert case.status == "eingegangen"
    vehicle_change_record(change=changes["NE-AB 123"], keep_plate=True, actor=kreis, channel="web")
    case.refresh_from_db()
    assert case.status == "in_bearbeitung"  # the applicant sees that work has started
    kept = vehicle_change_record(change=changes["D-XY 42E"], keep_plate=True, actor=kreis, channel="web")
    assert kept.outcome == "recorded" and kept.keep_plate
    row = RegisteredVehicle.objects.get(plate="D-XY 42E")
    assert (row.district_prefix, row.holder_street, row.holder_postcode) == ("NE", "Markt 2", "41460")
    assert AuditEvent.objects.filter(actor=kreis, object_type__icontains="vehiclechange").count() == 2

    process_task_complete(task=_task(case, "Activity_Fahrzeuge"), data={}, actor=kreis, channel="web")
    payment = Payment.objects.get(case=case)
    assert payment.amount_cents == 2 * 1280
    handover = Handover.objects.get(receiving_case=case)
    assert handover.reply_data == {
        "vehicles": [
            {"plate": "NE-AB 123", "outcome": "recorded"},
            {"plate": "D-XY 42E", "outcome": "recorded"},
        ],
        "aufkleber_buergerbuero": True,
        "reference": case.reference,
    }
    assert "Bürgerbüro" in handover.reply

    payment_transition(
        payment=payment, to=Payment.Status.PAID, source=PaymentEvent.Source.BANK, external_id="b"
    )
    deliver_due_messages(kinds=["payment.paid"])
    process_task_complete(task=_task(case, "Activity_Aufkleber"), data={}, actor=kreis, channel="web")
    case.refresh_from_db()
    assert case.decision == "granted" and case.phase == Phase.CLOSED
    notice = Notice.objects.get(case=case)
    assert notice.decision == "granted" and notice.subject == "Adressänderung eingetragen"
    assert "- D-XY 42E: Die neue Anschrift ist eingetragen; das bisherige Kennzeichen bleibt" in notice.body
    assert "Bürgerbüro der Meldebehörde Neuss" in notice.body
    deliver_due_messages(kinds=["processes.handover_return"])
    handover.refresh_from_db()
    assert handover.status == "completed"
    assert handover.reply_data["aufkleber_buergerbuero"] is True


def test_mismatch_not_found_and_a_new_plate_decide_partially(world: World, kreis: Any) -> None:
    register("GV-X 7", holder_family_name="Geborene")
    register("K-AB 9")
    case = hand_over(world, message("GV-X 7", "K-AB 9", "NE-NO 1", aufkleber_zustellung="post"))
    changes = _changes(case)
    with pytest.raises(Problem, match="checked the identity"):
        vehicle_change_record(change=changes["GV-X 7"], keep_plate=True, actor=kreis, channel="web")
    vehicle_change_record(
        change=changes["GV-X 7"], keep_plate=True, holder_verified=True, actor=kreis, channel="web"
    )
    with pytest.raises(Problem, match="not in the register"):
        vehicle_change_record(change=changes["NE-NO 1"], keep_plate=True, actor=kreis, channel="web")
    vehicle_change_refuse(change=changes["NE-NO 1"], reason="Nicht im Register", actor=kreis, channel="web")
    # Kennzeichenmitnahme declined: a new plate of this district, not issued, not reserved for others
    with pytest.raises(Problem, match="prefix of this district"):
        vehicle_change_record(
            change=changes["K-AB 9"], keep_plate=False, new_plate="K-XY 1", actor=kreis, channel="web"
        )
    PlateReservation.objects.create(
        authority=world.kreis,
        plate="NE-RS 1",
        holder=kreis,
        reserved_at=dt.datetime(2026, 1, 1, tzinfo=dt.UTC),
        expires_at=dt.datetime(2099, 1, 1, tzinfo=dt.UTC),
    )
    with pytest.raises(Problem, match="reserved for another person"):
        vehicle_change_record(
            change=changes["K-AB 9"], keep_plate=False, new_plate="NE-RS 1", actor=kreis, channel="web"
        )
    own = PlateReservation.objects.create(
        authority=world.kreis,
        plate="NE-NK 9",
        holder=world.citizen,
        reserved_at=dt.datetime(2026, 1, 1, tzinfo=dt.UTC),
        expires_at=dt.datetime(2099, 1, 1, tzinfo=dt.UTC),
    )
    recorded = vehicle_change_record(
        change=changes["K-AB 9"], keep_plate=False, new_plate="ne nk 9", actor=kreis, channel="web"
    )
    assert recorded.check_detail["new_plate"] == "NE-NK 9" and not recorded.keep_plate
    own.refresh_from_db()
    assert own.status == "used" and own.ended_at is not None  # the applicant's Wunschkennzeichen
    assert RegisteredVehicle.objects.filter(plate="NE-NK 9").exists()

    process_task_complete(task=_task(case, "Activity_Fahrzeuge"), data={}, actor=kreis, channel="web")
    assert Payment.objects.get(case=case).amount_cents == 2 * 1280
    handover = Handover.objects.get(receiving_case=case)
    assert handover.reply_data["aufkleber_buergerbuero"] is False
    assert handover.reply_data["vehicles"][1] == {
        "plate": "K-AB 9",
        "outcome": "recorded",
        "new_plate": "NE-NK 9",
    }
    assert handover.reply_data["vehicles"][2] == {
        "plate": "NE-NO 1",
        "outcome": "refused",
        "reason": "Nicht im Register",
    }
    payment = Payment.objects.get(case=case)
    payment_transition(
        payment=payment, to=Payment.Status.PAID, source=PaymentEvent.Source.BANK, external_id="b"
    )
    deliver_due_messages(kinds=["payment.paid"])
    process_task_complete(task=_task(case, "Activity_Aufkleber"), data={}, actor=kreis, channel="web")
    case.refresh_from_db()
    assert case.decision == "partially" and case.phase == Phase.CLOSED
    body = Notice.objects.get(case=case).body
    assert "- GV-X 7: Die neue Anschrift ist eingetragen." in body
    assert "- K-AB 9: Die neue Anschrift ist eingetragen; das neue Kennzeichen ist NE-NK 9." in body
    assert "- NE-NO 1: Die Änderung wird abgelehnt. Begründung: Nicht im Register" in body
    assert "per Post" in body and "024-2026-000001" in body


def test_nothing_recorded_means_no_fee_and_a_rejection(world: World, kreis: Any) -> None:
    case = hand_over(world, message("NE-NO 1"))
    change = _changes(case)["NE-NO 1"]
    vehicle_change_refuse(change=change, reason="  nicht   im Register ", actor=kreis, channel="web")
    assert VehicleChange.objects.get(pk=change.pk).reason == "nicht im Register"
    with pytest.raises(Problem, match="already been refused"):
        vehicle_change_record(change=change, keep_plate=True, actor=kreis, channel="web")
    process_task_complete(task=_task(case, "Activity_Fahrzeuge"), data={}, actor=kreis, channel="web")
    case.refresh_from_db()
    assert not Payment.objects.filter(case=case).exists()
    assert case.decision == "rejected" and case.phase == Phase.CLOSED
    deliver_due_messages(kinds=["processes.handover_return"])
    handover = Handover.objects.get(receiving_case=case)
    assert handover.status == "declined"
    assert handover.reply_data["vehicles"] == [
        {"plate": "NE-NO 1", "outcome": "refused", "reason": "nicht im Register"}
    ]


def test_an_invalid_message_declines_the_hand_over_with_the_reason(world: World, kreis: Any) -> None:
    case = hand_over(world, message("NE AB123 X", neue_plz="4146"))
    assert not VehicleChange.objects.filter(case=case).exists()
    handover = Handover.objects.get(receiving_case=case)
    assert "neue_plz" in handover.reply and "fahrzeuge.0.kennzeichen" in handover.reply
    assert handover.reply_data["error"] == "invalid-message"
    # the rejection is a notice, signed by a caseworker: one task confirms it
    process_task_complete(task=_task(case, "Activity_Zurueckweisen"), data={}, actor=kreis, channel="web")
    case.refresh_from_db()
    assert case.decision == "rejected" and case.phase == Phase.CLOSED
    assert "neue_plz" in Notice.objects.get(case=case).body
    deliver_due_messages(kinds=["processes.handover_return"])
    handover.refresh_from_db()
    assert handover.status == "declined" and "neue_plz" in handover.reply


def test_recording_twice_writes_the_register_once(
    world: World, kreis: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    register("NE-AB 123")
    case = hand_over(world, message("NE-AB 123"))
    change = _changes(case)["NE-AB 123"]
    calls = []
    real = LocalVehicleRegister.change_address

    def counting(self: LocalVehicleRegister, **kwargs: Any) -> Any:
        calls.append(kwargs["plate"])
        return real(self, **kwargs)

    monkeypatch.setattr(LocalVehicleRegister, "change_address", counting)
    first = vehicle_change_record(change=change, keep_plate=True, actor=kreis, channel="web")
    second = vehicle_change_record(change=change, keep_plate=True, actor=kreis, channel="web")
    assert calls == ["NE-AB 123"]
    assert first.recorded_at == second.recorded_at
    with pytest.raises(Problem, match="already recorded"):
        vehicle_change_refuse(change=change, reason="zu spät", actor=kreis, channel="web")


def test_a_failing_register_changes_nothing(
    world: World, kreis: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    from ..registers import RegisterUnavailable

    register("NE-AB 123")
    case = hand_over(world, message("NE-AB 123"))
    change = _changes(case)["NE-AB 123"]

    def down(self: LocalVehicleRegister, **kwargs: Any) -> Any:
        raise RegisterUnavailable("Register nicht erreichbar.", "Register unavailable.")

    monkeypatch.setattr(LocalVehicleRegister, "change_address", down)
    with pytest.raises(RegisterUnavailable):
        vehicle_change_record(change=change, keep_plate=True, actor=kreis, channel="web")
    change.refresh_from_db()
    assert change.outcome == "open" and change.recorded_at is None


def test_a_town_caseworker_cannot_record(world: World, kreis: Any) -> None:
    register("NE-AB 123")
    case = hand_over(world, message("NE-AB 123"))
    change = _changes(case)["NE-AB 123"]
    with pytest.raises(Problem) as caught:
        vehicle_change_record(change=change, keep_plate=True, actor=world.caseworker_neuss, channel="web")
    assert caught.value.status_code == 403
    assert VehicleChange.objects.get(pk=change.pk).outcome == "open"


def test_the_fee_of_the_service_overrides_the_setting(world: World, kreis: Any) -> None:
    Fee.objects.create(
        service=world.kreis_service,
        authority=world.kreis,
        key="adresse",
        title="Adressänderung",
        kind=Fee.Kind.FIXED,
        amount_cents=1070,
        timing=Fee.Timing.ON_REQUEST,
    )
    register("NE-AB 123")
    case = hand_over(world, message("NE-AB 123"))
    vehicle_change_record(change=_changes(case)["NE-AB 123"], keep_plate=True, actor=kreis, channel="web")
    process_task_complete(task=_task(case, "Activity_Fahrzeuge"), data={}, actor=kreis, channel="web")
    assert Payment.objects.get(case=case).amount_cents == 1070


def test_the_check_is_idempotent(world: World, kreis: Any) -> None:
    from ..services import handed_over_message, vehicle_changes_check

    register("NE-AB 123")
    case = hand_over(world, message("NE-AB 123", "NE-NO 1"))
    vehicle_change_record(change=_changes(case)["NE-AB 123"], keep_plate=True, actor=kreis, channel="web")
    rows = vehicle_changes_check(case=case, message=handed_over_message(case))
    assert len(rows) == 2 and VehicleChange.objects.filter(case=case).count() == 2
    assert _changes(case)["NE-AB 123"].outcome == "recorded"
