"""Only this organisation acts: a request from another Slack team or enterprise (a Slack Connect member) is refused in
one ephemeral line and changes nothing; rows are keyed by the bot's own team; App Home shows a channel's approvals
to its members only. And a post is never repeated by the Slack client itself."""

from __future__ import annotations

import asyncio
import json
import logging
from datetime import timedelta
from typing import Any
from urllib.parse import urlencode

import httpx
import pytest
from bot_harness import SECRET, Harness
from sqlalchemy import update
from sqlmodel import Session, select

from bot.app import make_web_client
from bot.blocks.approvals import ACTION_APPROVE
from bot.jobs.poll import run_cycle
from bot.listeners.trust import acting_teams, refused_text
from bot.notify.outbox import drain_outbox
from bot.simulator import SlackUserClient
from bot.simulator.team import TEAM_ID
from storage.columns import utcnow
from storage.enums import ApprovalState
from storage.models import Approval, AuditEvent, OutboxMessage, Subscription, Watch

ORDER = "de76cfa1-9a55-412f-a9ee-61ca2f662a63"
CHANNEL = "C_GENERAL"
OTHER = "T_OTHER"


async def orange_requests(h: Harness) -> int:
    counts: dict[str, int] = (await h.admin.get("/_sandbox/requests")).json()["counts"]
    return sum(n for key, n in counts.items() if "token" not in key.lower())


def rows(h: Harness, model: Any) -> list[Any]:
    with Session(h.ctx.engine) as session:
        return list(session.exec(select(model)).all())


def stranger(h: Harness, *, team_id: str = OTHER, user: str = "U_MALLORY") -> SlackUserClient:
    """A member of another organisation in a Slack Connect channel: signed like any request, naming their team."""
    h.fake.add_user(user)
    return SlackUserClient(
        "http://bot.test/slack/events",
        signing_secret=SECRET,
        fake=h.fake,
        transport=httpx.ASGITransport(app=h.web),
        team_id=team_id,
        user=user,
    )


async def ask(client: SlackUserClient, h: Harness, text: str, *, user: str | None = None) -> str:
    before = len(h.fake.response_posts())
    ack = await client.command(text, channel=CHANNEL, user=user)
    assert ack.status == 200
    if ack.body.strip():  # answered in the ack itself (a refusal)
        return str(json.loads(ack.body).get("text"))
    await h.fake.wait_for_responses(count=before + 1, timeout=10)
    return str(client.render(h.fake.response_posts()[-1].body))


@pytest.mark.parametrize(
    "text", ["order wholesale:" + ORDER, f"watch wholesale:{ORDER}", "subscribe wholesale state=held", "watches"]
)
async def test_a_command_from_another_team_is_refused_and_changes_nothing(harness: Harness, text: str) -> None:
    h = harness
    before = await orange_requests(h)
    async with stranger(h) as mallory:
        ack = await mallory.command(text, channel=CHANNEL)
    assert ack.status == 200
    answer = json.loads(ack.body)
    assert answer == {"response_type": "ephemeral", "text": refused_text()}
    assert await orange_requests(h) == before
    assert rows(h, Watch) == [] and rows(h, Subscription) == []
    assert h.fake.channel_messages(CHANNEL) == []
    assert len(h.fake.response_posts()) == 0


async def test_approve_from_another_team_does_not_call_the_carrier(harness: Harness) -> None:
    h = harness
    answer = await ask(h.user, h, f"cancel wholesale:{ORDER} customer moved")
    assert "Asked for approval" in answer
    (approval,) = rows(h, Approval)
    msg = h.fake.message(CHANNEL, str(approval.message_ts))
    assert msg is not None
    async with stranger(h) as mallory:
        before = len(h.fake.response_posts())
        ack = await mallory.click(ACTION_APPROVE, message=msg)
        assert ack.status == 200
        await h.fake.wait_for_responses(count=before + 1, timeout=10)
    assert refused_text() in json.dumps(h.fake.response_posts()[-1].body)
    counts: dict[str, int] = (await h.admin.get("/_sandbox/requests")).json()["counts"]
    assert not any("cancelProductOrder" in key and key.startswith("POST") for key in counts)
    (still,) = rows(h, Approval)
    assert still.state == ApprovalState.PENDING.value
    assert [e.action for e in rows(h, AuditEvent)] == ["approval.requested"]


async def test_naming_the_home_team_in_one_field_and_another_in_the_next_is_refused(harness: Harness) -> None:
    """`team.id` says the host team, `user.team_id` the user's own: every field counts."""
    h = harness
    answer = await ask(h.user, h, f"cancel wholesale:{ORDER}")
    assert "Asked for approval" in answer
    (approval,) = rows(h, Approval)
    payload = {
        "type": "block_actions",
        "user": {"id": "U_MALLORY", "team_id": OTHER},
        "team": {"id": TEAM_ID},
        "api_app_id": "A_SIM",
        "container": {"type": "message", "channel_id": CHANNEL, "message_ts": approval.message_ts},
        "channel": {"id": CHANNEL},
        "actions": [{"type": "button", "action_id": ACTION_APPROVE, "value": str(approval.id), "action_ts": "1.0"}],
        "response_url": h.fake.new_response_url(channel=CHANNEL, user="U_MALLORY", message_ts=approval.message_ts),
    }
    before = len(h.fake.response_posts())
    ack = await h.user.send(urlencode({"payload": json.dumps(payload)}))
    assert ack.status == 200
    await h.fake.wait_for_responses(count=before + 1, timeout=10)  # the refusal, said before any listener could run
    assert refused_text() in json.dumps(h.fake.response_posts()[-1].body)
    assert rows(h, Approval)[0].state == ApprovalState.PENDING.value


