"""gunicorn settings for production (``make serve-prod``), all from the environment.

WEB_WORKERS (default: 2 x cores, at most 8), WEB_THREADS (1), WEB_BIND (127.0.0.1:8000),
WEB_TIMEOUT (30 s), WEB_MAX_REQUESTS (0: never recycle), WEB_PRELOAD (1). The database is
BERDAYA_DATABASE_URL (PostgreSQL); the scheduler runs as its own single process
(``flask --app wsgi scheduler run``), never inside a web worker. Logs are JSON lines on
stdout (web/logging.py), gunicorn's own and the access log included.
"""

from __future__ import annotations

import os

os.environ.setdefault("BERDAYA_LOG_FORMAT", "json")
# The web workers never run jobs: the one scheduler process does (web/scheduler.py's lease).
os.environ["BERDAYA_SCHEDULER"] = "0"


def _int(name: str, default: int) -> int:
    return int(os.environ.get(name, default))


wsgi_app = "wsgi:app"
bind = os.environ.get("WEB_BIND", "127.0.0.1:8000")
workers = _int("WEB_WORKERS", min(8, 2 * (os.cpu_count() or 1)))
threads = _int("WEB_THREADS", 1)
worker_class = "gthread" if threads > 1 else "sync"
timeout = _int("WEB_TIMEOUT", 30)
graceful_timeout = _int("WEB_GRACEFUL_TIMEOUT", 20)
keepalive = _int("WEB_KEEPALIVE", 5)
max_requests = _int("WEB_MAX_REQUESTS", 0)
max_requests_jitter = max_requests // 10
preload_app = os.environ.get("WEB_PRELOAD", "1") == "1"
accesslog = "-" if os.environ.get("WEB_ACCESS_LOG", "0") == "1" else None
errorlog = "-"
loglevel = os.environ.get("WEB_LOG_LEVEL", "info")
logconfig_dict = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"json": {"()": "web.logging.JsonFormatter"}},
    "handlers": {
        "stdout": {
            "class": "logging.StreamHandler",
            "formatter": "json",
            "stream": "ext://sys.stdout",
        }
    },
    "root": {"level": "INFO", "handlers": ["stdout"]},
    "loggers": {
        "gunicorn.error": {"level": "INFO", "handlers": ["stdout"], "propagate": False},
        "gunicorn.access": {"level": "INFO", "handlers": ["stdout"], "propagate": False},
    },
}


def post_fork(server: object, worker: object) -> None:
    """Each worker opens its own database connections (none inherited from the master)."""
    from web.db import db

    if db.engine is not None:
        db.engine.dispose(close=False)
