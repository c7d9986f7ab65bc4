"""Serving the portal with waitress (a production WSGI server written in Python: no compiler, runs
the same on the province's Linux server and a Windows PC)."""

from __future__ import annotations

import logging
import sys
from collections.abc import Callable

from web.config import PortalConfig


def serve(
    config: PortalConfig,
    host: str,
    port: int,
    threads: int = 8,
    ready: Callable[[str], None] | None = None,
) -> None:
    from waitress.server import create_server

    from web import create_app

    logging.basicConfig(
        level=logging.INFO, stream=sys.stderr, format="%(asctime)s %(levelname)s %(name)s: %(message)s"
    )
    logging.getLogger("waitress.queue").setLevel(logging.ERROR)  # "task queue depth" under load
    app = create_app(config)
    server = create_server(
        app,
        host=host,
        port=port,
        threads=threads,
        ident="cqtt",
        max_request_body_size=config.upload_limit + 2 * 1024 * 1024,
        clear_untrusted_proxy_headers=True,
    )
    address = f"http://{server.effective_host}:{server.effective_port}/"
    if ready is not None:
        ready(address)
    try:
        server.run()
    finally:
        server.close()
        app.extensions["cqtt.store"].close()
