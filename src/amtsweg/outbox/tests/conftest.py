from collections.abc import Iterator
from pathlib import Path

import pytest

from amtsweg.outbox.testing import smtp_server

from .processes import Processes

__all__ = ["smtp_server", "workers"]


@pytest.fixture
def workers(tmp_path: Path) -> Iterator[Processes]:
    """Starts ``amtsweg`` commands as processes; whatever still runs at the end of the test is killed."""
    started = Processes(tmp_path)
    try:
        yield started
    finally:
        started.stop_all()
