"""Isolation-matrix rows for the payments module's routes (collected by tests/test_isolation_matrix.py).

Payments are the payer's own affairs in the portal and the citizen API (the world's citizen gets
them, staff 403, anonymous the login or 401/403; another citizen's 404 is tested in
``test_checkout.py::test_another_citizen_cannot_see_or_pay_it``), and authority data in the back
office and the staff API (scoped by ``tenancy.access``).
"""

from __future__ import annotations

from amtsweg.tenancy.models import Authority
from amtsweg.testing import NEUSS_ADMINS, Route, World, page_read, staff_list, staff_read

from . import matrix_reconcile


def _payment(w: World, a: Authority) -> str:
    """An open payment of the world's citizen at ``a`` (created once per test database)."""
    from amtsweg.cases.tests.factories_citizen import ensure_default_status_model, open_draft
    from amtsweg.payments.services import payment_for_draft

    from . import factories

    cache: dict[int, str] = w.__dict__.setdefault("_payments", {})
    if a.pk not in cache:
        ensure_default_status_model()
        factories.fee(w.town_service, a, key="matrix")
        draft = open_draft(citizen=w.citizen, service=w.town_service, authority=a)
        payment = payment_for_draft(draft=draft, actor=w.citizen)
        assert payment is not None
        cache[a.pk] = str(payment.pk)
    return cache[a.pk]


def _draft_with_fee(w: World, a: Authority) -> str:
    from amtsweg.cases.tests.factories_citizen import ensure_default_status_model, open_draft
    from amtsweg.payments.models import Fee

    from . import factories

    ensure_default_status_model()
    if not Fee.objects.filter(service=w.town_service, authority=a).exists():
        factories.fee(w.town_service, a, key="matrix")
    return str(open_draft(citizen=w.citizen, service=w.town_service, authority=a).pk)


def payer_page(role: str, target: str) -> set[int]:
    if role == "anonymous":
        return {302}
    return {200} if role == "citizen" else {403}


def payer_redirect(role: str, target: str) -> set[int]:
    """A payer's step that continues elsewhere (a POST, the return from the provider)."""
    if role == "anonymous":
        return {302}
    return {302} if role == "citizen" else {403}


def payer_simulator(role: str, target: str) -> set[int]:
    """The demo simulator: the payer's page in demo mode, absent (404) otherwise."""
    if role == "anonymous":
        return {302}
    return {200, 404} if role == "citizen" else {403}


def payer_api(role: str, target: str) -> set[int]:
    if role == "anonymous":
        return {401, 403}
    return {200} if role == "citizen" else {403}


def payer_api_begin(role: str, target: str) -> set[int]:
    """Begin with a provider that does not exist: the payer gets 400, nobody else gets further."""
    if role == "anonymous":
        return {401, 403}
    return {400} if role == "citizen" else {403}


def provider_notification(role: str, target: str) -> set[int]:
    """The provider's endpoint: no login at all; an unsigned body is refused for everyone alike."""
    return {403, 404}


def staff_create(role: str, target: str) -> set[int]:
    if role == "anonymous":
        return {401, 403}
    if role == "citizen":
        return {403}
    return {201} if role in NEUSS_ADMINS else {404}


def page_admin_post(role: str, target: str) -> set[int]:
    """A back-office form of administrators: readers of the town 403, other towns 404."""
    if role == "anonymous":
        return {302}
    if role == "citizen":
        return {403}
    if role in NEUSS_ADMINS:
        return {302}
    return {403} if role in {"caseworker_neuss"} else {404}


ROUTES: list[Route] = [
    Route("portal:payment_pay", lambda w, a: f"/zahlungen/{_payment(w, a)}/", payer_page),
    Route("portal:payment_return", lambda w, a: f"/zahlungen/{_payment(w, a)}/rueckkehr/", payer_redirect),
    Route(
        "portal:payment_simulator", lambda w, a: f"/zahlungen/simulator/{_payment(w, a)}/", payer_simulator
    ),
    Route(
        "portal:payment_draft_start",
        lambda w, a: f"/zahlungen/entwurf/{_draft_with_fee(w, a)}/",
        payer_redirect,
        method="post",
    ),
    Route("api-payment-detail", lambda w, a: f"/api/v1/payments/{_payment(w, a)}", payer_api),
    Route(
        "api-payment-begin",
        lambda w, a: f"/api/v1/payments/{_payment(w, a)}/begin",
        payer_api_begin,
        method="post",
        data={"provider": "gibt-es-nicht"},
    ),
    Route(
        "api-payment-notification",
        lambda w, a: "/api/v1/payments/notifications/epayment",
        provider_notification,
        method="post",
        data={"txid": "x", "status": "paid"},
    ),
    Route("api-staff-payment-list", lambda w, a: "/api/v1/staff/payments?status=open", staff_list),
    Route("api-staff-payment-detail", lambda w, a: f"/api/v1/staff/payments/{_payment(w, a)}", staff_read),
    Route("api-staff-fee-list", lambda w, a: "/api/v1/staff/fees", staff_list),
    Route(
        "api-staff-fee-list",
        lambda w, a: "/api/v1/staff/fees",
        staff_create,
        method="post",
        data={
            "authority": "05162024",
            "service": "99115005000000",
            "key": "matrix-api",
            "title": "Gebühr",
            "kind": "fixed",
            "amount_cents": 1000,
        },
    ),
    Route("backoffice:payment_list", lambda w, a: f"/backoffice/{a.ags}/zahlungen/", page_read),
    Route(
        "backoffice:payment_detail",
        lambda w, a: f"/backoffice/{a.ags}/zahlungen/{_payment(w, a)}/",
        page_read,
    ),
    Route("backoffice:payment_fees", lambda w, a: f"/backoffice/{a.ags}/gebuehren/", page_read),
    Route(
        "backoffice:payment_fees",
        lambda w, a: f"/backoffice/{a.ags}/gebuehren/",
        page_admin_post,
        method="post",
        data={"waiver": "1", "waiver-code": "MATRIX", "waiver-reason": "Test", "waiver-uses_left": "1"},
    ),
    *matrix_reconcile.ROUTES,
]
