"""Login round trip of a local citizen account: POST e-mail + password → session, through HTTP.

Run::

    .venv/bin/python bench/login.py [--database sqlite|postgres] [--logins 60] [--rounds 3]

What it does (bounded; it stops everything it started):

1. creates a fresh database (SQLite in a temporary directory by default; ``--database postgres`` uses
   ``--database-url``, whose name must contain ``bench``), migrates it and creates one confirmed
   citizen account whose password is hashed with the production hasher (Argon2id, parameters in
   ``amtsweg.identity.hashers``; printed with the result);
2. starts gunicorn (one sync worker) on 127.0.0.1;
3. per login: a new client GETs the login page (CSRF cookie and token, not timed) and POSTs the
   credentials; the timed round trip is the POST until the redirect to "Mein Konto" arrives — password
   check (Argon2id), rate-limit counters, session creation and the assurance record;
4. reports the median and the 95th percentile per round and the median of the round medians.

The login rate limit is raised for the run (it would otherwise stop the benchmark after 10 logins).
"""

from __future__ import annotations

import argparse
import contextlib
import http.cookiejar
import platform
import re
import statistics
import sys
import tempfile
import time
import urllib.parse
import urllib.request
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from http_load import DEFAULT_POSTGRES_URL, bench_environment, gunicorn, manage, postgres_database

EMAIL = "bench.login@example.org"
PASSWORD = "Bench-Login-Passwort-2026"

PREPARE = f"""
from django.utils import timezone
from amtsweg.identity.models import User
User.objects.filter(email="{EMAIL}").delete()
User.objects.create_user(
    email="{EMAIL}", password="{PASSWORD}", kind="citizen", email_verified_at=timezone.now()
)
"""


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args: object, **kwargs: object) -> None:
        return None


def one_login(base: str) -> float:
    jar = http.cookiejar.CookieJar()
    opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(jar), _NoRedirect())
    page = opener.open(base + "/konto/anmelden/", timeout=30).read().decode()
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page)
    assert token, "no CSRF token on the login page"
    body = urllib.parse.urlencode(
        {"username": EMAIL, "password": PASSWORD, "csrfmiddlewaretoken": token.group(1)}
    ).encode()
    request = urllib.request.Request(  # noqa: S310  (http://127.0.0.1 only)
        base + "/konto/anmelden/", data=body, headers={"Referer": base + "/"}
    )
    started = time.perf_counter()
    try:
        opener.open(request, timeout=30)
        raise AssertionError("login did not redirect (wrong password or rate limited?)")
    except urllib.error.HTTPError as answer:
        elapsed = time.perf_counter() - started
        status, location = answer.code, answer.headers["Location"]
    if (status, location) != (302, "/konto/"):
        raise AssertionError(f"login answered {status} {location}, not the redirect to /konto/")
    assert any(cookie.name == "sessionid" for cookie in jar), "no session cookie"
    return elapsed * 1000


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--database", choices=["sqlite", "postgres"], default="sqlite")
    parser.add_argument("--database-url", default=DEFAULT_POSTGRES_URL)
    parser.add_argument("--logins", type=int, default=60)
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="amtsweg-bench-login-") as tmp, contextlib.ExitStack() as stack:
        data_dir = Path(tmp)
        if args.database == "postgres":
            url = stack.enter_context(postgres_database(args.database_url))
        else:
            url = f"sqlite:///{data_dir / 'bench.sqlite3'}"
        env = bench_environment(url, data_dir)
        env["AMTSWEG_LOGIN_RATE_LIMIT"] = str(args.logins * args.rounds * 10)
        manage(env, "migrate", "--noinput", "-v", "0")
        manage(env, "createcachetable")
        manage(env, "shell", "-c", PREPARE)
        sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "src"))
        from amtsweg.identity.hashers import AmtswegArgon2PasswordHasher as Hasher

        print(
            f"Argon2id: time_cost={Hasher.time_cost}, memory_cost={Hasher.memory_cost} KiB, "
            f"parallelism={Hasher.parallelism}"
        )
        base, _pid = stack.enter_context(gunicorn(env, "sync", 1, 1))
        for _ in range(5):  # warm up: imports, connections, first session writes
            one_login(base)
        medians = []
        for number in range(1, args.rounds + 1):
            times = sorted(one_login(base) for _ in range(args.logins))
            median = statistics.median(times)
            p95 = times[int(len(times) * 0.95) - 1]
            medians.append(median)
            print(f"round {number}: median {median:.1f} ms, p95 {p95:.1f} ms over {args.logins} logins")
        print(
            f"login round trip ({args.database}, {platform.processor() or platform.machine()}): "
            f"median of medians {statistics.median(medians):.1f} ms"
        )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
