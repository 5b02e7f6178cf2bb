"""Reads of cases for staff: always through ``tenancy.access``.

The team inbox (Posteingang) pages by seek (keyset) pagination on its sort key plus the id, so every
page costs the same at a million cases: no OFFSET, and the total is counted only up to
:data:`COUNT_CAP`. Each query is shaped to run as one ordered index range scan (see the indexes on
:class:`~amtsweg.cases.models.Case`); where an ``IN`` list on the leading index column would force a
sort of every matching row (several teams, several phases), the list is split into one small
ordered query per value and the results are merged here.
"""

from __future__ import annotations

import base64
import binascii
import heapq
import json
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from enum import StrEnum
from typing import Any

from django.db.models import Case as CaseExpression
from django.db.models import Q, QuerySet, When
from django.http import Http404
from django.utils import timezone

from amtsweg.core.problems import Problem
from amtsweg.identity.models import User
from amtsweg.notices.models import Notice
from amtsweg.tenancy import access
from amtsweg.tenancy.models import Authority, Team

from .models import (
    OPEN_PHASES,
    Case,
    CaseEvent,
    CaseNote,
    Document,
    InformationRequest,
    Phase,
    StatusDefinition,
)

PHASE_ORDER: tuple[str, ...] = (Phase.NEW, Phase.IN_PROGRESS, Phase.WAITING, Phase.DECIDED, Phase.CLOSED)
OPEN: tuple[str, ...] = tuple(OPEN_PHASES)
# Totals above this are shown as "more than 1,000": counting further costs time and helps nobody.
COUNT_CAP = 1000
# More partitions than this and one query with IN lists (sorted by the database) is cheaper.
MAX_PARTITIONS = 12
MAX_LIMIT = 200
LIST_RELATED = ("team", "assignee")  # what the inbox shows; the API asks for more
REFERENCE_PATTERN = re.compile(r"^(?:\d{3}-)?(\d{4})-0*(\d{1,9})$")


class InvalidCursor(Problem):
    status_code = 400
    code = "invalid-cursor"


class InboxView(StrEnum):
    """The tabs of the inbox."""

    TEAM = "team"  # cases of the teams the user belongs to
    MINE = "mine"  # cases assigned to the user
    UNASSIGNED = "unassigned"  # nobody works on them yet
    ALL = "all"  # every case of the authority


class InboxSort(StrEnum):
    NEWEST = "newest"  # received, newest first
    OLDEST = "oldest"  # received, oldest first
    DUE = "due"  # due date, soonest first, cases without one last
    STATUS = "status"  # phase in workflow order, then newest first


@dataclass(frozen=True)
class InboxFilter:
    """What the inbox shows; every field is optional and the defaults show the open cases, newest first."""

    view: InboxView = InboxView.ALL
    phase: str = "open"  # "open", "all" or one Phase value
    status: str = ""  # a status key of the status models
    service_id: int | None = None
    team_id: int | None = None
    overdue: bool = False
    text: str = ""
    sort: InboxSort = InboxSort.NEWEST


@dataclass
class InboxPage:
    cases: list[Case]
    next_cursor: str | None
    previous_cursor: str | None
    count: int  # matching cases, at most COUNT_CAP
    count_capped: bool  # True when there are more than COUNT_CAP
    teams: list[int] = field(default_factory=list)  # the team ids the TEAM view looked at


def cases_for_staff(*, user: User) -> QuerySet[Case]:
    """Every case ``user`` may see (their authorities' cases), unevaluated."""
    return access.scope(Case.objects.all(), user)


def case_get_for_user(*, user: User, pk: int, channel: str, authority: Authority | None = None) -> Case:
    """One case of the user's authorities (404 otherwise), recorded as read in the audit trail.

    With ``authority``, the case must also belong to it (the back office's URLs name the authority).
    """
    queryset = Case.objects.select_related(
        "authority",
        "service",
        "team",
        "assignee",
        "applicant",
        "submission__form_version",
        "submission__organisation",
    )
    if authority is not None:
        queryset = queryset.filter(authority=authority)
    return access.get_for_user(queryset, user, channel=channel, pk=pk)


