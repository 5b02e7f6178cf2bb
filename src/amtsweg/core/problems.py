"""Errors as ``application/problem+json`` (RFC 9457) with a German and an English message.

Every API error goes through :func:`problem_exception_handler`; domain code raises
:class:`Problem` (or a subclass) with both texts, so clients can show either language.
"""

from __future__ import annotations

from typing import Any

from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, JsonResponse
from django.utils.translation import get_language
from rest_framework import exceptions, status
from rest_framework.response import Response
from rest_framework.views import exception_handler

PROBLEM_CONTENT_TYPE = "application/problem+json"
PROBLEM_TYPE_BASE = "https://amtsweg.de/probleme/"


class Problem(Exception):
    """A domain error that becomes a problem+json response (or a friendly page in the UI)."""

    status_code: int = status.HTTP_400_BAD_REQUEST
    code = "bad-request"

    def __init__(
        self,
        detail_de: str,
        detail_en: str,
        *,
        extra: dict[str, Any] | None = None,
        status_code: int | None = None,
        code: str | None = None,
    ) -> None:
        super().__init__(detail_en)
        self.detail_de = detail_de
        self.detail_en = detail_en
        self.extra = extra or {}
        if status_code is not None:
            self.status_code = status_code
        if code is not None:
            self.code = code

    def localized(self) -> str:
        """The detail in the active language: German for German, English for every other language
        (pages shown in Turkish, Arabic or Ukrainian fall back to English, not to German)."""
        return self.detail_de if (get_language() or "de").startswith("de") else self.detail_en


class NotFoundProblem(Problem):
    status_code: int = status.HTTP_404_NOT_FOUND
    code = "not-found"


_TITLES: dict[int, tuple[str, str]] = {
    400: ("Ungültige Anfrage", "Bad request"),
    401: ("Anmeldung erforderlich", "Authentication required"),
    403: ("Keine Berechtigung", "Permission denied"),
    404: ("Nicht gefunden", "Not found"),
    405: ("Methode nicht erlaubt", "Method not allowed"),
    406: ("Format nicht verfügbar", "Not acceptable"),
    409: ("Konflikt", "Conflict"),
    415: ("Medientyp nicht unterstützt", "Unsupported media type"),
    429: ("Zu viele Anfragen", "Too many requests"),
    500: ("Interner Fehler", "Internal server error"),
}

_GENERIC_DETAIL: dict[int, tuple[str, str]] = {
    401: ("Bitte melden Sie sich an.", "Please log in."),
    403: ("Sie dürfen diese Aktion nicht ausführen.", "You may not perform this action."),
    404: (
        "Das gesuchte Objekt gibt es nicht oder Sie dürfen es nicht sehen.",
        "The object does not exist or you may not see it.",
    ),
    405: ("Diese Methode ist hier nicht erlaubt.", "This method is not allowed here."),
    429: ("Zu viele Anfragen. Bitte warten Sie kurz.", "Too many requests. Please wait a moment."),
}


def problem_body(
    *,
    status_code: int,
    code: str,
    detail_de: str,
    detail_en: str,
    instance: str = "",
    extra: dict[str, Any] | None = None,
) -> dict[str, Any]:
    title_de, title_en = _TITLES.get(status_code, ("Fehler", "Error"))
    body: dict[str, Any] = {
        "type": PROBLEM_TYPE_BASE + code,
        "title": title_en,
        "status": status_code,
        "detail": detail_en,
        "title_de": title_de,
        "detail_de": detail_de,
        "code": code,
    }
    if instance:
        body["instance"] = instance
    if extra:
        body.update(extra)
    return body


def problem_response(request: HttpRequest | None, problem: Problem) -> JsonResponse:
    body = problem_body(
        status_code=problem.status_code,
        code=problem.code,
        detail_de=problem.detail_de,
        detail_en=problem.detail_en,
        instance=request.path if request else "",
        extra=problem.extra,
    )
    return JsonResponse(
        body,
        status=problem.status_code,
        content_type=PROBLEM_CONTENT_TYPE,
        json_dumps_params={"ensure_ascii": False},
    )


def _validation_errors(detail: Any) -> dict[str, Any]:
    """DRF's nested error detail as plain strings per field."""
    if isinstance(detail, dict):
        return {key: _validation_errors(value) for key, value in detail.items()}
    if isinstance(detail, list):
        return [_validation_errors(item) for item in detail]  # type: ignore[return-value]
    return str(detail)  # type: ignore[return-value]


def problem_exception_handler(exc: Exception, context: dict[str, Any]) -> Response | None:
    """DRF exception handler: every error, including validation errors, as problem+json."""
    request = context.get("request")
    path = request.path if request is not None else ""
    if isinstance(exc, Problem):
        body = problem_body(
            status_code=exc.status_code,
            code=exc.code,
            detail_de=exc.detail_de,
            detail_en=exc.detail_en,
            instance=path,
            extra=exc.extra,
        )
        return Response(body, status=exc.status_code, content_type=PROBLEM_CONTENT_TYPE)
    if isinstance(exc, Http404):
        exc = exceptions.NotFound()
    elif isinstance(exc, PermissionDenied):
        exc = exceptions.PermissionDenied()
    response = exception_handler(exc, context)
    if response is None:
        return None
    status_code = response.status_code
    extra: dict[str, Any] = {}
    if isinstance(exc, exceptions.ValidationError):
        code = "validation-error"
        detail_de = "Die Eingaben sind ungültig; siehe „errors“."
        detail_en = "The input is invalid; see 'errors'."
        extra["errors"] = _validation_errors(exc.detail)
    else:
        code = str(getattr(exc, "default_code", "error")).replace("_", "-")
        detail_de, detail_en = _GENERIC_DETAIL.get(status_code, (str(getattr(exc, "detail", "")),) * 2)
        if status_code in (400, 406, 415):
            detail_en = str(getattr(exc, "detail", detail_en))
    body = problem_body(
        status_code=status_code,
        code=code,
        detail_de=detail_de,
        detail_en=detail_en,
        instance=path,
        extra=extra,
    )
    response.data = body
    response.content_type = PROBLEM_CONTENT_TYPE
    return response
