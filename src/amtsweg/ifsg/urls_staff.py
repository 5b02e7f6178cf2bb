"""The health office's pages of the instruction (``backoffice`` namespace, ``<ags>/infektionsschutz/``)."""

from django.urls import URLPattern, path

from . import views_staff as views

P = "<str:ags>/infektionsschutz/"

backoffice_patterns: list[URLPattern] = [
    path(P, views.overview, name="ifsg_overview"),
    path(f"{P}statistik.csv", views.statistics_csv, name="ifsg_statistics_csv"),
    path(f"{P}material/", views.material_list, name="ifsg_materials"),
    path(f"{P}material/neu/<str:language>/", views.material_new, name="ifsg_material_new"),
    path(f"{P}material/<int:pk>/", views.material_detail, name="ifsg_material"),
    path(f"{P}material/<int:pk>/bearbeiten/", views.material_edit, name="ifsg_material_edit"),
    path(f"{P}material/<int:pk>/veroeffentlichen/", views.material_publish, name="ifsg_material_publish"),
    path(f"{P}material/<int:pk>/datei/<str:kind>/", views.material_file, name="ifsg_material_file"),
    path(f"{P}fragen/", views.question_list, name="ifsg_questions"),
    path(f"{P}fragen/neu/", views.question_new, name="ifsg_question_new"),
    path(f"{P}fragen/<int:pk>/", views.question_edit, name="ifsg_question"),
    path(f"{P}einstellungen/", views.programme_settings, name="ifsg_settings"),
    path(f"{P}bescheinigungen/", views.certificate_list, name="ifsg_certificates"),
    path(f"{P}bescheinigungen/<int:pk>/", views.certificate_detail, name="ifsg_certificate"),
    path(
        f"{P}bescheinigungen/<int:pk>/widerrufen/", views.certificate_revoke, name="ifsg_certificate_revoke"
    ),
]