def case_for_action(*, user: User, pk: int, authority: Authority | None = None) -> Case:
    """One case the user may work on, for a write (404 otherwise).

    Not recorded as a read: the service that changes the case records the change itself.
    """
    queryset = cases_for_staff(user=user).select_related("authority", "service")
    if authority is not None:
        queryset = queryset.filter(authority=authority)
    case = queryset.filter(pk=pk).first()
    if case is None:
        raise Http404
    return case


def case_document(*, case: Case, document_id: Any) -> Document:
    """A document of ``case`` (an attachment, an answer to a request, a receipt or a notice), or 404."""
    document = (
        Document.objects.filter(
            Q(case=case)
            | Q(information_request__case=case)
            | Q(pk__in=Notice.objects.filter(case=case, document__isnull=False).values("document_id"))
        )
        .filter(pk=document_id)
        .first()
    )
    if document is None:
        raise Http404
    return document


# --- status models --------------------------------------------------------------------------------


def status_definitions(service_ids: Iterable[int]) -> dict[int | None, dict[str, StatusDefinition]]:
    """The status models of ``service_ids`` and the default model (key ``None``), in one query."""
    ids = set(service_ids)
    result: dict[int | None, dict[str, StatusDefinition]] = {None: {}}
    for status in StatusDefinition.objects.filter(Q(service__isnull=True) | Q(service_id__in=ids)).order_by(
        "order", "id"
    ):
        result.setdefault(status.service_id, {})[status.key] = status
    return result


def status_of(models: dict[int | None, dict[str, StatusDefinition]], case: Case) -> StatusDefinition | None:
    """The definition of ``case``'s status in its service's model (or the default model)."""
    own = models.get(case.service_id)
    return (own or models[None]).get(case.status)


@dataclass
class AuthorityStatuses:
    """The status models of an authority's services (one query), for filters and row labels."""

    models: dict[int | None, dict[str, StatusDefinition]]

    def choices(self) -> list[StatusDefinition]:
        """Each status key once, in workflow order (for a filter)."""
        seen: dict[str, StatusDefinition] = {}
        for model in self.models.values():
            for status in model.values():
                seen.setdefault(status.key, status)
        return sorted(seen.values(), key=lambda s: (_PHASE_RANK.get(s.phase, 9), s.order, s.key))

    def for_cases(self, cases: Iterable[Case]) -> dict[int | None, dict[str, StatusDefinition]]:
        """Models covering ``cases``; a case of a service no longer offered, with its own status
        model, is the only one that costs a query."""
        missing = {
            c.service_id
            for c in cases
            if c.service_id not in self.models and c.status not in self.models[None]
        }
        if missing:
            self.models.update({k: v for k, v in status_definitions(missing).items() if k is not None})
        return self.models


def statuses_for_authority(authority: Authority) -> AuthorityStatuses:
    """The default status model and the own models of the services ``authority`` offers (one query)."""
    from amtsweg.catalog.models import ServiceOffering

    offered = ServiceOffering.objects.filter(authority=authority).values("service_id")
    models: dict[int | None, dict[str, StatusDefinition]] = {None: {}}
    for status in StatusDefinition.objects.filter(
        Q(service__isnull=True) | Q(service_id__in=offered)
    ).order_by("order", "id"):
        models.setdefault(status.service_id, {})[status.key] = status
    return AuthorityStatuses(models=models)


def _phases_of_status(key: str) -> set[str]:
    return set(StatusDefinition.objects.filter(key=key).order_by().values_list("phase", flat=True))


# --- sort keys and cursors ------------------------------------------------------------------------


@dataclass(frozen=True)
class _Key:
    """One column of a sort order: its name in the query and its direction.

    A nullable key sorts ascending with NULLs last (cases without a due date come after all others).
    """

    name: str
    descending: bool = False
    nullable: bool = False


