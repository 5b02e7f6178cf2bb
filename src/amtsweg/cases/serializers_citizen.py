"""API representations of the citizen's own cases, documents, information requests and postbox.

Kinds and phases are plain strings with their values documented, not enums: the staff API has
fields of the same names with other value sets, and shared enum names would collide in the schema.
"""

from __future__ import annotations

from typing import Any

from django.urls import reverse
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from .models import Case, CaseEvent, Document, InformationRequest, Phase, PostboxMessage
from .selectors_citizen import CITIZEN_DOCUMENT_KINDS


def _values(choices: Any) -> str:
    return ", ".join(str(value) for value in choices.values)


class MyAuthoritySerializer(serializers.Serializer[Any]):
    ags = serializers.CharField(read_only=True)
    name = serializers.CharField(read_only=True)


class MyServiceSerializer(serializers.Serializer[Any]):
    leika_key = serializers.CharField(read_only=True)
    name = serializers.CharField(read_only=True)


class MyStatusSerializer(serializers.Serializer[Any]):
    key = serializers.CharField(read_only=True, help_text="Key of the status in the service's status model.")
    # DRF collects declared fields by name, so shadowing Field.label is fine at run time.
    label = serializers.CharField(  # type: ignore[assignment]
        read_only=True, help_text="The status as shown to the applicant."
    )
    phase = serializers.CharField(read_only=True, help_text=f"One of: {_values(Phase)}.")


class MyCasePartSerializer(serializers.Serializer[Any]):
    """One authority's part of an application, worked there as a case of its own: what the applicant
    sees of it (status, reference, dates, answer); built from ``processes.selectors.CasePart``."""

    authority_name = serializers.CharField(read_only=True)
    subject = serializers.CharField(read_only=True)
    status = serializers.CharField(
        read_only=True, help_text="State of the hand-over: open, accepted, completed or declined."
    )
    status_label = serializers.CharField(read_only=True)
    case = serializers.IntegerField(
        source="case_id",
        read_only=True,
        allow_null=True,
        help_text="Id of the part's case (see me/cases/{id}).",
    )
    case_reference = serializers.CharField(read_only=True)
    case_status_label = serializers.CharField(
        read_only=True, help_text="The part's case status as shown to the applicant."
    )
    case_phase = serializers.CharField(read_only=True)
    delivered_at = serializers.DateTimeField(read_only=True, allow_null=True)
    answered_at = serializers.DateTimeField(read_only=True, allow_null=True)
    reply = serializers.CharField(read_only=True)


class MyCaseSerializer(serializers.Serializer[Any]):
    """One of the citizen's cases (Vorgang); built from ``selectors_citizen.CaseRow``."""

    id = serializers.IntegerField(source="case.pk", read_only=True)
    reference = serializers.CharField(source="case.reference", read_only=True)
    title = serializers.CharField(source="case.title", read_only=True)
    authority = MyAuthoritySerializer(source="case.authority", read_only=True)
    service = MyServiceSerializer(source="case.service", read_only=True)
    status = serializers.SerializerMethodField()
    submitted_at = serializers.DateTimeField(source="case.submitted_at", read_only=True)
    updated_at = serializers.DateTimeField(source="case.updated_at", read_only=True)
    decided_at = serializers.DateTimeField(source="case.decided_at", read_only=True, allow_null=True)
    decision = serializers.CharField(
        source="case.decision", read_only=True, help_text="Empty, or one of: granted, partially, rejected."
    )
    open_information_requests = serializers.IntegerField(source="open_requests", read_only=True)
    parts = MyCasePartSerializer(many=True, read_only=True)

    @extend_schema_field(MyStatusSerializer)
    def get_status(self, row: Any) -> dict[str, str]:
        return {"key": row.case.status, "label": row.status_label, "phase": row.case.phase}


class MyDocumentSerializer(serializers.ModelSerializer[Document]):
    kind = serializers.CharField(
        read_only=True,
        help_text="One of: attachment, reply, receipt, notice.",
    )
    information_request: serializers.PrimaryKeyRelatedField[InformationRequest] = (
        serializers.PrimaryKeyRelatedField(read_only=True, allow_null=True)
    )
    download_url = serializers.SerializerMethodField()

    class Meta:
        model = Document
        fields = [
            "id",
            "kind",
            "filename",
            "content_type",
            "size",
            "sha256",
            "created_at",
            "information_request",
            "download_url",
        ]

    def get_download_url(self, document: Document) -> str:
        return reverse("api-me-document", kwargs={"pk": document.pk})


class MyInformationRequestSerializer(serializers.ModelSerializer[InformationRequest]):
    open = serializers.SerializerMethodField()
    answer_url = serializers.SerializerMethodField()

    class Meta:
        model = InformationRequest
        fields = ["id", "message", "requested_at", "due_date", "open", "answer", "answered_at", "answer_url"]

    def get_open(self, request: InformationRequest) -> bool:
        return request.answered_at is None

    def get_answer_url(self, request: InformationRequest) -> str:
        return reverse(
            "api-me-information-request-answer", kwargs={"pk": request.case_id, "request_pk": request.pk}
        )


