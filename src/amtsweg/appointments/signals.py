"""Any change of an office's calendar configuration gives it a new ``revision``.

The slot engine keeps each office's calendar (opening bitmaps per counter and day) in memory and
checks the revision with one small query per calculation; these receivers make sure a change made
anywhere — back office, admin, import — is seen at once, in every process. (Bulk ``update()`` calls
bypass signals: code that uses them calls :func:`office_touch` itself.)
"""

from __future__ import annotations

from typing import Any

from django.db.models.signals import m2m_changed, post_delete, post_save
from django.dispatch import receiver

from amtsweg.tenancy.models import OpeningHours

from .models import AppointmentOffice, Break, Closure, Counter, OfficeService, new_revision


def office_touch(office_id: int | None) -> None:
    if office_id is not None:
        AppointmentOffice.objects.filter(pk=office_id).update(revision=new_revision())


@receiver([post_save, post_delete], sender=Break)
@receiver([post_save, post_delete], sender=Closure)
@receiver([post_save, post_delete], sender=Counter)
@receiver([post_save, post_delete], sender=OfficeService)
def _calendar_changed(sender: type, instance: Any, **kwargs: Any) -> None:
    office_touch(instance.office_id)


@receiver([post_save, post_delete], sender=OpeningHours)
def _hours_changed(sender: type, instance: OpeningHours, **kwargs: Any) -> None:
    AppointmentOffice.objects.filter(office_id=instance.office_id).update(revision=new_revision())


@receiver(m2m_changed, sender=Counter.services.through)
def _counter_services_changed(sender: type, instance: Counter | OfficeService, **kwargs: Any) -> None:
    office_touch(instance.office_id)
