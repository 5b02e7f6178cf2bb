"""Writes of the forms module.

Form definitions (top of this file): versions are created and published here, each change checked
(variants: the authority's administrators; alliance forms: the alliance administrators) and audited.
``actor=None`` is the operator on the command line, who has the machine and needs no role.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from django.contrib.auth.models import AnonymousUser
from django.core.exceptions import PermissionDenied
from django.core.files.uploadedfile import UploadedFile
from django.db import IntegrityError, transaction
from django.db.models import Max, QuerySet
from django.http import Http404
from django.utils import timezone
from django.utils.datastructures import MultiValueDict
from pydantic import ValidationError

from amtsweg.cases.documents import document_delete, document_store
from amtsweg.cases.models import Document
from amtsweg.catalog.models import Service, ServiceOffering
from amtsweg.core.problems import Problem
from amtsweg.identity.models import User
from amtsweg.tenancy.access import Actor, audit
from amtsweg.tenancy.models import AuditEvent, Authority

from .engine import merge_step, step_visible, validate_step, visible_steps
from .models import Draft, FormDefinition, FormVersion
from .schema import FieldType, FormField, FormSchema
from .selectors import may_change_forms_of, published_form_for
from .xdatenfelder import ImportedForm, parse_xdatenfelder

CHANNEL_CLI = "cli"

# --- form definitions ----------------------------------------------------------------------------


def schema_json(schema: FormSchema) -> dict[str, object]:
    """The stored form of a schema (``FormVersion.schema``)."""
    return schema.model_dump(mode="json", by_alias=True, exclude_none=True)


def _require_may_change(actor: Actor | None, authority: Authority | int | None) -> None:
    if actor is None or may_change_forms_of(actor, authority):
        return
    if authority is None:
        raise Problem(
            "Nur die Verbundadministration darf das Formular des Verbunds ändern.",
            "Only the alliance administrators may change the alliance's form.",
            status_code=403,
            code="permission-denied",
        )
    raise Problem(
        "Nur die Administration der Behörde darf ihre Formularvariante ändern.",
        "Only the authority's administrators may change its form variant.",
        status_code=403,
        code="permission-denied",
    )


def _audit(
    *, actor: Actor | None, action: str, version: FormVersion, channel: str, changes: dict[str, object]
) -> None:
    audit(
        actor=actor if actor is not None else AnonymousUser(),
        action=action,
        obj=version,
        authority_id=version.definition.authority_id,
        channel=channel,
        changes=changes,
    )


def form_definition_get_or_create(*, service: Service, authority: Authority | None) -> FormDefinition:
    """The alliance form of ``service`` (``authority=None``) or ``authority``'s variant, made if missing."""
    lookup = FormDefinition.objects.filter(service=service, authority=authority)
    definition = lookup.select_related("service", "authority").first()
    if definition is not None:
        return definition
    name = service.name if authority is None else f"{service.name} – {authority.name}"
    try:
        with transaction.atomic():
            return FormDefinition.objects.create(service=service, authority=authority, name=name[:300])
    except IntegrityError:  # created concurrently; the partial unique constraints decide
        return lookup.select_related("service", "authority").get()


def form_version_create(
    *,
    definition: FormDefinition,
    schema: FormSchema,
    source: str,
    actor: Actor | None,
    channel: str = CHANNEL_CLI,
) -> FormVersion:
    """A new draft version of ``definition`` with the next number."""
    _require_may_change(actor, definition.authority_id)
    with transaction.atomic():
        # Locking the definition serialises concurrent imports, so numbers never collide.
        FormDefinition.objects.select_for_update().filter(pk=definition.pk).first()
        number = (definition.versions.aggregate(highest=Max("number"))["highest"] or 0) + 1
        version = FormVersion.objects.create(
            definition=definition,
            number=number,
            status=FormVersion.Status.DRAFT,
            schema=schema_json(schema),
            source=source[:200],
        )
        version.definition = definition
        _audit(
            actor=actor,
            action=AuditEvent.Action.CREATE,
            version=version,
            channel=channel,
            changes={"number": number, "source": version.source},
        )
    return version


