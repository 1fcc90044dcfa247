"""Settings, read from environment variables with safe defaults.

With no environment at all Sahayak runs on an SQLite file under ``SAHAYAK_DATA_DIR``
(default ``./data``) and needs no other server.
"""

from __future__ import annotations

import os
import secrets
from pathlib import Path

import dj_database_url
from django.utils.translation import gettext_lazy as _


def env_bool(name: str, default: bool) -> bool:
    value = os.environ.get(name)
    if value is None or value == "":
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def env_int(name: str, default: int) -> int:
    value = os.environ.get(name, "")
    return int(value) if value.strip() else default


def env_list(name: str, default: str) -> list[str]:
    return [item.strip() for item in os.environ.get(name, default).split(",") if item.strip()]


BASE_DIR = Path(__file__).resolve().parent
DATA_DIR = Path(os.environ.get("SAHAYAK_DATA_DIR", Path.cwd() / "data")).resolve()
if not DATA_DIR.exists():
    # The database, keys, uploads and kept mail are for this service's user only.
    DATA_DIR.mkdir(parents=True, mode=0o700)


def _secret_key() -> str:
    """SECRET_KEY from the environment, else one generated once and kept in the data dir."""
    if os.environ.get("SECRET_KEY"):
        return os.environ["SECRET_KEY"]
    DATA_DIR.mkdir(parents=True, exist_ok=True)
    key_file = DATA_DIR / "secret_key"
    if not key_file.exists():
        key_file.write_text(secrets.token_urlsafe(50))
        key_file.chmod(0o600)
    return key_file.read_text().strip()


SECRET_KEY = _secret_key()
DEBUG = env_bool("DEBUG", False)
ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", "127.0.0.1,localhost,[::1],testserver")
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS", "")

# Behind HTTPS (a proxy terminating TLS and setting X-Forwarded-Proto): secure cookies, HSTS.
if env_bool("SAHAYAK_HTTPS", False):
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    SESSION_COOKIE_SECURE = CSRF_COOKIE_SECURE = True
    SECURE_HSTS_SECONDS = env_int("SECURE_HSTS_SECONDS", 31_536_000)
# Reverse proxies (addresses or networks) whose X-Forwarded-For is believed for the client's
# address (rate limits). Empty: the connecting address is the client.
SAHAYAK_TRUSTED_PROXIES = env_list("SAHAYAK_TRUSTED_PROXIES", "")
SESSION_COOKIE_HTTPONLY = True
SECURE_CONTENT_TYPE_NOSNIFF = True
X_FRAME_OPTIONS = "DENY"

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "channels",
    "django_tasks",
    "django_tasks_db",
    "sahayak",
    "sahayak.accounts",
    "sahayak.contacts",
    "sahayak.conversations",
    # Channels: each connector registers itself with the core's channel port.
    "sahayak.connectors.email",
    "sahayak.connectors.webform",
    "sahayak.connectors.api",
    "sahayak.connectors.portal",
    "sahayak.connectors.chat",
    "sahayak.connectors.messaging",
    "sahayak.connectors.whatsapp",
    "sahayak.connectors.sms",
    "sahayak.connectors.telegram",
    "sahayak.connectors.messenger",
    "sahayak.api",
    "sahayak.realtime",
    "sahayak.notifications",
    # Rules react to a change before routing does, so a rule that sets the team or the
    # priority is followed by the assignment (and the SLA) that fit.
    "sahayak.integrations",
    "sahayak.automation",
    "sahayak.routing",
    "sahayak.knowledge",
    "sahayak.feedback",
    "sahayak.analytics",
    "sahayak.portal",
    "sahayak.web",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "sahayak.csp.ContentSecurityPolicyMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "sahayak.middleware.RequestSizeLimitMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "sahayak.api.idempotency.IdempotencyMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "sahayak.accounts.middleware.SignInPolicyMiddleware",
    "sahayak.web.middleware.AgentPreferencesMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
]

