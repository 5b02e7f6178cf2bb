"""API representations of the notices module."""

from __future__ import annotations

from typing import Any

from rest_framework import serializers

from .verification import Verdict


class VerificationSerializer(serializers.Serializer[Any]):
    """The public result of a verification: issuer, date and subject — never personal data."""

    code = serializers.CharField(help_text="The code, canonical and grouped, e.g. 7K3M-Q9TD-XW2B-HC4R.")
    status = serializers.ChoiceField(
        choices=[Verdict.VALID.value, Verdict.REVOKED.value],
        source="verdict",
        help_text="valid: issued and in force; revoked: issued, then revoked.",
    )
    issuer = serializers.CharField(help_text="The issuing authority.")
    issuer_ags = serializers.CharField(help_text="Its Amtlicher Gemeindeschlüssel (8 digits).")
    issued_on = serializers.DateField(help_text="Date of issue.")
    subject = serializers.CharField(help_text="Subject of the notice.")
    revoked_on = serializers.DateField(allow_null=True, help_text="Date of revocation, if revoked.")
