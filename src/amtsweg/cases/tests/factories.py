"""Factories for cases: a published form for the town service, drafts, and cases made by submitting them.

Cases are created the way a citizen creates them, through ``submission_submit``, so every test of the
staff side works on cases with a submission, a reference number, a status and a first history entry.
"""

from __future__ import annotations

from typing import Any

from django.core.files.base import ContentFile
from django.utils import timezone

from amtsweg.cases import services
from amtsweg.cases.models import Case, Document, InformationRequest
from amtsweg.cases.services import submission_submit
from amtsweg.forms.models import Draft, FormDefinition, FormVersion
from amtsweg.forms.schema import FieldType, FormField, FormSchema, Step, text
from amtsweg.identity.models import User
from amtsweg.notices.models import NoticeTemplate
from amtsweg.tenancy.models import Authority
from amtsweg.testing import EID_LOGIN, World

SCHEMA = FormSchema(
    title=text("Meldebescheinigung beantragen", "Apply for a certificate of registration"),
    steps=[
        Step(
            key="person",
            title=text("Angaben zur Person", "About you"),
            fields=[
                FormField(
                    key="given_name", type=FieldType.TEXT, label=text("Vorname", "Given name"), required=True
                ),
                FormField(
                    key="family_name",
                    type=FieldType.TEXT,
                    label=text("Familienname", "Family name"),
                    required=True,
                ),
                FormField(key="birth_date", type=FieldType.DATE, label=text("Geburtsdatum", "Date of birth")),
            ],
        ),
        Step(
            key="purpose",
            title=text("Zweck", "Purpose"),
            fields=[
                FormField(
                    key="copies",
                    type=FieldType.NUMBER,
                    label=text("Anzahl der Ausfertigungen", "Number of copies"),
                    minimum="1",
                    maximum="5",
                    required=True,
                ),
                FormField(key="remark", type=FieldType.TEXTAREA, label=text("Bemerkung", "Remark")),
                FormField(key="proof", type=FieldType.FILE, label=text("Nachweis", "Proof"), max_files=3),
            ],
        ),
    ],
)
VALID_DATA: dict[str, Any] = {
    "given_name": "Clara",
    "family_name": "Citizen",
    "birth_date": "1990-04-01",
    "copies": 1,
    "remark": "Für den Arbeitgeber",
}


def ensure_default_status_model() -> None:
    """The default status model of the migration (transactional tests flush migration data)."""
    services.ensure_default_status_model()


def notice_templates(world: World) -> None:
    """Notice templates of the town service for every decision, so cases can be decided."""
    for decision, verb in (
        ("granted", "bewilligt"),
        ("partially", "teilweise bewilligt"),
        ("rejected", "abgelehnt"),
    ):
        NoticeTemplate.objects.get_or_create(
            service=world.town_service,
            authority=None,
            decision=decision,
            defaults={
                "subject": f"Meldebescheinigung – {verb}",
                "body": f"Ihr Antrag {{{{ case.reference }}}} wird {verb}.",
                "legal_remedy": "Gegen diesen Bescheid kann innerhalb eines Monats Klage erhoben werden.",
                "fee_lines": [{"label": "Meldebescheinigung", "legal_basis": "GebO § 1", "amount": "10.00"}],
            },
        )


def town_form_version(world: World) -> FormVersion:
    """The published form of the town service (created once per test database)."""
    ensure_default_status_model()
    definition, _ = FormDefinition.objects.get_or_create(
        service=world.town_service, authority=None, defaults={"name": "Meldebescheinigung"}
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


def make_draft(
    world: World,
    *,
    authority: Authority | None = None,
    applicant: User | None = None,
    data: dict[str, Any] | None = None,
) -> Draft:
    return Draft.objects.create(
        form_version=town_form_version(world),
        service=world.town_service,
        authority=authority or world.neuss,
        applicant=applicant or world.citizen,
        data=dict(VALID_DATA if data is None else data),
        completed_steps=["person", "purpose"],
    )


def submit_case(
    world: World,
    *,
    authority: Authority | None = None,
    applicant: User | None = None,
    data: dict[str, Any] | None = None,
    attachment: bytes | None = None,
) -> Case:
    """A case of the town service at ``authority`` (default Neuss), submitted by ``applicant``."""
    applicant = applicant or world.citizen
    draft = make_draft(world, authority=authority, applicant=applicant, data=data)
    if attachment is not None:
        document = add_document(
            draft=draft, content=attachment, filename="nachweis.pdf", uploaded_by=applicant
        )
        document.field_key = "proof"
        document.save(update_fields=["field_key"])
        draft.data = {**draft.data, "proof": [str(document.pk)]}
        draft.save(update_fields=["data"])
    submission = submission_submit(draft=draft, actor=applicant, channel="web", assurance=EID_LOGIN)
    return Case.objects.get(submission=submission)


def add_document(
    *,
    content: bytes,
    filename: str,
    uploaded_by: User | None,
    draft: Draft | None = None,
    case: Case | None = None,
    information_request: InformationRequest | None = None,
    content_type: str = "application/pdf",
    kind: str = Document.Kind.ATTACHMENT,
) -> Document:
    import hashlib

    document = Document(
        kind=kind,
        draft=draft,
        case=case,
        information_request=information_request,
        filename=filename,
        content_type=content_type,
        size=len(content),
        sha256=hashlib.sha256(content).hexdigest(),
        uploaded_by=uploaded_by,
        created_at=timezone.now(),
    )
    document.file.save(filename, ContentFile(content), save=False)
    document.save()
    return document
