"""The one place that decides which authority-owned data an account may see or change.

Every read of authority-owned data (offerings' internal settings, teams, audit events and, later,
cases) goes through :func:`scope` or :func:`get_for_user`; every write records an :class:`AuditEvent`
through :func:`audit`. Views and API endpoints never filter by authority themselves.
"""

from __future__ import annotations

from typing import Any, TypeVar

from django.contrib.auth.models import AnonymousUser
from django.core.exceptions import ObjectDoesNotExist
from django.db import models
from django.db.models import Q, QuerySet
from django.http import Http404

from amtsweg.identity.models import User

from .models import AuditEvent, Authority, Membership

M = TypeVar("M", bound=models.Model)
Actor = User | AnonymousUser


def _staff(user: Actor) -> User | None:
    if isinstance(user, User) and user.is_authenticated and user.is_active and user.is_staff_account:
        return user
    return None


def authorities_for(user: Actor, *, administer: bool = False) -> QuerySet[Authority]:
    """Authorities whose internal data ``user`` may read (or, with ``administer``, change).

    Caseworkers read their own authorities; authority administrators also change them; alliance
    administrators read and change every authority of their alliance; superusers everything.
    Citizens and anonymous users get none.
    """
    staff = _staff(user)
    if staff is None:
        return Authority.objects.none()
    if staff.is_superuser:
        return Authority.objects.all()
    roles = [Membership.Role.AUTHORITY_ADMIN] if administer else list(Membership.Role)
    return Authority.objects.filter(
        Q(memberships__user=staff, memberships__role__in=roles) | Q(alliance__administrators=staff)
    ).distinct()


def administers_alliance(user: Actor) -> bool:
    """Whether ``user`` administers an alliance (or is a superuser): the role that may change
    alliance-wide things that no single authority owns (alliance forms, notice templates)."""
    staff = _staff(user)
    if staff is None:
        return False
    return staff.is_superuser or staff.administered_alliances.exists()


def visible_authority_ids(user: Actor, *, administer: bool = False) -> set[int]:
    """The primary keys of :func:`authorities_for`, cached on the user object for one request."""
    cache_name = "_amtsweg_admin_ids" if administer else "_amtsweg_read_ids"
    cached: set[int] | None = getattr(user, cache_name, None)
    if cached is None:
        cached = set(authorities_for(user, administer=administer).values_list("pk", flat=True))
        if _staff(user) is not None:
            setattr(user, cache_name, cached)
    return cached


def can_access(user: Actor, authority: Authority | int | None, *, administer: bool = False) -> bool:
    if authority is None:
        return False
    pk = authority if isinstance(authority, int) else authority.pk
    return pk in visible_authority_ids(user, administer=administer)


def scope(
    queryset: QuerySet[M], user: Actor, *, via: str = "authority", administer: bool = False
) -> QuerySet[M]:
    """``queryset`` restricted to rows whose ``via`` authority ``user`` may read (or administer)."""
    ids = visible_authority_ids(user, administer=administer)
    if not ids:
        return queryset.none()
    return queryset.filter(**{f"{via}__in": ids})


def get_for_user(
    queryset: QuerySet[M],
    user: Actor,
    *,
    channel: str,
    via: str = "authority",
    administer: bool = False,
    **lookup: Any,
) -> M:
    """The one object matching ``lookup`` that ``user`` may access, recorded as read in the audit.

    Raises :class:`Http404` both when it does not exist and when it belongs to another authority,
    so that staff cannot probe which objects other towns have.
    """
    try:
        obj = scope(queryset, user, via=via, administer=administer).get(**lookup)
    except ObjectDoesNotExist as exc:
        raise Http404 from exc
    audit(
        actor=user,
        action=AuditEvent.Action.READ,
        obj=obj,
        authority_id=_authority_id(obj, via),
        channel=channel,
    )
    return obj


def authority_for_user(user: Actor, ags: str, *, administer: bool = False) -> Authority:
    """The authority with ``ags`` if ``user`` works for it (or administers it); else :class:`Http404`."""
    if not can_access(
        user, Authority.objects.filter(ags=ags).values_list("pk", flat=True).first(), administer=administer
    ):
        raise Http404
    return Authority.objects.get(ags=ags)


def _authority_id(obj: models.Model, via: str) -> int | None:
    target: Any = obj
    for part in via.split("__"):
        target = getattr(target, part, None)
        if target is None:
            return None
    return int(target.pk)


def audit(
    *,
    actor: Actor | None,
    action: str,
    obj: models.Model,
    authority_id: int | None,
    channel: str,
    changes: dict[str, Any] | None = None,
) -> AuditEvent:
    """Record that ``actor`` did ``action`` to ``obj`` of authority ``authority_id``."""
    return AuditEvent.objects.create(
        actor=actor if isinstance(actor, User) and actor.is_authenticated else None,
        authority_id=authority_id,
        action=action,
        object_type=obj._meta.label_lower,
        object_id=str(obj.pk),
        channel=channel,
        changes=changes or {},
    )
