"""Factories for the citizen's side: a small published form, cases submitted the real way, requests.

Cases are made through ``cases.services.submission_submit`` (validation by the form engine, reference
number, first history entry, outbox), information requests through ``case_request_information`` (which
also puts the message into the postbox), so the citizen pages are tested on what staff really produce.
"""

from __future__ import annotations

import hashlib
from datetime import date
from typing import Any

from django.core.files.base import ContentFile
from django.utils import timezone

from amtsweg.cases import services
from amtsweg.cases.models import Case, Document, InformationRequest, PostboxMessage
from amtsweg.cases.services import case_request_information, postbox_deliver, submission_submit
from amtsweg.catalog.models import Service
from amtsweg.forms.models import Draft, FormDefinition, FormVersion
from amtsweg.forms.schema import FieldType, FormField, FormSchema, Option, Step, text
from amtsweg.identity.models import User
from amtsweg.tenancy.models import Authority
from amtsweg.testing import EID_LOGIN, make_user

SCHEMA = FormSchema(
    title=text("Meldebescheinigung beantragen", "Apply for a certificate of registration"),
    steps=[
        Step(
            key="person",
            title=text("Angaben zur Person", "About you"),
            fields=[
                FormField(key="given_name", type=FieldType.TEXT, label=text("Vorname"), required=True),
                FormField(key="family_name", type=FieldType.TEXT, label=text("Familienname"), required=True),
            ],
        ),
        Step(
            key="purpose",
            title=text("Zweck", "Purpose"),
            fields=[
                FormField(
                    key="purpose",
                    type=FieldType.CHOICE,
                    label=text("Wofür brauchen Sie die Bescheinigung?"),
                    required=True,
                    options=[
                        Option(value="work", label=text("Arbeitgeber", "Employer")),
                        Option(value="other", label=text("Sonstiges", "Other")),
                    ],
                ),
                FormField(
                    key="copies",
                    type=FieldType.NUMBER,
                    label=text("Anzahl der Ausfertigungen"),
                    minimum="1",
                    maximum="5",
                    required=True,
                ),
            ],
        ),
    ],
)
# As the engine stores them: numbers are kept as decimal strings.
VALID_DATA: dict[str, Any] = {
    "given_name": "Clara",
    "family_name": "Citizen",
    "purpose": "work",
    "copies": "2",
}

PDF_BYTES = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"
# The start of a Windows program: what an .exe renamed to .pdf really contains.
EXE_BYTES = b"MZ\x90\x00\x03\x00\x00\x00\x04\x00\x00\x00\xff\xff\x00\x00" + b"\x00" * 48 + b"This program"


def ensure_default_status_model() -> None:
    """The default status model of the migration (transactional tests flush migration data)."""
    services.ensure_default_status_model()


def citizen_form_version(*, service: Service, authority: Authority) -> FormVersion:
    """A published form variant of ``authority`` for ``service`` (created once per test database)."""
    definition, _ = FormDefinition.objects.get_or_create(
        service=service, authority=authority, defaults={"name": "Meldebescheinigung (Test)"}
    )
    version = definition.versions.filter(status=FormVersion.Status.PUBLISHED).first()
    if version is None:
        version = FormVersion.objects.create(
            definition=definition,
            number=definition.versions.count() + 1,
            status=FormVersion.Status.PUBLISHED,
            schema=SCHEMA.model_dump(mode="json", by_alias=True, exclude_none=True),
            published_at=timezone.now(),
        )
    return version


def open_draft(
    *, citizen: User, service: Service, authority: Authority, data: dict[str, Any] | None = None
) -> Draft:
    return Draft.objects.create(
        form_version=citizen_form_version(service=service, authority=authority),
        service=service,
        authority=authority,
        applicant=citizen,
        data=dict(VALID_DATA if data is None else data),
        completed_steps=["person", "purpose"],
    )


def submitted_case(
    *, citizen: User, service: Service, authority: Authority, data: dict[str, Any] | None = None
) -> Case:
    """A case at ``authority``, submitted by ``citizen`` through the real submission service."""
    ensure_default_status_model()
    draft = open_draft(citizen=citizen, service=service, authority=authority, data=data)
    submission = submission_submit(draft=draft, actor=citizen, channel="web", assurance=EID_LOGIN)
    return Case.objects.select_related("authority", "service").get(submission=submission)


def request_information(
    *,
    case: Case,
    caseworker: User,
    message: str = "Bitte reichen Sie eine Kopie Ihres Personalausweises nach.",
    due_date: date | None = None,
) -> InformationRequest:
    """A caseworker's information request (Nachforderung); the citizen gets a postbox message."""
    return case_request_information(
        case=case, message=message, actor=caseworker, channel="web", due_date=due_date
    )


def add_document(
    *,
    case: Case,
    kind: str,
    filename: str = "bescheid.pdf",
    content: bytes = PDF_BYTES,
    uploaded_by: User | None = None,
) -> Document:
    """A stored document of ``case`` (a receipt, a notice, an internal file …)."""
    document = Document(
        kind=kind,
        case=case,
        filename=filename,
        content_type="application/pdf",
        size=len(content),
        sha256=hashlib.sha256(content).hexdigest(),
        uploaded_by=uploaded_by,
        created_at=timezone.now(),
    )
    document.file.save(filename, ContentFile(content), save=False)
    document.save()
    return document


def deliver_notice_message(*, case: Case, document: Document) -> PostboxMessage:
    """A postbox message with an attached document, as the notice delivery sends it."""
    from django.db import transaction

    with transaction.atomic():
        return postbox_deliver(
            recipient_id=case.applicant_id,
            case=case,
            kind=PostboxMessage.Kind.NOTICE,
            subject=f"{case.title}: Bescheid",
            body="Ihr Bescheid liegt bei.",
            document=document,
        )


def other_citizen(email: str = "otto@example.org") -> User:
    """A second citizen, to prove that one citizen never sees another's things."""
    return make_user(email, kind=User.Kind.CITIZEN, first="Otto", last="Other")
