"""``alert_matches`` (grid-cell index + exact distance) finds exactly the alerts a brute-force haversine
check over every active alert finds, for random alerts and reports, cell edges included."""

from __future__ import annotations

import secrets

import pytest
from django.db import transaction
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from .. import alerts, geo
from ..models import SPECIALISATION_BITS, AlertSubscription, CareType

pytestmark = pytest.mark.django_db

CARE_TYPES = [CareType.FULL_TIME.value, CareType.SHORT_TERM.value, CareType.DAY_CARE.value]
ALL_BITS = sum(SPECIALISATION_BITS.values())
# Around the Rhein-Kreis Neuss, wide enough for many grid cells; coordinates snapped to cell edges too.
latitudes = st.one_of(st.floats(50.6, 51.8), st.integers(203, 207).map(lambda n: n * 0.25 + 0.0))
longitudes = st.one_of(st.floats(6.0, 7.4), st.integers(24, 29).map(lambda n: n * 0.25 + 0.0))
bits = st.integers(0, 7).map(lambda n: n & ALL_BITS)
alert = st.tuples(
    latitudes, longitudes, st.floats(0.5, 100.0), st.sampled_from(CARE_TYPES), bits, st.booleans()
)


class _Rollback(Exception):
    pass


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    subscriptions=st.lists(alert, max_size=25),
    point=st.tuples(latitudes, longitudes),
    care_type=st.sampled_from(CARE_TYPES),
    offered=st.integers(0, ALL_BITS),
)
def test_matches_equal_brute_force(
    subscriptions: list[tuple[float, float, float, str, int, bool]],
    point: tuple[float, float],
    care_type: str,
    offered: int,
) -> None:
    try:
        with transaction.atomic():
            for lat, lon, radius, kind, wanted, confirmed in subscriptions:
                subscription = AlertSubscription.objects.create(
                    email="p@example.org",
                    care_type=kind,
                    latitude=lat,
                    longitude=lon,
                    radius_km=radius,
                    specialisation_bits=wanted,
                    key=secrets.token_urlsafe(16),
                )
                if confirmed:
                    alerts.alert_confirm(key=subscription.key)
            expected = sorted(
                s.pk
                for s in AlertSubscription.objects.filter(confirmed_at__isnull=False, care_type=care_type)
                if s.specialisation_bits & ~offered == 0
                and geo.haversine_km(s.latitude, s.longitude, point[0], point[1]) <= s.radius_km
            )
            found = alerts.alert_matches(
                latitude=point[0], longitude=point[1], care_type=care_type, specialisation_bits=offered
            )
            assert found == expected
            raise _Rollback
    except _Rollback:
        pass
