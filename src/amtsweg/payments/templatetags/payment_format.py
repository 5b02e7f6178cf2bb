"""Template filters of the payments module: amounts in cents shown as euros."""

from __future__ import annotations

from django import template

from amtsweg.payments.selectors import format_euros

register = template.Library()


@register.filter
def euros(cents: int | None) -> str:
    """``1250`` → ``12,50 €`` (German format; integer arithmetic, no float)."""
    return format_euros(cents)
