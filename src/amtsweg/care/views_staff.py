"""The Heimaufsicht's pages in the back office (``<ags>/pflege/``): the overview with the facilities
that keep not reporting, the facility registry (create, edit, offers, operator members, deactivate,
report on behalf) and the finder's settings (administrators).

Thin views: reads through ``tenancy.access`` (another authority's staff get 404; a facility's detail
read is audited), writes through ``services_registry`` and ``services.vacancy_report_submit``.
"""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_http_methods, require_POST, require_safe

from amtsweg.backoffice.views import backoffice_context, staff_page
from amtsweg.core.problems import Problem
from amtsweg.identity.models import Organisation, User
from amtsweg.tenancy import access
from amtsweg.tenancy.models import Authority

from . import geocoding, selectors_supervision, services_registry
from .models import CareFinder, CareType, Facility, VacancyReport
from .services import ReportLine, vacancy_report_submit

CHANNEL = "web"
HISTORY_ROWS = 50


# --- forms ------------------------------------------------------------------------------------------


class FacilityForm(forms.Form):
    name = forms.CharField(label=gettext_lazy("Name"), max_length=200)
    street = forms.CharField(label=gettext_lazy("Straße und Hausnummer"), max_length=200)
    postcode = forms.RegexField(
        label=gettext_lazy("PLZ"), regex=r"^\d{5}$", error_messages={"invalid": gettext_lazy("Fünf Ziffern.")}
    )
    town = forms.CharField(label=gettext_lazy("Ort"), max_length=100)
    latitude = forms.FloatField(
        label=gettext_lazy("Breitengrad"),
        required=False,
        min_value=-90,
        max_value=90,
        help_text=gettext_lazy("Leer lassen: aus der Anschrift bestimmt (sonst Mittelpunkt der PLZ)."),
    )
    longitude = forms.FloatField(
        label=gettext_lazy("Längengrad"), required=False, min_value=-180, max_value=180
    )
    phone = forms.CharField(label=gettext_lazy("Telefon"), max_length=40, required=False)
    email = forms.EmailField(label=gettext_lazy("E-Mail (öffentlich)"), required=False)
    report_email = forms.EmailField(
        label=gettext_lazy("E-Mail für Erinnerungen"),
        required=False,
        help_text=gettext_lazy("Leer: die öffentliche Adresse."),
    )
    website = forms.URLField(label=gettext_lazy("Internetseite"), required=False, assume_scheme="https")
    operator = forms.ModelChoiceField(
        label=gettext_lazy("Träger"),
        queryset=Organisation.objects.none(),
        required=False,
        empty_label=gettext_lazy("– neuer Träger (unten angeben) –"),
    )
    operator_name = forms.CharField(
        label=gettext_lazy("Name des neuen Trägers"), max_length=300, required=False
    )
    operator_identifier = forms.CharField(
        label=gettext_lazy("Register- oder Steuerkennung des neuen Trägers"),
        max_length=100,
        required=False,
        help_text=gettext_lazy(
            "Z. B. „HRB 4711, Amtsgericht Neuss“; ein bekannter Träger wird wiederverwendet."
        ),
    )

    def __init__(self, *args: Any, authority: Authority, with_offers: bool, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        operator_field = self.fields["operator"]
        assert isinstance(operator_field, forms.ModelChoiceField)
        operator_field.queryset = Organisation.objects.filter(care_facilities__authority=authority).distinct()
        if with_offers:
            for value, label in CareType.choices:
                self.fields[f"capacity_{value}"] = forms.IntegerField(
                    label=gettext_lazy("Plätze: %(type)s") % {"type": label},
                    required=False,
                    min_value=1,
                    max_value=9999,
                )

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if (data.get("latitude") is None) != (data.get("longitude") is None):
            self.add_error(
                "longitude", _("Breiten- und Längengrad bitte beide angeben oder beide leer lassen.")
            )
        if not data.get("operator") and not (data.get("operator_name") and data.get("operator_identifier")):
            self.add_error("operator_name", _("Wählen Sie einen Träger oder geben Sie Name und Kennung an."))
        return data

    def offers(self) -> dict[str, int]:
        return {
            value: self.cleaned_data[f"capacity_{value}"]
            for value in CareType.values
            if self.cleaned_data.get(f"capacity_{value}")
        }

    def facility_data(self) -> services_registry.FacilityData | None:
        """The registry data with coordinates (entered, else geocoded); None (with a form error) when
        no coordinates can be found."""
        d = self.cleaned_data
        if d.get("latitude") is not None:
            lat, lon, source = d["latitude"], d["longitude"], Facility.Geocoding.MANUAL
        else:
            place = geocoding.geocode(f"{d['street']}, {d['postcode']} {d['town']}")
            if place is None:
                place = geocoding.place_for_postcode(d["postcode"])
            if place is None:
                self.add_error(
                    "latitude",
                    _("Zu dieser Anschrift sind keine Koordinaten bekannt; bitte von Hand angeben."),
                )
                return None
            lat, lon = place.latitude, place.longitude
            source = (
                Facility.Geocoding.ADDRESS if place.precision == "address" else Facility.Geocoding.POSTCODE
            )
        return services_registry.FacilityData(
            name=d["name"],
            street=d["street"],
            postcode=d["postcode"],
            town=d["town"],
            latitude=lat,
            longitude=lon,
            geocoded_from=source,
            phone=d.get("phone") or "",
            email=d.get("email") or "",
            report_email=d.get("report_email") or "",
            website=d.get("website") or "",
        )


class OfferForm(forms.Form):
    care_type = forms.ChoiceField(label=gettext_lazy("Versorgungsart"), choices=CareType.choices)
    capacity = forms.IntegerField(label=gettext_lazy("Plätze"), min_value=1, max_value=9999)


class MemberForm(forms.Form):
    email = forms.EmailField(
        label=gettext_lazy("E-Mail-Adresse des Kontos"),
        help_text=gettext_lazy("Die Person registriert sich zuerst selbst im Portal."),
    )


class FinderForm(forms.ModelForm[CareFinder]):
    class Meta:
        model = CareFinder
        fields = list(services_registry.FINDER_FIELDS)
        widgets = {"report_due_time": forms.TimeInput(attrs={"type": "time"}, format="%H:%M")}


def _report_form(facility: Facility) -> forms.Form:
    form = forms.Form()
    for offer in facility.offers.all():
        form.fields[f"free_{offer.care_type}"] = forms.IntegerField(
            label=gettext_lazy("Frei: %(type)s (von %(n)s)")
            % {"type": offer.get_care_type_display(), "n": offer.capacity},
            min_value=0,
            max_value=offer.capacity,
            initial=offer.free_now,
        )
    return form


# --- helpers ----------------------------------------------------------------------------------------


def _staff(request: HttpRequest) -> User:
    assert isinstance(request.user, User)
    return request.user


def _finder(request: HttpRequest, authority: Authority) -> CareFinder:
    finder = access.scope(CareFinder.objects.filter(authority=authority), request.user).first()
    if finder is None:
        raise Http404
    return finder


def _facility(request: HttpRequest, authority: Authority, pk: int) -> Facility:
    facility: Facility = access.get_for_user(
        Facility.objects.filter(authority=authority).select_related("operator", "authority"),
        request.user,
        channel=CHANNEL,
        pk=pk,
    )
    return facility


def _problem_to_form(form: forms.Form, problem: Problem, field: str | None = None) -> None:
    target = field if field in form.fields else None
    form.add_error(target, problem.localized())


# --- pages ------------------------------------------------------------------------------------------


@require_safe
@staff_page()
def supervision(request: HttpRequest, authority: Authority) -> HttpResponse:
    finder = access.scope(CareFinder.objects.filter(authority=authority), request.user).first()
    context = backoffice_context(request, authority, finder=finder)
    if finder is not None:
        context["overview"] = selectors_supervision.supervision_overview(finder)
        context["rows"] = selectors_supervision.facilities_not_reporting(finder)
    return render(request, "care/staff/supervision.html", context)


@require_safe
@staff_page()
def registry(request: HttpRequest, authority: Authority) -> HttpResponse:
    finder = _finder(request, authority)
    facilities = (
        access.scope(Facility.objects.filter(authority=authority), request.user)
        .select_related("operator")
        .prefetch_related("offers")
        .order_by("-active", "name")
    )
    return render(
        request,
        "care/staff/registry.html",
        backoffice_context(request, authority, finder=finder, facilities=facilities),
    )


@require_http_methods(["GET", "HEAD", "POST"])
@staff_page()
def facility_new(request: HttpRequest, authority: Authority) -> HttpResponse:
    _finder(request, authority)
    form = FacilityForm(request.POST or None, authority=authority, with_offers=True)
    if request.method == "POST" and form.is_valid():
        data = form.facility_data()
        if data is not None:
            try:
                operator = form.cleaned_data["operator"] or services_registry.operator_resolve(
                    name=form.cleaned_data["operator_name"],
                    identifier=form.cleaned_data["operator_identifier"],
                    actor=request.user,
                    authority=authority,
                )
                facility = services_registry.facility_create(
                    authority=authority,
                    actor=request.user,
                    data=data,
                    operator=operator,
                    offers=form.offers(),
                )
            except services_registry.RegistryInvalid as problem:
                _problem_to_form(form, problem)
            else:
                messages.success(request, _("Die Einrichtung ist angelegt."))
                return HttpResponseRedirect(
                    reverse("backoffice:care_facility", args=[authority.ags, facility.pk])
                )
    return render(
        request,
        "care/staff/facility_form.html",
        backoffice_context(request, authority, form=form, facility=None),
    )


@require_http_methods(["GET", "HEAD", "POST"])
@staff_page()
def facility_detail(request: HttpRequest, authority: Authority, pk: int) -> HttpResponse:
    facility = _facility(request, authority, pk)
    initial = {f: getattr(facility, f) for f in services_registry.FACILITY_FIELDS} | {
        "operator": facility.operator
    }
    form = FacilityForm(request.POST or None, initial=initial, authority=authority, with_offers=False)
    if request.method == "POST" and form.is_valid():
        data = form.facility_data()
        if data is not None:
            operator = form.cleaned_data["operator"]
            try:
                if operator is None:
                    operator = services_registry.operator_resolve(
                        name=form.cleaned_data["operator_name"],
                        identifier=form.cleaned_data["operator_identifier"],
                        actor=request.user,
                        authority=authority,
                    )
                services_registry.facility_update(
                    facility=facility, actor=request.user, data=data, operator=operator
                )
            except services_registry.RegistryInvalid as problem:
                _problem_to_form(form, problem)
            else:
                messages.success(request, _("Die Angaben sind gespeichert."))
                return HttpResponseRedirect(request.path)
    return _detail(request, authority, facility, form=form)


def _detail(request: HttpRequest, authority: Authority, facility: Facility, **forms_: Any) -> HttpResponse:
    history = (
        VacancyReport.objects.filter(offer__facility=facility)
        .select_related("offer", "reported_by")
        .order_by("-reported_at", "-id")[:HISTORY_ROWS]
    )
    members = facility.operator.memberships.select_related("user").order_by("user__email")
    context = backoffice_context(
        request,
        authority,
        facility=facility,
        offers=list(facility.offers.all()),
        history=history,
        members=members,
        form=forms_.get("form")
        or FacilityForm(
            initial={f: getattr(facility, f) for f in services_registry.FACILITY_FIELDS}
            | {"operator": facility.operator},
            authority=authority,
            with_offers=False,
        ),
        offer_form=forms_.get("offer_form") or OfferForm(prefix="offer"),
        member_form=forms_.get("member_form") or MemberForm(prefix="member"),
        report_form=forms_.get("report_form") or _report_form(facility),
    )
    status = 400 if any(f.errors for f in forms_.values() if isinstance(f, forms.BaseForm)) else 200
    return render(request, "care/staff/facility_detail.html", context, status=status)


@require_POST
@staff_page()
def facility_offer(request: HttpRequest, authority: Authority, pk: int) -> HttpResponse:
    facility = _facility(request, authority, pk)
    form = OfferForm(request.POST, prefix="offer")
    if form.is_valid():
        try:
            services_registry.offer_set_capacity(
                facility=facility,
                actor=request.user,
                care_type=form.cleaned_data["care_type"],
                capacity=form.cleaned_data["capacity"],
            )
        except services_registry.RegistryInvalid as problem:
            _problem_to_form(form, problem, "capacity")
        else:
            messages.success(request, _("Das Angebot ist gespeichert."))
            return HttpResponseRedirect(reverse("backoffice:care_facility", args=[authority.ags, pk]))
    return _detail(request, authority, facility, offer_form=form)


@require_POST
@staff_page()
def facility_report(request: HttpRequest, authority: Authority, pk: int) -> HttpResponse:
    """Report on behalf of the facility (e.g. after a phone call): channel ``staff``."""
    facility = _facility(request, authority, pk)
    form = _report_form(facility)
    form.data, form.is_bound = request.POST, True
    if form.is_valid():
        lines = [
            ReportLine(care_type=name.removeprefix("free_"), free_places=value)
            for name, value in form.cleaned_data.items()
        ]
        try:
            vacancy_report_submit(
                facility=facility, actor=_staff(request), lines=lines, channel=VacancyReport.Channel.STAFF
            )
        except Problem as problem:
            _problem_to_form(form, problem)
        else:
            messages.success(request, _("Die Meldung ist für die Einrichtung gespeichert."))
            return HttpResponseRedirect(reverse("backoffice:care_facility", args=[authority.ags, pk]))
    return _detail(request, authority, facility, report_form=form)


@require_POST
@staff_page()
def facility_member(request: HttpRequest, authority: Authority, pk: int) -> HttpResponse:
    facility = _facility(request, authority, pk)
    remove = request.POST.get("remove")
    if remove and remove.isdigit():
        services_registry.operator_member_remove(
            facility=facility, actor=request.user, membership_id=int(remove)
        )
        messages.success(request, _("Das Konto meldet nicht mehr für den Träger."))
        return HttpResponseRedirect(reverse("backoffice:care_facility", args=[authority.ags, pk]))
    form = MemberForm(request.POST, prefix="member")
    if form.is_valid():
        try:
            services_registry.operator_member_add(
                facility=facility, actor=request.user, email=form.cleaned_data["email"]
            )
        except services_registry.RegistryInvalid as problem:
            _problem_to_form(form, problem, "email")
        else:
            messages.success(request, _("Das Konto meldet jetzt für den Träger."))
            return HttpResponseRedirect(reverse("backoffice:care_facility", args=[authority.ags, pk]))
    return _detail(request, authority, facility, member_form=form)


@require_POST
@staff_page()
def facility_active(request: HttpRequest, authority: Authority, pk: int) -> HttpResponse:
    facility = _facility(request, authority, pk)
    active = request.POST.get("active") == "1"
    services_registry.facility_set_active(facility=facility, actor=request.user, active=active)
    messages.success(
        request,
        _("Die Einrichtung ist wieder sichtbar.") if active else _("Die Einrichtung ist geschlossen."),
    )
    return HttpResponseRedirect(reverse("backoffice:care_facility", args=[authority.ags, pk]))


@require_http_methods(["GET", "HEAD", "POST"])
@staff_page(administer=True)
def finder_settings(request: HttpRequest, authority: Authority) -> HttpResponse:
    finder = access.scope(
        CareFinder.objects.filter(authority=authority), request.user, administer=True
    ).first()
    form = FinderForm(request.POST or None, instance=finder or CareFinder(authority=authority))
    if request.method == "POST" and form.is_valid():
        values = {name: form.cleaned_data[name] for name in services_registry.FINDER_FIELDS}
        services_registry.finder_save(authority=authority, actor=request.user, values=values)
        messages.success(request, _("Die Einstellungen sind gespeichert."))
        return HttpResponseRedirect(request.path)
    return render(
        request,
        "care/staff/settings.html",
        backoffice_context(request, authority, form=form, finder=finder),
        status=400 if form.errors else 200,
    )
