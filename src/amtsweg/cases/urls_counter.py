"""Counter entry in the back office (mounted by the lead into ``backoffice_patterns``)."""

from django.urls import URLPattern, path

from . import views_counter

backoffice_patterns: list[URLPattern] = [
    path("<str:ags>/schalter/", views_counter.counter_entry, name="counter"),
]
