"""Web pages of the forms module, mounted into the back office and the portal namespaces."""

from django.urls import URLPattern, path

from . import views, views_staff

# Mounted under /backoffice/ in the ``backoffice`` namespace (authority pages take ``<str:ags>/`` first).
backoffice_patterns: list[URLPattern] = [
    path("<str:ags>/formulare/", views_staff.form_list, name="forms"),
    path("<str:ags>/formulare/import/", views_staff.form_import, name="form-import"),
    path("<str:ags>/formulare/versionen/<int:pk>/", views_staff.form_version_detail, name="form-version"),
    path(
        "<str:ags>/formulare/versionen/<int:pk>/veroeffentlichen/",
        views_staff.form_version_publish_view,
        name="form-version-publish",
    ),
]
# Mounted under / in the ``portal`` namespace: the citizen's application flow (views.py).
portal_patterns: list[URLPattern] = [
    path("antraege/", views.draft_list, name="drafts"),
    path("antraege/neu/<str:leika_key>/", views.draft_start, name="draft_start"),
    path("antraege/<uuid:draft_id>/", views.draft_resume, name="draft_resume"),
    path("antraege/<uuid:draft_id>/schritt/<str:step_key>/", views.draft_step, name="draft_step"),
    path("antraege/<uuid:draft_id>/pruefen/", views.draft_review, name="draft_review"),
    path("antraege/<uuid:draft_id>/einreichen/", views.draft_submit, name="draft_submit"),
    path("antraege/<uuid:draft_id>/eingang/", views.draft_receipt, name="draft_receipt"),
    path("antraege/<uuid:draft_id>/loeschen/", views.draft_delete, name="draft_delete"),
    path("antraege/<uuid:draft_id>/dateien/<uuid:document_id>/", views.draft_document, name="draft_document"),
]
