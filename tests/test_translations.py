"""The Indonesian catalogues cover every message in the code, keep its placeholders, and are
what the app shows by default (English stays selectable).

The catalogues are compiled into a temporary directory here, so the tests do not depend on
the .mo files that ``make translations`` builds (they are not committed).
"""

from __future__ import annotations

import ast
import importlib
import re
from collections.abc import Iterator
from datetime import date
from pathlib import Path
from typing import Any

import flask_admin
import flask_admin.babel
import pytest
from babel.messages.catalog import Catalog, Message
from babel.messages.extract import DEFAULT_KEYWORDS, extract_from_dir
from babel.messages.frontend import parse_keywords, parse_mapping_cfg
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po, write_po
from babel.support import Translations
from flask import Flask
from flask.testing import FlaskClient
from flask_babel import force_locale, get_babel, gettext
from wtforms import Form
from wtforms.i18n import messages_path

from casework.errors import ValidationError
from casework.identity import parse_nik
from casework.models import User
from tests.admin.helpers import csrf_token, login
from web.i18n import FORM_TRANSLATIONS, error_fields, error_message, long_date, rupiah

ROOT = Path(__file__).resolve().parent.parent
TRANSLATIONS = ROOT / "translations"
MESSAGES_PO = TRANSLATIONS / "id" / "LC_MESSAGES" / "messages.po"
ADMIN_PO = TRANSLATIONS / "id" / "LC_MESSAGES" / "admin.po"
FLASK_ADMIN_EN_PO = (
    Path(flask_admin.__file__).parent / "translations" / "en" / "LC_MESSAGES" / "admin.po"
)
# The keywords of the documented command:
#   pybabel extract -F babel.cfg -k N_ -k _l -k lazy_gettext -o translations/messages.pot .
EXTRA_KEYWORDS = ("N_", "_l", "lazy_gettext")
INDONESIAN_PLURALS = "nplurals=1; plural=0;"

# %(name)s, %s, %d ... but not %%.
PLACEHOLDER = re.compile(r"%(?:\((?P<name>[^)]*)\))?[#0\- +]*(?:\d+|\*)?(?:\.\d+)?[a-zA-Z%]")

Key = tuple[str, str | None]


def _read_po(path: Path) -> Catalog:
    with path.open("rb") as f:
        return read_po(f, locale="id")


def _key(message: Message) -> Key:
    msgid = message.id if isinstance(message.id, str) else message.id[0]
    return msgid, message.context


def _entries(catalog: Catalog) -> list[Message]:
    return [m for m in catalog if m.id]


def _where(message: Message) -> str:
    return ", ".join(f"{path}:{line}" for path, line in message.locations) or "?"


def _placeholders(text: str) -> list[str]:
    """Sorted placeholder names; an unnamed one (%s, %d) is "<positional>"; "%%" is none."""
    found = []
    for match in PLACEHOLDER.finditer(text):
        if match.group(0) == "%%":
            continue
        found.append(match.group("name") if match.group("name") is not None else "<positional>")
    return sorted(found)


def _expected_and_forms(message: Message) -> list[tuple[str, str]]:
    """Each msgstr form with the msgid it must match; Indonesian's one plural form stands for
    the English plural."""
    if isinstance(message.id, str):
        return [(message.id, str(message.string or ""))]
    return [(str(message.id[1]), str(form or "")) for form in message.string or ()]


def _compile(po: Path, directory: Path, domain: str) -> None:
    target = directory / "id" / "LC_MESSAGES"
    target.mkdir(parents=True, exist_ok=True)
    with (target / f"{domain}.mo").open("wb") as f:
        write_mo(f, _read_po(po))


def _extract(
    method_map: list[tuple[str, str]],
    options_map: dict[str, dict[str, Any]],
    keywords: dict[str, Any],
    pot: Path,
) -> Catalog:
    """Extract like ``pybabel extract`` into ``pot`` and read the template back."""
    extracted = Catalog()
    for filename, lineno, message, comments, context in extract_from_dir(
        str(ROOT), method_map, options_map, keywords=keywords
    ):
        extracted.add(message, None, [(filename, lineno)], auto_comments=comments, context=context)
    with pot.open("wb") as f:
        write_po(f, extracted)
    with pot.open("rb") as f:
        return read_po(f)


