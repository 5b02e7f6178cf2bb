"""The payment state machine: which transitions exist, and nothing else may happen.

open → pending → paid / failed; failed → pending (another attempt); paid → refunded; open or
failed → paid directly (an invoice paid by bank transfer, a provider confirming late); open →
waived (voucher) or cancelled. Reports that would move a payment backwards (a late "pending" after
"paid") are *stale*: recorded on the notification log, never applied.
"""

from __future__ import annotations

from .models import Payment

S = Payment.Status

TRANSITIONS: dict[str, frozenset[str]] = {
    S.OPEN: frozenset({S.PENDING, S.PAID, S.FAILED, S.WAIVED, S.CANCELLED}),
    S.PENDING: frozenset({S.PAID, S.FAILED, S.CANCELLED}),
    S.FAILED: frozenset({S.PENDING, S.PAID, S.CANCELLED}),
    S.PAID: frozenset({S.REFUNDED}),
    S.REFUNDED: frozenset(),
    S.WAIVED: frozenset(),
    S.CANCELLED: frozenset(),
}
# A payment in one of these states is settled: nothing is owed any more.
SETTLED = frozenset({S.PAID, S.WAIVED})
# States a payment can still leave (the nightly provider check looks at these).
UNSETTLED = frozenset({S.OPEN, S.PENDING, S.FAILED})


def allowed(current: str, target: str) -> bool:
    return target in TRANSITIONS.get(current, frozenset())
