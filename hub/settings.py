"""Settings for the live debate hub, read from the environment only.

With no environment at all the app runs the embedded demo: SQLite, the in-process channel layer, DEBUG on.
Production sets DATABASE_URL (PostgreSQL), REDIS_URL (channel layer, coalescing, presence), SECRET_KEY,
DEBUG=0, ALLOWED_HOSTS and CSRF_TRUSTED_ORIGINS.
"""

from __future__ import annotations

import os
from pathlib import Path

import dj_database_url
from django.utils.translation import gettext_lazy as _

BASE_DIR = Path(__file__).resolve().parent.parent


def env_bool(name: str, default: bool) -> bool:
    value = os.environ.get(name)
    if value is None or value == "":
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def env_list(name: str, default: str = "") -> list[str]:
    return [item.strip() for item in os.environ.get(name, default).split(",") if item.strip()]


DEBUG = env_bool("DEBUG", True)

_DEV_SECRET = "django-insecure-embedded-demo-key-do-not-use-in-production-0123456789"
SECRET_KEY = os.environ.get("SECRET_KEY") or _DEV_SECRET
# Key of the voter codes' hashes (debates.codes); defaults to SECRET_KEY. Changing it invalidates every code issued.
VOTER_CODE_KEY = os.environ.get("VOTER_CODE_KEY", "")
if not DEBUG and SECRET_KEY == _DEV_SECRET:
    raise RuntimeError("SECRET_KEY must be set when DEBUG is off.")

ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", "127.0.0.1,localhost,[::1]" if DEBUG else "")
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS")
CSRF_FAILURE_VIEW = "debates.views_csrf.csrf_failure"  # htmx: inline message, the page stays

INSTALLED_APPS = [
    "daphne",
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "channels",
    "csp",
    "hub",  # the wiring's own start-up work (hub/apps.py)
    "template_partials",
    "debates",
    "live",
]

MIDDLEWARE = [
    # First: load balancers probe /healthz by address over plain HTTP (no ALLOWED_HOSTS check, no HTTPS redirect).
    "hub.middleware.HealthCheckMiddleware",
    "hub.server_timing.ServerTimingMiddleware",  # times all the rest
    # Outer to every middleware that writes the body: HTML and JSON compressed, except a response that carries a
    # secret (BREACH: debates/breach.py, hub/compression.py).
    "hub.compression.CompressionMiddleware",
    # A database outage answers 503 with a clear message (its process_exception runs for every view).
    "hub.middleware.DatabaseUnavailableMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "csp.middleware.CSPMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    # Django's, plus revocable staff sessions (debates/staff_sessions.py): logout ends every copy of a session.
    "hub.middleware.StaffSessionAuthenticationMiddleware",
    # Failed join-code and screen-secret guesses per address (debates/limits.py).
    "hub.middleware.GuessLimitMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
]

ROOT_URLCONF = "hub.urls"
ASGI_APPLICATION = "hub.asgi.application"
WSGI_APPLICATION = None

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
            ],
            # {% url %} with its answers remembered (same syntax and output as Django's; debates/templatetags).
            "builtins": ["debates.templatetags.url_memo"],
        },
    },
]

