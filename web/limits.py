"""Rate limits (Flask-Limiter): one limiter for the whole app.

Views that need a limit decorate themselves with ``@limiter.limit("5/minute")``.
Storage is configured with ``RATELIMIT_STORAGE_URI`` (``memory://`` by default; a shared
store such as ``redis://`` or ``memcached://`` when several workers or hosts serve the app).
"""

from __future__ import annotations

from flask import Flask
from flask_limiter import Limiter
from flask_limiter.util import get_remote_address

limiter = Limiter(key_func=get_remote_address, default_limits=[])


def init_limits(app: Flask) -> None:
    app.config.setdefault("RATELIMIT_STORAGE_URI", "memory://")
    app.config.setdefault("RATELIMIT_HEADERS_ENABLED", True)
    limiter.init_app(app)