ROOT_URLCONF = "sahayak.urls"
ASGI_APPLICATION = "sahayak.asgi.application"
AUTH_USER_MODEL = "accounts.User"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "django.template.context_processors.i18n",
                "django.template.context_processors.tz",
                "sahayak.web.context_processors.workspace",
                "sahayak.csp.nonce",
            ],
        },
    },
]

# --- Database -------------------------------------------------------------------------------
SQLITE_PATH = DATA_DIR / "sahayak.sqlite3"
DATABASE_URL = os.environ.get("DATABASE_URL", "") or f"sqlite:///{SQLITE_PATH}"
_db = dj_database_url.parse(DATABASE_URL, conn_max_age=env_int("DB_CONN_MAX_AGE", 600))
if _db["ENGINE"] == "django.db.backends.sqlite3":
    _db["ENGINE"] = "sahayak.db.sqlite3"
    # WAL lets readers run beside the one writer; IMMEDIATE takes the write lock at BEGIN so
    # two writers queue on the busy timeout instead of failing with "database is locked".
    # Requests run on a pool of long-lived threads; each keeps its connection.
    _db["CONN_MAX_AGE"] = None
    _db["OPTIONS"] = {
        "transaction_mode": "IMMEDIATE",
        "timeout": 30,
        "init_command": (
            "PRAGMA journal_mode=WAL;PRAGMA synchronous=NORMAL;"
            "PRAGMA foreign_keys=ON;PRAGMA busy_timeout=30000;PRAGMA cache_size=-32000;"
        ),
    }
    # Tests use a file, not shared-cache memory, so threads see real locking behaviour.
    _db["TEST"] = {"NAME": str(DATA_DIR / "test.sqlite3")}
    DATA_DIR.mkdir(parents=True, exist_ok=True)
elif _db["ENGINE"] == "django.db.backends.postgresql":
    # Web threads, workers and the sweeper share a small pool of warm connections.
    _db["CONN_MAX_AGE"] = 0
    # While the database is unreachable a request waits at most a few seconds for a
    # connection, then gets 503 with Retry-After (sahayak.health) instead of hanging.
    _db.setdefault("OPTIONS", {})["pool"] = {
        "min_size": env_int("DB_POOL_MIN", 2),
        "max_size": env_int("DB_POOL_MAX", 20),
        "timeout": env_int("DB_POOL_TIMEOUT", 5),
    }
    _db["OPTIONS"]["connect_timeout"] = env_int("DB_CONNECT_TIMEOUT", 3)
DATABASES = {"default": _db}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

REDIS_URL = os.environ.get("REDIS_URL", "")
if REDIS_URL:
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": REDIS_URL,
        }
    }
else:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}

# --- Realtime (websockets) --------------------------------------------------------------------
# In memory by default (one server process); on Redis every process sees every event.
if REDIS_URL:
    CHANNEL_LAYERS = {
        "default": {
            "BACKEND": "channels_redis.core.RedisChannelLayer",
            "CONFIG": {
                "hosts": [REDIS_URL],
                "prefix": os.environ.get("SAHAYAK_CHANNEL_PREFIX", "sahayak"),
                # An agent's socket may get a burst of events (one per new chat message).
                "capacity": 1000,
            },
        }
    }
else:
    CHANNEL_LAYERS = {
        "default": {
            "BACKEND": "sahayak.realtime.layers.LocalChannelLayer",
            "CONFIG": {"capacity": 1000},
        }
    }

# --- Background tasks -----------------------------------------------------------------------
TASKS = {
    "default": {
        "BACKEND": os.environ.get("SAHAYAK_TASK_BACKEND", "django_tasks_db.DatabaseBackend"),
        "QUEUES": ["default", "delivery", "routing", "inbound"],
    }
}