@pytest.fixture(scope="module")
def code_catalog(tmp_path_factory: pytest.TempPathFactory) -> Catalog:
    """What ``pybabel extract -F babel.cfg`` finds in the code now (the repository's
    messages.pot may be stale), extracted into a temporary directory."""
    with (ROOT / "babel.cfg").open() as f:
        method_map, options_map = parse_mapping_cfg(f, str(ROOT / "babel.cfg"))
    keywords = {**DEFAULT_KEYWORDS, **parse_keywords(EXTRA_KEYWORDS)}
    pot = tmp_path_factory.mktemp("extract") / "messages.pot"
    return _extract(method_map, options_map, keywords, pot)


@pytest.fixture(scope="module")
def template_admin_catalog(tmp_path_factory: pytest.TempPathFactory) -> Catalog:
    """Strings our templates give to Flask-Admin's ``_gettext``/``_ngettext`` ("admin" domain)."""
    keywords = parse_keywords(["_gettext", "_ngettext:1,2"])
    pot = tmp_path_factory.mktemp("extract") / "admin.pot"
    return _extract([("templates/**.html", "jinja2")], {}, keywords, pot)


@pytest.fixture(scope="module")
def compiled(tmp_path_factory: pytest.TempPathFactory) -> Path:
    directory = tmp_path_factory.mktemp("translations")
    _compile(MESSAGES_PO, directory, "messages")
    _compile(ADMIN_PO, directory, "admin")
    return directory


@pytest.fixture
def app_with_catalogue(
    app: Flask, compiled: Path, monkeypatch: pytest.MonkeyPatch
) -> Iterator[Flask]:
    """The session app reading the freshly compiled catalogues (ours and Flask-Admin's).

    Flask-Babel caches translations per domain and locale for the whole process, so the
    cache is emptied before (to load ours) and after (so later tests load the usual ones).
    """
    babel_config = get_babel(app)
    with app.app_context():
        domains = [babel_config.instance.domain_instance, flask_admin.babel.domain]
    monkeypatch.setattr(babel_config, "translation_directories", [str(compiled)])
    for admin in app.extensions.get("admin", []):
        monkeypatch.setattr(admin, "translations_path", str(compiled))
    for domain in domains:
        domain.cache.clear()
    yield app
    for domain in domains:
        domain.cache.clear()


def _translated_keys(catalog: Catalog) -> set[Key]:
    """Entries whose every msgstr form is non-empty and that are not marked fuzzy."""
    return {_key(m) for m in _entries(catalog) if m.string and all(m.string) and not m.fuzzy}


# --- (a) every message in the code has an Indonesian translation ----------------------------


def test_the_code_has_messages_to_translate(code_catalog: Catalog) -> None:
    ids = {_key(m)[0] for m in _entries(code_catalog)}
    assert {"Submitted", "The record was not found.", "Wrong username or password."} <= ids


def test_every_message_in_the_code_has_an_indonesian_translation(code_catalog: Catalog) -> None:
    translated = _translated_keys(_read_po(MESSAGES_PO))
    missing = [m for m in _entries(code_catalog) if _key(m) not in translated]
    if missing:
        pytest.fail(
            f"{len(missing)} message(s) in the code without an Indonesian translation in "
            f"{MESSAGES_PO.relative_to(ROOT)}; run the pybabel extract and update commands "
            "(see babel.cfg), then translate:\n"
            + "\n".join(f"  {_key(m)[0]!r}  ({_where(m)})" for m in missing),
            pytrace=False,
        )


# --- (b) placeholders, (c) fuzzy, plural forms: both catalogues ------------------------------


@pytest.mark.parametrize("po", [MESSAGES_PO, ADMIN_PO], ids=lambda p: p.name)
def test_translations_keep_the_placeholders_of_the_message_id(po: Path) -> None:
    wrong = [
        f"  {message.id!r} -> {form!r}"
        for message in _entries(_read_po(po))
        for expected, form in _expected_and_forms(message)
        if form and _placeholders(form) != _placeholders(expected)
    ]
    assert not wrong, f"placeholders differ from the msgid in {po.name}:\n" + "\n".join(wrong)


@pytest.mark.parametrize("po", [MESSAGES_PO, ADMIN_PO], ids=lambda p: p.name)
def test_no_translation_is_marked_fuzzy(po: Path) -> None:
    catalog = _read_po(po)
    fuzzy = [m.id for m in _entries(catalog) if m.fuzzy]
    assert not catalog.fuzzy, f"the header of {po.name} is marked fuzzy"
    assert not fuzzy, f"fuzzy entries in {po.name}: {fuzzy}"


@pytest.mark.parametrize("po", [MESSAGES_PO, ADMIN_PO], ids=lambda p: p.name)
def test_catalogue_declares_the_single_indonesian_plural_form(po: Path) -> None:
    header = dict(_read_po(po).mime_headers)
    assert header["Plural-Forms"] == INDONESIAN_PLURALS