_RANK = "phase_rank"
SORT_KEYS: dict[InboxSort, tuple[_Key, ...]] = {
    InboxSort.NEWEST: (_Key("submitted_at", descending=True), _Key("id", descending=True)),
    InboxSort.OLDEST: (_Key("submitted_at"), _Key("id")),
    InboxSort.DUE: (_Key("due_date", nullable=True), _Key("id")),
    InboxSort.STATUS: (_Key(_RANK), _Key("submitted_at", descending=True), _Key("id", descending=True)),
}
_PHASE_RANK = {phase: rank for rank, phase in enumerate(PHASE_ORDER)}


def _key_values(case_or_row: Any, keys: Sequence[_Key]) -> tuple[Any, ...]:
    if isinstance(case_or_row, Case):
        return tuple(
            _PHASE_RANK.get(case_or_row.phase, 9) if k.name == _RANK else getattr(case_or_row, k.name)
            for k in keys
        )
    return tuple(case_or_row)


def _sortable(values: tuple[Any, ...], keys: Sequence[_Key]) -> tuple[Any, ...]:
    """A tuple that Python orders exactly like the database orders ``keys`` (ascending)."""
    out: list[Any] = []
    for value, key in zip(values, keys, strict=True):
        if isinstance(value, datetime):
            number: Any = int(value.timestamp()) * 1_000_000 + value.microsecond
        elif isinstance(value, date):
            number = value.toordinal()
        else:
            number = value
        if key.nullable:  # NULLS LAST ascending
            out.append((1, 0) if number is None else (0, -number if key.descending else number))
        else:
            out.append(-number if key.descending else number)
    return tuple(out)


def _encode_cursor(sort: InboxSort, direction: str, values: tuple[Any, ...]) -> str:
    plain = [v.isoformat() if isinstance(v, date | datetime) else v for v in values]
    raw = json.dumps({"s": sort.value, "d": direction, "k": plain}, separators=(",", ":"))
    return base64.urlsafe_b64encode(raw.encode()).decode().rstrip("=")


def _decode_cursor(cursor: str, sort: InboxSort) -> tuple[str, tuple[Any, ...]]:
    invalid = InvalidCursor(
        "Die Seitenangabe ist ungültig oder passt nicht zur Sortierung.",
        "The cursor is invalid or does not match the sort order.",
    )
    try:
        raw = json.loads(base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)))
        if not isinstance(raw, dict) or raw.get("s") != sort.value or raw.get("d") not in ("a", "b"):
            raise invalid
        plain = raw["k"]
        keys = SORT_KEYS[sort]
        if not isinstance(plain, list) or len(plain) != len(keys):
            raise invalid
        values: list[Any] = []
        for key, value in zip(keys, plain, strict=True):
            if key.name == "submitted_at":
                parsed = datetime.fromisoformat(value)
                if parsed.tzinfo is None:
                    raise invalid
                values.append(parsed)
            elif key.name == "due_date":
                values.append(None if value is None else date.fromisoformat(value))
            elif isinstance(value, int) and not isinstance(value, bool):
                values.append(value)
            else:
                raise invalid
        return raw["d"], tuple(values)
    except (ValueError, TypeError, KeyError, binascii.Error, UnicodeDecodeError) as exc:
        raise invalid from exc


def _after(keys: Sequence[_Key], values: tuple[Any, ...], constants: dict[str, Any]) -> Q | None:
    """Rows strictly after ``values`` in the order ``keys``; ``None`` means "all rows", ``Q(pk__in=[])``
    none. Keys in ``constants`` are fixed for the partition (compared here, not in SQL)."""
    alternatives: list[Q] = []
    prefix = Q()
    for key, value in zip(keys, values, strict=True):
        if key.name in constants:
            mine = constants[key.name]
            if mine == value:
                continue
            before = mine > value if key.descending else mine < value
            if before:
                return Q(pk__in=[]) if not alternatives else _or(alternatives)
            alternatives.append(prefix)
            return _or(alternatives)
        name = key.name
        if key.nullable:
            if value is None:  # after NULL only NULLs with a later tie-break (NULLS LAST)
                prefix &= Q(**{f"{name}__isnull": True})
                continue
            greater = Q(**{f"{name}__lt" if key.descending else f"{name}__gt": value}) | Q(
                **{f"{name}__isnull": True}
            )
        else:
            greater = Q(**{f"{name}__lt" if key.descending else f"{name}__gt": value})
        alternatives.append(prefix & greater)
        prefix &= Q(**{name: value})
    return _or(alternatives) if alternatives else Q(pk__in=[])


