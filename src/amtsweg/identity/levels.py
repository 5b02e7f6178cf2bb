"""Trust levels (Vertrauensniveaus) per BSI TR-03107-1 and how they map to eIDAS and BundID.

The platform speaks TR-03107-1 internally (``normal``, ``substantiell``, ``hoch``); eIDAS levels and
BundID's STORK-QAA levels are shown beside them and used by the login plug-ins to translate what an
identity provider asserts. ``none`` is for services that need no login at all.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.db import models
from django.utils.translation import gettext_lazy as _


class TrustLevel(models.TextChoices):
    """Trust level (Vertrauensniveau) per BSI TR-03107-1 with the eIDAS level it corresponds to."""

    NONE = "none", _("keine Anmeldung nötig")
    NORMAL = "normal", _("normal (eIDAS niedrig)")
    SUBSTANTIAL = "substantiell", _("substantiell (eIDAS substanziell)")
    HIGH = "hoch", _("hoch (eIDAS hoch)")


_RANK = {TrustLevel.NONE: 0, TrustLevel.NORMAL: 1, TrustLevel.SUBSTANTIAL: 2, TrustLevel.HIGH: 3}


@dataclass(frozen=True)
class LevelInfo:
    level: TrustLevel
    eidas: str  # eIDAS level of assurance (Regulation 2015/1502)
    stork: str  # STORK-QAA level as BundID sends it in EID-CITIZEN-QAA-LEVEL


LEVELS: dict[TrustLevel, LevelInfo] = {
    TrustLevel.NONE: LevelInfo(TrustLevel.NONE, "", ""),
    TrustLevel.NORMAL: LevelInfo(TrustLevel.NORMAL, "low", "STORK-QAA-Level-1"),
    TrustLevel.SUBSTANTIAL: LevelInfo(TrustLevel.SUBSTANTIAL, "substantial", "STORK-QAA-Level-3"),
    TrustLevel.HIGH: LevelInfo(TrustLevel.HIGH, "high", "STORK-QAA-Level-4"),
}
# BundID reports Level-2 (e.g. ELSTER certificate) too; TR-03107-1 counts it as "normal".
_FROM_STORK = {
    "STORK-QAA-Level-1": TrustLevel.NORMAL,
    "STORK-QAA-Level-2": TrustLevel.NORMAL,
    "STORK-QAA-Level-3": TrustLevel.SUBSTANTIAL,
    "STORK-QAA-Level-4": TrustLevel.HIGH,
}
_FROM_EIDAS = {
    "low": TrustLevel.NORMAL,
    "substantial": TrustLevel.SUBSTANTIAL,
    "high": TrustLevel.HIGH,
    "http://eidas.europa.eu/LoA/low": TrustLevel.NORMAL,
    "http://eidas.europa.eu/LoA/substantial": TrustLevel.SUBSTANTIAL,
    "http://eidas.europa.eu/LoA/high": TrustLevel.HIGH,
}


def rank(level: str) -> int:
    """Order of ``level``; an unknown value ranks below everything (never lets anyone through)."""
    return _RANK.get(TrustLevel(level), -1) if level in TrustLevel.values else -1


def satisfies(have: str | None, need: str) -> bool:
    """Whether an identity proven at ``have`` may use something that needs ``need``."""
    if rank(need) <= 0:
        return True
    return have is not None and rank(have) >= rank(need)


def highest(*levels: str) -> TrustLevel:
    """The strictest of ``levels`` (e.g. the service's and the form's requirement)."""
    known = [TrustLevel(level) for level in levels if level in TrustLevel.values]
    return max(known, key=lambda level: _RANK[level], default=TrustLevel.NONE)


def from_stork(value: str) -> TrustLevel | None:
    """The level of a STORK-QAA value (``STORK-QAA-Level-3``), ``None`` when unknown."""
    return _FROM_STORK.get(value.strip())


def from_eidas(value: str) -> TrustLevel | None:
    """The level of an eIDAS level name or LoA URI, ``None`` when unknown."""
    return _FROM_EIDAS.get(value.strip())


def describe(level: str) -> str:
    """``substantiell (eIDAS substanziell, STORK-QAA-Level-3)`` for pages shown to staff."""
    if level not in TrustLevel.values:
        return level
    info = LEVELS[TrustLevel(level)]
    label = str(TrustLevel(level).label)
    return f"{label}, {info.stork}" if info.stork else label
