"""Isolation-matrix rows for this module's routes (collected by amtsweg/tests/test_isolation_matrix.py)."""

from __future__ import annotations

from amtsweg.forms.models import FormDefinition, FormVersion
from amtsweg.forms.schema import FieldType, FormField, FormSchema, Step, Text
from amtsweg.tenancy.models import Authority
from amtsweg.testing import (
    EID_LOGIN,
    NEUSS_ADMINS,
    Route,
    World,
    page_admin,
    page_read,
    public,
    staff_admin,
    staff_list,
    staff_read,
)

# --- form definitions (staff) -----------------------------------------------------------------------

_SCHEMA = FormSchema(
    title=Text(de="Antrag"),
    steps=[
        Step(
            key="angaben",
            title=Text(de="Angaben"),
            fields=[FormField(key="name", type=FieldType.TEXT, label=Text(de="Name"))],
        )
    ],
).model_dump(mode="json", exclude_none=True)


def _version(w: World, authority: Authority | None, *, published: bool = False) -> FormVersion:
    """A version of the town service's form (alliance form or ``authority``'s variant), made on first use."""
    definition, _created = FormDefinition.objects.get_or_create(
        service=w.town_service, authority=authority, defaults={"name": w.town_service.name}
    )
    status = FormVersion.Status.PUBLISHED if published else FormVersion.Status.DRAFT
    version, _created = FormVersion.objects.get_or_create(
        definition=definition, number=1, defaults={"schema": _SCHEMA, "status": status}
    )
    return version


def staff_any(role: str, target: str) -> set[int]:
    """Alliance forms of a service the target town offers: every staff member of a town offering it reads."""
    if role == "anonymous":
        return {401, 403}
    return {403} if role == "citizen" else {200}


def alliance_admin(role: str, target: str) -> set[int]:
    """Changing an alliance form: only alliance administrators; everyone else is refused."""
    if role == "anonymous":
        return {401, 403}
    return {200} if role == "kreis_admin" else {403}


def import_variant(role: str, target: str) -> set[int]:
    """Import into the target town's variant: its admins get past the checks (400: the file is missing)."""
    if role == "anonymous":
        return {401, 403}
    if role in ("citizen", "caseworker_neuss"):
        return {403}
    return {400} if role in NEUSS_ADMINS else {404}


def publish_page(role: str, target: str) -> set[int]:
    if role == "anonymous":
        return {302}  # to the login page
    if role in ("citizen", "caseworker_neuss"):
        return {403}
    return {302} if role in NEUSS_ADMINS else {404}  # admins: back to the version page


ROUTES: list[Route] = [
    Route(
        "api-service-form",
        lambda w, a: (
            f"/api/v1/services/{_version(w, None, published=True).definition.service.leika_key}"
            f"/form?authority={a.ags}"
        ),
        public,
    ),
    Route("api-staff-form-list", lambda w, a: "/api/v1/staff/forms", staff_list),
    Route(
        "api-staff-form-detail",
        lambda w, a: f"/api/v1/staff/forms/{_version(w, a).definition_id}",
        staff_read,
    ),
    Route(
        "api-staff-form-detail",
        lambda w, a: f"/api/v1/staff/forms/{_version(w, None).definition_id}",
        staff_any,
    ),
    Route(
        "api-staff-form-version-detail",
        lambda w, a: f"/api/v1/staff/form-versions/{_version(w, a).pk}",
        staff_read,
    ),
    Route(
        "api-staff-form-version-publish",
        lambda w, a: f"/api/v1/staff/form-versions/{_version(w, a).pk}/publish",
        staff_admin,
        method="post",
    ),
    Route(
        "api-staff-form-version-publish",
        lambda w, a: f"/api/v1/staff/form-versions/{_version(w, None).pk}/publish",
        alliance_admin,
        method="post",
    ),
    Route(
        "api-staff-form-import",
        lambda w, a: "/api/v1/staff/forms/import",
        import_variant,
        method="post",
        data={"service": "99115005000000", "authority": "05162024"},
    ),
    Route("backoffice:forms", lambda w, a: f"/backoffice/{a.ags}/formulare/", page_read),
    Route("backoffice:form-import", lambda w, a: f"/backoffice/{a.ags}/formulare/import/", page_admin),
    Route(
        "backoffice:form-version",
        lambda w, a: f"/backoffice/{a.ags}/formulare/versionen/{_version(w, a).pk}/",
        page_read,
    ),
    Route(
        "backoffice:form-version-publish",
        lambda w, a: f"/backoffice/{a.ags}/formulare/versionen/{_version(w, a).pk}/veroeffentlichen/",
        publish_page,
        method="post",
    ),
]


# --- the citizen's application flow (portal /antraege/…, API /api/v1/applications…) -----------------
# Drafts belong to a person, not to an authority: the world's citizen gets 200 (or the redirect of the
# flow) for their own draft, staff of every authority 403, anonymous visitors the login (pages) or
# 401/403 (API). That another citizen gets 404 on each of these URLs is proven in test_apply.py and
# test_drafts_api.py. (Imports kept with this section, which is edited separately from the one above.)

from collections.abc import Callable  # noqa: E402

from django.core.files.uploadedfile import SimpleUploadedFile  # noqa: E402

