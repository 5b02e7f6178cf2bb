"""REST API of appointments (under /api/v1/appointments/) for the alliance's apps, and the staff's
day list (under /api/v1/staff/<ags>/appointments).

- ``offices``, ``services``, ``slots``, ``earliest``: public reads of the calendar;
- ``challenge`` and ``bookings``: a guest gets a proof-of-work challenge, solves it and books; the
  time is held until the link in the confirmation e-mail is followed (the token is only in that
  e-mail). A citizen account with the same, confirmed e-mail address books at once, without proof
  of work, and gets the token in the answer. Both are rate-limited per client address;
- ``bookings/<token>`` (+ ``/cancel``, ``/reschedule``) and ``bookings/confirm``: the holder of the
  secret token manages the appointment, as with the link in the e-mail;
- ``staff/<ags>/appointments[/<reference>]``: staff of that authority, scoped by ``tenancy.access``.

Office ids are the ids of ``/api/v1/offices`` (the Dienststelle), services are LeiKa keys.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from django.conf import settings
from django.db.models import Prefetch, QuerySet
from django.urls import NoReverseMatch, URLPattern, path, reverse
from django.utils import timezone
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiExample, OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import generics
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from amtsweg.core import ratelimit
from amtsweg.core.api import CHANNEL_API, IsStaffAccount, validated_query
from amtsweg.core.problems import NotFoundProblem, Problem
from amtsweg.identity.selectors import citizen_account
from amtsweg.tenancy import access
from amtsweg.tenancy.models import Authority

from . import calendar, pow, selectors, services, slots, video
from .models import Appointment, AppointmentItem, AppointmentOffice, OfficeService
from .serializers import (
    AppointmentOfficeSerializer,
    BookingCreated,
    BookingDetail,
    BookingInput,
    ChallengeOutput,
    EarliestQuery,
    OfferSerializer,
    OfficeQuery,
    OfficeServiceSerializer,
    RescheduleInput,
    ServiceQuery,
    SlotQuery,
    SlotsOutput,
    StaffAppointmentDetailSerializer,
    StaffAppointmentQuery,
    StaffAppointmentSerializer,
    TokenInput,
)

TAG = "appointments"
PROBLEM = OpenApiResponse(description="application/problem+json")
RATE_LIMITED = OpenApiResponse(description="Too many requests from this client address (problem+json)")
TOKEN = OpenApiParameter(
    "token",
    OpenApiTypes.STR,
    OpenApiParameter.PATH,
    description="The secret token of the manage link (from the confirmation or booking e-mail).",
)
_STARTS = "2026-12-01T08:30:00+01:00"

_SLOT_TAKEN = OpenApiExample(
    "slot taken",
    status_codes=["409"],
    response_only=True,
    value={
        "type": "https://amtsweg.de/probleme/slot-taken",
        "title": "Conflict",
        "status": 409,
        "detail": "This time has just been taken. Please choose another time.",
        "title_de": "Konflikt",
        "detail_de": "Dieser Termin ist gerade vergeben worden. Bitte wählen Sie eine andere Zeit.",
        "code": "slot-taken",
        "alternatives": ["2026-12-01T08:40:00+01:00", "2026-12-01T09:10:00+01:00"],
    },
)


def _rate_limit(request: Request, scope: str, per_hour: int) -> None:
    if not ratelimit.hit(scope, ratelimit.client_address(request), limit=per_hour, window=3600):
        raise Problem(
            "Zu viele Anfragen von Ihrem Anschluss. Bitte versuchen Sie es später noch einmal.",
            "Too many requests from your address. Please try again later.",
            status_code=429,
            code="rate-limited",
        )


def _bookings_per_hour() -> int:
    return int(settings.APPOINTMENTS_BOOKINGS_PER_HOUR)


def _office(office_id: int) -> AppointmentOffice:
    office = slots.bookable_offices().filter(office_id=office_id).first()
    if office is None:
        raise NotFoundProblem(
            "Diese Dienststelle vergibt keine Termine online.",
            "This office does not give appointments online.",
        )
    return office


def _authority(ags: str) -> Authority:
    authority = Authority.objects.filter(ags=ags, is_active=True).first()
    if authority is None:
        raise NotFoundProblem("Diese Behörde gibt es nicht.", "There is no such authority.")
    return authority


def _by_token(token: str) -> Appointment:
    appointment = selectors.appointment_by_token(token)
    if appointment is None:
        raise NotFoundProblem("Diesen Termin gibt es nicht.", "There is no such appointment.")
    return appointment


def _with_items(appointment: Appointment) -> Appointment:
    """The appointment with what its representation shows, in three queries."""
    return (
        Appointment.objects.select_related("office__office__authority", "authority")
        .prefetch_related(
            Prefetch("items", queryset=AppointmentItem.objects.select_related("service__service"))
        )
        .get(pk=appointment.pk)
    )


def _manage_url(request: Request, token: str) -> str | None:
    try:
        return request.build_absolute_uri(reverse("portal:appointments_manage", kwargs={"token": token}))
    except NoReverseMatch:  # the portal pages are optional for API-only installations
        return None


def _holder_view(appointment: Appointment) -> dict[str, Any]:
    data = dict(BookingDetail(appointment).data)
    data["video_url"] = None
    if appointment.mode == Appointment.Mode.VIDEO and appointment.status == Appointment.Status.BOOKED:
        data["video_url"] = video.meeting_url(appointment, display_name=appointment.name, moderator=False)
    return data


def _no_store(response: Response) -> Response:
    # Answers about one person's appointment must not land in shared caches.
    response["Cache-Control"] = "no-store"
    return response


# --- public reads -----------------------------------------------------------------------------------


@extend_schema(tags=[TAG], parameters=[OfficeQuery])
class OfficeList(generics.ListAPIView[AppointmentOffice]):
    """Offices that give appointments online, with their bookable services and durations."""

    serializer_class = AppointmentOfficeSerializer

    def get_queryset(self) -> QuerySet[AppointmentOffice]:
        query = validated_query(OfficeQuery, self.request)
        authority = _authority(query["authority"]) if query.get("authority") else None
        offices = slots.bookable_offices(authority=authority)
        if query.get("service"):
            offices = offices.filter(
                services__service__leika_key=query["service"], services__bookable_online=True
            ).distinct()
        return offices


@extend_schema(tags=[TAG], parameters=[ServiceQuery])
class ServiceList(generics.ListAPIView[OfficeService]):
    """Services that can be booked online, one row per office with that office's duration."""

    serializer_class = OfficeServiceSerializer

    def get_queryset(self) -> QuerySet[OfficeService]:
        query = validated_query(ServiceQuery, self.request)
        services = OfficeService.objects.filter(
            bookable_online=True, office__enabled=True, office__office__authority__is_active=True
        ).select_related("office", "service")
        if query.get("office"):
            services = services.filter(office__office_id=query["office"])
        if query.get("authority"):
            services = services.filter(office__office__authority=_authority(query["authority"]))
        if query.get("service"):
            services = services.filter(service__leika_key=query["service"])
        return services.order_by("office__office_id", "service__name", "pk")


