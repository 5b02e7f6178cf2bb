"""The submission check of the online Auskunft (registered with ``cases.checks.submission_check``).

Whichever client submits a draft of service 99012004023000 (portal, API, the bulk upload, XBau 0710),
each requested parcel must be a valid Flurstück and lie in a town whose register the draft's
authority keeps; otherwise nothing is stored and the message names the parcel and, for a parcel
elsewhere, the authority to ask.
"""

from __future__ import annotations

from urllib.parse import urlencode

from django.urls import reverse

from amtsweg.cases.checks import submission_check
from amtsweg.catalog.models import Service
from amtsweg.core.problems import Problem
from amtsweg.forms.continuation import service_flow
from amtsweg.forms.models import Draft
from amtsweg.tenancy.models import Authority

from .models import Gemarkung
from .selectors import register_for_gemarkung
from .services_auskunft import LEIKA_AUSKUNFT, requested_parcels


class ParcelProblem(Problem):
    status_code = 422
    code = "baulasten-parcel-invalid"


@submission_check
def auskunft_submission_check(draft: Draft) -> None:
    if draft.service.leika_key != LEIKA_AUSKUNFT:
        return
    for requested in requested_parcels(draft.data):
        path = f"flurstuecke.{requested.position - 1}"
        if requested.flurstueck is None or requested.error is not None:
            detail_de = requested.error.detail_de if requested.error else ""
            detail_en = requested.error.detail_en if requested.error else ""
            raise ParcelProblem(
                f"Flurstück {requested.position} ({requested.label}) ist ungültig: {detail_de}",
                f"Parcel {requested.position} ({requested.label}) is not valid: {detail_en}",
                extra={"position": requested.position, "field": path},
            )
        gemarkung = Gemarkung.objects.filter(key=requested.flurstueck.gemarkung_key).first()
        if gemarkung is None:
            raise ParcelProblem(
                f"Flurstück {requested.position}: Die Gemarkung {requested.gemarkung_key[2:]} ist im "
                "Rhein-Kreis Neuss nicht bekannt.",
                f"Parcel {requested.position}: the Gemarkung {requested.gemarkung_key[2:]} is not known "
                "in the Rhein-Kreis Neuss.",
                extra={"position": requested.position, "field": path},
            )
        register = register_for_gemarkung(gemarkung.key)
        if register is None or register.authority_id != draft.authority_id:
            shown = requested.flurstueck.display(gemarkung.name)
            keeper = register.authority if register else None
            if keeper is None:
                de = "Für diese Gemarkung ist kein Baulastenverzeichnis eingerichtet."
                en = "No register is set up for this Gemarkung."
            else:
                de = (
                    f"Das Baulastenverzeichnis für dieses Flurstück führt {keeper.name}; "
                    "bitte stellen Sie den Antrag dort."
                )
                en = f"The register for this parcel is kept by {keeper.name}; please apply there."
            raise ParcelProblem(
                f"Flurstück {requested.position} ({shown}) liegt nicht im Gebiet von "
                f"{draft.authority.name}. {de}",
                f"Parcel {requested.position} ({shown}) is not in the area of {draft.authority.name}. {en}",
                code="baulasten-parcel-elsewhere",
                extra={
                    "position": requested.position,
                    "field": path,
                    "keeper_ags": keeper.ags if keeper else None,
                    "keeper_name": keeper.name if keeper else None,
                },
            )


@service_flow
def auskunft_start_url(service: Service, authority: Authority) -> str | None:
    """Applying for the Auskunft from the service page starts on its own page: the keeping authority
    follows from the town (the Kreis keeps some towns' registers), not from the town itself."""
    if service.leika_key != LEIKA_AUSKUNFT:
        return None
    return reverse("portal:baulasten_auskunft_start") + "?" + urlencode({"gemeinde": authority.ags})
