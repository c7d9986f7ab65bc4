"""The province's portal (`cqtt web`): a Flask application over the same application functions
as the command line (engine.portal, engine.jobs), on the same history store.

`create_app(config)` builds it; `web.server.serve` runs it with waitress.
"""

from __future__ import annotations

import time
from typing import Any

from flask import Flask, g, session

from engine.portal import surveys as surveys_module
from engine.portal import upkeep
from engine.portal.roles import ROLES, STATES
from engine.store.connect import open_store
from web import access, security
from web.config import PortalConfig


def create_app(config: PortalConfig) -> Flask:
    app = Flask(__name__)
    store = open_store(config.db)
    app.extensions["cqtt.store"] = store
    app.extensions["cqtt.config"] = config
    app.secret_key = config.secret_key()
    app.config["MAX_CONTENT_LENGTH"] = config.upload_limit + 1024 * 1024
    csrf = security.install(app, store, config.lifetimes, config.secure_cookies)
    if config.behind_proxy:
        from werkzeug.middleware.proxy_fix import ProxyFix

        app.wsgi_app = ProxyFix(  # type: ignore[method-assign]
            app.wsgi_app, x_for=config.behind_proxy, x_proto=config.behind_proxy
        )

    from web.views import admin, auth, districts, home, lists, province, review, rules, surveys, units

    views = (
        auth.bp, home.bp, units.bp, districts.bp, lists.bp,
        province.bp, review.bp, surveys.bp, rules.bp, admin.bp,
    )  # fmt: skip
    for blueprint in views:
        app.register_blueprint(blueprint)
    # The citizens' survey form: no account, so nothing a forged request could act as; it keeps no
    # session either (a CSRF token would need one per passer-by).
    csrf.exempt(surveys.public)
    app.register_blueprint(surveys.public)
    access.collect(app)

    sweeper = upkeep.Sweeper()

    @app.before_request
    def _started() -> None:
        g.started = time.perf_counter()

    @app.after_request
    def _timing(response: Any) -> Any:
        """The time the application spent on the request (Server-Timing: shown by the browser's
        developer tools, read by benchmarks/bench_web.py to tell the server's time from waiting)."""
        started = g.get("started")
        if started is not None:
            response.headers["Server-Timing"] = f"app;dur={(time.perf_counter() - started) * 1000:.1f}"
        return response

    @app.before_request
    def _account() -> Any:
        if sweeper.due():  # rows kept only for a while are forgotten on time, not on the next visit
            upkeep.sweep(store, config.lifetimes, config.throttle, surveys_module.Limits.from_environment())
            from engine.portal.units import forget_pending

            forget_pending(config.data_dir / "cho-nap")  # previewed unit lists never confirmed
        g.account = session.account if isinstance(session, security.PortalSession) else None
        return access.check_declared()

    @app.context_processor
    def _globals() -> dict[str, Any]:
        from engine.clock import shown
        from engine.era import group_word
        from engine.portal.policy import allowed
        from engine.text import fmt, percent
        from web.views.home import my_tasks, task_url, year_links

        return {
            "my_tasks": my_tasks,
            "task_url": task_url,
            "account": g.get("account"),
            "year_links": lambda: year_links(g.get("account")),
            "ROLES": ROLES,
            "STATES": STATES,
            "fmt": fmt,
            "percent": percent,
            "group_word": group_word,
            "when": shown,
            "allowed": allowed,
            "demo": config.demo,
        }

    return app
