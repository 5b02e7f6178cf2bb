"""Submission throughput: validated POST → case created → outbox queued, through the real HTTP API.

Run::

    .venv/bin/python bench/submission.py [--database postgres|sqlite] [--duration 10] [--rounds 3]

What it does (bounded; it stops everything it started):

1. creates a fresh database (PostgreSQL by default: ``--database-url``, default
   ``postgres://amtsweg@127.0.0.1:5433/amtsweg_bench``, whose name must contain ``bench``), migrates it
   and loads the demo (curated catalogue) including the published demo forms;
2. prepares ``--drafts`` complete drafts of the demo form "Melderegisterauskunft" (Neuss) for one
   citizen, and an API token for that citizen;
3. starts gunicorn (``--workers`` sync workers) on 127.0.0.1 and drives
   ``POST /api/v1/applications/<id>/submit`` with ``wrk`` and a Lua script that takes a new draft for
   every request, so every request is a first submission: the full form is validated again, the
   submission and the case are stored with a gap-free reference number, and two outbox messages
   (receipt PDF, e-mail) are queued in the same transaction. No worker runs during the measurement;
4. checks afterwards that the database holds exactly one case per successful request and two outbox
   messages per case, and reports requests/s (median over rounds) and latency.

Needs ``wrk`` (Debian: ``apt-get install wrk``).
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import platform
import shutil
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from http_load import (
    DEFAULT_POSTGRES_URL,
    REPO,
    bench_environment,
    gunicorn,
    manage,
    parse_wrk,
    postgres_database,
    postgres_version,
)

PREPARE = """
import json, os
from rest_framework.authtoken.models import Token
from amtsweg.catalog.models import Service
from amtsweg.forms.models import Draft, FormVersion
from amtsweg.identity.models import User
from amtsweg.tenancy.models import Authority

answers = json.loads(open(os.environ["BENCH_ANSWERS"], encoding="utf-8").read())["melderegister_1"]
service = Service.objects.get(leika_key="99115004001000")
version = FormVersion.objects.get(definition__service=service, definition__authority=None, status="published")
citizen, _ = User.objects.get_or_create(
    email="bench@example.org", defaults={"username": "bench@example.org", "kind": "citizen"}
)
token, _ = Token.objects.get_or_create(user=citizen)
neuss = Authority.objects.get(ags="05162024")
steps = [step.key for step in version.parsed.steps]
drafts = Draft.objects.bulk_create(
    [
        Draft(form_version=version, service=service, authority=neuss, applicant=citizen, data=answers,
              completed_steps=steps)
        for _ in range(int(os.environ["BENCH_DRAFTS"]))
    ],
    batch_size=2000,
)
with open(os.environ["BENCH_OUT"], "w", encoding="utf-8") as out:
    json.dump({"token": token.key, "drafts": [str(d.pk) for d in drafts]}, out)
