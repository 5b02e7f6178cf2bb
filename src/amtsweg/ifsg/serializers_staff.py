"""Serializers of the health office's staff API (``/api/v1/ifsg/staff/<ags>/…``)."""

from __future__ import annotations

from typing import Any

from rest_framework import serializers

from amtsweg.notices.models import Notice

from . import languages
from .models import Certificate, Material, Question

LANGUAGE_CODES = [lang.code for lang in languages.LANGUAGES]


class StatisticsQuery(serializers.Serializer[Any]):
    month = serializers.RegexField(
        r"^\d{4}-(0[1-9]|1[0-2])$", required=False, help_text="Monat JJJJ-MM (sonst die letzten zwölf Monate)"
    )
    language = serializers.ChoiceField(choices=LANGUAGE_CODES, required=False)


class MonthCountSerializer(serializers.Serializer[Any]):
    month = serializers.CharField(help_text="JJJJ-MM")
    certificates = serializers.IntegerField()


class LanguageFiguresSerializer(serializers.Serializer[Any]):
    language = serializers.CharField(source="code")
    certificates = serializers.IntegerField()
    first_attempts = serializers.IntegerField()
    first_passed = serializers.IntegerField()
    first_pass_rate = serializers.FloatField(allow_null=True)
    attempts = serializers.IntegerField()
    passed = serializers.IntegerField()
    pass_rate = serializers.FloatField(allow_null=True)
    average_attempts_to_pass = serializers.FloatField(allow_null=True)


class FailingItemSerializer(serializers.Serializer[Any]):
    question = serializers.IntegerField(source="question_id")
    number = serializers.IntegerField()
    text = serializers.CharField(help_text="Fragetext (deutsch)")
    active = serializers.BooleanField()
    answers = serializers.IntegerField()
    wrong = serializers.IntegerField()
    share_wrong = serializers.FloatField()


class StatisticsSerializer(serializers.Serializer[Any]):
    period_start = serializers.DateTimeField(source="period.start")
    period_end = serializers.DateTimeField(source="period.end", help_text="exklusiv")
    language = serializers.CharField(allow_null=True)
    certificates = serializers.IntegerField()
    revoked = serializers.IntegerField()
    per_month = serializers.SerializerMethodField()
    per_language = LanguageFiguresSerializer(many=True)
    total = LanguageFiguresSerializer()
    failing_items = FailingItemSerializer(many=True)
    min_answers = serializers.IntegerField(help_text="Fragen mit weniger Antworten erscheinen nicht")

    def get_per_month(self, stats: Any) -> list[dict[str, Any]]:
        return [{"month": month.strftime("%Y-%m"), "certificates": count} for month, count in stats.per_month]


class CertificateListQuery(serializers.Serializer[Any]):
    q = serializers.CharField(required=False, max_length=100, help_text="Teil des Namens")
    month = serializers.RegexField(
        r"^\d{4}-(0[1-9]|1[0-2])$", required=False, help_text="ausgestellt im Monat JJJJ-MM"
    )
    status = serializers.ChoiceField(choices=["valid", "revoked"], required=False)


class CertificateSerializer(serializers.ModelSerializer[Certificate]):
    authority = serializers.CharField(source="authority.ags", read_only=True)
    status = serializers.SerializerMethodField()
    code = serializers.CharField(source="notice.code", read_only=True)
    case = serializers.IntegerField(source="notice.case_id", read_only=True)
    revoked_at = serializers.DateTimeField(source="notice.revoked_at", read_only=True)

    class Meta:
        model = Certificate
        fields = [
            "id",
            "authority",
            "holder_name",
            "birth_date",
            "language",
            "instructed_on",
            "work_begin_by",
            "issued_at",
            "status",
            "code",
            "case",
            "revoked_at",
        ]
        read_only_fields = fields

    def get_status(self, certificate: Certificate) -> str:
        return "revoked" if certificate.notice.status == Notice.Status.REVOKED else "valid"


class RevokeInput(serializers.Serializer[Any]):
    reason = serializers.CharField(max_length=300, help_text="Grund; die Person erhält ihn im Postfach")


class MaterialSerializer(serializers.ModelSerializer[Material]):
    has_video = serializers.SerializerMethodField()
    has_captions = serializers.SerializerMethodField()
    has_leaflet = serializers.SerializerMethodField()

    class Meta:
        model = Material
        fields = [
            "id",
            "language",
            "version",
            "status",
            "title",
            "has_video",
            "has_captions",
            "has_leaflet",
            "created_at",
            "published_at",
        ]
        read_only_fields = fields

    def get_has_video(self, material: Material) -> bool:
        return bool(material.video)

    def get_has_captions(self, material: Material) -> bool:
        return bool(material.captions)

    def get_has_leaflet(self, material: Material) -> bool:
        return bool(material.leaflet)


class QuestionSerializer(serializers.ModelSerializer[Question]):
    missing_languages = serializers.SerializerMethodField(help_text="Sprachen ohne Text")

    class Meta:
        model = Question
        fields = ["id", "number", "topic", "correct", "active", "texts", "missing_languages", "updated_at"]
        read_only_fields = fields

    def get_missing_languages(self, question: Question) -> list[str]:
        return [code for code in LANGUAGE_CODES if not question.texts.get(code, {}).get("text")]
