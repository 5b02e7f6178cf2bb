"""``amtsweg serve [addr:port]``: the web server and one background worker side by side.

For the demo and small single-machine installations: one command gives a portal whose e-mails and
documents are actually delivered. The worker runs as a child process (``amtsweg worker``) and is
started again if it dies; Ctrl-C or SIGTERM stop both. Production runs the two separately (gunicorn
and ``amtsweg worker`` under systemd or in containers).
"""

from __future__ import annotations

import logging
import signal
import subprocess
import sys
import threading
from argparse import ArgumentParser
from types import FrameType
from typing import Any

from django.core.management import call_command
from django.core.management.base import BaseCommand

logger = logging.getLogger("amtsweg.outbox")

RESTART_DELAY_SECONDS = 2.0
STOP_TIMEOUT_SECONDS = 15.0


class SupervisedWorker:
    """An ``amtsweg worker`` child process, restarted when it exits while it should be running."""

    def __init__(self, arguments: list[str]) -> None:
        self.command = [sys.executable, "-m", "amtsweg", "worker", "--stop-with-parent", *arguments]
        self.process: subprocess.Popen[bytes] | None = None
        self.stopping = threading.Event()
        self.lock = threading.Lock()
        self.thread = threading.Thread(target=self._supervise, name="worker-supervisor", daemon=True)

    def start(self) -> None:
        self._spawn()
        self.thread.start()

    def _spawn(self) -> None:
        with self.lock:
            if self.stopping.is_set():
                return
            # A session of its own: Ctrl-C in the terminal reaches only this process, which then stops the
            # worker once (a second signal would abort the worker's running task).
            self.process = subprocess.Popen(self.command, start_new_session=True)  # noqa: S603
            logger.info("worker started (pid %s)", self.process.pid)

    def _supervise(self) -> None:
        while not self.stopping.is_set():
            process = self.process
            if process is not None and process.poll() is not None and not self.stopping.is_set():
                logger.warning("worker exited with status %s; starting it again", process.returncode)
                if self.stopping.wait(RESTART_DELAY_SECONDS):
                    return
                self._spawn()
            self.stopping.wait(1.0)

    def stop(self) -> int | None:
        with self.lock:
            self.stopping.set()
            process = self.process
        if process is None or process.poll() is not None:
            return process.returncode if process else None
        process.send_signal(signal.SIGTERM)
        try:
            return process.wait(timeout=STOP_TIMEOUT_SECONDS)
        except subprocess.TimeoutExpired:
            logger.warning("worker did not stop within %s s; killing it", STOP_TIMEOUT_SECONDS)
            process.kill()
            return process.wait()


def _interrupt(signum: int, frame: FrameType | None) -> None:
    raise KeyboardInterrupt


class Command(BaseCommand):
    help = "Run the web server and one background worker; Ctrl-C stops both."

    def add_arguments(self, parser: ArgumentParser) -> None:
        parser.add_argument(
            "addrport",
            nargs="?",
            default="127.0.0.1:8000",
            help="Address and port (default: 127.0.0.1:8000).",
        )
        parser.add_argument("--no-worker", action="store_true", help="Run the web server only.")

    def handle(self, *args: Any, **options: Any) -> None:
        worker = (
            None if options["no_worker"] else SupervisedWorker(["--verbosity", str(options["verbosity"])])
        )
        previous = signal.signal(signal.SIGTERM, _interrupt)
        try:
            if worker is not None:
                worker.start()
            call_command("runserver", options["addrport"], use_reloader=False, shutdown_message="Stopping…\n")
        except KeyboardInterrupt:
            pass
        finally:
            signal.signal(signal.SIGTERM, previous)
            if worker is not None:
                status = worker.stop()
                self.stdout.write(f"Worker stopped (status {status}).")
