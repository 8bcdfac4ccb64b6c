"""JSON responses written by orjson instead of the standard library's encoder.

A page of 20 cases is about 12 KB of JSON: ``json.dumps`` with sorted keys took 0.14 ms of
it, orjson 0.02 ms (benchmarks/load.py, the API list at 1M cases). The output keeps what
Flask's provider gives: keys sorted, compact unless the app runs in debug, a final newline,
and the same conversions of what JSON has no type for (dates as HTTP dates, Decimal and
UUID as strings, dataclasses as objects, ``__html__``): orjson hands those to Flask's own
``default``. Two differences: text is written as UTF-8 instead of ``\\uXXXX`` escapes (a
client decoding JSON reads the same strings), and a float NaN or infinity as ``null`` (the
standard encoder writes ``NaN``, which is not JSON). Flask's session cookie and the
``tojson`` template filter pass options, so they keep the standard encoder.

Anything orjson refuses (an integer beyond 64 bits, options such as ``indent`` passed by
a caller) falls back to the standard encoder, so no response fails because of this.
"""

from __future__ import annotations

from typing import Any

import orjson
from flask.json.provider import DefaultJSONProvider
from werkzeug.sansio.response import Response

OPTIONS = (
    orjson.OPT_SORT_KEYS
    | orjson.OPT_NON_STR_KEYS
    | orjson.OPT_PASSTHROUGH_DATETIME  # Flask writes dates as HTTP dates
    | orjson.OPT_PASSTHROUGH_DATACLASS  # and dataclasses with dataclasses.asdict
)


class OrjsonProvider(DefaultJSONProvider):
    """Flask's JSON provider with orjson for writing; reading stays the standard one."""

    def _fast(self, obj: Any) -> bytes | None:
        try:
            return orjson.dumps(obj, default=self.default, option=OPTIONS)
        except (orjson.JSONEncodeError, TypeError):
            return None  # the standard encoder decides (and raises what it raises)

    def dumps(self, obj: Any, **kwargs: Any) -> str:
        if not kwargs:
            fast = self._fast(obj)
            if fast is not None:
                return fast.decode()
        return super().dumps(obj, **kwargs)

    def response(self, *args: Any, **kwargs: Any) -> Response:
        obj = self._prepare_response_obj(args, kwargs)
        pretty = self.compact is False or (self.compact is None and self._app.debug)
        fast = None if pretty else self._fast(obj)
        if fast is None:
            return super().response(obj)
        return self._app.response_class(fast + b"\n", mimetype=self.mimetype)  # type: ignore[arg-type]