from amtsweg.cases.documents import document_store  # noqa: E402
from amtsweg.forms.models import Draft  # noqa: E402
from amtsweg.forms.selectors import published_form_for  # noqa: E402
from amtsweg.forms.tests import factories as _factories  # noqa: E402


def _published(w: World, a: Authority) -> FormVersion:
    return published_form_for(service=w.town_service, authority=a) or _factories.publish_form(w.town_service)


def _citizen_draft(w: World, a: Authority, *, submitted: bool = False) -> Draft:
    """A complete draft of the world's citizen at ``a`` (submitted if asked), with one upload."""
    cache: dict[tuple[int, bool], Draft] = w.__dict__.setdefault("_forms_drafts", {})
    if (a.pk, submitted) not in cache:
        draft = _factories.make_draft(
            applicant=w.citizen,
            version=_published(w, a),
            authority=a,
            data=_factories.flat_answers(),
            completed=["person", "details", "family"],
        )
        document_store(
            upload=SimpleUploadedFile("nachweis.pdf", _factories.PDF_BYTES),
            kind="attachment",
            actor=w.citizen,
            draft=draft,
            field_key="proof",
        )
        if submitted:
            from amtsweg.cases.services import submission_submit

            submission_submit(draft=draft, actor=w.citizen, channel="web", assurance=EID_LOGIN)
            draft.refresh_from_db()
        cache[(a.pk, submitted)] = draft
    return cache[(a.pk, submitted)]


def _page(suffix: str, *, submitted: bool = False) -> Callable[[World, Authority], str]:
    return lambda w, a: f"/antraege/{_citizen_draft(w, a, submitted=submitted).id}/{suffix}"


def _api(suffix: str = "") -> Callable[[World, Authority], str]:
    return lambda w, a: f"/api/v1/applications/{_citizen_draft(w, a).id}{suffix}"


def _start_url(w: World, a: Authority) -> str:
    _published(w, a)
    return f"/antraege/neu/{w.town_service.leika_key}/?ags={a.ags}"


def _drafts_url(w: World, a: Authority) -> str:
    _citizen_draft(w, a)
    return "/antraege/"


def _document_page(w: World, a: Authority) -> str:
    draft = _citizen_draft(w, a)
    return f"/antraege/{draft.id}/dateien/{draft.documents.get().pk}/"


def _document_api(w: World, a: Authority) -> str:
    draft = _citizen_draft(w, a)
    return f"/api/v1/applications/{draft.id}/documents/{draft.documents.get().pk}"


def _api_list(w: World, a: Authority) -> str:
    _citizen_draft(w, a)
    return "/api/v1/applications"


def citizen_flow_page(role: str, target: str) -> set[int]:
    if role == "anonymous":
        return {302}  # to the citizen login
    return {200} if role == "citizen" else {403}


def citizen_flow_redirect(role: str, target: str) -> set[int]:
    """A page of the flow that sends the citizen on (resume, a saved step, a started draft)."""
    if role == "anonymous":
        return {302}
    return {302} if role == "citizen" else {403}


def citizen_flow_api(status: int) -> Callable[[str, str], set[int]]:
    def expect(role: str, target: str) -> set[int]:
        if role == "anonymous":
            return {401, 403}
        return {status} if role == "citizen" else {403}

    return expect


ROUTES += [
    Route("portal:drafts", _drafts_url, citizen_flow_page),
    Route("portal:draft_start", _start_url, citizen_flow_page),
    Route("portal:draft_start", _start_url, citizen_flow_redirect, method="post"),
    Route("portal:draft_resume", _page(""), citizen_flow_redirect),
    Route("portal:draft_step", _page("schritt/person/"), citizen_flow_page),
    Route(
        "portal:draft_step",
        _page("schritt/details/"),
        citizen_flow_redirect,
        method="post",
        data={"purpose": "other", "copies": "1", "_action": "next"},
    ),
    Route("portal:draft_review", _page("pruefen/"), citizen_flow_page),
    Route("portal:draft_submit", _page("einreichen/"), citizen_flow_redirect, method="post"),
    Route("portal:draft_receipt", _page("eingang/", submitted=True), citizen_flow_page),
    Route("portal:draft_delete", _page("loeschen/"), citizen_flow_page),
    Route("portal:draft_delete", _page("loeschen/"), citizen_flow_redirect, method="post"),
    Route("portal:draft_document", _document_page, citizen_flow_page),
    Route("api-application-list", _api_list, citizen_flow_api(200)),
    Route(
        "api-application-list",
        _api_list,
        citizen_flow_api(201),
        method="post",
        data={"service": "99115005000000", "authority": "05162024"},
    ),
    Route("api-application-detail", _api(), citizen_flow_api(200)),
    Route(
        "api-application-detail",
        _api(),
        citizen_flow_api(200),
        method="patch",
        data={"step": "details", "data": {"purpose": "other", "copies": "1"}},
    ),
    Route("api-application-detail", _api(), citizen_flow_api(204), method="delete"),
    # Uploads are multipart; the matrix posts JSON, so the citizen passes every access check and is then
    # refused for the body (415). Uploads themselves: test_drafts_api.py.
    Route("api-application-documents", _api("/documents"), citizen_flow_api(415), method="post"),
    Route("api-application-document", _document_api, citizen_flow_api(204), method="delete"),
    Route("api-application-submit", _api("/submit"), citizen_flow_api(201), method="post"),
]
