"""Settings for the HTTP load benchmark (bench/http_load.py): the production settings, plus a bare
``/bench/hello/`` view that goes through the same middleware stack as every other page."""

from amtsweg.settings import *  # noqa: F403

ROOT_URLCONF = "bench.bench_urls"