def test_placeholder_check_notices_a_dropped_or_renamed_placeholder() -> None:
    assert _placeholders("Rp%(limit)s and %(n)d, 100%%") == ["limit", "n"]
    assert _placeholders("Nilai melebihi Rp%(limt)s") != _placeholders("above Rp%(limit)s")
    assert _placeholders("Berkas kosong.") != _placeholders("The file is larger than %(mb)s MB.")


# --- (d) Flask-Admin's own strings ----------------------------------------------------------


def test_every_flask_admin_message_has_an_indonesian_translation() -> None:
    ours = _translated_keys(_read_po(ADMIN_PO))
    theirs = _entries(_read_po(FLASK_ADMIN_EN_PO))
    missing = [_key(m)[0] for m in theirs if _key(m) not in ours]
    assert theirs, "Flask-Admin's English catalogue was not found"
    assert not missing, "Flask-Admin messages without Indonesian in admin.po:\n" + "\n".join(
        f"  {msgid!r}" for msgid in missing
    )


def test_flask_admin_strings_used_in_our_templates_have_an_indonesian_translation(
    template_admin_catalog: Catalog,
) -> None:
    ours = _translated_keys(_read_po(ADMIN_PO))
    missing = [m for m in _entries(template_admin_catalog) if _key(m) not in ours]
    assert not missing, (
        "templates call _gettext (Flask-Admin's domain) with strings admin.po lacks; use _() "
        "for our own strings:\n" + "\n".join(f"  {_key(m)[0]!r} ({_where(m)})" for m in missing)
    )


def test_the_compiled_admin_catalogue_translates_flask_admin_buttons(compiled: Path) -> None:
    admin = Translations.load(str(compiled), ["id"], domain="admin")
    assert admin.gettext("Save") == "Simpan"
    assert admin.gettext("Delete") == "Hapus"
    deleted = admin.ngettext(
        "Record was successfully deleted.", "%(count)s records were successfully deleted.", 3
    )
    assert deleted % {"count": 3} == "3 data berhasil dihapus."


# --- (e) the app speaks Indonesian by default, English on request ---------------------------


def test_screens_are_indonesian_by_default(app_with_catalogue: Flask) -> None:
    with app_with_catalogue.test_request_context("/cases"):
        assert gettext("Submitted") == "Diajukan"
        assert gettext("Caseworker") == "Pendamping"


def test_english_is_chosen_with_the_lang_parameter(app_with_catalogue: Flask) -> None:
    with app_with_catalogue.test_request_context("/cases?lang=en"):
        assert gettext("Submitted") == "Submitted"


def test_a_domain_error_is_shown_in_indonesian(app_with_catalogue: Flask) -> None:
    with pytest.raises(ValidationError) as raised:
        parse_nik("6402")
    with app_with_catalogue.test_request_context("/people/new"):
        assert error_message(raised.value) == "Beberapa isian tidak valid."
        assert error_fields(raised.value) == {
            "nik": ["NIK harus terdiri atas tepat 16 digit; yang diisikan 4 digit."]
        }
    with app_with_catalogue.test_request_context("/people/new?lang=en"):
        assert error_fields(raised.value) == {
            "nik": ["The NIK must have exactly 16 digits; 4 were entered."]
        }


def test_an_api_error_is_indonesian_by_default_and_english_on_request(
    app_with_catalogue: Flask,
) -> None:
    client = app_with_catalogue.test_client()
    indonesian = client.get("/api/v1/no-such-thing")
    english = client.get("/api/v1/no-such-thing", headers={"Accept-Language": "en"})
    assert indonesian.status_code == english.status_code == 404
    assert _error_message(indonesian.get_json()) == "Halaman atau data tidak ditemukan."
    assert _error_message(english.get_json()) == "The page or record was not found."


def test_an_admin_screen_shows_flask_admin_and_our_labels_in_indonesian(
    app_with_catalogue: Flask, client: FlaskClient, users: dict[str, User]
) -> None:
    login(client, users["admin"])
    indonesian = client.get("/admin/businesstype/new/").get_data(as_text=True)
    english = client.get("/admin/businesstype/new/?lang=en").get_data(as_text=True)
    assert "Simpan dan Tambah Lagi" in indonesian  # Flask-Admin's "admin" domain
    assert "Pengaturan" in indonesian  # our "messages" domain (the menu)
    assert "Save and Add Another" in english and "Settings" in english


def _error_message(body: Any) -> str:
    assert isinstance(body, dict)
    return str(body["error"]["message"])


# --- (f) WTForms' own messages ("This field is required.") follow the screen language ------

