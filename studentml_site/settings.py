"""The one settings module. Every value comes from the environment (see README, "Settings").

Defaults are safe for a laptop: SQLite and the embedded Mongo store under ``var/``, no
broker (Celery tasks run in-process). A missing or invalid value stops start-up with a
message naming the variable.
"""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

from django.core.exceptions import ImproperlyConfigured

from studentml_site.env import (
    choice,
    cron,
    drift_tests,
    effect_thresholds,
    env,
    float_in,
    from_env,
    int_at_least,
    mongo_uri,
    time_zone,
)

BASE_DIR = Path(__file__).resolve().parent.parent
VAR_DIR = Path(env.str("VAR_DIR", default=str(BASE_DIR / "var"))).resolve()
# Generated data, artifacts and the embedded databases live here (git-ignored).
VAR_DIR.mkdir(parents=True, exist_ok=True)
# `make demo` serves a simulated school year from its own VAR_DIR (var/demo) with this set:
# every page then says the data is made up, and `simulate` refuses to run anywhere else.
DEMO_STORE = from_env("DEMO_STORE", env.bool, False)

# --- Core Django -------------------------------------------------------------------------

DEBUG = from_env("DEBUG", env.bool, False)

_secret = env.str("SECRET_KEY", default="")
if not _secret:
    if not DEBUG:
        raise ImproperlyConfigured(
            "SECRET_KEY is not set. Set SECRET_KEY (a long random string) or, for local "
            "development only, DEBUG=true."
        )
    _secret = "django-insecure-local-development-only-never-use-in-production"
SECRET_KEY = _secret
# Rotating the key: put the old one here for a while, so sessions and password-reset links
# signed with it stay valid until they expire (README, "Security and operations").
SECRET_KEY_FALLBACKS = from_env("SECRET_KEY_FALLBACKS", env.list, [])

ALLOWED_HOSTS = from_env("ALLOWED_HOSTS", env.list, ["localhost", "127.0.0.1", "[::1]"])
CSRF_TRUSTED_ORIGINS = from_env("CSRF_TRUSTED_ORIGINS", env.list, [])

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "axes",
    "rest_framework",
    "rest_framework.authtoken",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "predictions",
    "registry",
    "drift",
    "retraining",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "studentml_site.api_errors.BodySizeLimitMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "studentml_site.api_time.ApiUtcMiddleware",
    "studentml_site.outages.StoreOutageMiddleware",
    "axes.middleware.AxesMiddleware",  # last, as django-axes asks
]

ROOT_URLCONF = "studentml_site.urls"
CSRF_FAILURE_VIEW = "studentml_site.api_errors.csrf_failure"
WSGI_APPLICATION = "studentml_site.wsgi.application"

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
                "studentml_site.demo.context",
            ],
        },
    },
]

DATABASES = {
    "default": from_env("DATABASE_URL", env.db_url, f"sqlite:///{VAR_DIR / 'db.sqlite3'}"),
}
# Keep connections between requests: opening one per request (Django's default) was the
# largest cost of an API call (token lookups), more than the model.
DATABASES["default"]["CONN_MAX_AGE"] = int_at_least("DATABASE_CONN_MAX_AGE", 300, 0)
DATABASES["default"]["CONN_HEALTH_CHECKS"] = True
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# API throttle counters. The default is each process's memory: a shared file cache cost
# half the API's throughput (two file writes per request), so without a server each
# gunicorn worker counts on its own (a limit is up to WEB_CONCURRENCY times the rate).
# Production sets Redis (CACHE_URL=redis://127.0.0.1:6379/1): one count for all workers.
# Sign-in lockouts are in the database, shared either way.
CACHES = {"default": from_env("CACHE_URL", env.cache_url, "locmemcache://")}

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
# Password guessing: after LOGIN_FAILURE_LIMIT failed sign-ins for one username from one
# address, that pair is locked out for LOGIN_COOLOFF_MINUTES (django-axes; the admin lists
# attempts, `manage.py axes_reset_username NAME` unlocks). Locking the pair rather than the
# username alone means a stranger cannot lock a teacher out from everywhere.
AUTHENTICATION_BACKENDS = ["axes.backends.AxesStandaloneBackend", "django.contrib.auth.backends.ModelBackend"]
AXES_FAILURE_LIMIT = int_at_least("LOGIN_FAILURE_LIMIT", 5, 1)
AXES_COOLOFF_TIME = timedelta(minutes=int_at_least("LOGIN_COOLOFF_MINUTES", 15, 1))
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_RESET_ON_SUCCESS = True
AXES_LOCKOUT_TEMPLATE = "registration/locked_out.html"
AXES_VERBOSE = False
# Reverse proxies in front of gunicorn that append to X-Forwarded-For (studentml_site/client_ip.py).
TRUSTED_PROXY_COUNT = int_at_least("TRUSTED_PROXY_COUNT", 0, 0)
AXES_CLIENT_IP_CALLABLE = "studentml_site.client_ip.client_ip"

