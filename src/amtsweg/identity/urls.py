"""Account pages: citizens under / (``portal`` namespace), staff security under /backoffice/.

Each login plug-in keeps its routes in its own ``urls_*`` module.
"""

from django.urls import URLPattern, path

from . import simulator, urls_oidc, urls_saml, urls_staff, views

# Mounted under / in the ``portal`` namespace.
portal_patterns: list[URLPattern] = [
    path("konto/anmelden/", views.CitizenLoginView.as_view(), name="login"),
    path("konto/abmelden/", views.CitizenLogoutView.as_view(), name="logout"),
    path("konto/registrieren/", views.register, name="register"),
    path("konto/registrieren/fertig/", views.register_done, name="register_done"),
    path("konto/anmelden/niveau/", views.step_up, name="step_up"),
    path("konto/anmelden/demo/", simulator.simulator, name="identity_simulator"),
    path("konto/vertretung/", views.organisation_choose_view, name="organisation_choose"),
    path("konto/bestaetigen/erneut/", views.confirm_email_resend, name="confirm_email_resend"),
    path("konto/bestaetigen/<str:token>/", views.confirm_email, name="confirm_email"),
    path("konto/passwort-vergessen/", views.password_reset, name="password_reset"),
    path(
        "konto/passwort-neu/<uidb64>/<token>/",
        views.PasswordResetConfirmView.as_view(),
        name="password_reset_confirm",
    ),
    path("konto/passwort-neu/fertig/", views.password_reset_complete, name="password_reset_complete"),
    *urls_oidc.portal_patterns,
    *urls_saml.portal_patterns,
    *urls_staff.portal_patterns,
]
# Mounted under /backoffice/ in the ``backoffice`` namespace.
backoffice_patterns: list[URLPattern] = [
    *urls_oidc.backoffice_patterns,
    *urls_saml.backoffice_patterns,
    *urls_staff.backoffice_patterns,
]
