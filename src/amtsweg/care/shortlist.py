"""The shortlist (Merkliste) of care facilities: ids kept in the session, no account needed.

A hospital social worker builds one for a patient, prints it, or sends its share link to the family:
the link carries the signed id list (``django.core.signing``, salt ``care.shortlist``) and nothing else,
so it holds no personal data, needs no storage and opens read-only; a tampered link is a 404.
"""

from __future__ import annotations

from django.core import signing
from django.db.models import Prefetch
from django.http import Http404, HttpRequest

from .models import CareOffer, Facility

SESSION_KEY = "care_shortlist"
MAX_ITEMS = 30
SALT = "care.shortlist"


def shortlist_ids(request: HttpRequest) -> list[int]:
    raw = request.session.get(SESSION_KEY, [])
    return [int(pk) for pk in raw if isinstance(pk, int)][:MAX_ITEMS] if isinstance(raw, list) else []


def shortlist_add(request: HttpRequest, pk: int) -> bool:
    """Add a facility (newest last); False when the list is full. Unknown ids are not checked here:
    the list only ever shows public facilities."""
    ids = shortlist_ids(request)
    if pk in ids:
        return True
    if len(ids) >= MAX_ITEMS:
        return False
    request.session[SESSION_KEY] = [*ids, pk]
    return True


def shortlist_remove(request: HttpRequest, pk: int) -> None:
    request.session[SESSION_KEY] = [i for i in shortlist_ids(request) if i != pk]


def shortlist_clear(request: HttpRequest) -> None:
    request.session.pop(SESSION_KEY, None)


def share_token(ids: list[int]) -> str:
    return signing.dumps(ids[:MAX_ITEMS], salt=SALT, compress=True)


def ids_from_token(token: str) -> list[int]:
    """The ids of a share link; 404 when the link was tampered with or is not one."""
    try:
        value = signing.loads(token, salt=SALT)
    except signing.BadSignature:
        raise Http404 from None
    if not isinstance(value, list) or not all(isinstance(pk, int) for pk in value):
        raise Http404
    return value[:MAX_ITEMS]


def shortlist_facilities(ids: list[int]) -> list[Facility]:
    """The public (active, finder enabled) facilities of ``ids`` in list order, with their offers."""
    facilities = (
        Facility.objects.filter(pk__in=ids, active=True, authority__care_finder__enabled=True)
        .select_related("authority__care_finder")
        .prefetch_related(Prefetch("offers", queryset=CareOffer.objects.order_by("care_type")))
    )
    by_id = {f.pk: f for f in facilities}
    return [by_id[pk] for pk in ids if pk in by_id]