LOGIN_URL = "/accounts/login/"
LOGIN_REDIRECT_URL = "/"
LOGOUT_REDIRECT_URL = "/accounts/login/"

LANGUAGE_CODE = "en-us"
# Pages show times in this zone, with its abbreviation (WET/WEST); the API and the store stay
# in UTC (studentml_site/api_time.py). The data comes from Portuguese schools.
TIME_ZONE = time_zone("TIME_ZONE", "Europe/Lisbon")
USE_I18N = True
USE_TZ = True

STATIC_URL = "/static/"
STATICFILES_DIRS = [BASE_DIR / "static"]
STATIC_ROOT = VAR_DIR / "staticfiles"
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": (
            "django.contrib.staticfiles.storage.StaticFilesStorage"
            if DEBUG
            else "whitenoise.storage.CompressedManifestStaticFilesStorage"
        )
    },
}

# Uploads larger than this are refused before they reach the importer.
DATA_UPLOAD_MAX_MEMORY_SIZE = int_at_least("DATA_UPLOAD_MAX_MEMORY_SIZE", 20 * 1024 * 1024, 1024)
FILE_UPLOAD_MAX_MEMORY_SIZE = DATA_UPLOAD_MAX_MEMORY_SIZE

# --- HTTPS / deployment hardening ---------------------------------------------------------
# Off by default so `make run` works on plain http://127.0.0.1; production sets HTTPS=true,
# which is what makes `manage.py check --deploy` clean.

HTTPS = from_env("HTTPS", env.bool, False)
SECURE_SSL_REDIRECT = HTTPS
SESSION_COOKIE_SECURE = HTTPS
CSRF_COOKIE_SECURE = HTTPS
SECURE_HSTS_SECONDS = from_env("SECURE_HSTS_SECONDS", env.int, 31536000 if HTTPS else 0)
SECURE_HSTS_INCLUDE_SUBDOMAINS = HTTPS
SECURE_HSTS_PRELOAD = HTTPS
SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https") if HTTPS else None
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
SESSION_COOKIE_HTTPONLY = True
X_FRAME_OPTIONS = "DENY"

# --- Django REST framework ---------------------------------------------------------------

REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        # Token first: its keyword is what a 401's WWW-Authenticate names.
        "rest_framework.authentication.TokenAuthentication",
        "studentml_site.api_auth.BearerAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "EXCEPTION_HANDLER": "studentml_site.api_errors.api_exception_handler",
    "DEFAULT_PARSER_CLASSES": ["studentml_site.parsers.BoundedJSONParser",
                               "rest_framework.parsers.FormParser", "rest_framework.parsers.MultiPartParser"],
    # One fixed width for every time the API writes (DRF drops ".000000" on a whole second,
    # so "...:10Z" sorted after "...:10.005Z" as text). Times are UTC (studentml_site/api_time.py).
    "DATETIME_FORMAT": "%Y-%m-%dT%H:%M:%S.%fZ",
    "DEFAULT_RENDERER_CLASSES": ["rest_framework.renderers.JSONRenderer",
                                 "rest_framework.renderers.BrowsableAPIRenderer"],
    "DEFAULT_THROTTLE_CLASSES": [
        "studentml_site.throttling.AnonWindowThrottle",
        "studentml_site.throttling.UserWindowThrottle",
    ],
    # The anonymous throttle finds the client behind the same proxies as the sign-in lockout.
    # (0, not DRF's default None, which would key clients by the forgeable header itself.)
    "NUM_PROXIES": TRUSTED_PROXY_COUNT,
    "DEFAULT_THROTTLE_RATES": {
        "anon": env.str("THROTTLE_ANON", default="60/minute"),
        "user": env.str("THROTTLE_USER", default="100000/hour"),
    },
}
SPECTACULAR_SETTINGS = {
    "TITLE": "studentml API",
    "DESCRIPTION": (
        "Predict students' final grades (G3, 0-20), log predictions, record actual grades.\n\n"
        "**Authentication.** Every route needs a signed-in browser session or an API token. Get a token "
        "from an administrator: `make token USER=name` in the project folder (or, with the virtualenv active "
        "and `SECRET_KEY` set, `python manage.py create_token name --create-user`), or in the admin under "
        "*Auth Token › Tokens*. Send it on every request as `Authorization: Token <key>` or "
        "`Authorization: Bearer <key>`; in this page, press **Authorize** and paste the key into "
        "*bearerAuth* (or `Token <key>` into *tokenAuth*).\n\n"
        "**Numbers.** Grades are rounded to 2 decimals and model metrics to 4; the log keeps the "
        "unrounded value. **Times** are UTC, always written as `YYYY-MM-DDTHH:MM:SS.ffffffZ`.\n\n"
        "**Errors** are JSON everywhere under /api/, 404 and 405 included: "
        "`{\"detail\": \"…\", \"errors\": [{\"field\", \"reason\", \"value\", \"index\" or \"row\"}]}`."
    ),
    "VERSION": "1",
    "SERVE_INCLUDE_SCHEMA": False,
    # Swagger UI served from our own static files, never a CDN.
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    # Several student fields share one set of values; name each set once.
    "ENUM_NAME_OVERRIDES": {
        "YesNoEnum": ["yes", "no"],
        "JobEnum": ["teacher", "health", "services", "at_home", "other"],
    },
    # Empty optional query values mean "not given"; 401 on every operation (studentml_site/api_schema.py).
    "POSTPROCESSING_HOOKS": ["drf_spectacular.hooks.postprocess_schema_enums",
                             "studentml_site.api_schema.shared_rules"],
}

# /readyz explains a failed check (paths, hosts, error text) to everyone, not only staff.
READYZ_DETAILS = from_env("READYZ_DETAILS", env.bool, False)

# --- MongoDB (ML data) -------------------------------------------------------------------

MONGO_URI = mongo_uri("MONGO_URI", f"montydb://{VAR_DIR / 'mongo'}")
MONGO_DB = env.str("MONGO_DB", default="studentml")
MONGO_POOL_SIZE = int_at_least("MONGO_POOL_SIZE", 50, 1)
MONGO_TIMEOUT_MS = int_at_least("MONGO_TIMEOUT_MS", 5000, 100)

# --- Celery ------------------------------------------------------------------------------
# Unset broker: tasks run eagerly in the calling process, so nothing needs Redis locally.

CELERY_BROKER_URL = env.str("CELERY_BROKER_URL", default="")
CELERY_TASK_ALWAYS_EAGER = not CELERY_BROKER_URL
CELERY_RESULT_BACKEND = env.str("CELERY_RESULT_BACKEND", default="")
# The schedule's hours are the school's: "0 2 * * *" is 02:00 in TIME_ZONE.
CELERY_TIMEZONE = TIME_ZONE
DRIFT_SCHEDULE = cron("DRIFT_SCHEDULE", "0 2 * * *")
RETRAIN_SCHEDULE = cron("RETRAIN_SCHEDULE", "30 2 * * 0")

# --- Model, registry, drift --------------------------------------------------------------

ARTIFACT_DIR = Path(env.str("ARTIFACT_DIR", default=str(VAR_DIR / "artifacts"))).resolve()
# "file": ARTIFACT_DIR (one machine or a shared volume); "gridfs": in MongoDB, shared by all machines.
ARTIFACT_STORE = choice("ARTIFACT_STORE", "file", ["file", "gridfs"])
if ARTIFACT_STORE == "gridfs" and MONGO_URI.startswith("montydb://"):
    raise ImproperlyConfigured(
        "ARTIFACT_STORE=gridfs needs MONGO_URI to be a MongoDB (the embedded store has no GridFS)")
