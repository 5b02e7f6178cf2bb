"""Citizen account pages: login, logout and registration, and the guard of every citizen page."""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any

from django.conf import settings
from django.contrib.auth import views as auth_views
from django.contrib.auth.hashers import make_password
from django.contrib.auth.views import redirect_to_login
from django.db import IntegrityError, transaction
from django.http import HttpRequest, HttpResponse, HttpResponseBase
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from amtsweg.core import ratelimit

from .forms import CitizenLoginForm, RegistrationForm
from .models import User

CitizenView = Callable[..., HttpResponseBase]


def citizen_user(request: HttpRequest) -> User | None:
    user = request.user
    if isinstance(user, User) and user.is_authenticated and user.is_active and not user.is_staff_account:
        return user
    return None


def citizen_required(view: CitizenView) -> CitizenView:
    """Decorate a page of "Mein Konto": anonymous visitors go to the citizen login, staff get 403.

    Staff accounts never see citizen pages, not even empty ones: they work under their own account.
    """

    @wraps(view)
    def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponseBase:
        if not request.user.is_authenticated:
            return redirect_to_login(request.get_full_path(), reverse("portal:login"))
        if citizen_user(request) is None:
            return render(
                request,
                "portal/error.html",
                {
                    "status": 403,
                    "message": _(
                        "Diese Seiten gehören zum Bürgerkonto. "
                        "Mit einem Dienstkonto arbeiten Sie im Backoffice."
                    ),
                },
                status=403,
            )
        return view(request, *args, **kwargs)

    return wrapper


class CitizenLoginView(auth_views.LoginView):
    """``/konto/anmelden/``: citizens only; ``next`` is followed only to this site (Django's check)."""

    template_name = "identity/login.html"
    authentication_form = CitizenLoginForm

    def dispatch(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponseBase:
        if citizen_user(request) is not None:
            # Already logged in: straight on (to ``next`` if it is safe, else "Mein Konto").
            return redirect(self.get_success_url())
        return super().dispatch(request, *args, **kwargs)

    def get_default_redirect_url(self) -> str:
        return reverse("portal:account")

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        form = context.get("form")
        context["wrong_kind"] = bool(form is not None and form.has_error("__all__", "wrong_kind"))
        context["staff_session"] = self.request.user.is_authenticated
        return context


class CitizenLogoutView(auth_views.LogoutView):
    """``/konto/abmelden/`` (POST only, as Django requires): ends the session, back to the start page."""

    next_page = "portal:home"


@require_http_methods(["GET", "POST"])
def register(request: HttpRequest) -> HttpResponse:
    """``/konto/registrieren/``: create a citizen account.

    The answer is the same whether or not the address already has an account (same page, same
    work: a password hash is computed either way), so the form cannot be used to find out who
    has an account here. Confirming the address is part of the trust levels (issue 5).
    """
    if citizen_user(request) is not None:
        return redirect("portal:account")
    form = RegistrationForm(request.POST if request.method == "POST" else None)
    if request.method == "POST":
        limit, window = settings.LOGIN_RATE_LIMIT, settings.LOGIN_RATE_WINDOW
        if not ratelimit.hit("register-ip", ratelimit.client_address(request), limit=limit, window=window):
            form.add_error(None, _("Zu viele Versuche. Bitte warten Sie einige Minuten."))
        elif form.is_valid():
            _account_create(form.cleaned_data)
            return redirect("portal:register_done")
    return render(request, "identity/register.html", {"form": form})


def _account_create(data: dict[str, Any]) -> None:
    email = data["email"]
    password_hash = make_password(data["password1"])
    if User.objects.filter(email__iexact=email).exists():
        return
    try:
        with transaction.atomic():
            user = User(
                username=email,
                email=email,
                first_name=data["first_name"],
                last_name=data["last_name"],
                kind=User.Kind.CITIZEN,
                password=password_hash,
            )
            user.save()
    except IntegrityError:
        pass  # registered a moment ago by a concurrent request: the same answer as above


def register_done(request: HttpRequest) -> HttpResponse:
    """The one answer to every valid registration, whether the address was new or not."""
    return render(request, "identity/register_done.html")
