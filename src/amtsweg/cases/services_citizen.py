"""Writes from the citizen's account that combine several steps into one, all or nothing."""

from __future__ import annotations

from collections.abc import Sequence

from django.core.exceptions import PermissionDenied
from django.core.files.uploadedfile import UploadedFile
from django.db import transaction

from amtsweg.core.problems import Problem
from amtsweg.identity.models import User

from .models import Document, InformationRequest
from .services import information_request_answer

# More files than this in one answer is a mistake or an attack, never a real answer to one request.
MAX_FILES_PER_ANSWER = 10


class AlreadyAnswered(Problem):
    status_code = 409
    code = "already-answered"


def information_request_reply(
    *,
    request: InformationRequest,
    answer: str,
    uploads: Sequence[UploadedFile[bytes]],
    actor: User,
    channel: str,
) -> InformationRequest:
    """Answer ``request`` with text and uploaded files: every file is stored, or none is.

    The files are checked and stored (``cases.documents.document_store``: type sniffing, size,
    checksum, virus scan) inside the same transaction as the answer. If any file is refused, or the
    answer itself is (already answered, empty, case closed), the transaction rolls back and the
    files already written are deleted, so the request stays open with nothing left behind.
    """
    from .documents import document_store  # the upload pipeline; imported late, it pulls in ClamAV

    if len(uploads) > MAX_FILES_PER_ANSWER:
        raise Problem(
            f"Bitte laden Sie höchstens {MAX_FILES_PER_ANSWER} Dateien auf einmal hoch.",
            f"Please upload at most {MAX_FILES_PER_ANSWER} files at once.",
            code="too-many-files",
        )
    stored: list[Document] = []
    try:
        with transaction.atomic():
            locked = InformationRequest.objects.select_for_update().select_related("case").get(pk=request.pk)
            if locked.case.applicant_id != actor.pk:
                raise PermissionDenied
            # Checked before any file is stored, and again (under the same lock) by the answer itself.
            if locked.answered_at is not None:
                raise AlreadyAnswered(
                    "Diese Nachforderung ist bereits beantwortet.",
                    "This request has already been answered.",
                )
            for upload in uploads:
                stored.append(
                    document_store(
                        upload=upload,
                        kind=Document.Kind.REPLY,
                        actor=actor,
                        case=locked.case,
                        information_request=locked,
                    )
                )
            return information_request_answer(
                request=locked, answer=answer, documents=stored, actor=actor, channel=channel
            )
    except BaseException:
        for document in stored:
            if document.file.name:
                document.file.storage.delete(document.file.name)
        raise
