"""The payments demo data: valid IBANs, idempotent loading."""

from __future__ import annotations

import pytest

from amtsweg.payments.demo import german_iban, load_payments_demo
from amtsweg.payments.models import PaymentAccount, Waiver
from amtsweg.testing import World


def _valid(iban: str) -> bool:
    rearranged = iban[4:] + iban[:4]
    digits = "".join(str(int(c, 36)) for c in rearranged)
    return int(digits) % 97 == 1


def test_iban_check_digits() -> None:
    assert german_iban("37040044", "0532013000") == "DE89370400440532013000"  # the standard example
    assert _valid(german_iban("30550000", "902400"))


@pytest.mark.django_db
def test_load_is_idempotent(world: World) -> None:
    first = load_payments_demo()
    assert first.accounts == 3 and first.waivers == 1
    assert load_payments_demo().accounts == 0
    account = PaymentAccount.objects.get(authority=world.neuss)
    assert account.kassenzeichen_prefix == "NE" and _valid(account.iban) and account.iban[4:12] == "30550000"
    assert Waiver.objects.get().authority == world.neuss
