"""Typing indicators over real WebSockets on the local stack."""

import asyncio

from tests.e2e.conftest import Client, Stack


def test_typing_reaches_the_other_member_throttled_and_stops_at_once(stack: Stack) -> None:
    alice, bob = stack.sign_up("typing_alice"), stack.sign_up("typing_bob")
    _, chat = stack.http("POST", "/api/conversations/direct", {"userId": bob["user"]["id"]}, alice["accessToken"])

    async def scenario() -> None:
        typist, reader = (
            await Client.connect(stack, alice["accessToken"]),
            await Client.connect(stack, bob["accessToken"]),
        )
        try:
            start = {"action": "typing", "conversationId": chat["id"], "isTyping": True}
            await typist.send(start)
            assert await reader.receive() == {
                "type": "typing",
                "conversationId": chat["id"],
                "userId": alice["user"]["id"],
                "isTyping": True,
            }
            await typist.send(start)  # within 2 seconds: not forwarded
            await reader.assert_quiet()
            await typist.send({**start, "isTyping": False})
            assert (await reader.receive())["isTyping"] is False
            await typist.assert_quiet()  # the typist hears nothing back
        finally:
            await typist.close()
            await reader.close()

    asyncio.run(scenario())


def test_typing_in_someone_elses_chat_or_a_bad_frame_is_an_error(stack: Stack) -> None:
    alice, bob, eve = (stack.sign_up(f"typing_{n}") for n in ("a2", "b2", "eve"))
    _, chat = stack.http("POST", "/api/conversations/direct", {"userId": bob["user"]["id"]}, alice["accessToken"])

    async def scenario() -> None:
        intruder = await Client.connect(stack, eve["accessToken"])
        try:
            refused = await intruder.request({"action": "typing", "conversationId": chat["id"], "isTyping": True})
            assert (refused["type"], refused["code"]) == ("error", "forbidden")
            invalid = await intruder.request({"action": "typing", "conversationId": chat["id"], "isTyping": "yes"})
            assert (invalid["code"], invalid["details"][0]["loc"]) == ("invalid_request", ["isTyping"])
        finally:
            await intruder.close()

    asyncio.run(scenario())
