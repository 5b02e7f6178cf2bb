"""Test forms: a schema with every field type, published for a service, and valid answers for it.

The "Meldebescheinigung" test form has four steps:

1. ``person`` – names, birth date (at least 18 years ago), e-mail, phone, address;
2. ``details`` – purpose (choice), copies (number 1–10), fee (money), languages (multichoice),
   a validity period with a cross-field rule (until ≥ from), remarks, an info text;
3. ``family`` – yes/no "has children" and a repeating group of children (visible only with
   "yes"), whose ``school_name`` is required only when that row's ``attends_school`` is yes;
   a per-row rule (a child is born after the applicant);
4. ``employer`` – only for the purpose "work": employer name and a proof upload (PDF/image).
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.utils import timezone

from amtsweg.catalog.models import Service
from amtsweg.forms.models import Draft, FormDefinition, FormVersion
from amtsweg.forms.schema import FormSchema
from amtsweg.identity.models import User
from amtsweg.tenancy.models import Authority

SCHEMA: dict[str, Any] = {
    "title": {"de": "Meldebescheinigung beantragen", "en": "Apply for a registration certificate"},
    "intro": {"de": "Bitte halten Sie Ihren Personalausweis bereit."},
    "steps": [
        {
            "key": "person",
            "title": {"de": "Angaben zur Person", "en": "About you"},
            "fields": [
                {
                    "key": "given_name",
                    "type": "text",
                    "label": {"de": "Vorname"},
                    "required": True,
                    "max_length": 100,
                },
                {
                    "key": "family_name",
                    "type": "text",
                    "label": {"de": "Familienname"},
                    "required": True,
                    "max_length": 100,
                },
                {
                    "key": "birth_date",
                    "type": "date",
                    "label": {"de": "Geburtsdatum"},
                    "required": True,
                    "minimum": "today-120y",
                    "maximum": "today-18y",
                    "help": {"de": "Sie müssen volljährig sein."},
                },
                {"key": "email", "type": "email", "label": {"de": "E-Mail-Adresse"}, "required": True},
                {"key": "phone", "type": "phone", "label": {"de": "Telefon"}},
                {"key": "address", "type": "address", "label": {"de": "Anschrift"}, "required": True},
            ],
        },
        {
            "key": "details",
            "title": {"de": "Angaben zur Bescheinigung"},
            "fields": [
                {
                    "key": "purpose",
                    "type": "choice",
                    "label": {"de": "Wofür brauchen Sie die Bescheinigung?"},
                    "required": True,
                    "codelist": "urn:test:zweck",
                    "options": [
                        {"value": "work", "label": {"de": "Arbeitgeber", "en": "Employer"}},
                        {"value": "authority", "label": {"de": "Behörde"}},
                        {"value": "other", "label": {"de": "Sonstiges"}},
                    ],
                },
                {
                    "key": "copies",
                    "type": "number",
                    "label": {"de": "Anzahl der Exemplare"},
                    "required": True,
                    "minimum": "1",
                    "maximum": "10",
                },
                {
                    "key": "fee",
                    "type": "money",
                    "label": {"de": "Bereits gezahlte Gebühr"},
                    "maximum": "10000",
                },
                {
                    "key": "languages",
                    "type": "multichoice",
                    "label": {"de": "Sprachen"},
                    "options": [
                        {"value": "de", "label": {"de": "Deutsch"}},
                        {"value": "en", "label": {"de": "Englisch"}},
                        {"value": "fr", "label": {"de": "Französisch"}},
                    ],
                },
                {"key": "valid_from", "type": "date", "label": {"de": "Gültig ab"}},
                {"key": "valid_until", "type": "date", "label": {"de": "Gültig bis"}},
                {"key": "remarks", "type": "textarea", "label": {"de": "Bemerkungen"}, "max_length": 500},
                {"key": "fee_info", "type": "info", "label": {"de": "Die Gebühr beträgt 10 Euro."}},
            ],
            "rules": [
                {
                    "key": "period",
                    "check": {"field": "valid_until", "op": "ge", "other": "valid_from"},
                    "message": {"de": "„Gültig bis“ darf nicht vor „Gültig ab“ liegen."},
                    "field": "valid_until",
                },
            ],
        },
        {
            "key": "family",
            "title": {"de": "Familie"},
            "fields": [
                {
                    "key": "has_children",
                    "type": "yesno",
                    "label": {"de": "Haben Sie Kinder?"},
                    "required": True,
                },
                {
                    "key": "children",
                    "type": "group",
                    "label": {"de": "Kinder"},
                    "visible_if": {"field": "has_children", "equals": True},
                    "required_if": {"field": "has_children", "equals": True},
                    "min_items": 1,
                    "max_items": 4,
                    "fields": [
                        {
                            "key": "child_name",
                            "type": "text",
                            "label": {"de": "Name des Kindes"},
                            "required": True,
                        },
                        {
                            "key": "child_birth_date",
                            "type": "date",
                            "label": {"de": "Geburtsdatum des Kindes"},
                            "required": True,
                            "maximum": "today",
                        },
                        {"key": "attends_school", "type": "yesno", "label": {"de": "Geht zur Schule?"}},
                        {
                            "key": "school_name",
                            "type": "text",
                            "label": {"de": "Name der Schule"},
                            "required_if": {"field": "attends_school", "equals": True},
                        },
                    ],
                },
            ],
            "rules": [
                {
                    "key": "child_younger",
                    "when": {"field": "child_birth_date", "filled": True},
                    "check": {"field": "child_birth_date", "op": "gt", "other": "birth_date"},
                    "message": {"de": "Ein Kind kann nicht vor Ihnen geboren sein."},
                },
            ],
        },
        {
            "key": "employer",
            "title": {"de": "Arbeitgeber"},
            "visible_if": {"field": "purpose", "equals": "work"},
            "fields": [
                {
                    "key": "employer_name",
                    "type": "text",
                    "label": {"de": "Name des Arbeitgebers"},
                    "required": True,
                },
                {
                    "key": "proof",
                    "type": "file",
                    "label": {"de": "Nachweis"},
                    "required": True,
                    "max_files": 2,
                    "help": {"de": "z. B. Arbeitsvertrag"},
                },
            ],
        },
    ],
}


def all_types_schema() -> FormSchema:
    return FormSchema.model_validate(SCHEMA)


def schema_json(schema: FormSchema | None = None) -> dict[str, Any]:
    return (schema or all_types_schema()).model_dump(mode="json", by_alias=True, exclude_none=True)


def publish_form(
    service: Service,
    *,
    authority: Authority | None = None,
    schema: FormSchema | dict[str, Any] | None = None,
    number: int | None = None,
) -> FormVersion:
    """Publish ``schema`` as the next version of the service's form (retiring the published one)."""
    definition, _created = FormDefinition.objects.get_or_create(
        service=service, authority=authority, defaults={"name": f"Formular {service.name}"}
    )
    if isinstance(schema, FormSchema) or schema is None:
        schema = schema_json(schema)
    FormSchema.model_validate(schema)
    definition.versions.filter(status=FormVersion.Status.PUBLISHED).update(status=FormVersion.Status.RETIRED)
    if number is None:
        number = (definition.versions.order_by("-number").values_list("number", flat=True).first() or 0) + 1
    return FormVersion.objects.create(
        definition=definition,
        number=number,
        status=FormVersion.Status.PUBLISHED,
        schema=schema,
        published_at=timezone.now(),
    )