async def test_options_view_submissions_and_events_from_another_team_change_nothing(
    harness: Harness, caplog: pytest.LogCaptureFixture
) -> None:
    h = harness
    caplog.set_level(logging.WARNING, logger="bot.trust")
    async with stranger(h) as mallory:
        options = await mallory.options("site_a", "Mars", view_id="V_NONE")
        assert json.loads(options.body) == {"options": []}
        submitted = await mallory.send(
            urlencode(
                {
                    "payload": json.dumps(
                        {
                            "type": "view_submission",
                            "team": {"id": OTHER},
                            "user": {"id": "U_MALLORY", "team_id": OTHER},
                            "view": {"id": "V1", "type": "modal", "callback_id": "quote_form", "state": {"values": {}}},
                        }
                    )
                }
            )
        )
        assert json.loads(submitted.body)["response_action"] == "update"
        assert refused_text() in submitted.body
        home = await mallory.event({"type": "app_home_opened", "user": "U_MALLORY", "tab": "home"})
        assert home.status == 200
    # The middleware decided before the ack: the event was refused, so no listener publishes a Home for it.
    assert any("refused a app_home_opened event" in r.getMessage() for r in caplog.records), caplog.records
    assert h.fake.homes == {}


async def test_an_allowed_team_acts_in_the_home_teams_name_so_one_order_is_one_thread(
    harness: Harness, monkeypatch: pytest.MonkeyPatch
) -> None:
    h = harness
    monkeypatch.setattr(h.ctx.settings, "allowed_team_ids", (OTHER,))
    async with stranger(h) as partner:
        assert "Watching" in await ask(partner, h, f"watch wholesale:{ORDER}")
    assert "already" in (await ask(h.user, h, f"watch wholesale:{ORDER}")).lower()
    (watch,) = rows(h, Watch)
    assert watch.team_id == TEAM_ID
    assert len(h.fake.channel_messages(CHANNEL)) == 1


async def test_app_home_lists_only_the_approvals_of_channels_the_viewer_is_in(harness: Harness) -> None:
    h = harness
    h.fake.add_channel("C_BOARD", "board", is_private=True, members={"U_ALICE", "U_BOB"})
    before = len(h.fake.response_posts())
    await h.user.command(f"cancel wholesale:{ORDER} board only", channel="C_BOARD")
    await h.fake.wait_for_responses(count=before + 1, timeout=10)
    assert len(rows(h, Approval)) == 1

    async def home(user: str) -> str:
        h.fake.homes.pop(user, None)
        await h.user.event({"type": "app_home_opened", "user": user, "tab": "home"})
        for _ in range(200):
            if user in h.fake.homes:
                return json.dumps(h.fake.homes[user])
            await asyncio.sleep(0.05)
        raise AssertionError(f"no App Home published for {user}")

    assert ORDER in await home("U_BOB")  # a member who may decide
    assert ORDER not in await home("U_CAROL")  # may decide, but not in the private channel


def test_acting_teams_reads_every_field_slack_uses() -> None:
    body = {
        "team_id": "T1",
        "enterprise_id": "E1",
        "team": {"id": "T2"},
        "enterprise": {"id": "E2"},
        "user": {"id": "U", "team_id": "T3"},
        "event": {"user_team": "T4", "source_team": "T5", "team": "T6"},
    }
    assert acting_teams(body) == ({"T1", "T2", "T3", "T4", "T5", "T6"}, {"E1", "E2"})


async def test_a_post_slack_took_before_answering_500_is_not_repeated(harness: Harness) -> None:
    """slack_sdk's server-error retry re-sent chat.postMessage at once: one outbox row, two replies."""
    h = harness
    assert "Watching" in await ask(h.user, h, f"watch wholesale:{ORDER}")
    (watch,) = rows(h, Watch)
    response = await h.admin.post(f"/_sandbox/orders/wholesale/{ORDER}/state", content=json.dumps({"state": "held"}))
    assert response.status_code < 300

    def due(s: Session) -> None:
        s.exec(update(Watch).values(next_poll_at=None))  # type: ignore[call-overload]

    await h.ctx.db(due)
    await run_cycle(h.ctx, owner="t")
    client = make_web_client(h.ctx.settings)  # the bot's own client, with its retry handlers
    h.fake.inject("chat.postMessage", "internal_error", status=500, performed=True)
    await drain_outbox(h.ctx, client)
    assert len(h.fake.thread(CHANNEL, str(watch.thread_ts))) == 1  # taken once, not re-sent by the client

    def now_due(s: Session) -> None:
        s.exec(update(OutboxMessage).values(next_attempt_at=utcnow() - timedelta(seconds=1)))  # type: ignore[call-overload]

    await h.ctx.db(now_due)
    await drain_outbox(h.ctx, client)  # the outbox's own retry looks in the thread first
    assert len(h.fake.thread(CHANNEL, str(watch.thread_ts))) == 1
    assert all(r.status == "sent" for r in rows(h, OutboxMessage))


async def test_a_read_is_still_retried_by_the_client(harness: Harness) -> None:
    h = harness
    client = make_web_client(h.ctx.settings)
    h.fake.inject("conversations.info", "internal_error", status=500)
    info = await client.conversations_info(channel=CHANNEL)
    assert info["ok"] is True
    assert sum(1 for c in h.fake.calls if c.method == "conversations.info") == 2
