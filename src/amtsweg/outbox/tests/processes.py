"""Helpers for tests that run ``amtsweg`` commands as real processes on the test's database."""

from __future__ import annotations

import os
import sqlite3
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any
from urllib.parse import quote

from django.db import connection

from amtsweg.outbox.models import OutboxMessage
from amtsweg.outbox.testing import SMTPCapture

TIMEOUT = 20.0


@dataclass
class SharedDatabase:
    """The test database as the worker processes see it."""

    url: str
    sqlite_file: Path | None

    def message(self, pk: int) -> dict[str, Any]:
        if self.sqlite_file is None:
            return dict(OutboxMessage.objects.filter(pk=pk).values().get())
        with sqlite3.connect(self.sqlite_file) as db:
            db.row_factory = sqlite3.Row
            row = db.execute("SELECT * FROM outbox_outboxmessage WHERE id = ?", (pk,)).fetchone()
            return dict(row)


def share_database(tmp_path: Path) -> SharedDatabase:
    settings = connection.settings_dict
    if connection.vendor == "sqlite":
        # The SQLite test database lives in memory; the workers get a file copy of it, data included.
        path = tmp_path / "worker.sqlite3"
        connection.ensure_connection()
        with sqlite3.connect(path) as target:
            connection.connection.backup(target)
        return SharedDatabase(f"sqlite:///{path}", path)
    user = quote(settings["USER"] or "", safe="")
    password = f":{quote(settings['PASSWORD'], safe='')}" if settings["PASSWORD"] else ""
    host = f"{settings['HOST'] or '127.0.0.1'}:{settings['PORT'] or 5432}"
    url = f"postgres://{user}{password}@{host}/{settings['NAME']}"
    return SharedDatabase(url, None)


class Processes:
    """Starts ``amtsweg`` commands (workers, the server) as processes; kills what still runs at the end."""

    def __init__(self, tmp_path: Path) -> None:
        self.tmp_path = tmp_path
        self.processes: list[subprocess.Popen[bytes]] = []
        self._logs: list[IO[bytes]] = []

    def start(
        self, database: SharedDatabase, smtp: SMTPCapture, command: list[str]
    ) -> subprocess.Popen[bytes]:
        env = {
            **os.environ,
            "DJANGO_SETTINGS_MODULE": "amtsweg.outbox.tests.process_settings",
            "DATABASE_URL": database.url,
            "AMTSWEG_EMAIL_BACKEND": "django.core.mail.backends.smtp.EmailBackend",
            "AMTSWEG_EMAIL_HOST": smtp.host,
            "AMTSWEG_EMAIL_PORT": str(smtp.port),
        }
        log = (self.tmp_path / f"process-{len(self.processes) + 1}.log").open("wb")
        self._logs.append(log)
        process = subprocess.Popen(
            [sys.executable, "-m", "amtsweg", *command],
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
        self.processes.append(process)
        return process

    def logs(self) -> str:
        return "\n".join(
            path.read_text(errors="replace") for path in sorted(self.tmp_path.glob("process-*.log"))
        )

    def stop_all(self) -> None:
        for process in self.processes:
            if process.poll() is None:
                process.kill()
            process.wait()
        for log in self._logs:
            log.close()