def adult_birth_date(today: dt.date | None = None) -> str:
    day = today or timezone.localdate()
    return day.replace(year=day.year - 30, day=min(day.day, 28)).isoformat()


def valid_answers(*, purpose: str = "authority", today: dt.date | None = None) -> dict[str, dict[str, Any]]:
    """Valid answers per step (JSON, as the API takes them) for :data:`SCHEMA` without uploads."""
    day = today or timezone.localdate()
    answers: dict[str, dict[str, Any]] = {
        "person": {
            "given_name": "Clara",
            "family_name": "Citizen",
            "birth_date": adult_birth_date(day),
            "email": "clara@example.org",
            "phone": "02131 90-1234",
            "address": {"street": "Markt", "house_number": "1", "postcode": "41460", "city": "Neuss"},
        },
        "details": {
            "purpose": purpose,
            "copies": "2",
            "fee": "10.00",
            "languages": ["de", "en"],
            "valid_from": day.isoformat(),
            "valid_until": (day + dt.timedelta(days=30)).isoformat(),
            "remarks": "Bitte zügig.",
        },
        "family": {
            "has_children": True,
            "children": [
                {
                    "child_name": "Carl",
                    "child_birth_date": "2015-05-01",
                    "attends_school": True,
                    "school_name": "Quirinus-Grundschule",
                },
                {"child_name": "Cleo", "child_birth_date": "2023-02-03", "attends_school": False},
            ],
        },
    }
    return answers


def flat_answers(**kwargs: Any) -> dict[str, Any]:
    merged: dict[str, Any] = {}
    for step in valid_answers(**kwargs).values():
        merged.update(step)
    return merged


def make_draft(
    *,
    applicant: User,
    version: FormVersion,
    authority: Authority,
    data: dict[str, Any] | None = None,
    completed: list[str] | None = None,
) -> Draft:
    return Draft.objects.create(
        form_version=version,
        service=version.definition.service,
        authority=authority,
        applicant=applicant,
        data=data or {},
        completed_steps=completed or [],
    )


# Small files of the three accepted types and an executable, for upload tests.
PDF_BYTES = (
    b"%PDF-1.4\n1 0 obj<</Type/Catalog/Pages 2 0 R>>endobj\n"
    b"2 0 obj<</Type/Pages/Kids[]/Count 0>>endobj\ntrailer<</Root 1 0 R>>\n%%EOF\n"
)
PNG_BYTES = b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + b"\x00" * 40
JPEG_BYTES = b"\xff\xd8\xff\xe0\x00\x10JFIF\x00\x01\x01" + b"\x00" * 40 + b"\xff\xd9"
EXE_BYTES = (
    b"MZ\x90\x00\x03\x00\x00\x00\x04\x00\x00\x00\xff\xff" + b"\x00" * 48 + b"PE\x00\x00" + b"\x00" * 64
)
ZIP_BYTES = b"PK\x03\x04\x14\x00\x00\x00\x08\x00" + b"\x00" * 40
