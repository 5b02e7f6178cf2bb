"""HTTP load benchmark: gunicorn (2 workers) on a fresh demo database, driven by ``wrk`` on 127.0.0.1.

Run::

    .venv/bin/python bench/http_load.py [--database sqlite|postgres] [--duration 10] [--rounds 3]

What it does, start to end (bounded; it stops everything it started, also on Ctrl-C):

1. creates a fresh database: a SQLite file in a temporary directory, or for ``--database postgres``
   the database named in ``--database-url`` (default ``postgres://amtsweg@127.0.0.1:5433/amtsweg_bench``;
   its name must contain ``bench``, because it is dropped first and at the end);
2. runs ``migrate``, ``createcachetable``, ``collectstatic`` and ``load_demo`` (full catalogue when the
   shared data is there) with DEBUG and demo mode off;
3. starts gunicorn with ``bench.bench_settings`` (the production settings plus a bare
   ``/bench/hello/`` view behind the same middleware) on a free port of 127.0.0.1, once per worker
   class (``--worker-class sync``, ``gthread`` or ``both``);
4. checks that every target answers 200 with the expected content, warms every worker up, then runs
   ``wrk`` on each target in turn, ``--rounds`` times, and reports the medians of requests/s and of the
   p50/p99 latency, and the ratio of each target's requests/s to hello's in the same round.

Needs ``wrk`` (Debian: ``apt-get install wrk``). ``--json FILE`` writes the raw figures too.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import platform
import re
import resource
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from dataclasses import asdict, dataclass, field
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

REPO = Path(__file__).resolve().parent.parent
DEFAULT_POSTGRES_URL = "postgres://amtsweg@127.0.0.1:5433/amtsweg_bench"


@dataclass(frozen=True)
class Target:
    name: str
    path: str
    expect: str  # a piece of text the response body must contain


TARGETS = [
    Target("hello", "/bench/hello/", "hello"),
    Target("service detail", "/leistungen/99115005104000/", "Wo wohnen Sie?"),
    Target("service detail ?plz=41460", "/leistungen/99115005104000/?plz=41460", "Zuständig für Sie"),
    Target("search page", "/suche/?q=Auto+ummelden", "result__name"),
    Target("API search", "/api/v1/services?q=Auto+ummelden", '"leika_key"'),
]


@dataclass
class Sample:
    requests_per_second: float
    p50_ms: float
    p99_ms: float
    requests: int
    errors: int  # socket errors plus non-2xx/3xx responses
    background: float = float("nan")  # CPU share busy with other processes just before the run
    foreign: float = float("nan")  # CPU share used by other processes than server and wrk during it


@dataclass
class Summary:
    target: str
    path: str
    samples: list[Sample] = field(default_factory=list)
    ratios: list[float] = field(default_factory=list)  # requests/s relative to hello, per round

    def median(self, attribute: str) -> float:
        return statistics.median(getattr(sample, attribute) for sample in self.samples)


# --- processes -------------------------------------------------------------------------------------


def bench_environment(database_url: str, data_dir: Path) -> dict[str, str]:
    env = dict(os.environ)
    env.update(
        {
            "DJANGO_SETTINGS_MODULE": "bench.bench_settings",
            "PYTHONPATH": os.pathsep.join([str(REPO), str(REPO / "src")]),
            "DATABASE_URL": database_url,
            "AMTSWEG_DEBUG": "false",
            "AMTSWEG_DEMO_MODE": "false",
            "AMTSWEG_HTTPS": "false",
            "AMTSWEG_ALLOWED_HOSTS": "127.0.0.1",
            "AMTSWEG_DATA_DIR": str(data_dir),
            "AMTSWEG_STATIC_ROOT": str(data_dir / "static"),
            "AMTSWEG_MEDIA_ROOT": str(data_dir / "media"),
            "AMTSWEG_LOG_LEVEL": "WARNING",
        }
    )
    env.pop("AMTSWEG_REDIS_URL", None)  # the default database cache, as in a plain installation
    return env


def manage(env: dict[str, str], *arguments: str) -> None:
    started = time.perf_counter()
    subprocess.run(
        [sys.executable, "-m", "django", *arguments],
        env=env,
        check=True,
        cwd=REPO,
        stdout=subprocess.DEVNULL,
        timeout=900,
    )
    print(f"  {' '.join(arguments)}: {time.perf_counter() - started:.1f} s", flush=True)


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def fetch(url: str, timeout: float = 30.0) -> tuple[int, str]:
    try:
        with urllib.request.urlopen(url, timeout=timeout) as response:  # noqa: S310 (own server)
            return int(response.status), response.read().decode("utf-8", "replace")
    except urllib.error.HTTPError as error:
        return int(error.code), error.read().decode("utf-8", "replace")


@contextlib.contextmanager
def gunicorn(env: dict[str, str], worker_class: str, workers: int, threads: int) -> Iterator[tuple[str, int]]:
    """A running gunicorn; yields its base URL and process id, stops it (SIGTERM, then SIGKILL) at the end."""
    port = free_port()
    command = [
        sys.executable,
        "-m",
        "gunicorn",
        "amtsweg.wsgi:application",
        "--bind",
        f"127.0.0.1:{port}",
        "--workers",
        str(workers),
        "--worker-class",
        worker_class,
        "--timeout",
        "60",
        "--graceful-timeout",
        "5",
        "--log-level",
        "warning",
    ]
    if worker_class == "gthread":
        command += ["--threads", str(threads)]
    process = subprocess.Popen(command, env=env, cwd=REPO, start_new_session=True)
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            if process.poll() is not None:
                raise RuntimeError(f"gunicorn exited with status {process.returncode}")
            with contextlib.suppress(OSError):
                if fetch(base + "/bench/hello/", timeout=5)[0] == 200:
                    break
            if time.monotonic() > deadline:
                raise RuntimeError("gunicorn did not answer within 60 s")
            time.sleep(0.2)
        yield base, process.pid
    finally:
        if process.poll() is None:
            os.killpg(process.pid, signal.SIGTERM)
            try:
                process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                os.killpg(process.pid, signal.SIGKILL)
                process.wait(timeout=5)


# --- background load -----------------------------------------------------------------------------


def _cpu_times() -> tuple[int, int]:
    """(busy, total) jiffies of all CPUs from /proc/stat."""
    fields = [int(value) for value in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:]]
    idle = fields[3] + fields[4]  # idle + iowait
    total = sum(fields[:8])  # without guest times, which are counted in user already
    return total - idle, total


def background_busy(interval: float = 1.0) -> float:
    """Share of all CPUs busy during ``interval`` seconds (0..1); the server is idle then, so this is
    load from other processes on the machine. NaN where /proc/stat is unavailable."""
    try:
        busy_before, total_before = _cpu_times()
        time.sleep(interval)
        busy_after, total_after = _cpu_times()
    except OSError:
        return float("nan")
    return (busy_after - busy_before) / max(1, total_after - total_before)


def _ticks(pid: int | str) -> int:
    """utime + stime (clock ticks) of one process; 0 if it is gone."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        return int(fields[11]) + int(fields[12])
    except (OSError, IndexError, ValueError):
        return 0


