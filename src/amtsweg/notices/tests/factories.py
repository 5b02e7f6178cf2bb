"""Factories for notices: templates, cases decided with a notice, and notices with a (stand-in) PDF."""

from __future__ import annotations

import hashlib
from decimal import Decimal
from typing import Any

from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.utils import timezone

from amtsweg.cases.models import Case, Document
from amtsweg.cases.tests.factories import submit_case
from amtsweg.identity.models import User
from amtsweg.notices.models import Notice, NoticeTemplate
from amtsweg.notices.services import notice_issue
from amtsweg.tenancy.models import Authority
from amtsweg.testing import World

LEGAL_REMEDY = (
    "Gegen diesen Bescheid können Sie innerhalb eines Monats nach Bekanntgabe Klage beim "
    "Verwaltungsgericht Düsseldorf, Bastionstraße 39, 40213 Düsseldorf, erheben."
)
BODY = (
    "Sehr geehrte Damen und Herren,\n\n"
    "auf Ihren Antrag vom {{ case.submitted_at|date:'d.m.Y' }} ({{ case.reference }}) stellen wir "
    "{{ data.given_name }} {{ data.family_name }} die Meldebescheinigung aus.\n\n"
    "Die Gebühr beträgt {% for fee in fees %}{{ fee.amount }} €{% endfor %}.\n\n{{ authority.official_name }}"
)


def fee_lines(count: int) -> list[dict[str, Any]]:
    """``count`` fee lines of 12.50 €, 13.50 €, … with a legal basis each."""
    return [
        {
            "label": f"Prüfung der Unterlagen, Position {number}",
            "legal_basis": f"Tarifstelle {number}.{number % 7} AVerwGebO NRW",
            "amount": str(Decimal("11.50") + number),
        }
        for number in range(1, count + 1)
    ]


def notice_template(
    world: World, *, authority: Authority | None = None, decision: str = "granted", **fields: Any
) -> NoticeTemplate:
    values: dict[str, Any] = {
        "subject": "Ausstellung einer Meldebescheinigung",
        "body": BODY,
        "legal_remedy": LEGAL_REMEDY,
        "fee_lines": [{"label": "Meldebescheinigung", "legal_basis": "Tarifstelle 17.1", "amount": "10.00"}],
    }
    values.update(fields)
    return NoticeTemplate.objects.create(
        service=world.town_service, authority=authority, decision=decision, **values
    )


def caseworker_for(world: World, authority: Authority) -> User:
    return {world.neuss.pk: world.caseworker_neuss, world.dormagen.pk: world.caseworker_dormagen}[
        authority.pk
    ]


def issued_notice(
    world: World,
    *,
    authority: Authority | None = None,
    applicant: User | None = None,
    fees: list[dict[str, Any]] | None = None,
    body: str | None = None,
) -> Notice:
    """A notice issued on a fresh case at ``authority`` (default Neuss), not rendered yet."""
    authority = authority or world.neuss
    if not NoticeTemplate.objects.filter(service=world.town_service, authority__isnull=True).exists():
        notice_template(world)
    case: Case = submit_case(world, authority=authority, applicant=applicant)
    return notice_issue(
        case=case, decision="granted", actor=caseworker_for(world, authority), body=body, fee_lines=fees
    )


PLACEHOLDER_PDF = b"%PDF-1.7\n% placeholder for tests that do not look into the PDF\n%%EOF\n"


def with_placeholder_pdf(notice: Notice) -> Notice:
    """``notice`` marked issued with a tiny stand-in PDF (for tests about access, not about rendering).

    All stand-ins share one stored file, so the isolation matrix does not fill the media folder.
    """
    name = "documents/tests/placeholder-notice.pdf"
    if not default_storage.exists(name):
        default_storage.save(name, ContentFile(PLACEHOLDER_PDF))
    document = Document.objects.create(
        kind=Document.Kind.NOTICE,
        case=notice.case,
        file=name,
        filename=f"Bescheid-{notice.case.reference}.pdf",
        content_type="application/pdf",
        size=len(PLACEHOLDER_PDF),
        sha256=hashlib.sha256(PLACEHOLDER_PDF).hexdigest(),
        scanned=True,
        created_at=timezone.now(),
    )
    Notice.objects.filter(pk=notice.pk).update(document=document, status=Notice.Status.ISSUED)
    notice.refresh_from_db()
    return notice