WTFORMS_POT = Path(messages_path()) / "wtforms.pot"


def test_every_wtforms_message_has_an_indonesian_translation_in_our_catalogue() -> None:
    with WTFORMS_POT.open("rb") as f:
        theirs = _entries(read_po(f))
    ours = _translated_keys(_read_po(MESSAGES_PO))
    missing = [_key(m)[0] for m in theirs if _key(m) not in ours]
    assert len(theirs) > 30, "WTForms' message template was not found"
    assert not missing, "WTForms messages without Indonesian in messages.po:\n" + "\n".join(
        f"  {msgid!r}" for msgid in missing
    )


def _our_form_classes() -> list[type[Form]]:
    for module in ("web.auth", "web.status", "admin.setup"):
        importlib.import_module(module)
    found: list[type[Form]] = []
    pending: list[type[Form]] = [Form]
    while pending:
        cls = pending.pop()
        pending.extend(cls.__subclasses__())
        if cls.__module__.split(".")[0] in {"web", "admin"}:
            found.append(cls)
    return found


def test_every_form_of_ours_translates_wtforms_messages() -> None:
    forms = _our_form_classes()
    untranslated = [
        f"{cls.__module__}.{cls.__qualname__}"
        for cls in forms
        if cls.Meta().get_translations(None) is not FORM_TRANSLATIONS  # type: ignore[attr-defined]
    ]
    assert len(forms) > 10, "the form scan found too few forms"
    assert not untranslated, (
        "forms whose built-in messages stay English (derive them from web.i18n.TranslatedForm, "
        "admin.base.AdminForm or TranslatedSubform):\n  " + "\n  ".join(untranslated)
    )


def test_an_empty_login_says_the_field_is_required_in_indonesian_or_english(
    app_with_catalogue: Flask, client: FlaskClient
) -> None:
    token = csrf_token(client.get("/login").get_data(as_text=True))
    indonesian = client.post("/login", data={"csrf_token": token}).get_data(as_text=True)
    english = client.post("/login?lang=en", data={"csrf_token": token}).get_data(as_text=True)
    assert indonesian.count("Isian ini wajib diisi.") == 2
    assert english.count("This field is required.") == 2


# --- (g) no visible text in our templates or Python web code escapes translation -----------

# Text that is the same in every language: the product name, units, symbols.
TEMPLATE_TEXT_ALLOWED = {"Berdaya", "– Berdaya", "KB", "( KB)", ", (NIP )", "WITA", "Rp"}
_JINJA = re.compile(
    r"\{#.*?#\}|\{%-?\s*trans\b.*?\{%-?\s*endtrans\s*-?%\}|\{%.*?%\}|\{\{.*?\}\}", re.S
)
_SCRIPT_OR_STYLE = re.compile(r"<(script|style)\b.*?</\1\s*>", re.S | re.I)
_TAG = re.compile(r"<[^>]*>", re.S)
_ENTITY = re.compile(r"&#?\w+;")
_TEXT_ATTRIBUTE = re.compile(
    r"""\b(placeholder|title|alt|aria-label|value)\s*=\s*(?:"([^"]*)"|'([^']*)')""", re.I
)
_WORD = re.compile(r"[A-Za-z]{2,}")


def untranslated_template_text(source: str) -> list[str]:
    """Visible text (text nodes and text attributes) outside ``{{ ... }}`` and
    ``{% trans %}`` in a Jinja HTML template: a heuristic, with TEMPLATE_TEXT_ALLOWED."""
    html = _SCRIPT_OR_STYLE.sub(" ", _JINJA.sub(" ", source))
    found = []
    for tag in _TAG.finditer(html):
        for attribute in _TEXT_ATTRIBUTE.finditer(tag.group(0)):
            if attribute.group(1).lower() == "value" and 'type="submit"' not in tag.group(0):
                continue
            found.append((attribute.group(2) or attribute.group(3) or "").strip())
    found += [" ".join(line.split()) for line in _ENTITY.sub(" ", _TAG.sub("\n", html)).split("\n")]
    return [t for t in found if _WORD.search(t) and t not in TEMPLATE_TEXT_ALLOWED]


def test_the_template_scan_notices_bare_text_and_accepts_translated_text() -> None:
    bare = '<p>Save</p><input placeholder="Name"><button type="submit" value="Go">'
    assert untranslated_template_text(bare) == ["Name", "Go", "Save"]
    fine = (
        "<p>{{ _('Save') }}</p>{# a comment #}<input placeholder=\"{{ _('Name') }}\">"
        "{% trans %}Hello{% endtrans %}<script>var x = 'text';</script>&larr; Berdaya"
    )
    assert untranslated_template_text(fine) == []