@extend_schema(
    tags=[TAG],
    parameters=[SlotQuery],
    responses={200: SlotsOutput, 400: PROBLEM, 404: PROBLEM},
    examples=[
        OpenApiExample(
            "two identity cards",
            response_only=True,
            value={
                "office": 12,
                "mode": "in_person",
                "duration_minutes": 60,
                "days": [{"day": "2026-12-01", "starts": [_STARTS, "2026-12-01T09:00:00+01:00"]}],
            },
        )
    ],
)
class Slots(APIView):
    """Free starts per day for one or several services in one appointment (durations add up).

    Only days with at least one free start are listed; the window is the office's booking window,
    narrowed by ``from`` and ``days``.
    """

    def get(self, request: Request) -> Response:
        query = validated_query(SlotQuery, request)
        office = _office(query["office"])
        wanted = slots.resolve_services(office, query["service"], mode=query["mode"])
        days = slots.free_slots(office, wanted, start=query.get("from"), days=query.get("days"))
        # Built directly (the shape is SlotsOutput): thousands of starts through DateTimeField cost
        # more than the whole slot calculation.
        body = {
            "office": office.office_id,
            "mode": query["mode"],
            "duration_minutes": wanted.units(office.grid_minutes) * office.grid_minutes,
            "days": [
                {"day": day.day.isoformat(), "starts": [calendar.local(s).isoformat() for s in day.starts]}
                for day in days
            ],
        }
        return Response(body)


@extend_schema(
    tags=[TAG],
    parameters=[EarliestQuery],
    responses={200: OfferSerializer(many=True), 400: PROBLEM, 404: PROBLEM},
)
class Earliest(APIView):
    """The earliest free time of every office that offers all the services ("earliest free anywhere"),
    earliest first: across the alliance, or the offices of one authority."""

    def get(self, request: Request) -> Response:
        query = validated_query(EarliestQuery, request)
        authority = _authority(query["authority"]) if query.get("authority") else None
        offers = slots.earliest_free(
            slots.bookable_offices(authority=authority),
            query["service"],
            mode=query["mode"],
            limit=query["limit"],
        )
        rows = [
            {
                "office": o.office,
                "starts_at": calendar.local(o.starts_at),
                "ends_at": calendar.local(o.ends_at),
            }
            for o in offers
        ]
        return Response(OfferSerializer(rows, many=True).data)


