"""Isolation-matrix rows of the OpenID Connect login routes.

Not authority data. The matrix runs without a configured provider: every role gets 404 for an
unknown provider's start, and 400 for a callback without ``state`` (it belongs to no login, whatever
the name). The behaviour with a provider (302 to it, the callback per role and the step-up link to
the logged-in citizen) is in test_oidc_login.py against a real OpenID provider.
"""

from amtsweg.testing import Route


def unknown_provider(role: str, target: str) -> set[int]:
    return {404}


def no_login_in_progress(role: str, target: str) -> set[int]:
    return {400}


ROUTES: list[Route] = [
    Route("portal:oidc_start", lambda w, a: "/konto/anmelden/oidc/unbekannt/", unknown_provider),
    Route(
        "portal:oidc_callback", lambda w, a: "/konto/anmelden/oidc/unbekannt/rueckkehr/", no_login_in_progress
    ),
]