def _or(parts: list[Q]) -> Q:
    result = Q(pk__in=[])
    first = True
    for part in parts:
        result = part if first else result | part
        first = False
    return result


def _before(keys: Sequence[_Key], values: tuple[Any, ...], constants: dict[str, Any]) -> Q | None:
    """Rows strictly before ``values`` in the order ``keys`` (the mirror of :func:`_after`)."""
    alternatives: list[Q] = []
    prefix = Q()
    for key, value in zip(keys, values, strict=True):
        if key.name in constants:
            mine = constants[key.name]
            if mine == value:
                continue
            earlier = mine > value if key.descending else mine < value
            if not earlier:
                return Q(pk__in=[]) if not alternatives else _or(alternatives)
            alternatives.append(prefix)
            return _or(alternatives)
        name = key.name
        if key.nullable:
            if value is None:  # before NULL: every non-NULL, and NULLs with an earlier tie-break
                alternatives.append(prefix & Q(**{f"{name}__isnull": False}))
                prefix &= Q(**{f"{name}__isnull": True})
                continue
            smaller = Q(**{f"{name}__gt" if key.descending else f"{name}__lt": value})
        else:
            smaller = Q(**{f"{name}__gt" if key.descending else f"{name}__lt": value})
        alternatives.append(prefix & smaller)
        prefix &= Q(**{name: value})
    return _or(alternatives) if alternatives else Q(pk__in=[])


def _seek_bound(key: _Key, value: Any, forward: bool) -> Q:
    """A redundant, index-usable bound on the leading key, so a later page seeks instead of skipping."""
    if value is None:
        return Q(**{f"{key.name}__isnull": True}) if forward else Q()
    upward = forward != key.descending
    bound = Q(**{f"{key.name}__gte" if upward else f"{key.name}__lte": value})
    if key.nullable and forward:
        bound |= Q(**{f"{key.name}__isnull": True})
    return bound


def _order_by(keys: Sequence[_Key], forward: bool) -> list[Any]:
    from django.db.models import F

    order: list[Any] = []
    for key in keys:
        descending = key.descending != (not forward)
        expression = F(key.name)
        if key.nullable:
            order.append(expression.desc(nulls_first=True) if descending else expression.asc(nulls_last=True))
        else:
            order.append(expression.desc() if descending else expression.asc())
    return order


# --- the inbox ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Partition:
    """One ordered index range: equality on the scope column (and maybe the phase)."""

    filters: dict[str, Any]
    constants: dict[str, Any]


def _text_filter(text: str) -> Q:
    """Reference (``024-2026-000123``, ``2026-123``), a case number (``123``), or name/subject words.

    Names and subjects are matched with ``icontains``, which the trigram indexes of migration 0005
    serve on PostgreSQL.
    """
    text = text.strip()[:200]
    match = REFERENCE_PATTERN.match(text)
    if match:
        return Q(year=int(match.group(1)), number=int(match.group(2)))
    if text.isdigit():
        return Q(number=int(text)) if len(text) <= 9 else Q(pk__in=[])
    return Q(applicant_name__icontains=text) | Q(title__icontains=text)