# --- booking ------------------------------------------------------------------------------------------


@extend_schema(tags=[TAG], request=None, responses={201: ChallengeOutput, 429: RATE_LIMITED}, auth=[])
class ChallengeCreate(APIView):
    """A proof-of-work challenge for one booking (single use; guests need one, accounts do not)."""

    def post(self, request: Request) -> Response:
        _rate_limit(request, "appointments-challenge", 3 * _bookings_per_hour())
        issued = pow.challenge_issue()
        body = {
            "challenge": issued.challenge,
            "difficulty": issued.difficulty,
            "expires_at": issued.expires_at,
            "algorithm": "sha256-leading-zero-bits",
        }
        return _no_store(Response(ChallengeOutput(body).data, status=201))


@extend_schema(
    tags=[TAG],
    request=BookingInput,
    responses={
        201: BookingCreated,
        400: OpenApiResponse(description="Invalid input, service or time, or proof of work (`pow-invalid`)"),
        404: PROBLEM,
        409: OpenApiResponse(description="`slot-taken` (with `alternatives`) or `limit-reached`"),
        429: RATE_LIMITED,
    },
    examples=[
        OpenApiExample(
            "guest booking",
            request_only=True,
            value={
                "office": 12,
                "services": [{"service": "99008001012000", "quantity": 2}],
                "starts_at": _STARTS,
                "mode": "in_person",
                "name": "Erika Mustermann",
                "email": "erika@example.org",
                "phone": "",
                "language": "de",
                "challenge": "<from /appointments/challenge>",
                "solution": "48213",
            },
        ),
        _SLOT_TAKEN,
    ],
)
class BookingCreate(APIView):
    """Book a free time. A guest's booking is ``reserved`` until the link in the confirmation e-mail
    is followed (``hold_expires_at``); a citizen account with this e-mail address confirmed is
    ``booked`` at once and gets the manage token. A taken time answers 409 ``slot-taken`` with the
    next free starts in ``alternatives``."""

    def post(self, request: Request) -> Response:
        _rate_limit(request, services.BOOKING_RATE_SCOPE, _bookings_per_hour())
        data = BookingInput(data=request.data)
        data.is_valid(raise_exception=True)
        values = data.validated_data
        user = citizen_account(request.user)  # staff and anonymous callers book as guests
        services.challenge_check(user=user, challenge=values["challenge"], solution=values["solution"])
        appointment, token = services.appointment_reserve(
            office=_office(values["office"]),
            items=[(item["service"], item["quantity"]) for item in values["services"]],
            starts_at=values["starts_at"],
            contact=services.Contact(
                name=values["name"], email=values["email"], phone=values["phone"], language=values["language"]
            ),
            user=user,
            mode=values["mode"],
            channel=CHANNEL_API,
        )
        body = dict(BookingCreated(_with_items(appointment)).data)
        if appointment.status == Appointment.Status.BOOKED:
            body["token"], body["manage_url"] = token, _manage_url(request, token)
        return _no_store(Response(body, status=201))


@extend_schema(
    tags=[TAG],
    request=TokenInput,
    responses={
        200: BookingDetail,
        400: PROBLEM,
        404: PROBLEM,
        409: OpenApiResponse(description="`hold-expired`"),
    },
    auth=[],
)
class BookingConfirm(APIView):
    """Confirm a reservation with the token from the confirmation e-mail (again: no change)."""

    def post(self, request: Request) -> Response:
        data = TokenInput(data=request.data)
        data.is_valid(raise_exception=True)
        appointment = services.appointment_confirm(token=data.validated_data["token"])
        return _no_store(Response(_holder_view(_with_items(appointment))))


@extend_schema(tags=[TAG], parameters=[TOKEN], responses={200: BookingDetail, 404: PROBLEM}, auth=[])
class BookingTokenDetail(APIView):
    """The appointment of a manage token (a moved appointment answers with its new time)."""

    def get(self, request: Request, token: str) -> Response:
        return _no_store(Response(_holder_view(_with_items(_by_token(token)))))


@extend_schema(
    tags=[TAG],
    parameters=[TOKEN],
    request=None,
    responses={200: BookingDetail, 404: PROBLEM, 409: OpenApiResponse(description="`appointment-state`")},
    auth=[],
)
class BookingCancel(APIView):
    """Cancel the appointment (again: no change). The time is offered again only after the office's
    hold-back period, so a cancelled time cannot be handed to a buyer on the spot."""

    def post(self, request: Request, token: str) -> Response:
        appointment = services.appointment_cancel(appointment=_by_token(token), by="citizen")
        return _no_store(Response(_holder_view(_with_items(appointment))))


