"""The health office's writes on the instruction: material versions (draft → published → retired), the
question pool, the programme's quiz rules and the revocation of certificates.

Each function is one transaction, checks that the actor may administer the authority (the pages and the
API check it too; this is the last line), and records what changed in the audit log.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping
from typing import Any

from django.core.files.uploadedfile import UploadedFile
from django.db import transaction
from django.db.models import Max
from django.utils import timezone

from amtsweg.core.problems import Problem
from amtsweg.identity.models import User
from amtsweg.notices.services import notice_revoke
from amtsweg.tenancy import access
from amtsweg.tenancy.models import AuditEvent, Office

from . import languages, uploads
from .models import Certificate, ItemResult, Material, Programme, Question

MIN_OPTIONS = 2
MAX_OPTIONS = 6
MAX_WORK_START_MONTHS = 3  # § 43 Abs. 1 IfSG: the certificate may be at most three months old
MAX_RETRY_WAIT_HOURS = 24 * 30


class AdminProblem(Problem):
    status_code = 422
    code = "ifsg-invalid"


class MaterialImmutable(Problem):
    status_code = 409
    code = "material-immutable"


class PoolTooSmall(Problem):
    status_code = 409
    code = "question-pool-too-small"


def _require_admin(actor: User, authority_id: int) -> None:
    if not access.can_access(actor, authority_id, administer=True):
        raise Problem(
            "Nur die Administration des Gesundheitsamts darf das ändern.",
            "Only the health office's administrators may change this.",
            status_code=403,
            code="permission-denied",
        )


def _invalid(errors: dict[str, list[str]]) -> AdminProblem:
    first = next(iter(errors.values()))[0]
    return AdminProblem(first, "The input is not valid.", extra={"errors": errors})


def _audit(
    actor: User, action: str, obj: Any, authority_id: int, channel: str, changes: dict[str, Any]
) -> None:
    access.audit(
        actor=actor, action=action, obj=obj, authority_id=authority_id, channel=channel, changes=changes
    )


# --- material --------------------------------------------------------------------------------------

FileMap = Mapping[str, UploadedFile[bytes]]


def _material_errors(*, title: str, text: str, declaration: str) -> dict[str, list[str]]:
    errors: dict[str, list[str]] = {}
    for field, value, label in (
        ("title", title, "Titel"),
        ("text", text, "Belehrungstext"),
        ("declaration", declaration, "Erklärung"),
    ):
        if not value.strip():
            errors[field] = [
                f"Bitte geben Sie den {label} an."
                if field != "declaration"
                else "Bitte geben Sie die Erklärung an."
            ]
    if len(title) > 200:
        errors.setdefault("title", []).append("Der Titel ist zu lang (höchstens 200 Zeichen).")
    return errors


def _apply_content(
    material: Material,
    *,
    title: str,
    text: str,
    declaration: str,
    transcript: str,
    files: FileMap,
    remove: Collection[str],
) -> list[str]:
    """Set the fields and store the checked files; the names of the changed fields."""
    errors = _material_errors(title=title, text=text, declaration=declaration)
    checked: dict[str, uploads.CheckedFile] = {}
    for kind, upload in files.items():
        if kind not in uploads.CHECKS:
            raise ValueError(kind)
        try:
            checked[kind] = uploads.CHECKS[kind](upload)
        except uploads.MaterialFileRejected as rejected:
            errors.setdefault(kind, []).append(rejected.detail_de)
    if errors:
        raise _invalid(errors)
    changed = [
        name
        for name, value in (
            ("title", title),
            ("text", text),
            ("declaration", declaration),
            ("transcript", transcript),
        )
        if getattr(material, name) != value
    ]
    material.title, material.text, material.declaration, material.transcript = (
        title,
        text,
        declaration,
        transcript,
    )
    for kind in remove:
        if kind in uploads.CHECKS and getattr(material, kind):
            setattr(material, kind, "")  # the file stays: a published version may still point to it
            changed.append(kind)
    for kind, upload in files.items():
        # Written to storage before the commit; a rolled-back version leaves an unreferenced file,
        # never a version pointing to a missing one.
        getattr(material, kind).save(checked[kind].name, upload, save=False)
        changed.append(kind)
    return changed


def material_version_create(
    *,
    programme: Programme,
    language: str,
    actor: User,
    channel: str,
    title: str,
    text: str,
    declaration: str,
    transcript: str = "",
    files: FileMap | None = None,
    remove: Collection[str] = (),
) -> Material:
    """A new draft version of the material in ``language``, starting from the files of the newest
    version (a new upload replaces one, ``remove`` drops one). One open draft per language."""
    _require_admin(actor, programme.authority_id)
    if language not in languages.BY_CODE:
        raise _invalid({"language": ["Diese Sprache gibt es nicht."]})
    with transaction.atomic():
        Programme.objects.select_for_update().get(pk=programme.pk)  # serialises version numbers
        versions = Material.objects.filter(programme=programme, language=language)
        if versions.filter(status=Material.Status.DRAFT).exists():
            raise MaterialImmutable(
                "Für diese Sprache gibt es schon einen Entwurf; bitte bearbeiten Sie ihn.",
                "There already is a draft in this language; please edit it.",
                code="material-draft-exists",
            )
        base = versions.order_by("-version").first()
        material = Material(
            programme=programme,
            language=language,
            version=(versions.aggregate(top=Max("version"))["top"] or 0) + 1,
            status=Material.Status.DRAFT,
            created_by=actor,
        )
        if base is not None:
            material.video, material.captions, material.leaflet = (
                base.video.name,
                base.captions.name,
                base.leaflet.name,
            )
        _apply_content(
            material,
            title=title,
            text=text,
            declaration=declaration,
            transcript=transcript,
            files=files or {},
            remove=remove,
        )
        material.save()
        _audit(
            actor,
            AuditEvent.Action.CREATE,
            material,
            programme.authority_id,
            channel,
            {"language": language, "version": material.version, "based_on": base.version if base else None},
        )
    return material


def material_draft_update(
    *,
    material: Material,
    actor: User,
    channel: str,
    title: str,
    text: str,
    declaration: str,
    transcript: str = "",
    files: FileMap | None = None,
    remove: Collection[str] = (),
) -> Material:
    """Change a draft; published and retired versions never change (:class:`MaterialImmutable`)."""
    authority_id = material.programme.authority_id
    _require_admin(actor, authority_id)
    with transaction.atomic():
        locked = Material.objects.select_for_update().select_related("programme").get(pk=material.pk)
        if locked.status != Material.Status.DRAFT:
            raise MaterialImmutable(
                "Veröffentlichte Versionen bleiben unverändert; legen Sie eine neue Version an.",
                "Published versions never change; create a new version.",
            )
        changed = _apply_content(
            locked,
            title=title,
            text=text,
            declaration=declaration,
            transcript=transcript,
            files=files or {},
            remove=remove,
        )
        locked.save()
        _audit(actor, AuditEvent.Action.UPDATE, locked, authority_id, channel, {"fields": changed})
    return locked


def material_publish_problems(material: Material) -> list[str]:
    """Why ``material`` cannot be published yet (German), empty when it can."""
    errors = _material_errors(title=material.title, text=material.text, declaration=material.declaration)
    problems = [message for messages in errors.values() for message in messages]
    if material.video and not material.captions:
        problems.append("Zum Video fehlen die Untertitel (WebVTT).")
    if material.video and not material.transcript.strip():
        problems.append("Zum Video fehlt das Transkript.")
    if material.captions and not material.video:
        problems.append(
            "Untertitel ohne Video: Bitte laden Sie das Video hoch oder entfernen Sie die Untertitel."
        )
    return problems


def material_publish(*, material: Material, actor: User, channel: str) -> Material:
    """Publish the draft ``material``; the language's published version is retired in the same transaction."""
    authority_id = material.programme.authority_id
    _require_admin(actor, authority_id)
    with transaction.atomic():
        locked = Material.objects.select_for_update().get(pk=material.pk)
        if locked.status != Material.Status.DRAFT:
            raise MaterialImmutable(
                "Nur Entwürfe können veröffentlicht werden.", "Only drafts can be published."
            )
        problems = material_publish_problems(locked)
        if problems:
            raise AdminProblem(
                " ".join(problems),
                "The material is not complete.",
                code="material-incomplete",
                extra={"errors": problems},
            )
        previous = (
            Material.objects.select_for_update()
            .filter(
                programme_id=locked.programme_id, language=locked.language, status=Material.Status.PUBLISHED
            )
            .first()
        )
        if previous is not None:
            # Retired first: the database allows one published version per language.
            previous.status = Material.Status.RETIRED
            previous.save(update_fields=["status"])
            _audit(
                actor,
                AuditEvent.Action.UPDATE,
                previous,
                authority_id,
                channel,
                {
                    "status": [Material.Status.PUBLISHED, Material.Status.RETIRED],
                    "replaced_by": locked.version,
                },
            )
        locked.status = Material.Status.PUBLISHED
        locked.published_at = timezone.now()
        locked.published_by = actor
        locked.save(update_fields=["status", "published_at", "published_by"])
        _audit(
            actor,
            AuditEvent.Action.UPDATE,
            locked,
            authority_id,
            channel,
            {
                "status": [Material.Status.DRAFT, Material.Status.PUBLISHED],
                "replaces": previous.version if previous else None,
            },
        )
    return locked


