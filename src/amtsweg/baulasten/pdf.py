"""The extract of an Auskunft in its notice's PDF/A (``notices.services.pdf_context_provider``).

The notice of a granted Auskunft carries, per parcel, "keine Baulast eingetragen" or the entries as
the register held them at the decision (sheet, entry number, kind, text, date of entry) — taken from
``AuskunftRequest.extract``, never from the register's current state, so a later change does not
alter an issued notice. Other notices get nothing from here.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any

from amtsweg.notices.models import Notice
from amtsweg.notices.services import pdf_context_provider

from .models import AuskunftRequest

TEMPLATE = "baulasten/pdf/auskunft_notice.html"


@pdf_context_provider
def auskunft_pdf_context(notice: Notice) -> dict[str, Any]:
    request = AuskunftRequest.objects.select_related("register").filter(case_id=notice.case_id).first()
    if request is None or notice.decision != "granted" or not request.extract:
        return {}
    parcels = [
        {
            **item,
            "fee": Decimal(item["fee_cents"] or 0) / 100,
            "entries": [
                {**entry, "entered_on": date.fromisoformat(entry["entered_on"])} for entry in item["entries"]
            ],
        }
        for item in request.extract
    ]
    return {
        "pdf_template": TEMPLATE,
        "baulasten_extract": {
            "register": request.register.name,
            "decided_on": request.decided_at,
            "parcels": parcels,
        },
    }
