"""Isolation matrix rows of the care finder's public routes (portal search/detail/shortlist, public API).

Everything here is public: every role gets the same answer. The facility is made once per test
database (``care_setup``); the shortlist writes only touch the caller's session.
"""

from amtsweg.tenancy.models import Authority
from amtsweg.testing import Route, World, public

from ..shortlist import share_token


def _facility(w: World, a: Authority) -> int:
    from ..models import CareFinder, Facility
    from .factories import care_setup

    if not CareFinder.objects.filter(authority=w.kreis).exists():
        care_setup(w)
    return Facility.objects.filter(town="Neuss").order_by("pk").values_list("pk", flat=True).first() or 0


def _photo(w: World, a: Authority) -> str:
    """A public facility's photo (a 1×1 PNG), made once per test database."""
    from django.core.files.base import ContentFile

    from ..models import FacilityPhoto

    pk = _facility(w, a)
    photo = FacilityPhoto.objects.filter(facility_id=pk).first()
    if photo is None:
        photo = FacilityPhoto(facility_id=pk, alt_text="Eingang")
        photo.image.save("eingang.png", ContentFile(PNG), save=True)
    return f"/pflegefinder/einrichtungen/{pk}/fotos/{photo.pk}/"


# The smallest valid PNG: one transparent pixel.
PNG = bytes.fromhex(
    "89504e470d0a1a0a0000000d4948445200000001000000010806000000"
    "1f15c4890000000d49444154789c6300010000050001 0d0a2db40000000049454e44ae426082".replace(" ", "")
)


def _redirect(role: str, target: str) -> set[int]:
    return {302}


ROUTES: list[Route] = [
    Route("portal:care_search", lambda w, a: "/pflegefinder/", public),
    Route("portal:care_search", lambda w, a: "/pflegefinder/?q=41460&radius_km=10", public),
    Route("portal:care_facility", lambda w, a: f"/pflegefinder/einrichtungen/{_facility(w, a)}/", public),
    Route("portal:care_facility_photo", _photo, public),
    Route("portal:care_shortlist", lambda w, a: "/pflegefinder/merkliste/", public),
    Route(
        "portal:care_shortlist_add",
        lambda w, a: f"/pflegefinder/merkliste/hinzufuegen/{_facility(w, a)}/",
        _redirect,
        method="post",
    ),
    Route(
        "portal:care_shortlist_remove",
        lambda w, a: f"/pflegefinder/merkliste/entfernen/{_facility(w, a)}/",
        _redirect,
        method="post",
    ),
    Route(
        "portal:care_shortlist_shared",
        lambda w, a: f"/pflegefinder/merkliste/{share_token([_facility(w, a)])}/",
        public,
    ),
    Route("api-care-facility-list", lambda w, a: "/api/v1/care/facilities?postcode=41460", public),
    Route("api-care-facility-detail", lambda w, a: f"/api/v1/care/facilities/{_facility(w, a)}", public),
    Route("api-care-meta", lambda w, a: "/api/v1/care/meta", public),
]
