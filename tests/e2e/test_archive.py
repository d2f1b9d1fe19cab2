"""Archiving on the local stack, as an operator and a client see it: POST /@schedules/archive
runs the archiver as the scheduler would, and history reads the same, page by page, both
ways, before and after."""

import json
import time
import urllib.request
from collections.abc import Iterator
from typing import Any

import pytest

from tests.conftest import reset_containers
from tests.e2e.conftest import Stack


@pytest.fixture
def archive_at_once(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    monkeypatch.setenv("ARCHIVE_AFTER_DAYS", "0")
    monkeypatch.setenv("RATE_LIMIT_SEND", "100000/1")
    reset_containers()
    yield
    monkeypatch.undo()
    reset_containers()


def run_schedule(stack: Stack) -> dict[str, Any]:
    request = urllib.request.Request(f"{stack.base_url}/@schedules/archive", method="POST", data=b"")
    with urllib.request.urlopen(request, timeout=60) as answer:
        return json.loads(answer.read())  # type: ignore[no-any-return]


def pages(stack: Stack, token: str, conversation_id: str, limit: int) -> tuple[list[Any], list[Any]]:
    back: list[Any] = []
    path = f"/api/messages/{conversation_id}?limit={limit}"
    while True:
        status, page = stack.http("GET", path, token=token)
        assert status == 200, page
        back = page["items"] + back
        if page["nextBefore"] is None:
            break
        path = f"/api/messages/{conversation_id}?limit={limit}&before={page['nextBefore']}"
    forward: list[Any] = []
    after = 0
    while True:
        status, page = stack.http("GET", f"/api/messages/{conversation_id}?limit={limit}&after={after}", token=token)
        assert status == 200, page
        if not page["items"]:
            break
        forward += page["items"]
        after = page["items"][-1]["seq"]
    return back, forward


def test_history_reads_the_same_both_ways_after_the_archiver_runs(stack: Stack, archive_at_once: None) -> None:
    alice, bob, carol = (stack.sign_up(f"arch_{n}") for n in ("alice", "bob", "carol"))
    status, direct = stack.http(
        "POST", "/api/conversations/direct", {"userId": bob["user"]["id"]}, alice["accessToken"]
    )
    assert status == 201
    status, group = stack.http(
        "POST", "/api/groups/create", {"name": "Archive", "memberIds": [bob["user"]["id"], carol["user"]["id"]]},
        alice["accessToken"],
    )  # fmt: skip
    assert status == 201
    for conversation, count in ((direct["id"], 300), (group["id"], 200)):
        for n in range(count):
            sender = (alice, bob)[n % 2]
            body = {"conversationId": conversation, "text": f"{n}", "clientMsgId": f"k{n}"}
            assert stack.http("POST", "/api/messages", body, sender["accessToken"])[0] == 201
    before = {c: pages(stack, bob["accessToken"], c, 45) for c in (direct["id"], group["id"])}
    assert [len(before[c][0]) for c in (direct["id"], group["id"])] == [300, 200]
    time.sleep(0.01)  # the clock keeps milliseconds

    result = run_schedule(stack)

    assert result["archived"] >= 500  # other tests' conversations on this stack go too
    assert result["done"] is True
    assert stack.db["messages"].count_documents({"conversationId": {"$in": [direct["id"], group["id"]]}}) == 0
    for conversation in (direct["id"], group["id"]):
        assert pages(stack, bob["accessToken"], conversation, 45) == before[conversation]
    # A new message carries on after the archived ones, and the newest page joins them up
    sent = stack.http(
        "POST",
        "/api/messages",
        {"conversationId": direct["id"], "text": "new", "clientMsgId": "n"},
        alice["accessToken"],
    )
    assert sent[1]["seq"] == 301
    status, newest = stack.http("GET", f"/api/messages/{direct['id']}?limit=3", token=bob["accessToken"])
    assert [m["text"] for m in newest["items"]] == ["298", "299", "new"]
    time.sleep(0.01)
    assert run_schedule(stack)["archived"] == 1  # only what came since: the new one (0 days is "all")
