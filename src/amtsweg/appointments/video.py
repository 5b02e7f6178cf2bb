"""Video appointments (virtual citizen office) on a Jitsi Meet server.

Each video appointment has its own unguessable room (``Appointment.video_room``). With
``APPOINTMENTS_JITSI = {"url": …}`` the link is the room on that server; with ``app_id`` and
``secret`` as well (Jitsi's token authentication, prosody ``token`` module) the link carries a
short-lived HS256 JWT for exactly this room: the citizen joins as a guest, staff as moderator.
"""

from __future__ import annotations

import time
from typing import Any
from urllib.parse import quote, urlsplit

from django.conf import settings
from joserfc import jwt
from joserfc.jwk import OctKey

from .models import Appointment

# A token is valid from 30 minutes before the appointment until 2 hours after its start.
_BEFORE_SECONDS = 30 * 60
_AFTER_SECONDS = 2 * 3600


def jitsi_config() -> dict[str, Any]:
    config = getattr(settings, "APPOINTMENTS_JITSI", None) or {}
    return config if isinstance(config, dict) and config.get("url") else {}


def video_available() -> bool:
    return bool(jitsi_config())


def meeting_url(appointment: Appointment, *, display_name: str, moderator: bool) -> str | None:
    """The link to the appointment's room for one side, or ``None`` (no video, or not configured)."""
    config = jitsi_config()
    if appointment.mode != Appointment.Mode.VIDEO or not appointment.video_room or not config:
        return None
    base = str(config["url"]).rstrip("/")
    url = f"{base}/{quote(appointment.video_room)}"
    if config.get("app_id") and config.get("secret"):
        start = int(appointment.starts_at.timestamp())
        claims = {
            "aud": "jitsi",
            "iss": str(config["app_id"]),
            "sub": str(config.get("domain") or urlsplit(base).hostname or "*"),
            "room": appointment.video_room,
            "nbf": start - _BEFORE_SECONDS,
            "exp": start + _AFTER_SECONDS,
            "iat": int(time.time()),
            "context": {"user": {"name": display_name, "moderator": moderator}},
            "moderator": moderator,
        }
        token = jwt.encode({"alg": "HS256"}, claims, OctKey.import_key(str(config["secret"])))
        url = f"{url}?jwt={token}"
    return url
