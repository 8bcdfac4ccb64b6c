"""gunicorn settings for production (``make serve-prod``), all from the environment.

WEB_WORKERS (default: cores + 1, at most 8), WEB_WORKER_CLASS (sync; gthread when
WEB_THREADS > 1), WEB_THREADS (1), WEB_BIND (127.0.0.1:8000), WEB_TIMEOUT (30 s),
WEB_KEEPALIVE (5 s, gthread only), WEB_MAX_REQUESTS (0: never recycle), WEB_PRELOAD (1).
The database is BERDAYA_DATABASE_URL (PostgreSQL); the scheduler runs as its own single
process (``flask --app wsgi scheduler run``), never inside a web worker. Logs are JSON
lines on stdout (web/logging.py), gunicorn's own included; its access log (one line per
request) with WEB_ACCESS_LOG=1: off by default, as the proxy in front keeps one (nginx's
access_log) and writing it cost the workers 4 % of a case list request's CPU.

Why sync workers, cores + 1 of them, preloaded (measured with benchmarks/load.py at 1M
cases, 32 wrk connections, 2 cores; docs/scaling.md "The API under load"): a request is
CPU in Python plus a few short round trips to PostgreSQL, so the GIL makes threads in one
worker take turns: gthread workers (2 x 4, 3 x 4, 4 x 2 threads) served no more than sync
ones and had a p99 1.5 to 2 times higher (a thread waits for the GIL behind its siblings),
although they keep connections alive and sync workers close each one. One worker more
than cores keeps the cores busy while a worker waits for the database; 4 workers on 2
cores served no more than 3 and each costs its memory (about 140 MB RSS). Preloading the
app before forking shares the rest (imports, compiled catalogues), and freezing the
master's objects before each fork (``pre_fork``) keeps it shared: without it, a worker's
garbage collections wrote to the objects inherited from the master, which copied their
pages: about 90 MB of each worker's own memory (USS) at 1M cases instead of 35–45 MB.
A proxy in front (nginx) keeps the clients' connections alive either way.
"""

from __future__ import annotations

import gc
import logging
import os
from typing import Any

from gunicorn.glogging import Logger

os.environ.setdefault("BERDAYA_LOG_FORMAT", "json")
# The web workers never run jobs: the one scheduler process does (web/scheduler.py's lease).
os.environ["BERDAYA_SCHEDULER"] = "0"


def _int(name: str, default: int) -> int:
    return int(os.environ.get(name, default))


class AccessLogWhenOn(Logger):
    """gunicorn's logger, which builds every request's access line (atoms, format) when a
    ``logconfig_dict`` is set, even for a logger that drops it: built only when kept."""

    def access(self, resp: Any, req: Any, environ: Any, request_time: Any) -> None:
        if self.access_log.isEnabledFor(logging.INFO):
            super().access(resp, req, environ, request_time)


logger_class = AccessLogWhenOn
wsgi_app = "wsgi:app"
bind = os.environ.get("WEB_BIND", "127.0.0.1:8000")
workers = _int("WEB_WORKERS", min(8, (os.cpu_count() or 1) + 1))
threads = _int("WEB_THREADS", 1)
worker_class = os.environ.get("WEB_WORKER_CLASS", "gthread" if threads > 1 else "sync")
timeout = _int("WEB_TIMEOUT", 30)
graceful_timeout = _int("WEB_GRACEFUL_TIMEOUT", 20)
keepalive = _int("WEB_KEEPALIVE", 5)
max_requests = _int("WEB_MAX_REQUESTS", 0)
max_requests_jitter = max_requests // 10
preload_app = os.environ.get("WEB_PRELOAD", "1") == "1"
ACCESS_LOG = os.environ.get("WEB_ACCESS_LOG", "0") == "1"
accesslog = "-" if ACCESS_LOG else None
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
        "gunicorn.access": {
            "level": "INFO" if ACCESS_LOG else "WARNING",
            "handlers": ["stdout"],
            "propagate": False,
        },
    },
}


def post_fork(server: object, worker: object) -> None:
    """Each worker opens its own database connections (none inherited from the master)."""
    from web.db import db

    if db.engine is not None:
        db.engine.dispose(close=False)


def pre_fork(server: object, worker: object) -> None:
    """Move every object the master holds (the preloaded app) out of the collector's reach
    before the worker is forked (``gc.freeze``, as Python's documentation advises for
    servers that fork): a worker's collections then never touch the pages it shares with
    the master, so the copy-on-write pages stay shared."""
    gc.freeze()
