"""Isolation-matrix rows of the citizen account pages (login, logout, registration).

Not authority data: every role reaches them; logged-in citizens are sent on to "Mein Konto".
"""

from amtsweg.testing import Route, public

from . import matrix_oidc, matrix_saml, matrix_staff


def anonymous_or_staff_see_it(role: str, target: str) -> set[int]:
    """A logged-in citizen is sent on to "Mein Konto" (302); everyone else sees the form."""
    return {302} if role == "citizen" else {200}


def redirects(role: str, target: str) -> set[int]:
    return {302}


ROUTES: list[Route] = [
    Route("portal:login", lambda w, a: "/konto/anmelden/", anonymous_or_staff_see_it),
    Route("portal:register", lambda w, a: "/konto/registrieren/", anonymous_or_staff_see_it),
    Route("portal:register_done", lambda w, a: "/konto/registrieren/fertig/", public),
    Route("portal:logout", lambda w, a: "/konto/abmelden/", redirects, method="post"),
]
ROUTES += [*matrix_oidc.ROUTES, *matrix_saml.ROUTES, *matrix_staff.ROUTES]
