"""Pages of the register in the back office (``<ags>/baulasten/``): search, entries, history."""

from django.urls import URLPattern, path

from . import views_register as views

P = "<str:ags>/baulasten/"
E = f"{P}eintraege/<int:pk>/"

portal_patterns: list[URLPattern] = []
backoffice_patterns: list[URLPattern] = [
    path(P, views.register, name="baulasten_register"),
    path(f"{P}eintraege/neu/", views.entry_new, name="baulasten_entry_new"),
    path(E, views.entry, name="baulasten_entry"),
    path(f"{E}bearbeiten/", views.entry_edit, name="baulasten_entry_edit"),
    path(f"{E}loeschen/", views.entry_delete, name="baulasten_entry_delete"),
    path(f"{E}wiederherstellen/", views.entry_restore, name="baulasten_entry_restore"),
]