"""

COUNT = """
from amtsweg.cases.models import Case
from amtsweg.outbox.models import OutboxMessage
print(Case.objects.count(), OutboxMessage.objects.count())
"""

LUA = """
local ids = {}
for line in io.lines("%(ids)s") do ids[#ids + 1] = line end
local counter = 0
local next_offset = 0
setup = function(thread)
  -- a global in the thread's own Lua state: each thread takes every n-th draft, from its own offset
  thread:set("offset", next_offset)
  next_offset = next_offset + 1
end
init = function(args)
  counter = offset
end
local stride = %(threads)d
request = function()
  counter = counter + stride
  local id = ids[(counter %% #ids) + 1]
  return wrk.format("POST", "/api/v1/applications/" .. id .. "/submit",
    {["Authorization"] = "Token %(token)s", ["Content-Type"] = "application/json"}, "{}")
end
"""


def run_wrk(base: str, script: Path, *, duration: float, threads: int, connections: int) -> dict[str, float]:
    command = ["wrk", f"-t{threads}", f"-c{connections}", f"-d{duration:g}s", "--timeout", "10s", "--latency"]
    command += ["-s", str(script), base]
    result = subprocess.run(command, capture_output=True, text=True, check=True, timeout=duration + 60)
    sample = parse_wrk(result.stdout)
    return {
        "requests_per_second": sample.requests_per_second,
        "p50_ms": sample.p50_ms,
        "p99_ms": sample.p99_ms,
        "requests": sample.requests,
        "errors": sample.errors,
    }


def count_rows(env: dict[str, str]) -> tuple[int, int]:
    output = subprocess.run(
        [sys.executable, "-m", "django", "shell", "-c", COUNT],
        env=env,
        cwd=REPO,
        check=True,
        capture_output=True,
        text=True,
        timeout=120,
    ).stdout.split()
    return int(output[-2]), int(output[-1])


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--database", choices=["sqlite", "postgres"], default="postgres")
    parser.add_argument("--database-url", default=None, help=f"default {DEFAULT_POSTGRES_URL}")
    parser.add_argument("--duration", type=float, default=10.0)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--threads", type=int, default=2, help="wrk threads (default 2)")
    parser.add_argument("--connections", type=int, default=8, help="wrk connections (default 8)")
    parser.add_argument("--workers", type=int, default=4, help="gunicorn sync workers (default 4)")
    parser.add_argument("--drafts", type=int, default=30000, help="drafts prepared (each submitted once)")
    parser.add_argument("--json", type=Path, default=None)
    args = parser.parse_args()
    if shutil.which("wrk") is None:
        parser.error("wrk is not installed (Debian: apt-get install wrk)")

    with tempfile.TemporaryDirectory(prefix="amtsweg-bench-") as directory:
        data_dir = Path(directory)
        if args.database == "postgres":
            database: contextlib.AbstractContextManager[str] = postgres_database(
                args.database_url or DEFAULT_POSTGRES_URL
            )
        else:
            database = contextlib.nullcontext(f"sqlite:///{data_dir / 'bench.sqlite3'}")
        with database as database_url:
            env = bench_environment(database_url, data_dir)
            print(f"Preparing {args.database} database …", flush=True)
            manage(env, "migrate", "--noinput", "-v", "0")
            manage(env, "createcachetable")
            manage(env, "load_demo", "--curated-catalog")
            prepared = data_dir / "prepared.json"
            env_prepare = dict(
                env,
                BENCH_DRAFTS=str(args.drafts),
                BENCH_OUT=str(prepared),
                BENCH_ANSWERS=str(REPO / "src/amtsweg/demo/data/demo_answers.json"),
            )
            manage(env_prepare, "shell", "-c", PREPARE)
            spec = json.loads(prepared.read_text(encoding="utf-8"))
            ids_file = data_dir / "drafts.txt"
            ids_file.write_text("\n".join(spec["drafts"]) + "\n", encoding="utf-8")
            script = data_dir / "submit.lua"
            script.write_text(
                LUA % {"ids": ids_file, "threads": args.threads, "token": spec["token"]}, encoding="utf-8"
            )
            cases_before, outbox_before = count_rows(env)
            rounds: list[dict[str, float]] = []
            with gunicorn(env, "sync", args.workers, 1) as (base, _pid):
                for number in range(1, args.rounds + 1):
                    # Each round takes fresh drafts: the Lua counter restarts, so shift the list.
                    lines = spec["drafts"][(number - 1) * len(spec["drafts"]) // args.rounds :]
                    ids_file.write_text("\n".join(lines) + "\n", encoding="utf-8")
                    sample = run_wrk(
                        base,
                        script,
                        duration=args.duration,
                        threads=args.threads,
                        connections=args.connections,
                    )
                    rounds.append(sample)
                    print(
                        f"  round {number}: {sample['requests_per_second']:.0f} submissions/s, "
                        f"p50 {sample['p50_ms']:.1f} ms, p99 {sample['p99_ms']:.1f} ms, "
                        f"{sample['requests']:.0f} requests, {sample['errors']:.0f} errors",
                        flush=True,
                    )
            cases_after, outbox_after = count_rows(env)
            new_cases = cases_after - cases_before
            new_messages = outbox_after - outbox_before
            successful = sum(int(r["requests"] - r["errors"]) for r in rounds)
            software = {"database": args.database}
            if args.database == "postgres":
                software["postgresql"] = postgres_version(database_url)
    median = statistics.median(r["requests_per_second"] for r in rounds)
    print(
        f"\nmedian {median:.0f} submissions/s over {args.rounds} rounds "
        f"({args.workers} gunicorn workers, wrk -t{args.threads} -c{args.connections}); "
        f"{new_cases} new cases for {successful} successful requests "
        "(repeats of a draft return the same case); "
        f"{new_messages} outbox messages ({new_messages / max(new_cases, 1):.1f} per case)"
    )
    if new_messages != 2 * new_cases:
        print("ERROR: outbox messages are not two per case", file=sys.stderr)
        return 1
    results = {
        "rounds": rounds,
        "median_submissions_per_second": median,
        "cases": new_cases,
        "outbox_messages": new_messages,
        "software": software,
        "machine": {
            "python": sys.version.split()[0],
            "platform": platform.platform(),
            "cpus": os.cpu_count(),
        },
    }
    if args.json:
        args.json.write_text(json.dumps(results, indent=2), encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