def _postgres_pids() -> list[str]:
    pids = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            with contextlib.suppress(OSError):
                if (entry / "comm").read_text().strip() == "postgres":
                    pids.append(entry.name)
    return pids


def _our_ticks(server_pid: int, postgres: bool) -> dict[str, int]:
    """CPU ticks of the system under test: gunicorn (master and live workers), the PostgreSQL server
    processes when ``postgres``, and the finished children of this script (wrk) under the key ``wrk``."""
    pids: list[int | str] = [server_pid]
    with contextlib.suppress(OSError):
        pids += Path(f"/proc/{server_pid}/task/{server_pid}/children").read_text().split()
    if postgres:
        pids += _postgres_pids()
    ticks = {str(pid): _ticks(pid) for pid in pids}
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    ticks["wrk"] = round((usage.ru_utime + usage.ru_stime) * os.sysconf("SC_CLK_TCK"))
    return ticks


@contextlib.contextmanager
def foreign_load(server_pid: int, postgres: bool) -> Iterator[list[float]]:
    """Measures, around its block, the CPU share used by other processes than the system under test
    (see :func:`_our_ticks`); the figure is appended to the yielded list."""
    result: list[float] = []
    try:
        busy_before, total_before = _cpu_times()
    except OSError:
        yield result
        result.append(float("nan"))
        return
    before = _our_ticks(server_pid, postgres)
    yield result
    busy_after, total_after = _cpu_times()
    after = _our_ticks(server_pid, postgres)
    ours = sum(value - before.get(key, 0) for key, value in after.items())
    result.append(max(0.0, (busy_after - busy_before - ours) / max(1, total_after - total_before)))