# --- question pool ---------------------------------------------------------------------------------


def question_errors(texts: Mapping[str, Mapping[str, Any]], correct: int) -> dict[str, list[str]]:
    """What is wrong with a question's texts: German messages keyed ``<language>.text``,
    ``<language>.options``, ``options`` (counts differ) and ``correct`` (the index).

    German is required (statistics and the pool name items by it); every language given has a question
    and 2–6 non-empty options, the same number in every language; ``correct`` indexes one of them.
    """
    errors: dict[str, list[str]] = {}
    if "de" not in texts:
        errors["de.text"] = ["Der deutsche Text ist Pflicht."]
    counts: set[int] = set()
    for code, entry in texts.items():
        if code not in languages.BY_CODE:
            errors.setdefault(code, []).append("Diese Sprache gibt es nicht.")
            continue
        if not str(entry.get("text", "")).strip():
            errors[f"{code}.text"] = ["Bitte geben Sie die Frage an."]
        options = entry.get("options") or []
        if not isinstance(options, list) or any(not str(option).strip() for option in options):
            errors[f"{code}.options"] = ["Antworten dürfen nicht leer sein."]
        elif not MIN_OPTIONS <= len(options) <= MAX_OPTIONS:
            errors[f"{code}.options"] = [
                f"Bitte geben Sie {MIN_OPTIONS} bis {MAX_OPTIONS} Antworten an (eine je Zeile)."
            ]
        else:
            counts.add(len(options))
    if len(counts) > 1:
        errors.setdefault("options", []).append(
            "Jede Sprache braucht gleich viele Antworten in derselben Reihenfolge."
        )
    elif counts and not 0 <= correct < next(iter(counts)):
        errors.setdefault("correct", []).append("Die richtige Antwort muss eine der Antworten sein.")
    return errors


