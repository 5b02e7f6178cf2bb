"""Photos of a facility, uploaded by its operator and shown on the public detail page.

The browser's content type and the file name are never trusted: the type comes from the content
(puremagic, as ``cases.documents`` and ``ifsg.uploads`` do). JPEG, PNG or WebP up to 5 MB, a text
alternative is required, at most ``MAX_PHOTOS`` per facility (checked under a lock of the facility row,
so two parallel uploads cannot pass the limit together).
"""

from __future__ import annotations

import puremagic
from django.core.files.uploadedfile import UploadedFile
from django.db import transaction
from django.http import Http404

from amtsweg.cases.documents import sanitize_filename
from amtsweg.core.problems import Problem
from amtsweg.identity.models import User
from amtsweg.tenancy.access import audit
from amtsweg.tenancy.models import AuditEvent

from .models import Facility, FacilityPhoto

MB = 1024 * 1024
PHOTO_MAX_BYTES = 5 * MB
MAX_PHOTOS = 10
ALT_TEXT_MAX = 300
SNIFF_BYTES = 8192
IMAGE_TYPES = {"image/jpeg": ".jpg", "image/png": ".png", "image/webp": ".webp"}


class PhotoRejected(Problem):
    """A photo that is not stored; the message says why (422)."""

    status_code = 422
    code = "care-photo-rejected"


def _sniff(upload: UploadedFile[bytes]) -> str | None:
    upload.seek(0)
    head: bytes = upload.read(SNIFF_BYTES)
    upload.seek(0)
    # WebP is RIFF....WEBP: check it directly (puremagic also knows other RIFF kinds).
    if head[:4] == b"RIFF" and head[8:12] == b"WEBP":
        return "image/webp"
    try:
        candidates = {str(c.mime_type) for c in puremagic.magic_string(head) if c.mime_type}
    except (puremagic.PureError, ValueError):
        return None
    if head.startswith(b"\xff\xd8\xff"):
        candidates.add("image/jpeg")
    if head.startswith(b"\x89PNG\r\n\x1a\n"):
        candidates.add("image/png")
    for content_type in IMAGE_TYPES:
        if content_type in candidates:
            return content_type
    return None


def check_photo(upload: UploadedFile[bytes]) -> tuple[str, str]:
    """``(safe file name, content type)`` of an acceptable photo, else :class:`PhotoRejected`."""
    if not upload.size:
        raise PhotoRejected("Die Datei ist leer.", "The file is empty.")
    if upload.size > PHOTO_MAX_BYTES:
        raise PhotoRejected(
            "Das Foto ist zu groß (höchstens 5 MB).", "The photo is too large (at most 5 MB)."
        )
    content_type = _sniff(upload)
    if content_type is None:
        raise PhotoRejected(
            "Nur Fotos im Format JPEG, PNG oder WebP.", "Only photos in JPEG, PNG or WebP format."
        )
    name = sanitize_filename(upload.name or "foto", content_type)
    extension = IMAGE_TYPES[content_type]
    if not name.lower().endswith((extension, ".jpeg")):
        name = f"{name}{extension}"
    return name, content_type


@transaction.atomic
def photo_add(
    *, facility: Facility, actor: User, upload: UploadedFile[bytes], alt_text: str, channel: str = "web"
) -> FacilityPhoto:
    """Store a checked photo as the facility's last one."""
    alt_text = " ".join(alt_text.split())
    if not alt_text:
        raise PhotoRejected(
            "Bitte beschreiben Sie, was auf dem Foto zu sehen ist.",
            "Please describe what the photo shows.",
        )
    if len(alt_text) > ALT_TEXT_MAX:
        raise PhotoRejected(
            f"Die Bildbeschreibung hat höchstens {ALT_TEXT_MAX} Zeichen.",
            f"The description has at most {ALT_TEXT_MAX} characters.",
        )
    name, _content_type = check_photo(upload)
    Facility.objects.select_for_update().filter(pk=facility.pk).first()
    photos = FacilityPhoto.objects.filter(facility=facility)
    if photos.count() >= MAX_PHOTOS:
        raise PhotoRejected(
            f"Höchstens {MAX_PHOTOS} Fotos je Einrichtung. Entfernen Sie zuerst ein Foto.",
            f"At most {MAX_PHOTOS} photos per facility. Remove a photo first.",
        )
    last = photos.order_by("-position").values_list("position", flat=True).first()
    photo = FacilityPhoto(facility=facility, alt_text=alt_text, position=(last or 0) + 1)
    photo.image.save(name, upload, save=False)
    try:
        photo.save()
        audit(
            actor=actor,
            action=AuditEvent.Action.CREATE,
            obj=photo,
            authority_id=facility.authority_id,
            channel=channel,
        )
    except BaseException:
        # The row is rolled back with the transaction; the file written above would stay behind.
        photo.image.storage.delete(photo.image.name or name)
        raise
    return photo


def photo_remove(*, facility: Facility, actor: User, photo_id: int, channel: str = "web") -> None:
    """Remove one of the facility's photos (404 for a photo of another facility); the file goes after
    the transaction commits."""
    with transaction.atomic():
        photo = FacilityPhoto.objects.filter(facility=facility, pk=photo_id).first()
        if photo is None:
            raise Http404
        audit(
            actor=actor,
            action=AuditEvent.Action.DELETE,
            obj=photo,
            authority_id=facility.authority_id,
            channel=channel,
        )
        storage, name = photo.image.storage, photo.image.name
        photo.delete()
        transaction.on_commit(lambda: storage.delete(name) if name else None)
