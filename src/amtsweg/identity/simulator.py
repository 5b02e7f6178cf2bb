"""The demo identity simulator: log in as a fictitious person at any trust level, for the demo only.

It exists only when ``settings.IDENTITY_SIMULATOR`` is on (demo mode, ``AMTSWEG_DEMO_MODE``); every
page says in large letters that it proves nothing. Logins go through the same
``identity.services.external_login`` as the real providers, so the rest of the platform (step-up,
recording on submissions, organisations) behaves exactly as with them.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode

from django import forms
from django.conf import settings
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.urls import reverse
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_http_methods

from . import methods
from .levels import TrustLevel
from .services import external_login

KEY = "demo"
ISSUER = "amtsweg-demo-simulator"


@dataclass(frozen=True)
class Persona:
    key: str
    given_name: str
    family_name: str
    birth_date: str
    street: str
    postal_code: str
    city: str
    email: str = ""


# Fictitious people with real street names of the alliance's towns. The first is the demo citizen
# who already has applications (load_demo links this identity to that account).
PERSONAS = [
    Persona("demo-buerger", "Bernd", "Bürger", "1984-05-17", "Oberstraße 12", "41460", "Neuss"),
    Persona("demo-mustermann", "Erika", "Mustermann", "1964-08-12", "Kölner Straße 40", "41539", "Dormagen"),
    Persona("demo-yilmaz", "Aylin", "Yılmaz", "1991-02-03", "Lindenstraße 5", "41515", "Grevenbroich"),
]
DEMO_ORGANISATION = {
    "name": "Rheinufer Gastronomie GmbH",
    "identifier": "HRB 99999, Amtsgericht Neuss (Demo)",
    "legal_form": "GmbH",
    "address": "Rheinallee 1, 41460 Neuss",
}


class SimulatorForm(forms.Form):
    persona = forms.ChoiceField(
        label=_("Person"),
        choices=[(p.key, f"{p.given_name} {p.family_name}, {p.city}") for p in PERSONAS],
        widget=forms.RadioSelect,
    )
    level = forms.ChoiceField(
        label=_("Nachgewiesenes Vertrauensniveau"),
        choices=[
            (level.value, level.label)
            for level in (TrustLevel.NORMAL, TrustLevel.SUBSTANTIAL, TrustLevel.HIGH)
        ],
        widget=forms.RadioSelect,
        initial=TrustLevel.HIGH.value,
    )
    organisation = forms.BooleanField(
        label=_("Auch als Vertretung der Demo-Firma „Rheinufer Gastronomie GmbH“ anmelden"), required=False
    )
    next = forms.CharField(required=False, widget=forms.HiddenInput)


def _enabled() -> bool:
    return bool(getattr(settings, "IDENTITY_SIMULATOR", False))


def _start(next_url: str, needed: TrustLevel) -> str:
    query = {"next": next_url} if next_url else {}
    if needed not in (TrustLevel.NONE, TrustLevel.NORMAL):
        query["niveau"] = needed.value
    return reverse("portal:identity_simulator") + ("?" + urlencode(query) if query else "")


def _methods() -> list[methods.LoginMethod]:
    if not _enabled():
        return []
    return [
        methods.LoginMethod(
            key=KEY,
            label=_("Demo-Identität (Simulator)"),
            level=TrustLevel.HIGH,
            start=_start,
            description=_("Nur in der Demo: wählen Sie eine erfundene Person und ein Vertrauensniveau."),
            demo=True,
        )
    ]


def register_methods() -> None:
    methods.register(KEY, _methods)


@require_http_methods(["GET", "POST"])
def simulator(request: HttpRequest) -> HttpResponse:
    """``/konto/anmelden/demo/``: the simulator page (404 outside demo mode)."""
    if not _enabled():
        raise Http404
    needed = request.GET.get("niveau", TrustLevel.HIGH.value)
    initial: dict[str, Any] = {
        "next": request.GET.get("next", ""),
        "level": needed
        if needed in TrustLevel.values and needed != TrustLevel.NONE
        else TrustLevel.HIGH.value,
        "persona": PERSONAS[0].key,
    }
    form = SimulatorForm(request.POST if request.method == "POST" else None, initial=initial)
    if request.method == "POST" and form.is_valid():
        persona = next(p for p in PERSONAS if p.key == form.cleaned_data["persona"])
        external_login(
            request,
            method=KEY,
            issuer=ISSUER,
            subject=persona.key,
            level=TrustLevel(form.cleaned_data["level"]),
            attributes={
                "given_name": persona.given_name,
                "family_name": persona.family_name,
                "birth_date": persona.birth_date,
                "street": persona.street,
                "postal_code": persona.postal_code,
                "city": persona.city,
                "country": "DE",
            },
            organisation=DEMO_ORGANISATION if form.cleaned_data["organisation"] else None,
        )
        return HttpResponseRedirect(methods.after_login_url(request, form.cleaned_data["next"]))
    return render(request, "identity/simulator.html", {"form": form})
