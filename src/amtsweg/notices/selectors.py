"""Reads of the notices module: templates for a decision, notices for staff and applicants, verification."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any

from django.db import connection
from django.db.models import QuerySet
from django.http import Http404
from django.utils import timezone
from django.utils.dateparse import parse_datetime

from amtsweg.identity.models import User
from amtsweg.tenancy import access
from amtsweg.tenancy.models import Authority

from .models import Notice, NoticeTemplate
from .verification import Malformed, Verdict, blocked_for, burst_wait, failure_counted, parse_code


def notice_template_for(*, service_id: int, authority_id: int, decision: str) -> NoticeTemplate | None:
    """The active template for ``decision``: the authority's own variant first, else the alliance's."""
    active = NoticeTemplate.objects.filter(service_id=service_id, decision=decision, is_active=True)
    return active.filter(authority_id=authority_id).first() or active.filter(authority__isnull=True).first()


def notices_for_authority(*, user: User, authority: Authority, status: str = "") -> QuerySet[Notice]:
    """Notices of ``authority`` that ``user`` may read, newest first (empty for anyone else)."""
    notices = access.scope(Notice.objects.filter(authority=authority), user)
    if status:
        notices = notices.filter(status=status)
    return notices.select_related("case", "issued_by", "document").order_by("-issued_at", "-id")


def notice_get_for_staff(*, user: User, authority: Authority, pk: int, channel: str) -> Notice:
    """One notice of ``authority`` for a member of its staff; 404 for other towns (read is audited)."""
    return access.get_for_user(
        Notice.objects.filter(authority=authority).select_related(
            "case", "issued_by", "document", "authority"
        ),
        user,
        channel=channel,
        pk=pk,
    )


def notice_get_for_applicant(*, user: User, pk: int) -> Notice:
    """A notice of one of ``user``'s own cases that has its PDF; 404 for any other."""
    notice = (
        Notice.objects.filter(pk=pk, case__applicant=user, document__isnull=False)
        .select_related("document", "case")
        .first()
    )
    if notice is None:
        raise Http404
    return notice


@dataclass(frozen=True)
class Verification:
    """The answer of the public verification: what may be shown about a notice, and nothing more.

    No reference number, no text of the notice, no reason of a revocation (staff write it freely; it
    may name the person or their health): who issued it, when, its subject, when it was revoked. A
    certificate (a notice with ``holder``) adds its holder's name and year of birth as printed, so an
    employer can match it to the person — never the full birth date or anything else about them.
    """

    verdict: Verdict
    code: str = ""  # as typed, canonical and grouped when it could be read
    issuer: str = ""
    issuer_ags: str = ""
    issued_on: date | None = None
    subject: str = ""
    revoked_on: date | None = None
    holder_name: str = ""
    holder_birth_year: int | None = None

    @property
    def found(self) -> bool:
        return self.verdict in (Verdict.VALID, Verdict.REVOKED)

    @property
    def is_certificate(self) -> bool:
        return bool(self.holder_name)

    @property
    def holder(self) -> dict[str, Any] | None:
        """The holder as the API shows it: ``{"name", "birth_year"}``, or ``None`` for other notices."""
        if not self.holder_name:
            return None
        return {"name": self.holder_name, "birth_year": self.holder_birth_year}


def _holder(data: Any) -> tuple[str, int | None]:
    """Name and year of birth from ``Notice.holder``; other keys are never shown."""
    if not isinstance(data, dict):
        return "", None
    name = " ".join(str(data.get("name") or "").split())[:200]
    year = data.get("birth_year")
    return name, (year if isinstance(year, int) and not isinstance(year, bool) and name else None)


def notice_verify(*, text: str) -> Verification:
    """Check a verification code as typed or scanned: malformed, not ours, unknown, valid or revoked.

    The signature is checked before the database is asked, so forged codes cost no query. Notices
    still being rendered do not count as issued yet.
    """
    try:
        code = parse_code(text)
    except Malformed:
        return Verification(Verdict.MALFORMED)
    if not code.signed:
        return Verification(Verdict.INVALID, code=code.display)
    row = _verification_row(code.value)
    if row is None:
        return Verification(Verdict.UNKNOWN, code=code.display)
    status, subject, issued_at, revoked_at, holder, name, official_name, ags = row
    revoked = status == Notice.Status.REVOKED
    holder_name, birth_year = _holder(json.loads(holder) if isinstance(holder, str) else holder)
    revoked_at = _aware(revoked_at)
    return Verification(
        Verdict.REVOKED if revoked else Verdict.VALID,
        code=code.display,
        issuer=official_name or name,
        issuer_ags=ags,
        issued_on=timezone.localdate(_aware(issued_at)),
        subject=subject,
        revoked_on=timezone.localdate(revoked_at) if revoked and revoked_at else None,
        holder_name=holder_name,
        holder_birth_year=birth_year,
    )


def _verification_row(code: str) -> tuple[Any, ...] | None:
    # The public endpoint's one query (≥ 1,000 verifications/s on 2 workers): plain SQL on the unique
    # index of ``code``, since building the equivalent ORM query costs more than running it.
    quote = connection.ops.quote_name
    # Table names from the models' metadata; every value is a parameter.
    sql = (
        "SELECT n.status, n.subject, n.issued_at, n.revoked_at, n.holder, a.name, a.official_name, a.ags "  # noqa: S608
        f"FROM {quote(Notice._meta.db_table)} n JOIN {quote(Authority._meta.db_table)} a "
        "ON a.id = n.authority_id WHERE n.code = %s AND n.status IN (%s, %s)"
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, [code, Notice.Status.ISSUED.value, Notice.Status.REVOKED.value])
        row = cursor.fetchone()
    return tuple(row) if row is not None else None


def _aware(value: Any) -> datetime | None:
    """A timestamp as the database driver returned it (SQLite: ISO text in UTC) as an aware datetime."""
    if value is None:
        return None
    moment: datetime | None = parse_datetime(value) if isinstance(value, str) else value
    if moment is not None and timezone.is_naive(moment):
        moment = moment.replace(tzinfo=UTC)
    return moment


def notice_verify_limited(*, text: str, address: str) -> tuple[Verification | None, int]:
    """:func:`notice_verify` behind the rate limits of ``address`` (see ``verification``): the result
    and 0, or ``None`` and the seconds the address must wait (a Retry-After).

    Only failures are counted (one shared write each); a valid or revoked answer costs one shared
    read, to refuse it too while the address is blocked. A failure beyond the limit is not answered.
    """
    wait = burst_wait(address)
    if wait:
        return None, wait
    result = notice_verify(text=text)
    wait = blocked_for(address) if result.found else failure_counted(address)
    if wait:
        return None, wait
    return result, 0