# --- Auth ------------------------------------------------------------------------------------
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {
        "NAME": "django.contrib.auth.password_validation.MinimumLengthValidator",
        "OPTIONS": {"min_length": 12},
    },
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
]
AUTHENTICATION_BACKENDS = ["sahayak.accounts.backends.UsernameOrEmailBackend"]
LOGIN_URL = "/login/"
LOGIN_REDIRECT_URL = "/"
LOGOUT_REDIRECT_URL = "/login/"
# How long a sign-in lasts (hours), and whether closing the browser ends it.
SESSION_COOKIE_AGE = env_int("SAHAYAK_SESSION_HOURS", 168) * 3600
SESSION_EXPIRE_AT_BROWSER_CLOSE = env_bool("SAHAYAK_SESSION_BROWSER_CLOSE", False)
SESSION_COOKIE_SAMESITE = "Lax"
# Failed sign-ins: tries without delay, then a doubling wait; the lock after this many
# (lifted by an administrator); failures per client address in 15 minutes.
SAHAYAK_SIGNIN_FREE_TRIES = env_int("SAHAYAK_SIGNIN_FREE_TRIES", 3)
SAHAYAK_SIGNIN_LOCK_AFTER = env_int("SAHAYAK_SIGNIN_LOCK_AFTER", 10)
SAHAYAK_SIGNIN_IP_RATE = env_int("SAHAYAK_SIGNIN_IP_RATE", 30)
# Roles that must use two-factor sign-in (comma-separated: admin, supervisor, agent).
SAHAYAK_2FA_REQUIRED_ROLES = env_list("SAHAYAK_2FA_REQUIRED_ROLES", "")
PASSWORD_RESET_TIMEOUT = env_int("SAHAYAK_PASSWORD_RESET_MINUTES", 60) * 60
# Password-reset requests per address and per client per hour.
SAHAYAK_PASSWORD_RESET_RATE = env_int("SAHAYAK_PASSWORD_RESET_RATE", 5)
# Django's own mail (password resets) goes the way replies do: the relay or the outbox.
EMAIL_BACKEND = "sahayak.connectors.email.backend.RelayEmailBackend"

# Single sign-on with OpenID Connect (enabled when a client id is set).
OIDC_RP_CLIENT_ID = os.environ.get("SAHAYAK_OIDC_CLIENT_ID", "")
OIDC_RP_CLIENT_SECRET = os.environ.get("SAHAYAK_OIDC_CLIENT_SECRET", "")
OIDC_OP_AUTHORIZATION_ENDPOINT = os.environ.get("SAHAYAK_OIDC_AUTHORIZATION_URL", "")
OIDC_OP_TOKEN_ENDPOINT = os.environ.get("SAHAYAK_OIDC_TOKEN_URL", "")
OIDC_OP_USER_ENDPOINT = os.environ.get("SAHAYAK_OIDC_USERINFO_URL", "")
OIDC_OP_JWKS_ENDPOINT = os.environ.get("SAHAYAK_OIDC_JWKS_URL", "")
OIDC_RP_SIGN_ALGO = os.environ.get("SAHAYAK_OIDC_SIGN_ALGO", "RS256")
OIDC_RP_SCOPES = os.environ.get("SAHAYAK_OIDC_SCOPES", "openid email profile")
OIDC_USE_NONCE = True
OIDC_USE_PKCE = True
OIDC_CREATE_USER = env_bool("SAHAYAK_OIDC_CREATE_USERS", True)
OIDC_AUTHENTICATION_CALLBACK_URL = "oidc_authentication_callback"
LOGIN_REDIRECT_URL_FAILURE = "/login/?sso=failed"
# The sign-in button's text, the claim that lists the user's groups, and how groups map to
# roles ("group=role,…") and teams (groups named like a team join it).
SAHAYAK_OIDC_NAME = os.environ.get("SAHAYAK_OIDC_NAME", "")
SAHAYAK_OIDC_GROUPS_CLAIM = os.environ.get("SAHAYAK_OIDC_GROUPS_CLAIM", "groups")
SAHAYAK_OIDC_ROLE_MAP = dict(
    item.split("=", 1) for item in env_list("SAHAYAK_OIDC_ROLE_MAP", "") if "=" in item
)
SAHAYAK_OIDC_TEAM_SYNC = env_bool("SAHAYAK_OIDC_TEAM_SYNC", True)
if OIDC_RP_CLIENT_ID:
    AUTHENTICATION_BACKENDS.append("sahayak.accounts.sso.SahayakOIDCBackend")

