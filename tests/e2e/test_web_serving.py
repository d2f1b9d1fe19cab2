"""The local gateway serves the web client as CloudFront does: files, SPA fallback, config.json."""

import json
import urllib.error
import urllib.request
from pathlib import Path

import pytest

from chat.config import vapid_public_key
from local.background import gateway_in_background
from tests.e2e.conftest import free_port


@pytest.fixture
def site(tmp_path: Path) -> Path:
    (tmp_path / "index.html").write_text('<!doctype html><div id="root"></div>')
    (tmp_path / "assets").mkdir()
    (tmp_path / "assets" / "app-1234.js").write_text("console.log('app')")
    (tmp_path / "sw.js").write_text("self.addEventListener('push', () => {})")
    (tmp_path.parent / "secret.txt").write_text("not for the web")
    return tmp_path


def fetch(url: str) -> tuple[int, str, dict[str, str]]:
    try:
        with urllib.request.urlopen(url, timeout=10) as response:
            return response.status, response.read().decode(), dict(response.headers)
    except urllib.error.HTTPError as error:
        return error.code, error.read().decode(), dict(error.headers)


def test_serves_files_falls_back_to_the_app_and_never_leaves_the_folder(site: Path) -> None:
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    with gateway_in_background(port) as gateway:
        gateway.web_root = site
        status, body, headers = fetch(base + "/assets/app-1234.js")
        assert (status, body) == (200, "console.log('app')")
        assert "immutable" in headers["Cache-Control"]
        # The service worker keeps its name from build to build: browsers must see a new one.
        status, _, headers = fetch(base + "/sw.js")
        assert (status, headers["Cache-Control"]) == (200, "no-cache")
        status, body, headers = fetch(base + "/conversations/abc")  # a client-side route
        assert (status, body) == (200, '<!doctype html><div id="root"></div>')
        assert headers["Cache-Control"] == "no-cache"
        status, body, _ = fetch(base + "/../secret.txt")
        assert "not for the web" not in body
        status, body, _ = fetch(base + "/%2e%2e/secret.txt")
        assert "not for the web" not in body
        status, body, _ = fetch(base + "/config.json")
        # the page's own origin, and the application server key, if this environment has one
        assert json.loads(body) == {"apiUrl": "", "wsUrl": "/ws", "vapidPublicKey": vapid_public_key() or ""}
        # the API is still the API
        status, body, _ = fetch(base + "/api/nope")
        assert status == 404
        assert json.loads(body)["error"]["code"] == "not_found"
