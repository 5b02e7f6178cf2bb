"""Settings of the processes the tests start (and kill): short lease and sweep, so they finish quickly."""

from amtsweg.settings import *  # noqa: F403

OUTBOX_LEASE_SECONDS = 2.0  # a killed worker's message is taken over after 2 s instead of 5 min
OUTBOX_SWEEP_SECONDS = 0.5
