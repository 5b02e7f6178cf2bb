"""Public pages of the care finder: the search (list without JavaScript, map as an enhancement), a
facility's detail page and the shortlist with its print view and share link. No login anywhere."""

from __future__ import annotations

from datetime import date, datetime
from pathlib import Path, PurePosixPath
from typing import Any

from django.conf import settings
from django.contrib import messages
from django.http import FileResponse, Http404, HttpRequest, HttpResponse, HttpResponseRedirect, QueryDict
from django.shortcuts import get_object_or_404, render
from django.urls import reverse
from django.utils import formats, timezone
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.timesince import timesince
from django.utils.translation import get_language_info, gettext_lazy, ngettext
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from . import access, geocoding, search_params, selectors, shortlist
from .models import CareType, Facility, Specialisation, specialisations_of
from .photos import IMAGE_TYPES
from .search_params import SearchInvalid
from .selectors import OfferState, SearchHit, Status

PAGE_SIZE = 20
LEAFLET_DIR = Path(__file__).resolve().parent / "static" / "care" / "vendor" / "leaflet"
RADIUS_CHOICES = (2, 5, 10, 20, 50, 100)
ALERT_PARAMS = ("q", "postcode", "town", "lat", "lon", "radius_km", "care_type", "specialisation")
STATUS_TEXT = {
    Status.GREEN: gettext_lazy("mehrere frei"),
    Status.YELLOW: gettext_lazy("1 frei"),
    Status.RED: gettext_lazy("belegt"),
    Status.UNKNOWN: gettext_lazy("keine Meldung"),
}
LANGUAGES = (
    ("tr", gettext_lazy("Türkisch")),
    ("ar", gettext_lazy("Arabisch")),
    ("ru", gettext_lazy("Russisch")),
    ("pl", gettext_lazy("Polnisch")),
    ("uk", gettext_lazy("Ukrainisch")),
    ("en", gettext_lazy("Englisch")),
    ("it", gettext_lazy("Italienisch")),
    ("el", gettext_lazy("Griechisch")),
)
CARE_TYPE_LABELS = dict(CareType.choices)
SPECIALISATION_LABELS = dict(Specialisation.choices)
# Pages of the other parts of the finder the search links to.
LINKS = {
    "alert": "portal:care_alert_subscribe",
    "operator": "portal:care_operator_home",
    "opendata": "portal:care_opendata",
}


def care_link(key: str) -> str:
    return reverse(LINKS[key])


def _map_available() -> bool:
    return bool(settings.CARE_MAP_TILE_URL) and (LEAFLET_DIR / "leaflet.js").is_file()


def _map_config(center: tuple[float, float] | None, radius_km: float | None) -> dict[str, Any]:
    return {
        "tiles": settings.CARE_MAP_TILE_URL,
        "attribution": settings.CARE_MAP_ATTRIBUTION,
        "center": list(center) if center else None,
        "radius_km": radius_km,
        "markers": [],
        "labels": {"zoom_in": _("Vergrößern"), "zoom_out": _("Verkleinern")},
    }


def language_name(code: str) -> str:
    try:
        return str(get_language_info(code)["name_translated"])
    except KeyError:
        return code


