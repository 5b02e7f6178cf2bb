"""Back-office pages of the processes module: process models, task inbox, hand-overs received."""

from django.urls import URLPattern, path

from . import views_staff

backoffice_patterns: list[URLPattern] = [
    path("<str:ags>/prozesse/", views_staff.process_list, name="processes"),
    path(
        "<str:ags>/prozesse/versionen/<int:pk>/veroeffentlichen/",
        views_staff.version_publish,
        name="process-version-publish",
    ),
    path("<str:ags>/aufgaben/", views_staff.task_list, name="tasks"),
    path("<str:ags>/aufgaben/<uuid:pk>/", views_staff.task_detail, name="task"),
    path("<str:ags>/uebergaben/", views_staff.handover_list, name="handovers"),
    path("<str:ags>/uebergaben/<uuid:pk>/", views_staff.handover_detail, name="handover"),
]
