"""The portal in a real browser, for the tests: the distribution's Chromium driven by Playwright
(no browser download), `cqtt web` served by waitress on 127.0.0.1 at a free port and stopped by its
process id. Without Chromium the browser tests skip, unless CQTT_REQUIRE_BROWSER is set (CI sets it
after installing Chromium)."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import pytest

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser") or "/usr/bin/chromium"
ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
PDF = b"%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n"


def browser_or_skip() -> None:
    if Path(CHROMIUM).exists():
        return
    message = f"Chromium not found ({CHROMIUM}); apt-get install chromium"
    if os.environ.get("CQTT_REQUIRE_BROWSER"):
        pytest.fail(f"CQTT_REQUIRE_BROWSER is set but {message}")
    pytest.skip(message)


@dataclass
class Served:
    url: str
    db: str
    process: subprocess.Popen[str]
    commune: str
    one_time: str


def start(db: str, data_dir: Path, extra: list[str] | None = None) -> tuple[subprocess.Popen[str], str]:
    cqtt = Path(sys.executable).with_name("cqtt")
    command = [str(cqtt), "web", "--db", db, "--data-dir", str(data_dir), "--port", "0", "--insecure-cookies"]
    process = subprocess.Popen(
        command + (extra or []), stderr=subprocess.PIPE, stdout=subprocess.DEVNULL, text=True
    )
    assert process.stderr is not None
    deadline = time.monotonic() + 60
    seen = []
    while time.monotonic() < deadline:
        line = process.stderr.readline()
        if not line and process.poll() is not None:
            break
        seen.append(line)
        found = re.search(r"Cổng đang chạy tại (http://127\.0\.0\.1:\d+/)", line)
        if found:
            drain(process)
            return process, found.group(1).rstrip("/")
    process.kill()
    raise AssertionError("the portal did not start: " + "".join(seen[-20:]))


_READERS: dict[int, list[threading.Thread]] = {}


def drain(process: subprocess.Popen[str]) -> None:
    """Keep reading the server's output in the background, so it never blocks on a full pipe."""
    for pipe in (process.stdout, process.stderr):
        if pipe is not None:
            reader = threading.Thread(target=lambda p=pipe: [None for _ in p], daemon=True)
            reader.start()
            _READERS.setdefault(process.pid, []).append(reader)


def stop(process: subprocess.Popen[str]) -> None:
    process.terminate()  # by its own process id
    try:
        process.wait(timeout=15)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()
    for reader in _READERS.pop(process.pid, []):
        reader.join(timeout=10)
    for pipe in (process.stdout, process.stderr):
        if pipe is not None:
            pipe.close()


def shots_folder() -> Path | None:
    folder = os.environ.get("CQTT_SCREENSHOTS")
    return Path(folder) if folder else None


# The questions the pages asked (confirm, leave with unsaved edits), in order: each is answered
# yes, as a user who reads it and goes on; a test reads what was asked here.
DIALOGS: list[str] = []


def new_page(browser: object, width: int = 1366, height: int = 768) -> object:
    context = browser.new_context(
        viewport={"width": width, "height": height}, locale="vi-VN", accept_downloads=True
    )  # type: ignore[attr-defined]
    page = context.new_page()

    def answer(dialog: object) -> None:
        DIALOGS.append(dialog.message)  # type: ignore[attr-defined]
        dialog.accept()  # type: ignore[attr-defined]

    page.on("dialog", answer)
    return page


def login(page: object, url: str, login: str, password: str) -> None:
    page.goto(url + "/dang-nhap")  # type: ignore[attr-defined]
    page.fill("#login", login)  # type: ignore[attr-defined]
    page.fill("#password", password)  # type: ignore[attr-defined]
    page.click("button:has-text('Đăng nhập')")  # type: ignore[attr-defined]


def fill(page: object, values: dict[str, str]) -> None:
    """Fill the generated form as a clerk would: text as typed, selects, ticked boxes."""
    for key, value in values.items():
        box = page.locator(f"#f-{key}")  # type: ignore[attr-defined]
        if box.locator("input[type=checkbox]").count():
            labels = {x.strip() for x in value.split(";")}
            for label in box.locator("label").all():
                check = label.locator("input")
                wanted = label.inner_text().strip() in labels or check.get_attribute("value") in labels
                if wanted != check.is_checked():
                    check.click()
        elif box.locator("select").count():
            box.locator("select").select_option(label=value)
        else:
            box.locator("input").fill(value)


@contextmanager
def chromium() -> Iterator[object]:
    """The distribution's Chromium, launched by Playwright for the duration of a test module."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        launched = p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        yield launched
        launched.close()
