"""Configuration from environment variables: Config, DevConfig, TestConfig, ProductionConfig."""

from __future__ import annotations

import os
from pathlib import Path

BASE_DIR = Path(__file__).resolve().parent
INSTANCE_DIR = Path(os.environ.get("BERDAYA_INSTANCE_DIR", BASE_DIR / "instance"))


def _env_int(name: str, default: int) -> int:
    return int(os.environ.get(name, default))


class Config:
    SECRET_KEY = os.environ.get("BERDAYA_SECRET_KEY", "")
    DATABASE_URL = os.environ.get(
        "BERDAYA_DATABASE_URL", f"sqlite:///{INSTANCE_DIR / 'berdaya.sqlite3'}"
    )
    UPLOAD_DIR = os.environ.get("BERDAYA_UPLOAD_DIR", str(INSTANCE_DIR / "uploads"))
    MAX_UPLOAD_BYTES = _env_int("BERDAYA_MAX_UPLOAD_BYTES", 5 * 1024 * 1024)
    MAX_CONTENT_LENGTH = MAX_UPLOAD_BYTES + 1024 * 1024
    REGIONS_DIR = os.environ.get("BERDAYA_REGIONS_DIR", str(BASE_DIR / "data" / "regions"))
    BABEL_DEFAULT_LOCALE = "id"
    BABEL_DEFAULT_TIMEZONE = "Asia/Makassar"
    BABEL_TRANSLATION_DIRECTORIES = str(BASE_DIR / "translations")
    LANGUAGES = ("id", "en")
    SESSION_COOKIE_HTTPONLY = True
    SESSION_COOKIE_SAMESITE = "Lax"
    SESSION_COOKIE_SECURE = os.environ.get("BERDAYA_SECURE_COOKIES", "0") == "1"
    REMEMBER_COOKIE_HTTPONLY = True
    PERMANENT_SESSION_LIFETIME = _env_int("BERDAYA_SESSION_MINUTES", 60) * 60
    WTF_CSRF_TIME_LIMIT = None
    SCHEDULER_ENABLED = os.environ.get("BERDAYA_SCHEDULER", "1") == "1"
    API_TITLE = "Berdaya API"
    API_VERSION = "v1"
    OPENAPI_VERSION = "3.0.3"
    OPENAPI_URL_PREFIX = "/api/v1"
    OPENAPI_JSON_PATH = "openapi.json"
    API_PAGE_SIZE_MAX = 100
    API_TOKEN_DAYS = _env_int("BERDAYA_API_TOKEN_DAYS", 365)
    SQL_ECHO = False
    SMTP_HOST = os.environ.get("BERDAYA_SMTP_HOST", "")
    SMTP_PORT = _env_int("BERDAYA_SMTP_PORT", 25)
    SMTP_USER = os.environ.get("BERDAYA_SMTP_USER", "")
    SMTP_PASSWORD = os.environ.get("BERDAYA_SMTP_PASSWORD", "")
    SMTP_STARTTLS = os.environ.get("BERDAYA_SMTP_STARTTLS", "0") == "1"
    SMTP_FROM = os.environ.get("BERDAYA_SMTP_FROM", "berdaya@dinsos.kaltimprov.go.id")
    DUE_SOON_DAYS = _env_int("BERDAYA_DUE_SOON_DAYS", 2)
    ESCALATION_DAYS = _env_int("BERDAYA_ESCALATION_DAYS", 3)
    REPORT_REMINDER_DAYS = _env_int("BERDAYA_REPORT_REMINDER_DAYS", 10)
    SCHEDULER_DELIVER_SECONDS = _env_int("BERDAYA_SCHEDULER_DELIVER_SECONDS", 60)
    SCHEDULER_LEASE_SECONDS = _env_int("BERDAYA_SCHEDULER_LEASE_SECONDS", 90)
    # Where rate limits count (web/limits.py); empty: in the database on PostgreSQL (every
    # worker and host counts against the same limit), in the process on SQLite.
    RATELIMIT_STORAGE_URI = os.environ.get("BERDAYA_RATELIMIT_STORAGE_URI", "")
    RATELIMIT_ENABLED = os.environ.get("BERDAYA_RATELIMIT", "1") == "1"
    # Letters (casework/services/letters.py, web/verify.py): where PDFs are stored, the
    # public address the QR codes link to, the verify page's upload limit, rendering.
    LETTER_DIR = os.environ.get("BERDAYA_LETTER_DIR", str(INSTANCE_DIR / "letters"))
    PUBLIC_BASE_URL = os.environ.get("BERDAYA_PUBLIC_BASE_URL", "http://127.0.0.1:5000")
    LETTER_VERIFY_MAX_BYTES = _env_int("BERDAYA_LETTER_VERIFY_MAX_BYTES", 5 * 1024 * 1024)
    LETTERS_RENDER_AFTER_REQUEST = os.environ.get("BERDAYA_LETTERS_AFTER_REQUEST", "1") == "1"
    LETTERS_RENDER_AFTER_REQUEST_MAX = _env_int("BERDAYA_LETTERS_AFTER_REQUEST_MAX", 20)
    SCHEDULER_LETTER_SECONDS = _env_int("BERDAYA_SCHEDULER_LETTER_SECONDS", 60)
    # Excel import and export (casework/importing, casework/exports.py).
    IMPORT_MAX_ROWS = _env_int("BERDAYA_IMPORT_MAX_ROWS", 20_000)
    EXPORT_MAX_ROWS = _env_int("BERDAYA_EXPORT_MAX_ROWS", 50_000)
    # Login protection (web/auth.py) and web hardening (web/security.py).
    LOGIN_MAX_FAILURES = _env_int("BERDAYA_LOGIN_MAX_FAILURES", 5)
    LOGIN_LOCK_MINUTES = _env_int("BERDAYA_LOGIN_LOCK_MINUTES", 15)
    LOGIN_LIMIT_PER_ADDRESS = os.environ.get("BERDAYA_LOGIN_LIMIT_PER_ADDRESS", "30 per 10 minutes")
    LOGIN_LIMIT_PER_ACCOUNT = os.environ.get("BERDAYA_LOGIN_LIMIT_PER_ACCOUNT", "10 per 10 minutes")
    # Roles that must log in with a TOTP code (admin, manager: the roles that can use it);
    # none on a development machine, where the demo's accounts are tried out.
    TOTP_REQUIRED_ROLES = os.environ.get("BERDAYA_TOTP_REQUIRED_ROLES", "")
    IDLE_TIMEOUT_MINUTES = _env_int("BERDAYA_IDLE_TIMEOUT_MINUTES", 30)
    HSTS_SECONDS = _env_int("BERDAYA_HSTS_SECONDS", 0)
    TRUSTED_PROXIES = _env_int("BERDAYA_TRUSTED_PROXIES", 0)
    # Personal data keys (casework/privacy.py): data keys newest first, comma-separated.
    DATA_KEYS = [k for k in os.environ.get("BERDAYA_DATA_KEYS", "").split(",") if k.strip()]
    HMAC_KEY = os.environ.get("BERDAYA_HMAC_KEY", "")
    PRIVACY_DEV_KEYS = False  # generate keys into instance/keys when none are set


