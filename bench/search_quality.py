"""Search quality on the real catalogue: hit@1, hit@3 and MRR over the everyday query set.

Run: ``.venv/bin/python bench/search_quality.py`` (imports the catalogue from
``AMTSWEG_SHARED_DATA_DIR`` into a temporary SQLite database).
"""

from __future__ import annotations

import io
import os
import sys
import tempfile
from pathlib import Path


def setup_django(directory: str) -> None:
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "src"))
    os.environ["DJANGO_SETTINGS_MODULE"] = "amtsweg.settings"
    os.environ["DATABASE_URL"] = f"sqlite:///{directory}/bench.sqlite3"
    os.environ.setdefault("AMTSWEG_LOG_LEVEL", "WARNING")
    import django

    django.setup()
    from django.conf import settings
    from django.core.management import call_command

    call_command("migrate", run_syncdb=True, verbosity=0)
    ozg = Path(settings.SHARED_DATA_DIR) / "ozg"
    call_command(
        "import_catalog",
        "--ozg",
        str(ozg / "ozg_leistungen.csv"),
        "--leika",
        str(ozg / "leika_leistungen.csv"),
        verbosity=0,
        stdout=io.StringIO(),
    )


def main() -> int:
    with tempfile.TemporaryDirectory() as directory:
        setup_django(directory)
        from amtsweg.catalog.search_evaluation import evaluate, load_queries

        report = evaluate(load_queries())
        for outcome in report.outcomes:
            position = outcome.rank if outcome.rank is not None else "-"
            marker = "" if outcome.rank is not None and outcome.rank <= 3 else "   <-- miss"
            print(f"{position!s:>4}  {outcome.query.query}{marker}")
            if marker:
                for line in outcome.top:
                    print(f"        {line}")
        print(
            f"\nqueries: {len(report.outcomes)}  hit@1: {report.hit_rate(1):.3f}  "
            f"hit@3: {report.hit_rate(3):.3f}  MRR: {report.mrr:.3f}"
        )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