def inbox_page(
    *,
    user: User,
    filters: InboxFilter,
    authorities: Sequence[Authority | int] | None = None,
    cursor: str | None = None,
    limit: int = 50,
    today: date | None = None,
    member_teams: Iterable[int] | None = None,
    related: Sequence[str] = LIST_RELATED,
) -> InboxPage:
    """One page of the inbox of ``authorities`` (default: every authority the user works for).

    ``member_teams``: the user's teams there, if the caller has looked them up already;
    ``related``: the relations loaded with each case.
    Raises :class:`InvalidCursor` for a cursor that was not made for this sort order.
    """
    limit = max(1, min(limit, MAX_LIMIT))
    keys = SORT_KEYS[filters.sort]
    direction, values = ("a", None) if not cursor else _decode_cursor(cursor, filters.sort)
    forward = direction == "a"
    visible = access.visible_authority_ids(user)
    if authorities is None:
        authority_ids = sorted(visible)
    else:
        wanted = {a if isinstance(a, int) else a.pk for a in authorities}
        authority_ids = sorted(wanted & visible)
    empty = InboxPage([], None, None, 0, False)
    if not authority_ids:
        return empty

    base = cases_for_staff(user=user)
    if len(authority_ids) == 1:
        base = base.filter(authority_id=authority_ids[0])
    else:
        base = base.filter(authority_id__in=authority_ids)

    # Which phases: the phase filter, narrowed by the status filter (a status implies its phase).
    if filters.phase == "open":
        phases = list(OPEN)
    elif filters.phase == "all":
        phases = list(PHASE_ORDER)
    elif filters.phase in PHASE_ORDER:
        phases = [filters.phase]
    else:
        return empty
    if filters.status:
        of_status = _phases_of_status(filters.status)
        phases = [p for p in phases if p in of_status]
        base = base.filter(status=filters.status)
    if not phases:
        return empty

    # The scope column leads the index range: team, assignee or authority.
    team_ids: list[int] = []
    scope_column = "authority_id"
    scope_values: list[int] = authority_ids
    if filters.view == InboxView.TEAM:
        if member_teams is None:
            member_teams = Team.objects.filter(authority_id__in=authority_ids, members=user).values_list(
                "pk", flat=True
            )
        team_ids = sorted(member_teams)
        if filters.team_id is not None:
            team_ids = [t for t in team_ids if t == filters.team_id]
        if not team_ids:
            return InboxPage([], None, None, 0, False, teams=[])
        scope_column, scope_values = "team_id", team_ids
    elif filters.view == InboxView.MINE:
        scope_column, scope_values = "assignee_id", [user.pk]
        if filters.team_id is not None:
            base = base.filter(team_id=filters.team_id)
    else:
        if filters.view == InboxView.UNASSIGNED:
            base = base.filter(assignee__isnull=True)
        if filters.team_id is not None:
            scope_column, scope_values = "team_id", [filters.team_id]
    if filters.sort == InboxSort.DUE and scope_column != "authority_id":
        # Only the authority has a due-date index; the team or assignee becomes a plain filter.
        base = base.filter(**{f"{scope_column}__in": scope_values})
        scope_column, scope_values = "authority_id", authority_ids

    if filters.service_id is not None:
        base = base.filter(service_id=filters.service_id)
    if filters.overdue:
        base = base.filter(due_date__lt=today or timezone.localdate())
    if filters.text.strip():
        base = base.filter(_text_filter(filters.text))

    # Phases: a partial index covers the open phases in received order; a single phase is an
    # equality; anything else is split into one range per phase.
    phase_partitions: list[str | None]
    if filters.sort == InboxSort.STATUS or (filters.sort == InboxSort.DUE and len(phases) > 1):
        phase_partitions = list(phases)
    elif phases == list(OPEN) or len(phases) == 1:
        phase_partitions = [None]
        base = base.filter(phase=phases[0]) if len(phases) == 1 else base.filter(phase__in=phases)
    else:
        phase_partitions = list(phases)

    partitions = [
        _Partition(
            filters={scope_column: value, **({"phase": phase} if phase else {})},
            constants={_RANK: _PHASE_RANK[phase]} if phase and filters.sort == InboxSort.STATUS else {},
        )
        for value in scope_values
        for phase in phase_partitions
    ]
    # A text search matches few cases, found through the trigram indexes: one query that sorts them
    # beats one range scan per partition. So do too many partitions.
    if len(partitions) > 1 and (filters.text.strip() or len(partitions) > MAX_PARTITIONS):
        base = base.filter(**{f"{scope_column}__in": scope_values})
        if phase_partitions != [None]:
            base = base.filter(phase__in=phases)
        if filters.sort == InboxSort.STATUS:
            base = base.annotate(
                phase_rank=CaseExpression(*(When(phase=p, then=r) for p, r in _PHASE_RANK.items()), default=9)
            )
        partitions = [_Partition(filters={}, constants={})]

    rows = _fetch(base, partitions, keys, values, forward, limit, related)
    has_more = len(rows) > limit
    if not forward and not has_more:
        # Paging back reached the start: show the full first page rather than a short one.
        return inbox_page(
            user=user,
            filters=filters,
            authorities=authorities,
            cursor=None,
            limit=limit,
            today=today,
            member_teams=team_ids if filters.view == InboxView.TEAM else None,
            related=related,
        )
    rows = rows[:limit]
    if not forward:
        rows.reverse()
    cases = rows
    first_values = _key_values(cases[0], keys) if cases else None
    last_values = _key_values(cases[-1], keys) if cases else None
    if forward:
        next_cursor = _encode_cursor(filters.sort, "a", last_values) if has_more and last_values else None
        previous_cursor = (
            _encode_cursor(filters.sort, "b", first_values) if values is not None and first_values else None
        )
    else:
        previous_cursor = (
            _encode_cursor(filters.sort, "b", first_values) if has_more and first_values else None
        )
        next_cursor = _encode_cursor(filters.sort, "a", last_values) if last_values else None

    counted = _count_query(base, partitions)
    count = counted.order_by()[: COUNT_CAP + 1].count()
    return InboxPage(
        cases=cases,
        next_cursor=next_cursor,
        previous_cursor=previous_cursor,
        count=min(count, COUNT_CAP),
        count_capped=count > COUNT_CAP,
        teams=team_ids,
    )


