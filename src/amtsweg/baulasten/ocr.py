"""Text recognition of scanned paper files: OCRmyPDF (Tesseract with German language data) turns a
scanned PDF or TIFF into a searchable PDF/A and its text.

OCRmyPDF is a system package (Debian ``ocrmypdf``, ``tesseract-ocr-deu``); it is called as a
subprocess, never imported (it is not in the virtualenv). :func:`ocr_available` says in words what is
missing; :func:`ocr_run` recognises one file. PDFs that already carry text (born digital) keep their
pages as they are (``--skip-text``) instead of being rasterised, and their text is read from the
output's text layer (``pdftotext``). Nothing from the file's content ever goes into a log line.
"""

from __future__ import annotations

import logging
import os
import re
import shutil
import signal
import subprocess
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

from django.conf import settings

logger = logging.getLogger(__name__)

# OCRmyPDF's exit codes (ocrmypdf.ExitCode, documented under "Return code policy").
EXIT_CODES: dict[int, tuple[str, str]] = {
    1: ("ungültige Aufrufparameter", "invalid arguments"),
    2: (
        "die Datei ist kein lesbares PDF oder Bild (beschädigt?)",
        "the file is not a readable PDF or image (damaged?)",
    ),
    3: (
        "ein benötigtes Programm fehlt (Tesseract, Ghostscript)",
        "a required program is missing (Tesseract, Ghostscript)",
    ),
    4: ("das erzeugte PDF ist ungültig", "the PDF produced is invalid"),
    5: ("die Datei konnte nicht gelesen oder geschrieben werden", "the file could not be read or written"),
    6: ("die Datei enthält bereits Text", "the file already contains text"),
    7: ("ein Hilfsprogramm ist abgestürzt", "a helper program crashed"),
    8: ("das PDF ist verschlüsselt oder kennwortgeschützt", "the PDF is encrypted or password protected"),
    9: ("die Konfiguration von Tesseract ist ungültig", "Tesseract's configuration is invalid"),
    10: ("die Umwandlung in PDF/A ist fehlgeschlagen", "the conversion to PDF/A failed"),
    15: ("unbekannter Fehler der Texterkennung", "unknown OCR error"),
    130: ("abgebrochen", "interrupted"),
}
# Retrying cannot help with these: the file itself is the problem (or the installation is).
PERMANENT_EXIT_CODES = frozenset({1, 2, 3, 4, 6, 8, 9, 10})
INSTALL_HINT = "apt-get install ocrmypdf tesseract-ocr-deu"
_SKIPPED = "[OCR skipped on page"
_AVAILABILITY_TTL = 300.0
_availability: dict[tuple[str, str], tuple[float, str | None]] = {}


class OcrFailed(Exception):
    """OCR of one file failed; ``detail_de``/``detail_en`` say why (never the file's content).

    ``permanent``: retrying the same file cannot help (broken, encrypted, OCR not installed)."""

    def __init__(
        self, detail_de: str, detail_en: str, *, exit_code: int | None = None, permanent: bool = True
    ):
        super().__init__(detail_en)
        self.detail_de = detail_de
        self.detail_en = detail_en
        self.exit_code = exit_code
        self.permanent = permanent


class OcrTimeout(OcrFailed):
    """OCR took longer than ``BAULASTEN_OCR_TIMEOUT_SECONDS``: worth another try later."""


@dataclass(frozen=True)
class OcrResult:
    text: str  # pages separated by a blank line
    pages: int
    seconds: float


def _command() -> str:
    return str(settings.BAULASTEN_OCRMYPDF)


def _languages() -> str:
    return str(settings.BAULASTEN_OCR_LANGUAGES)


def ocr_available(*, fresh: bool = False) -> str | None:
    """None when OCRmyPDF runs and Tesseract has every language of ``BAULASTEN_OCR_LANGUAGES``;
    otherwise a German and English text saying what to install. Cached for five minutes per
    configuration (the queue page asks on every view)."""
    key = (_command(), _languages())
    now = time.monotonic()
    cached = _availability.get(key)
    if cached is not None and not fresh and now - cached[0] < _AVAILABILITY_TTL:
        return cached[1]
    problem = _check_installation(*key)
    _availability[key] = (now, problem)
    return problem


def _check_installation(command: str, languages: str) -> str | None:
    if shutil.which(command) is None:
        return (
            f"Texterkennung nicht verfügbar: das Programm „{command}“ (OCRmyPDF) wurde nicht gefunden. "
            f"Installieren: {INSTALL_HINT} / OCR unavailable: “{command}” (OCRmyPDF) was not found. "
            f"Install: {INSTALL_HINT}"
        )
    try:
        subprocess.run([command, "--version"], capture_output=True, timeout=60, check=True)  # noqa: S603
    except (OSError, subprocess.SubprocessError):
        return (
            f"Texterkennung nicht verfügbar: „{command} --version“ läuft nicht. "
            f"Installieren: {INSTALL_HINT} / "
            f"OCR unavailable: “{command} --version” does not run. Install: {INSTALL_HINT}"
        )
    tesseract = shutil.which("tesseract")
    installed: set[str] = set()
    if tesseract is not None:
        try:
            listed = subprocess.run(  # noqa: S603
                [tesseract, "--list-langs"], capture_output=True, text=True, timeout=60, check=True
            ).stdout
            installed = {line.strip() for line in listed.splitlines()[1:] if line.strip()}
        except (OSError, subprocess.SubprocessError):
            tesseract = None
    if tesseract is None:
        return (
            f"Texterkennung nicht verfügbar: Tesseract fehlt. Installieren: {INSTALL_HINT} / "
            f"OCR unavailable: Tesseract is missing. Install: {INSTALL_HINT}"
        )
    missing = [lang for lang in languages.split("+") if lang and lang not in installed]
    if missing:
        packages = " ".join(f"tesseract-ocr-{lang}" for lang in missing)
        return (
            f"Texterkennung nicht verfügbar: Tesseract fehlen die Sprachdaten {', '.join(missing)}. "
            f"Installieren: apt-get install {packages} / OCR unavailable: Tesseract lacks the language "
            f"data {', '.join(missing)}. Install: apt-get install {packages}"
        )
    return None


