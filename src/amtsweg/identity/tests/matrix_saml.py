"""Isolation-matrix rows of the SAML login routes.

Not authority data. The matrix runs without a configured IdP, so every role gets 404 for an
unknown provider (the real behaviour per role is in test_saml_login.py: the completion links an
identity to the logged-in citizen only, staff sessions are never linked).
"""

from amtsweg.testing import Route


def unknown_provider(role: str, target: str) -> set[int]:
    return {404}


ROUTES: list[Route] = [
    Route("portal:saml_start", lambda w, a: "/konto/anmelden/saml/unbekannt/", unknown_provider),
    Route(
        "portal:saml_acs", lambda w, a: "/konto/anmelden/saml/unbekannt/acs/", unknown_provider, method="post"
    ),
    Route("portal:saml_complete", lambda w, a: "/konto/anmelden/saml/unbekannt/abschluss/", unknown_provider),
    Route("portal:saml_metadata", lambda w, a: "/konto/anmelden/saml/unbekannt/metadata/", unknown_provider),
]