class MyHistoryEntrySerializer(serializers.Serializer[Any]):
    at = serializers.DateTimeField(read_only=True)
    kind = serializers.CharField(read_only=True, help_text=f"One of: {_values(CaseEvent.Kind)}.")
    text = serializers.CharField(read_only=True, help_text="The entry as shown to the applicant.")


class MySummaryRowSerializer(serializers.Serializer[Any]):
    label = serializers.CharField(read_only=True)  # type: ignore[assignment]
    value = serializers.CharField(read_only=True)


class MyCaseDetailSerializer(serializers.Serializer[Any]):
    """One case with everything the applicant may see; built from ``selectors_citizen.CaseView``."""

    id = serializers.IntegerField(source="case.pk", read_only=True)
    reference = serializers.CharField(source="case.reference", read_only=True)
    title = serializers.CharField(source="case.title", read_only=True)
    authority = MyAuthoritySerializer(source="case.authority", read_only=True)
    service = MyServiceSerializer(source="case.service", read_only=True)
    status = serializers.SerializerMethodField()
    submitted_at = serializers.DateTimeField(source="case.submitted_at", read_only=True)
    decided_at = serializers.DateTimeField(source="case.decided_at", read_only=True, allow_null=True)
    decision = serializers.CharField(source="case.decision", read_only=True)
    parts = MyCasePartSerializer(many=True, read_only=True)
    origin = MyCasePartSerializer(
        read_only=True, allow_null=True, help_text="The application this case is a part of (null if none)."
    )
    history = MyHistoryEntrySerializer(many=True, read_only=True)
    documents = MyDocumentSerializer(many=True, read_only=True)
    information_requests = serializers.SerializerMethodField()
    summary = serializers.SerializerMethodField()
    # A declared field, collected by name: it does not shadow Serializer.data at run time.
    data = serializers.SerializerMethodField()  # type: ignore[assignment]

    @extend_schema_field(MyStatusSerializer)
    def get_status(self, view: Any) -> dict[str, str]:
        return {"key": view.case.status, "label": view.status_label, "phase": view.case.phase}

    @extend_schema_field(MyInformationRequestSerializer(many=True))
    def get_information_requests(self, view: Any) -> list[dict[str, Any]]:
        requests = [*view.open_requests, *view.answered_requests]
        requests.sort(key=lambda r: (r.requested_at, r.pk))
        return list(MyInformationRequestSerializer(requests, many=True).data)

    @extend_schema_field(MySummaryRowSerializer(many=True))
    def get_summary(self, view: Any) -> list[dict[str, str]]:
        return [{"label": label, "value": value} for label, value in view.summary]

    @extend_schema_field(OpenApiTypes.OBJECT)
    def get_data(self, view: Any) -> dict[str, Any]:
        """The submitted answers as stored, keyed by the form's field keys."""
        submission = view.case.submission
        return dict(submission.data) if submission is not None else {}


class MyAnswerSerializer(serializers.Serializer[Any]):
    """The answer to an information request: text, files, or both (multipart/form-data)."""

    answer = serializers.CharField(required=False, allow_blank=True, max_length=10_000, default="")
    files = serializers.ListField(
        child=serializers.FileField(allow_empty_file=False), required=False, default=list, max_length=10
    )


class MyAnswerResultSerializer(serializers.Serializer[Any]):
    information_request = MyInformationRequestSerializer(read_only=True)
    status = MyStatusSerializer(read_only=True)
    documents = MyDocumentSerializer(many=True, read_only=True)


class MyCaseRefSerializer(serializers.ModelSerializer[Case]):
    class Meta:
        model = Case
        fields = ["id", "reference", "title"]


class MyPostboxMessageSerializer(serializers.ModelSerializer[PostboxMessage]):
    kind = serializers.CharField(read_only=True, help_text=f"One of: {_values(PostboxMessage.Kind)}.")
    authority = MyAuthoritySerializer(read_only=True)
    case = MyCaseRefSerializer(read_only=True, allow_null=True)
    unread = serializers.SerializerMethodField()
    information_request: serializers.PrimaryKeyRelatedField[InformationRequest] = (
        serializers.PrimaryKeyRelatedField(read_only=True, allow_null=True)
    )
    document = serializers.SerializerMethodField()

    class Meta:
        model = PostboxMessage
        fields = [
            "id",
            "kind",
            "subject",
            "authority",
            "case",
            "created_at",
            "read_at",
            "unread",
            "information_request",
            "document",
        ]

    def get_unread(self, message: PostboxMessage) -> bool:
        return message.read_at is None

    @extend_schema_field(serializers.UUIDField(allow_null=True))
    def get_document(self, message: PostboxMessage) -> str | None:
        """Id of the attached document (download at /api/v1/me/documents/{id}), if any."""
        document = message.document
        if document is None or document.kind not in CITIZEN_DOCUMENT_KINDS:
            return None
        return str(document.pk)


class MyPostboxMessageDetailSerializer(MyPostboxMessageSerializer):
    class Meta(MyPostboxMessageSerializer.Meta):
        fields = [*MyPostboxMessageSerializer.Meta.fields, "body"]
