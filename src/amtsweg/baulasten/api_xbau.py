"""/api/v1/baulasten/: XBau messages and batch Auskunft requests.

* ``POST baulasten/xbau`` — a ``baulastenverzeichnis.anfrage.0710`` (``application/xml``) from an
  authenticated citizen or professional account: refused with the schema errors (400) or the business
  rule (422); a message UUID received before answers with the same case (200); else 202 with the case
  reference and the URL of the answer. Rate-limited per account.
* ``GET baulasten/xbau/auskunft/{case_id}`` — the ``baulastenverzeichnis.auskunft.0713`` once decided
  (409 before); for the case's applicant and the keeper's staff, 404 for everyone else.
* ``GET baulasten/{ags}/entries/{id}/xbau-0703`` — ``baulasten.eintragung.0703`` of an entry (keeper's staff).
* ``POST baulasten/auskunft/batch`` — many Auskunft requests at once (members of an organisation):
  all items checked first (422 with index and field of every error, nothing filed), Idempotency-Key.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.http import Http404, HttpResponse
from django.urls import path, reverse
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import serializers, status
from rest_framework.parsers import BaseParser
from rest_framework.permissions import IsAuthenticated
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from amtsweg.core import ratelimit
from amtsweg.core.api import CHANNEL_API, IsCitizenAccount, IsStaffAccount, citizen_of
from amtsweg.core.problems import Problem
from amtsweg.identity.assurance import assurance_of
from amtsweg.identity.models import User
from amtsweg.tenancy import access

from . import intake, xbau
from .models import AuskunftRequest, Baulast

TAGS = ["baulasten"]
PROBLEM = OpenApiResponse(description="application/problem+json")
XML_CONTENT_TYPE = "application/xml; charset=utf-8"
RATE_LIMIT = 60  # 0710 messages per account and minute
RATE_WINDOW = 60


class XmlBytesParser(BaseParser):
    """The raw body of an XML request (parsed later by ``xbau.parse_untrusted``, never by DRF)."""

    media_type = "application/xml"

    def parse(self, stream: Any, media_type: str | None = None, parser_context: Any = None) -> Any:
        data: bytes = stream.read(xbau.MAX_MESSAGE_BYTES + 1) if stream is not None else b""
        return data


class TextXmlBytesParser(XmlBytesParser):
    media_type = "text/xml"


def _xml(body: str | bytes, filename: str) -> HttpResponse:
    response = HttpResponse(body, content_type=XML_CONTENT_TYPE)
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    response["Cache-Control"] = "private, no-store"
    return response


class ReceivedSerializer(serializers.Serializer[Any]):
    message = serializers.UUIDField(help_text="nachrichtenUUID of the 0710")
    case = serializers.CharField(help_text="reference of the Auskunft case")
    case_id = serializers.IntegerField()
    answer = serializers.CharField(help_text="URL of the 0713 answer (409 until the request is decided)")
    duplicate = serializers.BooleanField(help_text="true: the message UUID was received before")


class XBauInbox(APIView):
    permission_classes = [IsCitizenAccount]
    parser_classes = [XmlBytesParser, TextXmlBytesParser]

    @extend_schema(
        tags=TAGS,
        operation_id="baulasten_xbau_receive",
        request={"application/xml": OpenApiTypes.STR},
        responses={
            202: ReceivedSerializer,
            200: ReceivedSerializer,
            400: OpenApiResponse(
                description="not well-formed, DOCTYPE, or schema errors (errors: line, message)"
            ),
            409: PROBLEM,
            415: PROBLEM,
            422: OpenApiResponse(
                description="business rule broken (no parcel, unknown/ambiguous Gemarkung, …)"
            ),
            429: PROBLEM,
            503: OpenApiResponse(description="xbau-schemas-missing"),
        },
    )
    def post(self, request: Request) -> Response:
        """Receive a baulastenverzeichnis.anfrage.0710 (XBau 2.6) and file the Auskunft it asks for."""
        user = citizen_of(request)
        if not ratelimit.hit("baulasten-xbau", str(user.pk), limit=RATE_LIMIT, window=RATE_WINDOW):
            raise Problem(
                "Zu viele XBau-Nachrichten. Bitte warten Sie kurz.",
                "Too many XBau messages. Please wait a moment.",
                status_code=429,
                code="rate-limited",
                extra={"retry_after": ratelimit.window_remaining(RATE_WINDOW)},
            )
        body = request.data
        if not isinstance(body, bytes):
            raise Problem(
                "Erwartet wird eine XBau-Nachricht als application/xml.",
                "An XBau message as application/xml is expected.",
                status_code=415,
                code="unsupported-media-type",
            )
        received = xbau.anfrage_receive(xml=body, sender=user, assurance=assurance_of(request))
        case = received.message.case
        if case is None:  # the case was removed since; the message stays as received
            raise Http404
        data = {
            "message": received.message.uuid,
            "case": case.reference,
            "case_id": case.pk,
            "answer": request.build_absolute_uri(reverse("api-baulasten-xbau-auskunft", args=[case.pk])),
            "duplicate": not received.created,
        }
        return Response(
            ReceivedSerializer(data).data,
            status=status.HTTP_202_ACCEPTED if received.created else status.HTTP_200_OK,
        )


def auskunft_for_reader(user: User, case_id: int, *, channel: str) -> AuskunftRequest:
    """The Auskunft of case ``case_id`` for its applicant or the keeper's staff; 404 for everyone else."""
    queryset = AuskunftRequest.objects.select_related("case", "authority", "register")
    if user.is_staff_account:
        return access.get_for_user(queryset, user, channel=channel, case_id=case_id)
    found = queryset.filter(case_id=case_id, case__applicant=user).first()
    if found is None:
        raise Http404
    return found