def offer_view(state: OfferState, *, needed_on: date | None = None) -> dict[str, Any]:
    """What a page shows of one offer: the traffic light as text and colour, places, report time.

    The sentences are made here rather than in the template: a result page shows up to 60 offers, and
    formatting them in Python costs a fraction of rendering the same with template tags.
    """
    if state.places is not None:
        places_text = ngettext(
            "%(places)s Platz frei von %(capacity)s", "%(places)s Plätze frei von %(capacity)s", state.places
        ) % {"places": state.places, "capacity": state.capacity}
    else:
        places_text = _("%(capacity)s Plätze") % {"capacity": state.capacity}
    reported = None
    if state.reported_at is not None:
        local = timezone.localtime(state.reported_at)
        reported = {
            "age": _("gemeldet vor %(age)s") % {"age": timesince(state.reported_at)},
            "iso": local.isoformat(),
            "short": formats.date_format(local, "SHORT_DATETIME_FORMAT"),
        }
    expected_text = ""
    if needed_on is not None and state.places is not None and state.places != state.free_now:
        expected_text = ngettext(
            "am %(day)s erwartet: %(places)s Platz frei",
            "am %(day)s erwartet: %(places)s Plätze frei",
            state.places,
        ) % {"day": formats.date_format(needed_on, "SHORT_DATE_FORMAT"), "places": state.places}
    return {
        "care_type": state.care_type,
        "label": CARE_TYPE_LABELS.get(state.care_type, state.care_type),
        "status": state.status.value,
        "status_text": STATUS_TEXT[state.status],
        "places": state.places,
        "places_text": places_text,
        "free_now": state.free_now,
        "capacity": state.capacity,
        "reported_at": state.reported_at,
        "reported": reported,
        "stale": state.stale,
        "expected_text": expected_text,
        "expected": [{"date": date.fromisoformat(e["date"]), "places": e["places"]} for e in state.expected],
    }


def _hit_view(
    hit: SearchHit, *, shortlisted: set[int], needed_on: date | None, detail_prefix: str, add_prefix: str
) -> dict[str, Any]:
    return {
        "id": hit.facility_id,
        # One reverse() per page, not two per hit: the ids are spliced into the resolved prefixes.
        "url": f"{detail_prefix}{hit.facility_id}/",
        "add_url": f"{add_prefix}{hit.facility_id}/",
        "distance_text": _("%(distance)s km entfernt")
        % {"distance": formats.number_format(hit.distance_km, 1)},
        "name": hit.name,
        "street": hit.street,
        "postcode": hit.postcode,
        "town": hit.town,
        "distance_km": hit.distance_km,
        "status": hit.status.value,
        "status_text": STATUS_TEXT[hit.status],
        "stale": hit.stale,
        "last_reported_at": hit.last_reported_at,
        "offers": [offer_view(s, needed_on=needed_on) for s in hit.offers],
        "specialisations": [SPECIALISATION_LABELS[c] for c in specialisations_of(hit.specialisation_bits)],
        "shortlisted": hit.facility_id in shortlisted,
    }


def _page_url(data: QueryDict, **changes: Any) -> str:
    params = data.copy()
    for key, value in changes.items():
        params.pop(key, None)
        if value not in (None, ""):
            params[key] = str(value)
    return "?" + params.urlencode()


def _radius_choices(given: str) -> list[int | float]:
    """The radius options, with a radius from a link (the API's or an app's) that is not among them."""
    choices: list[int | float] = list(RADIUS_CHOICES)
    try:
        radius = float(given)
    except ValueError:
        return choices
    if search_params.MIN_RADIUS_KM <= radius <= selectors.MAX_RADIUS_KM and radius not in choices:
        choices = sorted([*choices, int(radius) if radius.is_integer() else radius])
    return choices


