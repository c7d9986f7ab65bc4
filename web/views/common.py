"""Small helpers the views share: the store, the configuration, the year shown, downloads."""

from __future__ import annotations

from typing import Any
from urllib.parse import quote

from flask import Response, abort, current_app, g

from engine.portal import units
from engine.portal.roles import Account
from engine.store.connect import Store
from web.config import PortalConfig


def store() -> Store:
    return current_app.extensions["cqtt.store"]


def config() -> PortalConfig:
    return current_app.extensions["cqtt.config"]


def me() -> Account:
    account = g.get("account")
    assert account is not None  # every view but login is guarded
    return account


def year_or_404(year: int) -> units.Year:
    found = units.year_of(store(), year)
    if found is None:
        abort(404)
    return found


def latest_year() -> int | None:
    return units.latest_year(store())


def download(data: bytes, name: str, media_type: str, inline: bool = False) -> Response:
    """A file sent as a download, its name safe in any browser; `inline` only for a commune's file
    opened in the portal's own pages (units.attachment_view sets the policy that goes with it)."""
    ascii_name = name.encode("ascii", "replace").decode().replace("?", "_").replace('"', "_")
    response = Response(data, mimetype=media_type)
    response.headers["Content-Disposition"] = (
        f"{'inline' if inline else 'attachment'}; filename=\"{ascii_name}\"; filename*=UTF-8''{quote(name)}"
    )
    return response


def list_download(title: str, file_name: str, columns: Any, query: Any, filters: Any, shown: Any) -> Response:
    """A searchable list downloaded exactly as the page shows it (engine.outputs.listbook), the
    download audited."""
    from engine.outputs import listbook
    from engine.portal import audit, listing
    from web.security import client_address

    audit.log(store(), me(), client_address(), "download", file_name)
    data = listbook.workbook(title, columns, shown, listing.described(query, filters))
    return download(data, file_name.rsplit("/", 1)[-1], XLSX)


XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
DOCX = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
ZIP = "application/zip"


def form_text(form: Any, key: str, limit: int = 2000) -> str:
    return str(form.get(key, "") or "").strip()[:limit]


KEPT = "giu_bieu_mau"


def keep_form(name: str, keys: tuple[str, ...], error: str) -> None:
    """A refused form's typed values and its error, kept for the page it goes back to: the form
    `name` shows them again with the error at its top (nothing typed is lost)."""
    from flask import request, session

    session[KEPT] = {
        "name": name,
        "values": {k: form_text(request.form, k, 5000) for k in keys},
        "error": error,
    }


def kept_form() -> dict[str, Any]:
    """The refused form kept for this page, taken once ({} when none)."""
    from flask import session

    found = session.pop(KEPT, None)
    return found if isinstance(found, dict) else {}


def online_for(year: int, code: str) -> dict[str, Any]:
    """Evidence field -> (form, live tally text) for the surveys collected online this year: the
    forms show these read-only, as counted."""
    from engine.portal import surveys

    fields = surveys.online_fields(store(), year)
    live = surveys.live_values(store(), year, [code]).get(code, {}) if fields else {}
    return {key: (form, live.get(key, "0/0")) for key, form in fields.items()}
