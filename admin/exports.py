"""Excel export of every admin list: Flask-Admin's export button, written by casework.exports.

Rows are the list's own query (its region scope, filters, search and sort), bounded by
EXPORT_MAX_ROWS: a longer list is refused with a message, never cut short.
"""

from __future__ import annotations

from typing import Any

from flask import Response, current_app, flash, redirect
from flask_admin.tools import rec_getattr
from markupsafe import Markup

from admin.security import require_actor
from casework.exports import ExportTooLarge, check_export_limit, table_xlsx
from casework.services.access import may_export_identity
from web.i18n import error_message

_MISSING = object()
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


class XlsxExportMixin:
    """Give a ModelView an .xlsx export (mixed in before ModelView)."""

    can_export = True
    export_types = ["xlsx"]

    @property
    def export_max_rows(self) -> int:
        # One more than the limit, so a list over the limit is recognised (and refused).
        return int(current_app.config["EXPORT_MAX_ROWS"]) + 1

    def _export_value(self, model: Any, name: str) -> Any:
        """The raw value (typed for Excel later); a computed column through its formatter."""
        value = rec_getattr(model, name, _MISSING)
        if value is not _MISSING:
            return value
        for attribute in ("column_formatters_export", "column_formatters"):
            formatter = (getattr(self, attribute, None) or {}).get(name)
            if formatter is not None:
                return Markup(formatter(self, None, model, name)).striptags()
        return None

    def _export_tablib(self, export_type: str, return_url: str) -> Any:
        _count, data = self._export_data()  # type: ignore[attr-defined]
        try:
            check_export_limit(len(data), int(current_app.config["EXPORT_MAX_ROWS"]))
        except ExportTooLarge as refused:
            flash(error_message(refused), "error")
            return redirect(return_url)
        columns = list(self._export_columns)  # type: ignore[attr-defined]
        keys = [str(name) for name, _label in columns]
        content = table_xlsx(
            str(self.name),  # type: ignore[attr-defined]
            [str(label) for _name, label in columns],
            keys,
            ([self._export_value(model, key) for key in keys] for model in data),
            show_identity=may_export_identity(require_actor()),
        )
        filename = self.get_export_name("xlsx")  # type: ignore[attr-defined]
        return Response(
            content,
            mimetype=XLSX,
            headers={"Content-Disposition": f'attachment; filename="{filename}"'},
        )
