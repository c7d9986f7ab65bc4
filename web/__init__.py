"""The province's portal (`cqtt web`): a Flask application over the same application functions
as the command line (engine.portal, engine.jobs), on the same history store.

`create_app(config)` builds it; `web.server.serve` runs it with waitress.
"""

from __future__ import annotations

from typing import Any

from flask import Flask, g, session

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
    security.install(app, store, config.lifetimes, config.secure_cookies)
    if config.behind_proxy:
        from werkzeug.middleware.proxy_fix import ProxyFix

        app.wsgi_app = ProxyFix(  # type: ignore[method-assign]
            app.wsgi_app, x_for=config.behind_proxy, x_proto=config.behind_proxy
        )

    from web.views import admin, auth, districts, home, province, review, rules, units

    for blueprint in (auth.bp, home.bp, units.bp, districts.bp, province.bp, review.bp, rules.bp, admin.bp):
        app.register_blueprint(blueprint)
    access.collect(app)

    @app.before_request
    def _account() -> Any:
        g.account = session.account if isinstance(session, security.PortalSession) else None
        return access.check_declared()

    @app.context_processor
    def _globals() -> dict[str, Any]:
        from engine.portal.clock import shown
        from engine.portal.policy import allowed
        from scorers.base import fmt

        return {
            "account": g.get("account"),
            "ROLES": ROLES,
            "STATES": STATES,
            "fmt": fmt,
            "when": shown,
            "allowed": allowed,
            "demo": config.demo,
        }

    return app
