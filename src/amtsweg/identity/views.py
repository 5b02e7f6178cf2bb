"""Citizen account pages: login (all methods), step-up, logout, registration with e-mail
confirmation, password reset, the organisation a person acts for, and the guard of every citizen page."""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any
from urllib.parse import urlencode

from django.conf import settings
from django.contrib.auth import views as auth_views
from django.contrib.auth.forms import AuthenticationForm
from django.contrib.auth.hashers import make_password
from django.contrib.auth.views import redirect_to_login
from django.db import IntegrityError, transaction
from django.http import HttpRequest, HttpResponse, HttpResponseBase, HttpResponseRedirect
from django.shortcuts import redirect, render
from django.urls import reverse, reverse_lazy
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST, require_safe

from amtsweg.core import ratelimit

from . import accounts, local
from .assurance import assurance_login, assurance_of, organisation_choose
from .forms import CitizenLoginForm, EmailForm, RegistrationForm
from .levels import TrustLevel, describe
from .methods import after_login_url, login_methods
from .models import User
from .selectors import citizen_account, organisation_for

CitizenView = Callable[..., HttpResponseBase]


def citizen_user(request: HttpRequest) -> User | None:
    return citizen_account(request.user)


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
    """``/konto/anmelden/``: citizens only; ``next`` is followed only to this site (Django's check).

    The password form logs in at level ``normal``; the other registered methods (OIDC, SAML, the
    demo simulator) are offered beside it.
    """

    template_name = "identity/login.html"
    authentication_form = CitizenLoginForm

    def dispatch(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponseBase:
        if citizen_user(request) is not None:
            # Already logged in: straight on (to ``next`` if it is safe, else "Mein Konto").
            return redirect(self.get_success_url())
        return super().dispatch(request, *args, **kwargs)

    def form_valid(self, form: AuthenticationForm) -> HttpResponse:
        user = form.get_user()
        assert isinstance(user, User)
        assurance_login(self.request, user=user, method=local.KEY, level=TrustLevel.NORMAL)
        return HttpResponseRedirect(self.get_success_url())

    def get_default_redirect_url(self) -> str:
        return reverse("portal:account")

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        form = context.get("form")
        context["wrong_kind"] = bool(form is not None and form.has_error("__all__", "wrong_kind"))
        context["unconfirmed"] = bool(form is not None and form.has_error("__all__", "unconfirmed"))
        context["staff_session"] = self.request.user.is_authenticated
        next_url = self.get_redirect_url()
        context["methods"] = [
            (method, method.start(next_url, TrustLevel.NORMAL))
            for method in login_methods()
            if method.key != local.KEY
        ]
        return context


@require_safe
def step_up(request: HttpRequest) -> HttpResponse:
    """``/konto/anmelden/niveau/?niveau=substantiell&next=…``: a stronger login is needed.

    Lists the methods that prove the level; a citizen already at the level goes straight on. Nobody is
    ever let through below the level: the page only offers ways up.
    """
    needed_value = request.GET.get("niveau", "")
    if needed_value not in TrustLevel.values:
        needed_value = TrustLevel.SUBSTANTIAL
    needed = TrustLevel(needed_value)
    next_url = after_login_url(request, request.GET.get("next"))
    current = assurance_of(request)
    if citizen_user(request) is not None and current.satisfies(needed):
        return redirect(next_url)
    offered = [(method, method.start(next_url, needed)) for method in login_methods(at_least=needed)]
    return render(
        request,
        "identity/step_up.html",
        {
            "needed": needed,
            "needed_text": describe(needed),
            "current": current,
            "current_text": describe(current.level) if current.level != TrustLevel.NONE else "",
            "methods": offered,
            "next": next_url,
        },
    )


def step_up_url(next_url: str, needed: str) -> str:
    """Where a page sends a citizen whose login is weaker than ``needed``."""
    return reverse("portal:step_up") + "?" + urlencode({"niveau": needed, "next": next_url})


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
            accounts.confirmation_send(user=user)
    except IntegrityError:
        pass  # registered a moment ago by a concurrent request: the same answer as above


def register_done(request: HttpRequest) -> HttpResponse:
    """The one answer to every valid registration, whether the address was new or not."""
    return render(request, "identity/register_done.html")


@require_safe
def confirm_email(request: HttpRequest, token: str) -> HttpResponse:
    """``/konto/bestaetigen/<token>/``: the link from the confirmation e-mail."""
    user = accounts.account_for_confirmation(token)
    if user is not None:
        accounts.account_confirm(user=user)
    return render(
        request, "identity/confirm_email.html", {"confirmed": user is not None}, status=200 if user else 400
    )


def _limited(request: HttpRequest, bucket: str) -> bool:
    limit, window = settings.LOGIN_RATE_LIMIT, settings.LOGIN_RATE_WINDOW
    return not ratelimit.hit(bucket, ratelimit.client_address(request), limit=limit, window=window)


@require_POST
def confirm_email_resend(request: HttpRequest) -> HttpResponse:
    """Send the confirmation link again; the answer is the same whether or not the address has an account."""
    form = EmailForm(request.POST)
    if _limited(request, "confirm-resend-ip"):
        return render(
            request,
            "portal/error.html",
            {"status": 429, "message": _("Zu viele Versuche. Bitte warten Sie einige Minuten.")},
            status=429,
        )
    if form.is_valid():
        user = User.objects.filter(
            email__iexact=form.cleaned_data["email"],
            kind=User.Kind.CITIZEN,
            is_active=True,
            email_verified_at=None,
        ).first()
        if user is not None:
            accounts.confirmation_send(user=user)
    return render(
        request,
        "identity/message.html",
        {
            "title": _("Bestätigungslink angefordert"),
            "message": _(
                "Wenn zu dieser Adresse ein noch nicht bestätigtes Bürgerkonto gehört, haben wir Ihnen "
                "einen neuen Bestätigungslink geschickt."
            ),
        },
    )


@require_http_methods(["GET", "POST"])
def password_reset(request: HttpRequest) -> HttpResponse:
    """``/konto/passwort-vergessen/``: ask for a link to choose a new password (one answer for all)."""
    form = EmailForm(request.POST if request.method == "POST" else None)
    if request.method == "POST":
        if _limited(request, "password-reset-ip"):
            form.add_error(None, _("Zu viele Versuche. Bitte warten Sie einige Minuten."))
        elif form.is_valid():
            user = User.objects.filter(
                email__iexact=form.cleaned_data["email"], kind=User.Kind.CITIZEN, is_active=True
            ).first()
            if user is not None:
                accounts.password_reset_send(user=user)
            return render(
                request,
                "identity/message.html",
                {
                    "title": _("Link angefordert"),
                    "message": _(
                        "Wenn zu dieser Adresse ein Bürgerkonto gehört, haben wir Ihnen einen Link "
                        "geschickt, mit dem Sie ein neues Passwort wählen. Bitte sehen Sie auch im "
                        "Spam-Ordner nach."
                    ),
                },
            )
    return render(request, "identity/password_reset.html", {"form": form})


class PasswordResetConfirmView(auth_views.PasswordResetConfirmView):
    """``/konto/passwort-neu/<uid>/<token>/``: choose the new password (Django's one-time token).

    Only citizen accounts: staff reset their password through their administrators. Choosing a new
    password also confirms the address (the link came to it).
    """

    template_name = "identity/password_reset_confirm.html"
    success_url = reverse_lazy("portal:password_reset_complete")
    post_reset_login = False

    def get_user(self, uidb64: str) -> Any:
        user = super().get_user(uidb64)
        return user if isinstance(user, User) and not user.is_staff_account else None

    def form_valid(self, form: Any) -> HttpResponse:
        response = super().form_valid(form)
        if isinstance(self.user, User):
            accounts.account_confirm(user=self.user)
        return response


def password_reset_complete(request: HttpRequest) -> HttpResponse:
    return render(
        request,
        "identity/message.html",
        {
            "title": _("Passwort geändert"),
            "message": _("Ihr neues Passwort ist gespeichert. Sie können sich jetzt damit anmelden."),
        },
    )


@require_POST
@citizen_required
def organisation_choose_view(request: HttpRequest) -> HttpResponse:
    """``/konto/vertretung/``: act as a private person (empty) or for one of one's organisations."""
    user = citizen_user(request)
    assert user is not None
    value = request.POST.get("organisation", "")
    organisation = organisation_for(user, int(value)) if value.isdigit() else None
    if value and organisation is None:
        return render(
            request,
            "portal/error.html",
            {"status": 404, "message": _("Für diese Organisation dürfen Sie nicht handeln.")},
            status=404,
        )
    organisation_choose(request, organisation)
    return redirect(after_login_url(request, request.POST.get("next")))
