from flask import Flask


def build_admin(app: Flask) -> None:
    """Replaced by the admin views (work in progress in this commit)."""
    from flask_admin import Admin

    Admin(app, name="Berdaya")