class XBauAuskunft(APIView):
    permission_classes = [IsAuthenticated]

    @extend_schema(
        tags=TAGS,
        operation_id="baulasten_xbau_auskunft",
        responses={
            (200, "application/xml"): OpenApiTypes.STR,
            404: PROBLEM,
            409: OpenApiResponse(description="not decided yet"),
            503: PROBLEM,
        },
    )
    def get(self, request: Request, case_id: int) -> HttpResponse:
        """The baulastenverzeichnis.auskunft.0713 answering the case's request (stored once, same UUID)."""
        user = request.user
        assert isinstance(user, User)
        auskunft = auskunft_for_reader(user, case_id, channel=CHANNEL_API)
        message = xbau.auskunft_message(request=auskunft)
        return _xml(message.xml, f"auskunft-0713-{auskunft.case.reference.replace('/', '-')}.xml")


class XBauEintragung(APIView):
    permission_classes = [IsStaffAccount]

    @extend_schema(
        tags=TAGS,
        operation_id="baulasten_xbau_eintragung",
        responses={(200, "application/xml"): OpenApiTypes.STR, 404: PROBLEM, 503: PROBLEM},
    )
    def get(self, request: Request, ags: str, pk: int) -> HttpResponse:
        """baulasten.eintragung.0703 of an entry of the register ``ags`` keeps (staff of the keeper)."""
        authority = access.authority_for_user(request.user, ags)
        entry = access.get_for_user(
            Baulast.objects.filter(authority=authority).select_related("authority"),
            request.user,
            channel=CHANNEL_API,
            pk=pk,
        )
        message = xbau.eintragung_message(baulast=entry, actor=request.user)
        return _xml(message.xml, f"eintragung-0703-blatt{entry.sheet}-nr{entry.number}.xml")


# --- batch ---------------------------------------------------------------------------------------------


class BatchParcelSerializer(serializers.Serializer[Any]):
    gemarkung = serializers.CharField(max_length=120, help_text='key "053359", number "3359" or unique name')
    flur = serializers.IntegerField(min_value=1, max_value=999, required=False, allow_null=True)
    flurstueck = serializers.CharField(max_length=20, help_text='"119" or "119/2"')


class BatchItemSerializer(serializers.Serializer[Any]):
    reference = serializers.CharField(
        max_length=100, help_text="your own reference, returned with the result"
    )
    parcels = BatchParcelSerializer(many=True)
    interest = serializers.CharField(
        max_length=20, help_text="InterestCategory value, e.g. notar, kreditinstitut"
    )
    reason = serializers.CharField(max_length=2000, help_text="the legitimate interest")
    location = serializers.CharField(max_length=200, required=False, allow_blank=True, default="")


class BatchSerializer(serializers.Serializer[Any]):
    items = serializers.ListField(child=serializers.DictField(), allow_empty=False)


class BatchResultSerializer(serializers.Serializer[Any]):
    index = serializers.IntegerField()
    reference = serializers.CharField()
    case = serializers.CharField(help_text="reference of the case")
    case_id = serializers.IntegerField()
    authority = serializers.CharField(help_text="AGS of the keeping authority")
    answer = serializers.CharField(help_text="URL of the 0713 answer")


