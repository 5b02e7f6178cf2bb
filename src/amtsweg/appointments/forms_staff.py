"""Back-office forms of appointments: the period of the capacity and statistics pages, and the
office's settings (appointment settings, counters, service durations, breaks, closures), plus the
writes behind them (one transaction each, recorded in the audit)."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

from django import forms
from django.db import transaction
from django.db.models import Model, QuerySet
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from amtsweg.catalog.models import Service
from amtsweg.tenancy import access
from amtsweg.tenancy.access import Actor
from amtsweg.tenancy.models import AuditEvent

from .models import Appointment, AppointmentOffice, Break, Closure, Counter, OfficeService

CHANNEL = "web"
GRID_CHOICES = [
    (minutes, _("%(minutes)s Minuten") % {"minutes": minutes}) for minutes in (5, 10, 15, 20, 30, 60)
]
WEEKDAY_CHOICES = [
    ("", _("jeden Tag")),
    ("0", _("Montag")),
    ("1", _("Dienstag")),
    ("2", _("Mittwoch")),
    ("3", _("Donnerstag")),
    ("4", _("Freitag")),
    ("5", _("Samstag")),
    ("6", _("Sonntag")),
]
OPEN = (Appointment.Status.RESERVED, Appointment.Status.BOOKED)


class DescribedErrorsMixin:
    """Links each invalid field to its error message (``aria-describedby``) for screen readers."""

    def full_clean(self) -> None:
        super().full_clean()  # type: ignore[misc]
        form: Any = self
        for name in form.errors:
            if name in form.fields:
                bound = form[name]
                described = [f"{bound.auto_id}_error"]
                if form.fields[name].help_text:
                    described.append(f"{bound.auto_id}_helptext")
                form.fields[name].widget.attrs["aria-describedby"] = " ".join(described)
                form.fields[name].widget.attrs["aria-invalid"] = "true"


def _future_open(queryset: QuerySet[Appointment]) -> QuerySet[Appointment]:
    return queryset.filter(status__in=OPEN, ends_at__gt=timezone.now())


# --- the period of the capacity and statistics pages ----------------------------------------------


class PeriodForm(DescribedErrorsMixin, forms.Form):
    """``?von=&bis=``: a period of local days, at most ``max_days`` long."""

    von = forms.DateField(label=_("von"), widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"))
    bis = forms.DateField(label=_("bis"), widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"))

    def __init__(self, data: Any, *, default_start: date, default_days: int, max_days: int) -> None:
        values = {
            "von": data.get("von") or default_start.isoformat(),
            "bis": data.get("bis") or (default_start + timedelta(days=default_days - 1)).isoformat(),
        }
        super().__init__(values)
        self.max_days = max_days

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        start, end = cleaned.get("von"), cleaned.get("bis")
        if start and end:
            if end < start:
                self.add_error("bis", _("Das Ende liegt vor dem Anfang."))
            elif (end - start).days + 1 > self.max_days:
                self.add_error("bis", _("Höchstens %(days)s Tage auf einmal.") % {"days": self.max_days})
        return cleaned


# --- settings -----------------------------------------------------------------------------------


class OfficeSettingsForm(DescribedErrorsMixin, forms.ModelForm[AppointmentOffice]):
    grid_minutes = forms.TypedChoiceField(
        label=_("Zeitraster"),
        choices=GRID_CHOICES,
        coerce=int,
        help_text=_("Termine beginnen in diesem Raster; Dauern sind Vielfache davon."),
    )

    class Meta:
        model = AppointmentOffice
        fields = [
            "enabled",
            "grid_minutes",
            "book_from_days",
            "book_until_days",
            "hold_minutes",
            "release_delay_minutes",
            "max_open_per_person",
            "checkin_early_minutes",
            "no_show_after_minutes",
            "video_enabled",
        ]

    def clean_grid_minutes(self) -> int:
        grid: int = self.cleaned_data["grid_minutes"]
        if grid == self.instance.grid_minutes:
            return grid
        misfits = [s for s in self.instance.services.select_related("service") if s.duration_minutes % grid]
        if misfits:
            raise forms.ValidationError(
                _("Die Dauer von %(services)s ist kein Vielfaches von %(grid)s Minuten.")
                % {"services": ", ".join(s.service.name for s in misfits), "grid": grid}
            )
        # Booked units are stored on the old grid; a new grid would misread them.
        if _future_open(self.instance.appointments.all()).exists():
            raise forms.ValidationError(
                _("Das Raster kann nicht geändert werden, solange künftige Termine gebucht sind.")
            )
        return grid

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        first, last = cleaned.get("book_from_days"), cleaned.get("book_until_days")
        if first is not None and last is not None and last < first:
            self.add_error("book_until_days", _("„buchbar bis“ muss mindestens „buchbar ab“ sein."))
        return cleaned


class CounterForm(DescribedErrorsMixin, forms.ModelForm[Counter]):
    class Meta:
        model = Counter
        fields = ["name", "label", "active", "in_person", "video", "services"]
        widgets = {"services": forms.CheckboxSelectMultiple}

    def __init__(self, *args: Any, office: AppointmentOffice, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.office = office
        self.instance.office = office
        services = self.fields["services"]
        assert isinstance(services, forms.ModelMultipleChoiceField)
        services.queryset = office.services.select_related("service")

    def clean_label(self) -> str:
        label: str = self.cleaned_data["label"].strip()
        others = Counter.objects.filter(office=self.office, label=label).exclude(pk=self.instance.pk)
        if others.exists():
            raise forms.ValidationError(_("Diese Anzeige hat schon ein anderer Schalter."))
        return label

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        if not cleaned.get("in_person") and not cleaned.get("video"):
            self.add_error("in_person", _("Der Schalter muss Termine vor Ort oder per Video geben."))
        if self.instance.pk and self.instance.active and cleaned.get("active") is False:
            booked = _future_open(self.instance.appointments.all()).count()
            if booked:
                self.add_error(
                    "active",
                    _(
                        "Der Schalter hat noch %(count)s künftige Termine; sagen Sie sie zuerst ab "
                        "oder legen Sie eine Schließung an."
                    )
                    % {"count": booked},
                )
        return cleaned


class OfficeServiceForm(DescribedErrorsMixin, forms.ModelForm[OfficeService]):
    class Meta:
        model = OfficeService
        fields = ["service", "duration_minutes", "max_quantity", "bookable_online", "video"]

    def __init__(self, *args: Any, office: AppointmentOffice, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.office = office
        self.instance.office = office
        service = self.fields["service"]
        assert isinstance(service, forms.ModelChoiceField)
        # Services the authority offers; the one already chosen stays (its offering may have ended).
        offered = Service.objects.filter(offerings__authority_id=office.office.authority_id)
        if self.instance.pk:
            service.disabled = True
            offered = offered | Service.objects.filter(pk=self.instance.service_id)
        service.queryset = offered.distinct().order_by("name")
        self.fields["duration_minutes"].help_text = _("Ein Vielfaches von %(grid)s Minuten.") % {
            "grid": office.grid_minutes
        }

    def clean_service(self) -> Service:
        service: Service = self.cleaned_data["service"]
        others = OfficeService.objects.filter(office=self.office, service=service).exclude(
            pk=self.instance.pk
        )
        if others.exists():
            raise forms.ValidationError(_("Für diese Leistung ist schon eine Dauer hinterlegt."))
        return service

    def clean_duration_minutes(self) -> int:
        minutes: int = self.cleaned_data["duration_minutes"]
        if minutes % self.office.grid_minutes:
            raise forms.ValidationError(
                _("Die Dauer muss ein Vielfaches des Zeitrasters (%(grid)s Minuten) sein.")
                % {"grid": self.office.grid_minutes}
            )
        return minutes


class BreakForm(DescribedErrorsMixin, forms.ModelForm[Break]):
    weekday = forms.TypedChoiceField(
        label=_("Wochentag"), choices=WEEKDAY_CHOICES, coerce=int, empty_value=None, required=False
    )

    class Meta:
        model = Break
        fields = ["counter", "weekday", "starts", "ends"]
        widgets = {
            "starts": forms.TimeInput(attrs={"type": "time"}, format="%H:%M"),
            "ends": forms.TimeInput(attrs={"type": "time"}, format="%H:%M"),
        }

    def __init__(self, *args: Any, office: AppointmentOffice, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.instance.office = office
        counter = self.fields["counter"]
        assert isinstance(counter, forms.ModelChoiceField)
        counter.queryset = office.counters.all()
        counter.empty_label = str(_("alle Schalter"))

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        starts, ends = cleaned.get("starts"), cleaned.get("ends")
        if starts and ends and ends <= starts:
            self.add_error("ends", _("Das Ende muss nach dem Beginn liegen."))
        return cleaned

    def validate_constraints(self, exclude: Any = None) -> None:
        pass  # the check constraint is clean()'s "ends after starts", with a better message


class ClosureForm(DescribedErrorsMixin, forms.ModelForm[Closure]):
    class Meta:
        model = Closure
        fields = ["counter", "starts_at", "ends_at", "reason"]
        widgets = {
            "starts_at": forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M"),
            "ends_at": forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M"),
        }

    def __init__(self, *args: Any, office: AppointmentOffice, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.instance.office = office
        counter = self.fields["counter"]
        assert isinstance(counter, forms.ModelChoiceField)
        counter.queryset = office.counters.all()
        counter.empty_label = str(_("ganze Dienststelle"))
        self.fields["starts_at"].help_text = _("Ortszeit, z. B. 24.12.2026 08:00.")

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        starts, ends = cleaned.get("starts_at"), cleaned.get("ends_at")
        if starts and ends and ends <= starts:
            self.add_error("ends_at", _("Das Ende muss nach dem Beginn liegen."))
        return cleaned

    def validate_constraints(self, exclude: Any = None) -> None:
        pass  # see BreakForm


def closure_conflicts(closure: Closure) -> QuerySet[Appointment]:
    """Open appointments that fall into ``closure``: staff must cancel or move them."""
    queryset = _future_open(
        Appointment.objects.filter(
            office_id=closure.office_id, starts_at__lt=closure.ends_at, ends_at__gt=closure.starts_at
        )
    )
    if closure.counter_id is not None:
        queryset = queryset.filter(counter_id=closure.counter_id)
    return queryset.select_related("counter").order_by("starts_at")


# --- writes -------------------------------------------------------------------------------------


def _audit(
    *, actor: Actor, action: str, obj: Model, office: AppointmentOffice, changes: dict[str, Any]
) -> None:
    access.audit(
        actor=actor,
        action=action,
        obj=obj,
        authority_id=office.office.authority_id,
        channel=CHANNEL,
        changes=changes,
    )


def _changes(form: forms.ModelForm[Any]) -> dict[str, Any]:
    return {name: str(form.cleaned_data.get(name)) for name in form.changed_data}


def settings_save(*, form: forms.ModelForm[Any], office: AppointmentOffice, actor: Actor) -> Model:
    """Save a valid settings form (office, counter, service duration, break or closure) and audit it."""
    created = form.instance.pk is None
    with transaction.atomic():
        obj: Model = form.save()
        _audit(
            actor=actor,
            action=AuditEvent.Action.CREATE if created else AuditEvent.Action.UPDATE,
            obj=obj,
            office=office,
            changes=_changes(form),
        )
    return obj


def settings_delete(*, obj: Break | Closure, office: AppointmentOffice, actor: Actor) -> None:
    """Delete a break or a closure, recorded in the audit."""
    with transaction.atomic():
        _audit(
            actor=actor, action=AuditEvent.Action.DELETE, obj=obj, office=office, changes={"was": str(obj)}
        )
        obj.delete()
