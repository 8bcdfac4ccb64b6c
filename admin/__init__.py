"""Flask-Admin views (thin: configuration plus actions that call services)."""

from __future__ import annotations

from flask import Flask


def init_admin(app: Flask) -> None:
    from admin.setup import build_admin

    build_admin(app)
