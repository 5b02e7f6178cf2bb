"""Back-office views: thin; authority scoping comes from ``tenancy.access``, writes from services."""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.contrib.auth.forms import AuthenticationForm
from django.core.paginator import Paginator
from django.db.models import Exists, OuterRef
from django.http import HttpRequest, HttpResponse, HttpResponseBase, HttpResponseRedirect
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from amtsweg.baulasten.models import Register
from amtsweg.care.models import CareFinder
from amtsweg.catalog.models import ServiceOffering
from amtsweg.catalog.services import offering_update
from amtsweg.core.problems import Problem
from amtsweg.identity import views_staff
from amtsweg.identity.models import User
from amtsweg.ifsg.models import Programme
from amtsweg.tenancy import access
from amtsweg.tenancy.models import AuditEvent, Authority, Team

from .forms import OfferingForm, StaffLoginForm

CHANNEL = "web"
AuthorityView = Callable[..., HttpResponseBase]  # streamed downloads too
SESSION_AUTHORITY = "backoffice_authority"


class LoginView(auth_views.LoginView):
    """Staff login, first step: e-mail and password; the second factor follows (``identity.views_staff``)."""

    template_name = "backoffice/login.html"
    authentication_form = StaffLoginForm
    redirect_authenticated_user = True

    def form_valid(self, form: AuthenticationForm) -> HttpResponse:
        user = form.get_user()
        assert isinstance(user, User)
        return views_staff.after_password(self.request, user=user, next_url=self.get_success_url())


def _forbidden(request: HttpRequest, message: str) -> HttpResponse:
    return render(request, "portal/error.html", {"status": 403, "message": message}, status=403)


def staff_page(*, administer: bool = False) -> Callable[[AuthorityView], Callable[..., HttpResponseBase]]:
    """Decorate a back-office view of one authority (``ags`` in the URL).

    Login required, staff accounts only, and the authority resolved through ``tenancy.access``: a
    staff member of another town gets 404, so nobody can probe which authorities' pages exist.
    """

    def decorate(view: AuthorityView) -> Callable[..., HttpResponseBase]:
        @login_required
        @wraps(view)
        def wrapper(request: HttpRequest, ags: str, **kwargs: Any) -> HttpResponseBase:
            if not _is_staff(request):
                return _forbidden(request, _("Das Backoffice ist nur für Dienstkonten."))
            authority = access.authority_for_user(request.user, ags, administer=administer)
            return view(request, authority, **kwargs)

        return wrapper

    return decorate


def _is_staff(request: HttpRequest) -> bool:
    return isinstance(request.user, User) and request.user.is_staff_account


def backoffice_context(
    request: HttpRequest, authority: Authority | None = None, **extra: object
) -> dict[str, object]:
    # The menu shows the instruction's pages to a health office that offers it, and the care finder's
    # to a Kreis that runs one, the Baulasten pages to an authority that keeps a register: asked in the
    # same query.
    authorities = list(
        access.authorities_for(request.user)
        .annotate(
            has_ifsg=Exists(Programme.objects.filter(authority=OuterRef("pk"))),
            has_care=Exists(CareFinder.objects.filter(authority=OuterRef("pk"))),
            has_baulasten=Exists(Register.objects.filter(authority=OuterRef("pk"))),
        )
        .order_by("name")
    )
    return {
        "authorities": authorities,
        "current_authority": authority,
        "is_admin": authority is not None and access.can_access(request.user, authority, administer=True),
        # The registration authority (Zulassungsbehörde) gets the vehicle pages in its menu.
        "is_vehicle_authority": authority is not None and authority.ags == settings.VEHICLES_AUTHORITY_AGS,
        "has_ifsg": authority is not None and any(a.pk == authority.pk and a.has_ifsg for a in authorities),
        "has_care": authority is not None and any(a.pk == authority.pk and a.has_care for a in authorities),
        "has_baulasten": authority is not None
        and any(a.pk == authority.pk and a.has_baulasten for a in authorities),
        **extra,
    }


@login_required
def home(request: HttpRequest) -> HttpResponse:
    """The authority switcher: people in several authorities choose; everyone else goes straight in."""
    if not _is_staff(request):
        return _forbidden(request, _("Das Backoffice ist nur für Dienstkonten."))
    context = backoffice_context(request)
    authorities = context["authorities"]
    assert isinstance(authorities, list)
    remembered = request.session.get(SESSION_AUTHORITY)
    if len(authorities) == 1:
        return redirect("backoffice:dashboard", ags=authorities[0].ags)
    if remembered and any(a.ags == remembered for a in authorities) and "wechseln" not in request.GET:
        return redirect("backoffice:dashboard", ags=remembered)
    return render(request, "backoffice/home.html", context)


@staff_page()
def dashboard(request: HttpRequest, authority: Authority) -> HttpResponse:
    request.session[SESSION_AUTHORITY] = authority.ags
    offerings = access.scope(ServiceOffering.objects.filter(authority=authority), request.user)
    context = backoffice_context(
        request,
        authority,
        offering_count=offerings.count(),
        online_count=offerings.filter(enabled=True, maturity__gte=3).count(),
        team_count=access.scope(Team.objects.filter(authority=authority), request.user).count(),
    )
    return render(request, "backoffice/dashboard.html", context)


@staff_page()
def offering_list(request: HttpRequest, authority: Authority) -> HttpResponse:
    offerings = (
        access.scope(ServiceOffering.objects.filter(authority=authority), request.user)
        .select_related("service", "office")
        .order_by("service__name")
    )
    page = Paginator(offerings, 50).get_page(request.GET.get("seite"))
    return render(request, "backoffice/offering_list.html", backoffice_context(request, authority, page=page))


@require_http_methods(["GET", "POST"])
@staff_page()
def offering_edit(request: HttpRequest, authority: Authority, pk: int) -> HttpResponse:
    offering = access.get_for_user(
        ServiceOffering.objects.filter(authority=authority).select_related("service"),
        request.user,
        channel=CHANNEL,
        pk=pk,
    )
    can_edit = access.can_access(request.user, authority, administer=True)
    form = OfferingForm(
        request.POST if request.method == "POST" else None, instance=offering, authority=authority
    )
    if request.method == "POST":
        if not can_edit:
            return _forbidden(request, _("Nur die Administration der Behörde darf das ändern."))
        if form.is_valid():
            try:
                offering_update(
                    offering=offering,
                    actor=request.user,
                    data={name: form.cleaned_data[name] for name in form.changed_data},
                    channel=CHANNEL,
                )
            except Problem as problem:
                form.add_error(None, problem.localized())
            else:
                messages.success(request, _("Das Leistungsangebot wurde gespeichert."))
                return HttpResponseRedirect(reverse("backoffice:offerings", kwargs={"ags": authority.ags}))
    return render(
        request,
        "backoffice/offering_edit.html",
        backoffice_context(request, authority, offering=offering, form=form, can_edit=can_edit),
    )


@staff_page()
def team_list(request: HttpRequest, authority: Authority) -> HttpResponse:
    teams = access.scope(Team.objects.filter(authority=authority), request.user).prefetch_related("members")
    return render(request, "backoffice/team_list.html", backoffice_context(request, authority, teams=teams))


@staff_page(administer=True)
def audit_log(request: HttpRequest, authority: Authority) -> HttpResponse:
    events = access.scope(AuditEvent.objects.filter(authority=authority), request.user, administer=True)
    page = Paginator(events.select_related("actor").order_by("-at", "-id"), 50).get_page(
        request.GET.get("seite")
    )
    return render(request, "backoffice/audit_log.html", backoffice_context(request, authority, page=page))
