"""Web pages of the notices module, mounted into the back office and the portal namespaces."""

from django.urls import URLPattern, path, re_path

from . import views

# Mounted under /backoffice/ in the ``backoffice`` namespace (authority pages take ``<str:ags>/`` first).
backoffice_patterns: list[URLPattern] = [
    path("<str:ags>/bescheide/", views.notice_list, name="notices"),
    path("<str:ags>/bescheide/<int:pk>/pdf/", views.staff_notice_pdf, name="notice-pdf"),
    path("<str:ags>/bescheide/<int:pk>/aufheben/", views.notice_revoke_view, name="notice-revoke"),
]
# Mounted under / in the ``portal`` namespace.
portal_patterns: list[URLPattern] = [
    path("verify/", views.verify_form, name="verify_form"),
    # The address printed on notices and in their QR codes: /verify/7K3M-Q9TD-XW2B-HC4R (a trailing
    # slash is accepted too, so a link that gained one still works).
    re_path(r"^verify/(?P<code>[^/]{1,64})/?$", views.verify, name="verify"),
    path("konto/bescheide/<int:pk>/pdf/", views.applicant_notice_pdf, name="notice_pdf"),
]
