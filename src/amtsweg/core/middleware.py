"""Request guards that apply to every URL before any view runs."""

from __future__ import annotations

from collections.abc import Callable
from urllib.parse import unquote_to_bytes

from django.http import HttpRequest, HttpResponse
from django.template.loader import render_to_string

from .problems import Problem, problem_response

MAX_QUERY_STRING = 4096


def _bad_query(raw: str) -> tuple[str, str] | None:
    if len(raw) > MAX_QUERY_STRING:
        return ("Die Anfrage ist zu lang.", "The query string is too long.")
    decoded = unquote_to_bytes(raw.replace("+", " "))
    try:
        text = decoded.decode("utf-8")
    except UnicodeDecodeError:
        return ("Die Anfrage enthält ungültige Zeichen (kein UTF-8).", "The query string is not valid UTF-8.")
    if any(ord(ch) < 32 and ch not in "\t" for ch in text):
        return ("Die Anfrage enthält Steuerzeichen.", "The query string contains control characters.")
    return None


class RequestGuardMiddleware:
    """Rejects overlong, non-UTF-8 or binary query strings with a clear 400 instead of a 500 later.

    PostgreSQL refuses NUL bytes in text and Django would replace invalid UTF-8 silently, so such
    input is stopped here, once, for every endpoint: problem+json for the API, a German page otherwise.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        raw = request.META.get("QUERY_STRING", "")
        reason = _bad_query(raw) if raw else None
        if reason is not None:
            if request.path.startswith("/api/"):
                return problem_response(request, Problem(reason[0], reason[1], code="invalid-query"))
            html = render_to_string(
                "portal/error.html", {"status": 400, "message": reason[0]}, request=request
            )
            return HttpResponse(html, status=400)
        return self.get_response(request)