def items_from(raw_items: list[dict[str, Any]]) -> list[intake.BatchItem]:
    """Items from the request body; a malformed item is a 422 with its index and field, like the rest."""
    limit = settings.BAULASTEN_AUSKUNFT_BATCH_MAX
    if len(raw_items) > limit:
        raise intake.BatchInvalid(
            f"Ein Sammelantrag umfasst höchstens {limit} Anträge (hier {len(raw_items)}).",
            f"A batch holds at most {limit} requests (this one {len(raw_items)}).",
            code="baulasten-batch-too-large",
            extra={"errors": [], "limit": limit},
        )
    items: list[intake.BatchItem] = []
    errors: list[dict[str, Any]] = []
    for index, raw in enumerate(raw_items):
        serializer = BatchItemSerializer(data=raw)
        if not serializer.is_valid():
            for key, messages in _flatten(serializer.errors):
                errors.append(
                    {
                        "index": index,
                        "reference": str(raw.get("reference", "")),
                        "field": key,
                        "detail": messages,
                        "detail_en": messages,
                    }
                )
            continue
        data = serializer.validated_data
        items.append(
            intake.BatchItem(
                reference=data["reference"],
                parcels=[
                    intake.ParcelInput(
                        gemarkung=p["gemarkung"], flur=p.get("flur"), flurstueck=p["flurstueck"]
                    )
                    for p in data["parcels"]
                ],
                interest=data["interest"],
                reason=data["reason"],
                location=data.get("location", ""),
            )
        )
    if errors:
        raise intake.BatchInvalid(
            f"{len(errors)} Angabe(n) im Sammelantrag sind fehlerhaft; es wurde nichts eingereicht.",
            f"{len(errors)} entr(y/ies) of the batch are invalid; nothing was filed.",
            extra={"errors": errors},
        )
    return items


def _flatten(errors: Any, prefix: str = "") -> list[tuple[str, str]]:
    if isinstance(errors, dict):
        return [pair for key, value in errors.items() for pair in _flatten(value, f"{prefix}{key}.")]
    if isinstance(errors, list):
        if all(isinstance(e, str) for e in errors):
            return [(prefix.rstrip("."), " ".join(str(e) for e in errors))]
        return [pair for i, value in enumerate(errors) for pair in _flatten(value, f"{prefix}{i}.") if value]
    return [(prefix.rstrip("."), str(errors))]


class AuskunftBatch(APIView):
    permission_classes = [IsCitizenAccount]

    @extend_schema(
        tags=TAGS,
        operation_id="baulasten_auskunft_batch",
        request=BatchSerializer,
        parameters=[
            OpenApiParameter(
                "Idempotency-Key",
                OpenApiTypes.STR,
                OpenApiParameter.HEADER,
                required=False,
                description="A key of the client's choice: a repeat with the same key and items returns "
                "the same cases (200); the same key with other items is refused (422).",
            )
        ],
        responses={
            201: BatchResultSerializer(many=True),
            200: BatchResultSerializer(many=True),
            403: PROBLEM,
            422: PROBLEM,
        },
    )
    def post(self, request: Request) -> Response:
        """File many Auskunft requests at once (members of an organisation: notaries, banks, planners)."""
        user = citizen_of(request)
        assurance = assurance_of(request)
        intake.professional_organisation(user, assurance)  # 403 before looking at the body
        body = BatchSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        items = items_from(body.validated_data["items"])
        key = request.headers.get("Idempotency-Key", "")
        results = intake.auskunft_file_batch(
            applicant=user, items=items, channel=CHANNEL_API, assurance=assurance, idempotency_key=key
        )
        replayed = any(r.replayed for r in results)
        data = [
            {
                "index": r.index,
                "reference": r.reference,
                "case": r.case.reference,
                "case_id": r.case.pk,
                "authority": r.case.authority.ags,
                "answer": request.build_absolute_uri(
                    reverse("api-baulasten-xbau-auskunft", args=[r.case.pk])
                ),
            }
            for r in results
        ]
        return Response(
            BatchResultSerializer(data, many=True).data,
            status=status.HTTP_200_OK if replayed else status.HTTP_201_CREATED,
        )


urlpatterns = [
    path("baulasten/xbau", XBauInbox.as_view(), name="api-baulasten-xbau"),
    path("baulasten/xbau/auskunft/<int:case_id>", XBauAuskunft.as_view(), name="api-baulasten-xbau-auskunft"),
    path(
        "baulasten/<str:ags>/entries/<int:pk>/xbau-0703",
        XBauEintragung.as_view(),
        name="api-baulasten-xbau-0703",
    ),
    path("baulasten/auskunft/batch", AuskunftBatch.as_view(), name="api-baulasten-auskunft-batch"),
]
