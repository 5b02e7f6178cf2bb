"""Checks of the files the health office uploads for the instruction material: video, captions, leaflet.

The file name and the browser's content type are never trusted: the type comes from the content
(puremagic, as ``cases.documents`` does for applicants' uploads). Video: WebM or MP4 up to 200 MB;
captions: WebVTT (UTF-8, "WEBVTT" header, cue timings that parse) up to 1 MB; leaflet: PDF up to 10 MB.
Each check returns the safe file name to store; a rejected file raises :class:`MaterialFileRejected`.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import puremagic
from django.core.files.uploadedfile import UploadedFile

from amtsweg.cases.documents import sanitize_filename
from amtsweg.core.problems import Problem

MB = 1024 * 1024
VIDEO_MAX = 200 * MB
CAPTIONS_MAX = 1 * MB
LEAFLET_MAX = 10 * MB
SNIFF_BYTES = 8192
KINDS = ("video", "captions", "leaflet")
EXTENSIONS = {"video/mp4": ".mp4", "video/webm": ".webm", "text/vtt": ".vtt", "application/pdf": ".pdf"}

# WebVTT cue timing: [hh:]mm:ss.ttt --> [hh:]mm:ss.ttt [settings]
_TIMESTAMP = r"(?:(\d{2,}):)?([0-5]\d):([0-5]\d)\.(\d{3})"
_TIMING = re.compile(rf"^{_TIMESTAMP}[ \t]+-->[ \t]+{_TIMESTAMP}(?:[ \t]+.*)?$")


class MaterialFileRejected(Problem):
    """An uploaded material file that is not stored; the message says what is wrong with it."""

    status_code = 422
    code = "material-file-rejected"


@dataclass(frozen=True)
class CheckedFile:
    name: str  # safe file name with the extension of the real type
    content_type: str


def _head(upload: UploadedFile[bytes]) -> bytes:
    upload.seek(0)
    head: bytes = upload.read(SNIFF_BYTES)
    upload.seek(0)
    return head


def _too_large(upload: UploadedFile[bytes], limit: int, what_de: str, what_en: str) -> None:
    if (upload.size or 0) > limit:
        raise MaterialFileRejected(
            f"{what_de} ist zu groß (höchstens {limit // MB} MB).",
            f"{what_en} is too large (at most {limit // MB} MB).",
            code="file-too-large",
        )


def _empty(upload: UploadedFile[bytes]) -> None:
    if not upload.size:
        raise MaterialFileRejected("Die Datei ist leer.", "The file is empty.", code="file-empty")


def _candidates(head: bytes) -> set[str]:
    try:
        return {str(c.mime_type) for c in puremagic.magic_string(head) if c.mime_type}
    except (puremagic.PureError, ValueError):
        return set()


def _name(upload: UploadedFile[bytes], content_type: str, default: str) -> str:
    name = sanitize_filename(upload.name or default, content_type)
    extension = EXTENSIONS[content_type]
    return name if name.lower().endswith(extension) else f"{name}{extension}"


def check_video(upload: UploadedFile[bytes]) -> CheckedFile:
    """A WebM or MP4 video of at most 200 MB (Matroska other than WebM and QuickTime are refused)."""
    _empty(upload)
    _too_large(upload, VIDEO_MAX, "Das Video", "The video")
    head = _head(upload)
    found = _candidates(head)
    if "video/mp4" in found and head[4:8] == b"ftyp":
        content_type = "video/mp4"
    elif "video/webm" in found and b"webm" in head[:64]:
        # WebM shares the EBML header with Matroska; the DocType element says which one it is.
        content_type = "video/webm"
    else:
        raise MaterialFileRejected(
            "Das Video muss eine WebM- oder MP4-Datei sein.",
            "The video must be a WebM or MP4 file.",
            code="video-type",
        )
    return CheckedFile(_name(upload, content_type, "video"), content_type)


def webvtt_errors(raw: bytes) -> list[str]:
    """What is wrong with ``raw`` as a WebVTT file (German), empty when it is fine.

    Checks what players rely on: UTF-8, the "WEBVTT" signature line, at least one cue, every cue
    timing line parses with the end not before the start.
    """
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError:
        return ["Die Untertitel müssen UTF-8-kodiert sein."]
    text = text.removeprefix("\ufeff").replace("\r\n", "\n").replace("\r", "\n")
    first, _, rest = text.partition("\n")
    if not (first == "WEBVTT" or first.startswith(("WEBVTT ", "WEBVTT\t"))):
        return ['Die Untertitel müssen mit der Zeile "WEBVTT" beginnen.']
    errors: list[str] = []
    cues = 0
    for number, line in enumerate(rest.split("\n"), start=2):
        if "-->" not in line:
            continue
        match = _TIMING.match(line.strip())
        if match is None:
            errors.append(f"Zeile {number}: Die Zeitangabe ist nicht lesbar.")
            continue
        values = [int(group or 0) for group in match.groups()]
        start = ((values[0] * 60 + values[1]) * 60 + values[2]) * 1000 + values[3]
        end = ((values[4] * 60 + values[5]) * 60 + values[6]) * 1000 + values[7]
        if end < start:
            errors.append(f"Zeile {number}: Das Ende liegt vor dem Anfang.")
        cues += 1
    if not cues and not errors:
        errors.append("Die Untertitel enthalten keinen einzigen Untertitel (Cue).")
    return errors


def check_captions(upload: UploadedFile[bytes]) -> CheckedFile:
    """WebVTT captions of at most 1 MB."""
    _empty(upload)
    _too_large(upload, CAPTIONS_MAX, "Die Untertiteldatei", "The captions file")
    upload.seek(0)
    raw = upload.read()
    upload.seek(0)
    errors = webvtt_errors(raw)
    if errors:
        raise MaterialFileRejected(
            "Die Untertitel sind keine gültige WebVTT-Datei: " + " ".join(errors[:3]),
            "The captions are not a valid WebVTT file.",
            code="captions-invalid",
            extra={"errors": errors[:20]},
        )
    return CheckedFile(_name(upload, "text/vtt", "untertitel"), "text/vtt")


def check_leaflet(upload: UploadedFile[bytes]) -> CheckedFile:
    """A PDF leaflet of at most 10 MB."""
    _empty(upload)
    _too_large(upload, LEAFLET_MAX, "Das Merkblatt", "The leaflet")
    head = _head(upload)
    if not head.startswith(b"%PDF-") or "application/pdf" not in _candidates(head):
        raise MaterialFileRejected(
            "Das Merkblatt muss eine PDF-Datei sein.", "The leaflet must be a PDF file.", code="leaflet-type"
        )
    return CheckedFile(_name(upload, "application/pdf", "merkblatt"), "application/pdf")


CHECKS = {"video": check_video, "captions": check_captions, "leaflet": check_leaflet}
