"""Personal data at rest (UU 27/2022): encryption with rotating keys, keyed hashes, masking.

* **Encryption.** NIK, No. KK and bank account numbers are stored as AES-256-GCM tokens
  ``v1:<key id>:<base64url(nonce + ciphertext + tag)>`` (``cryptography``'s ``AESGCM``).
  The field kind ("nik", "kk_number", "account_number") is the associated data, so a
  token copied into another column does not decrypt. Keys come from the configuration
  (``BERDAYA_DATA_KEYS``, newest first): the newest encrypts, every listed key decrypts,
  and ``flask privacy rotate`` re-encrypts old rows so that an old key can be dropped.
* **Blind index.** Lookups and duplicate checks use ``blind_index(kind, value)``, an
  HMAC-SHA256 of the normalised value under a per-kind key derived from
  ``BERDAYA_HMAC_KEY``; the clear number is never compared in SQL.
* **Masking.** :func:`mask_digits_in_text` hides 16-digit runs (NIK/KK) in free text;
  :func:`install_log_masking` applies it to every log record, its arguments and traceback.

The keyring is configured once at start-up with :func:`configure_keys` (the web app, the
CLI, the benchmarks and the tests all go through ``create_app``). Keys are never logged.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import logging
import os
import re
import stat
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from sqlalchemy import String
from sqlalchemy.engine import Dialect
from sqlalchemy.sql import operators
from sqlalchemy.types import TypeDecorator

from casework.identity import mask_number, normalize_number

__all__ = [
    "ENCRYPTED_LENGTH",
    "HASH_LENGTH",
    "DecryptionError",
    "EncryptedString",
    "KeyConfigError",
    "blind_index",
    "configure_from_settings",
    "configure_keys",
    "decrypt",
    "encrypt",
    "generate_key",
    "install_log_masking",
    "is_configured",
    "is_encrypted",
    "key_ids",
    "mask_digits_in_text",
    "needs_rotation",
    "person_identity_values",
    "split_keys",
    "token_key_id",
]

TOKEN_VERSION = "v1"
KEY_BYTES = 32
NONCE_BYTES = 12
MIN_HMAC_KEY_CHARS = 32
#: Column length of an encrypted value: enough for a 34-character IBAN-like number.
ENCRYPTED_LENGTH = 200
#: A blind index is a hex SHA-256.
HASH_LENGTH = 64

log = logging.getLogger("berdaya.privacy")


class KeyConfigError(RuntimeError):
    """The data keys or the HMAC key are missing or malformed (the message never shows a key)."""


class DecryptionError(RuntimeError):
    """A stored token could not be decrypted: unknown key id, tampered or wrong column."""


@dataclass(frozen=True)
class _DataKey:
    kid: str
    aead: AESGCM


@dataclass(frozen=True)
class _Keyring:
    data_keys: tuple[_DataKey, ...]  # newest first
    hmac_key: bytes

    @property
    def newest(self) -> _DataKey:
        return self.data_keys[0]

    def by_id(self, kid: str) -> _DataKey | None:
        return next((k for k in self.data_keys if k.kid == kid), None)


_keyring: _Keyring | None = None


def generate_key() -> str:
    """A new random 256-bit key, base64url encoded (for a data key or the HMAC key)."""
    return base64.urlsafe_b64encode(os.urandom(KEY_BYTES)).decode("ascii")


def _key_id(raw: bytes) -> str:
    """A short public name for a key: not the key, not reversible to it."""
    return hashlib.sha256(b"berdaya key id\x00" + raw).hexdigest()[:8]


def _decode_data_key(text: str, position: int) -> bytes:
    try:
        raw = base64.urlsafe_b64decode(text.strip().encode("ascii"))
    except (binascii.Error, ValueError, UnicodeEncodeError):
        raise KeyConfigError(f"data key no. {position} is not base64url") from None
    if len(raw) != KEY_BYTES:
        raise KeyConfigError(f"data key no. {position} must be {KEY_BYTES} bytes")
    return raw


def split_keys(value: str | Sequence[str] | None) -> list[str]:
    """``BERDAYA_DATA_KEYS`` as a list: a comma-separated string or a list, blanks dropped."""
    if value is None:
        return []
    items = value.split(",") if isinstance(value, str) else list(value)
    return [item.strip() for item in items if item and item.strip()]


def configure_keys(data_keys: Sequence[str], hmac_key: str) -> None:
    """Set the process-wide keyring: ``data_keys`` newest first, and the HMAC key.

    Raises :class:`KeyConfigError` when a key is missing or malformed.
    """
    global _keyring
    keys = split_keys(data_keys)
    if not keys:
        raise KeyConfigError("no data key configured (BERDAYA_DATA_KEYS)")
    if len(hmac_key or "") < MIN_HMAC_KEY_CHARS:
        raise KeyConfigError(
            f"the HMAC key (BERDAYA_HMAC_KEY) must have at least {MIN_HMAC_KEY_CHARS} characters"
        )
    decoded = [_decode_data_key(text, i) for i, text in enumerate(keys, start=1)]
    data = tuple(_DataKey(_key_id(raw), AESGCM(raw)) for raw in decoded)
    if len({k.kid for k in data}) != len(data):
        raise KeyConfigError("the same data key is listed twice")
    _keyring = _Keyring(data, hmac_key.encode("utf-8"))


def is_configured() -> bool:
    return _keyring is not None


def _ring() -> _Keyring:
    if _keyring is None:
        raise KeyConfigError("the privacy keys are not configured (call configure_keys)")
    return _keyring


def key_ids() -> list[str]:
    """The configured key ids, newest first (safe to show: they are not the keys)."""
    return [k.kid for k in _ring().data_keys]


# --- Development keys ------------------------------------------------------------------


def _read_key_file(path: Path) -> dict[str, str]:
    values: dict[str, str] = {}
    for line in path.read_text(encoding="utf-8").splitlines():
        name, sep, value = line.partition("=")
        if sep:
            values[name.strip()] = value.strip()
    return values


def dev_keys(path: Path) -> tuple[list[str], str]:
    """The development keys kept in ``path``: generated once (mode 0600), then reused."""
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        content = f"BERDAYA_DATA_KEYS={generate_key()}\nBERDAYA_HMAC_KEY={generate_key()}\n"
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, stat.S_IRUSR | stat.S_IWUSR)
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            handle.write(content)
        log.warning("generated development privacy keys in %s", path)
    values = _read_key_file(path)
    return split_keys(values.get("BERDAYA_DATA_KEYS", "")), values.get("BERDAYA_HMAC_KEY", "")


def configure_from_settings(settings: Mapping[str, Any], instance_dir: Path) -> None:
    """Configure the keyring from an app configuration.

    ``DATA_KEYS`` and ``HMAC_KEY`` are used when set. Otherwise, when ``PRIVACY_DEV_KEYS``
    is true (development), keys are generated once into ``instance_dir/keys`` and reused;
    else (production) start-up fails.
    """
    keys, hmac_key = split_keys(settings.get("DATA_KEYS")), str(settings.get("HMAC_KEY") or "")
    if (not keys or not hmac_key) and settings.get("PRIVACY_DEV_KEYS"):
        keys, hmac_key = dev_keys(instance_dir / "keys")
    if not keys or not hmac_key:
        raise KeyConfigError(
            "BERDAYA_DATA_KEYS and BERDAYA_HMAC_KEY must be set (see docs/security.md)"
        )
    configure_keys(keys, hmac_key)


# --- Encryption -------------------------------------------------------------------------


def _b64encode(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).decode("ascii").rstrip("=")


def _b64decode(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def encrypt(kind: str, value: str) -> str:
    """``value`` as a token under the newest key; ``kind`` binds it to its column."""
    key = _ring().newest
    nonce = os.urandom(NONCE_BYTES)
    sealed = key.aead.encrypt(nonce, value.encode("utf-8"), kind.encode("ascii"))
    return f"{TOKEN_VERSION}:{key.kid}:{_b64encode(nonce + sealed)}"


def is_encrypted(value: str | None) -> bool:
    """Whether ``value`` looks like a token of this module (not a clear number)."""
    return bool(value) and str(value).startswith(TOKEN_VERSION + ":")


def token_key_id(token: str) -> str:
    """The id of the key that encrypted ``token``."""
    _, kid, _ = _split(token)
    return kid


def _split(token: str) -> tuple[str, str, str]:
    parts = token.split(":", 2)
    if len(parts) != 3 or parts[0] != TOKEN_VERSION:
        raise DecryptionError("not an encrypted value")
    return parts[0], parts[1], parts[2]


def decrypt(kind: str, token: str) -> str:
    """The clear value of ``token``; any configured key may have encrypted it."""
    _, kid, body = _split(token)
    key = _ring().by_id(kid)
    if key is None:
        raise DecryptionError(f"no configured key has id {kid}")
    try:
        raw = _b64decode(body)
        clear = key.aead.decrypt(raw[:NONCE_BYTES], raw[NONCE_BYTES:], kind.encode("ascii"))
    except (InvalidTag, binascii.Error, ValueError):
        raise DecryptionError(f"a {kind} value does not decrypt (tampered or moved)") from None
    return clear.decode("utf-8")


def needs_rotation(token: str) -> bool:
    """Whether ``token`` was encrypted by another key than the newest one."""
    return token_key_id(token) != _ring().newest.kid


# --- Blind index ------------------------------------------------------------------------


def _kind_key(kind: str) -> bytes:
    return hmac.new(_ring().hmac_key, b"berdaya blind index\x00" + kind.encode(), "sha256").digest()


def blind_index(kind: str, value: str) -> str:
    """HMAC-SHA256 (hex) of the normalised ``value`` under the per-``kind`` key.

    Spaces, dots and dashes are ignored, so "6402.08 4506850001" and "6402084506850001"
    give the same index; a NIK and a KK with the same digits give different ones.
    """
    normal = normalize_number(value)
    return hmac.new(_kind_key(kind), normal.encode("utf-8"), "sha256").hexdigest()


def person_identity_values(nik: str, kk: str) -> dict[str, str]:
    """The identity columns of a ``persons`` row for a set-based Core insert.

    Use with ``insert(Person)`` or ``Person.__table__``: the ``nik`` and ``kk_number``
    column type encrypts the clear values on the way in; the hashes are given here.
    """
    nik, kk = normalize_number(nik), normalize_number(kk)
    return {
        "nik": nik,
        "nik_hash": blind_index("nik", nik),
        "kk_number": kk,
        "kk_hash": blind_index("kk_number", kk),
    }


# --- Column type ------------------------------------------------------------------------

_REFUSED_OPERATORS = frozenset(
    {
        operators.eq,
        operators.ne,
        operators.in_op,
        operators.not_in_op,
        operators.like_op,
        operators.ilike_op,
        operators.startswith_op,
        operators.endswith_op,
        operators.contains_op,
    }
)


class _RefusingComparator(TypeDecorator.Comparator[str]):
    """Refuses SQL comparisons of an encrypted column (the token is randomised)."""

    def operate(self, op: Any, *other: Any, **kwargs: Any) -> Any:
        if op in _REFUSED_OPERATORS:
            raise TypeError("an encrypted column cannot be compared: use its _hash column")
        return super().operate(op, *other, **kwargs)


class EncryptedString(TypeDecorator[str]):
    """A ``str`` in Python, an AES-GCM token in the database (see the module docstring).

    Comparing the column in SQL is refused (the token is randomised, it would never match):
    compare its blind index column instead.
    """

    impl = String(ENCRYPTED_LENGTH)
    cache_ok = True
    comparator_factory = _RefusingComparator

    def __init__(self, kind: str) -> None:
        super().__init__()
        self.kind = kind

    def process_bind_param(self, value: str | None, dialect: Dialect) -> str | None:
        if value is None:
            return None
        return encrypt(self.kind, value)

    def process_result_value(self, value: Any, dialect: Dialect) -> str | None:
        if value is None:
            return None
        return decrypt(self.kind, str(value))


# --- Masking in text and logs ----------------------------------------------------------

_SIXTEEN_DIGITS = re.compile(r"(?<!\d)\d{16}(?!\d)")


def mask_digits_in_text(text: str) -> str:
    """Every run of exactly 16 digits (a NIK or KK) masked as ``6402**********0003``."""
    return _SIXTEEN_DIGITS.sub(lambda m: mask_number(m.group(0)), text)


class MaskingFilter(logging.Filter):
    """Masks 16-digit runs in a record's message, arguments and traceback."""

    def filter(self, record: logging.LogRecord) -> bool:
        mask_record(record)
        return True


def mask_record(record: logging.LogRecord) -> None:
    try:
        message = record.getMessage()
    except (TypeError, ValueError):
        message = str(record.msg)
    masked = mask_digits_in_text(message)
    if masked != message or record.args:
        record.msg, record.args = masked, None
    if record.exc_info and not record.exc_text:
        record.exc_text = logging.Formatter().formatException(record.exc_info)
    if record.exc_text:
        record.exc_text = mask_digits_in_text(record.exc_text)
    if record.stack_info:
        record.stack_info = mask_digits_in_text(record.stack_info)


_installed_factory: Any = None


def install_log_masking() -> None:
    """Mask every log record of the process when it is created (idempotent).

    A record factory reaches every handler (files, stderr, pytest's caplog) without
    having to attach a filter to each of them.
    """
    global _installed_factory
    current = logging.getLogRecordFactory()
    if current is _installed_factory:
        return
    previous = current

    def factory(*args: Any, **kwargs: Any) -> logging.LogRecord:
        record = previous(*args, **kwargs)
        mask_record(record)
        return record

    logging.setLogRecordFactory(factory)
    _installed_factory = factory