# --- Internationalisation --------------------------------------------------------------------
LANGUAGE_CODE = "en"
LANGUAGES = [
    ("en", _("English")),
    ("hi", _("Hindi")),
    ("bn", _("Bengali")),
    ("el", _("Greek")),
    ("fr", _("French")),
]
LOCALE_PATHS = [BASE_DIR / "locale"]
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True

# --- Static and uploaded files ---------------------------------------------------------------
STATIC_URL = "static/"
STATIC_ROOT = DATA_DIR / "static"
STATIC_ROOT.mkdir(parents=True, exist_ok=True)
MEDIA_URL = "media/"
MEDIA_ROOT = Path(os.environ.get("SAHAYAK_MEDIA_ROOT", DATA_DIR / "media"))
FILE_UPLOAD_PERMISSIONS = 0o600
FILE_UPLOAD_DIRECTORY_PERMISSIONS = 0o700
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}
WHITENOISE_USE_FINDERS = True

# --- Limits ----------------------------------------------------------------------------------
# Largest request body accepted anywhere (attachments included); bigger bodies get 413.
SAHAYAK_MAX_REQUEST_BYTES = env_int("SAHAYAK_MAX_REQUEST_BYTES", 30 * 1024 * 1024)
DATA_UPLOAD_MAX_MEMORY_SIZE = env_int("SAHAYAK_MAX_JSON_BYTES", 2 * 1024 * 1024)
FILE_UPLOAD_MAX_MEMORY_SIZE = 2 * 1024 * 1024
SAHAYAK_MAX_MESSAGE_CHARS = env_int("SAHAYAK_MAX_MESSAGE_CHARS", 100_000)
SAHAYAK_MAX_ATTACHMENT_BYTES = env_int("SAHAYAK_MAX_ATTACHMENT_BYTES", 25 * 1024 * 1024)
# API requests per token per minute (a token may set its own), and how long answers to
# requests with an Idempotency-Key are kept.
SAHAYAK_API_RATE = env_int("SAHAYAK_API_RATE", 600)
SAHAYAK_IDEMPOTENCY_HOURS = env_int("SAHAYAK_IDEMPOTENCY_HOURS", 24)
SAHAYAK_WEBFORM_RATE = env_int("SAHAYAK_WEBFORM_RATE", 10)  # submissions per IP per minute

# Hosts on private networks, this machine or a link that webhooks and mailbox servers may
# still reach (host names, addresses or networks, comma-separated); all others are refused.
SAHAYAK_ALLOWED_HOSTS = env_list("SAHAYAK_ALLOWED_HOSTS", "")

# --- Channels and language -------------------------------------------------------------------
# Region used to read phone numbers written without a country code ("" = require +CC).
SAHAYAK_PHONE_REGION = os.environ.get("SAHAYAK_PHONE_REGION", "")
SAHAYAK_DETECT_LANGUAGES = env_list("SAHAYAK_DETECT_LANGUAGES", "en,hi,bn,el,fr")
SAHAYAK_DELIVERY_MAX_ATTEMPTS = env_int("SAHAYAK_DELIVERY_MAX_ATTEMPTS", 8)
SAHAYAK_DELIVERY_TIMEOUT = float(os.environ.get("SAHAYAK_DELIVERY_TIMEOUT", "10"))
# How long a worker owns a send; after that a dead worker's send (or one cut short by a
# database outage) is picked up again. Longer than the slowest send (SMTP timeout, 30 s).
SAHAYAK_DELIVERY_LEASE_SECONDS = env_int("SAHAYAK_DELIVERY_LEASE_SECONDS", 60)

