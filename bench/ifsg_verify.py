"""Verification of certificates (§ 43 IfSG) under load: gunicorn (2 sync workers) and ``wrk`` on 127.0.0.1.

Run::

    .venv/bin/python bench/ifsg_verify.py [--database sqlite|postgres] [--count 10000] [--duration 10]
        [--rounds 3] [--json FILE]

Target: ≥ 1,000 requests/s for ``GET /api/v1/verify/<code>`` on 2 workers. Reuses the helpers of
``bench/http_load.py`` (environment, gunicorn, wrk, background-load check). Start to end:

1. a fresh database (SQLite in a temporary directory, or the PostgreSQL database of
   ``--database-url``, whose name must contain ``bench``): ``migrate``, ``createcachetable``,
   ``collectstatic``;
2. a world and the health office as the demo sets it up; one instruction that passed, submitted
   through ``submission_submit`` so that its process issues the certificate, rendered by the worker's
   ``notice_render``; then ``--count - 1`` further issued certificates (copies of that notice with
   their own signed codes and holders, bulk-inserted: verification reads the notice only);
3. the throughput rounds: gunicorn with the settings ``bench.bench_settings`` plus a burst guard
   opened wide (``NOTICE_VERIFY_BURST`` and ``NOTICE_VERIFY_REFILL`` = 10^9) — ``wrk`` comes from one
   address, and the guard exists precisely to stop one address sending this much. The failure limit
   stays at its default; every code is valid, so it never counts. A Lua script rotates every
   connection through all codes. Targets: the API and the page, ``--rounds`` rounds each; medians of
   requests/s, p50, p99, and the share of 429 answers;
4. one flood round with the default settings (burst 200, refill 10/s per worker process): the same
   ``wrk`` run against the API, to show the limiter cutting a flood from one address (share of 429).

Stops everything it started, also on Ctrl-C. Needs ``wrk`` (Debian: ``apt-get install wrk``).
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(REPO), str(REPO / "src")]

from bench.http_load import (  # noqa: E402
    DEFAULT_POSTGRES_URL,
    bench_database,
    bench_environment,
    fetch,
    foreign_load,
    gunicorn,
    manage,
    parse_wrk,
    software_versions,
    wait_for_quiet,
)

LUA = """
local codes = {}
for line in io.lines("%(codes)s") do codes[#codes + 1] = line end
local prefix = "%(prefix)s"
local counter = 0
function init(args)
  counter = math.random(#codes)
end
function request()
  counter = counter %% #codes + 1
  return wrk.format("GET", prefix .. codes[counter])
end
"""

OPEN_GUARD = """from bench.bench_settings import *  # noqa: F403

# wrk sends everything from one address: open the per-address burst guard for the throughput rounds.
NOTICE_VERIFY_BURST = 10**9
NOTICE_VERIFY_REFILL = 10.0**9
"""


@dataclass
class Round:
    requests_per_second: float
    p50_ms: float
    p99_ms: float
    requests: int
    non_2xx: int
    socket_errors: int
    limited_share: float  # share of answers that were not 2xx (all 429 here: every code is valid)
    foreign: float = float("nan")


@dataclass
class Summary:
    target: str
    path: str
    settings: str
    rounds: list[Round] = field(default_factory=list)

    def median(self, attribute: str) -> float:
        return statistics.median(getattr(r, attribute) for r in self.rounds)


# --- preparing the database (runs in a child process with the bench environment) ---------------


def prepare(count: int, codes_file: Path) -> None:
    """A world, the health office, one certificate through the process, ``count - 1`` copies; codes out."""
    import django

    django.setup()
    from django.conf import settings

    from amtsweg.ifsg.models import Certificate
    from amtsweg.ifsg.tests.factories import ifsg_setup
    from amtsweg.ifsg.tests.test_certificates import passed_instruction, submit
    from amtsweg.notices.models import Notice
    from amtsweg.notices.services import notice_render
    from amtsweg.notices.verification import format_code, new_code
    from amtsweg.testing import make_world

    settings.MEDIA_ROOT = os.environ["AMTSWEG_MEDIA_ROOT"]
    world = make_world()
    setup = ifsg_setup(world)
    case = submit(world, passed_instruction(world, setup))
    first = Certificate.objects.get(instruction__case=case).notice
    rendered = notice_render(notice_id=first.pk)
    assert rendered is not None and rendered.status == Notice.Status.ISSUED
    seen = {first.code}
    copies = []
    while len(copies) < count - 1:
        code = new_code()
        if code in seen:
            continue
        seen.add(code)
        copies.append(
            Notice(
                case=rendered.case,
                authority=rendered.authority,
                template=rendered.template,
                code=code,
                subject=rendered.subject,
                decision=rendered.decision,
                body=rendered.body,
                legal_remedy=rendered.legal_remedy,
                issued_at=rendered.issued_at,
                holder={"name": f"Person {len(copies) + 2}", "birth_year": 1960 + len(copies) % 45},
                status=Notice.Status.ISSUED,
                document=rendered.document,
            )
        )
    Notice.objects.bulk_create(copies, batch_size=1000)
    codes = list(Notice.objects.filter(status=Notice.Status.ISSUED).values_list("code", flat=True))
    codes_file.write_text("\n".join(format_code(code) for code in codes) + "\n", encoding="ascii")
    print(f"  {len(codes)} issued certificates", flush=True)


# --- measuring ------------------------------------------------------------------------------------


def wrk_round(base: str, script: Path, *, duration: float, threads: int, connections: int) -> Round:
    command = [
        "wrk",
        f"-t{threads}",
        f"-c{connections}",
        f"-d{duration:g}s",
        "--timeout",
        "10s",
        "--latency",
        "-s",
        str(script),
        base,
    ]
    output = subprocess.run(command, capture_output=True, text=True, check=True, timeout=duration + 60).stdout
    sample = parse_wrk(output)
    non_2xx = re.search(r"Non-2xx or 3xx responses: (\d+)", output)
    limited = int(non_2xx.group(1)) if non_2xx else 0
    return Round(
        requests_per_second=sample.requests_per_second,
        p50_ms=sample.p50_ms,
        p99_ms=sample.p99_ms,
        requests=sample.requests,
        non_2xx=limited,
        socket_errors=sample.errors - limited,
        limited_share=limited / sample.requests if sample.requests else float("nan"),
    )


def lua_script(directory: Path, codes_file: Path, prefix: str) -> Path:
    script = directory / f"rotate{prefix.replace('/', '_')}.lua"
    script.write_text(LUA % {"codes": codes_file, "prefix": prefix}, encoding="utf-8")
    return script


def check(base: str, codes_file: Path) -> None:
    code = codes_file.read_text(encoding="ascii").split()[-1]
    status, body = fetch(f"{base}/api/v1/verify/{code}")
    if status != 200 or '"status":"valid"' not in body.replace(" ", "") or '"holder"' not in body:
        raise RuntimeError(f"API: status {status}: {body[:300]}")
    status, body = fetch(f"{base}/verify/{code}")
    if status != 200 or "Die Bescheinigung ist echt." not in body:
        raise RuntimeError(f"page: status {status}")


def run_rounds(
    base: str, server_pid: int, summaries: list[tuple[Summary, Path]], args: argparse.Namespace, rounds: int
) -> None:
    for number in range(1, rounds + 1):
        for summary, script in summaries:
            wait_for_quiet(args.quiet_limit, args.quiet_patience)
            with foreign_load(server_pid, args.database == "postgres") as foreign:
                result = wrk_round(
                    base, script, duration=args.duration, threads=args.threads, connections=args.connections
                )
            result.foreign = foreign[0]
            summary.rounds.append(result)
            print(
                f"  round {number}  {summary.target:34} {result.requests_per_second:8.1f} req/s  "
                f"p50 {result.p50_ms:6.2f} ms  p99 {result.p99_ms:7.2f} ms  429: {result.limited_share:6.1%}"
                f"  errors {result.socket_errors}  (other processes {result.foreign:.0%})",
                flush=True,
            )


def table(summaries: list[Summary]) -> str:
    lines = [
        "| Target | settings | req/s (median) | req/s (min–max) | p50 ms | p99 ms | 429 share "
        "| other load (max) |",
        "|---|---|---:|---:|---:|---:|---:|---:|",
    ]
    for summary in summaries:
        rates = [r.requests_per_second for r in summary.rounds]
        lines.append(
            f"| {summary.target} (`{summary.path}`) | {summary.settings} | "
            f"{summary.median('requests_per_second'):.0f} | {min(rates):.0f}–{max(rates):.0f} | "
            f"{summary.median('p50_ms'):.2f} | {summary.median('p99_ms'):.2f} | "
            f"{summary.median('limited_share'):.1%} | {max(r.foreign for r in summary.rounds):.0%} |"
        )
    return "\n".join(lines)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--database", choices=["sqlite", "postgres"], default="sqlite")
    parser.add_argument(
        "--database-url", default=None, help=f"PostgreSQL only (default {DEFAULT_POSTGRES_URL})"
    )
    parser.add_argument("--count", type=int, default=10_000, help="issued certificates (default 10,000)")
    parser.add_argument("--duration", type=float, default=10.0, help="seconds per wrk run (default 10)")
    parser.add_argument("--warmup", type=float, default=3.0, help="seconds of untimed warm-up per target")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--threads", type=int, default=2, help="wrk threads (default 2)")
    parser.add_argument("--connections", type=int, default=16, help="wrk connections (default 16)")
    parser.add_argument("--workers", type=int, default=2, help="gunicorn sync workers (default 2)")
    parser.add_argument("--quiet-limit", type=float, default=0.15)
    parser.add_argument("--quiet-patience", type=float, default=30.0)
    parser.add_argument("--json", type=Path, default=None)
    parser.add_argument("--prepare", type=Path, default=None, help=argparse.SUPPRESS)  # the child step
    args = parser.parse_args()
    if args.prepare is not None:
        prepare(args.count, args.prepare)
        return 0
    if shutil.which("wrk") is None:
        parser.error("wrk is not installed (Debian: apt-get install wrk)")

    results: dict[str, object] = {}
    with tempfile.TemporaryDirectory(prefix="amtsweg-bench-verify-") as directory:
        data_dir = Path(directory)
        with bench_database(args.database, args.database_url, data_dir) as database_url:
            env = bench_environment(database_url, data_dir)
            print(f"Preparing {args.database} database with {args.count} certificates …", flush=True)
            manage(env, "migrate", "--noinput", "-v", "0")
            manage(env, "createcachetable")
            manage(env, "collectstatic", "--noinput", "-v", "0")
            codes_file = data_dir / "codes.txt"
            started = time.perf_counter()
            subprocess.run(
                [sys.executable, __file__, "--prepare", str(codes_file), "--count", str(args.count)],
                env=env,
                cwd=REPO,
                check=True,
                timeout=1800,
            )
            print(f"  prepared in {time.perf_counter() - started:.1f} s", flush=True)
            results["software"] = software_versions(args.database, database_url)
            api_script = lua_script(data_dir, codes_file, "/api/v1/verify/")
            page_script = lua_script(data_dir, codes_file, "/verify/")

            (data_dir / "verify_bench_settings.py").write_text(OPEN_GUARD, encoding="utf-8")
            open_env = {
                **env,
                "DJANGO_SETTINGS_MODULE": "verify_bench_settings",
                "PYTHONPATH": os.pathsep.join([str(data_dir), env["PYTHONPATH"]]),
            }
            throughput = [
                Summary("API, valid codes", "/api/v1/verify/<code>", "burst guard open"),
                Summary("page, valid codes", "/verify/<code>", "burst guard open"),
            ]
            print(
                f"\nThroughput: gunicorn {args.workers} × sync, burst guard open; wrk -t{args.threads} "
                f"-c{args.connections} -d{args.duration:g}s, {args.rounds} rounds",
                flush=True,
            )
            with gunicorn(open_env, "sync", args.workers, 1) as (base, pid):
                check(base, codes_file)
                for script in (api_script, page_script):
                    wrk_round(
                        base, script, duration=args.warmup, threads=args.threads, connections=args.connections
                    )
                run_rounds(
                    base,
                    pid,
                    list(zip(throughput, (api_script, page_script), strict=True)),
                    args,
                    args.rounds,
                )

            flood = Summary("API, valid codes, flood", "/api/v1/verify/<code>", "defaults (burst 200, 10/s)")
            print("\nFlood from one address with the default settings (one round):", flush=True)
            with gunicorn(env, "sync", args.workers, 1) as (base, pid):
                run_rounds(base, pid, [(flood, api_script)], args, 1)
            summaries = [*throughput, flood]
            print(f"\n### {args.database}, gunicorn {args.workers} × sync, {args.count} certificates\n")
            print(table(summaries), flush=True)
            results["summaries"] = [asdict(summary) for summary in summaries]
    results["settings"] = {
        key: str(value) for key, value in vars(args).items() if key not in ("json", "prepare")
    }
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
