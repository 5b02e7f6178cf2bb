"""Registers the register's worker tasks, process actions and submission check on import (apps.ready).

Each part keeps its code in its own module; importing them here is what registers them."""

from . import (  # noqa: F401  (online Auskunft: process actions, submission check, notice PDF)
    actions,
    checks,
    handlers_capture,
    pdf,
    xbau,
)
