"""Bank statement import and reconciliation: outcomes, idempotency, clearing, pages, API, isolation."""

from __future__ import annotations

import pytest
from django.core.exceptions import PermissionDenied
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client

from amtsweg.cases.models import CaseEvent
from amtsweg.core.problems import Problem
from amtsweg.outbox.models import OutboxMessage
from amtsweg.outbox.testing import deliver_due_messages
from amtsweg.payments import reconcile
from amtsweg.payments.models import BankEntry, BankStatement, Payment, PaymentEvent
from amtsweg.tenancy.models import AuditEvent
from amtsweg.testing import World

from .matrix_reconcile import CAMT_FILE, payment, treasury

E = BankEntry.Outcome


@pytest.fixture
def owed(world: World) -> dict[str, Payment]:
    """The Neuss treasury and the payments the test statement refers to."""
    treasury(world.neuss)
    citizen = world.citizen
    made = {
        "matched": payment(payer=citizen, authority=world.neuss, kassenzeichen="NE2026000001", cents=2500),
        "wrong": payment(payer=citizen, authority=world.neuss, kassenzeichen="NE2026000003", cents=1500),
        "double": payment(
            payer=citizen,
            authority=world.neuss,
            kassenzeichen="NE2026000004",
            cents=2500,
            status=Payment.Status.PAID,
            provider="epayment",
        ),
        "batch_a": payment(payer=citizen, authority=world.neuss, kassenzeichen="NE2026000005", cents=1250),
        "batch_b": payment(payer=citizen, authority=world.neuss, kassenzeichen="NE2026000006", cents=2500),
        "other": payment(payer=citizen, authority=world.neuss, kassenzeichen="NE2026000040", cents=4000),
    }
    return made


def _import(world: World, data: bytes | None = None) -> reconcile.ImportResult:
    return reconcile.bank_statement_import(
        authority=world.neuss,
        file=data if data is not None else CAMT_FILE.read_bytes(),
        actor=world.caseworker_neuss,
    )


# --- finding the Kassenzeichen -------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "found"),
    [
        ("NE2026000042", ["NE2026000042"]),
        ("Kassenzeichen ne 2026 000042 Hundesteuer", ["NE2026000042"]),
        ("KZ: NE-2026-000042.", ["NE2026000042"]),
        ("NE 2026 0000 42 und NE2026000043", ["NE2026000042", "NE2026000043"]),
        ("ONE2026000042", []),  # glued to another word
        ("NE20260000421", []),  # a longer number
        ("NE202600004", []),  # too short
        ("Rechnung 4711", []),
    ],
)
def test_kassenzeichen_in_remittance(text: str, found: list[str]) -> None:
    assert reconcile.kassenzeichen_find(prefix="NE", structured=(), unstructured=(text,)) == found


def test_structured_reference_comes_first_and_split_lines_are_joined() -> None:
    assert reconcile.kassenzeichen_find(
        prefix="NE", structured=("NE2026000002",), unstructured=("Gebuehr NE2026", "000001")
    ) == ["NE2026000002", "NE2026000001"]


# --- import --------------------------------------------------------------------------------------


