"""Notices as PDF/A-2b: time of one notice as the worker renders it, and bulk throughput on 2 processes.

Run: ``.venv/bin/python bench/pdf_render.py [--repeat 30] [--count 200] [--processes 2] [--compare]
[--profile] [--json FILE]``. ``--count 10000`` is the full bulk run (about 35 minutes of CPU, some
330 MB of PDFs in a temporary directory that is deleted afterwards).

The notice is the figure's: two A4 pages with a 55-row fee table, letterhead, QR code, legal remedy
and signature, tagged, PDF/A-2b, fonts embedded. Everything runs on a fresh SQLite database in a
temporary directory.

* ``single``: ``notice_render`` — what the ``notice.render`` outbox handler does: load the notice,
  render the PDF, store it, create the postbox message, queue the e-mail — ``--repeat`` times in one
  long-lived process (after one warm-up), plus the split of a render into layout and writing.
* ``bulk``: ``--count`` notices rendered by a ``multiprocessing`` pool of ``--processes`` workers,
  each a long-lived process like ``amtsweg worker``; reports wall time, throughput, CPU time per
  process and how busy the cores were.
* ``--compare``: the same HTML rendered the "stock" way — a new font configuration and stylesheet
  per document and the full system fonts (DejaVu Sans Condensed) — to show what the caching and the
  shipped font subsets save.
"""

from __future__ import annotations

import argparse
import cProfile
import json
import multiprocessing
import os
import platform
import pstats
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parent.parent


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(share * (len(ordered) - 1)))]


def setup_django(directory: str) -> None:
    sys.path.insert(0, str(REPO / "src"))
    os.environ["DJANGO_SETTINGS_MODULE"] = "amtsweg.settings"
    os.environ["DATABASE_URL"] = f"sqlite:///{directory}/bench.sqlite3"
    os.environ["AMTSWEG_DATA_DIR"] = directory
    os.environ["AMTSWEG_MEDIA_ROOT"] = f"{directory}/media"
    os.environ["AMTSWEG_STATIC_ROOT"] = f"{directory}/static"
    os.environ.setdefault("AMTSWEG_LOG_LEVEL", "WARNING")
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)
    call_command("createcachetable", verbosity=0)


def make_notices(count: int) -> list[int]:
    """A world, a notice template with 55 fee lines, one issued notice and ``count - 1`` copies of it."""
    from django.db import transaction

    from amtsweg.cases.tests.factories import submit_case
    from amtsweg.notices.models import Notice, NoticeTemplate
    from amtsweg.notices.services import notice_issue
    from amtsweg.notices.tests.factories import BODY, LEGAL_REMEDY, fee_lines
    from amtsweg.notices.verification import new_code
    from amtsweg.testing import make_world

    world = make_world()
    NoticeTemplate.objects.create(
        service=world.town_service,
        decision="granted",
        subject="Festsetzung von Gebühren für die Prüfung Ihrer Unterlagen",
        body=BODY + "\n\nDie Gebühren setzen sich wie folgt zusammen.",
        legal_remedy=LEGAL_REMEDY,
        fee_lines=fee_lines(55),
    )
    case = submit_case(world)
    with transaction.atomic():
        first = notice_issue(case=case, decision="granted", actor=world.caseworker_neuss)
    copies = [
        Notice(
            case=first.case,
            authority=first.authority,
            template=first.template,
            code=new_code(),
            subject=first.subject,
            decision=first.decision,
            body=first.body,
            legal_remedy=first.legal_remedy,
            fee_lines=first.fee_lines,
            fee_total=first.fee_total,
            issued_by=first.issued_by,
            issued_at=first.issued_at,
        )
        for _ in range(count - 1)
    ]
    Notice.objects.bulk_create(copies, batch_size=500)
    return list(Notice.objects.order_by("pk").values_list("pk", flat=True))


def render_once(notice_id: int) -> tuple[float, float]:
    """Wall and CPU seconds of the worker's job for one notice (``notice_render``)."""
    from amtsweg.notices.services import notice_render

    started, cpu_started = time.perf_counter(), time.process_time()
    notice = notice_render(notice_id=notice_id)
    elapsed, cpu = time.perf_counter() - started, time.process_time() - cpu_started
    assert notice is not None and notice.document_id is not None
    return elapsed, cpu