def _clean_texts(texts: Mapping[str, Mapping[str, Any]]) -> dict[str, dict[str, Any]]:
    return {
        code: {
            "text": str(entry.get("text", "")).strip(),
            "options": [str(option).strip() for option in entry.get("options") or []],
            "explanation": str(entry.get("explanation", "")).strip(),
        }
        for code, entry in texts.items()
    }


def _active_count(programme_id: int, *, excluding: int | None = None) -> int:
    questions = Question.objects.filter(programme_id=programme_id, active=True)
    if excluding is not None:
        questions = questions.exclude(pk=excluding)
    return questions.count()


def question_create(
    *,
    programme: Programme,
    actor: User,
    channel: str,
    texts: Mapping[str, Mapping[str, Any]],
    correct: int,
    topic: str = "",
    active: bool = True,
) -> Question:
    """A new question of the pool, numbered after the highest number so far."""
    _require_admin(actor, programme.authority_id)
    cleaned = _clean_texts(texts)
    errors = question_errors(cleaned, correct)
    if errors:
        raise _invalid(errors)
    with transaction.atomic():
        Programme.objects.select_for_update().get(pk=programme.pk)
        number = (Question.objects.filter(programme=programme).aggregate(top=Max("number"))["top"] or 0) + 1
        question = Question.objects.create(
            programme=programme,
            number=number,
            topic=topic.strip(),
            correct=correct,
            active=active,
            texts=cleaned,
        )
        _audit(actor, AuditEvent.Action.CREATE, question, programme.authority_id, channel, {"number": number})
    return question


def question_update(
    *,
    question: Question,
    actor: User,
    channel: str,
    texts: Mapping[str, Mapping[str, Any]],
    correct: int,
    topic: str = "",
    active: bool = True,
) -> Question:
    """Change a question. Once it has been answered its options and the correct one stay as they are
    (statistics would otherwise mix two different items): add a new question and deactivate this one.
    Deactivating keeps its answers and statistics; the pool must still fill an attempt."""
    programme = question.programme
    _require_admin(actor, programme.authority_id)
    cleaned = _clean_texts(texts)
    errors = question_errors(cleaned, correct)
    if errors:
        raise _invalid(errors)
    with transaction.atomic():
        Programme.objects.select_for_update().get(pk=programme.pk)
        locked = Question.objects.select_for_update().get(pk=question.pk)
        old_count = len(locked.texts.get("de", {}).get("options", []))
        new_count = len(cleaned["de"]["options"])
        if (old_count != new_count or locked.correct != correct) and ItemResult.objects.filter(
            question=locked
        ).exists():
            raise AdminProblem(
                "Diese Frage wurde schon beantwortet: Anzahl der Antworten und richtige Antwort bleiben. "
                "Legen Sie eine neue Frage an und deaktivieren Sie diese.",
                "This question has been answered: its options and correct answer stay. Add a new one.",
                code="question-answered",
            )
        if (
            locked.active
            and not active
            and _active_count(programme.pk, excluding=locked.pk) < programme.questions_per_attempt
        ):
            raise PoolTooSmall(
                "Ohne diese Frage reichen die aktiven Fragen nicht für einen Durchgang "
                f"({programme.questions_per_attempt} Fragen).",
                "Without this question the active pool cannot fill an attempt.",
            )
        changes: dict[str, Any] = {}
        if locked.texts != cleaned:
            changes["texts"] = sorted(
                code
                for code in set(locked.texts) | set(cleaned)
                if locked.texts.get(code) != cleaned.get(code)
            )
        for name, value in (("correct", correct), ("active", active), ("topic", topic.strip())):
            if getattr(locked, name) != value:
                changes[name] = [getattr(locked, name), value]
        locked.texts, locked.correct, locked.active, locked.topic = cleaned, correct, active, topic.strip()
        locked.save()
        _audit(actor, AuditEvent.Action.UPDATE, locked, programme.authority_id, channel, changes)
    return locked


