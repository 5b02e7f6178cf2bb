"""Reconciliation API (under /api/v1/): bank statement upload and the list of entries to clear.

``POST /staff/bank-statements`` (multipart: ``authority`` AGS, ``file`` CAMT.053) imports and matches a
statement; ``GET /staff/bank-statements`` lists imports; ``GET /staff/reconciliation`` lists entries
(``state`` open | resolved | all); ``POST /staff/reconciliation/<pk>/resolve`` clears one entry, by
assigning it to a payment (``kassenzeichen``) or with a ``note`` alone. Scoped by ``tenancy.access``:
an entry of another authority is 404; every staff member of the authority may act (see ``reconcile``).
"""

from __future__ import annotations

from typing import Any

from django.urls import URLPattern, path
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import serializers, status
from rest_framework.pagination import LimitOffsetPagination
from rest_framework.parsers import FormParser, MultiPartParser
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from amtsweg.core.api import CHANNEL_API, IsStaffAccount, validated_query
from amtsweg.identity.models import User
from amtsweg.tenancy import access

from . import reconcile
from .models import BankEntry, BankStatement

PROBLEM = OpenApiResponse(description="application/problem+json")
ERRORS = {401: PROBLEM, 403: PROBLEM, 404: PROBLEM}
ACTION_ERRORS = {**ERRORS, 400: PROBLEM, 409: PROBLEM, 422: PROBLEM}


def _user(request: Request) -> User:
    user = request.user
    assert isinstance(user, User)  # guaranteed by IsStaffAccount
    return user


class BankStatementSerializer(serializers.ModelSerializer[BankStatement]):
    authority = serializers.CharField(source="authority.ags")
    summary = serializers.SerializerMethodField()

    class Meta:
        model = BankStatement
        fields = ["id", "authority", "statement_id", "iban", "sha256", "created_on", "imported_at", "summary"]

    def get_summary(self, statement: BankStatement) -> dict[str, int]:
        return reconcile.statement_summary(statement)


class ImportResultSerializer(serializers.Serializer[Any]):
    statement = BankStatementSerializer()
    outcomes = serializers.DictField(child=serializers.IntegerField(), help_text="new entries by outcome")
    skipped = serializers.IntegerField(help_text="entries known from an overlapping statement")
    credited_cents = serializers.IntegerField()


class UploadSerializer(serializers.Serializer[Any]):
    authority = serializers.RegexField(r"^\d{8}$", help_text="AGS of the authority whose account it is")
    file = serializers.FileField(help_text="CAMT.053 XML (camt.053.001.02 or .08), at most 20 MB")


class BankEntrySerializer(serializers.ModelSerializer[BankEntry]):
    authority = serializers.CharField(source="authority.ags")
    statement = serializers.CharField(source="statement.statement_id")
    payment = serializers.UUIDField(source="payment_id", allow_null=True)
    kassenzeichen = serializers.CharField(source="reference", help_text="the Kassenzeichen found, if any")

    class Meta:
        model = BankEntry
        fields = [
            "id",
            "authority",
            "statement",
            "entry_reference",
            "booking_date",
            "amount_cents",
            "remittance",
            "kassenzeichen",
            "outcome",
            "payment",
            "resolved_at",
            "resolution_note",
        ]


class EntryQuery(serializers.Serializer[Any]):
    authority = serializers.RegexField(r"^\d{8}$", required=False)
    state = serializers.ChoiceField(choices=["open", "resolved", "all"], required=False, default="open")
    outcome = serializers.ChoiceField(choices=BankEntry.Outcome.choices, required=False, default="")


class ResolveSerializer(serializers.Serializer[Any]):
    kassenzeichen = serializers.CharField(
        required=False, allow_blank=True, default="", max_length=40, help_text="assign to this open payment"
    )
    note = serializers.CharField(
        required=False,
        allow_blank=True,
        default="",
        max_length=500,
        help_text="required without kassenzeichen",
    )


class StatementQuery(serializers.Serializer[Any]):
    authority = serializers.RegexField(r"^\d{8}$", required=False)


