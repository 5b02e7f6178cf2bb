"""HTML → PDF/A-2b for notices and receipts (WeasyPrint), tagged for accessibility.

A document is a Django template rendered to HTML, laid out with ``static/notices/pdf.css`` and the
shipped Amtsweg Sans fonts, and written as PDF/A-2b (XMP identification, sRGB output intent, all
fonts embedded) with a structure tree (``pdf_tags``: headings, paragraphs, lists, tables with
header cells, the QR code as a figure with alternative text), the document language and a title
that viewers display instead of the file name.

Rendering happens in the background worker, a long-lived process: the font configuration with the
fonts loaded and the parsed stylesheet are built once per process and thread and reused, so a render
only lays out and writes its own document. The URL fetcher reads nothing but this app's static
files — a template can never make the worker fetch from the network.
"""

from __future__ import annotations

import atexit
import mimetypes
import os
import shutil
import threading
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlsplit

import segno
from django.conf import settings
from django.template.loader import render_to_string
from django.utils import timezone, translation
from django.utils.safestring import SafeString, mark_safe

# WeasyPrint reports every step of every document at INFO level; the worker's log is for our events.

PDF_VARIANT = "pdf/a-2b"
STATIC_DIR = Path(__file__).resolve().parent / "static" / "notices"
STYLESHEET = STATIC_DIR / "pdf.css"


class PdfRenderError(RuntimeError):
    """The PDF could not be produced (a template asked for a forbidden resource, or layout failed)."""


def _static_only_fetcher() -> Any:
    """A WeasyPrint URL fetcher that serves this app's static files and ``data:`` URLs, nothing else."""
    from weasyprint.urls import (  # type: ignore[import-untyped]
        FatalURLFetchingError,
        URLFetcher,
        URLFetcherResponse,
    )

    class StaticOnlyFetcher(URLFetcher):  # type: ignore[misc]
        def fetch(self, url: str, headers: Any = None) -> URLFetcherResponse:
            scheme = urlsplit(url).scheme.lower()
            if scheme == "data":
                return super().fetch(url, headers)
            if scheme == "file":
                path = Path(unquote(urlsplit(url).path)).resolve()
                if path.is_relative_to(STATIC_DIR) and path.is_file():
                    content_type = mimetypes.guess_type(path.name)[0] or "application/octet-stream"
                    return URLFetcherResponse(url, path.read_bytes(), {"Content-Type": content_type})
            raise FatalURLFetchingError(
                f"PDF templates may only use the notices app's static files, not {url!r}"
            )

    return StaticOnlyFetcher()


@dataclass
class _Toolkit:
    pid: int
    fetcher: Any  # weasyprint.urls.URLFetcher
    font_config: Any  # weasyprint.text.fonts.FontConfiguration
    stylesheet: Any  # weasyprint.CSS


_local = threading.local()
_created: list[_Toolkit] = []  # every toolkit of this process, for release()


def _toolkit() -> _Toolkit:
    """This process's (and thread's) font configuration and stylesheet, built on first use.

    Pango and fontconfig objects are not shared between threads, and a forked child (a
    multiprocessing pool) builds its own rather than using handles inherited from its parent.
    """
    toolkit: _Toolkit | None = getattr(_local, "toolkit", None)
    if toolkit is None or toolkit.pid != os.getpid():
        # Imported here: web processes load this module (views, services) but never render.
        from weasyprint import CSS  # type: ignore[import-untyped]
        from weasyprint.text.fonts import FontConfiguration  # type: ignore[import-untyped]

        fetcher = _static_only_fetcher()
        font_config = FontConfiguration()
        stylesheet = CSS(
            filename=str(STYLESHEET),
            base_url=STATIC_DIR.as_uri() + "/",
            url_fetcher=fetcher,
            font_config=font_config,
        )
        toolkit = _Toolkit(os.getpid(), fetcher, font_config, stylesheet)
        _local.toolkit = toolkit
        _created.append(toolkit)
    return toolkit


def release() -> None:
    """Forget this process's toolkits and delete the copies of the fonts WeasyPrint keeps on disk.

    Runs at exit: WeasyPrint's own clean-up runs when the interpreter is already tearing down and
    fails there, leaving a ``weasyprint-*`` folder in the temporary directory per worker process.
    """
    for toolkit in _created:
        if toolkit.pid != os.getpid():
            continue  # inherited from the parent process: the parent cleans up its own
        folder = getattr(toolkit.font_config, "_folder", None)
        if folder is not None:
            shutil.rmtree(folder, ignore_errors=True)
            toolkit.font_config._folder = None
    _created.clear()
    _local.__dict__.clear()


atexit.register(release)


def warm_up() -> None:
    """Build the toolkit and load the fonts now (e.g. when a worker starts), so the first document is
    as fast as the rest (the first render otherwise pays for loading fonts into Pango and HarfBuzz)."""
    render_pdf(template_name="notices/pdf/warm_up.html", context={}, title="Amtsweg")


def render_pdf(
    *,
    template_name: str,
    context: dict[str, Any],
    title: str,
    lang: str = "de",
    created: datetime | None = None,
) -> bytes:
    """Render the Django template ``template_name`` with ``context`` to a PDF/A-2b document.

    ``title`` becomes the document title (shown by viewers, required for accessibility) and
    ``lang`` its language; ``created`` its creation date (default: now). The template should
    extend ``notices/pdf/base.html``, which sets both in the HTML as well.
    """
    from weasyprint import HTML
    from weasyprint.urls import FatalURLFetchingError

    toolkit = _toolkit()
    created = timezone.localtime(created or timezone.now())
    with translation.override(lang):
        html = render_to_string(
            template_name,
            {**context, "title": title, "lang": lang, "platform_name": settings.PLATFORM_NAME},
        )
    try:
        document = HTML(string=html, base_url=STATIC_DIR.as_uri() + "/", url_fetcher=toolkit.fetcher).render(
            font_config=toolkit.font_config,
            stylesheets=[toolkit.stylesheet],
            pdf_variant=PDF_VARIANT,
            pdf_tags=True,
        )
        metadata = document.metadata
        metadata.title = title
        metadata.lang = lang
        metadata.generator = settings.PLATFORM_NAME
        # PDF/A wants the same dates in the info dictionary and the XMP metadata; WeasyPrint writes both.
        metadata.created = metadata.modified = created.isoformat(timespec="seconds")
        pdf: bytes = document.write_pdf(pdf_variant=PDF_VARIANT, pdf_tags=True)
    except FatalURLFetchingError as exc:  # a BaseException: would otherwise take the worker down
        raise PdfRenderError(str(exc)) from None
    return pdf


def qr_svg(data: str, *, title: str, module_mm: float = 0.6) -> SafeString:
    """An inline SVG QR code (error correction M) for ``data``, with ``title`` as its text alternative."""
    qr = segno.make(data, error="m", micro=False)
    svg = qr.svg_inline(scale=module_mm, unit="mm", border=4, title=title, dark="#000000")
    return mark_safe(svg)  # noqa: S308  (segno's own markup; it escapes the title)
