"""CAMT.053 parsing: the hand-written camt.053.001.02 statement field by field, .08, broken files."""

from __future__ import annotations

from datetime import date, datetime, timedelta, timezone

import pytest

from amtsweg.payments.camt import MAX_CAMT_BYTES, CamtError, camt_parse

from .matrix_reconcile import CAMT_FILE

NS02 = "urn:iso:std:iso:20022:tech:xsd:camt.053.001.02"
NS08 = "urn:iso:std:iso:20022:tech:xsd:camt.053.001.08"


def _problems(data: bytes) -> list[tuple[str, str]]:
    with pytest.raises(CamtError) as caught:
        camt_parse(data)
    return [(p.path, p.en) for p in caught.value.problems]


def test_the_test_statement_is_read_field_by_field() -> None:
    document = camt_parse(CAMT_FILE.read_bytes())
    assert document.version == "001.02"
    assert document.message_id == "camt53-20260507-0001"
    assert document.created_at == datetime(2026, 5, 8, 5, 12, 7, tzinfo=timezone(timedelta(hours=2)))
    [statement] = document.statements
    assert statement.statement_id == "2026-05-07-00093000011-1"
    assert statement.iban == "DE24305500000093000011"
    assert statement.created_at == document.created_at
    entries = statement.entries
    assert [e.reference for e in entries] == [f"202605070000000{n}" for n in range(1, 7)]
    assert [e.amount_cents for e in entries] == [2500, 4000, 1000, 2500, 12000, 3750]
    assert [e.credit for e in entries] == [True, True, True, True, False, True]
    assert all(e.currency == "EUR" and e.booked and not e.reversal for e in entries)
    assert {e.booking_date for e in entries} == {date(2026, 5, 7)}
    assert entries[0].additional_info == "SEPA-GUTSCHRIFT"
    assert entries[0].path == "BkToCstmrStmt/Stmt[1]/Ntry[1]"

    [first] = entries[0].transactions
    assert first.unstructured == ("Kassenzeichen ne 2026 000001 Meldebescheinigung",)
    assert first.creditor_references == ()
    assert first.amount_cents == 2500
    assert first.end_to_end_id == "NOTPROVIDED"
    assert entries[1].transactions[0].unstructured == ("Rechnung 4711 Hundesteuer 2. Quartal",)
    assert entries[1].transactions[0].amount_cents is None  # no AmtDtls: the entry's amount counts
    assert entries[4].transactions[0].unstructured == ("Erstattung NE2026000001",)

    batch = entries[5]
    assert len(batch.transactions) == 2
    assert [tx.amount_cents for tx in batch.transactions] == [1250, 2500]
    assert batch.transactions[0].creditor_references == ("NE2026000005",)
    assert batch.transactions[0].unstructured == ()
    assert batch.transactions[1].unstructured == ("Gebuehr Sondernutzung KZ NE-2026-000006",)
    assert [tx.end_to_end_id for tx in batch.transactions] == ["E2E-0815-A", "E2E-0815-B"]


def _v08(entry: str) -> bytes:
    return f"""<?xml version="1.0" encoding="UTF-8"?>
<Document xmlns="{NS08}"><BkToCstmrStmt>
  <GrpHdr><MsgId>M08</MsgId><CreDtTm>2026-05-08T06:00:00+02:00</CreDtTm></GrpHdr>
  <Stmt><Id>S08</Id><CreDtTm>2026-05-08T06:00:00+02:00</CreDtTm>
    <Acct><Id><IBAN>DE24 3055 0000 0093 0000 11</IBAN></Id></Acct>
    {entry}
  </Stmt></BkToCstmrStmt></Document>""".encode()