def ocr_run(source: Path, target: Path, *, timeout: float | None = None) -> OcrResult:
    """Recognise ``source`` (PDF, single- or multi-page TIFF) into the PDF/A ``target`` within
    ``timeout`` seconds (default ``BAULASTEN_OCR_TIMEOUT_SECONDS``).

    Raises :class:`OcrFailed` (``permanent`` when retrying cannot help) or :class:`OcrTimeout`."""
    problem = ocr_available()
    if problem is not None:
        raise OcrFailed(problem, problem, permanent=True)
    started = time.monotonic()
    with tempfile.TemporaryDirectory(prefix="amtsweg-ocr-") as work:
        sidecar = Path(work) / "text.txt"
        command = [
            _command(),
            "-l",
            _languages(),
            "--output-type",
            "pdfa",
            "--sidecar",
            str(sidecar),
            "--rotate-pages",
            "--deskew",  # cheap (a Leptonica pass per page), and straight pages read better
            "--skip-text",  # born-digital pages keep their text and are not rasterised
            "--jobs",
            "1",
            "--quiet",
        ]
        if _is_image(source):
            # Scanners do not always record the resolution; 300 dpi is what archive scans use.
            command += ["--image-dpi", "300"]
        command += [str(source), str(target)]
        limit = float(timeout if timeout is not None else settings.BAULASTEN_OCR_TIMEOUT_SECONDS)
        returncode = _run(command, timeout=limit)
        if returncode != 0:
            de, en = EXIT_CODES.get(returncode, EXIT_CODES[15])
            # Only the exit code is logged: OCRmyPDF's messages may quote file names or recognised text.
            logger.warning("ocrmypdf failed with exit code %s", returncode)
            raise OcrFailed(
                f"Texterkennung fehlgeschlagen: {de} (OCRmyPDF-Code {returncode}).",
                f"OCR failed: {en} (OCRmyPDF exit code {returncode}).",
                exit_code=returncode,
                permanent=returncode in PERMANENT_EXIT_CODES,
            )
        raw = sidecar.read_text(encoding="utf-8", errors="replace") if sidecar.exists() else ""
    if _SKIPPED in raw:
        # Pages with text were skipped, and the sidecar has only a marker for them: read the
        # output's text layer instead (it holds the born-digital and the recognised text alike).
        raw = _pdftotext(target) or raw
    page_texts = raw.split("\f")
    if page_texts and not page_texts[-1].strip():
        page_texts.pop()
    text = "\n\n".join(_tidy(part) for part in page_texts).strip()
    pages = _count_pages(target) or len(page_texts)
    return OcrResult(text=text, pages=pages, seconds=time.monotonic() - started)


def _tidy(page: str) -> str:
    """One page's text with runs of blanks collapsed (the layout mode pads columns) and at most
    one empty line in a row."""
    lines = [re.sub(r"[ \t\u00a0]+", " ", line).strip() for line in page.splitlines()]
    return re.sub(r"\n{3,}", "\n\n", "\n".join(lines)).strip("\n")


def _is_image(source: Path) -> bool:
    with source.open("rb") as handle:
        return handle.read(4) in (b"II*\x00", b"MM\x00*")


def _run(command: list[str], *, timeout: float) -> int:
    """Run ``command`` in its own process group, so a timeout also ends Tesseract and Ghostscript."""
    process = subprocess.Popen(  # noqa: S603
        command,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
        env={**os.environ, "OMP_THREAD_LIMIT": os.environ.get("OMP_THREAD_LIMIT", "1")},
    )
    try:
        process.wait(timeout=timeout)
    except subprocess.TimeoutExpired as exc:
        os.killpg(process.pid, signal.SIGKILL)
        process.wait()
        raise OcrTimeout(
            f"Die Texterkennung hat länger als {int(timeout)} Sekunden gedauert und wird später wiederholt.",
            f"OCR took longer than {int(timeout)} seconds and will be retried later.",
            permanent=False,
        ) from exc
    return process.returncode


def _pdftotext(pdf: Path) -> str:
    binary = shutil.which("pdftotext")
    if binary is None:
        return ""
    try:
        return subprocess.run(  # noqa: S603
            [binary, "-layout", "-enc", "UTF-8", str(pdf), "-"], capture_output=True, timeout=300, check=True
        ).stdout.decode("utf-8", "replace")
    except (OSError, subprocess.SubprocessError):
        return ""


def _count_pages(pdf: Path) -> int:
    """Pages of the output (``pdfinfo`` when installed; 0 when it cannot tell)."""
    binary = shutil.which("pdfinfo")
    if binary is None:
        return 0
    try:
        info = subprocess.run(  # noqa: S603
            [binary, str(pdf)], capture_output=True, text=True, timeout=60, check=True
        ).stdout
    except (OSError, subprocess.SubprocessError):
        return 0
    for line in info.splitlines():
        if line.startswith("Pages:"):
            return int(line.split(":", 1)[1].strip() or 0)
    return 0
