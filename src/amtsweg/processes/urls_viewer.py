"""Back-office pages of the processes module: viewer (diagram, BPMN file, a case's position)."""

from django.urls import URLPattern, path

from . import views_viewer

backoffice_patterns: list[URLPattern] = [
    path(
        "<str:ags>/prozesse/versionen/<int:pk>/diagramm/",
        views_viewer.version_diagram,
        name="process-version-diagram",
    ),
    path(
        "<str:ags>/prozesse/versionen/<int:pk>/bpmn/", views_viewer.version_bpmn, name="process-version-bpmn"
    ),
    path("<str:ags>/vorgaenge/<int:pk>/prozess/", views_viewer.case_process_page, name="case-process"),
]
