"""The application factory."""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

from flask import Flask, redirect, url_for
from flask.typing import ResponseReturnValue
from flask_wtf import CSRFProtect

from casework.privacy import configure_from_settings, install_log_masking
from config import INSTANCE_DIR, Config, load_config
from web.db import db
from web.errors import init_errors
from web.i18n import init_i18n
from web.json_provider import OrjsonProvider
from web.logging import quiet_noisy_loggers

csrf = CSRFProtect()
ROOT = Path(__file__).resolve().parent.parent


def create_app(config: Config | dict[str, Any] | None = None) -> Flask:
    """Build the app from ``config`` (an object or overrides) or from the environment."""
    app = Flask(
        "berdaya",
        instance_path=str(INSTANCE_DIR),
        template_folder=str(ROOT / "templates"),
        static_folder=str(ROOT / "static"),
    )
    app.json = OrjsonProvider(app)
    app.config.from_object(load_config())
    if isinstance(config, dict):
        app.config.update(config)
    elif config is not None:
        app.config.from_object(config)
    if not app.config.get("SECRET_KEY"):
        raise RuntimeError("SECRET_KEY is not configured (set BERDAYA_SECRET_KEY)")
    # Personal data keys first: no row with a NIK may be read or written before them.
    configure_from_settings(app.config, Path(app.instance_path))
    install_log_masking()
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s %(message)s")
    quiet_noisy_loggers()

    db.init_app(app)
    init_i18n(app)
    csrf.init_app(app)
    init_errors(app)

    from web.security import init_security

    init_security(app)

    from web.limits import init_limits

    init_limits(app)

    from web.health import init_health
    from web.logging import init_logging

    init_logging(app)
    init_health(app)

    from web.auth import init_auth

    init_auth(app)

    from web.status import init_status

    init_status(app)

    from web.verify import init_letters

    init_letters(app)

    from admin import init_admin

    init_admin(app)

    from web.api import init_api

    init_api(app)

    from web.access import init_access

    init_access(app)  # after admin and API: no view outside casework/policy.py

    from web.cli import init_cli

    init_cli(app)

    @app.route("/")
    def _home() -> ResponseReturnValue:
        return redirect(url_for("admin.index"))

    return app
