"""Pages of the register's xbau part (filled by its author)."""

from django.urls import URLPattern

portal_patterns: list[URLPattern] = []
backoffice_patterns: list[URLPattern] = []
