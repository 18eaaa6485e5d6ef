"""A real browser for page tests: Playwright driving Debian's chromium (``/usr/bin/chromium``, installed by
``.ci/run``; Playwright's own browser downloads are never used), and the Flask app served on a loopback port.

    def test_page(browser: Browser, live_server: Callable[[Flask], str]) -> None:
        page = browser.new_page(); page.goto(live_server(app) + "/workspace/")

Both are registered for the whole suite by tests/conftest.py (``pytest_plugins``).
"""

from __future__ import annotations

import os
import shutil
import threading
from collections.abc import Callable, Iterator

import pytest
from flask import Flask
from werkzeug.serving import make_server

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
                 "--disable-sync", "--no-first-run"]


@pytest.fixture(scope="session")
def browser() -> Iterator[object]:
    if not shutil.which(CHROMIUM):
        reason = f"{CHROMIUM} not installed (apt-get install -y chromium; .ci/run does it)"
        if os.environ.get("CI"):
            pytest.fail(reason, pytrace=False)
        pytest.skip(reason)
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()


@pytest.fixture
def live_server() -> Iterator[Callable[[Flask], str]]:
    """Serves an app on 127.0.0.1 (a secure context for the browser: the Secure session cookie is sent) in a
    thread of this process; stopped after the test."""
    servers = []

    def serve(app: Flask) -> str:
        server = make_server("127.0.0.1", 0, app, threaded=True)
        threading.Thread(target=server.serve_forever, daemon=True).start()
        servers.append(server)
        return f"http://127.0.0.1:{server.server_port}"

    yield serve
    for server in servers:
        server.shutdown()