# Official letters are in Bahasa Indonesia whatever the reader's language (docs/decisions.md).
LETTER_TEMPLATES = ROOT / "templates" / "letters"


def test_no_template_shows_text_outside_a_translation_call() -> None:
    found = [
        f"  {path.relative_to(ROOT)}: {text!r}"
        for path in sorted((ROOT / "templates").rglob("*.html*"))
        if not path.is_relative_to(LETTER_TEMPLATES)
        for text in untranslated_template_text(path.read_text(encoding="utf-8"))
    ]
    assert not found, "visible text not wrapped in _() or {% trans %}:\n" + "\n".join(found)


# Keyword arguments that are shown to users, and class attributes holding shown labels.
_SHOWN_KEYWORDS = {"label", "name", "description", "placeholder", "title", "category"}
_SHOWN_DICTS = {"column_labels", "column_descriptions"}
# Calls whose string arguments are not shown to users.
_NOT_SHOWN_CALLS = {"filterwarnings", "Blueprint", "getLogger", "progressbar", "alt_response"}
# The product name is the same in every language.
_SHOWN_LITERALS_ALLOWED = {"Berdaya"}


def _call_name(call: ast.Call) -> str:
    func = call.func
    return func.id if isinstance(func, ast.Name) else getattr(func, "attr", "")


def _shown_literal(node: ast.expr | None) -> str | None:
    if isinstance(node, ast.Constant) and isinstance(node.value, str) and _WORD.search(node.value):
        return None if node.value in _SHOWN_LITERALS_ALLOWED else node.value
    return None


def untranslated_python_labels(source: str) -> list[tuple[int, str]]:
    """Bare string literals given to flash(), to WTForms fields as labels, as label-like
    keyword arguments or in column_labels/column_descriptions (a heuristic)."""
    found: list[tuple[int, str]] = []
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Call) and _call_name(node) not in _NOT_SHOWN_CALLS:
            name = _call_name(node)
            first = node.args[0] if node.args else None
            if name == "flash" or name.endswith("Field"):
                found.append((node.lineno, _shown_literal(first) or ""))
            found += [
                (node.lineno, _shown_literal(k.value) or "")
                for k in node.keywords
                if k.arg in _SHOWN_KEYWORDS
            ]
        if isinstance(node, ast.Assign) and any(
            isinstance(t, ast.Name) and t.id in _SHOWN_DICTS for t in node.targets
        ):
            values = node.value.values if isinstance(node.value, ast.Dict) else []
            if isinstance(node.value, ast.Call):
                values = [k.value for k in node.value.keywords]
            found += [(node.lineno, _shown_literal(v) or "") for v in values]
    return [(line, text) for line, text in found if text]


def test_the_python_scan_notices_bare_labels_and_accepts_translated_ones() -> None:
    bare = (
        "flash('Saved')\nname = StringField('Name')\nadd_view(V(name='Cases'))\n"
        "column_labels = dict(state='State')\n"
    )
    assert sorted(t for _, t in untranslated_python_labels(bare)) == [
        "Cases",
        "Name",
        "Saved",
        "State",
    ]
    fine = (
        "flash(gettext('Saved'))\nname = StringField(_l('Name'))\nAdmin(name='Berdaya')\n"
        "column_labels = {'state': _l('State')}\nwarnings.filterwarnings('ignore', message='x y')\n"
    )
    assert untranslated_python_labels(fine) == []


def test_no_screen_code_shows_a_bare_string_literal() -> None:
    """admin/ and web/ (the JSON API's OpenAPI texts and the CLI are for developers and
    operators, in English, and not scanned)."""
    paths = [*ROOT.glob("admin/**/*.py"), *ROOT.glob("web/**/*.py")]
    skipped = {ROOT / "web" / "cli.py", *ROOT.glob("web/api/**/*.py")}
    found = [
        f"  {path.relative_to(ROOT)}:{line}: {text!r}"
        for path in sorted(set(paths) - skipped)
        for line, text in untranslated_python_labels(path.read_text(encoding="utf-8"))
    ]
    assert not found, "user-visible string literals not marked for translation:\n" + "\n".join(
        found
    )


def test_dates_and_rupiah_are_indonesian_on_an_indonesian_screen(
    app_with_catalogue: Flask,
) -> None:
    with app_with_catalogue.test_request_context("/"), force_locale("id"):
        assert long_date(date(2026, 8, 17)) == "17 Agustus 2026"
        assert rupiah(4_500_000) == "Rp4.500.000"
