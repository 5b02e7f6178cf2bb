"""The sandbox in which notice templates (Bescheidvorlagen) are rendered to the text of a notice.

Templates are written by authority administrators in the Django admin, so they run with far less
than a normal Django template:

* only the context given here — ``case``, ``data``, ``authority``, ``fees``, ``today`` — as plain,
  read-only values (mappings, tuples, strings, numbers, dates), never model instances, so a template
  can neither reach the database, other people's data or ``settings`` nor call a method that changes
  anything;
* the built-in filters and the structural tags only (``if``, ``for``, ``with`` …): no ``load``,
  ``include``, ``extends``, ``url``, ``csrf_token`` or ``debug``, and no template loaders;
* the output is plain text (autoescaping is off because nothing here is HTML); it is escaped where
  it is put into the PDF's HTML, so whatever an applicant typed appears as text, never as markup.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Mapping
from datetime import date
from decimal import Decimal
from types import MappingProxyType
from typing import Any, ClassVar

from django.template import Context, Engine, Library, TemplateSyntaxError, defaultfilters, defaulttags
from django.utils import timezone

from amtsweg.cases.models import Case, Submission

MAX_BODY_CHARS = 50_000

# Structural tags only; everything that loads, includes, links or dumps the context is left out.
ALLOWED_TAGS = frozenset(
    {
        "autoescape",
        "comment",
        "cycle",
        "filter",
        "firstof",
        "for",
        "if",
        "ifchanged",
        "now",
        "regroup",
        "resetcycle",
        "spaceless",
        "templatetag",
        "verbatim",
        "widthratio",
        "with",
    }
)

register = Library()
register.tags = {name: tag for name, tag in defaulttags.register.tags.items() if name in ALLOWED_TAGS}
# Django's built-in filters are pure functions of their input; none reads settings or writes anything.
register.filters = dict(defaultfilters.register.filters)


class TemplateError(ValueError):
    """A notice template that does not compile or fails to render; the message says where."""


class _SandboxEngine(Engine):
    default_builtins: ClassVar[list[str]] = []  # replaced by this module's reduced library


@functools.cache
def engine() -> Engine:
    return _SandboxEngine(
        dirs=[],
        app_dirs=False,
        loaders=[],
        libraries={},
        builtins=[__name__],
        autoescape=False,
        debug=False,
        string_if_invalid="",
    )


def check_template(source: str) -> None:
    """Raise :class:`TemplateError` if ``source`` is not a valid notice template."""
    try:
        engine().from_string(source)
    except TemplateSyntaxError as exc:
        raise TemplateError(str(exc)) from exc


def render_text(source: str, context: Mapping[str, Any]) -> str:
    """Render ``source`` with ``context`` (see :func:`notice_context`) to the text of a notice."""
    try:
        template = engine().from_string(source)
        rendered = str(template.render(Context(dict(context), autoescape=False)))
    except TemplateSyntaxError as exc:
        raise TemplateError(str(exc)) from exc
    except Exception as exc:
        raise TemplateError(f"{type(exc).__name__}: {exc}") from exc
    text = "\n".join(line.rstrip() for line in rendered.strip().splitlines())
    while "\n\n\n" in text:
        text = text.replace("\n\n\n", "\n\n")
    if len(text) > MAX_BODY_CHARS:
        raise TemplateError(f"the text has {len(text)} characters, at most {MAX_BODY_CHARS} are allowed")
    return text


def freeze(value: Any) -> Any:
    """``value`` with every dict turned into a read-only mapping and every list into a tuple."""
    if isinstance(value, Mapping):
        return MappingProxyType({str(key): freeze(item) for key, item in value.items()})
    if isinstance(value, list | tuple):
        return tuple(freeze(item) for item in value)
    if isinstance(value, str) and _ISO_DATE.match(value):
        # Form answers keep dates as ISO text; as dates, templates can format them (``|date:"d.m.Y"``).
        try:
            return date.fromisoformat(value)
        except ValueError:
            return value
    if value is None or isinstance(value, str | int | float | bool | Decimal | date):
        return value
    return str(value)


_ISO_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")


def _answers(case: Case) -> Mapping[str, Any]:
    """The applicant's answers; for another authority's part of an application, the handed-over data."""
    submission: Submission | None = getattr(case, "submission", None)
    if submission is not None:
        return dict(submission.data)
    from amtsweg.processes.models import Handover  # processes depend on cases; notices read both

    handed: dict[str, Any] | None = (
        Handover.objects.filter(receiving_case=case).values_list("data", flat=True).first()
    )
    return handed or {}


def notice_context(*, case: Case, fees: list[dict[str, Any]], today: date) -> dict[str, Any]:
    """What a notice template may use: plain values copied from ``case``, never the objects."""
    authority = case.authority
    applicant_name = case.applicant_name or case.applicant.get_full_name()
    return {
        "case": freeze(
            {
                "reference": case.reference,
                "title": case.title,
                "service": case.service.name,
                "applicant_name": applicant_name,
                "submitted_at": timezone.localtime(case.submitted_at),
                "decided_at": timezone.localtime(case.decided_at) if case.decided_at else None,
                "decision": case.decision,
            }
        ),
        "data": freeze(_answers(case)),
        "authority": freeze(
            {
                "name": authority.name,
                "official_name": authority.official_name or authority.name,
                "email": authority.email,
                "phone": authority.phone,
                "website": authority.website,
            }
        ),
        "fees": freeze(fees),
        "today": today,
    }
