"""The web layer: app factory, admin, JSON API, CLI. Domain code never imports this."""

from web.app import create_app

__all__ = ["create_app"]