# Database: SQLite file by default; DATABASE_URL=postgres://… in production.
_default_sqlite = f"sqlite:///{BASE_DIR / 'db.sqlite3'}"
DATABASES = {"default": dj_database_url.parse(os.environ.get("DATABASE_URL") or _default_sqlite)}
if DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql":
    # Under ASGI every request runs in a thread of its own, so "persistent connections" (CONN_MAX_AGE) would open
    # one connection per thread until PostgreSQL refuses more. A pool shared by the process does it right.
    # An unreachable server fails fast (connect and pool timeouts in seconds), so a write answers 503 within ~3 s
    # instead of hanging (hub/middleware.DatabaseUnavailableMiddleware), and the pool reconnects by itself after.
    DATABASES["default"]["OPTIONS"] = {
        "connect_timeout": int(os.environ.get("DB_CONNECT_TIMEOUT", "2")),
        "pool": {
            "min_size": int(os.environ.get("DB_POOL_MIN", "2")),
            "max_size": int(os.environ.get("DB_POOL_MAX", "20")),
            "timeout": float(os.environ.get("DB_POOL_TIMEOUT", "1.5")),
        },
    }
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # Several daphne threads write at once: wait for the lock rather than failing, take it up front.
    DATABASES["default"]["OPTIONS"] = {
        "timeout": 30,
        "transaction_mode": "IMMEDIATE",
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
    }
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# Channel layer: in-process by default (one server process only); Redis pub/sub in production.
REDIS_URL = os.environ.get("REDIS_URL", "")
# Pub/sub channels ignore Redis' database number: installations (or test runs) sharing one Redis server keep apart
# by prefix.
REDIS_PREFIX = os.environ.get("REDIS_PREFIX", "hub")
if REDIS_URL:
    CHANNEL_LAYERS = {
        "default": {
            "BACKEND": "channels_redis.pubsub.RedisPubSubChannelLayer",
            "CONFIG": {"hosts": [REDIS_URL], "prefix": REDIS_PREFIX},
        }
    }
else:
    CHANNEL_LAYERS = {"default": {"BACKEND": "channels.layers.InMemoryChannelLayer"}}

# Live fan-out: hot counters (votes, upvotes, presence) are flushed at most every LIVE_FLUSH_INTERVAL seconds per
# debate; the interval grows with the audience so one process never has to push more than it can.
LIVE_FLUSH_INTERVAL = float(os.environ.get("LIVE_FLUSH_INTERVAL", "0.25"))
LIVE_FLUSH_SECONDS_PER_1000_CLIENTS = float(os.environ.get("LIVE_FLUSH_SECONDS_PER_1000_CLIENTS", "0.1"))
# /healthz waits at most this long (seconds) for Redis to answer.
HEALTH_CHECK_TIMEOUT = float(os.environ.get("HEALTH_CHECK_TIMEOUT", "1"))
# Websockets (live/): the largest frame a browser may send (enforced by autobahn while reading, under daphne); the
# bytes queued for one client above which it is closed as stalled (its page reconnects and takes a snapshot); the
# connect token bucket per client address (burst, then per second) and the cap of sockets per process; the public
# origins a socket may come from (default: PUBLIC_BASE_URL and CSRF_TRUSTED_ORIGINS); the drain's spread of closes.
LIVE_MAX_FRAME_BYTES = int(os.environ.get("LIVE_MAX_FRAME_BYTES", str(8 * 1024)))
LIVE_SEND_HIGH_WATER_BYTES = int(os.environ.get("LIVE_SEND_HIGH_WATER_BYTES", str(1024 * 1024)))
LIVE_CONNECT_BURST = int(os.environ.get("LIVE_CONNECT_BURST", "300"))
LIVE_CONNECT_PER_SECOND = float(os.environ.get("LIVE_CONNECT_PER_SECOND", "30"))
LIVE_MAX_SOCKETS_PER_PROCESS = int(os.environ.get("LIVE_MAX_SOCKETS_PER_PROCESS", "20000"))
LIVE_ALLOWED_ORIGINS = env_list("LIVE_ALLOWED_ORIGINS")
LIVE_DRAIN_SECONDS = float(os.environ.get("LIVE_DRAIN_SECONDS", "5"))
# Votes answered on the event loop with their database writes batched (hub/hot_path.py); HOT_PATH=0 sends every
# vote through the ordinary Django stack (same behaviour, about a tenth of the throughput).
HOT_PATH = env_bool("HOT_PATH", True)
# Votes, upvotes and supports of a citizen page sent over its websocket (live.consumers, debates.views_hot
# .socket_write), into the same batches; LIVE_SOCKET_WRITES=0 answers every such frame "use HTTP" (the page then
# posts its forms, as without the socket).
LIVE_SOCKET_WRITES = env_bool("LIVE_SOCKET_WRITES", True)
# Garbage collector thresholds for server processes (hub/asgi.py), as "gen0,gen1,gen2"; empty = Python's defaults
# (700,10,10). A process holding thousands of sockets has hundreds of thousands of long-lived objects, and with the
# defaults a full collection (~250 ms here) ran every couple of seconds under a vote burst: the vote p99. See README.
GC_THRESHOLDS = tuple(int(n) for n in os.environ.get("GC_THRESHOLDS", "50000,10,100").split(",") if n.strip())

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "organise_dashboard"  # staff land on "My debates"
LOGOUT_REDIRECT_URL = "home"