def form_version_publish(
    *, version: FormVersion, actor: Actor | None, channel: str = CHANNEL_CLI
) -> FormVersion:
    """Publish ``version`` (a draft, or a retired one to roll back) and retire the one published so far.

    Publishing an already published version changes nothing. Drafts of citizens keep the version
    they started on, so an application in progress is never broken by this.
    """
    definition = version.definition
    _require_may_change(actor, definition.authority_id)
    with transaction.atomic():
        FormDefinition.objects.select_for_update().filter(pk=definition.pk).first()
        locked = FormVersion.objects.select_for_update().get(pk=version.pk)
        locked.definition = definition
        if locked.status == FormVersion.Status.PUBLISHED:
            return locked
        try:
            FormSchema.model_validate(locked.schema)
        except ValidationError as exc:
            raise Problem(
                f"Version {locked.number} ist keine gültige Formulardefinition: {exc.error_count()} Fehler.",
                f"Version {locked.number} is not a valid form definition: {exc.error_count()} errors.",
                status_code=409,
                code="form-invalid",
            ) from exc
        previous = (
            FormVersion.objects.select_for_update()
            .filter(definition=definition, status=FormVersion.Status.PUBLISHED)
            .first()
        )
        if previous is not None:
            previous.status = FormVersion.Status.RETIRED
            previous.save(update_fields=["status"])
            previous.definition = definition
            _audit(
                actor=actor,
                action=AuditEvent.Action.UPDATE,
                version=previous,
                channel=channel,
                changes={"status": [FormVersion.Status.PUBLISHED.value, FormVersion.Status.RETIRED.value]},
            )
        old_status = locked.status
        locked.status = FormVersion.Status.PUBLISHED
        locked.published_at = timezone.now()
        locked.save(update_fields=["status", "published_at"])
        _audit(
            actor=actor,
            action=AuditEvent.Action.UPDATE,
            version=locked,
            channel=channel,
            changes={"status": [old_status, FormVersion.Status.PUBLISHED.value]},
        )
    return locked


@dataclass(frozen=True)
class FormImport:
    """The outcome of importing one file: the version it produced (or matched) and what was read."""

    version: FormVersion
    created: bool  # False: identical to the newest version, nothing new was written
    imported: ImportedForm


def form_import_xdatenfelder(
    *,
    service: Service,
    authority: Authority | None,
    data: bytes,
    filename: str,
    actor: Actor | None,
    publish: bool = False,
    channel: str = CHANNEL_CLI,
) -> FormImport:
    """Import one XDatenfelder file as a new version of the service's form (alliance form or variant).

    All or nothing: an invalid file raises :class:`~amtsweg.forms.xdatenfelder.XDatenfelderError`
    before anything is written. Importing a file whose form equals the newest version creates no
    new version (with ``publish`` that version is published if it is not yet).
    """
    _require_may_change(actor, authority)
    if (
        authority is not None
        and not ServiceOffering.objects.filter(service=service, authority=authority).exists()
    ):
        raise Problem(
            f"{authority.name} bietet die Leistung „{service.name}“ nicht an; eine Formularvariante ist "
            "dafür nicht möglich.",
            f"{authority.name} does not offer the service '{service.name}'; a form variant is not possible.",
            status_code=400,
            code="service-not-offered",
        )
    imported = parse_xdatenfelder(data, filename=filename)
    payload = schema_json(imported.schema)
    with transaction.atomic():
        definition = form_definition_get_or_create(service=service, authority=authority)
        FormDefinition.objects.select_for_update().filter(pk=definition.pk).first()
        latest = definition.versions.order_by("-number").first()
        if latest is not None and latest.schema == payload:
            version, created = latest, False
            version.definition = definition
        else:
            version = form_version_create(
                definition=definition,
                schema=imported.schema,
                source=f"{imported.source} ({filename})",
                actor=actor,
                channel=channel,
            )
            created = True
        if publish and version.status != FormVersion.Status.PUBLISHED:
            version = form_version_publish(version=version, actor=actor, channel=channel)
    return FormImport(version=version, created=created, imported=imported)


# --- drafts ---------------------------------------------------------------------------------------
# A citizen's application in progress (Antragsentwurf). Every lookup filters by the applicant, so a
# guessed or tampered id and another citizen's draft both end in the same 404. A draft keeps the form
# version it started on; submitting it is ``cases.services.submission_submit``.
class NoOnlineForm(Problem):
    status_code = 404
    code = "no-online-form"


