"""Applications entered at the counter (am Schalter erfasst): a clerk of the authority fills in the
online form for a citizen who is present and has shown an ID card, and the application goes the same
way as one submitted online (``services.submission_submit``: one submission, one case, the process).

Trust level: the clerk checked the ID card in person, which is the level "hoch" (like the online ID
function); the submission records level ``hoch``, method ``counter-id-check`` and channel ``counter``.

Whose application it is: an existing citizen account, found by its e-mail address (the clerk compares
the account's name with the ID card), or a new citizen record without a password. A new record with an
e-mail address is claimed by whoever proves control of that address: "Passwort vergessen" sends the
link there, and choosing a password confirms the address (``identity.views.PasswordResetConfirmView``).
Nothing else is sent to an unconfirmed address but the receipt e-mail (a link, no personal data).
The clerk types the address twice, so a typo cannot hand the application to a stranger's mailbox.
Without an address the record gets an undeliverable ``@konto.invalid`` address and cannot be claimed
online; the citizen gets everything by post and at the counter.

Idempotent: the entry form carries a random ``entry`` id that becomes the draft's id, so a double
click or a reload after a timeout returns the first submission instead of making a second case.
"""

from __future__ import annotations

import secrets
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any
from uuid import UUID

from django.core.exceptions import PermissionDenied
from django.core.files.uploadedfile import UploadedFile
from django.db import IntegrityError, transaction

from amtsweg.catalog.models import Service, ServiceOffering
from amtsweg.core.problems import Problem
from amtsweg.forms.models import Draft, FormVersion
from amtsweg.forms.schema import FieldType, FormSchema
from amtsweg.identity.assurance import Assurance
from amtsweg.identity.levels import TrustLevel
from amtsweg.identity.models import User
from amtsweg.tenancy import access
from amtsweg.tenancy.models import AuditEvent, Authority

from .models import Document, Submission
from .services import InvalidSubmission, submission_submit

COUNTER_CHANNEL = "counter"
COUNTER_METHOD = "counter-id-check"  # recorded as the submission's login method
COUNTER_ASSURANCE = Assurance(TrustLevel.HIGH, COUNTER_METHOD)
UNCLAIMABLE_DOMAIN = "konto.invalid"  # RFC 2606: never delivered, never claimable


class CounterEntryUsed(Problem):
    """The entry id belongs to something else than this authority's counter submission."""

    status_code = 409
    code = "counter-entry-used"


class ApplicantNotFound(Problem):
    status_code = 422
    code = "counter-applicant-not-found"


class ApplicantExists(Problem):
    status_code = 409
    code = "counter-applicant-exists"


@dataclass(frozen=True)
class CounterApplicant:
    """Whose application it is: an existing account (``existing``), found by ``email``, or a new
    citizen record with these names and ``email`` (may be empty: no online access)."""

    existing: bool
    email: str = ""
    first_name: str = ""
    last_name: str = ""


@dataclass(frozen=True)
class CounterService:
    """A service the authority takes at the counter: enabled offering and a published form."""

    service: Service
    form_version: FormVersion


# --- reads -----------------------------------------------------------------------------------------


def counter_services(*, authority: Authority) -> list[CounterService]:
    """The services ``authority`` offers with a published form, by name (the counter's choice)."""
    from amtsweg.forms.selectors import published_form_for

    offerings = (
        ServiceOffering.objects.filter(authority=authority, enabled=True)
        .select_related("service")
        .order_by("service__name")
    )
    found: list[CounterService] = []
    for offering in offerings:
        version = published_form_for(service=offering.service, authority=authority)
        if version is not None:
            found.append(CounterService(offering.service, version))
    return found


def counter_service(*, authority: Authority, leika_key: str) -> CounterService | None:
    from amtsweg.forms.selectors import published_form_for

    offering = (
        ServiceOffering.objects.filter(authority=authority, enabled=True, service__leika_key=leika_key)
        .select_related("service")
        .first()
    )
    if offering is None:
        return None
    version = published_form_for(service=offering.service, authority=authority)
    return CounterService(offering.service, version) if version is not None else None


def citizen_by_email(email: str) -> User | None:
    """The active citizen account with this address (case-insensitive), or ``None``."""
    address = email.strip()
    if not address:
        return None
    return User.objects.filter(email__iexact=address, kind=User.Kind.CITIZEN, is_active=True).first()


def file_fields(schema: FormSchema) -> list[str]:
    """Top-level file fields: uploaded at the counter with the entry (files inside repeating groups
    are not taken at the counter; no demo form has one)."""
    return [f.key for f in schema.all_fields() if f.type == FieldType.FILE]


# --- writes ----------------------------------------------------------------------------------------


def _require_clerk(actor: User, authority: Authority) -> None:
    if not actor.is_staff_account or not access.can_access(actor, authority):
        raise PermissionDenied