# E-mail (invitations, staff password reset): SMTP when EMAIL_HOST is set; otherwise the console backend in
# development (DEBUG=1) and no e-mail at all in production (links are copied by the organiser).
EMAIL_HOST = os.environ.get("EMAIL_HOST", "")
EMAIL_PORT = int(os.environ.get("EMAIL_PORT", "587"))
EMAIL_HOST_USER = os.environ.get("EMAIL_HOST_USER", "")
EMAIL_HOST_PASSWORD = os.environ.get("EMAIL_HOST_PASSWORD", "")
EMAIL_USE_TLS = env_bool("EMAIL_USE_TLS", True)
DEFAULT_FROM_EMAIL = os.environ.get("DEFAULT_FROM_EMAIL", "debats@localhost")
if EMAIL_HOST:
    EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
else:
    EMAIL_BACKEND = "django.core.mail.backends.console.EmailBackend"
EMAIL_ENABLED = bool(EMAIL_HOST) or DEBUG

# Every server process applies due scheduled transitions this often (debates.scheduler); 0 turns the tick off
# (then run `manage.py tick` from cron). Writes check the dates themselves either way.
SCHEDULER_TICK_SECONDS = float(os.environ.get("SCHEDULER_TICK_SECONDS", "15"))

LANGUAGE_CODE = "fr"
# French and English are reviewed; Spanish, German, Italian and Arabic are drafts until a native speaker reviews
# them (README). Each language is one more audience per role that every broadcast renders (live.groups).
LANGUAGES = [
    ("fr", _("French")),
    ("en", _("English")),
    ("es", _("Spanish")),
    ("de", _("German")),
    ("it", _("Italian")),
    ("ar", _("Arabic")),
]
LOCALE_PATHS = [BASE_DIR / "locale"]
TIME_ZONE = os.environ.get("TIME_ZONE", "Europe/Paris")
USE_I18N = True
USE_TZ = True

STATIC_URL = "/static/"
STATIC_ROOT = BASE_DIR / "staticfiles"
STATICFILES_DIRS = [BASE_DIR / "static"]
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": (
            "whitenoise.storage.CompressedManifestStaticFilesStorage"
            if not DEBUG
            else "django.contrib.staticfiles.storage.StaticFilesStorage"
        )
    },
}

# Static files are served by WhiteNoise's index at the ASGI level (hub/static_files.py); in DEBUG straight from the
# source folders.
WHITENOISE_USE_FINDERS = DEBUG
WHITENOISE_AUTOREFRESH = DEBUG

# Public base URL printed on posters and the screen's QR code (e.g. https://debat.example.org).
PUBLIC_BASE_URL = os.environ.get("PUBLIC_BASE_URL", "").rstrip("/")

# Production hardening. Behind a TLS-terminating proxy set SECURE_PROXY_SSL_HEADER through
# TRUST_X_FORWARDED_PROTO=1.
if env_bool("TRUST_X_FORWARDED_PROTO", False):
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
if not DEBUG:
    SECURE_SSL_REDIRECT = env_bool("SECURE_SSL_REDIRECT", True)
    SESSION_COOKIE_SECURE = env_bool("SECURE_COOKIES", True)
    CSRF_COOKIE_SECURE = env_bool("SECURE_COOKIES", True)
    SECURE_HSTS_SECONDS = int(os.environ.get("SECURE_HSTS_SECONDS", "31536000"))
    SECURE_HSTS_INCLUDE_SUBDOMAINS = env_bool("SECURE_HSTS_INCLUDE_SUBDOMAINS", True)
    SECURE_HSTS_PRELOAD = env_bool("SECURE_HSTS_PRELOAD", True)
    # The operator may turn these off on purpose (docker compose on plain http://localhost, or a proxy that
    # already redirects to HTTPS); then the matching deploy warnings are silenced here, and only then.
    SILENCED_SYSTEM_CHECKS = []
    if not SECURE_SSL_REDIRECT:
        SILENCED_SYSTEM_CHECKS.append("security.W008")
    if not SESSION_COOKIE_SECURE:
        SILENCED_SYSTEM_CHECKS += ["security.W012", "security.W016"]