# --- Live chat -----------------------------------------------------------------------------
SAHAYAK_CHAT_MAX_CHARS = env_int("SAHAYAK_CHAT_MAX_CHARS", 5000)
# Messages (and uploads) per visitor per minute; more are refused and resent by the widget.
SAHAYAK_CHAT_RATE = env_int("SAHAYAK_CHAT_RATE", 30)
# Per client address and per inbox as well: one machine opening many sessions cannot
# flood an inbox. New sessions per address / per inbox a minute.
SAHAYAK_CHAT_IP_RATE = env_int("SAHAYAK_CHAT_IP_RATE", 120)
SAHAYAK_CHAT_INBOX_RATE = env_int("SAHAYAK_CHAT_INBOX_RATE", 3000)
SAHAYAK_CHAT_SESSIONS_PER_IP = env_int("SAHAYAK_CHAT_SESSIONS_PER_IP", 20)
SAHAYAK_CHAT_SESSIONS_PER_INBOX = env_int("SAHAYAK_CHAT_SESSIONS_PER_INBOX", 600)
# Transcripts per visitor and per address an hour; how long links to chat files work.
SAHAYAK_CHAT_TRANSCRIPTS_PER_HOUR = env_int("SAHAYAK_CHAT_TRANSCRIPTS_PER_HOUR", 3)
SAHAYAK_CHAT_FILE_LINK_SECONDS = env_int("SAHAYAK_CHAT_FILE_LINK_SECONDS", 12 * 3600)
SAHAYAK_CHAT_UPLOAD_BYTES = env_int("SAHAYAK_CHAT_UPLOAD_BYTES", 10 * 1024 * 1024)
SAHAYAK_CHAT_UPLOAD_TYPES = env_list(
    "SAHAYAK_CHAT_UPLOAD_TYPES",
    "image/png,image/jpeg,image/gif,image/webp,application/pdf,text/plain",
)
# A visitor or agent not heard from for this long counts as gone (offline replies by email).
SAHAYAK_CHAT_ONLINE_SECONDS = env_int("SAHAYAK_CHAT_ONLINE_SECONDS", 90)
# Most open conversations of one channel kind an agent is given when their capacity says
# nothing of that kind.
SAHAYAK_ROUTING_DEFAULT_CAPACITY = env_int("SAHAYAK_ROUTING_DEFAULT_CAPACITY", 10)
# A calendar or SLA policy edit recomputes every open conversation's deadlines as this many
# tasks over ranges of ids, so that several workers share the pass.
SAHAYAK_SLA_SLICES = max(1, env_int("SAHAYAK_SLA_SLICES", 4))
# How long a process keeps the routing configuration (SLA and routing policies, calendars)
# before reading it again; its own edits apply at once (sahayak.routing.config).
SAHAYAK_ROUTING_CONFIG_SECONDS = float(os.environ.get("SAHAYAK_ROUTING_CONFIG_SECONDS", "2"))
# Threads (each with a database connection) that run websocket consumers' queries.
# SQLite has one writer: more threads only contend for its lock and the interpreter.
SAHAYAK_SOCKET_DB_THREADS = env_int(
    "SAHAYAK_SOCKET_DB_THREADS", 2 if DATABASES["default"]["ENGINE"] == "sahayak.db.sqlite3" else 3
)

