"""Pages of the register's capture part (filled by its author)."""

from django.urls import URLPattern

portal_patterns: list[URLPattern] = []
backoffice_patterns: list[URLPattern] = []
