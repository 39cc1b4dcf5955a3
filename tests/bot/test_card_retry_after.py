"""An approval card Slack refuses to update (`chat.update` → 429 with a long `Retry-After`) is left alone until
then, by the approvals job and by clicks alike, and is redrawn with the newest state once Slack lets it.

Signed clicks into the running app; the approvals job run every 10 s on a clock the test hands it."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest
from bot_harness import Harness
from slack_sdk.errors import SlackApiError
from slack_sdk.web.slack_response import SlackResponse
from test_approvals import approvals_in_db, carrier_posts, message, request_cancel, shown, wait_state

import bot.approvals.policy as policy
from bot import approvals
from bot.blocks.approvals import ACTION_APPROVE
from bot.slack import retry_after
from storage.columns import utcnow
from storage.enums import ApprovalState


def card_updates(h: Harness) -> int:
    return len(h.fake.calls_to("chat.update"))


async def hold_recorded(h: Harness, ts: str | None) -> datetime:
    """The bot has written down Slack's Retry-After for this card (the click's handler is done with it)."""

    def held() -> datetime | None:
        holds = [a.card_redraw_at for a in approvals_in_db(h) if a.message_ts == ts and a.card_redraw_at]
        return max(holds) if holds else None

    return await h.fake.wait_for(held, timeout=5)


async def approvals_job(h: Harness, base: datetime, seconds: range) -> None:
    """The approvals job as the scheduler runs it, once per step of `seconds` after `base`."""
    for s in seconds:
        await approvals.reconcile(h.ctx, h.bolt.client, at=base + timedelta(seconds=s))


async def test_a_card_refused_with_retry_after_150_is_redrawn_once_after_150_s(harness: Harness) -> None:
    h = harness
    approval = await request_cancel(h)
    h.fake.inject("chat.update", "ratelimited", status=429, retry_after=150, count=None)  # Slack says 150 s, each time
    await h.user.click(ACTION_APPROVE, user="U_BOB")
    await wait_state(h, [ApprovalState.SUBMITTED.value])
    await h.fake.wait_for_calls("chat.update", 1)
    await hold_recorded(h, approval.message_ts)
    base = utcnow()

    await approvals_job(h, base, range(0, 150, 10))
    assert card_updates(h) == 1  # the click's own, refused; nobody asked again within Slack's 150 s
    assert "Approve" in shown(h, message(h, approval.message_ts))  # still the old card: Slack kept it

    h.fake.clear_faults()  # Slack takes updates again
    await approvals_job(h, base, range(150, 200, 10))
    assert card_updates(h) == 2
    text = shown(h, message(h, approval.message_ts))
    assert "Sent to Orange" in text and "Approve" not in text, text
    assert await carrier_posts(h, "cancelProductOrder") == 1


async def test_a_long_retry_after_is_capped_and_the_job_s_own_429_is_respected(harness: Harness) -> None:
    h = harness
    approval = await request_cancel(h)
    h.fake.inject("chat.update", "ratelimited", status=429, retry_after=3600, count=None)
    await h.user.click(ACTION_APPROVE, user="U_BOB")
    await wait_state(h, [ApprovalState.SUBMITTED.value])
    await h.fake.wait_for_calls("chat.update", 1)
    held_until = await hold_recorded(h, approval.message_ts)
    assert timedelta(minutes=9) < held_until - utcnow() <= policy.MAX_CARD_HOLD  # an hour asked, ten minutes held
    base = utcnow()

    await approvals_job(h, base, range(0, 600, 10))
    assert card_updates(h) == 1
    # After ten minutes the job tries again; Slack refuses once more, for 150 s from the job's own clock.
    h.fake.clear_faults()
    h.fake.inject("chat.update", "ratelimited", status=429, retry_after=150, count=1)
    await approvals_job(h, base, range(600, 750, 10))
    assert card_updates(h) == 2
    await approvals_job(h, base, range(750, 800, 10))
    assert card_updates(h) == 3
    text = shown(h, message(h, approval.message_ts))
    assert "Sent to Orange" in text and "Approve" not in text, text


async def test_a_retry_during_the_hold_waits_too_and_the_card_ends_on_the_retry(harness: Harness) -> None:
    h = harness
    await h.admin.post(
        "/_sandbox/faults",
        json={"path": "cancelProductOrder", "method": "POST", "status": 400, "body": {"code": "24"}, "count": 1},
    )
    approval = await request_cancel(h)
    h.fake.inject("chat.update", "ratelimited", status=429, retry_after=150, count=None)
    await h.user.click(ACTION_APPROVE, user="U_BOB")
    failed = await wait_state(h, [ApprovalState.FAILED.value])
    await h.fake.wait_for_calls("chat.update", 1)
    await hold_recorded(h, approval.message_ts)

    # An approver retries within the 150 s (the failed approval's Retry): the retry's card waits for Slack too.
    await approvals.handle_click(h.ctx, h.bolt.client, approvals.Click("retry", str(failed.id), "U_CAROL"))
    retried = await wait_state(h, [ApprovalState.SUBMITTED.value])
    assert retried.id != failed.id and retried.message_ts == approval.message_ts
    base = utcnow()
    await approvals_job(h, base, range(0, 150, 10))
    assert card_updates(h) == 1

    h.fake.clear_faults()
    await approvals_job(h, base, range(150, 200, 10))
    assert card_updates(h) == 2
    text = shown(h, message(h, approval.message_ts))
    assert "Sent to Orange" in text and "Retry" not in text and "Failed" not in text, text
    assert await carrier_posts(h, "cancelProductOrder") == 2  # the refused one and the retry


@pytest.mark.parametrize(
    ("headers", "status", "error", "expected"),
    [
        ({"Retry-After": "150"}, 429, "ratelimited", 150.0),
        ({"retry-after": ["30"]}, 429, "ratelimited", 30.0),
        ({"Retry-After": "0"}, 429, "ratelimited", 1.0),
        ({}, 429, "ratelimited", 1.0),
        ({"Retry-After": "soon"}, 429, "ratelimited", 1.0),
        ({}, 200, "ratelimited", 1.0),
        ({"Retry-After": "150"}, 200, "channel_not_found", None),
        ({}, 500, "internal_error", None),
    ],
)
def test_one_reading_of_retry_after(
    headers: dict[str, object], status: int, error: str, expected: float | None
) -> None:
    response = SlackResponse(
        client=None,
        http_verb="POST",
        api_url="https://slack.test/api/chat.update",
        req_args={},
        data={"ok": False, "error": error},
        headers=headers,
        status_code=status,
    )
    assert retry_after(SlackApiError("refused", response)) == expected
