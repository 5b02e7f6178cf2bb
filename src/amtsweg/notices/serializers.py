"""API representations of the notices module."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from rest_framework import serializers

from .verification import Verdict

if TYPE_CHECKING:
    from .selectors import Verification


class HolderSerializer(serializers.Serializer[Any]):
    """The holder of a certificate, as printed on it: enough to match it to a person, nothing more."""

    name = serializers.CharField(help_text="Name as printed on the certificate.")
    birth_year = serializers.IntegerField(allow_null=True, help_text="Year of birth.")


class VerificationSerializer(serializers.Serializer[Any]):
    """The public result of a verification: issuer, date and subject; for a certificate (e.g. under
    § 43 IfSG) also its holder's name and year of birth — no other personal data."""

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
    holder = HolderSerializer(
        allow_null=True,
        read_only=True,
        help_text="Certificates only: the holder as printed (name, year of birth); null for other notices.",
    )


def verification_body(result: Verification) -> dict[str, Any]:
    """What ``VerificationSerializer`` gives for ``result``, built directly (the hot path of the API)."""
    return {
        "code": result.code,
        "status": result.verdict.value,
        "issuer": result.issuer,
        "issuer_ags": result.issuer_ags,
        "issued_on": result.issued_on.isoformat() if result.issued_on else None,
        "subject": result.subject,
        "revoked_on": result.revoked_on.isoformat() if result.revoked_on else None,
        "holder": result.holder,
    }
