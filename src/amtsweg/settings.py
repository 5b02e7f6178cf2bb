"""Settings: one module, read from environment variables with documented defaults.

Every variable is listed in docs/configuration.md. Secrets may also be given as ``<NAME>_FILE``
pointing to a file that holds the value (Docker/Kubernetes secrets).
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

import dj_database_url
import django_stubs_ext
from csp.constants import NONE, SELF
from django.utils.translation import gettext_lazy as _

django_stubs_ext.monkeypatch()  # makes Django's generic classes (ModelForm[...]) subscriptable at run time

BASE_DIR = Path(__file__).resolve().parent
REPO_DIR = BASE_DIR.parent.parent


def env(name: str, default: str = "") -> str:
    """The value of ``name``, or the content of the file named by ``name_FILE``, or ``default``."""
    file_name = os.getenv(f"{name}_FILE")
    if file_name:
        return Path(file_name).read_text(encoding="utf-8").strip()
    return os.getenv(name, default)


def env_bool(name: str, default: bool) -> bool:
    return env(name, "true" if default else "false").strip().lower() in {"1", "true", "yes", "on"}


def env_list(name: str, default: str) -> list[str]:
    return [item.strip() for item in env(name, default).split(",") if item.strip()]


def _tile_origin(url: str) -> list[str]:
    """The origin of a tile URL template for the CSP (``{s}`` subdomains become a wildcard)."""
    if not url:
        return []
    scheme, _, rest = url.partition("://")
    host = rest.split("/", 1)[0].replace("{s}", "*")
    return [f"{scheme}://{host}"]


DEBUG = env_bool("AMTSWEG_DEBUG", False)
# The demo and the tests run without a configured secret; production must set one (checked below).
DEMO_MODE = env_bool("AMTSWEG_DEMO_MODE", False)
# The default key is only good for the demo and the tests; `amtsweg check --deploy` fails on it.
SECRET_KEY = env("AMTSWEG_SECRET_KEY", "insecure-development-key-change-me")

ALLOWED_HOSTS = env_list("AMTSWEG_ALLOWED_HOSTS", "127.0.0.1,localhost,testserver")
CSRF_TRUSTED_ORIGINS = env_list("AMTSWEG_CSRF_TRUSTED_ORIGINS", "")

DATA_DIR = Path(env("AMTSWEG_DATA_DIR", str(REPO_DIR / "var")))
# Where the public reference data (OZG catalogue, code lists, schemas) lives; tests read fixtures from here.
DATA_DIR.mkdir(parents=True, exist_ok=True)
SHARED_DATA_DIR = Path(env("AMTSWEG_SHARED_DATA_DIR", str(REPO_DIR.parent / "shared" / "data")))

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "rest_framework",
    "rest_framework.authtoken",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "csp",
    "django_tasks",
    "django_tasks_db",
    "amtsweg.core",
    "amtsweg.identity",
    "amtsweg.tenancy",
    "amtsweg.catalog",
    "amtsweg.outbox",
    "amtsweg.forms",
    "amtsweg.cases",
    "amtsweg.notices",
    "amtsweg.processes",
    "amtsweg.payments",
    "amtsweg.appointments",
    "amtsweg.vehicles",
    "amtsweg.ifsg",
    "amtsweg.care",
    "amtsweg.baulasten",
    "amtsweg.portal",
    "amtsweg.backoffice",
    "amtsweg.demo",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "amtsweg.identity.staff.StaffIdleTimeoutMiddleware",  # staff sessions end after STAFF_IDLE_SECONDS idle
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "csp.middleware.CSPMiddleware",
    "amtsweg.core.middleware.RequestGuardMiddleware",
]

ROOT_URLCONF = "amtsweg.urls"
WSGI_APPLICATION = "amtsweg.wsgi.application"
AUTH_USER_MODEL = "identity.User"
AUTHENTICATION_BACKENDS = [
    "amtsweg.identity.staff.StaffLockoutBackend",  # first: a locked staff account stops here, on every form
    "django.contrib.auth.backends.ModelBackend",
]
LOGIN_URL = "backoffice:login"
LOGIN_REDIRECT_URL = "backoffice:home"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "amtsweg.core.context_processors.platform",
            ],
        },
    }
]

_default_db = f"sqlite:///{DATA_DIR / 'amtsweg.sqlite3'}"
DATABASES: dict[str, Any] = {
    "default": dj_database_url.parse(
        env("DATABASE_URL", _default_db), conn_max_age=60, conn_health_checks=True
    )
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # WAL lets readers proceed while one writer commits; IMMEDIATE avoids lock upgrades that deadlock.
    DATABASES["default"]["OPTIONS"] = {
        "transaction_mode": "IMMEDIATE",
        "timeout": 20,
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; PRAGMA busy_timeout=20000;",
    }
    # Tests use a database file (not memory), so concurrency tests see real SQLite locking.
    DATABASES["default"]["TEST"] = {"NAME": str(DATA_DIR / "test_amtsweg.sqlite3")}
    # Keep the connection: opening one and running the PRAGMAs costs ~0.5 ms per request.
    DATABASES["default"]["CONN_MAX_AGE"] = 600
    DATABASES["default"]["CONN_HEALTH_CHECKS"] = False
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# The database cache is shared by all gunicorn workers (rate limits count across them) and needs
# no extra server; set AMTSWEG_REDIS_URL to use Redis instead when scaling out.
_REDIS_URL = env("AMTSWEG_REDIS_URL", "")
CACHES = {
    "default": {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": _REDIS_URL}
    if _REDIS_URL
    else {"BACKEND": "django.core.cache.backends.db.DatabaseCache", "LOCATION": "amtsweg_cache"}
}

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator", "OPTIONS": {"min_length": 10}},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

LANGUAGE_CODE = "de"
LANGUAGES = [("de", _("Deutsch")), ("en", _("Englisch"))]
LOCALE_PATHS = [BASE_DIR / "locale"]
TIME_ZONE = "Europe/Berlin"
USE_I18N = True
USE_TZ = True

STATIC_URL = "/static/"
STATIC_ROOT = Path(env("AMTSWEG_STATIC_ROOT", str(DATA_DIR / "static")))
MEDIA_URL = "/media/"
MEDIA_ROOT = Path(env("AMTSWEG_MEDIA_ROOT", str(DATA_DIR / "media")))
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedStaticFilesStorage"},
}
STATIC_ROOT.mkdir(parents=True, exist_ok=True)
WHITENOISE_USE_FINDERS = DEBUG

# --- security --------------------------------------------------------------------------------
_HTTPS = env_bool("AMTSWEG_HTTPS", False)
SESSION_COOKIE_SECURE = _HTTPS
CSRF_COOKIE_SECURE = _HTTPS
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
SESSION_COOKIE_AGE = int(env("AMTSWEG_SESSION_SECONDS", "3600"))
SESSION_EXPIRE_AT_BROWSER_CLOSE = True
SECURE_SSL_REDIRECT = _HTTPS
SECURE_HSTS_SECONDS = 31536000 if _HTTPS else 0
SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https") if _HTTPS else None
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
# Care finder (Pflegefinder). The map's tile server: an XYZ URL template; empty shows no map (the list
# stays complete). Its origin is allowed in the CSP's img-src. Attribution is shown under the map.
CARE_MAP_TILE_URL = env("AMTSWEG_CARE_MAP_TILE_URL", "https://tile.openstreetmap.org/{z}/{x}/{y}.png")
CARE_MAP_ATTRIBUTION = env("AMTSWEG_CARE_MAP_ATTRIBUTION", "© OpenStreetMap-Mitwirkende (ODbL)")
# Geocoder for full addresses: "" (postcodes and towns from the bundled table only), "nominatim" or
# "photon", at CARE_GEOCODER_URL (your own instance; the public ones limit use), with this User-Agent.
CARE_GEOCODER = env("AMTSWEG_CARE_GEOCODER", "")
CARE_GEOCODER_URL = env("AMTSWEG_CARE_GEOCODER_URL", "")
CARE_GEOCODER_USER_AGENT = env("AMTSWEG_CARE_GEOCODER_USER_AGENT", "Amtsweg-Pflegefinder")
# The postcode/town centroid table; empty: the one shipped (care/data/postcodes_de.csv, see its README).
CARE_POSTCODE_TABLE = env("AMTSWEG_CARE_POSTCODE_TABLE", "")
CARE_GEOCODER_TIMEOUT = float(env("AMTSWEG_CARE_GEOCODER_TIMEOUT", "3"))
# Place alerts: at most one e-mail per alert within this many hours; unconfirmed alerts expire after
# CARE_ALERT_CONFIRM_DAYS; subscriptions per client address and hour (each sends a confirmation e-mail).
CARE_ALERT_MIN_INTERVAL_HOURS = int(env("AMTSWEG_CARE_ALERT_MIN_INTERVAL_HOURS", "12"))
CARE_ALERT_CONFIRM_DAYS = int(env("AMTSWEG_CARE_ALERT_CONFIRM_DAYS", "7"))
# The open-data catalogue's dcatde:contributorID (who harvests it for GovData); Open.NRW by default.
CARE_OPENDATA_CONTRIBUTOR_ID = env(
    "AMTSWEG_CARE_OPENDATA_CONTRIBUTOR_ID", "http://dcat-ap.de/def/contributors/openNRW"
)
CARE_ALERT_SUBSCRIBE_LIMIT = int(env("AMTSWEG_CARE_ALERT_SUBSCRIBE_LIMIT", "10"))

# --- Baulastenverzeichnis -------------------------------------------------------------------------
# OCR of scanned paper files: the OCRmyPDF command (Debian: apt-get install ocrmypdf tesseract-ocr-deu),
# Tesseract's languages, and how long one file may take before the worker gives up on it.
BAULASTEN_OCRMYPDF = env("AMTSWEG_BAULASTEN_OCRMYPDF", "ocrmypdf")
BAULASTEN_OCR_LANGUAGES = env("AMTSWEG_BAULASTEN_OCR_LANGUAGES", "deu")
BAULASTEN_OCR_TIMEOUT_SECONDS = int(env("AMTSWEG_BAULASTEN_OCR_TIMEOUT_SECONDS", "1800"))
# Largest scanned file (MB) and most files per bulk upload.
BAULASTEN_SCAN_MAX_MB = int(env("AMTSWEG_BAULASTEN_SCAN_MAX_MB", "200"))
BAULASTEN_SCAN_MAX_FILES = int(env("AMTSWEG_BAULASTEN_SCAN_MAX_FILES", "50"))
# Most requests in one professional bulk Auskunft (API and CSV upload).
BAULASTEN_AUSKUNFT_BATCH_MAX = int(env("AMTSWEG_BAULASTEN_AUSKUNFT_BATCH_MAX", "100"))
# The XBau 2.6 schemas (XSD) that incoming messages are validated against and produced ones checked
# with: a folder filled by `amtsweg import_xbau_schemas <folder>` (the repository does not ship them).
XBAU_SCHEMA_DIR = Path(env("AMTSWEG_XBAU_SCHEMA_DIR", str(DATA_DIR / "xbau-2.6")))
# The sender of produced XBau messages (nachrichtenkopf: product and manufacturer).
XBAU_PRODUCT = env("AMTSWEG_XBAU_PRODUCT", "Amtsweg")
XBAU_MANUFACTURER = env("AMTSWEG_XBAU_MANUFACTURER", "Amtsweg-Projekt")
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": [SELF],
        "script-src": [SELF],
        "style-src": [SELF],
        "img-src": [SELF, "data:", *_tile_origin(CARE_MAP_TILE_URL)],
        "font-src": [SELF],
        "object-src": [NONE],
        "base-uri": [SELF],
        "frame-ancestors": [NONE],
        "form-action": [SELF],
    }
}
# Passwords: Argon2id (RFC 9106) with the parameters in identity.hashers (stated in
# docs/performance.md with the login figure); older hashes are upgraded at the next login.
PASSWORD_HASHERS = [
    "amtsweg.identity.hashers.AmtswegArgon2PasswordHasher",
    "django.contrib.auth.hashers.PBKDF2PasswordHasher",
]
# Login attempts per client address and per account within LOGIN_RATE_WINDOW seconds.
LOGIN_RATE_LIMIT = int(env("AMTSWEG_LOGIN_RATE_LIMIT", "10"))
LOGIN_RATE_WINDOW = int(env("AMTSWEG_LOGIN_RATE_WINDOW", "300"))
# Longest accepted search query (characters); longer ones get a clear error, not a slow search.
SEARCH_MAX_QUERY_LENGTH = 200
# How often (seconds) a worker checks whether the catalogue changed and its search index is stale.
SEARCH_INDEX_CHECK_SECONDS = float(env("AMTSWEG_SEARCH_INDEX_CHECK_SECONDS", "0"))
# The alliance's own synonym list (everyday word → official terms); default: the one shipped.
SEARCH_SYNONYMS_FILE = env("AMTSWEG_SEARCH_SYNONYMS_FILE", "")

# Verification of notices and certificates (/verify/<code>, page and API) per client address: failed
# checks (malformed, forged, unknown) per window block the address until the window ends; valid checks
# never count. A burst guard in each worker process lets BURST checks through at once, then REFILL/s.
NOTICE_VERIFY_FAILURE_LIMIT = int(env("AMTSWEG_NOTICE_VERIFY_FAILURE_LIMIT", "20"))
NOTICE_VERIFY_FAILURE_WINDOW = int(env("AMTSWEG_NOTICE_VERIFY_FAILURE_WINDOW", "600"))
NOTICE_VERIFY_BURST = int(env("AMTSWEG_NOTICE_VERIFY_BURST", "200"))
NOTICE_VERIFY_REFILL = float(env("AMTSWEG_NOTICE_VERIFY_REFILL", "10"))

# --- identity ----------------------------------------------------------------------------------
# OpenID Connect issuers citizens may log in with (JSON list; fields in docs/identity.md).
IDENTITY_OIDC_PROVIDERS: list[dict[str, Any]] = json.loads(env("AMTSWEG_OIDC_PROVIDERS", "[]"))
# SAML 2.0 identity providers in the shape of BundID (JSON list; fields in docs/identity.md).
IDENTITY_SAML_PROVIDERS: list[dict[str, Any]] = json.loads(env("AMTSWEG_SAML_PROVIDERS", "[]"))
# The demo identity simulator (any name, any level) exists only in demo mode.
IDENTITY_SIMULATOR = DEMO_MODE and env_bool("AMTSWEG_IDENTITY_SIMULATOR", True)
# Local accounts log in only after confirming their e-mail address (link valid this many seconds).
EMAIL_CONFIRMATION_SECONDS = int(env("AMTSWEG_EMAIL_CONFIRMATION_SECONDS", str(3 * 24 * 3600)))
# Staff: TOTP second factor ("required" or "optional"), lockout and idle timeout.
STAFF_TWO_FACTOR = env("AMTSWEG_STAFF_TWO_FACTOR", "required")
STAFF_LOCKOUT_THRESHOLD = int(env("AMTSWEG_STAFF_LOCKOUT_THRESHOLD", "5"))
STAFF_LOCKOUT_SECONDS = int(env("AMTSWEG_STAFF_LOCKOUT_SECONDS", "900"))
STAFF_IDLE_SECONDS = int(env("AMTSWEG_STAFF_IDLE_SECONDS", "1800"))

# --- payments ----------------------------------------------------------------------------------
# The redirect e-payment provider (pmPayment/ePayBL style): JSON object with "url", "merchant_id",
# "secret" (HMAC key) and optional "label"; empty: not offered (docs/payments.md).
PAYMENT_EPAYMENT: dict[str, Any] = json.loads(env("AMTSWEG_EPAYMENT", "{}"))
# Payment by invoice (bank transfer with GiroCode) is offered wherever the authority has an account.
PAYMENT_INVOICE = env_bool("AMTSWEG_PAYMENT_INVOICE", True)
# Hour (local time) of the nightly comparison of open payments with the provider's status.
PAYMENT_CHECK_HOUR = int(env("AMTSWEG_PAYMENT_CHECK_HOUR", "2"))
# The demo payment simulator exists only in demo mode.
PAYMENT_SIMULATOR = DEMO_MODE and env_bool("AMTSWEG_PAYMENT_SIMULATOR", True)

# --- appointments ------------------------------------------------------------------------------
# Proof of work asked of every booking without a citizen account: leading zero bits of
# SHA-256(challenge:solution). 16 bits cost a browser ~0.1 s, a scalper 65,536 hashes per booking.
APPOINTMENTS_POW_DIFFICULTY = int(env("AMTSWEG_APPOINTMENTS_POW_DIFFICULTY", "16"))
APPOINTMENTS_POW_SECONDS = int(env("AMTSWEG_APPOINTMENTS_POW_SECONDS", "600"))
# Booking attempts per client address and hour (web and API together).
APPOINTMENTS_BOOKINGS_PER_HOUR = int(env("AMTSWEG_APPOINTMENTS_BOOKINGS_PER_HOUR", "20"))
# Check-ins at an office's kiosk per client address and minute.
APPOINTMENTS_CHECKINS_PER_MINUTE = int(env("AMTSWEG_APPOINTMENTS_CHECKINS_PER_MINUTE", "30"))
# Hour (local time) from which the reminders for tomorrow's appointments are sent.
APPOINTMENTS_REMINDER_HOUR = int(env("AMTSWEG_APPOINTMENTS_REMINDER_HOUR", "9"))
# Jitsi Meet for video appointments: JSON object with "url" and, for a server with token
# authentication, "app_id" and "secret" (HS256); empty: no video appointments (docs/appointments.md).
APPOINTMENTS_JITSI: dict[str, Any] = json.loads(
    env("AMTSWEG_APPOINTMENTS_JITSI", '{"url": "https://meet.jit.si"}' if DEMO_MODE else "{}")
)

# --- vehicle registration (Zulassung) ------------------------------------------------------------
# The vehicle register adapter (dotted path): the local register serves the demo and the tests; a
# production deployment configures the adapter to the KBA's systems (docs/vehicles.md).
VEHICLES_REGISTER = env("AMTSWEG_VEHICLES_REGISTER", "amtsweg.vehicles.registers.LocalVehicleRegister")
# The registration authority (Zulassungsbehörde) of the alliance and its district prefixes.
VEHICLES_AUTHORITY_AGS = env("AMTSWEG_VEHICLES_AUTHORITY_AGS", "05162000")
VEHICLES_PREFIXES: tuple[str, ...] = tuple(
    p.strip().upper() for p in env("AMTSWEG_VEHICLES_PREFIXES", "NE,GV").split(",") if p.strip()
)
# Desired plates: reserved for this many days, for this fee, at most this many per person at once.
VEHICLES_RESERVATION_DAYS = int(env("AMTSWEG_VEHICLES_RESERVATION_DAYS", "90"))
VEHICLES_RESERVATION_FEE_CENTS = int(env("AMTSWEG_VEHICLES_RESERVATION_FEE_CENTS", "1280"))
VEHICLES_RESERVATIONS_PER_PERSON = int(env("AMTSWEG_VEHICLES_RESERVATIONS_PER_PERSON", "3"))
# Fee per vehicle for an address change; a payments fee of the service at the Kreis overrides it.
VEHICLES_ADDRESS_CHANGE_FEE_CENTS = int(env("AMTSWEG_VEHICLES_ADDRESS_CHANGE_FEE_CENTS", "1280"))
# Seconds the public waiting times of a road-traffic office are cached.
VEHICLES_WAITING_CACHE_SECONDS = int(env("AMTSWEG_VEHICLES_WAITING_CACHE_SECONDS", "30"))

# --- API ---------------------------------------------------------------------------------------
REST_FRAMEWORK: dict[str, Any] = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        # Token first, so that unauthenticated API calls get 401 with a WWW-Authenticate header.
        "rest_framework.authentication.TokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.AllowAny"],
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "DEFAULT_PAGINATION_CLASS": "rest_framework.pagination.LimitOffsetPagination",
    "PAGE_SIZE": 50,
    "EXCEPTION_HANDLER": "amtsweg.core.problems.problem_exception_handler",
    "DEFAULT_RENDERER_CLASSES": ["rest_framework.renderers.JSONRenderer"],
    "UNAUTHENTICATED_USER": "django.contrib.auth.models.AnonymousUser",
}
if DEBUG:
    REST_FRAMEWORK["DEFAULT_RENDERER_CLASSES"].append("rest_framework.renderers.BrowsableAPIRenderer")
SPECTACULAR_SETTINGS = {
    "TITLE": "Amtsweg API",
    "DESCRIPTION": "Public catalogue, authorities and responsibility of the alliance; staff endpoints "
    "are scoped to the acting user's authorities. Errors are application/problem+json (RFC 9457).",
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    "COMPONENT_SPLIT_REQUEST": True,
    "SCHEMA_PATH_PREFIX": "/api/v1",
    "SORT_OPERATION_PARAMETERS": True,
    "ENUM_NAME_OVERRIDES": {
        "CaseProcessStatusEnum": "amtsweg.processes.serializers_viewer.CASE_PROCESS_STATUS",
        "ProcessTaskKindEnum": "amtsweg.processes.models.ProcessTask.Kind",
        "ProcessTaskStateEnum": "amtsweg.processes.models.ProcessTask.State",
        "ProcessVersionStatusEnum": "amtsweg.processes.models.ProcessVersion.Status",
        "HandoverStatusEnum": "amtsweg.processes.models.Handover.Status",
        "AuthorityKindEnum": "amtsweg.tenancy.models.Authority.Kind",
        "TrustLevelEnum": "amtsweg.identity.levels.TrustLevel",
        "PaymentStatusEnum": "amtsweg.payments.models.Payment.Status",
        "AppointmentStatusEnum": "amtsweg.appointments.models.Appointment.Status",
        "FeeKindEnum": "amtsweg.payments.models.Fee.Kind",
        "PlateReservationStatusEnum": "amtsweg.vehicles.models.PlateReservation.Status",
        "IfsgLanguageEnum": "amtsweg.ifsg.languages.CHOICES",
        # The language of e-mails to a person (appointment confirmations, place alerts).
        "ContactLanguageEnum": [code for code, _name in LANGUAGES],
        "CareTypeEnum": "amtsweg.care.models.CareType",
        "SpecialisationEnum": "amtsweg.care.models.Specialisation",
        "CareVacancyStatusEnum": "amtsweg.care.serializers_public.STATUS_CHOICES",
        "BaulastKindEnum": "amtsweg.baulasten.models.BaulastKind",
        "ScanStatusEnum": "amtsweg.baulasten.models.ScanFile.Status",
        "AuskunftSourceEnum": "amtsweg.baulasten.models.AuskunftRequest.Source",
        "AuskunftDecisionEnum": "amtsweg.baulasten.models.AuskunftRequest.Decision",
    },
}

# --- logging: no personal data; request lines carry method, path and status only ------------
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {"handlers": ["console"], "level": env("AMTSWEG_LOG_LEVEL", "INFO")},
    "loggers": {
        "django.request": {"level": "ERROR"},
        "django.server": {"level": "WARNING"},
        "weasyprint.progress": {"level": "WARNING"},  # one line per rendering step otherwise
        "fontTools": {"level": "WARNING"},
        "spiff": {"level": "WARNING"},  # SpiffWorkflow logs every task state change at INFO
        "saml2": {"level": "WARNING"},  # pysaml2 logs NameIDs and attribute values at INFO/DEBUG
        "xmlschema": {"level": "WARNING"},  # pysaml2's schema loading, once per process
        "urllib3": {"level": "WARNING"},  # logs request URLs (a geocoder's: citizens' addresses) at DEBUG
    },
}

# --- background work -----------------------------------------------------------------------------
# The Django tasks API (django-tasks): the database backend by default, so one machine needs no extra
# server; `amtsweg worker` runs it. AMTSWEG_TASKS_BACKEND selects another (e.g. django_tasks_rq.RQBackend).
TASKS = {
    "default": {
        "BACKEND": env("AMTSWEG_TASKS_BACKEND", "django_tasks_db.DatabaseBackend"),
        "QUEUES": ["default", "documents"],
    }
}

# Delivery of outbox messages (e-mail, PDFs): attempts before a message shows as failed, and how often
# the worker looks for messages whose task was lost (e.g. a worker killed mid-way).
OUTBOX_MAX_ATTEMPTS = int(env("AMTSWEG_OUTBOX_MAX_ATTEMPTS", "8"))
OUTBOX_SWEEP_SECONDS = float(env("AMTSWEG_OUTBOX_SWEEP_SECONDS", "60"))
# A worker owns a claimed message this long; after that (worker died) another may take it.
OUTBOX_LEASE_SECONDS = float(env("AMTSWEG_OUTBOX_LEASE_SECONDS", "300"))
# Backoff before the 2nd attempt, growing fourfold per attempt up to the maximum.
OUTBOX_BACKOFF_SECONDS = float(env("AMTSWEG_OUTBOX_BACKOFF_SECONDS", "30"))
OUTBOX_BACKOFF_MAX_SECONDS = float(env("AMTSWEG_OUTBOX_BACKOFF_MAX_SECONDS", "21600"))
# Pending messages older than this show on the staff "failed deliveries" page too.
OUTBOX_OVERDUE_SECONDS = float(env("AMTSWEG_OUTBOX_OVERDUE_SECONDS", "900"))

# --- uploads -------------------------------------------------------------------------------------
# Largest accepted upload (MB); Django's request body limit follows it.
UPLOAD_MAX_MB = int(env("AMTSWEG_UPLOAD_MAX_MB", "10"))
DATA_UPLOAD_MAX_MEMORY_SIZE = 2_621_440  # form fields without files: Django's default 2.5 MB
FILE_UPLOAD_MAX_MEMORY_SIZE = 2_621_440
# clamd address ("host:port" or a unix socket path); empty: uploads are not scanned for malware.
CLAMAV_ADDRESS = env("AMTSWEG_CLAMAV_ADDRESS", "")
CLAMAV_TIMEOUT = float(env("AMTSWEG_CLAMAV_TIMEOUT", "30"))
UPLOAD_MAX_FILES_PER_DRAFT = int(env("AMTSWEG_UPLOAD_MAX_FILES_PER_DRAFT", "20"))

# The public address of the portal, used in e-mails and on notices (verification links).
PUBLIC_URL = env("AMTSWEG_PUBLIC_URL", "http://127.0.0.1:8000").rstrip("/")

EMAIL_BACKEND = env("AMTSWEG_EMAIL_BACKEND", "django.core.mail.backends.smtp.EmailBackend")
EMAIL_HOST = env("AMTSWEG_EMAIL_HOST", "127.0.0.1")
EMAIL_PORT = int(env("AMTSWEG_EMAIL_PORT", "25"))
EMAIL_TIMEOUT = int(env("AMTSWEG_EMAIL_TIMEOUT", "30"))
EMAIL_HOST_USER = env("AMTSWEG_EMAIL_HOST_USER", "")
EMAIL_HOST_PASSWORD = env("AMTSWEG_EMAIL_HOST_PASSWORD", "")
EMAIL_USE_TLS = env_bool("AMTSWEG_EMAIL_USE_TLS", False)
EMAIL_USE_SSL = env_bool("AMTSWEG_EMAIL_USE_SSL", False)
DEFAULT_FROM_EMAIL = env("AMTSWEG_FROM_EMAIL", "amtsweg@localhost")

PLATFORM_NAME = env("AMTSWEG_PLATFORM_NAME", "Amtsweg")