def test_import_matches_and_lists_the_rest(world: World, owed: dict[str, Payment]) -> None:
    result = _import(world)
    assert result.outcomes == {
        E.MATCHED: 3,
        E.UNKNOWN_REFERENCE: 1,
        E.WRONG_AMOUNT: 1,
        E.DOUBLE_PAYMENT: 1,
        E.NOT_CREDIT: 1,
    }
    assert (result.matched, result.to_clear, result.skipped) == (3, 3, 0)
    assert result.credited_cents == 13750  # TtlCdtNtries/Sum of the file
    statement = result.statement
    assert (statement.statement_id, statement.iban, statement.imported_by) == (
        "2026-05-07-00093000011-1",
        "DE24305500000093000011",
        world.caseworker_neuss,
    )
    entries = {e.entry_reference: e for e in BankEntry.objects.filter(statement=statement)}
    assert set(entries) == {
        "2026050700000001",
        "2026050700000002",
        "2026050700000003",
        "2026050700000004",
        "2026050700000005",
        "2026050700000006/1",
        "2026050700000006/2",
    }
    one = entries["2026050700000001"]
    assert (one.outcome, one.payment_id, one.reference, one.amount_cents) == (
        E.MATCHED,
        owed["matched"].pk,
        "NE2026000001",
        2500,
    )
    assert one.resolved_at is not None
    assert entries["2026050700000002"].outcome == E.UNKNOWN_REFERENCE
    assert entries["2026050700000002"].remittance == "Rechnung 4711 Hundesteuer 2. Quartal"
    assert (entries["2026050700000003"].outcome, entries["2026050700000003"].payment_id) == (
        E.WRONG_AMOUNT,
        owed["wrong"].pk,
    )
    assert entries["2026050700000004"].outcome == E.DOUBLE_PAYMENT
    debit = entries["2026050700000005"]
    assert (debit.outcome, debit.amount_cents, debit.payment_id) == (E.NOT_CREDIT, -12000, None)
    assert entries["2026050700000006/1"].outcome == E.MATCHED
    assert entries["2026050700000006/1"].remittance == "NE2026000005"
    assert entries["2026050700000006/2"].outcome == E.MATCHED

    for key in ("matched", "batch_a", "batch_b"):
        owed[key].refresh_from_db()
        assert owed[key].status == Payment.Status.PAID and owed[key].paid_at is not None
    event = PaymentEvent.objects.get(payment=owed["matched"], to_status=Payment.Status.PAID)
    assert (event.source, event.external_id, event.actor) == (
        PaymentEvent.Source.BANK,
        "2026050700000001",
        world.caseworker_neuss,
    )
    owed["wrong"].refresh_from_db()
    assert owed["wrong"].status == Payment.Status.OPEN  # a partial payment leaves it open
    assert OutboxMessage.objects.filter(kind="payment.paid").count() == 3
    assert AuditEvent.objects.filter(
        object_type="payments.bankstatement", object_id=str(statement.pk)
    ).exists()


def test_the_same_file_twice_is_409_and_overlaps_are_skipped(world: World, owed: dict[str, Payment]) -> None:
    _import(world)
    with pytest.raises(Problem) as caught:
        _import(world)
    assert (caught.value.status_code, caught.value.code) == (409, "bank-statement-already-imported")
    # The next day's statement repeats the same bookings (another file, same bank references).
    overlapping = CAMT_FILE.read_bytes().replace(b"camt53-20260507-0001", b"camt53-20260508-0001")
    result = _import(world, overlapping)
    assert (result.outcomes, result.skipped) == ({}, 7)
    assert BankEntry.objects.count() == 7
    assert PaymentEvent.objects.filter(source=PaymentEvent.Source.BANK).count() == 3
    assert BankStatement.objects.count() == 2