# --- programme -------------------------------------------------------------------------------------

PROGRAMME_FIELDS = (
    "enabled",
    "questions_per_attempt",
    "pass_mark",
    "attempts_per_round",
    "retry_wait_hours",
    "review_material_after_failure",
    "work_start_months",
    "appointment_office",
)


def programme_errors(programme: Programme, values: Mapping[str, Any]) -> dict[str, list[str]]:
    """Pass mark ≤ questions per attempt ≤ active questions, and the other rules in their bounds."""
    errors: dict[str, list[str]] = {}
    per_attempt = int(values["questions_per_attempt"])
    pass_mark = int(values["pass_mark"])
    active = _active_count(programme.pk)
    if per_attempt < 1:
        errors["questions_per_attempt"] = ["Mindestens eine Frage je Durchgang."]
    elif per_attempt > active:
        errors["questions_per_attempt"] = [
            f"Es gibt nur {active} aktive Fragen; mehr können nicht gestellt werden."
        ]
    if pass_mark < 1:
        errors["pass_mark"] = ["Mindestens eine Frage muss richtig sein."]
    elif pass_mark > per_attempt:
        errors["pass_mark"] = [
            "Die Bestehensgrenze darf nicht höher sein als die Zahl der Fragen je Durchgang."
        ]
    if int(values["attempts_per_round"]) < 1:
        errors["attempts_per_round"] = ["Mindestens ein Versuch."]
    if not 0 <= int(values["retry_wait_hours"]) <= MAX_RETRY_WAIT_HOURS:
        errors["retry_wait_hours"] = [f"Höchstens {MAX_RETRY_WAIT_HOURS} Stunden."]
    if not 1 <= int(values["work_start_months"]) <= MAX_WORK_START_MONTHS:
        errors["work_start_months"] = [f"Zwischen 1 und {MAX_WORK_START_MONTHS} Monaten (§ 43 Abs. 1 IfSG)."]
    office = values.get("appointment_office")
    if office is not None and (
        not isinstance(office, Office) or office.authority_id != programme.authority_id
    ):
        errors["appointment_office"] = ["Die Dienststelle muss zum Gesundheitsamt gehören."]
    return errors


def programme_update(
    *, programme: Programme, actor: User, channel: str, values: Mapping[str, Any]
) -> Programme:
    """Change the programme's quiz rules, the work-start period and the office for in-person instruction."""
    _require_admin(actor, programme.authority_id)
    unknown = set(values) - set(PROGRAMME_FIELDS)
    if unknown:
        raise ValueError(sorted(unknown))
    with transaction.atomic():
        locked = Programme.objects.select_for_update().get(pk=programme.pk)
        merged = {name: getattr(locked, name) for name in PROGRAMME_FIELDS} | dict(values)
        errors = programme_errors(locked, merged)
        if errors:
            raise _invalid(errors)
        changes: dict[str, Any] = {}
        for name in PROGRAMME_FIELDS:
            before, after = getattr(locked, name), merged[name]
            if before != after:
                changes[name] = [getattr(before, "pk", before), getattr(after, "pk", after)]
                setattr(locked, name, after)
        if changes:
            locked.save()
            _audit(actor, AuditEvent.Action.UPDATE, locked, locked.authority_id, channel, changes)
    return locked


# --- certificates ----------------------------------------------------------------------------------


def certificate_revoke(*, certificate: Certificate, actor: User, reason: str, channel: str) -> Certificate:
    """Revoke the certificate: its notice is revoked (``notices.services.notice_revoke``), so the public
    verification answers "revoked" from now on; the holder is told in the postbox."""
    notice_revoke(notice=certificate.notice, actor=actor, reason=reason, channel=channel)
    return Certificate.objects.select_related("notice").get(pk=certificate.pk)