def _applicant(spec: CounterApplicant) -> User:
    """The existing account, or a new citizen record without a password (see the module docstring)."""
    email = spec.email.strip().lower()
    if spec.existing:
        found = citizen_by_email(email)
        if found is None:
            raise ApplicantNotFound(
                "Zu dieser E-Mail-Adresse gibt es kein Bürgerkonto. Legen Sie die Person neu an.",
                "There is no citizen account with this e-mail address. Create the person instead.",
                extra={"errors": {"email": ["Kein Bürgerkonto mit dieser Adresse."]}},
            )
        return found
    if email and User.objects.filter(email__iexact=email).exists():
        # Never attach an application to an account by address alone without the clerk choosing it.
        raise ApplicantExists(
            "Zu dieser E-Mail-Adresse gibt es schon ein Konto. Wählen Sie „Vorhandenes Bürgerkonto“ "
            "und gleichen Sie den Namen mit dem Ausweis ab.",
            "An account with this e-mail address exists. Choose 'existing citizen account' and compare "
            "its name with the ID card.",
            extra={"errors": {"email": ["Zu dieser Adresse gibt es schon ein Konto."]}},
        )
    if not email:
        email = f"schalter-{secrets.token_hex(12)}@{UNCLAIMABLE_DOMAIN}"
    return User.objects.create_user(
        email=email,
        password=None,  # unusable: claimed by a password reset to the (then confirmed) address
        kind=User.Kind.CITIZEN,
        first_name=spec.first_name.strip()[:150],
        last_name=spec.last_name.strip()[:150],
        email_verified_at=None,
    )


def _repeat(entry_id: UUID, authority: Authority) -> Submission | None:
    """The submission an earlier post of the same entry made, or ``None`` when the entry is new."""
    draft = Draft.objects.filter(pk=entry_id).first()
    if draft is None:
        return None
    submission = Submission.objects.select_related("case").filter(draft=draft).first()
    if submission is None or submission.channel != COUNTER_CHANNEL or draft.authority_id != authority.pk:
        raise CounterEntryUsed(
            "Diese Erfassung ist schon vergeben. Bitte beginnen Sie die Erfassung neu.",
            "This entry id is taken. Please start the entry again.",
        )
    return submission


def counter_submit(
    *,
    authority: Authority,
    service: Service,
    applicant: CounterApplicant,
    answers: Mapping[str, Any],
    files: Mapping[str, Sequence[UploadedFile[bytes]]],
    entry_id: UUID,
    actor: User,
) -> Submission:
    """Submit an application the clerk ``actor`` entered at the counter for a citizen present in person.

    One transaction: the applicant (found or created), a draft with the answers and files, and then
    exactly the online submission (``submission_submit``: validation, trust level, case, number,
    process, receipt). Invalid answers store nothing, not even a new citizen record. A repeat of the
    same ``entry_id`` returns the first submission.
    """
    _require_clerk(actor, authority)
    chosen = counter_service(authority=authority, leika_key=service.leika_key)
    if chosen is None:
        raise InvalidSubmission(
            "Diese Leistung hat bei Ihrer Behörde kein veröffentlichtes Formular.",
            "This service has no published form at your authority.",
            code="service-not-offered",
        )
    version = chosen.form_version
    schema = version.parsed
    upload_keys = set(file_fields(schema))
    try:
        with transaction.atomic():
            earlier = _repeat(entry_id, authority)
            if earlier is not None:
                return earlier
            _check_answers(schema, answers, upload_keys)
            citizen = _applicant(applicant)
            draft = Draft.objects.create(
                pk=entry_id,
                form_version=version,
                service=chosen.service,
                authority=authority,
                applicant=citizen,
                data={k: v for k, v in answers.items() if k not in upload_keys},
                completed_steps=[step.key for step in schema.steps],
            )
            data = dict(draft.data)
            for key, uploads in files.items():
                if key in upload_keys and uploads:
                    data[key] = [_store(draft, key, upload, schema, actor) for upload in uploads]
            if data != draft.data:
                draft.data = data
                draft.save(update_fields=["data", "updated_at"])
            submission = submission_submit(
                draft=draft,
                actor=citizen,
                channel=COUNTER_CHANNEL,
                assurance=COUNTER_ASSURANCE,
                entered_by=actor,
            )
            access.audit(
                actor=actor,
                action=AuditEvent.Action.CREATE,
                obj=submission.case,
                authority_id=authority.pk,
                channel=COUNTER_CHANNEL,
                changes={
                    "counter_entry": str(entry_id),
                    "applicant": citizen.pk,
                    "applicant_created": not applicant.existing,
                },
            )
    except IntegrityError:
        # The same entry posted twice at once: the other request created the draft first.
        earlier = _repeat(entry_id, authority)
        if earlier is None:
            raise
        return earlier
    return submission


def _check_answers(schema: FormSchema, answers: Mapping[str, Any], upload_keys: set[str]) -> None:
    """Everything but the files checked before anything is written (files: by ``document_store``)."""
    from amtsweg.forms.engine import clean_all

    _cleaned, errors = clean_all(schema, answers)
    errors = {path: messages for path, messages in errors.items() if path.split(".")[0] not in upload_keys}
    if errors:
        raise InvalidSubmission(
            "Der Antrag ist noch nicht vollständig. Bitte prüfen Sie die markierten Angaben.",
            "The application is not complete yet. Please check the marked answers.",
            extra={"errors": errors},
        )


def _store(draft: Draft, key: str, upload: UploadedFile[bytes], schema: FormSchema, actor: User) -> str:
    from .documents import document_store

    form_field = next(f for f in schema.all_fields() if f.key == key)
    document = document_store(
        upload=upload,
        kind=Document.Kind.ATTACHMENT,
        actor=actor,
        draft=draft,
        field_key=key,
        allowed_types=form_field.accept,
        max_size=form_field.max_size_mb,
    )
    return str(document.pk)
