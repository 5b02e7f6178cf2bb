"""Portal views: thin, each calls a selector and renders."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render


def _error(request: HttpRequest, status: int, message: str) -> HttpResponse:
    return render(request, "portal/error.html", {"status": status, "message": message}, status=status)


def bad_request(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    return _error(request, 400, "Die Anfrage ist ungültig.")


def permission_denied(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    return _error(request, 403, "Sie dürfen diese Seite nicht sehen.")


def page_not_found(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    return _error(request, 404, "Diese Seite gibt es nicht.")


def server_error(request: HttpRequest) -> HttpResponse:
    return _error(request, 500, "Ein interner Fehler ist aufgetreten. Bitte versuchen Sie es später erneut.")
