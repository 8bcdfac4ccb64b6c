"""Admin lists work under the CSP (script-src 'self'): no inline event handlers; the delete
confirmation is a data-confirm attribute that static/confirm.js handles."""

from __future__ import annotations

import re
from datetime import date
from html.parser import HTMLParser

from casework.services.deadlines import add_day_off
from tests.admin.helpers import login


class _Tags(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.attributes: list[tuple[str, str, str]] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.attributes.extend((tag, name, value or "") for name, value in attrs)


def _attributes(html: str) -> list[tuple[str, str, str]]:
    parser = _Tags()
    parser.feed(html)
    return parser.attributes


def test_a_list_with_a_delete_button_asks_through_data_confirm_not_an_inline_handler(
    client, session, users
):
    add_day_off(session, date(2026, 12, 25), "Hari Raya Natal")
    session.flush()
    login(client, users["manager"])
    page = client.get("/admin/dayoff/")
    assert page.status_code == 200
    attributes = _attributes(page.get_data(as_text=True))
    inline = [(tag, name) for tag, name, _ in attributes if re.fullmatch(r"on[a-z]+", name)]
    assert inline == []
    confirms = [(tag, value) for tag, name, value in attributes if name == "data-confirm"]
    assert confirms and all(tag == "button" and value.strip() for tag, value in confirms)
    scripts = [value for tag, name, value in attributes if tag == "script" and name == "src"]
    assert "/static/confirm.js" in scripts


def test_the_confirmation_script_is_served_from_this_origin_and_cancels_the_click(client):
    script = client.get("/static/confirm.js")
    assert script.status_code == 200
    text = script.get_data(as_text=True)
    script.close()
    assert "data-confirm" in text and "preventDefault" in text