PROMOTION_POLICY = choice("PROMOTION_POLICY", "approval", ["approval", "auto"])
PROMOTION_MIN_MAE_GAIN = float_in("PROMOTION_MIN_MAE_GAIN", 0.01, 0.0, 20.0)
TRAINING_WINDOW = int_at_least("TRAINING_WINDOW", 5000, 50)
# Candidates (rule, residual, estimator) are compared by this many CV folds of the training part.
TRAINING_CV_FOLDS = int_at_least("TRAINING_CV_FOLDS", 5, 2)
# After scoring on the holdout, serve a refit on the whole window (the holdout figures stay the split fit's).
TRAINING_REFIT = from_env("TRAINING_REFIT", env.bool, True)
# A tenth of the trees: for tests and demos, where the code path matters more than the last 0.01 MAE.
TRAINING_QUICK = from_env("TRAINING_QUICK", env.bool, False)
# Every prediction carries an interval that covers the actual grade this often (split-conformal).
PREDICTION_INTERVAL_LEVEL = float_in("PREDICTION_INTERVAL_LEVEL", 0.8, 0.5, 0.99)
# Quality per group of these categorical fields is stored with each version (evidence, not a gate).
METRICS_GROUP_FIELDS = from_env("METRICS_GROUP_FIELDS", env.list, ["sex", "school", "address"])
from predictions.schema import FIELDS as _FIELDS  # noqa: E402 - plain data, no Django needed

_categoricals = [f.name for f in _FIELDS if f.kind.value == "categorical"]
if not set(METRICS_GROUP_FIELDS) <= set(_categoricals):
    _unknown = ", ".join(sorted(set(METRICS_GROUP_FIELDS) - set(_categoricals)))
    raise ImproperlyConfigured(f"METRICS_GROUP_FIELDS: {_unknown} "
                               f"is not a categorical field; choose from {', '.join(_categoricals)}")
# On by default would block most promotions on school-sized data (see README, "Promotion").
PROMOTION_REQUIRE_SIGNIFICANCE = from_env("PROMOTION_REQUIRE_SIGNIFICANCE", env.bool, False)
# The scheduled retrain check trains a track when drift was reported since its champion
# was trained, or when this many labelled rows arrived since then.
RETRAIN_MIN_NEW_LABELS = int_at_least("RETRAIN_MIN_NEW_LABELS", 200, 1)
# A retrain holds its track's lease this long at most: a crashed run blocks nobody after it.
RETRAIN_LEASE_SECONDS = int_at_least("RETRAIN_LEASE_SECONDS", 1800, 10)
DRIFT_P_VALUE = float_in("DRIFT_P_VALUE", 0.05, 0.0, 1.0, open_low=True)
DRIFT_MIN_EFFECT = effect_thresholds("DRIFT_MIN_EFFECT", {"ks": 0.1, "chi2": 0.1})
# Benjamini-Hochberg by default: keeps a report's false-alarm chance at DRIFT_P_VALUE when
# nothing drifts, and flags more real shifts than Bonferroni when several features move.
DRIFT_CORRECTION = choice("DRIFT_CORRECTION", "benjamini-hochberg", ["none", "bonferroni", "benjamini-hochberg"])
DRIFT_DATASET_SHARE = float_in("DRIFT_DATASET_SHARE", 0.03, 0.0, 1.0, open_low=True)
DRIFT_MIN_ROWS = int_at_least("DRIFT_MIN_ROWS", 30, 2)
DRIFT_WINDOW = int_at_least("DRIFT_WINDOW", 5000, 2)
DRIFT_TESTS = drift_tests("DRIFT_TESTS")
# Live accuracy (drift/performance.py): the alert fires when a version's MAE on labelled
# predictions exceeds its holdout MAE by more than the margin, over at least the minimum
# rows (fewer say nothing: 10 labels give an MAE with a standard error near 0.3 grades).
MONITOR_MAE_MARGIN = float_in("MONITOR_MAE_MARGIN", 0.5, 0.0, 20.0)
MONITOR_MIN_ROWS = int_at_least("MONITOR_MIN_ROWS", 30, 1)
MONITOR_PERIOD = choice("MONITOR_PERIOD", "month", ["week", "month"])
# Each monitoring request reads at most this many logged predictions (newest first).
MONITOR_MAX_ROWS = int_at_least("MONITOR_MAX_ROWS", 20_000, 10)
# The label-free estimate looks at the track champion's most recent predictions.
MONITOR_ESTIMATE_ROWS = int_at_least("MONITOR_ESTIMATE_ROWS", 500, 10)