# --- Email --------------------------------------------------------------------------------
# The whole raw message, attachments included; bigger mail is refused with 552.
SAHAYAK_EMAIL_MAX_BYTES = env_int("SAHAYAK_EMAIL_MAX_BYTES", 30 * 1024 * 1024)
# Messages per sender per hour before they are deferred (a mail loop's brake); 0 = no limit.
SAHAYAK_EMAIL_SENDER_RATE = env_int("SAHAYAK_EMAIL_SENDER_RATE", 120)
# The SMTP listener is the first hop (the MX): check SPF, DKIM and DMARC itself.
SAHAYAK_EMAIL_VERIFY_SENDERS = env_bool("SAHAYAK_EMAIL_VERIFY_SENDERS", False)
# A DNS resolver for those checks ("host" or "host:port"; empty: the system's).
SAHAYAK_DNS_SERVER = os.environ.get("SAHAYAK_DNS_SERVER", "")
# The relays whose Authentication-Results headers (SPF, DKIM, DMARC) are trusted, by their
# authserv-id (e.g. mx.example.com). Empty: only the topmost such header counts.
SAHAYAK_EMAIL_AUTHSERV_IDS = env_list("SAHAYAK_EMAIL_AUTHSERV_IDS", "")
# Spam: mail scoring at least this much is set aside as spam (built-in signals and the
# relay's verdict); SAHAYAK_SPAMD_ADDRESS (host:port of SpamAssassin's spamd) adds its score.
SAHAYAK_SPAM_THRESHOLD = float(os.environ.get("SAHAYAK_SPAM_THRESHOLD", "5.0"))
SAHAYAK_SPAMD_ADDRESS = os.environ.get("SAHAYAK_SPAMD_ADDRESS", "")
# At most one automatic acknowledgement per sender in this many seconds.
SAHAYAK_EMAIL_AUTO_REPLY_INTERVAL = env_int("SAHAYAK_EMAIL_AUTO_REPLY_INTERVAL", 3600)
# Automation rule runs (their traces) and delivered or abandoned outbox rows are kept this
# many days, then pruned by the worker in batches.
SAHAYAK_RULE_RUN_DAYS = env_int("SAHAYAK_RULE_RUN_DAYS", 90)
SAHAYAK_OUTBOX_KEEP_DAYS = env_int("SAHAYAK_OUTBOX_KEEP_DAYS", 30)
# The relay for outbound mail unless a mailbox sets its own:
# smtp://user:password@host:587?security=starttls (security: starttls, ssl or none).
# Unset: nothing leaves the machine; mail is kept in the outbox below (Mailboxes -> Sent mail).
SAHAYAK_SMTP_URL = os.environ.get("SAHAYAK_SMTP_URL", "")
SAHAYAK_OUTBOX_DIR = os.environ.get("SAHAYAK_OUTBOX_DIR", str(DATA_DIR / "sent-mail"))
# The name the built-in SMTP listener greets with.
SAHAYAK_SMTP_HOSTNAME = os.environ.get("SAHAYAK_SMTP_HOSTNAME", "localhost")
SAHAYAK_SMTP_TIMEOUT = float(os.environ.get("SAHAYAK_SMTP_TIMEOUT", "30"))
# Seconds between IMAP polls where the server offers no IDLE (and IDLE's longest wait).
SAHAYAK_IMAP_INTERVAL = env_int("SAHAYAK_IMAP_INTERVAL", 60)