@extend_schema(
    tags=[TAG],
    parameters=[TOKEN],
    request=RescheduleInput,
    responses={
        200: BookingDetail,
        400: PROBLEM,
        404: PROBLEM,
        409: OpenApiResponse(description="`slot-taken` (with `alternatives`) or `appointment-state`"),
    },
    examples=[OpenApiExample("new time", request_only=True, value={"starts_at": _STARTS}), _SLOT_TAKEN],
    auth=[],
)
class BookingReschedule(APIView):
    """Move a booked appointment to another free time at the same office: same person, same services.
    The token keeps working and leads to the new time; the old time is held back like a cancellation."""

    def post(self, request: Request, token: str) -> Response:
        appointment = _by_token(token)
        data = RescheduleInput(data=request.data)
        data.is_valid(raise_exception=True)
        moved = services.appointment_reschedule(
            appointment=appointment, starts_at=data.validated_data["starts_at"]
        )
        return _no_store(Response(_holder_view(_with_items(moved))))


# --- staff ----------------------------------------------------------------------------------------------


def _staff_appointments(request: Request, ags: str) -> QuerySet[Appointment]:
    authority = access.authority_for_user(request.user, ags)
    return (
        access.scope(Appointment.objects.all(), request.user)
        .filter(authority=authority)
        .select_related("office__office", "counter", "case")
        .prefetch_related(
            Prefetch("items", queryset=AppointmentItem.objects.select_related("service__service"))
        )
    )


@extend_schema(tags=["staff"], parameters=[StaffAppointmentQuery])
class StaffAppointmentList(generics.ListAPIView[Appointment]):
    """The appointments of one day (default today) of the authority, optionally of one office."""

    permission_classes = [IsStaffAccount]
    serializer_class = StaffAppointmentSerializer

    def get_queryset(self) -> QuerySet[Appointment]:
        query = validated_query(StaffAppointmentQuery, self.request)
        day = query.get("date") or calendar.local_day(timezone.now())
        appointments = _staff_appointments(self.request, self.kwargs["ags"]).filter(
            starts_at__gte=calendar.midnight(day), starts_at__lt=calendar.midnight(day + timedelta(days=1))
        )
        if query.get("office"):
            appointments = appointments.filter(office__office_id=query["office"])
        if query.get("status"):
            appointments = appointments.filter(status=query["status"])
        return appointments.order_by("starts_at", "counter__label", "pk")


@extend_schema(tags=["staff"], responses={200: StaffAppointmentDetailSerializer, 404: PROBLEM})
class StaffAppointmentDetail(APIView):
    """One appointment with the person's contact details (the read is recorded in the audit log)."""

    permission_classes = [IsStaffAccount]

    def get(self, request: Request, ags: str, reference: str) -> Response:
        appointment = access.get_for_user(
            _staff_appointments(request, ags).select_related("ticket"),
            request.user,
            channel=CHANNEL_API,
            reference=reference,
        )
        return _no_store(Response(StaffAppointmentDetailSerializer(appointment).data))


urlpatterns: list[URLPattern] = [
    path("appointments/offices", OfficeList.as_view(), name="api-appointments-office-list"),
    path("appointments/services", ServiceList.as_view(), name="api-appointments-service-list"),
    path("appointments/slots", Slots.as_view(), name="api-appointments-slots"),
    path("appointments/earliest", Earliest.as_view(), name="api-appointments-earliest"),
    path("appointments/challenge", ChallengeCreate.as_view(), name="api-appointments-challenge"),
    path("appointments/bookings", BookingCreate.as_view(), name="api-appointments-booking-create"),
    path("appointments/bookings/confirm", BookingConfirm.as_view(), name="api-appointments-booking-confirm"),
    path("appointments/bookings/<str:token>", BookingTokenDetail.as_view(), name="api-appointments-booking"),
    path(
        "appointments/bookings/<str:token>/cancel",
        BookingCancel.as_view(),
        name="api-appointments-booking-cancel",
    ),
    path(
        "appointments/bookings/<str:token>/reschedule",
        BookingReschedule.as_view(),
        name="api-appointments-booking-reschedule",
    ),
    path("staff/<str:ags>/appointments", StaffAppointmentList.as_view(), name="api-staff-appointment-list"),
    path(
        "staff/<str:ags>/appointments/<str:reference>",
        StaffAppointmentDetail.as_view(),
        name="api-staff-appointment-detail",
    ),
]
