"""The direct Bot API calls read Telegram's answers as the sender needs them."""

from __future__ import annotations

import json

import pytest

from bot.sender import SendError
from bot.telegram.botapi import BotApiError, answer


def body(**fields: object) -> bytes:
    return json.dumps(fields).encode()


def test_a_result_is_returned() -> None:
    assert answer(200, body(ok=True, result={"message_id": 7})) == {"message_id": 7}


def test_flood_control_carries_its_wait() -> None:
    with pytest.raises(SendError) as caught:
        answer(429, body(ok=False, error_code=429, description="Too Many Requests: retry "
                         "after 12", parameters={"retry_after": 12}))
    assert caught.value.retry_after == 12 and not caught.value.permanent


def test_a_wait_in_seconds_and_a_fraction_is_kept_whole() -> None:
    with pytest.raises(SendError) as caught:
        answer(429, body(ok=False, error_code=429, parameters={"retry_after": 4.2}))
    assert caught.value.retry_after == 5


def test_a_chat_that_moved_is_retried_not_dropped() -> None:
    with pytest.raises(BotApiError):
        answer(400, body(ok=False, error_code=400, description="Bad Request: group chat was "
                         "upgraded to a supergroup chat", parameters={"migrate_to_chat_id": -1}))


def test_the_http_status_decides_as_aiogram_reads_it() -> None:
    with pytest.raises(BotApiError):  # an error told with 200: retried, not dropped
        answer(200, body(ok=False, error_code=400, description="Bad Request"))


async def test_a_closed_client_sends_nothing() -> None:
    from bot.telegram.botapi import BotApiClient

    client = BotApiClient("1:x", "http://127.0.0.1:9")
    await client.close()
    with pytest.raises(BotApiError):
        await client.call("sendMessage", {"chat_id": "1", "text": "hi"})


def test_a_blocked_bot_ends_the_message_and_marks_the_person() -> None:
    with pytest.raises(SendError) as caught:
        answer(403, body(ok=False, error_code=403, description="Forbidden: bot was blocked"))
    assert caught.value.blocked and caught.value.permanent


@pytest.mark.parametrize("code", [400, 404])
def test_a_rejected_message_is_not_sent_again(code: int) -> None:
    with pytest.raises(SendError) as caught:
        answer(code, body(ok=False, error_code=code, description="Bad Request: chat not found"))
    assert caught.value.permanent and not caught.value.blocked
    assert "chat not found" in str(caught.value)


@pytest.mark.parametrize(("status", "content"), [
    (502, b"<html>Bad Gateway</html>"),
    (500, body(ok=False, error_code=500, description="Internal Server Error")),
    (401, body(ok=False, error_code=401, description="Unauthorized")),
    (200, b"[1, 2]"),
])
def test_anything_else_is_retried(status: int, content: bytes) -> None:
    with pytest.raises(BotApiError):  # not a SendError: the sender retries it
        answer(status, content)
