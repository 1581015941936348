"""Settings for imagedash, all read from the environment (see README: Configuration)."""

from __future__ import annotations

import ipaddress
from pathlib import Path

import dj_database_url
from csp.constants import NONE, SELF
from django.core.exceptions import ImproperlyConfigured

from imagedash.env import env_bool, env_float, env_int, env_list, env_str
from imagedash.yc.config import ENV_NAMES as CREDENTIAL_SETTINGS
from imagedash.yc.config import CredentialsConfigError, credentials_from_env

BASE_DIR = Path(__file__).resolve().parent.parent

DEBUG = env_bool("DJANGO_DEBUG", False)

_DEV_SECRET_KEY = "django-insecure-imagedash-development-only-never-in-production"  # noqa: S105
SECRET_KEY = env_str("DJANGO_SECRET_KEY")
if not SECRET_KEY:
    if not DEBUG:
        raise ImproperlyConfigured(
            "DJANGO_SECRET_KEY is not set. With DJANGO_DEBUG off a secret key is required "
            "(for development, set DJANGO_DEBUG=1)."
        )
    SECRET_KEY = _DEV_SECRET_KEY
elif not DEBUG and (SECRET_KEY.startswith("django-insecure-") or len(SECRET_KEY) < 50):
    raise ImproperlyConfigured(
        "DJANGO_SECRET_KEY is too weak for DJANGO_DEBUG=0: use at least 50 random characters, "
        "not starting with 'django-insecure-'."
    )

ALLOWED_HOSTS = env_list(
    "DJANGO_ALLOWED_HOSTS", "127.0.0.1,localhost,[::1]" if DEBUG else "127.0.0.1,localhost"
)

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "csp",
    "django_htmx",
    "imagedash.images",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",  # static files: served before any login check
    # Outside everything that may answer on its own, so that every answer gets these headers.
    "csp.middleware.CSPMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "imagedash.access.TrustedHeaderMiddleware",
    "django.contrib.auth.middleware.LoginRequiredMiddleware",
    "imagedash.access.HtmxSessionExpiredMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
]

ROOT_URLCONF = "imagedash.urls"
WSGI_APPLICATION = "imagedash.wsgi.application"

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
                "imagedash.images.context_processors.imagedash",
            ],
        },
    },
]

# Database: SQLite by default; any DATABASE_URL that dj-database-url understands.
DATABASES = {
    "default": dj_database_url.parse(
        env_str("DATABASE_URL") or f"sqlite:///{BASE_DIR / 'db.sqlite3'}",
        conn_max_age=600,
        conn_health_checks=True,
    )
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # Run on every new connection: WAL lets readers and one writer work at once; IMMEDIATE
    # takes the write lock at BEGIN so concurrent writers queue on the busy timeout instead of
    # failing with "database is locked" when a read transaction tries to upgrade.
    DATABASES["default"]["OPTIONS"] = {
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL",
        "transaction_mode": "IMMEDIATE",
        "timeout": 20,
    }

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

REDIS_URL = env_str("REDIS_URL")
if REDIS_URL:
    CACHES = {
        "default": {
            "BACKEND": "django_redis.cache.RedisCache",
            "LOCATION": REDIS_URL,
            "KEY_PREFIX": "imagedash",
            # Redis is an accelerator: when it is down, reads miss and writes are dropped
            # (sessions then come from the database), logged, never a failed page.
            "OPTIONS": {
                "SOCKET_CONNECT_TIMEOUT": 1,
                "SOCKET_TIMEOUT": 1,
                "IGNORE_EXCEPTIONS": True,
            },
        }
    }
    DJANGO_REDIS_LOG_IGNORED_EXCEPTIONS = True
else:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}

SESSION_ENGINE = "django.contrib.sessions.backends.cached_db"

# Who gets in: every view needs a signed-in user (LoginRequiredMiddleware) unless marked
# `login_not_required`. Passwords through Django auth; optionally a trusted SSO proxy's header.
AUTHENTICATION_BACKENDS = [
    "imagedash.access.CachedModelBackend",
    "imagedash.access.TrustedHeaderBackend",  # SSO: creates the user on first sight
]
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "images:home"
LOGOUT_REDIRECT_URL = "login"
# E.g. "X-Forwarded-User": honoured only from a direct peer (REMOTE_ADDR) listed in
# IMAGEDASH_TRUSTED_PROXIES (IPs or CIDRs, comma-separated). X-Forwarded-For is never read.
IMAGEDASH_TRUSTED_USER_HEADER = env_str("IMAGEDASH_TRUSTED_USER_HEADER")
IMAGEDASH_TRUSTED_PROXIES = env_list("IMAGEDASH_TRUSTED_PROXIES")
for _proxy in IMAGEDASH_TRUSTED_PROXIES:
    try:
        ipaddress.ip_network(_proxy, strict=False)
    except ValueError:
        raise ImproperlyConfigured(
            f"IMAGEDASH_TRUSTED_PROXIES: {_proxy!r} is not an IP address or network"
        ) from None
