"""Isolation-matrix rows of the citizen account pages (login, logout, registration).

Not authority data: every role reaches them; logged-in citizens are sent on to "Mein Konto".
"""

from amtsweg.cases.tests.matrix_citizen import citizen_api, citizen_post
from amtsweg.testing import Route, public

from . import matrix_oidc, matrix_saml, matrix_staff


def anonymous_or_staff_see_it(role: str, target: str) -> set[int]:
    """A logged-in citizen is sent on to "Mein Konto" (302); everyone else sees the form."""
    return {302} if role == "citizen" else {200}


def redirects(role: str, target: str) -> set[int]:
    return {302}


def not_outside_demo(role: str, target: str) -> set[int]:
    """The identity simulator exists only in demo mode (off in tests)."""
    return {404}


def invalid_link(role: str, target: str) -> set[int]:
    return {400}


ROUTES: list[Route] = [
    Route("portal:login", lambda w, a: "/konto/anmelden/", anonymous_or_staff_see_it),
    Route("portal:register", lambda w, a: "/konto/registrieren/", anonymous_or_staff_see_it),
    Route("portal:register_done", lambda w, a: "/konto/registrieren/fertig/", public),
    Route("portal:logout", lambda w, a: "/konto/abmelden/", redirects, method="post"),
    Route("portal:step_up", lambda w, a: "/konto/anmelden/niveau/?niveau=hoch", public),
    Route("portal:identity_simulator", lambda w, a: "/konto/anmelden/demo/", not_outside_demo),
    Route("portal:confirm_email", lambda w, a: "/konto/bestaetigen/falsch/", invalid_link),
    Route("portal:confirm_email_resend", lambda w, a: "/konto/bestaetigen/erneut/", public, method="post"),
    Route("portal:password_reset", lambda w, a: "/konto/passwort-vergessen/", public),
    Route("portal:password_reset_confirm", lambda w, a: "/konto/passwort-neu/MQ/falsch/", public),
    Route("portal:password_reset_complete", lambda w, a: "/konto/passwort-neu/fertig/", public),
    Route("portal:organisation_choose", lambda w, a: "/konto/vertretung/", citizen_post, method="post"),
    Route("api-me-identity", lambda w, a: "/api/v1/me/identity", citizen_api),
    Route(
        "api-me-identity-organisation",
        lambda w, a: "/api/v1/me/identity/organisation",
        citizen_api,
        method="post",
        data={"organisation": None},
    ),
]
ROUTES += [*matrix_oidc.ROUTES, *matrix_saml.ROUTES, *matrix_staff.ROUTES]