class DraftAlreadySubmitted(Problem):
    status_code = 409
    code = "draft-submitted"


class StepNotAvailable(Problem):
    status_code = 422
    code = "step-not-available"


@dataclass(frozen=True)
class StepSave:
    """The result of saving one step: the draft (saved only when ``errors`` is empty) and the errors."""

    draft: Draft
    errors: dict[str, list[str]]

    @property
    def saved(self) -> bool:
        return not self.errors


def _require_citizen(actor: Actor) -> User:
    if not isinstance(actor, User) or not actor.is_authenticated or actor.is_staff_account:
        raise PermissionDenied
    return actor


def draft_get_for_applicant(*, draft_id: uuid.UUID | str, applicant: Actor) -> Draft:
    """The applicant's own draft (submitted or not); :class:`Http404` for every other id."""
    if not isinstance(applicant, User) or not applicant.is_authenticated:
        raise Http404
    try:
        return Draft.objects.select_related("form_version__definition", "service", "authority").get(
            pk=uuid.UUID(str(draft_id)), applicant=applicant
        )
    except (Draft.DoesNotExist, ValueError) as exc:
        raise Http404 from exc


def drafts_open_for_applicant(*, applicant: User) -> QuerySet[Draft]:
    """Drafts not submitted yet, most recently saved first."""
    return (
        Draft.objects.filter(applicant=applicant, submitted_at__isnull=True)
        .select_related("service", "authority", "form_version")
        .order_by("-updated_at")
    )


def draft_uploads(draft: Draft) -> dict[str, str]:
    """The draft's documents as id → field key, which file answers are checked against."""
    return {str(pk): key for pk, key in Document.objects.filter(draft=draft).values_list("pk", "field_key")}


def draft_start(*, service: Service, authority: Authority, applicant: Actor) -> Draft:
    """Start an application for ``service`` at the responsible ``authority`` on its published form."""
    citizen = _require_citizen(applicant)
    if not ServiceOffering.objects.filter(service=service, authority=authority, enabled=True).exists():
        raise NoOnlineForm(
            f"{authority.name} bietet die Leistung „{service.name}“ derzeit nicht an.",
            f"{authority.name} does not currently offer the service '{service.name}'.",
            code="service-not-offered",
        )
    version = published_form_for(service=service, authority=authority)
    if version is None:
        raise NoOnlineForm(
            f"Für „{service.name}“ gibt es bei {authority.name} noch kein Online-Formular.",
            f"There is no online form for '{service.name}' at {authority.name} yet.",
        )
    steps = visible_steps(version.parsed, {})
    return Draft.objects.create(
        form_version=version,
        service=service,
        authority=authority,
        applicant=citizen,
        current_step=steps[0].key if steps else "",
    )


def _locked(draft: Draft) -> Draft:
    locked = Draft.objects.select_for_update().select_related("form_version").get(pk=draft.pk)
    if locked.submitted_at is not None:
        raise DraftAlreadySubmitted(
            "Dieser Antrag ist bereits eingereicht und kann nicht mehr geändert werden.",
            "This application has already been submitted and can no longer be changed.",
        )
    return locked


def draft_step_save(
    *,
    draft: Draft,
    step_key: str,
    raw: Mapping[str, Any] | MultiValueDict[str, Any],
    actor: Actor,
    partial: bool = False,
) -> StepSave:
    """Validate the answers of one step and, when they are valid, save them into the draft.

    ``partial`` ("save and continue later", "back", adding a row) skips requiredness and rules but
    never stores a malformed answer. A complete save marks the step as done; a partial one unmarks it.
    The draft row is locked, so two tabs saving different steps never lose each other's answers.
    """
    if draft.applicant_id != _require_citizen(actor).pk:
        raise PermissionDenied
    with transaction.atomic():
        locked = _locked(draft)
        schema = locked.form_version.parsed
        try:
            schema.step(step_key)
        except KeyError as exc:
            raise StepNotAvailable(
                f"Das Formular hat keinen Schritt „{step_key}“.",
                f"The form has no step {step_key!r}.",
                status_code=404,
                code="unknown-step",
            ) from exc
        if not step_visible(schema, step_key, locked.data):
            raise StepNotAvailable(
                "Dieser Schritt ist nach Ihren bisherigen Angaben nicht vorgesehen.",
                "This step does not apply given your previous answers.",
            )
        cleaned, errors = validate_step(
            schema, step_key, raw, data=locked.data, uploads=draft_uploads(locked), partial=partial
        )
        if errors:
            return StepSave(draft=locked, errors=errors)
        locked.data = merge_step(schema, step_key, locked.data, cleaned)
        completed = [key for key in locked.completed_steps if key != step_key]
        if not partial:
            completed.append(step_key)
        locked.completed_steps = [step.key for step in schema.steps if step.key in completed]
        locked.current_step = step_key
        locked.save(update_fields=["data", "completed_steps", "current_step", "updated_at"])
    return StepSave(draft=locked, errors={})


