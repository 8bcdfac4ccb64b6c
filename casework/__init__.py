"""Berdaya casework domain: models, services and rules. Never imports Flask."""
