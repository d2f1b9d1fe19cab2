"""`python -m local`, the command `make dev` runs, as a user starts and stops it."""

import json
import os
import signal
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import requests

from tests.e2e.conftest import free_port
from tests.media_samples import png

ROOT = Path(__file__).resolve().parents[2]


def start(port: int, **env: str) -> subprocess.Popen[str]:
    clean = {k: v for k, v in os.environ.items() if k not in ("MONGODB_URI", "WS_MANAGEMENT_ENDPOINT", "JWT_SECRET")}
    return subprocess.Popen(
        [sys.executable, "-m", "local", "--port", str(port)],
        cwd=ROOT,
        env={**clean, **env},
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )


def test_starts_serves_and_stops_cleanly_on_ctrl_c() -> None:
    port = free_port()
    process = start(port)
    try:
        assert process.stdout is not None
        banner = "".join(iter(process.stdout.readline, "Press Ctrl-C to stop.\n"))
        assert "embedded store" in banner
        assert f"Web app      http://127.0.0.1:{port}/" in banner
        assert f"http://127.0.0.1:{port}/api" in banner
        assert f"ws://127.0.0.1:{port}/ws" in banner
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/api/health", timeout=10) as response:
            assert json.loads(response.read()) == {"status": "ok"}
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/config.json", timeout=10) as response:
            config = json.loads(response.read())
        # the page's own origin, and this run's own VAPID key (87 base64url characters)
        assert (config["apiUrl"], config["wsUrl"], len(config["vapidPublicKey"])) == ("", "/ws", 87)
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/", timeout=10) as response:
            page = response.read().decode()
        # `make test` builds the client first, so the front page is the web app.
        assert '<div id="root">' in page
        # Media and uploads have origins of their own, not the web app's
        assert "Media        http://127.0.0.1:" in banner
        assert f"Media        http://127.0.0.1:{port}/" not in banner
        assert "S3           http://127.0.0.1:" in banner
        share_a_photo(f"http://127.0.0.1:{port}")
        process.send_signal(signal.SIGINT)
        assert process.wait(timeout=15) == 0
        assert "Stopped." in process.stdout.read()
    finally:
        if process.poll() is None:
            process.kill()


def share_a_photo(base: str) -> None:
    """Media works in the process as started: its S3 is up and every handler sees its settings."""
    session = requests.Session()
    alice, bob = (
        session.post(f"{base}/api/auth/signup", json={"username": name, "password": "password123"}, timeout=10).json()
        for name in ("proc_alice", "proc_bob")
    )
    auth = {"authorization": f"Bearer {alice['accessToken']}"}
    chat = session.post(f"{base}/api/conversations/direct", json={"userId": bob["user"]["id"]}, headers=auth).json()
    photo = png()
    request = {"conversationId": chat["id"], "fileName": "p.png", "contentType": "image/png", "size": len(photo)}
    ticket = session.post(f"{base}/api/media/upload-url", json=request, headers=auth, timeout=10)
    assert ticket.status_code == 201, ticket.text
    form = ticket.json()["upload"]
    assert requests.post(form["url"], data=form["fields"], files={"file": photo}, timeout=10).status_code == 204
    message = {"conversationId": chat["id"], "attachments": [{"mediaId": ticket.json()["mediaId"]}]}
    sent = session.post(f"{base}/api/messages/", json=message, headers=auth, timeout=10)
    assert sent.status_code == 201, sent.text
    assert session.get(sent.json()["attachments"][0]["url"], timeout=10).content == photo


def test_unreachable_mongodb_is_a_clear_start_up_error() -> None:
    started = time.monotonic()
    process = start(free_port(), MONGODB_URI="mongodb://127.0.0.1:9/")
    output, _ = process.communicate(timeout=60)
    assert process.returncode == 1
    assert "Cannot start" in output
    assert "database is unreachable" in output
    assert "Traceback" not in output
    assert time.monotonic() - started < 60


def test_a_setting_that_makes_no_sense_is_named_at_start_up() -> None:
    process = start(free_port(), RATE_LIMIT_SEND="abc", RATE_LIMIT_SNED="5/10")
    output, _ = process.communicate(timeout=60)
    assert process.returncode == 1
    assert "Cannot start: unknown rate limit RATE_LIMIT_SNED" in output
    assert "MongoDB" not in output
    assert "Traceback" not in output
