"""Fees: which one applies, and exact amounts (fixed, per unit, formula) — never a float."""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from amtsweg.payments.fees import FeeError, fee_amount, fee_for, formula_euros
from amtsweg.payments.models import Fee
from amtsweg.testing import World

from . import factories


def _fee(**fields: object) -> Fee:
    values: dict[str, object] = {"title": "Gebühr", "kind": Fee.Kind.FIXED, "amount_cents": 0}
    values.update(fields)
    return Fee(**values)


@pytest.mark.django_db
def test_the_authoritys_own_active_fee_wins(world: World) -> None:
    alliance = factories.fee(world.town_service, None, amount_cents=1000)
    assert fee_for(world.town_service, world.neuss) == alliance
    own = factories.fee(world.town_service, world.neuss, amount_cents=1500)
    assert fee_for(world.town_service, world.neuss) == own
    assert fee_for(world.town_service, world.dormagen) == alliance
    own.active = False
    own.save()
    assert fee_for(world.town_service, world.neuss) == alliance
    assert fee_for(world.town_service, world.neuss, timing=Fee.Timing.ON_REQUEST) is None
    assert fee_for(world.kreis_service, world.kreis) is None


def test_fixed_and_per_unit() -> None:
    assert fee_amount(_fee(amount_cents=1250), {}) == 1250
    per_unit = _fee(kind=Fee.Kind.PER_UNIT, amount_cents=700, unit_field="purpose.copies")
    assert fee_amount(per_unit, {"purpose": {"copies": "3"}}) == 2100
    assert fee_amount(per_unit, {"purpose": {"copies": 0}}) == 0
    for bad in (
        {},
        {"purpose": {"copies": "2.5"}},
        {"purpose": {"copies": "-1"}},
        {"purpose": {"copies": True}},
    ):
        with pytest.raises(FeeError):
            fee_amount(per_unit, bad)


def test_formula_is_exact_and_rounds_half_up() -> None:
    fee = _fee(kind=Fee.Kind.FORMULA, formula="2.5 * seiten + 0.005")
    # 2.5 × 3 + 0.005 = 7.505 € → 7.51 € (a float would give 7.504999… → 7.50)
    assert fee_amount(fee, {"seiten": "3"}) == 751
    assert fee_amount(_fee(kind=Fee.Kind.FORMULA, formula="10 / 3"), {}) == 333
    assert (
        fee_amount(
            _fee(kind=Fee.Kind.FORMULA, formula="flaeche * 0.1 if flaeche > 100 else 5"), {"flaeche": "250,5"}
        )
        == 2505
    )
    assert formula_euros("a + b", {"a": "0.1", "b": "0.2"}) == Decimal("0.3")
    assert formula_euros('12 if art == "2.5" else 0', {"art": "2.5"}) == 0  # "2.5" the answer is a number too


@pytest.mark.parametrize(
    ("formula", "data"),
    [
        ("anzahl *", {}),  # syntax
        ("unbekannt * 2", {}),  # unknown name
        ("__import__('os')", {}),  # calls are not allowed
        ("name.upper", {"name": "x"}),  # attribute access
        ("1 / 0", {}),
        ('"zwölf"', {}),  # not a number
        ("True", {}),
    ],
)
def test_formula_errors_are_problems(formula: str, data: dict[str, object]) -> None:
    with pytest.raises(FeeError) as error:
        fee_amount(_fee(kind=Fee.Kind.FORMULA, formula=formula), data)
    assert error.value.status_code == 422


def test_negative_and_absurd_results_are_refused() -> None:
    with pytest.raises(FeeError, match="negative"):
        fee_amount(_fee(kind=Fee.Kind.FORMULA, formula="5 - anzahl"), {"anzahl": "6"})
    with pytest.raises(FeeError):
        fee_amount(_fee(kind=Fee.Kind.FORMULA, formula="anzahl * 1000000"), {"anzahl": "5"})


@given(cents=st.integers(0, 100_000), count=st.integers(0, 999))
def test_per_unit_is_cents_times_count(cents: int, count: int) -> None:
    fee = _fee(kind=Fee.Kind.PER_UNIT, amount_cents=cents, unit_field="n")
    assert fee_amount(fee, {"n": str(count)}) == cents * count


@given(
    rate=st.decimals(min_value=0, max_value=1000, places=3, allow_nan=False, allow_infinity=False),
    count=st.integers(0, 500),
)
def test_formula_equals_decimal_arithmetic(rate: Decimal, count: int) -> None:
    fee = _fee(kind=Fee.Kind.FORMULA, formula=f"{rate} * n")
    expected = (rate * count).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP) * 100
    assert fee_amount(fee, {"n": str(count)}) == int(expected)
    assert isinstance(fee_amount(fee, {"n": count}), int)


@given(a=st.integers(0, 10**6), b=st.integers(1, 1000))
def test_division_never_goes_through_float(a: int, b: int) -> None:
    fee = _fee(kind=Fee.Kind.FORMULA, formula="a / b")
    expected = (Decimal(a) / Decimal(b)).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP) * 100
    if expected > 100_000_000:
        return
    assert fee_amount(fee, {"a": str(a), "b": str(b)}) == int(expected)