def _file_field(schema: FormSchema, field_key: str) -> FormField | None:
    def walk(fields: list[FormField]) -> FormField | None:
        for form_field in fields:
            if form_field.key == field_key and form_field.type == FieldType.FILE:
                return form_field
            found = walk(form_field.fields or [])
            if found is not None:
                return found
        return None

    return walk(schema.all_fields())


def draft_document_add(
    *, draft: Draft, upload: UploadedFile[bytes], field_key: str, actor: Actor
) -> Document:
    """Store an upload for the file field ``field_key`` of the draft (type, size and scan checked)."""
    citizen = _require_citizen(actor)
    if draft.applicant_id != citizen.pk:
        raise PermissionDenied
    with transaction.atomic():
        locked = _locked(draft)
        form_field = _file_field(locked.form_version.parsed, field_key)
        if form_field is None:
            raise StepNotAvailable(
                f"Das Formular hat kein Feld „{field_key}“ für Dateien.",
                f"The form has no file field {field_key!r}.",
                code="unknown-file-field",
            )
        return document_store(
            upload=upload,
            kind=Document.Kind.ATTACHMENT,
            actor=citizen,
            draft=locked,
            field_key=field_key,
            allowed_types=form_field.accept,
            max_size=form_field.max_size_mb,
        )


def _without(value: Any, document_id: str) -> Any:
    """``value`` without the document id; a file answer left empty is removed (not kept as ``[]``)."""
    if isinstance(value, list):
        return [_without(item, document_id) for item in value if item != document_id]
    if isinstance(value, dict):
        pruned = {key: _without(item, document_id) for key, item in value.items()}
        return {key: item for key, item in pruned.items() if not (item == [] and value[key] != [])}
    return value


def _step_of_field(schema: FormSchema, field_key: str) -> str | None:
    for step in schema.steps:
        stack = list(step.fields)
        while stack:
            form_field = stack.pop()
            if form_field.key == field_key:
                return step.key
            stack.extend(form_field.fields or [])
    return None


def draft_document_remove(*, draft: Draft, document_id: uuid.UUID | str, actor: Actor) -> None:
    """Delete one of the draft's uploads, and its id from the saved answers."""
    if draft.applicant_id != _require_citizen(actor).pk:
        raise PermissionDenied
    with transaction.atomic():
        locked = _locked(draft)
        try:
            document = Document.objects.get(pk=uuid.UUID(str(document_id)), draft=locked)
        except (Document.DoesNotExist, ValueError) as exc:
            raise Http404 from exc
        data = _without(locked.data, str(document.pk))
        if data != locked.data:
            # The step that held the file may be incomplete now: it is checked again before submission.
            step = _step_of_field(locked.form_version.parsed, document.field_key)
            locked.completed_steps = [key for key in locked.completed_steps if step is None or key != step]
        locked.data = data
        locked.save(update_fields=["data", "completed_steps", "updated_at"])
        document_delete(document=document)


def draft_delete(*, draft: Draft, actor: Actor) -> None:
    """Delete a draft that was not submitted, with its uploads (files removed after commit)."""
    if draft.applicant_id != _require_citizen(actor).pk:
        raise PermissionDenied
    with transaction.atomic():
        locked = _locked(draft)
        for document in Document.objects.filter(draft=locked):
            document_delete(document=document)
        locked.delete()
