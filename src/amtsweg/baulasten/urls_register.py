"""Pages of the register's register part (filled by its author)."""

from django.urls import URLPattern

portal_patterns: list[URLPattern] = []
backoffice_patterns: list[URLPattern] = []
