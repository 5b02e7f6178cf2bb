"""Payment notifications per second: signed provider notifications posted to gunicorn on PostgreSQL.

Run::

    .venv/bin/python bench/payment_notifications.py [--database-url postgres://…/amtsweg_bench_pay]
        [--duration 10] [--rounds 3] [--workers 4] [--connections 8]

What it does (bounded; it stops everything it started):

1. creates a fresh PostgreSQL database (name must contain ``bench``) and migrates it;
2. per round, stores ``--payments`` open payments (e-payment provider) of one citizen at one
   authority, and writes one notification per payment ("paid", its own notification id, signed
   with HMAC-SHA256 like the provider does) to a file;
3. starts gunicorn (sync workers) on 127.0.0.1 configured with the same provider secret, and posts
   the notifications with ``wrk`` (a Lua script takes the next notification for every request), so
   every request is a first notification that really applies: signature and timestamp checked,
   payment row locked, transition stored as an event, ``payment.paid`` queued in the outbox, the
   notification logged — one transaction;
4. checks that the database holds exactly one applied notification, one "paid" event and one outbox
   message per successful request, and prints the median notifications/s over the rounds.

Needs ``wrk`` (Debian: ``apt-get install wrk``).
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from http_load import (
    REPO,
    bench_environment,
    gunicorn,
    manage,
    parse_wrk,
    postgres_database,
    postgres_version,
)

DEFAULT_URL = "postgres://amtsweg@127.0.0.1:5433/amtsweg_bench_payments"
MERCHANT = "BENCH-01"
SECRET = "bench-secret-7d2a"  # the benchmark's own provider key

PREPARE = """
import hashlib, hmac, json, os, time, uuid
from django.utils import timezone
from amtsweg.cases.tests.factories_citizen import citizen_form_version
from amtsweg.catalog.models import Service, ServiceOffering
from amtsweg.forms.models import Draft
from amtsweg.identity.models import User
from amtsweg.payments.models import Payment
from amtsweg.tenancy.models import Alliance, Authority

alliance, _ = Alliance.objects.get_or_create(slug="bench", defaults={"name": "Bench"})
authority, _ = Authority.objects.get_or_create(
    ags="05162024", defaults={"alliance": alliance, "kind": "stadt", "name": "Neuss", "slug": "neuss",
                              "regional_key": "051620024024"})
service, _ = Service.objects.get_or_create(leika_key="99115005000000",
                                           defaults={"name": "Meldebescheinigung"})
ServiceOffering.objects.get_or_create(service=service, authority=authority, defaults={"maturity": 3})
citizen, _ = User.objects.get_or_create(email="bench@example.org", defaults={"username": "bench@example.org",
                                                                            "kind": "citizen"})
draft = Draft.objects.create(form_version=citizen_form_version(service=service, authority=authority),
                             service=service, authority=authority, applicant=citizen, data={})
round_no = int(os.environ["BENCH_ROUND"])
payments = Payment.objects.bulk_create(
    [
        Payment(authority=authority, draft=draft, payer=citizen, purpose="Bench", amount_cents=1250,
                kassenzeichen=f"B{round_no}-{n:07d}", provider="epayment", provider_reference="")
        for n in range(int(os.environ["BENCH_PAYMENTS"]))
    ],
    batch_size=2000,
)
secret = os.environ["BENCH_SECRET"].encode()
now = int(time.time())
with open(os.environ["BENCH_OUT"], "w", encoding="utf-8") as out:
    for payment in payments:
        body = json.dumps({"notification_id": f"n-{uuid.uuid4().hex}",
                           "merchant": os.environ["BENCH_MERCHANT"], "txid": str(payment.pk),
                           "kassenzeichen": payment.kassenzeichen, "status": "paid",
                           "amount": 1250, "timestamp": now}, separators=(",", ":"))
        out.write(hmac.new(secret, body.encode(), hashlib.sha256).hexdigest() + "\\t" + body + "\\n")
"""

COUNT = """
from amtsweg.outbox.models import OutboxMessage
from amtsweg.payments.models import PaymentEvent, ProviderNotification
print(ProviderNotification.objects.filter(outcome="applied").count(),
      ProviderNotification.objects.exclude(outcome="applied").count(),
      PaymentEvent.objects.filter(to_status="paid", source="notification").count(),
      OutboxMessage.objects.filter(kind="payment.paid").count())