def wait_for_quiet(limit: float, patience: float) -> float:
    """Waits (up to ``patience`` seconds) until the machine is at most ``limit`` busy; the last reading."""
    deadline = time.monotonic() + patience
    busy = background_busy()
    while busy > limit and time.monotonic() < deadline:
        busy = background_busy()
    return busy


# --- wrk ---------------------------------------------------------------------------------------------

_UNITS_MS = {"us": 0.001, "ms": 1.0, "s": 1000.0, "m": 60000.0}


def _ms(text: str) -> float:
    match = re.fullmatch(r"([\d.]+)(us|ms|s|m)", text)
    if not match:
        raise ValueError(f"unexpected latency {text!r} in wrk output")
    return float(match.group(1)) * _UNITS_MS[match.group(2)]


def parse_wrk(output: str) -> Sample:
    rps = re.search(r"Requests/sec:\s+([\d.]+)", output)
    p50 = re.search(r"^\s+50%\s+(\S+)", output, re.MULTILINE)
    p99 = re.search(r"^\s+99%\s+(\S+)", output, re.MULTILINE)
    total = re.search(r"(\d+) requests in", output)
    if not (rps and p50 and p99 and total):
        raise ValueError(f"could not read wrk output:\n{output}")
    errors = 0
    socket_errors = re.search(r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", output)
    if socket_errors:
        errors += sum(int(value) for value in socket_errors.groups())
    non_2xx = re.search(r"Non-2xx or 3xx responses: (\d+)", output)
    if non_2xx:
        errors += int(non_2xx.group(1))
    return Sample(
        requests_per_second=float(rps.group(1)),
        p50_ms=_ms(p50.group(1)),
        p99_ms=_ms(p99.group(1)),
        requests=int(total.group(1)),
        errors=errors,
    )


def wrk(url: str, *, duration: float, threads: int, connections: int, script: Path | None = None) -> Sample:
    """One ``wrk`` run against ``url`` (with a Lua ``script`` that makes the requests, if given)."""
    command = [
        "wrk",
        f"-t{threads}",
        f"-c{connections}",
        f"-d{duration:g}s",
        "--timeout",
        "10s",
        "--latency",
        *(["-s", str(script)] if script else []),
        url,
    ]
    result = subprocess.run(command, capture_output=True, text=True, check=True, timeout=duration + 60)
    return parse_wrk(result.stdout)


# --- databases ------------------------------------------------------------------------------------


def bench_database(kind: str, url: str | None, data_dir: Path) -> contextlib.AbstractContextManager[str]:
    """The benchmark's database URL: a fresh SQLite file in ``data_dir``, or a fresh PostgreSQL database
    (``url``, else ``DATABASE_URL`` if it is PostgreSQL, else the default) dropped afterwards."""
    if kind == "postgres":
        env_url = os.environ.get("DATABASE_URL", "")
        return postgres_database(url or (env_url if env_url.startswith("postgres") else DEFAULT_POSTGRES_URL))
    return contextlib.nullcontext(f"sqlite:///{data_dir / 'bench.sqlite3'}")


@contextlib.contextmanager
def postgres_database(url: str) -> Iterator[str]:
    """(Re)creates the database named in ``url``, yields ``url`` and drops the database afterwards."""
    import psycopg
    from psycopg import sql

    parts = urlsplit(url)
    name = parts.path.lstrip("/")
    if "bench" not in name:
        raise SystemExit(f"refusing to drop and recreate database {name!r}: its name must contain 'bench'")
    admin_url = urlunsplit(
        (
            parts.scheme.replace("postgres", "postgresql", 1) if parts.scheme == "postgres" else parts.scheme,
            parts.netloc,
            "/postgres",
            parts.query,
            "",
        )
    )

    def run(statement: sql.Composed) -> None:
        with psycopg.connect(admin_url, autocommit=True) as connection:
            connection.execute(statement)

    drop = sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name))
    run(drop)
    run(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
    try:
        yield url
    finally:
        run(drop)


def postgres_version(url: str) -> str:
    import psycopg

    parts = urlsplit(url)
    with psycopg.connect(urlunsplit(("postgresql", parts.netloc, parts.path, parts.query, ""))) as connection:
        row = connection.execute("SHOW server_version").fetchone()
    return str(row[0]) if row else "?"


# --- the run ----------------------------------------------------------------------------------------


def check_targets(base: str) -> None:
    for target in TARGETS:
        status, body = fetch(base + target.path)
        if status != 200 or target.expect not in body:
            raise RuntimeError(
                f"{target.path}: status {status}, expected text {target.expect!r} "
                f"{'found' if target.expect in body else 'missing'}"
            )


def measure(base: str, server_pid: int, args: argparse.Namespace) -> list[Summary]:
    check_targets(base)
    # Warm-up: every worker builds its search index and its template cache before anything is timed.
    for target in TARGETS:
        wrk(base + target.path, duration=args.warmup, threads=args.threads, connections=args.connections)
    summaries = [Summary(target.name, target.path) for target in TARGETS]
    for round_number in range(1, args.rounds + 1):
        hello_rps = 0.0
        for target, summary in zip(TARGETS, summaries, strict=True):
            sample = None
            for _attempt in range(1 + args.retries):
                background = wait_for_quiet(args.quiet_limit, args.quiet_patience)
                with foreign_load(server_pid, args.database == "postgres") as foreign:
                    attempt = wrk(
                        base + target.path,
                        duration=args.duration,
                        threads=args.threads,
                        connections=args.connections,
                    )
                attempt.background, attempt.foreign = background, foreign[0]
                if sample is None or attempt.foreign < sample.foreign:
                    sample = attempt  # of a disturbed run and its repetitions, the least disturbed counts
                if not attempt.foreign > args.quiet_limit:
                    break
                print(
                    f"  (other processes used {attempt.foreign:.0%} of the CPUs during {target.name}: "
                    "repeated)",
                    flush=True,
                )
            assert sample is not None
            if target.name == "hello":
                hello_rps = sample.requests_per_second
            summary.samples.append(sample)
            summary.ratios.append(sample.requests_per_second / hello_rps if hello_rps else float("nan"))
            flag = f"  ERRORS: {sample.errors}" if sample.errors else ""
            print(
                f"  round {round_number}  {target.name:28} {sample.requests_per_second:8.1f} req/s  "
                f"p50 {sample.p50_ms:6.2f} ms  p99 {sample.p99_ms:7.2f} ms  "
                f"(other processes: {sample.background:.0%} before, {sample.foreign:.0%} during){flag}",
                flush=True,
            )
    return summaries


def table(summaries: list[Summary]) -> str:
    lines = [
        "| Target | req/s (median) | req/s (min–max) | p50 ms | p99 ms | ratio to hello | errors "
        "| other load (max) |",
        "|---|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for summary in summaries:
        errors = sum(sample.errors for sample in summary.samples)
        rates = [sample.requests_per_second for sample in summary.samples]
        lines.append(
            f"| {summary.target} (`{summary.path}`) | {summary.median('requests_per_second'):.0f} | "
            f"{min(rates):.0f}–{max(rates):.0f} | "
            f"{summary.median('p50_ms'):.2f} | {summary.median('p99_ms'):.2f} | "
            f"{statistics.median(summary.ratios):.3f} | {errors} | "
            f"{max(sample.foreign for sample in summary.samples):.0%} |"
        )
    return "\n".join(lines)


def software_versions(database: str, database_url: str) -> dict[str, str]:
    import django
    import gunicorn as gunicorn_package

    wrk_version = subprocess.run(["wrk", "--version"], capture_output=True, text=True, check=False)
    versions = {
        "python": platform.python_version(),
        "django": django.get_version(),
        "gunicorn": gunicorn_package.__version__,
        "wrk": (wrk_version.stdout or wrk_version.stderr).split("[")[0].strip(),
    }
    if database == "postgres":
        versions["postgresql"] = postgres_version(database_url)
    else:
        import sqlite3

        versions["sqlite"] = sqlite3.sqlite_version
    return versions


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--database", choices=["sqlite", "postgres"], default="sqlite")
    parser.add_argument(
        "--database-url",
        default=None,
        help=f"PostgreSQL only; default $DATABASE_URL if it is PostgreSQL, else {DEFAULT_POSTGRES_URL}",
    )
    parser.add_argument("--duration", type=float, default=10.0, help="seconds per wrk run (default 10)")
    parser.add_argument("--warmup", type=float, default=3.0, help="seconds of untimed warm-up per target")
    parser.add_argument("--rounds", type=int, default=3, help="rounds over all targets (default 3)")
    parser.add_argument("--threads", type=int, default=2, help="wrk threads (default 2)")
    parser.add_argument("--connections", type=int, default=16, help="wrk connections (default 16)")
    parser.add_argument("--workers", type=int, default=2, help="gunicorn workers (default 2)")
    parser.add_argument("--worker-class", choices=["sync", "gthread", "both"], default="sync")
    parser.add_argument(
        "--gthread-threads", type=int, default=4, help="threads per gthread worker (default 4)"
    )
    parser.add_argument(
        "--quiet-limit",
        type=float,
        default=0.15,
        help="before each run wait until other processes use at most this CPU share (default 0.15)",
    )
    parser.add_argument(
        "--quiet-patience", type=float, default=60.0, help="but wait at most this many seconds (default 60)"
    )
    parser.add_argument(
        "--retries",
        type=int,
        default=2,
        help="repeat a run during which other processes used more than --quiet-limit "
        "at most this often, keeping the least disturbed (default 2)",
    )
    parser.add_argument("--json", type=Path, default=None, help="also write the raw figures to this file")
    args = parser.parse_args()
    if shutil.which("wrk") is None:
        parser.error("wrk is not installed (Debian: apt-get install wrk)")

    sys.path[:0] = [str(REPO), str(REPO / "src")]
    results: dict[str, object] = {}
    with tempfile.TemporaryDirectory(prefix="amtsweg-bench-") as directory:
        data_dir = Path(directory)
        with bench_database(args.database, args.database_url, data_dir) as database_url:
            env = bench_environment(database_url, data_dir)
            print(f"Preparing {args.database} database …", flush=True)
            manage(env, "migrate", "--noinput", "-v", "0")
            manage(env, "createcachetable")
            manage(env, "collectstatic", "--noinput", "-v", "0")
            manage(env, "load_demo")
            results["software"] = software_versions(args.database, database_url)
            classes = ["sync", "gthread"] if args.worker_class == "both" else [args.worker_class]
            for worker_class in classes:
                threads = f" ({args.gthread_threads} threads)" if worker_class == "gthread" else ""
                label = worker_class + threads
                print(
                    f"\ngunicorn, {args.workers} × {label} workers; wrk -t{args.threads} "
                    f"-c{args.connections} -d{args.duration:g}s, {args.rounds} rounds",
                    flush=True,
                )
                with gunicorn(env, worker_class, args.workers, args.gthread_threads) as (base, server_pid):
                    summaries = measure(base, server_pid, args)
                print(
                    f"\n### {args.database}, gunicorn {args.workers} × {label}\n\n{table(summaries)}\n",
                    flush=True,
                )
                results[worker_class] = [asdict(summary) for summary in summaries]
    results["settings"] = {key: value for key, value in vars(args).items() if key != "json"}
    results["machine"] = {
        "python": sys.version.split()[0],
        "platform": platform.platform(),
        "cpus": os.cpu_count(),
    }
    if args.json is not None:
        args.json.write_text(json.dumps(results, indent=2, default=str), encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