class BankStatements(APIView):
    permission_classes = [IsStaffAccount]
    parser_classes = [MultiPartParser, FormParser]

    @extend_schema(
        parameters=[StatementQuery],
        responses={200: BankStatementSerializer(many=True), **ERRORS},
        tags=["staff"],
        operation_id="staff_bank_statements_list",
    )
    def get(self, request: Request) -> Response:
        query = validated_query(StatementQuery, request)
        authority = (
            access.authority_for_user(request.user, query["authority"]) if "authority" in query else None
        )
        statements = reconcile.bank_statements_for_staff(user=_user(request), authority=authority)
        paginator = LimitOffsetPagination()
        page = paginator.paginate_queryset(statements, request, view=self)
        return paginator.get_paginated_response(BankStatementSerializer(page, many=True).data)

    @extend_schema(
        request={"multipart/form-data": UploadSerializer},
        responses={201: ImportResultSerializer, **ACTION_ERRORS},
        tags=["staff"],
        operation_id="staff_bank_statements_import",
    )
    def post(self, request: Request) -> Response:
        payload = UploadSerializer(data=request.data)
        payload.is_valid(raise_exception=True)
        authority = access.authority_for_user(request.user, payload.validated_data["authority"])
        result = reconcile.bank_statement_import(
            authority=authority,
            file=payload.validated_data["file"],
            actor=_user(request),
            channel=CHANNEL_API,
        )
        body = ImportResultSerializer(
            {
                "statement": result.statement,
                "outcomes": result.outcomes,
                "skipped": result.skipped,
                "credited_cents": result.credited_cents,
            }
        ).data
        return Response(body, status=status.HTTP_201_CREATED)


class Reconciliation(APIView):
    permission_classes = [IsStaffAccount]

    @extend_schema(
        parameters=[EntryQuery],
        responses={200: BankEntrySerializer(many=True), **ERRORS},
        tags=["staff"],
        operation_id="staff_reconciliation_list",
    )
    def get(self, request: Request) -> Response:
        query = validated_query(EntryQuery, request)
        authority = (
            access.authority_for_user(request.user, query["authority"]) if "authority" in query else None
        )
        entries = reconcile.bank_entries_for_staff(
            user=_user(request), authority=authority, state=query["state"], outcome=query["outcome"]
        )
        paginator = LimitOffsetPagination()
        page = paginator.paginate_queryset(entries, request, view=self)
        return paginator.get_paginated_response(BankEntrySerializer(page, many=True).data)


class ReconciliationResolve(APIView):
    permission_classes = [IsStaffAccount]

    @extend_schema(
        request=ResolveSerializer,
        responses={200: BankEntrySerializer, **ACTION_ERRORS},
        tags=["staff"],
        operation_id="staff_reconciliation_resolve",
    )
    def post(self, request: Request, pk: int) -> Response:
        payload = ResolveSerializer(data=request.data)
        payload.is_valid(raise_exception=True)
        user = _user(request)
        entry = reconcile.bank_entry_get(user=user, pk=pk, channel=CHANNEL_API)
        if payload.validated_data["kassenzeichen"]:
            entry = reconcile.bank_entry_assign(
                entry=entry,
                kassenzeichen=payload.validated_data["kassenzeichen"],
                note=payload.validated_data["note"],
                actor=user,
                channel=CHANNEL_API,
            )
        else:
            entry = reconcile.bank_entry_resolve(
                entry=entry, note=payload.validated_data["note"], actor=user, channel=CHANNEL_API
            )
        entry.refresh_from_db()
        return Response(BankEntrySerializer(entry).data)


urlpatterns: list[URLPattern] = [
    path("staff/bank-statements", BankStatements.as_view(), name="api-staff-bank-statements"),
    path("staff/reconciliation", Reconciliation.as_view(), name="api-staff-reconciliation"),
    path(
        "staff/reconciliation/<int:pk>/resolve",
        ReconciliationResolve.as_view(),
        name="api-staff-reconciliation-resolve",
    ),
]
