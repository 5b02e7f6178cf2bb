"""Isolation-matrix rows of the staff login pages (second factor, authenticator set-up).

Not authority data: they concern the caller's own account only. Without a half-finished login the
code page sends everyone to the login; the set-up page is for staff accounts only.
"""

from amtsweg.testing import Route


def to_login(role: str, target: str) -> set[int]:
    return {302}


def own_staff_account(role: str, target: str) -> set[int]:
    if role == "anonymous":
        return {302}
    return {403} if role == "citizen" else {200}


ROUTES: list[Route] = [
    Route("backoffice:staff_second_factor", lambda w, a: "/backoffice/anmelden/zweiter-faktor/", to_login),
    Route(
        "backoffice:staff_authenticator", lambda w, a: "/backoffice/konto/authenticator/", own_staff_account
    ),
]
