"""Reads of the notices module: templates for a decision, notices for staff and applicants, verification."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from django.db.models import QuerySet
from django.http import Http404
from django.utils import timezone

from amtsweg.identity.models import User
from amtsweg.tenancy import access
from amtsweg.tenancy.models import Authority

from .models import Notice, NoticeTemplate
from .verification import Malformed, Verdict, parse_code


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

    No names, no reference number, no text of the notice: only who issued it, when, and its subject.
    """

    verdict: Verdict
    code: str = ""  # as typed, canonical and grouped when it could be read
    issuer: str = ""
    issuer_ags: str = ""
    issued_on: date | None = None
    subject: str = ""
    revoked_on: date | None = None

    @property
    def found(self) -> bool:
        return self.verdict in (Verdict.VALID, Verdict.REVOKED)


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
    notice = (
        Notice.objects.filter(code=code.value, status__in=[Notice.Status.ISSUED, Notice.Status.REVOKED])
        .select_related("authority")
        .only(
            "status",
            "subject",
            "issued_at",
            "revoked_at",
            "authority__name",
            "authority__official_name",
            "authority__ags",
        )
        .first()
    )
    if notice is None:
        return Verification(Verdict.UNKNOWN, code=code.display)
    revoked = notice.status == Notice.Status.REVOKED
    return Verification(
        Verdict.REVOKED if revoked else Verdict.VALID,
        code=code.display,
        issuer=notice.authority.official_name or notice.authority.name,
        issuer_ags=notice.authority.ags,
        issued_on=timezone.localdate(notice.issued_at),
        subject=notice.subject,
        revoked_on=timezone.localdate(notice.revoked_at) if revoked and notice.revoked_at else None,
    )
