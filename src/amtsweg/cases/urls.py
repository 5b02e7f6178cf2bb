"""Web pages of the cases module, mounted into the back office and the portal namespaces."""

from django.urls import URLPattern, path

from . import urls_counter, views_citizen, views_staff

# Mounted under /backoffice/ in the ``backoffice`` namespace (authority pages take ``<str:ags>/`` first).
backoffice_patterns: list[URLPattern] = [
    path("<str:ags>/vorgaenge/", views_staff.inbox, name="cases"),
    path("<str:ags>/vorgaenge/sammelaktion/", views_staff.bulk_action, name="cases-bulk"),
    path("<str:ags>/vorgaenge/<int:pk>/", views_staff.case_page, name="case-detail"),
    path(
        "<str:ags>/vorgaenge/<int:pk>/dokumente/<uuid:doc>/",
        views_staff.case_document_download,
        name="case-document",
    ),
    path("<str:ags>/vorgaenge/<int:pk>/uebernehmen/", views_staff.case_claim, name="case-claim"),
    path("<str:ags>/vorgaenge/<int:pk>/zuweisen/", views_staff.case_assign, name="case-assign"),
    path("<str:ags>/vorgaenge/<int:pk>/team/", views_staff.case_move_to_team, name="case-team"),
    path("<str:ags>/vorgaenge/<int:pk>/status/", views_staff.case_change_status, name="case-status"),
    path("<str:ags>/vorgaenge/<int:pk>/notizen/", views_staff.case_add_note, name="case-note"),
    path(
        "<str:ags>/vorgaenge/<int:pk>/nachforderung/",
        views_staff.case_request_information,
        name="case-request-information",
    ),
    path("<str:ags>/vorgaenge/<int:pk>/entscheidung/", views_staff.case_decide, name="case-decide"),
    path("<str:ags>/vorgaenge/<int:pk>/abschluss/", views_staff.case_close, name="case-close"),
    *urls_counter.backoffice_patterns,
]
# Mounted under / in the ``portal`` namespace.
portal_patterns: list[URLPattern] = [
    # The citizen's account ("Mein Konto"); login and registration are in identity/urls.py.
    path("konto/", views_citizen.account, name="account"),
    path("konto/antraege/", views_citizen.my_applications, name="my_applications"),
    path("konto/antraege/<int:pk>/", views_citizen.my_application, name="my_application"),
    path(
        "konto/antraege/<int:pk>/nachforderungen/<int:request_pk>/",
        views_citizen.information_request_answer,
        name="information_request_answer",
    ),
    path("konto/dokumente/<uuid:pk>/", views_citizen.document_download, name="document_download"),
    path("konto/postfach/", views_citizen.postbox, name="postbox"),
    path("konto/postfach/<int:pk>/", views_citizen.postbox_message, name="postbox_message"),
]
