"""Serializers of the staff case API: list rows, the case with its history, and the action inputs."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django.urls import reverse
from django.utils import timezone
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from amtsweg.identity.levels import LEVELS, TrustLevel

from .models import OPEN_PHASES, Case, CaseEvent, CaseNote, Document, InformationRequest, StatusDefinition
from .selectors import MAX_LIMIT, PHASE_ORDER, CaseDetail, InboxSort, InboxView

# --- query and inputs ---------------------------------------------------------------------------------


class CaseListQuery(serializers.Serializer[Any]):
    authority = serializers.RegexField(r"^\d{8}$", required=False, help_text="AGS: only this authority")
    view = serializers.ChoiceField(
        choices=[v.value for v in InboxView],
        default=InboxView.ALL.value,
        help_text="team: my teams' cases; mine: assigned to me; unassigned; all (default)",
    )
    phase = serializers.ChoiceField(
        choices=["open", "all", *PHASE_ORDER], default="open", help_text="open (default), all, or one phase"
    )
    status = serializers.SlugField(required=False, max_length=40, help_text="a status key")
    service = serializers.RegexField(r"^\d{14}$", required=False, help_text="LeiKa key of the service")
    team = serializers.IntegerField(required=False, min_value=1, help_text="team id")
    overdue = serializers.BooleanField(
        required=False, default=False, help_text="only cases past their due date"
    )
    q = serializers.CharField(
        required=False, max_length=200, help_text="reference (e.g. 024-2026-000123), applicant name or title"
    )
    sort = serializers.ChoiceField(choices=[s.value for s in InboxSort], default=InboxSort.NEWEST.value)
    cursor = serializers.CharField(required=False, max_length=500, help_text="from `next` or `previous`")
    limit = serializers.IntegerField(required=False, min_value=1, max_value=MAX_LIMIT, default=50)


class StatusChangeInput(serializers.Serializer[Any]):
    status = serializers.SlugField(max_length=40)
    comment = serializers.CharField(required=False, allow_blank=True, max_length=500, default="")


class AssignInput(serializers.Serializer[Any]):
    assignee = serializers.EmailField(
        allow_null=True, help_text="e-mail address of a colleague at the case's authority; null: nobody"
    )


class NoteInput(serializers.Serializer[Any]):
    text = serializers.CharField(max_length=10_000)


class InformationRequestInput(serializers.Serializer[Any]):
    message = serializers.CharField(max_length=5000)
    due_date = serializers.DateField(required=False, allow_null=True, default=None)


class FeeLineSerializer(serializers.Serializer[Any]):
    # DRF collects declared fields by name, so shadowing Field.label is fine at run time.
    label = serializers.CharField(max_length=200)  # type: ignore[assignment]
    legal_basis = serializers.CharField(max_length=200, allow_blank=True, default="")
    amount = serializers.DecimalField(max_digits=10, decimal_places=2, min_value=Decimal("0"))


class DecisionInput(serializers.Serializer[Any]):
    decision = serializers.ChoiceField(choices=["granted", "partially", "rejected"])
    body = serializers.CharField(
        required=False,
        allow_null=True,
        default=None,
        max_length=20_000,
        help_text="default: the template's text",
    )
    fee_lines = FeeLineSerializer(
        many=True, required=False, allow_null=True, default=None, help_text="default: the template's fees"
    )

    def validate_fee_lines(self, value: list[dict[str, Any]] | None) -> list[dict[str, Any]] | None:
        if value is None:
            return None
        if len(value) > 200:
            raise serializers.ValidationError("At most 200 fee lines.")
        return [{**line, "amount": f"{line['amount']:.2f}"} for line in value]


# --- output -------------------------------------------------------------------------------------------


def _name(user: Any) -> str | None:
    return (user.get_full_name() or user.email) if user is not None else None


class CaseListSerializer(serializers.ModelSerializer[Case]):
    """One row of the case list."""

    authority = serializers.CharField(source="authority.ags", read_only=True, help_text="AGS")
    service = serializers.CharField(source="service.leika_key", read_only=True, help_text="LeiKa key")
    service_name = serializers.CharField(source="service.name", read_only=True)
    status_label = serializers.SerializerMethodField()
    team = serializers.IntegerField(source="team_id", allow_null=True, read_only=True)
    team_name = serializers.SerializerMethodField()
    assignee = serializers.SerializerMethodField(help_text="e-mail address")
    assignee_name = serializers.SerializerMethodField()
    overdue = serializers.SerializerMethodField()
    phase = serializers.CharField(
        read_only=True, help_text="One of: new, in_progress, waiting, decided, closed."
    )
    decision = serializers.CharField(read_only=True, help_text="granted, partially, rejected, or empty")

    class Meta:
        model = Case
        fields = [
            "id",
            "reference",
            "authority",
            "service",
            "service_name",
            "title",
            "applicant_name",
            "status",
            "status_label",
            "phase",
            "team",
            "team_name",
            "assignee",
            "assignee_name",
            "submitted_at",
            "due_date",
            "overdue",
            "decision",
            "decided_at",
        ]

    def get_status_label(self, case: Case) -> str:
        # The caller resolves every row's status model in one query (selectors.status_definitions).
        statuses: dict[int, StatusDefinition | None] = self.context.get("statuses", {})
        status = statuses.get(case.pk)
        return status.label if status else case.status

    def get_team_name(self, case: Case) -> str | None:
        return case.team.name if case.team else None

    def get_assignee(self, case: Case) -> str | None:
        return case.assignee.email if case.assignee else None

    def get_assignee_name(self, case: Case) -> str | None:
        return _name(case.assignee)

    def get_overdue(self, case: Case) -> bool:
        return (
            case.due_date is not None and case.phase in OPEN_PHASES and case.due_date < timezone.localdate()
        )


class CaseListResponse(serializers.Serializer[Any]):
    """A page of cases; follow ``next``/``previous`` (seek pagination, stable under new arrivals)."""

    count = serializers.IntegerField(help_text="matching cases, counted up to 1000")
    count_capped = serializers.BooleanField(help_text="true: more than `count` cases match")
    next = serializers.URLField(allow_null=True)
    previous = serializers.URLField(allow_null=True)
    results = CaseListSerializer(many=True)


class DocumentSerializer(serializers.ModelSerializer[Document]):
    url = serializers.SerializerMethodField(help_text="download (API)")

    kind = serializers.CharField(read_only=True, help_text=f"One of: {', '.join(Document.Kind.values)}.")

    class Meta:
        model = Document
        fields = ["id", "kind", "filename", "content_type", "size", "sha256", "scanned", "created_at", "url"]

    def get_url(self, document: Document) -> str:
        case_id = self.context["case_id"]
        return reverse("api-staff-case-document", kwargs={"pk": case_id, "doc": document.pk})


class EventSerializer(serializers.ModelSerializer[CaseEvent]):
    actor = serializers.SerializerMethodField(help_text="e-mail address")

    kind = serializers.CharField(read_only=True, help_text=f"One of: {', '.join(CaseEvent.Kind.values)}.")

    class Meta:
        model = CaseEvent
        fields = ["at", "kind", "status", "actor", "detail", "visible_to_applicant"]

    def get_actor(self, event: CaseEvent) -> str | None:
        return event.actor.email if event.actor else None


class InformationRequestSerializer(serializers.ModelSerializer[InformationRequest]):
    requested_by = serializers.SerializerMethodField(help_text="e-mail address")
    documents = serializers.SerializerMethodField(help_text="ids of the documents sent with the answer")

    class Meta:
        model = InformationRequest
        fields = [
            "id",
            "message",
            "requested_by",
            "requested_at",
            "due_date",
            "answer",
            "answered_at",
            "documents",
        ]

    def get_requested_by(self, request: InformationRequest) -> str:
        return request.requested_by.email

    def get_documents(self, request: InformationRequest) -> list[str]:
        return [str(document.pk) for document in request.documents.all()]


class NoticeSummarySerializer(serializers.Serializer[Any]):
    id = serializers.IntegerField()
    code = serializers.CharField()
    subject = serializers.CharField()
    decision = serializers.CharField()
    status = serializers.CharField()
    issued_at = serializers.DateTimeField()
    document = serializers.UUIDField(
        source="document_id", allow_null=True, help_text="id of the PDF once rendered"
    )


class NoteSerializer(serializers.ModelSerializer[CaseNote]):
    author = serializers.SerializerMethodField(help_text="e-mail address")
    author_name = serializers.SerializerMethodField()

    class Meta:
        model = CaseNote
        fields = ["id", "author", "author_name", "text", "created_at"]

    def get_author(self, note: CaseNote) -> str:
        return note.author.email

    def get_author_name(self, note: CaseNote) -> str:
        return _name(note.author) or ""


class ApplicantIdentitySerializer(serializers.Serializer[Any]):
    """How the applicant proved who they are when submitting, and whom they acted for."""

    trust_level = serializers.CharField(help_text="TR-03107-1 level: none, normal, substantiell, hoch")
    eidas_level = serializers.CharField(help_text="the eIDAS level of assurance it corresponds to")
    login_method = serializers.CharField(
        help_text="key of the login method, e.g. local, oidc:<name>, saml:<name>"
    )
    organisation = serializers.DictField(
        allow_null=True, help_text="name and identifier of the organisation the applicant acted for"
    )


class CaseDetailSerializer(CaseListSerializer):
    """A case with its submitted data, documents, history, requests, notices and next statuses.

    Serialized from a :class:`~amtsweg.cases.selectors.CaseDetail` passed as ``context["detail"]``.
    """

    answers = serializers.SerializerMethodField(help_text="the submitted form data (null for imported cases)")
    form_version = serializers.SerializerMethodField(help_text="id of the form version it was submitted on")
    allowed_statuses = serializers.SerializerMethodField(help_text="statuses a status change may set now")
    documents = serializers.SerializerMethodField()
    history = serializers.SerializerMethodField()
    information_requests = serializers.SerializerMethodField()
    notices = serializers.SerializerMethodField()
    identity = serializers.SerializerMethodField(help_text="null for imported cases")

    class Meta(CaseListSerializer.Meta):
        fields = [
            *CaseListSerializer.Meta.fields,
            "identity",
            "answers",
            "form_version",
            "allowed_statuses",
            "documents",
            "history",
            "information_requests",
            "notices",
        ]

    @property
    def detail(self) -> CaseDetail:
        detail: CaseDetail = self.context["detail"]
        return detail

    @extend_schema_field(ApplicantIdentitySerializer(allow_null=True))
    def get_identity(self, case: Case) -> dict[str, Any] | None:
        submission = case.submission
        if submission is None:
            return None
        organisation = submission.organisation
        return {
            "trust_level": submission.trust_level,
            "eidas_level": LEVELS[TrustLevel(submission.trust_level)].eidas
            if submission.trust_level in TrustLevel.values
            else "",
            "login_method": submission.login_method,
            "organisation": {"name": organisation.name, "identifier": organisation.identifier}
            if organisation
            else None,
        }

    @extend_schema_field(serializers.DictField(allow_null=True))
    def get_answers(self, case: Case) -> dict[str, Any] | None:
        return case.submission.data if case.submission else None

    @extend_schema_field(serializers.IntegerField(allow_null=True))
    def get_form_version(self, case: Case) -> int | None:
        return case.submission.form_version_id if case.submission else None

    @extend_schema_field(serializers.ListField(child=serializers.CharField()))
    def get_allowed_statuses(self, case: Case) -> list[str]:
        return [status.key for status in self.detail.allowed]

    @extend_schema_field(DocumentSerializer(many=True))
    def get_documents(self, case: Case) -> Any:
        return DocumentSerializer(self.detail.documents, many=True, context={"case_id": case.pk}).data

    @extend_schema_field(EventSerializer(many=True))
    def get_history(self, case: Case) -> Any:
        return EventSerializer(self.detail.events, many=True).data

    @extend_schema_field(InformationRequestSerializer(many=True))
    def get_information_requests(self, case: Case) -> Any:
        return InformationRequestSerializer(self.detail.information_requests, many=True).data

    @extend_schema_field(NoticeSummarySerializer(many=True))
    def get_notices(self, case: Case) -> Any:
        return NoticeSummarySerializer(self.detail.notices, many=True).data
