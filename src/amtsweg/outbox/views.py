"""Back-office pages of the outbox: deliveries that failed or are delayed, with a retry button."""

from __future__ import annotations

from django.contrib import messages
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from amtsweg.backoffice.views import backoffice_context, staff_page
from amtsweg.core.problems import Problem
from amtsweg.tenancy import access
from amtsweg.tenancy.models import Authority

from .models import OutboxMessage
from .selectors import deliveries_for_user
from .services import outbox_retry

CHANNEL = "web"

# Names of the kinds for people; a kind without one is shown by its technical name.
KIND_LABELS = {
    "email.receipt": gettext_lazy("E-Mail: Eingangsbestätigung"),
    "email.postbox": gettext_lazy("E-Mail: neue Postfachnachricht"),
    "receipt.render": gettext_lazy("Eingangsbestätigung als PDF"),
    "notice.render": gettext_lazy("Bescheid als PDF"),
}


@staff_page()
def delivery_list(request: HttpRequest, authority: Authority) -> HttpResponse:
    deliveries = deliveries_for_user(request.user, authority_id=authority.pk)
    page = Paginator(deliveries, 50).get_page(request.GET.get("seite"))
    now = timezone.now()
    rows = [
        {
            "message": message,
            "label": KIND_LABELS.get(message.kind, message.kind),
            "in_progress": message.locked_until is not None and message.locked_until > now,
        }
        for message in page
    ]
    return render(
        request, "outbox/delivery_list.html", backoffice_context(request, authority, page=page, rows=rows)
    )


@require_POST
@staff_page()
def delivery_retry(request: HttpRequest, authority: Authority, pk: int) -> HttpResponse:
    message = access.get_for_user(
        OutboxMessage.objects.filter(authority=authority), request.user, channel=CHANNEL, pk=pk
    )
    try:
        outbox_retry(message=message, actor=request.user, channel=CHANNEL)
    except Problem as problem:
        messages.error(request, problem.localized())
    else:
        messages.success(
            request, _("Zustellung Nr. %(number)s wird jetzt erneut versucht.") % {"number": message.pk}
        )
    return redirect("backoffice:deliveries", ags=authority.ags)