IMAGEDASH_LOOKUPS_PER_MINUTE = env_int("IMAGEDASH_LOOKUPS_PER_MINUTE", 60, minimum=1)

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

LANGUAGE_CODE = "en-us"
TIME_ZONE = "UTC"
USE_I18N = False
USE_TZ = True

STATIC_URL = "/static/"
STATICFILES_DIRS = [BASE_DIR / "static"]
STATIC_ROOT = BASE_DIR / "staticfiles"
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedStaticFilesStorage"},
}

# What the browser may do, whatever the transport.
X_FRAME_OPTIONS = "DENY"
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
CSRF_FAILURE_VIEW = "imagedash.access.csrf_failure"
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": [SELF],
        "object-src": [NONE],
        "base-uri": [NONE],
        "frame-ancestors": [NONE],
        "form-action": [SELF],
    }
}

# Plain HTTP is the default; DJANGO_HTTPS=1 when a TLS-terminating proxy is in front (it must
# set X-Forwarded-Proto and strip any such header a client sends).
DJANGO_HTTPS = env_bool("DJANGO_HTTPS", False)
if DJANGO_HTTPS:
    SECURE_SSL_REDIRECT = True
    # Load balancers check health over plain HTTP, from inside.
    SECURE_REDIRECT_EXEMPT = [r"^healthz$", r"^readyz$", r"^metrics$"]
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    SECURE_HSTS_SECONDS = 31536000
    SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    SECURE_HSTS_PRELOAD = True

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s: %(message)s"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {"handlers": ["console"], "level": env_str("IMAGEDASH_LOG_LEVEL", "INFO")},
    "loggers": {"django.request": {"level": "ERROR"}},
}

# Yandex Cloud
YC_COMPUTE_ENDPOINT = env_str("YC_COMPUTE_ENDPOINT", "https://compute.api.cloud.yandex.net")
IMAGEDASH_CONNECT_TIMEOUT_S = env_float("IMAGEDASH_CONNECT_TIMEOUT_S", 3.0, minimum=0.01)
IMAGEDASH_READ_TIMEOUT_S = env_float("IMAGEDASH_READ_TIMEOUT_S", 10.0, minimum=0.01)
# The credential (see README: Credentials). Exactly one may be configured; checking it here makes
# every manage.py command and gunicorn refuse to start on a bad one. upstream.py builds the
# provider each process uses from these values.
YC_TOKEN = env_str("YC_TOKEN")
YC_TOKEN_TYPE = env_str("YC_TOKEN_TYPE")
YC_SERVICE_ACCOUNT_KEY_FILE = env_str("YC_SERVICE_ACCOUNT_KEY_FILE")
YC_USE_METADATA = env_str("YC_USE_METADATA")
YC_METADATA_ADDR = env_str("YC_METADATA_ADDR")
YC_IAM_ENDPOINT = env_str("YC_IAM_ENDPOINT")
try:
    credentials_from_env(
        {name: globals()[name] for name in CREDENTIAL_SETTINGS},
        timeout=(IMAGEDASH_CONNECT_TIMEOUT_S, IMAGEDASH_READ_TIMEOUT_S),
    )
except CredentialsConfigError as error:
    raise ImproperlyConfigured(str(error)) from None
IMAGEDASH_DEADLINE_S = env_float("IMAGEDASH_DEADLINE_S", 8.0, minimum=0.01)
IMAGEDASH_MAX_BODY_BYTES = env_int("IMAGEDASH_MAX_BODY_BYTES", 1 << 20, minimum=1024)

# The dashboard
IMAGEDASH_DEMO = env_bool("IMAGEDASH_DEMO", False)
IMAGEDASH_POLL_INTERVAL_S = env_float("IMAGEDASH_POLL_INTERVAL_S", 3.0, minimum=0.5)
IMAGEDASH_POLL_INTERVAL_MAX_S = env_float("IMAGEDASH_POLL_INTERVAL_MAX_S", 30.0, minimum=0.5)
IMAGEDASH_DUPLICATE_LOOKUP_WINDOW_S = 2.0
IMAGEDASH_HISTORY_PAGE_SIZE = 50
IMAGEDASH_CACHE_TTL_S = env_float("IMAGEDASH_CACHE_TTL_S", 2.0)
IMAGEDASH_NOT_FOUND_TTL_S = env_float("IMAGEDASH_NOT_FOUND_TTL_S", 1.0)
IMAGEDASH_BREAKER_FAILURES = env_int("IMAGEDASH_BREAKER_FAILURES", 5, minimum=1)
IMAGEDASH_BREAKER_COOLDOWN_S = env_float("IMAGEDASH_BREAKER_COOLDOWN_S", 10.0)