class DevConfig(Config):
    SECRET_KEY = Config.SECRET_KEY or "dev-only-secret-change-me"
    PRIVACY_DEV_KEYS = True


class TestConfig(Config):
    TESTING = True
    SECRET_KEY = "test-secret"
    # Per process, on either database (tests/security/test_rate_limit_storage.py sets the
    # database storage where it is tested).
    RATELIMIT_STORAGE_URI = "memory://"
    SCHEDULER_ENABLED = False
    WTF_CSRF_ENABLED = True
    # Fixed test keys (never used outside tests): two data keys so rotation can be tested.
    DATA_KEYS = ["YJ0BMDoBtqoyXF8Vfr0Dr9ANQ8BBI7VdmEgTZSCU7l4="]
    OLD_TEST_DATA_KEY = "h5Xyc0v0f4r0t3n6Hb2m1cZk0o9pQ7wL3sD8eR1tY2U="
    HMAC_KEY = "test-hmac-key-0123456789abcdef-0123456789"


class ProductionConfig(Config):
    SESSION_COOKIE_SECURE = True
    # In production the administrators and managers (decrees, budgets, users) must use it.
    TOTP_REQUIRED_ROLES = os.environ.get("BERDAYA_TOTP_REQUIRED_ROLES", "admin,manager")
    HSTS_SECONDS = _env_int("BERDAYA_HSTS_SECONDS", 31_536_000)

    def __init__(self) -> None:
        if not self.SECRET_KEY:
            raise RuntimeError("BERDAYA_SECRET_KEY must be set in production")
        if not self.DATA_KEYS or not self.HMAC_KEY:
            raise RuntimeError("BERDAYA_DATA_KEYS and BERDAYA_HMAC_KEY must be set in production")


CONFIGS: dict[str, type[Config]] = {
    "development": DevConfig,
    "test": TestConfig,
    "production": ProductionConfig,
}


def load_config(name: str | None = None) -> Config:
    """The configuration object named by ``name`` or by BERDAYA_ENV (default development)."""
    key = name or os.environ.get("BERDAYA_ENV", "development")
    return CONFIGS[key]()
