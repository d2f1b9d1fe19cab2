"""The deploy-time set-up (handlers/db_setup.py) fills the search fields of history stored before
search existed, within the time its invocation has left: found through the real search route."""

from types import SimpleNamespace
from typing import Any

from chat.handlers import db_setup
from tests.integration.conftest import Account, Pushed, call_http, sign_up


def context(seconds_left: float) -> Any:
    """The context Lambda passes: what Powertools reads, and the time left."""
    return SimpleNamespace(
        function_name="chat-db-setup",
        function_version="$LATEST",
        memory_limit_in_mb=256,
        invoked_function_arn="arn:aws:lambda:us-east-1:123456789012:function:chat-db-setup",
        aws_request_id="deploy-1",
        get_remaining_time_in_millis=lambda: int(seconds_left * 1000),
    )


def search(account: Account, q: str) -> list[str]:
    found = call_http("GET", "/api/search", token=account.access_token, query={"q": q})
    assert found.status == 200, found.body
    return sorted(item["text"] for item in found.body["items"])


def test_the_deploy_time_set_up_makes_earlier_history_searchable(pushed: Pushed, installed_db: Any) -> None:
    # Given a group's history, and a member removed from it, stored as before search existed
    alice, bob, carol = sign_up("bfalice"), sign_up("bfbob"), sign_up("bfcarol")
    group = call_http(
        "POST",
        "/api/groups/create",
        {"name": "Old", "memberIds": [bob.user_id, carol.user_id]},
        token=alice.access_token,
    ).body["id"]
    for text in ("Lunch on Friday?", "friday works"):
        sent = call_http("POST", "/api/messages", {"conversationId": group, "text": text}, token=alice.access_token)
        assert sent.status == 201, sent.body
    removed = call_http("DELETE", f"/api/groups/{group}/members/{carol.user_id}", token=alice.access_token)
    assert removed.status in (200, 204), removed.body
    call_http(
        "POST", "/api/messages", {"conversationId": group, "text": "friday, after carol"}, token=alice.access_token
    )
    installed_db["messages"].update_many({}, {"$unset": {"terms": ""}})
    installed_db["conversations"].update_many({}, {"$unset": {"formerMemberIds": ""}})
    assert search(bob, "friday") == []
    assert search(carol, "friday") == []

    # When a deploy runs the set-up with no time left for the backfill
    stopped = db_setup.lambda_handler({}, context(db_setup.RESERVE_S))
    # Then the indexes are in place, and it says there is more to do
    assert stopped["backfill"] == {"messages": 0, "conversations": 0, "read": 0, "more": True}
    assert search(bob, "friday") == []

    # When the next one runs with its minute
    result = db_setup.lambda_handler({}, context(59))

    # Then the members find the history, and the removed member what they saw before their removal
    assert result["backfill"] == {"messages": 3, "conversations": 1, "read": 1 + 3, "more": False}
    assert result["indexes"] == stopped["indexes"]
    assert search(bob, "friday") == ["Lunch on Friday?", "friday works", "friday, after carol"]
    assert search(carol, "FRIDAY") == ["Lunch on Friday?", "friday works"]