def split_layout_and_writing(notice_id: int, repeat: int) -> tuple[float, float, float, int, int]:
    """Median milliseconds of template, layout and PDF writing of one notice; its pages and bytes."""
    from django.template.loader import render_to_string
    from weasyprint import HTML  # type: ignore[import-untyped]

    from amtsweg.notices import rendering
    from amtsweg.notices.models import Notice
    from amtsweg.notices.services import notice_pdf_context

    notice = Notice.objects.select_related(
        "case__authority", "case__service", "case__applicant", "issued_by"
    ).get(pk=notice_id)
    toolkit = rendering._toolkit()
    templating, layout, writing = [], [], []
    pages = size = 0
    for _ in range(repeat):
        started = time.perf_counter()
        html = render_to_string(
            "notices/pdf/notice.html",
            {**notice_pdf_context(notice), "title": "Bescheid", "lang": "de", "platform_name": "Amtsweg"},
        )
        laid_out = time.perf_counter()
        document = HTML(
            string=html, base_url=rendering.STATIC_DIR.as_uri() + "/", url_fetcher=toolkit.fetcher
        ).render(
            font_config=toolkit.font_config,
            stylesheets=[toolkit.stylesheet],
            pdf_variant=rendering.PDF_VARIANT,
            pdf_tags=True,
        )
        written = time.perf_counter()
        pdf = document.write_pdf(pdf_variant=rendering.PDF_VARIANT, pdf_tags=True)
        done = time.perf_counter()
        templating.append(laid_out - started)
        layout.append(written - laid_out)
        writing.append(done - written)
        pages, size = len(document.pages), len(pdf)
    return (
        statistics.median(templating) * 1000,
        statistics.median(layout) * 1000,
        statistics.median(writing) * 1000,
        pages,
        size,
    )


def stock_render_times(notice_id: int, repeat: int) -> dict[str, float]:
    """The same HTML the stock way: new font configuration and stylesheet per document, system fonts."""
    from django.template.loader import render_to_string
    from weasyprint import CSS, HTML
    from weasyprint.text.fonts import FontConfiguration  # type: ignore[import-untyped]

    from amtsweg.notices import rendering
    from amtsweg.notices.models import Notice
    from amtsweg.notices.services import notice_pdf_context

    notice = Notice.objects.get(pk=notice_id)
    html = render_to_string(
        "notices/pdf/notice.html",
        {**notice_pdf_context(notice), "title": "Bescheid", "lang": "de", "platform_name": "Amtsweg"},
    )
    css = rendering.STYLESHEET.read_text(encoding="utf-8")
    system_fonts = css.split("@page", 1)[1].replace('"Amtsweg Sans"', '"DejaVu Sans Condensed"')
    variants = {
        "stock (system fonts, nothing reused)": "@page" + system_fonts,
        "shipped subsets, nothing reused": css,
    }
    results: dict[str, float] = {}
    for label, source in variants.items():
        timings = []
        for _ in range(repeat):
            started = time.perf_counter()
            font_config = FontConfiguration()
            stylesheet = CSS(
                string=source, base_url=rendering.STATIC_DIR.as_uri() + "/", font_config=font_config
            )
            HTML(string=html, base_url=rendering.STATIC_DIR.as_uri() + "/").write_pdf(
                font_config=font_config,
                stylesheets=[stylesheet],
                pdf_variant=rendering.PDF_VARIANT,
                pdf_tags=True,
            )
            timings.append(time.perf_counter() - started)
        results[label] = statistics.median(timings) * 1000
    return results


# --- bulk: a pool of long-lived worker processes -----------------------------------------------------


def _bulk_worker_start() -> None:
    from multiprocessing import util

    from django.db import connections

    from amtsweg.notices import rendering

    connections.close_all()  # never share the parent's SQLite handle
    rendering.warm_up()
    util.Finalize(None, rendering.release, exitpriority=10)


def _run_queue_seconds() -> float:
    """Seconds this process has been runnable but waiting for a CPU (Linux schedstat; 0 elsewhere).

    On a machine shared with other work this tells CPU starvation apart from waiting on locks or I/O.
    """
    try:
        return int(Path("/proc/self/schedstat").read_text().split()[1]) / 1e9
    except (OSError, IndexError, ValueError):
        return 0.0


def _bulk_render(notice_ids: list[int]) -> tuple[int, int, float, float, float]:
    started, cpu_started, queued = time.perf_counter(), time.process_time(), _run_queue_seconds()
    for notice_id in notice_ids:
        render_once(notice_id)
    return (
        os.getpid(),
        len(notice_ids),
        time.process_time() - cpu_started,
        time.perf_counter() - started,
        _run_queue_seconds() - queued,
    )


