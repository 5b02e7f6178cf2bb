"""Serializers of the citizen's instruction API: input of each step, and output that never contains a
question's right answer (items carry their options in the order shown, results only the positions of
the items answered wrongly)."""

from __future__ import annotations

from typing import Any

from rest_framework import serializers

# --- input ---------------------------------------------------------------------------------------


class IfsgInstructionStartSerializer(serializers.Serializer[Any]):
    authority = serializers.RegexField(
        r"^\d{8}$", help_text="AGS of the health office (see /ifsg/programmes)"
    )
    language = serializers.CharField(
        max_length=12, help_text="Language code, e.g. de, de-x-ls, en, tr, ar, uk"
    )


class IfsgDeclarationSerializer(serializers.Serializer[Any]):
    # Lengths and contents are checked by the service, which explains in German and English.
    familienname = serializers.CharField(allow_blank=True, trim_whitespace=True, max_length=1000)
    vornamen = serializers.CharField(allow_blank=True, trim_whitespace=True, max_length=1000)
    geburtsdatum = serializers.DateField(help_text="ISO date, at least 14 years ago")
    declared = serializers.BooleanField(help_text="The declaration of the material is made (must be true)")


class IfsgAnswerSerializer(serializers.Serializer[Any]):
    question = serializers.IntegerField(help_text="id of the drawn question")
    position = serializers.IntegerField(
        min_value=0, help_text="0-based position of the chosen option as shown"
    )


class IfsgQuizAnswersSerializer(serializers.Serializer[Any]):
    answers = IfsgAnswerSerializer(many=True, help_text="exactly one answer per drawn question")


class IfsgWaiverSerializer(serializers.Serializer[Any]):
    code = serializers.CharField(max_length=60, help_text="voucher code of the health office")


# --- output --------------------------------------------------------------------------------------


class IfsgLanguageSerializer(serializers.Serializer[Any]):
    code = serializers.CharField()
    native = serializers.CharField(help_text="the language's own name")
    name = serializers.CharField(help_text="the name in the active UI language")
    rtl = serializers.BooleanField()


class IfsgQuizRulesSerializer(serializers.Serializer[Any]):
    questions_per_attempt = serializers.IntegerField()
    pass_mark = serializers.IntegerField()
    attempts_per_round = serializers.IntegerField()
    retry_wait_hours = serializers.IntegerField()
    review_material_after_failure = serializers.BooleanField()
    work_start_months = serializers.IntegerField()


class IfsgProgrammeSerializer(serializers.Serializer[Any]):
    authority = serializers.CharField(help_text="AGS of the health office")
    authority_name = serializers.CharField()
    service = serializers.CharField(help_text="LeiKa key")
    service_name = serializers.CharField()
    trust_level = serializers.CharField(help_text="login level needed to start and submit")
    languages = IfsgLanguageSerializer(many=True)
    fee_cents = serializers.IntegerField(allow_null=True)
    rules = IfsgQuizRulesSerializer()


class IfsgPaymentSummarySerializer(serializers.Serializer[Any]):
    id = serializers.UUIDField()
    status = serializers.CharField()
    amount_cents = serializers.IntegerField()
    purpose = serializers.CharField()
    kassenzeichen = serializers.CharField()


class IfsgCertificateSummarySerializer(serializers.Serializer[Any]):
    instructed_on = serializers.DateField()
    work_begin_by = serializers.DateField()
    verification_code = serializers.CharField()
    notice_status = serializers.CharField()


class IfsgAttemptResultSerializer(serializers.Serializer[Any]):
    id = serializers.IntegerField()
    number = serializers.IntegerField()
    total = serializers.IntegerField()
    correct_count = serializers.IntegerField(allow_null=True)
    passed = serializers.BooleanField(allow_null=True)
    pass_mark = serializers.IntegerField()
    wrong_positions = serializers.ListField(
        child=serializers.IntegerField(), help_text="0-based positions of the items answered wrongly"
    )
    submitted_at = serializers.DateTimeField(allow_null=True)


class IfsgProgressSerializer(serializers.Serializer[Any]):
    step = serializers.ChoiceField(
        choices=["material", "declaration", "quiz", "blocked", "payment", "submit", "done"]
    )
    attempts_used_in_round = serializers.IntegerField()
    attempts_left_in_round = serializers.IntegerField()
    blocked_until = serializers.DateTimeField(allow_null=True)
    last_attempt = IfsgAttemptResultSerializer(allow_null=True)
    payment = IfsgPaymentSummarySerializer(allow_null=True)
    certificate = IfsgCertificateSummarySerializer(allow_null=True)


class IfsgPersonSerializer(serializers.Serializer[Any]):
    familienname = serializers.CharField()
    vornamen = serializers.CharField()
    geburtsdatum = serializers.CharField(allow_blank=True)


class IfsgInstructionSerializer(serializers.Serializer[Any]):
    id = serializers.IntegerField()
    authority = serializers.CharField(help_text="AGS of the health office")
    language = serializers.CharField()
    material_version = serializers.IntegerField()
    status = serializers.CharField()
    created_at = serializers.DateTimeField()
    instructed_at = serializers.DateTimeField(allow_null=True)
    declared_at = serializers.DateTimeField(allow_null=True)
    passed_at = serializers.DateTimeField(allow_null=True)
    person = IfsgPersonSerializer()
    case_reference = serializers.CharField(allow_null=True)
    progress = IfsgProgressSerializer()


class IfsgMaterialSerializer(serializers.Serializer[Any]):
    language = serializers.CharField()
    version = serializers.IntegerField()
    title = serializers.CharField()
    text = serializers.CharField(help_text="Markdown")
    html = serializers.CharField(help_text="the text as safe HTML (no raw HTML, checked links)")
    declaration = serializers.CharField()
    transcript = serializers.CharField(allow_blank=True)
    video_url = serializers.CharField(allow_null=True)
    captions_url = serializers.CharField(allow_null=True)
    leaflet_url = serializers.CharField(allow_null=True)
    confirmed_at = serializers.DateTimeField(allow_null=True)


class IfsgOptionSerializer(serializers.Serializer[Any]):
    position = serializers.IntegerField()
    text = serializers.CharField()


class IfsgQuizItemSerializer(serializers.Serializer[Any]):
    position = serializers.IntegerField()
    question = serializers.IntegerField(help_text="id to answer with")
    text = serializers.CharField()
    options = IfsgOptionSerializer(many=True, help_text="in the order shown; answer with the position")


class IfsgQuizAttemptSerializer(serializers.Serializer[Any]):
    id = serializers.IntegerField()
    number = serializers.IntegerField()
    language = serializers.CharField()
    pass_mark = serializers.IntegerField()
    items = IfsgQuizItemSerializer(many=True)


class IfsgSubmissionResultSerializer(serializers.Serializer[Any]):
    instruction = serializers.IntegerField()
    submission = serializers.UUIDField()
    reference = serializers.CharField(allow_null=True)
    submitted_at = serializers.DateTimeField()
    status = serializers.CharField()
