"""``amtsweg worker``: run background tasks (outbox deliveries, documents), the outbox recovery sweep and
the process timers (deadlines, reminders, escalations) that are due.

With the database task backend (the default) this is django-tasks-db's worker loop over all configured
queues. A second thread runs :func:`outbox_recover` at start and every ``OUTBOX_SWEEP_SECONDS``, so a
message whose task was lost (a worker killed mid-attempt, a queue that lost its contents) is delivered
anyway. SIGTERM or SIGINT stop it cleanly: the running task is finished first (a second signal aborts it).
With another task backend (RQ, Celery) that backend's own workers run the tasks; this command then
runs only the recovery sweep.
"""

from __future__ import annotations

import logging
import os
import signal
import socket
import sys
import threading
import time
from argparse import SUPPRESS, ArgumentParser
from typing import Any

from django.core.management.base import BaseCommand, CommandError
from django.db import connections
from django.utils.crypto import get_random_string
from django_tasks import DEFAULT_TASK_BACKEND_ALIAS, task_backends
from django_tasks_db.backend import DatabaseBackend
from django_tasks_db.management.commands.db_worker import Worker

from amtsweg.outbox import conf
from amtsweg.outbox.services import outbox_recover

logger = logging.getLogger("amtsweg.outbox")


class RecoverySweep(threading.Thread):
    """Runs the outbox recovery every ``interval`` seconds; stops the process when its parent is gone."""

    def __init__(self, *, interval: float, parent_pid: int | None) -> None:
        super().__init__(name="outbox-recovery", daemon=True)
        self.interval = interval
        self.parent_pid = parent_pid
        self.stopped = threading.Event()

    def run(self) -> None:
        next_sweep = time.monotonic() + self.interval
        try:
            while not self.stopped.wait(min(1.0, self.interval)):
                if self.parent_pid is not None and os.getppid() != self.parent_pid:
                    logger.warning("the process that started this worker is gone; stopping")
                    os.kill(os.getpid(), signal.SIGTERM)
                    return
                if time.monotonic() >= next_sweep:
                    sweep()
                    next_sweep = time.monotonic() + self.interval
        finally:
            connections.close_all()

    def stop(self) -> None:
        self.stopped.set()
        self.join(timeout=5)


def sweep() -> None:
    """The periodic work: lost outbox messages, process timers (deadlines, escalations) now due, the
    nightly payment check, appointments (expired holds, no-shows, reminders, lead times), expired
    plate reservations and the care finder (reminders to facilities, the daily open-data release)."""
    from amtsweg.appointments.sweep import appointments_sweep
    from amtsweg.care.sweep import care_sweep
    from amtsweg.payments.check import payments_check_schedule
    from amtsweg.processes.services import process_timers_fire
    from amtsweg.vehicles.reservations import plate_reservations_expire

    for job in (
        outbox_recover,
        process_timers_fire,
        payments_check_schedule,
        appointments_sweep,
        plate_reservations_expire,
        care_sweep,
    ):
        try:
            job()
        except (
            Exception
        ):  # the next sweep tries again; a locked or briefly unreachable database is no reason to stop
            logger.exception("periodic job %s failed", job.__name__)


class Command(BaseCommand):
    help = "Run the background worker: outbox deliveries and other tasks, with the outbox recovery sweep."

    def add_arguments(self, parser: ArgumentParser) -> None:
        parser.add_argument(
            "--queues", default="", help="Comma-separated queues to work on (default: all configured queues)."
        )
        parser.add_argument(
            "--interval", type=float, default=1.0, help="Seconds to wait when no task is ready (default: 1)."
        )
        parser.add_argument(
            "--sweep-seconds",
            type=float,
            default=None,
            help="Seconds between recovery sweeps (default: OUTBOX_SWEEP_SECONDS, 60).",
        )
        parser.add_argument("--batch", action="store_true", help="Run the ready tasks, then exit.")
        parser.add_argument("--max-tasks", type=int, default=None, help="Exit after this many tasks.")
        parser.add_argument(
            "--no-startup-delay",
            action="store_false",
            dest="startup_delay",
            help="Start at once (by default a random delay below 1 s spreads workers started together).",
        )
        parser.add_argument(
            "--worker-id", default="", help="Unique id of this worker (default: host, pid, random)."
        )
        # Used by `amtsweg serve`: the worker stops when the process that started it is gone.
        parser.add_argument("--stop-with-parent", action="store_true", help=SUPPRESS)

    def handle(self, *args: Any, **options: Any) -> None:
        self._configure_logging(int(options["verbosity"]))
        backend = task_backends[DEFAULT_TASK_BACKEND_ALIAS]
        interval = options["sweep_seconds"] if options["sweep_seconds"] is not None else conf.sweep_seconds()
        if interval <= 0:
            raise CommandError("--sweep-seconds must be greater than zero")
        sweep()  # messages whose task was lost while no worker ran
        recovery = RecoverySweep(
            interval=interval, parent_pid=os.getppid() if options["stop_with_parent"] else None
        )
        if not options["batch"]:
            recovery.start()
        try:
            if isinstance(backend, DatabaseBackend):
                self._run_database_worker(backend, options)
            else:
                logger.info(
                    "tasks run by the workers of %s; this process runs the recovery sweep only", backend.alias
                )
                self._wait_for_signal()
        finally:
            if recovery.is_alive():
                recovery.stop()

    def _run_database_worker(self, backend: DatabaseBackend, options: dict[str, Any]) -> None:
        queues = [name.strip() for name in options["queues"].split(",") if name.strip()] or sorted(
            backend.queues
        )
        worker_id = (
            options["worker_id"] or f"{socket.gethostname()}-{os.getpid()}-{get_random_string(6)}"[:64]
        )
        worker = Worker(
            queue_names=queues,
            interval=options["interval"],
            batch=options["batch"],
            backend_name=backend.alias,
            startup_delay=options["startup_delay"],
            max_tasks=options["max_tasks"],
            worker_id=worker_id,
            excluded_queue_names=[],
        )
        previous = {
            number: signal.getsignal(number) for number in (signal.SIGINT, signal.SIGTERM, signal.SIGQUIT)
        }
        worker.configure_signals()
        try:
            worker.run()
        finally:
            for number, handler in previous.items():
                signal.signal(number, handler)
        logger.info("worker %s stopped", worker_id)

    def _wait_for_signal(self) -> None:
        stop = threading.Event()

        def handle(signum: int, frame: object) -> None:
            stop.set()

        signal.signal(signal.SIGTERM, handle)
        signal.signal(signal.SIGINT, handle)
        while not stop.wait(1.0):
            pass

    def _configure_logging(self, verbosity: int) -> None:
        level = {0: logging.ERROR, 1: logging.INFO}.get(verbosity, logging.DEBUG)
        for name in ("django_tasks", "django_tasks_db", "amtsweg.outbox"):
            logging.getLogger(name).setLevel(level)
        if not logging.getLogger("amtsweg.outbox").hasHandlers():
            logging.basicConfig(stream=sys.stderr, format="%(asctime)s %(levelname)s %(name)s %(message)s")
