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
    RATELIMIT_STORAGE_URI = os.environ.get("BERDAYA_RATELIMIT_STORAGE_URI", "memory://")
    RATELIMIT_ENABLED = os.environ.get("BERDAYA_RATELIMIT", "1") == "1"


class DevConfig(Config):
    SECRET_KEY = Config.SECRET_KEY or "dev-only-secret-change-me"


class TestConfig(Config):
    TESTING = True
    SECRET_KEY = "test-secret"
    SCHEDULER_ENABLED = False
    WTF_CSRF_ENABLED = True


class ProductionConfig(Config):
    SESSION_COOKIE_SECURE = True

    def __init__(self) -> None:
        if not self.SECRET_KEY:
            raise RuntimeError("BERDAYA_SECRET_KEY must be set in production")


CONFIGS: dict[str, type[Config]] = {
    "development": DevConfig,
    "test": TestConfig,
    "production": ProductionConfig,
}


def load_config(name: str | None = None) -> Config:
    """The configuration object named by ``name`` or by BERDAYA_ENV (default development)."""
    key = name or os.environ.get("BERDAYA_ENV", "development")
    return CONFIGS[key]()
