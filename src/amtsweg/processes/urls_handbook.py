"""Back-office pages of the processes module: the process handbook."""

from django.urls import URLPattern, path

from . import views_handbook

backoffice_patterns: list[URLPattern] = [
    path("<str:ags>/prozesse/<int:pk>/handbuch/", views_handbook.handbook_page, name="process-handbook"),
    path(
        "<str:ags>/prozesse/<int:pk>/handbuch/<str:bpmn_id>/bearbeiten/",
        views_handbook.handbook_edit,
        name="process-handbook-edit",
    ),
    path(
        "<str:ags>/prozesse/<int:pk>/handbuch.pdf", views_handbook.handbook_pdf, name="process-handbook-pdf"
    ),
]
