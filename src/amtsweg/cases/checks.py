"""Checks a specialised service adds to the submission of its drafts (the final gate).

``cases.services.submission_submit`` runs every registered check on the locked draft, after its own
validation and the fee check, inside the submission's transaction: a check that raises a
``Problem`` stops the submission and nothing is stored. A check looks at the draft's service or form
and returns at once for drafts that are not its own. Example: the instruction under § 43 IfSG can
only be submitted once the quiz is passed, whichever client (portal, API) submits the draft.
"""

from __future__ import annotations

from collections.abc import Callable

from amtsweg.forms.models import Draft

SubmissionCheck = Callable[[Draft], None]
_CHECKS: list[SubmissionCheck] = []


def submission_check(check: SubmissionCheck) -> SubmissionCheck:
    """Register ``check`` (a decorator); importing the module twice registers it once."""
    if check not in _CHECKS:
        _CHECKS.append(check)
    return check


def run_submission_checks(draft: Draft) -> None:
    for check in _CHECKS:
        check(draft)
