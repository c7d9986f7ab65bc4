"""Serving the portal with waitress (a production WSGI server written in Python: no compiler, runs
the same on the province's Linux server and a Windows PC).

One Python process runs one request's Python code at a time, whatever its threads; on Linux the
portal can fork several processes that share the listening socket (`processes`), so that every
core of the server works: a district's upload being scored does not hold the others' pages.
"""

from __future__ import annotations

import dataclasses
import logging
import os
import signal
import socket
import sys
from collections.abc import Callable

from web.config import PortalConfig


def serve(
    config: PortalConfig,
    host: str,
    port: int,
    threads: int = 8,
    ready: Callable[[str], None] | None = None,
    processes: int = 1,
) -> None:
    logging.basicConfig(
        level=logging.INFO, stream=sys.stderr, format="%(asctime)s %(levelname)s %(name)s: %(message)s"
    )
    logging.getLogger("waitress.queue").setLevel(logging.ERROR)  # "task queue depth" under load
    from engine.store.connect import open_store
    from engine.store.roles import owner_warning

    store = open_store(
        config.db
    )  # made or checked once (its append-only guards too), before any process serves
    try:
        warning = owner_warning(store)
    finally:
        store.close()
    if warning:
        logging.getLogger("cqtt.web").warning(warning)
    config.secret_key()  # likewise the installation's secret
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    listener = socket.create_server((host, port), family=family, backlog=1024)
    bound_host, bound_port = listener.getsockname()[:2]
    shown = f"[{bound_host}]" if family == socket.AF_INET6 else bound_host
    if not config.public_url:  # citizens' links never take the Host header a request brings
        config = dataclasses.replace(config, public_url=f"http://{shown}:{bound_port}")
        if bound_host in ("0.0.0.0", "::"):
            logging.getLogger("cqtt.web").warning(
                "chưa đặt --public-url: đường dẫn và mã QR của phiếu khảo sát trỏ tới %s; "
                "đặt --public-url là địa chỉ người dân mở cổng",
                config.public_url,
            )
    children: list[int] = []
    if processes > 1 and hasattr(os, "fork"):
        for _ in range(processes - 1):
            pid = os.fork()
            if pid == 0:  # a child serves until it is told to stop
                signal.signal(signal.SIGTERM, signal.SIG_DFL)
                try:
                    _run(config, listener, threads)
                finally:
                    os._exit(0)
            children.append(pid)
    if ready is not None:
        ready(f"http://{shown}:{bound_port}/")
    try:
        _run(config, listener, threads)
    finally:
        for pid in children:
            try:
                os.kill(pid, signal.SIGTERM)
                os.waitpid(pid, 0)
            except (ProcessLookupError, ChildProcessError):
                pass
        listener.close()


def _run(config: PortalConfig, listener: socket.socket, threads: int) -> None:
    """One process's server on the shared socket; the app (and its store connections) is made
    here, after any fork."""
    from waitress.server import create_server

    from web import create_app

    app = create_app(config)
    mailer = None
    if config.smtp is not None:  # each process sends what is queued; a message is claimed once
        from engine.portal.mailer import Mailer

        mailer = Mailer(
            app.extensions["cqtt.store"],
            config.smtp,
            config.public_base(),
            config.mail_every,
            config.digest_hour,
        )
        mailer.start()
    server = create_server(
        app,
        sockets=[listener],
        threads=threads,
        ident="cqtt",
        max_request_body_size=config.upload_limit + 2 * 1024 * 1024,
        # Behind a proxy the app's ProxyFix reads the X-Forwarded-* headers the proxy adds (the
        # last `behind_proxy` of them); waitress must pass them on. Otherwise they are dropped.
        clear_untrusted_proxy_headers=not config.behind_proxy,
    )
    try:
        server.run()
    finally:
        if mailer is not None:
            mailer.stop()
        app.extensions["cqtt.store"].close()
