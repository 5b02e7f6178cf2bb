"""Counter entry in the back office ("am Schalter erfassen", ``/backoffice/<ags>/schalter/``): the clerk
chooses a service, identifies the citizen who is present and fills in the online form on one page.

The page is stateless until the submit: rows of repeating groups are added and removed by re-showing
the page with what was typed (no draft exists before the submit, so an abandoned entry leaves
nothing behind). The hidden ``entry`` id makes the submit idempotent (``services_counter``). Files
go with the submit; after an error the clerk chooses them again (browsers forget chosen files).
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from amtsweg.backoffice.views import backoffice_context, staff_page
from amtsweg.core.problems import Problem
from amtsweg.forms import engine, rendering
from amtsweg.forms.schema import FieldType, FormSchema
from amtsweg.identity.models import User
from amtsweg.tenancy.models import Authority

from .services_counter import (
    UNCLAIMABLE_DOMAIN,
    CounterApplicant,
    CounterService,
    counter_service,
    counter_services,
    counter_submit,
)

_PATH = re.compile(r"[a-z][a-z0-9_]{0,62}(\.[0-9]{1,3}\.[a-z][a-z0-9_]{0,62})*")
# Inputs of the person block: prefixed so they never collide with a form's field keys.
PERSON_FIELDS = ("person_art", "person_email", "person_email2", "person_vorname", "person_familienname")


@dataclass(frozen=True)
class ErrorLink:
    message: str
    target: str


@dataclass
class PersonForm:
    """The "Antragstellende Person" block: values as typed and messages by input name."""

    values: dict[str, str]
    errors: dict[str, list[str]]

    @property
    def existing(self) -> bool:
        return self.values.get("person_art", "konto") != "neu"

    def applicant(self) -> CounterApplicant:
        return CounterApplicant(
            existing=self.existing,
            email=self.values.get("person_email", ""),
            first_name=self.values.get("person_vorname", ""),
            last_name=self.values.get("person_familienname", ""),
        )


def _person(post: Mapping[str, Any] | None) -> PersonForm:
    values = {name: str((post or {}).get(name, "")).strip() for name in PERSON_FIELDS}
    values["person_art"] = values["person_art"] if values["person_art"] in ("konto", "neu") else "konto"
    values["ausweis_geprueft"] = "1" if (post or {}).get("ausweis_geprueft") else ""
    return PersonForm(values=values, errors={})


def _check_person(person: PersonForm) -> None:
    v, errors = person.values, person.errors
    if not v["ausweis_geprueft"]:
        errors["ausweis_geprueft"] = [_("Bitte prüfen Sie den Ausweis und bestätigen Sie das.")]
    if person.existing:
        if not v["person_email"]:
            errors["person_email"] = [_("Bitte geben Sie die E-Mail-Adresse des Bürgerkontos an.")]
        return
    if not v["person_familienname"]:
        errors["person_familienname"] = [_("Bitte geben Sie den Familiennamen an.")]
    if not v["person_vorname"]:
        errors["person_vorname"] = [_("Bitte geben Sie den Vornamen an.")]
    if v["person_email"].lower().endswith("@" + UNCLAIMABLE_DOMAIN):
        errors["person_email"] = [_("Diese Adresse ist nicht zustellbar.")]
    elif v["person_email"].lower() != v["person_email2"].lower():
        errors["person_email2"] = [_("Die beiden E-Mail-Adressen stimmen nicht überein.")]


def _answers(schema: FormSchema, post: Any) -> dict[str, Any]:
    answers: dict[str, Any] = {}
    for step in schema.steps:
        answers.update(engine.form_input(step.fields, post))
    return answers


def _get_at(nested: Any, path: str) -> Any:
    for part in path.split("."):
        if isinstance(nested, list) and part.isdigit() and int(part) < len(nested):
            nested = nested[int(part)]
        elif isinstance(nested, dict):
            nested = nested.get(part)
        else:
            return None
    return nested


def _render(
    request: HttpRequest,
    authority: Authority,
    chosen: CounterService,
    *,
    person: PersonForm,
    answers: dict[str, Any],
    errors: dict[str, list[str]],
    entry: str,
    extra_rows: dict[str, int] | None = None,
    status: int = 200,
) -> HttpResponse:
    schema = chosen.form_version.parsed
    sections = []
    links = [
        ErrorLink(m, f"counter-{name.replace('_', '-')}") for name, ms in person.errors.items() for m in ms
    ]
    general = [m for m in errors.get("", [])]
    for step in engine.visible_steps(schema, answers):
        keys = {f.key for f in step.fields}
        step_errors = {p: m for p, m in errors.items() if p and p.split(".")[0] in keys}
        view = rendering.bind_step(schema, step, answers, step_errors, extra_rows=extra_rows)
        links += [ErrorLink(link.message, link.target) for link in view.error_links]
        sections.append(view)
    return render(
        request,
        "cases/counter_entry.html",
        backoffice_context(
            request,
            authority,
            chosen=chosen,
            schema=schema,
            sections=sections,
            person=person,
            error_links=links,
            general_errors=general,
            entry=entry,
            multipart=any(f.type == FieldType.FILE for f in schema.all_fields()),
        ),
        status=status,
    )


@require_http_methods(["GET", "POST"])
@staff_page()
def counter_entry(request: HttpRequest, authority: Authority) -> HttpResponse:
    """``/backoffice/<ags>/schalter/``: choose a service; with ``?leistung=<LeiKa>`` the entry page."""
    leika = (request.GET.get("leistung") or request.POST.get("leistung") or "").strip()
    if not leika:
        return render(
            request,
            "cases/counter_choose.html",
            backoffice_context(request, authority, services=counter_services(authority=authority)),
        )
    chosen = counter_service(authority=authority, leika_key=leika)
    if chosen is None:
        return render(
            request,
            "cases/counter_choose.html",
            backoffice_context(
                request,
                authority,
                services=counter_services(authority=authority),
                unknown=_("Diese Leistung wird bei Ihrer Behörde nicht mit einem Formular angeboten."),
            ),
            status=404,
        )
    schema = chosen.form_version.parsed
    if request.method == "GET":
        return _render(
            request, authority, chosen, person=_person(None), answers={}, errors={}, entry=str(uuid.uuid4())
        )
    post = request.POST
    try:
        entry = str(uuid.UUID(post.get("entry", "")))
    except ValueError:
        entry = str(uuid.uuid4())
    person = _person(post)
    answers = _answers(schema, post)
    add_row, remove_row = post.get("_add_row", ""), post.get("_remove_row", "")
    if add_row and _PATH.fullmatch(add_row):
        return _render(
            request, authority, chosen, person=person, answers=answers, errors={}, entry=entry,
            extra_rows={add_row: 1},
        )  # fmt: skip
    if remove_row and _PATH.fullmatch(remove_row + ".x"):
        group_path, _sep, index = remove_row.rpartition(".")
        rows = _get_at(answers, group_path)
        if isinstance(rows, list) and index.isdigit() and int(index) < len(rows):
            del rows[int(index)]
        return _render(request, authority, chosen, person=person, answers=answers, errors={}, entry=entry)
    _check_person(person)
    if person.errors:
        _cleaned, errors = engine.clean_all(schema, answers)
        return _render(
            request, authority, chosen, person=person, answers=answers, errors=errors, entry=entry, status=422
        )
    actor = request.user
    assert isinstance(actor, User)  # staff_page
    files = {key: request.FILES.getlist(key) for key in request.FILES}
    try:
        submission = counter_submit(
            authority=authority,
            service=chosen.service,
            applicant=person.applicant(),
            answers=answers,
            files=files,
            entry_id=uuid.UUID(entry),
            actor=actor,
        )
    except PermissionDenied:
        raise
    except Problem as problem:
        found = problem.extra.get("errors")
        problems_at: dict[str, list[str]] = {}
        if isinstance(found, dict):
            for path, problems in found.items():
                target = person.errors if path == "email" else problems_at
                target["person_email" if path == "email" else path] = list(problems)
        if not problems_at and not person.errors:
            problems_at = {"": [problem.localized()]}
        return _render(
            request, authority, chosen, person=person, answers=answers, errors=problems_at, entry=entry,
            status=422,
        )  # fmt: skip
    case = submission.case
    if person.existing:
        messages.success(
            request,
            _("Antrag %(reference)s erfasst. Er steht im Bürgerkonto der Person unter „Meine Anträge“.")
            % {"reference": case.reference},
        )
    elif case.applicant.email.endswith("@" + UNCLAIMABLE_DOMAIN):
        messages.success(
            request,
            _(
                "Antrag %(reference)s erfasst. Ohne E-Mail-Adresse erhält die Person Bescheide per Post; "
                "einen Zugang zum Bürgerkonto gibt es nicht."
            )
            % {"reference": case.reference},
        )
    else:
        messages.success(
            request,
            _(
                "Antrag %(reference)s erfasst. Die Person kann ihr Bürgerkonto übernehmen: unter „Passwort "
                "vergessen“ mit der angegebenen E-Mail-Adresse ein Passwort wählen; damit ist die Adresse "
                "bestätigt und der Antrag sichtbar."
            )
            % {"reference": case.reference},
        )
    return redirect(reverse("backoffice:case-detail", args=[authority.ags, case.pk]))
