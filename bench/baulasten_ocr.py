"""OCR throughput of the capture of paper files: pages per minute of ``baulasten.ocr.ocr_run``
(OCRmyPDF → PDF/A with a German Tesseract text layer) on generated scan pages (300 dpi, A4, slightly
skewed and noisy: ``baulasten.scanpages``).

Run::

    .venv/bin/python bench/baulasten_ocr.py [--pages 12] [--pages-per-file 1] [--jobs 1,2] [--repeat 3]

For each ``--jobs`` value J, the files (``--pages`` pages in files of ``--pages-per-file``) are
recognised by J ``ocr_run`` calls at a time — what J worker processes of the outbox queue do, each
running OCRmyPDF with ``--jobs 1`` — and the wall time gives pages per minute; median over
``--repeat`` rounds. ``--ocrmypdf-jobs`` additionally measures ONE multi-page file with OCRmyPDF's own
page parallelism (``ocrmypdf --jobs N``), for comparison. It also checks the recognised text against
the known text (share of the page's words found), so a fast but wrong setup does not pass unnoticed.
"""

from __future__ import annotations

import argparse
import os
import platform
import re
import statistics
import subprocess
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from http_load import REPO, background_busy


def setup() -> None:
    sys.path.insert(0, str(REPO / "src"))
    os.environ["DJANGO_SETTINGS_MODULE"] = "amtsweg.settings"
    os.environ.setdefault("AMTSWEG_LOG_LEVEL", "WARNING")
    os.environ.setdefault("AMTSWEG_DATA_DIR", tempfile.mkdtemp(prefix="amtsweg-ocr-bench-"))
    import django

    django.setup()


def words(text: str) -> set[str]:
    return {w.lower() for w in re.findall(r"[A-Za-zÄÖÜäöüß]{4,}", text)}


def make_files(directory: Path, pages: int, per_file: int) -> tuple[list[Path], set[str]]:
    from amtsweg.baulasten import scanpages

    files = []
    for index in range(0, pages, per_file):
        path = directory / f"scan_{index:03d}.pdf"
        count = min(per_file, pages - index)
        path.write_bytes(scanpages.scan_pdf(scanpages.EXAMPLE, count, seed=index))
        files.append(path)
    expected = words("\n".join(scanpages.page_lines(scanpages.EXAMPLE)))
    return files, expected


def run_round(files: list[Path], jobs: int, out: Path, expected: set[str]) -> tuple[float, int, float]:
    """Wall seconds, pages, and the lowest share of the known words found in a file's text."""
    from amtsweg.baulasten.ocr import ocr_run

    started = time.perf_counter()
    with ThreadPoolExecutor(max_workers=jobs) as pool:
        results = list(pool.map(lambda f: ocr_run(f, out / (f.stem + "_ocr.pdf")), files))
    elapsed = time.perf_counter() - started
    pages = sum(r.pages for r in results)
    return elapsed, pages, min(len(words(r.text) & expected) / len(expected) for r in results)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--pages", type=int, default=12)
    parser.add_argument("--pages-per-file", type=int, default=1)
    parser.add_argument("--jobs", default="1,2", help="comma-separated: concurrent ocr_run calls")
    parser.add_argument("--ocrmypdf-jobs", default="", help="comma-separated: ocrmypdf --jobs on one file")
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    setup()
    from amtsweg.baulasten.ocr import ocr_available

    problem = ocr_available()
    if problem:
        raise SystemExit(problem)
    version = subprocess.run(["ocrmypdf", "--version"], capture_output=True, text=True).stdout.strip()
    tesseract = subprocess.run(["tesseract", "--version"], capture_output=True, text=True).stdout.split("\n")[
        0
    ]
    print(f"{platform.node()}, {os.cpu_count()} CPUs; OCRmyPDF {version}, {tesseract}", flush=True)
    with tempfile.TemporaryDirectory(prefix="amtsweg-ocr-bench-") as directory:
        work = Path(directory)
        files, expected = make_files(work, args.pages, args.pages_per_file)
        print(f"{args.pages} generated pages in {len(files)} PDF files", flush=True)
        # Warm-up: the first run loads Tesseract's language data from disk.
        run_round(files[:1], 1, work, expected)
        rows = []
        for jobs in (int(j) for j in args.jobs.split(",") if j):
            rates = []
            for number in range(1, args.repeat + 1):
                busy = background_busy(0.5)
                elapsed, pages, found = run_round(files, jobs, work, expected)
                rate = pages / elapsed * 60
                rates.append(rate)
                print(
                    f"  {jobs} at a time, round {number}: {pages} pages in {elapsed:.1f} s = "
                    f"{rate:.1f} pages/min"
                    f"  (known words found: ≥ {found:.0%} per file; machine busy before: {busy:.0%})",
                    flush=True,
                )
            rows.append(
                (f"{jobs} × ocr_run (ocrmypdf --jobs 1)", statistics.median(rates), min(rates), max(rates))
            )
        for jobs in (int(j) for j in args.ocrmypdf_jobs.split(",") if j):
            from amtsweg.baulasten import scanpages

            single = work / "all_pages.pdf"
            single.write_bytes(scanpages.scan_pdf(scanpages.EXAMPLE, args.pages))
            rates = []
            for _ in range(args.repeat):
                started = time.perf_counter()
                command = ["ocrmypdf", "-l", "deu", "--output-type", "pdfa", "--deskew", "--quiet"]
                command += ["--jobs", str(jobs), str(single), str(work / "all_pages_ocr.pdf")]
                subprocess.run(command, check=True)
                rates.append(args.pages / (time.perf_counter() - started) * 60)
            name = f"one {args.pages}-page file, ocrmypdf --jobs {jobs}"
            rows.append((name, statistics.median(rates), min(rates), max(rates)))
        known = len(expected)
        print(f"\n(known text: {known} distinct words of ≥ 4 letters per page)")
        print("| Setting | pages/min (median) | min–max |\n|---|---:|---:|")
        for name, median, low, high in rows:
            print(f"| {name} | {median:.1f} | {low:.1f}–{high:.1f} |")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