# Content-Security-Policy (django-csp): scripts and style sheets from this site only, no inline script (htmx runs
# with allowEval, allowScriptTags and includeIndicatorStyles off: templates/base.html); style attributes allowed
# alone, for the result bars' widths; the websocket origin named for browsers that do not count ws: as 'self'.
_ws_origins = []
if PUBLIC_BASE_URL.startswith("https://"):
    _ws_origins.append("wss://" + PUBLIC_BASE_URL.removeprefix("https://").split("/")[0])
elif PUBLIC_BASE_URL.startswith("http://"):
    _ws_origins.append("ws://" + PUBLIC_BASE_URL.removeprefix("http://").split("/")[0])
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": ["'self'"],
        "script-src": ["'self'"],
        "style-src": ["'self'"],
        "style-src-attr": ["'unsafe-inline'"],
        "img-src": ["'self'", "data:"],
        "font-src": ["'self'"],
        "connect-src": ["'self'", *_ws_origins],
        "object-src": ["'none'"],
        "base-uri": ["'self'"],
        "form-action": ["'self'"],
        "frame-ancestors": ["'none'"],
    }
}
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
SESSION_COOKIE_AGE = 60 * 60 * 24 * 30
# A citizen's identity is a participant id in a *signed* session cookie: no session row per citizen (13,000 at a
# national consultation) and no session read/write on the vote hot path. Staff sessions ride the same cookie
# (HttpOnly, signed with SECRET_KEY); logging out clears it.
SESSION_ENGINE = "hub.sessions"  # Django's signed cookies, honouring a session's own expiry date (hub/sessions.py)
# The longest a session may last with an expiry date of its own (a consultation's participants): browsers keep a
# cookie 400 days at most.
SESSION_MAX_AGE = int(os.environ.get("SESSION_MAX_AGE", str(400 * 24 * 60 * 60)))
# A staff sign-in holds this long at most (seconds; default 12 hours), checked on the server: a copied cookie
# outlives its browser's expiry. Logging out, or losing one's last role, revokes every copy at once.
STAFF_SESSION_AGE = int(os.environ.get("STAFF_SESSION_AGE", str(12 * 60 * 60)))
# Key rotation: the new key in SECRET_KEY, the previous ones here (comma-separated) until the cookies signed with
# them have expired. Citizens keep their participant (their signed session still reads), staff stay signed in.
SECRET_KEY_FALLBACKS = env_list("SECRET_KEY_FALLBACKS")

# Abuse limits (debates/limits.py): "name=count/seconds,…" overrides its defaults, e.g. "question=5/60".
RATE_LIMITS = dict(item.split("=", 1) for item in env_list("RATE_LIMITS") if "=" in item)
# Failed sign-ins delay the next attempt; on an account (from any address) by this many seconds at most, so that a
# stranger's failures never lock a moderator out.
LOGIN_ACCOUNT_DELAY_CAP = int(os.environ.get("LOGIN_ACCOUNT_DELAY_CAP", "5"))
# Load balancers or reverse proxies whose X-Forwarded-For is believed (addresses or networks, comma-separated).
# Empty: the address of the connection is the client's. Do not run daphne with --proxy-headers: it believes anyone.
TRUSTED_PROXIES = env_list("TRUSTED_PROXIES")

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": os.environ.get("LOG_LEVEL", "INFO" if DEBUG else "WARNING")},
    "loggers": {"daphne": {"level": "WARNING"}, "django.channels.server": {"level": "WARNING"}},
}
