"""Translation markers for the domain.

The domain does not translate (it knows no request or locale); it marks user-facing
messages with ``N_`` so that ``pybabel extract`` finds them, and the web layer translates
them with Flask-Babel when it shows them. Message ids are English; the Indonesian
catalogue in ``translations/id`` is the default language on screen.
"""


def N_(message: str) -> str:
    """Mark ``message`` for extraction without translating it."""
    return message