"""

LUA = """
local lines = {}
for line in io.lines("%(file)s") do lines[#lines + 1] = line end
local counter = 0
local next_offset = 0
setup = function(thread)
  thread:set("offset", next_offset)
  next_offset = next_offset + 1
end
init = function(args)
  counter = offset
end
local stride = %(threads)d
request = function()
  counter = counter + stride
  if counter > #lines then
    return wrk.format("GET", "/bench/hello/")  -- out of notifications: counted, then rejected below
  end
  local line = lines[counter]
  local tab = string.find(line, "\\t", 1, true)
  return wrk.format("POST", "/api/v1/payments/notifications/epayment",
    {["Content-Type"] = "application/json", ["X-Epayment-Signature"] = string.sub(line, 1, tab - 1)},
    string.sub(line, tab + 1))
end
"""


def shell(env: dict[str, str], code: str) -> str:
    return subprocess.run(
        [sys.executable, "-m", "django", "shell", "-c", code],
        env=env,
        cwd=REPO,
        check=True,
        capture_output=True,
        text=True,
        timeout=600,
    ).stdout


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--database-url", default=DEFAULT_URL)
    parser.add_argument("--duration", type=float, default=10.0)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--connections", type=int, default=8)
    parser.add_argument("--workers", type=int, default=4)
    parser.add_argument("--payments", type=int, default=12000, help="payments (notifications) per round")
    args = parser.parse_args()

    rates: list[float] = []
    with postgres_database(args.database_url) as url, tempfile.TemporaryDirectory() as tmp:
        data_dir = Path(tmp)
        env = bench_environment(url, data_dir)
        env["AMTSWEG_EPAYMENT"] = json.dumps(
            {"url": "http://127.0.0.1:9", "merchant_id": MERCHANT, "secret": SECRET}
        )
        manage(env, "migrate", "--no-input", "-v", "0")
        applied_before = 0
        with gunicorn(env, "sync", args.workers, 1) as (base, _pid):
            for round_no in range(1, args.rounds + 1):
                out = data_dir / f"notifications-{round_no}.txt"
                prepare_env = {
                    **env,
                    "BENCH_ROUND": str(round_no),
                    "BENCH_PAYMENTS": str(args.payments),
                    "BENCH_SECRET": SECRET,
                    "BENCH_MERCHANT": MERCHANT,
                    "BENCH_OUT": str(out),
                }
                shell(prepare_env, PREPARE)
                script = data_dir / f"notify-{round_no}.lua"
                script.write_text(LUA % {"file": out, "threads": args.threads})
                command = ["wrk", f"-t{args.threads}", f"-c{args.connections}", f"-d{args.duration:g}s"]
                command += ["--timeout", "10s", "--latency", "-s", str(script), base]
                result = subprocess.run(
                    command, capture_output=True, text=True, check=True, timeout=args.duration + 60
                )
                sample = parse_wrk(result.stdout)
                applied, other, events, outbox = (int(v) for v in shell(env, COUNT).split()[-4:])
                new = applied - applied_before
                applied_before = applied
                if sample.requests > args.payments:
                    raise SystemExit(f"ran out of notifications: raise --payments above {sample.requests}")
                # wrk stops counting at the deadline; up to one request per connection is still answered.
                complete = sample.requests <= new <= sample.requests + args.connections
                if sample.errors or other or not (complete and events == outbox == applied):
                    raise SystemExit(
                        f"inconsistent: {sample.requests} requests, {sample.errors} errors, {new} applied, "
                        f"{other} not applied, {events} events, {outbox} outbox messages"
                    )
                rate = new / args.duration
                rates.append(rate)
                print(
                    f"round {round_no}: {rate:.0f} notifications/s "
                    f"(wrk {sample.requests_per_second:.0f} req/s), p50 {sample.p50_ms:.1f} ms, "
                    f"p99 {sample.p99_ms:.1f} ms, {new} applied",
                    flush=True,
                )
        print(
            f"median {statistics.median(rates):.0f} notifications/s over {args.rounds} rounds "
            f"(gunicorn {args.workers} sync workers, wrk {args.threads} threads / "
            f"{args.connections} connections, {postgres_version(url)})"
        )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
