"""Isolation matrix rows of the register part's routes (pages and staff API). The target authority
(Neuss) keeps a register with one entry (``matrix_common``)."""

from __future__ import annotations

from amtsweg.tenancy.models import Authority
from amtsweg.testing import NEUSS_READERS, Route, World, page_read, staff_list, staff_read

from .matrix_common import entry_at, entry_pk, parcel_key


def page_write(role: str, target: str) -> set[int]:
    """A form post on a page of the target register: its readers are redirected after the change."""
    if role == "anonymous":
        return {302}
    if role == "citizen":
        return {403}
    return {302} if role in NEUSS_READERS else {404}


def api_write(status: int):  # type: ignore[no-untyped-def]
    def expect(role: str, target: str) -> set[int]:
        if role == "anonymous":
            return {401, 403}
        if role == "citizen":
            return {403}
        return {status} if role in NEUSS_READERS else {404}

    return expect


def _page(suffix: str):  # type: ignore[no-untyped-def]
    return lambda w, a: f"/backoffice/{entry_at(w, a).authority.ags}/baulasten/{suffix}"


def _entry(suffix: str = ""):  # type: ignore[no-untyped-def]
    return lambda w, a: f"/backoffice/{a.ags}/baulasten/eintraege/{entry_pk(w, a)}/{suffix}"


def _api(w: World, a: Authority, suffix: str) -> str:
    return f"/api/v1/baulasten/{entry_at(w, a).authority.ags}/{suffix}"


ROUTES: list[Route] = [
    Route("backoffice:baulasten_register", _page(""), page_read),
    Route("backoffice:baulasten_register", _page("?q=Abstandsfl%C3%A4che&gemarkung=053359"), page_read),
    Route("backoffice:baulasten_entry_new", _page("eintraege/neu/"), page_read),
    Route("backoffice:baulasten_entry", _entry(), page_read),
    Route("backoffice:baulasten_entry_edit", _entry("bearbeiten/"), page_read),
    Route(
        "backoffice:baulasten_entry_delete",
        _entry("loeschen/"),
        page_write,
        method="post",
        data={"delete-deleted_on": "2024-01-02", "delete-reason": "Verzicht", "delete-version": "1"},
    ),
    Route("backoffice:baulasten_entry_restore", _entry("wiederherstellen/"), page_write, method="post"),
    Route("api-baulasten-entries", lambda w, a: _api(w, a, "entries?gemarkung=053359"), staff_read),
    Route(
        "api-baulasten-entries",
        lambda w, a: _api(w, a, "entries"),
        api_write(201),
        method="post",
        data={
            "sheet": 99,
            "number": 1,
            "kind": "stellplatz",
            "text": "Zwei Stellplätze.",
            "entered_on": "2024-01-02",
            "burdened": [{"gemarkung": "053359", "flur": 1, "flurstueck": "2"}],
        },
    ),
    Route("api-baulasten-entry", lambda w, a: _api(w, a, f"entries/{entry_pk(w, a)}"), staff_read),
    Route(
        "api-baulasten-entry",
        lambda w, a: _api(w, a, f"entries/{entry_pk(w, a)}"),
        api_write(200),
        method="patch",
        data={"version": 1, "text": "Abstandsfläche von 3 m."},
    ),
    Route(
        "api-baulasten-entry",
        lambda w, a: _api(w, a, f"entries/{entry_pk(w, a)}"),
        api_write(200),
        method="delete",
        data={"deleted_on": "2024-01-02", "reason": "Verzicht"},
    ),
    # The matrix entry is not deleted: its keeper's staff reach the service (409), no one else does.
    Route(
        "api-baulasten-entry-restore",
        lambda w, a: _api(w, a, f"entries/{entry_pk(w, a)}/restore"),
        api_write(409),
        method="post",
        data={"version": 1},
    ),
    Route(
        "api-baulasten-entry-history",
        lambda w, a: _api(w, a, f"entries/{entry_pk(w, a)}/history"),
        staff_read,
    ),
    Route("api-baulasten-parcel", lambda w, a: _api(w, a, f"parcels/{parcel_key(w, a)}"), staff_read),
]
_ = staff_list  # lists here are per register and refuse other towns (404), like reads
