"""Isolation matrix rows of the open data: public for every role (no authority-internal data)."""

from __future__ import annotations

from django.utils import timezone

from amtsweg.tenancy.models import Authority
from amtsweg.testing import Route, World, public

from ..models import OpenDataRelease
from ..opendata import release_create
from .matrix_staff import finder_at


def release_at(w: World, a: Authority) -> OpenDataRelease:
    return release_create(finder=finder_at(w, a), day=timezone.localdate(), now=timezone.now())


ROUTES: list[Route] = [
    Route("portal:care_opendata", lambda w, a: "/pflegefinder/open-data/", public),
    Route(
        "portal:care_opendata_catalog",
        lambda w, a: f"/pflegefinder/open-data/{release_at(w, a).finder.authority.ags}/katalog.rdf",
        public,
    ),
    Route(
        "portal:care_opendata_latest",
        lambda w, a: f"/pflegefinder/open-data/{release_at(w, a).finder.authority.ags}/aktuell.csv",
        public,
    ),
    Route(
        "portal:care_opendata_file",
        lambda w, a: f"/pflegefinder/open-data/{a.ags}/{release_at(w, a).date.isoformat()}.json",
        public,
    ),
    Route("api-care-open-data", lambda w, a: "/api/v1/care/open-data", public),
]
