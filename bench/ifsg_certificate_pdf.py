"""The certificate under § 43 IfSG as one-page tagged PDF/A-2b: time of one render as the worker does it.

Run: ``.venv/bin/python bench/ifsg_certificate_pdf.py [--repeat 30] [--json FILE]``. Target: median
≤ 400 ms.

Everything runs on a fresh SQLite database in a temporary directory (deleted afterwards): a world,
the health office set up like the demo (``ifsg.tests.factories.ifsg_setup``), one instruction that
passed, submitted through ``submission_submit`` — its process issues the certificate
(``ifsg.certify``) — and then ``--repeat`` copies of that certificate's notice, still to be rendered.
Each is rendered by ``notices.services.notice_render``, the job of the ``notice.render`` outbox
handler: load the notice, render the certificate layout (template, layout, tagged PDF/A with the QR
code and embedded font subsets), store the document, deliver it to the postbox. One long-lived
process, like ``amtsweg worker``, after one warm-up render (which loads the fonts).
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from pdf_render import percentile, setup_django  # the notice benchmark's helpers: same database set-up


def make_certificates(count: int) -> list[int]:
    """One certificate issued through the real process, plus ``count`` unrendered copies of its notice."""
    from amtsweg.ifsg.models import Certificate
    from amtsweg.ifsg.tests.factories import ifsg_setup
    from amtsweg.ifsg.tests.test_certificates import passed_instruction, submit
    from amtsweg.notices.models import Notice
    from amtsweg.notices.verification import new_code
    from amtsweg.testing import make_world

    world = make_world()
    setup = ifsg_setup(world)
    case = submit(world, passed_instruction(world, setup))
    first = Certificate.objects.select_related("notice").get(instruction__case=case).notice
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
            issued_by=None,
            issued_at=first.issued_at,
            holder=first.holder,
            status=Notice.Status.RENDERING,
        )
        for _ in range(count)
    ]
    Notice.objects.bulk_create(copies)
    return [first.pk, *Notice.objects.exclude(pk=first.pk).order_by("pk").values_list("pk", flat=True)]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--repeat", type=int, default=30, help="timed renders (default 30, at least 20)")
    parser.add_argument("--json", type=Path, default=None)
    args = parser.parse_args()
    repeat = max(20, args.repeat)
    with tempfile.TemporaryDirectory(prefix="amtsweg-bench-cert-") as directory:
        setup_django(directory)
        from amtsweg.notices.services import notice_render
        from amtsweg.notices.tests.pdfinspect import Pdf

        ids = make_certificates(repeat)
        warm_up, timed = ids[0], ids[1:]
        notice_render(notice_id=warm_up)
        wall, cpu = [], []
        pages = size = 0
        for notice_id in timed:
            started, cpu_started = time.perf_counter(), time.process_time()
            notice = notice_render(notice_id=notice_id)
            wall.append(time.perf_counter() - started)
            cpu.append(time.process_time() - cpu_started)
            assert notice is not None and notice.document is not None
            with notice.document.file.open("rb") as handle:
                data = handle.read()
            pdf = Pdf.parse(data)
            pages, size = len(pdf.pages), len(data)
            assert pages == 1 and 'pdfaid:part="2"' in pdf.xmp, "one page, PDF/A-2"
        results = {
            "renders": len(wall),
            "median_ms": statistics.median(wall) * 1000,
            "p90_ms": percentile(wall, 0.9) * 1000,
            "min_ms": min(wall) * 1000,
            "max_ms": max(wall) * 1000,
            "cpu_median_ms": statistics.median(cpu) * 1000,
            "pages": pages,
            "bytes": size,
            "machine": {
                "python": platform.python_version(),
                "platform": platform.platform(),
                "cpus": os.cpu_count(),
            },
        }
    print(
        f"certificate (1 page, tagged PDF/A-2b) via notice_render, {results['renders']} renders: "
        f"median {results['median_ms']:.0f} ms, p90 {results['p90_ms']:.0f} ms, "
        f"min {results['min_ms']:.0f} ms, max {results['max_ms']:.0f} ms, CPU median "
        f"{results['cpu_median_ms']:.0f} ms; {pages} page, {size:,} bytes; target ≤ 400 ms: "
        f"{'met' if results['median_ms'] <= 400 else 'NOT met'}"
    )
    if args.json is not None:
        args.json.write_text(json.dumps(results, indent=2), encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