def _count_query(base: QuerySet[Case], partitions: list[_Partition]) -> QuerySet[Case]:
    merged: dict[str, set[Any]] = {}
    for partition in partitions:
        for name, value in partition.filters.items():
            merged.setdefault(name, set()).add(value)
    for name, values in merged.items():
        base = (
            base.filter(**{name: next(iter(values))})
            if len(values) == 1
            else base.filter(**{f"{name}__in": sorted(values)})
        )
    return base


def _partition_query(
    base: QuerySet[Case],
    partition: _Partition,
    keys: Sequence[_Key],
    values: tuple[Any, ...] | None,
    forward: bool,
) -> QuerySet[Case] | None:
    queryset = base.filter(**partition.filters)
    if values is not None:
        condition = (_after if forward else _before)(keys, values, partition.constants)
        if condition is not None:
            if condition == Q(pk__in=[]):
                return None
            queryset = queryset.filter(condition)
        # The leading key that is a real column bounds the index range scan.
        for key, value in zip(keys, values, strict=True):
            if key.name in partition.constants:
                if partition.constants[key.name] != value:
                    break
                continue
            queryset = queryset.filter(_seek_bound(key, value, forward))
            break
    sql_keys = [k for k in keys if k.name not in partition.constants]
    return queryset.order_by(*_order_by(sql_keys, forward))