def test_version_08_with_status_code_and_booking_time() -> None:
    document = camt_parse(
        _v08(
            """<Ntry><NtryRef>R-1</NtryRef><Amt Ccy="EUR">12.5</Amt><CdtDbtInd>CRDT</CdtDbtInd>
            <Sts><Cd>BOOK</Cd></Sts><BookgDt><DtTm>2026-05-07T10:15:00+02:00</DtTm></BookgDt>
            <BkTxCd/><NtryDtls><TxDtls><RmtInf><Strd><CdtrRefInf><Ref>NE2026000007</Ref></CdtrRefInf></Strd>
            </RmtInf></TxDtls></NtryDtls></Ntry>
            <Ntry><AcctSvcrRef>R-2</AcctSvcrRef><Amt Ccy="EUR">3.00</Amt><CdtDbtInd>CRDT</CdtDbtInd>
            <RvslInd>true</RvslInd><Sts><Cd>PDNG</Cd></Sts><BookgDt><Dt>2026-05-07</Dt></BookgDt></Ntry>"""
        )
    )
    assert document.version == "001.08"
    [statement] = document.statements
    assert statement.iban == "DE24305500000093000011"  # spaces of a pretty-printed IBAN removed
    first, second = statement.entries
    assert (first.reference, first.amount_cents, first.booked, first.booking_date) == (
        "R-1",
        1250,
        True,
        date(2026, 5, 7),
    )
    assert first.transactions[0].creditor_references == ("NE2026000007",)
    assert (second.reference, second.booked, second.reversal) == ("R-2", False, True)


def test_not_xml() -> None:
    [(_path, message)] = _problems(b"Buchungstag;Betrag;Verwendungszweck\n07.05.2026;25,00;NE2026000001\n")
    assert "not well-formed XML" in message


def test_empty_file() -> None:
    assert _problems(b"  \n") == [("", "The file is empty.")]


def test_wrong_namespace_names_the_supported_ones() -> None:
    data = CAMT_FILE.read_bytes().replace(NS02.encode(), b"urn:iso:std:iso:20022:tech:xsd:camt.054.001.02")
    [(path, message)] = _problems(data)
    assert path == "Document"
    assert "camt.054.001.02" in message and NS02 in message and NS08 in message


def test_missing_amount_and_other_problems_are_reported_with_paths() -> None:
    data = CAMT_FILE.read_bytes()
    data = data.replace(b'<Amt Ccy="EUR">40.00</Amt>', b"", 1)  # entry 2 without amount
    # entry 3: a German date and no bank reference
    head, tail = data.split(b"<AcctSvcrRef>2026050700000003</AcctSvcrRef>")
    cut = head.rindex(b"<BookgDt>")
    data = head[:cut] + head[cut:].replace(b"2026-05-07", b"7.5.2026", 1) + tail
    data = data.replace(
        b'<Amt Ccy="EUR">25.00</Amt>\n        <CdtDbtInd>CRDT',
        b'<Amt Ccy="USD">25.001</Amt>\n        <CdtDbtInd>CRDT',
        1,
    )
    problems = dict(_problems(data))
    base = "BkToCstmrStmt/Stmt[1]"
    assert problems[f"{base}/Ntry[2]/Amt"] == "The amount is missing."
    assert "booking date" in problems[f"{base}/Ntry[3]/BookgDt"]
    assert "bank reference" in problems[f"{base}/Ntry[3]/AcctSvcrRef"]
    assert "Invalid amount '25.001'" in problems[f"{base}/Ntry[1]/Amt"]


def test_other_currency_is_refused() -> None:
    data = CAMT_FILE.read_bytes().replace(b'<Amt Ccy="EUR">40.00</Amt>', b'<Amt Ccy="CHF">40.00</Amt>', 1)
    [(path, message)] = _problems(data)
    assert path == "BkToCstmrStmt/Stmt[1]/Ntry[2]/Amt"
    assert "only accounts in euros" in message


def test_huge_file_is_refused_before_parsing() -> None:
    [(_path, message)] = _problems(b"<" + b"x" * MAX_CAMT_BYTES)
    assert "too large" in message


def test_entities_and_dtds_are_refused() -> None:
    data = (
        b'<?xml version="1.0"?><!DOCTYPE d [<!ENTITY x SYSTEM "file:///etc/passwd">]>'
        + f'<Document xmlns="{NS02}"><BkToCstmrStmt><GrpHdr><MsgId>&x;</MsgId></GrpHdr>'.encode()
        + b"</BkToCstmrStmt></Document>"
    )
    [(path, _message)] = _problems(data)
    assert path == "DOCTYPE"


def test_a_file_without_statement() -> None:
    data = f'<Document xmlns="{NS02}"><BkToCstmrStmt><GrpHdr><MsgId>X</MsgId></GrpHdr>'
    data += "</BkToCstmrStmt></Document>"
    assert _problems(data.encode()) == [("BkToCstmrStmt/Stmt", "The file contains no statement.")]