def bulk(notice_ids: list[int], processes: int) -> dict[str, Any]:
    from django.db import connections

    connections.close_all()
    chunks = [notice_ids[i : i + 10] for i in range(0, len(notice_ids), 10)]
    # pid -> [notices, CPU seconds, wall seconds at work, seconds waiting for a CPU]
    per_process: dict[int, list[float]] = {}
    context = multiprocessing.get_context("fork")
    started = time.perf_counter()
    with context.Pool(processes, initializer=_bulk_worker_start) as pool:
        for pid, count, cpu, busy, queued in pool.imap_unordered(_bulk_render, chunks):
            done = per_process.setdefault(pid, [0, 0.0, 0.0, 0.0])
            done[0] += count
            done[1] += cpu
            done[2] += busy
            done[3] += queued
    wall = time.perf_counter() - started
    cpu_total = sum(values[1] for values in per_process.values())
    return {
        "notices": len(notice_ids),
        "processes": processes,
        "wall_s": wall,
        "notices_per_s": len(notice_ids) / wall,
        "cpu_s_total": cpu_total,
        "cores_busy": cpu_total / wall,
        "load_average_after": os.getloadavg()[0],
        "per_process": [
            {
                "notices": int(count),
                "cpu_s": cpu,
                "wall_s": busy,
                "notices_per_cpu_s": count / cpu if cpu else 0.0,
                "cpu_share": cpu / busy if busy else 0.0,
                "waiting_for_cpu_s": queued,
                "other_waiting_s": max(0.0, busy - cpu - queued),
            }
            for count, cpu, busy, queued in per_process.values()
        ],
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--repeat", type=int, default=30, help="single renders measured (after one warm-up)")
    parser.add_argument(
        "--count", type=int, default=200, help="notices in the bulk run (10000 for the figure)"
    )
    parser.add_argument("--processes", type=int, default=2, help="worker processes in the bulk run")
    parser.add_argument("--compare", action="store_true", help="also time the stock way of rendering")
    parser.add_argument("--profile", action="store_true", help="print where the time of a render goes")
    parser.add_argument("--json", type=Path, help="write the results to this file")
    args = parser.parse_args()

    with tempfile.TemporaryDirectory(prefix="amtsweg-pdf-bench-") as directory:
        setup_django(directory)
        import weasyprint

        from amtsweg.notices import rendering

        notice_ids = make_notices(args.repeat + 1 + args.count)
        single_ids, bulk_ids = notice_ids[: args.repeat + 1], notice_ids[args.repeat + 1 :]

        started = time.perf_counter()
        rendering.warm_up()
        warm_up = time.perf_counter() - started
        first = render_once(single_ids[0])[0]
        measured = [render_once(notice_id) for notice_id in single_ids[1:]]
        timings = [wall * 1000 for wall, _cpu in measured]
        cpu_timings = [cpu * 1000 for _wall, cpu in measured]
        templating, layout, writing, pages, size = split_layout_and_writing(
            single_ids[0], max(5, args.repeat // 3)
        )
        results: dict[str, Any] = {
            "machine": f"{platform.machine()}, {os.cpu_count()} CPUs, {platform.python_implementation()} "
            f"{platform.python_version()}, WeasyPrint {weasyprint.__version__}",
            "pages": pages,
            "bytes": size,
            "warm_up_ms": warm_up * 1000,
            "first_ms": first * 1000,
            "single": {
                "n": len(timings),
                "median_ms": statistics.median(timings),
                "p95_ms": percentile(timings, 0.95),
                "max_ms": max(timings),
                "cpu_median_ms": statistics.median(cpu_timings),
                "cpu_p95_ms": percentile(cpu_timings, 0.95),
            },
            "split_ms": {"template": templating, "layout": layout, "pdf_writing": writing},
        }
        print(results["machine"])
        print(
            f"notice: {pages} pages, {size:,} bytes; toolkit warm-up {warm_up * 1000:.0f} ms, "
            f"first render {first * 1000:.0f} ms"
        )
        print(f"load average before the run: {os.getloadavg()[0]:.2f}")
        single = results["single"]
        print(
            f"single (worker path, n={single['n']}): median {single['median_ms']:.0f} ms, "
            f"p95 {single['p95_ms']:.0f} ms, max {single['max_ms']:.0f} ms; CPU time median "
            f"{single['cpu_median_ms']:.0f} ms, p95 {single['cpu_p95_ms']:.0f} ms"
        )
        if pages != 2:
            print(f"WARNING: the notice has {pages} pages, the figure is defined for 2")
        print(
            f"  of which: template {templating:.0f} ms, layout {layout:.0f} ms, PDF writing {writing:.0f} ms"
        )

        if args.compare:
            results["compare_ms"] = stock_render_times(single_ids[0], max(5, args.repeat // 3))
            for label, value in results["compare_ms"].items():
                print(f"  {label}: median {value:.0f} ms")

        if args.profile:
            profile = cProfile.Profile()
            profile.enable()
            for _ in range(5):
                split_layout_and_writing(single_ids[0], 1)
            profile.disable()
            pstats.Stats(profile).sort_stats("cumulative").print_stats(25)

        if bulk_ids:
            result = bulk(bulk_ids, args.processes)
            results["bulk"] = result
            print(
                f"bulk: {result['notices']} notices, {result['processes']} processes: "
                f"{result['wall_s']:.1f} s, "
                f"{result['notices_per_s']:.1f} notices/s, cores busy {result['cores_busy']:.2f}"
            )
            print(f"  load average at the end: {result['load_average_after']:.2f}")
            for number, worker in enumerate(result["per_process"], start=1):
                print(
                    f"  process {number}: {worker['notices']} notices, {worker['cpu_s']:.1f} CPU s in "
                    f"{worker['wall_s']:.1f} s ({worker['cpu_share']:.0%} of a core; waiting for a CPU "
                    f"{worker['waiting_for_cpu_s']:.1f} s, "
                    f"for I/O or locks {worker['other_waiting_s']:.1f} s), "
                    f"{worker['notices_per_cpu_s']:.2f} notices per CPU second"
                )
        if args.json:
            args.json.write_text(json.dumps(results, indent=2), encoding="utf-8")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
