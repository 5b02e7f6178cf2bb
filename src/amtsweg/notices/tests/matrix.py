"""Isolation-matrix rows for this module's routes (collected by amtsweg/tests/test_isolation_matrix.py).

Notices belong to the issuing authority (back office: its staff only, other towns 404) and to the
applicant (the citizen's download: the world's citizen only, staff 403). The verification page and
API are public and show no personal data (see test_verify_page.py).
"""

from __future__ import annotations

from amtsweg.notices.models import Notice
from amtsweg.notices.verification import format_code
from amtsweg.tenancy.models import Authority
from amtsweg.testing import NEUSS_READERS, Route, World, page_read, public

from .factories import issued_notice, with_placeholder_pdf


def _notice(w: World, a: Authority) -> Notice:
    """An issued notice (with a stand-in PDF) on a case of the world's citizen at ``a``, made once."""
    cache: dict[int, Notice] = w.__dict__.setdefault("_notices", {})
    if a.pk not in cache:
        cache[a.pk] = with_placeholder_pdf(issued_notice(w, authority=a))
    return cache[a.pk]


def staff_post_redirect(role: str, target: str) -> set[int]:
    """A back-office form post: done and redirected for the authority's staff, 404 for other towns."""
    if role == "anonymous":
        return {302}
    if role == "citizen":
        return {403}
    return {302} if role in NEUSS_READERS else {404}


def applicant_download(role: str, target: str) -> set[int]:
    if role == "anonymous":
        return {302}
    return {200} if role == "citizen" else {403}


ROUTES: list[Route] = [
    Route("backoffice:notices", lambda w, a: f"/backoffice/{a.ags}/bescheide/", page_read),
    Route(
        "backoffice:notice-pdf",
        lambda w, a: f"/backoffice/{a.ags}/bescheide/{_notice(w, a).pk}/pdf/",
        page_read,
    ),
    Route(
        "backoffice:notice-revoke",
        lambda w, a: f"/backoffice/{a.ags}/bescheide/{_notice(w, a).pk}/aufheben/",
        page_read,
    ),
    Route(
        "backoffice:notice-revoke",
        lambda w, a: f"/backoffice/{a.ags}/bescheide/{_notice(w, a).pk}/aufheben/",
        staff_post_redirect,
        method="post",
        data={"reason": "Irrtümlich erlassen"},
    ),
    Route("portal:verify_form", lambda w, a: "/verify/", public),
    Route("portal:verify", lambda w, a: f"/verify/{format_code(_notice(w, a).code)}", public),
    Route("portal:notice_pdf", lambda w, a: f"/konto/bescheide/{_notice(w, a).pk}/pdf/", applicant_download),
    Route("api-notice-verify", lambda w, a: f"/api/v1/verify/{format_code(_notice(w, a).code)}", public),
]