# Email: SMTP when EMAIL_HOST is set (production), else the console (development).
EMAIL_HOST = env.str("EMAIL_HOST", default="")
EMAIL_BACKEND = ("django.core.mail.backends.smtp.EmailBackend" if EMAIL_HOST
                 else "django.core.mail.backends.console.EmailBackend")
EMAIL_PORT = int_at_least("EMAIL_PORT", 587, 1)
EMAIL_HOST_USER = env.str("EMAIL_HOST_USER", default="")
EMAIL_HOST_PASSWORD = env.str("EMAIL_HOST_PASSWORD", default="")
EMAIL_USE_TLS = from_env("EMAIL_USE_TLS", env.bool, True)
DEFAULT_FROM_EMAIL = env.str("DEFAULT_FROM_EMAIL", default="studentml <studentml@localhost>")
# Notifications (drift/notify.py): each kind can be turned off; the webhook is optional.
NOTIFY_APPROVAL = from_env("NOTIFY_APPROVAL", env.bool, True)
NOTIFY_DRIFT = from_env("NOTIFY_DRIFT", env.bool, True)
NOTIFY_ACCURACY = from_env("NOTIFY_ACCURACY", env.bool, True)
NOTIFY_WEBHOOK_URL = env.str("NOTIFY_WEBHOOK_URL", default="")
NOTIFY_WEBHOOK_SECRET = env.str("NOTIFY_WEBHOOK_SECRET", default="")
if NOTIFY_WEBHOOK_URL and not NOTIFY_WEBHOOK_URL.startswith(("http://", "https://")):
    raise ImproperlyConfigured(f"NOTIFY_WEBHOOK_URL={NOTIFY_WEBHOOK_URL!r}: expected an http:// or https:// URL")
if NOTIFY_WEBHOOK_URL and not NOTIFY_WEBHOOK_SECRET:
    raise ImproperlyConfigured("NOTIFY_WEBHOOK_SECRET: required when NOTIFY_WEBHOOK_URL is set (deliveries are signed)")

# "buffered": a background thread writes the prediction log in batches (fast; flushed on
# shutdown). "sync": each request writes its own entries before answering.
PREDICTION_LOG_MODE = choice("PREDICTION_LOG_MODE", "buffered", ["buffered", "sync"])
BATCH_MAX_ROWS = int_at_least("BATCH_MAX_ROWS", 10_000, 1)
# What one request may cost; each refusal names its setting.
REQUEST_MAX_ERRORS = int_at_least("REQUEST_MAX_ERRORS", 1_000, 1)  # errors listed (the total is given too)
RECORD_MAX_UNKNOWN_FIELDS = int_at_least("RECORD_MAX_UNKNOWN_FIELDS", 50, 0)  # per student
JSON_MAX_DEPTH = int_at_least("JSON_MAX_DEPTH", 20, 2)  # nesting of a JSON body
UPLOAD_RESULTS_DAYS = int_at_least("UPLOAD_RESULTS_DAYS", 7, 1)  # a class upload's results stay this long
PAGE_MAX_REJECTED_ROWS = int_at_least("PAGE_MAX_REJECTED_ROWS", 200, 1)  # rejected rows a page lists
# Lists count matching predictions up to this many, then say "more than" (a count is a read).
LOG_COUNT_LIMIT = int_at_least("LOG_COUNT_LIMIT", 10_000, 1)
# Privacy: log entries without an actual grade are deleted this many days after they were made
# (`manage.py prune_predictions`, nightly at PRUNE_SCHEDULE when on). 0, the default, keeps them.
LOG_RETENTION_DAYS = int_at_least("LOG_RETENTION_DAYS", 0, 0)
PRUNE_SCHEDULE = cron("PRUNE_SCHEDULE", "0 3 * * *")

# --- Data sources ------------------------------------------------------------------------

UCI_DOWNLOAD_URL = env.str(
    "UCI_DOWNLOAD_URL",
    default="https://archive.ics.uci.edu/static/public/320/student+performance.zip",
)
UCI_DOWNLOAD_TIMEOUT = int_at_least("UCI_DOWNLOAD_TIMEOUT", 30, 1)
IMPORT_MAX_ROWS = int_at_least("IMPORT_MAX_ROWS", 2_000_000, 1)

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": env.str("LOG_LEVEL", default="INFO")},
}