# --- Messaging providers -------------------------------------------------------------------
# Base addresses of the providers' APIs (point them at a local stand-in for tests or a
# proxy; each inbox's credentials are set on the workspace's Channels page).
SAHAYAK_GRAPH_API_URL = os.environ.get("SAHAYAK_GRAPH_API_URL", "https://graph.facebook.com/v21.0")
SAHAYAK_TWILIO_API_URL = os.environ.get("SAHAYAK_TWILIO_API_URL", "https://api.twilio.com")
SAHAYAK_TELEGRAM_API_URL = os.environ.get("SAHAYAK_TELEGRAM_API_URL", "https://api.telegram.org")
# Largest file fetched from a provider or sent to one (WhatsApp allows 100 MB documents;
# the attachment limit above applies too).
SAHAYAK_PROVIDER_MEDIA_BYTES = env_int("SAHAYAK_PROVIDER_MEDIA_BYTES", 16 * 1024 * 1024)
# Hosts Messenger and Instagram attachments are fetched from (webhooks name the URL).
SAHAYAK_META_MEDIA_HOSTS = env_list(
    "SAHAYAK_META_MEDIA_HOSTS", "fbcdn.net,fbsbx.com,cdninstagram.com,facebook.com"
)
# Seconds a worker holds a webhook delivery it is processing; one killed meanwhile leaves
# it to be taken up again after this.
SAHAYAK_WEBHOOK_LEASE_SECONDS = env_int("SAHAYAK_WEBHOOK_LEASE_SECONDS", 120)
# Webhook deliveries a web process works through itself, right after answering (beyond
# this backlog the worker takes them; 0: always the worker).
SAHAYAK_WEBHOOK_LOCAL_BACKLOG = env_int("SAHAYAK_WEBHOOK_LOCAL_BACKLOG", 200)
# Processed provider webhooks are kept this many days (to look into), then pruned.
SAHAYAK_WEBHOOK_KEEP_DAYS = env_int("SAHAYAK_WEBHOOK_KEEP_DAYS", 7)
# Seconds a Telegram long poll (getUpdates) waits for news.
SAHAYAK_TELEGRAM_POLL_SECONDS = env_int("SAHAYAK_TELEGRAM_POLL_SECONDS", 25)

# --- Knowledge base and help center -------------------------------------------------------
# Languages articles can be written in, and the one shown when a translation is missing.
SAHAYAK_KB_LOCALES = env_list("SAHAYAK_KB_LOCALES", "en,hi,bn,el,fr")
SAHAYAK_KB_DEFAULT_LOCALE = os.environ.get("SAHAYAK_KB_DEFAULT_LOCALE", "en")
# The help center's title ("" = "Help Center" in the reader's language).
SAHAYAK_HELP_CENTER_NAME = os.environ.get("SAHAYAK_HELP_CENTER_NAME", "")
# Public address of this server, for canonical links and the sitemap ("" = from the request).
SAHAYAK_PUBLIC_URL = os.environ.get("SAHAYAK_PUBLIC_URL", "").rstrip("/")
# The answer bot suggests an article only if it holds this share of the question's content
# words (whole words or stems; at least two when the question has two).
SAHAYAK_BOT_MIN_COVERAGE = float(os.environ.get("SAHAYAK_BOT_MIN_COVERAGE", "0.3"))
# Uploaded article files (images, attachments, mp4 videos).
# Sender of the customer portal's sign-in emails ("" = the first email inbox's address).
SAHAYAK_PORTAL_FROM = os.environ.get("SAHAYAK_PORTAL_FROM", "")
SAHAYAK_KB_UPLOAD_BYTES = env_int("SAHAYAK_KB_UPLOAD_BYTES", 50 * 1024 * 1024)

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s: %(message)s"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {"handlers": ["console"], "level": os.environ.get("LOG_LEVEL", "INFO")},
    "loggers": {
        "django.db.backends": {"level": "WARNING"},
        "mail.log": {"level": "WARNING"},  # aiosmtpd logs every SMTP command at INFO
    },
}

# Surveys: answers are taken (and may be changed) for this many days after sending.
SAHAYAK_SURVEY_OPEN_DAYS = env_int("SAHAYAK_SURVEY_OPEN_DAYS", 14)
# Reports: a computed overview is reused this long (0: always computed afresh).
SAHAYAK_REPORTS_CACHE_SECONDS = env_int("SAHAYAK_REPORTS_CACHE_SECONDS", 30)
# ... and the figures of the period before (it has ended; only old conversations change it).
SAHAYAK_REPORTS_HISTORY_CACHE_SECONDS = env_int("SAHAYAK_REPORTS_HISTORY_CACHE_SECONDS", 600)