def test_import_is_one_transaction(
    world: World, owed: dict[str, Payment], monkeypatch: pytest.MonkeyPatch
) -> None:
    calls = {"n": 0}
    real = reconcile.payment_transition  # type: ignore[attr-defined]

    def failing_second(**kwargs: object) -> object:
        calls["n"] += 1
        if calls["n"] == 2:
            raise RuntimeError("database gone")
        return real(**kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(reconcile, "payment_transition", failing_second)
    with pytest.raises(RuntimeError):
        _import(world)
    assert not BankStatement.objects.exists() and not BankEntry.objects.exists()
    owed["matched"].refresh_from_db()
    assert owed["matched"].status == Payment.Status.OPEN


def test_a_statement_of_another_account_is_refused(world: World, owed: dict[str, Payment]) -> None:
    treasury(world.dormagen)
    with pytest.raises(Problem) as caught:
        reconcile.bank_statement_import(
            authority=world.dormagen, file=CAMT_FILE.read_bytes(), actor=world.caseworker_dormagen
        )
    assert (caught.value.status_code, caught.value.code) == (422, "bank-statement-wrong-account")
    assert not BankEntry.objects.exists()


def test_no_account_no_import_and_only_own_authority(world: World) -> None:
    with pytest.raises(Problem) as caught:
        _import(world)
    assert caught.value.code == "payment-account-missing"
    treasury(world.neuss)
    with pytest.raises(PermissionDenied):
        reconcile.bank_statement_import(
            authority=world.neuss, file=CAMT_FILE.read_bytes(), actor=world.caseworker_dormagen
        )


def test_a_broken_file_is_refused_with_paths(world: World) -> None:
    treasury(world.neuss)
    broken = CAMT_FILE.read_bytes().replace(b'<Amt Ccy="EUR">40.00</Amt>', b"", 1)
    with pytest.raises(Problem) as caught:
        _import(world, broken)
    assert caught.value.status_code == 422
    assert caught.value.extra["errors"] == [
        {
            "path": "BkToCstmrStmt/Stmt[1]/Ntry[2]/Amt",
            "de": "Der Betrag fehlt.",
            "en": "The amount is missing.",
        }
    ]
    assert not BankStatement.objects.exists()


def test_a_matched_payment_moves_its_case_on(world: World) -> None:
    """Paid by transfer after the process asked for it: the outbox tells the case (P1's handler)."""
    from amtsweg.cases.tests.factories_citizen import submitted_case

    treasury(world.neuss)
    case = submitted_case(citizen=world.citizen, service=world.town_service, authority=world.neuss)
    requested = payment(payer=world.citizen, authority=world.neuss, kassenzeichen="NE2026000001", cents=2500)
    Payment.objects.filter(pk=requested.pk).update(case=case, draft=None)
    _import(world)
    deliver_due_messages(kinds=["payment.paid"])
    assert CaseEvent.objects.filter(case=case, detail__payment_received=str(requested.pk)).exists()


# --- clearing ------------------------------------------------------------------------------------


def _entry(reference: str) -> BankEntry:
    return BankEntry.objects.get(entry_reference=reference)


def test_assign_an_unknown_reference_to_the_right_payment(world: World, owed: dict[str, Payment]) -> None:
    _import(world)
    unknown = _entry("2026050700000002")  # 40.00
    with pytest.raises(Problem) as caught:
        reconcile.bank_entry_assign(entry=unknown, kassenzeichen="NE2026000003", actor=world.caseworker_neuss)
    assert caught.value.code == "amount-mismatch"  # 15.00 owed
    with pytest.raises(Problem) as caught:
        reconcile.bank_entry_assign(entry=unknown, kassenzeichen="NE2026000004", actor=world.caseworker_neuss)
    assert caught.value.code == "payment-not-open"
    with pytest.raises(Problem) as caught:
        reconcile.bank_entry_assign(entry=unknown, kassenzeichen="NE2026999999", actor=world.caseworker_neuss)
    assert caught.value.code == "kassenzeichen-unknown"
    with pytest.raises(PermissionDenied):
        reconcile.bank_entry_assign(
            entry=unknown, kassenzeichen="NE2026000040", actor=world.caseworker_dormagen
        )

    cleared = reconcile.bank_entry_assign(
        entry=unknown, kassenzeichen="ne 2026 000040", actor=world.caseworker_neuss
    )
    assert (cleared.payment_id, cleared.resolved_by, cleared.outcome) == (
        owed["other"].pk,
        world.caseworker_neuss,
        E.UNKNOWN_REFERENCE,
    )
    owed["other"].refresh_from_db()
    assert owed["other"].status == Payment.Status.PAID
    event = owed["other"].events.get(to_status=Payment.Status.PAID)
    assert (event.source, event.external_id) == (PaymentEvent.Source.STAFF, "bank:2026050700000002")
    with pytest.raises(Problem) as caught:
        reconcile.bank_entry_assign(entry=unknown, kassenzeichen="NE2026000040", actor=world.caseworker_neuss)
    assert caught.value.status_code == 409


def test_resolve_with_a_note(world: World, owed: dict[str, Payment]) -> None:
    _import(world)
    double = _entry("2026050700000004")
    with pytest.raises(Problem) as caught:
        reconcile.bank_entry_resolve(entry=double, note="   ", actor=world.caseworker_neuss)
    assert caught.value.code == "note-required"
    reconcile.bank_entry_resolve(entry=double, note="Erstattung veranlasst", actor=world.caseworker_neuss)
    still_open = reconcile.bank_entries_for_staff(user=world.caseworker_neuss, authority=world.neuss)
    assert [e.entry_reference for e in still_open] == ["2026050700000003", "2026050700000002"]
    resolved = reconcile.bank_entries_for_staff(user=world.caseworker_neuss, state="resolved").get()
    assert (resolved.pk, resolved.resolution_note, resolved.resolved_by) == (
        double.pk,
        "Erstattung veranlasst",
        world.caseworker_neuss,
    )
    with pytest.raises(Problem) as caught:
        reconcile.bank_entry_resolve(entry=double, note="noch mal", actor=world.caseworker_neuss)
    assert caught.value.status_code == 409
    with pytest.raises(Problem):  # a matched entry is not on the list and cannot be "resolved"
        reconcile.bank_entry_resolve(entry=_entry("2026050700000001"), note="x", actor=world.caseworker_neuss)


# --- pages ---------------------------------------------------------------------------------------


def _client(user: object) -> Client:
    client = Client()
    client.force_login(user)  # type: ignore[arg-type]
    return client


def test_upload_page_list_and_detail(world: World, owed: dict[str, Payment]) -> None:
    client = _client(world.caseworker_neuss)
    url = f"/backoffice/{world.neuss.ags}/kontoauszuege/"
    page = client.get(url)
    assert page.status_code == 200 and "DE24305500000093000011" in page.content.decode()
    upload = SimpleUploadedFile("auszug.xml", CAMT_FILE.read_bytes(), content_type="application/xml")
    response = client.post(url, {"file": upload}, follow=True)
    body = response.content.decode()
    assert "3 zugeordnet, 3 zu klären, 0 schon bekannt" in body
    assert "2026-05-07-00093000011-1" in body

    again = client.post(url, {"file": SimpleUploadedFile("auszug.xml", CAMT_FILE.read_bytes())})
    assert again.status_code == 409 and "bereits eingelesen" in again.content.decode()
    broken = client.post(url, {"file": SimpleUploadedFile("a.xml", b"<kaputt")})
    assert broken.status_code == 422 and "kein wohlgeformtes XML" in broken.content.decode()

    listing = client.get(f"/backoffice/{world.neuss.ags}/abgleich/").content.decode()
    for expected in (
        "Kassenzeichen unbekannt",
        "Betrag weicht ab",
        "doppelt bezahlt",
        "40,00 €",
        "NE2026000003",
    ):
        assert expected in listing
    assert "2026050700000001" not in listing  # matched: not on the list
    assert "2026050700000005" not in listing  # debit: never on the list

    unknown = _entry("2026050700000002")
    detail_url = f"/backoffice/{world.neuss.ags}/abgleich/{unknown.pk}/"
    assert "Rechnung 4711" in client.get(detail_url).content.decode()
    wrong = client.post(detail_url, {"action": "assign", "assign-kassenzeichen": "NE2026000003"})
    assert wrong.status_code == 422 and "entspricht nicht dem offenen Betrag" in wrong.content.decode()
    done = client.post(detail_url, {"action": "assign", "assign-kassenzeichen": "NE2026000040"})
    assert done.status_code == 302
    owed["other"].refresh_from_db()
    assert owed["other"].status == Payment.Status.PAID
    resolved = client.get(f"/backoffice/{world.neuss.ags}/abgleich/?stand=resolved").content.decode()
    assert "2026050700000002" in resolved

    assert _client(world.caseworker_dormagen).get(detail_url).status_code == 404


# --- API -----------------------------------------------------------------------------------------


def test_api_upload_list_resolve(world: World, owed: dict[str, Payment]) -> None:
    client = _client(world.caseworker_neuss)
    upload = SimpleUploadedFile("auszug.xml", CAMT_FILE.read_bytes(), content_type="application/xml")
    response = client.post("/api/v1/staff/bank-statements", {"authority": world.neuss.ags, "file": upload})
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["outcomes"] == {
        "matched": 3,
        "unknown_reference": 1,
        "wrong_amount": 1,
        "double_payment": 1,
        "not_credit": 1,
    }
    assert body["statement"]["summary"] == {"matched": 3, "to_clear": 3, "not_credit": 1}
    assert body["credited_cents"] == 13750

    again = client.post(
        "/api/v1/staff/bank-statements",
        {"authority": world.neuss.ags, "file": SimpleUploadedFile("auszug.xml", CAMT_FILE.read_bytes())},
    )
    assert again.status_code == 409
    assert again["Content-Type"].startswith("application/problem+json")
    assert again.json()["code"] == "bank-statement-already-imported"

    broken = client.post(
        "/api/v1/staff/bank-statements",
        {
            "authority": world.neuss.ags,
            "file": SimpleUploadedFile(
                "a.xml", CAMT_FILE.read_bytes().replace(b"<MsgId>", b"<MsgId>x", 1).replace(b"</Stmt>", b"")
            ),
        },
    )
    assert broken.status_code == 422 and broken["Content-Type"].startswith("application/problem+json")

    rows = client.get("/api/v1/staff/reconciliation").json()["results"]
    assert {row["outcome"] for row in rows} == {"unknown_reference", "wrong_amount", "double_payment"}
    assert all(row["authority"] == world.neuss.ags for row in rows)
    unknown = next(row for row in rows if row["outcome"] == "unknown_reference")
    assert unknown["amount_cents"] == 4000 and unknown["kassenzeichen"] == ""

    no_note = client.post(
        f"/api/v1/staff/reconciliation/{unknown['id']}/resolve", {}, content_type="application/json"
    )
    assert no_note.status_code == 422 and no_note.json()["code"] == "note-required"
    assigned = client.post(
        f"/api/v1/staff/reconciliation/{unknown['id']}/resolve",
        {"kassenzeichen": "NE2026000040"},
        content_type="application/json",
    )
    assert assigned.status_code == 200
    assert assigned.json()["payment"] == str(owed["other"].pk) and assigned.json()["resolved_at"]
    all_rows = client.get("/api/v1/staff/reconciliation?state=all").json()
    assert all_rows["count"] == 7


def test_api_isolation(world: World, owed: dict[str, Payment]) -> None:
    _import(world)
    dirk = _client(world.caseworker_dormagen)
    assert dirk.get("/api/v1/staff/reconciliation?state=all").json()["results"] == []
    assert dirk.get("/api/v1/staff/bank-statements").json()["results"] == []
    upload = SimpleUploadedFile("auszug.xml", CAMT_FILE.read_bytes())
    assert (
        dirk.post("/api/v1/staff/bank-statements", {"authority": world.neuss.ags, "file": upload}).status_code
        == 404
    )
    entry = _entry("2026050700000002")
    denied = dirk.post(
        f"/api/v1/staff/reconciliation/{entry.pk}/resolve", {"note": "x"}, content_type="application/json"
    )
    assert denied.status_code == 404
    entry.refresh_from_db()
    assert entry.resolved_at is None
    assert dirk.get(f"/api/v1/staff/reconciliation?authority={world.neuss.ags}").status_code == 404
    citizen = _client(world.citizen)
    assert citizen.get("/api/v1/staff/reconciliation").status_code == 403
    kai = _client(world.kreis_admin)  # the alliance administrator sees every town's list
    assert len(kai.get("/api/v1/staff/reconciliation").json()["results"]) == 3