def _fetch(
    base: QuerySet[Case],
    partitions: list[_Partition],
    keys: Sequence[_Key],
    values: tuple[Any, ...] | None,
    forward: bool,
    limit: int,
    related: Sequence[str],
) -> list[Case]:
    """The first ``limit + 1`` cases after (or before) the cursor over all partitions, in page order."""
    take = limit + 1
    if len(partitions) == 1:
        query = _partition_query(base, partitions[0], keys, values, forward)
        if query is None:
            return []
        return list(query.select_related(*related)[:take])

    # Several ranges: fetch only the sort keys of each, merge, then load the winners in one query.
    def order(item: tuple[tuple[Any, ...], int]) -> tuple[Any, ...]:
        sortable = _sortable(item[0], keys)
        return sortable if forward else tuple(_negate(v) for v in sortable)

    candidates: list[list[tuple[tuple[Any, ...], int]]] = []
    for partition in partitions:
        query = _partition_query(base, partition, keys, values, forward)
        if query is None:
            continue
        sql_names = [k.name for k in keys if k.name not in partition.constants]
        fetched = query.values_list(*sql_names)[:take]
        rows: list[tuple[tuple[Any, ...], int]] = []
        for row in fetched:
            by_name = dict(zip(sql_names, row, strict=True))
            full = tuple(by_name[k.name] if k.name in by_name else partition.constants[k.name] for k in keys)
            rows.append((full, int(by_name["id"])))
        candidates.append(rows)
    winners = list(heapq.merge(*candidates, key=order))[:take]
    ids = [pk for _, pk in winners]
    loaded = Case.objects.select_related(*related).in_bulk(ids)
    return [loaded[pk] for pk in ids if pk in loaded]


def _negate(value: Any) -> Any:
    if isinstance(value, tuple):
        return tuple(_negate(v) for v in value)
    return -value


def status_model_of(
    case: Case,
) -> tuple[dict[str, StatusDefinition], StatusDefinition | None, list[StatusDefinition]]:
    """``case``'s status model by key, its current status and the statuses that may follow it."""
    models = status_definitions([case.service_id])
    statuses = models.get(case.service_id) or models[None]
    current = statuses.get(case.status)
    following = [statuses[key] for key in (current.next_keys if current else []) if key in statuses]
    return statuses, current, following


def manual_transitions(following: Iterable[StatusDefinition]) -> list[StatusDefinition]:
    """The following statuses a plain status change may set: deciding issues a notice and waiting
    needs a request to the applicant, so those have their own actions."""
    return [s for s in following if s.phase not in (Phase.DECIDED, Phase.WAITING)]


# --- one case -------------------------------------------------------------------------------------


@dataclass
class CaseDetail:
    """Everything the case page shows, read in a fixed number of queries."""

    case: Case
    status: StatusDefinition | None
    statuses: dict[str, StatusDefinition]
    allowed: list[StatusDefinition]  # next statuses a plain status change may set
    can_close: bool
    can_decide: bool
    can_request_information: bool
    events: list[CaseEvent]
    notes: list[CaseNote]
    information_requests: list[InformationRequest]
    documents: list[Document]
    notices: list[Any]
    people: dict[int, str]  # user id -> display name, for ids in the history
    teams: dict[int, str]


def case_detail(*, case: Case) -> CaseDetail:
    """The history, notes, requests, documents and notices of ``case`` (already access-checked)."""
    statuses, current, following = status_model_of(case)
    is_open = case.phase in OPEN
    events = list(case.events.select_related("actor").order_by("at", "id"))
    people_ids = {int(e.detail["assignee"]) for e in events if isinstance(e.detail.get("assignee"), int)}
    team_ids = {int(e.detail["team"]) for e in events if isinstance(e.detail.get("team"), int)}
    people = {
        user.pk: user.get_full_name() or user.email
        for user in User.objects.filter(pk__in=people_ids).only("first_name", "last_name", "email")
    }
    return CaseDetail(
        case=case,
        status=current,
        statuses=statuses,
        allowed=manual_transitions(following),
        can_close=any(s.phase == Phase.CLOSED for s in following),
        can_decide=case.phase in (Phase.NEW, Phase.IN_PROGRESS),
        can_request_information=is_open,
        events=events,
        notes=list(case.notes.select_related("author").order_by("created_at", "id")),
        information_requests=list(
            case.information_requests.select_related("requested_by")
            .prefetch_related("documents")
            .order_by("requested_at", "id")
        ),
        documents=list(case.documents.select_related("uploaded_by").order_by("created_at", "id")),
        notices=list(
            Notice.objects.filter(case=case).select_related("document").order_by("-issued_at", "-id")
        ),
        people=people,
        teams=dict(Team.objects.filter(pk__in=team_ids).values_list("pk", "name")) if team_ids else {},
    )
