"""Shared API building blocks: permissions and query-parameter validation."""

from __future__ import annotations

from typing import Any

from rest_framework import permissions, serializers
from rest_framework.request import Request
from rest_framework.views import APIView

from amtsweg.identity.models import User

CHANNEL_API = "api"


class IsStaffAccount(permissions.BasePermission):
    """Only active staff accounts; what they may see is then decided by ``tenancy.access``."""

    def has_permission(self, request: Request, view: APIView) -> bool:
        user = request.user
        return isinstance(user, User) and user.is_authenticated and user.is_active and user.is_staff_account


class IsCitizenAccount(permissions.BasePermission):
    """Only active citizen accounts: applications, postbox and documents are a person's own affairs."""

    def has_permission(self, request: Request, view: APIView) -> bool:
        user = request.user
        return (
            isinstance(user, User) and user.is_authenticated and user.is_active and not user.is_staff_account
        )


def citizen_of(request: Request) -> User:
    """The citizen account of a request that passed :class:`IsCitizenAccount`."""
    user = request.user
    assert isinstance(user, User)  # guaranteed by IsCitizenAccount
    return user


def validated_query(serializer_class: type[serializers.Serializer[Any]], request: Request) -> dict[str, Any]:
    """Validate the query string with ``serializer_class``; a bad value becomes a problem+json 400."""
    serializer = serializer_class(data=request.query_params)
    serializer.is_valid(raise_exception=True)
    return dict(serializer.validated_data)