@require_GET
def search(request: HttpRequest) -> HttpResponse:
    data = request.GET.copy()
    data.pop("seite", None)
    data.pop("offset", None)
    data.pop("limit", None)
    try:
        page = max(1, int(request.GET.get("seite", "1")))
    except ValueError:
        page = 1
    context: dict[str, Any] = {
        "postcode_attribution": geocoding.table_attribution(),
        "form": request.GET,
        "care_types": CareType.choices,
        "specialisations": Specialisation.choices,
        "selected_specialisations": request.GET.getlist("specialisation"),
        "radius_choices": _radius_choices(request.GET.get("radius_km", "")),
        "languages": LANGUAGES,
        "today": timezone.localdate(),
        "links": {key: care_link(key) for key in LINKS},
        "map_available": _map_available(),
        "searched": False,
    }
    status = 200
    if search_params.has_location(request.GET):
        params = data.copy()
        params["limit"] = str(PAGE_SIZE)
        params["offset"] = str((page - 1) * PAGE_SIZE)
        try:
            query, place = search_params.parse_search(params)
        except SearchInvalid as problem:
            field = str(problem.extra.get("field", "q"))
            if field in ("lat", "lon", "postcode", "town"):
                field = "q"
            context["error"] = {"field": field, "message": problem.localized()}
            status = 400
        else:
            result = selectors.facility_search(query)
            shortlisted = set(shortlist.shortlist_ids(request))
            detail_prefix = reverse("portal:care_facility", args=(0,)).removesuffix("0/")
            add_prefix = reverse("portal:care_shortlist_add", args=(0,)).removesuffix("0/")
            hits = [
                _hit_view(
                    hit,
                    shortlisted=shortlisted,
                    needed_on=query.needed_on,
                    detail_prefix=detail_prefix,
                    add_prefix=add_prefix,
                )
                for hit in result.hits
            ]
            page_count = max(1, -(-result.total // PAGE_SIZE))
            map_data = _map_config((place.latitude, place.longitude), query.radius_km)
            map_data["markers"] = [
                {
                    "lat": hit.latitude,
                    "lon": hit.longitude,
                    "name": hit.name,
                    "url": reverse("portal:care_facility", args=[hit.facility_id]),
                    "status": hit.status.value,
                    "status_text": str(STATUS_TEXT[hit.status]),
                }
                for hit in result.hits
            ]
            wider = next((r for r in RADIUS_CHOICES if r > query.radius_km), None)
            # The alert page takes the same parameters as the search (H-ALERTS prefills its form).
            alert_params = QueryDict(mutable=True)
            for key in ALERT_PARAMS:
                values = [v for v in data.getlist(key) if v]
                if values:
                    alert_params.setlist(key, values)
            context.update(
                searched=True,
                query=query,
                place=place,
                hits=hits,
                total=result.total,
                page=page,
                page_count=page_count,
                previous_url=_page_url(data, seite=page - 1) if page > 1 else None,
                next_url=_page_url(data, seite=page + 1) if page < page_count else None,
                sort_urls={
                    "distance": _page_url(data, sort="distance"),
                    "freshness": _page_url(data, sort="freshness"),
                },
                wider_url=_page_url(data, radius_km=wider) if wider else None,
                wider_radius=wider,
                alert_url=f"{care_link('alert')}?{alert_params.urlencode()}",
                map_data=map_data,
                current_url=request.get_full_path(),
            )
    return render(request, "care/search.html", context, status=status)


def _facility_view(facility: Facility, *, needed_on: date | None, now: datetime) -> dict[str, Any]:
    offers = []
    for offer, state in zip(
        facility.offers.all(), selectors.offer_states(facility, needed_on=needed_on, now=now), strict=True
    ):
        view = offer_view(state)
        view["own_share"] = sorted(
            ((int(grade), amount) for grade, amount in offer.own_share.items()), key=lambda item: item[0]
        )
        offers.append(view)
    return {
        "offers": offers,
        "specialisations": [SPECIALISATION_LABELS[c] for c in facility.specialisations],
        "languages": [language_name(code) for code in facility.languages],
        "stale_after_hours": facility.authority.care_finder.stale_after_hours,
    }


@require_GET
def facility_detail(request: HttpRequest, pk: int) -> HttpResponse:
    facility = selectors.facility_public(pk)
    now = timezone.now()
    context = {
        "facility": facility,
        **_facility_view(facility, needed_on=None, now=now),
        "photos": [
            (photo, reverse("portal:care_facility_photo", args=(facility.pk, photo.pk)))
            for photo in facility.photos.all()
        ],
        "shortlisted": pk in shortlist.shortlist_ids(request),
        "map_available": _map_available(),
        "map_data": {
            **_map_config((facility.latitude, facility.longitude), None),
            "markers": [{"lat": facility.latitude, "lon": facility.longitude, "name": facility.name}],
        },
        "back_url": _safe_next(request, request.GET.get("zurueck", "")),
        "current_url": request.get_full_path(),
        "links": {key: care_link(key) for key in LINKS},
    }
    return render(request, "care/detail.html", context)


def facility_photo(request: HttpRequest, pk: int, photo_pk: int) -> FileResponse:
    """A photo of a public facility, or of a facility the operator's account manages (also while it is
    hidden), served by the application (no separate media server needed); the type is the one checked
    at upload (the stored name carries its extension)."""
    try:
        photos = access.facility_for_operator(request.user, pk).photos.all()
        cache = "private, max-age=300"
    except Http404:
        photos = selectors.facility_photos_public(pk)
        cache = "public, max-age=86400"
    photo = get_object_or_404(photos, pk=photo_pk)
    extension = PurePosixPath(photo.image.name or "").suffix.lower()
    content_type = {ext: ctype for ctype, ext in IMAGE_TYPES.items()}.get(extension)
    if content_type is None:
        raise Http404
    response = FileResponse(photo.image.open("rb"), content_type=content_type)
    response["Cache-Control"] = cache
    response["Content-Security-Policy"] = "default-src 'none'"
    return response


def _safe_next(request: HttpRequest, url: str) -> str:
    if url and url_has_allowed_host_and_scheme(
        url, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return url
    return ""


@require_POST
def shortlist_add(request: HttpRequest, pk: int) -> HttpResponse:
    facility = selectors.facility_public(pk)
    if shortlist.shortlist_add(request, pk):
        messages.success(request, _("„%(name)s“ steht auf Ihrer Merkliste.") % {"name": facility.name})
    else:
        messages.error(
            request,
            _("Die Merkliste ist voll (höchstens %(max)d Einrichtungen). Entfernen Sie zuerst eine.")
            % {"max": shortlist.MAX_ITEMS},
        )
    return HttpResponseRedirect(
        _safe_next(request, request.POST.get("next", "")) or reverse("portal:care_shortlist")
    )


@require_POST
def shortlist_remove(request: HttpRequest, pk: int) -> HttpResponse:
    shortlist.shortlist_remove(request, pk)
    messages.success(request, _("Die Einrichtung wurde von der Merkliste entfernt."))
    return HttpResponseRedirect(
        _safe_next(request, request.POST.get("next", "")) or reverse("portal:care_shortlist")
    )


def _shortlist_context(facilities: list[Facility]) -> dict[str, Any]:
    now = timezone.now()
    return {
        "entries": [{"facility": f, **_facility_view(f, needed_on=None, now=now)} for f in facilities],
        "now": now,
    }


@require_GET
def shortlist_page(request: HttpRequest) -> HttpResponse:
    ids = shortlist.shortlist_ids(request)
    facilities = shortlist.shortlist_facilities(ids)
    share_url = (
        request.build_absolute_uri(
            reverse("portal:care_shortlist_shared", args=[shortlist.share_token([f.pk for f in facilities])])
        )
        if facilities
        else ""
    )
    context = {
        **_shortlist_context(facilities),
        "share_url": share_url,
        "max_items": shortlist.MAX_ITEMS,
        "shared": False,
        "current_url": request.get_full_path(),
    }
    return render(request, "care/shortlist.html", context)


@require_GET
def shortlist_shared(request: HttpRequest, token: str) -> HttpResponse:
    facilities = shortlist.shortlist_facilities(shortlist.ids_from_token(token))
    response = render(request, "care/shortlist.html", {**_shortlist_context(facilities), "shared": True})
    # The link is the only key to the list: keep it out of referrers and shared caches.
    response["Referrer-Policy"] = "no-referrer"
    response["Cache-Control"] = "private, no-store"
    return response
