"""Authorization for every route, from one place.

Each view is declared with `@guard(action, target)`: `target` turns the URL's arguments into the
object the request acts on (a unit and its district as the year's unit list gives them, a
district); the view runs only when `engine.portal.policy.allowed` says yes. A route that is not
declared here, nor listed as public, is refused before any view code runs (`check_declared`), and
the tests walk the app's route table to hold every route to its rule.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from functools import wraps
from typing import Any

from flask import abort, current_app, g, redirect, request, url_for

from engine.portal import audit, files
from engine.portal.policy import NOTHING, Target, allowed
from engine.portal.units import find_unit, has_district
from web.security import client_address

Resolver = Callable[[dict[str, Any]], Target]


@dataclass(frozen=True)
class Rule:
    action: str
    target: str  # how the object is named: "none", "unit", "district", "attachment"


RULES: dict[str, Rule] = {}  # endpoint -> rule
# The only endpoints a visitor who is not signed in reaches: the login, and the citizens' survey
# form (each link carries a key of its unit and form: web.views.surveys).
PUBLIC = {"static", "auth.login", "survey_public.form", "survey_public.thanks"}
# Signed-in users who must change a one-time password reach only these.
WHILE_CHANGING_PASSWORD = {"auth.logout", "auth.change_password"} | PUBLIC


def _store() -> Any:
    return current_app.extensions["cqtt.store"]


def _unit(kwargs: dict[str, Any]) -> Target:
    found = find_unit(_store(), kwargs["year"], kwargs["code"])
    if found is None:
        abort(404)
    return Target(unit=found.code, district=found.district, year=kwargs["year"])


def _district(kwargs: dict[str, Any]) -> Target:
    if not has_district(_store(), kwargs["year"], kwargs["district"]):
        abort(404)
    return Target(district=kwargs["district"], year=kwargs["year"])


def _attachment(kwargs: dict[str, Any]) -> Target:
    found = files.owner(_store(), kwargs["attachment_id"])
    if found is None:
        abort(404)
    attachment, year, code = found
    unit = find_unit(_store(), year, code)
    if unit is None:
        abort(404)
    g.attachment = attachment
    return Target(unit=unit.code, district=unit.district, year=year)


RESOLVERS: dict[str, Callable[[dict[str, Any]], Target]] = {
    "none": lambda _kwargs: NOTHING,
    "unit": _unit,
    "district": _district,
    "attachment": _attachment,
}


def guard(action: str, target: str = "none") -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    """Declare a view's rule. The endpoint is the blueprint's name and the function's."""
    if target not in RESOLVERS:
        raise ValueError(f"unknown target kind {target!r}")

    def wrap(view: Callable[..., Any]) -> Callable[..., Any]:
        @wraps(view)
        def checked(**kwargs: Any) -> Any:
            account = g.get("account")
            if account is None:
                if request.method == "GET":
                    return redirect(url_for("auth.login", next=request.full_path))
                abort(401)
            found = RESOLVERS[target](kwargs)
            if not allowed(account, action, found):
                audit.log_refusal(
                    _store(),
                    client_address(),
                    f"{account.login} {action} {request.path}",
                    request.path,
                    account,
                    "refused",
                )
                abort(403)
            g.target = found
            return view(**kwargs)

        checked.cqtt_rule = Rule(action, target)  # type: ignore[attr-defined]
        return checked

    return wrap


def collect(app: Any) -> None:
    """Record every declared view's rule under its endpoint (after blueprints are registered)."""
    for endpoint, view in app.view_functions.items():
        rule = getattr(view, "cqtt_rule", None)
        if rule is not None:
            RULES[endpoint] = rule


def check_declared() -> None:
    """Before any view: refuse an endpoint with no rule; send a user with a one-time password to
    change it first."""
    endpoint = request.endpoint
    if endpoint is None:
        return  # 404 or 405 follow
    if endpoint not in RULES and endpoint not in PUBLIC:
        abort(403)
    account = g.get("account")
    if account is not None and account.must_change and endpoint not in WHILE_CHANGING_PASSWORD:
        if request.method == "GET":
            return redirect(url_for("auth.change_password"))  # type: ignore[return-value]
        abort(403)
    return None
