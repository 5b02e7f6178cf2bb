"""The citizen's pages of the instruction under § 43 IfSG (mounted under / in the ``portal`` namespace)."""

from django.urls import URLPattern, path

from . import views_portal as views

portal_patterns: list[URLPattern] = [
    path("infektionsschutz/", views.ifsg_start, name="ifsg_start"),
    path("infektionsschutz/sprache/", views.ifsg_language, name="ifsg_language"),
    path("infektionsschutz/material/<int:material_pk>/<str:kind>/", views.ifsg_file, name="ifsg_file"),
    path("infektionsschutz/<int:pk>/", views.ifsg_instruction, name="ifsg_instruction"),
    path("infektionsschutz/<int:pk>/material/", views.ifsg_material, name="ifsg_material"),
    path("infektionsschutz/<int:pk>/erklaerung/", views.ifsg_declaration, name="ifsg_declaration"),
    path("infektionsschutz/<int:pk>/quiz/", views.ifsg_quiz, name="ifsg_quiz"),
    path("infektionsschutz/<int:pk>/gebuehr/", views.ifsg_fee, name="ifsg_fee"),
    path("infektionsschutz/<int:pk>/absenden/", views.ifsg_submit, name="ifsg_submit"),
    path("infektionsschutz/<int:pk>/fertig/", views.ifsg_done, name="ifsg_done"),
]
