"""The outbox sender: post what the poll job owes, once each, in order per watch.

A round (`send_outbox`) claims due rows (`pending`, or `sending` for longer than `retry_sending_after`: their
sender died), keeps per watch only the rows that come first among its unsent ones (created_at, then the
payload's `seq`), and sends each watch's rows in order, watches concurrently:

* an event or notice: `chat.postMessage` in the thread (`reply_broadcast` for a final state) with
  `metadata={"event_type": "orange_bot_outbox", "event_payload": {"id": <row id>}}`;
* `root_update`: `chat.update` of the root with `watch_root_blocks(view)` (idempotent by nature).

Failures: a 429 waits for Slack's `Retry-After` (slack_sdk raises once its own retry handler gives up); a
5xx, a timeout or a connection error backs off exponentially; `channel_not_found`, `not_in_channel`,
`is_archived` (and `restricted_action`) pause the watch and DM its creator once; any other Slack error is
not retryable and the row goes `dead`. The rows after a failed one wait for it.

Exactly once across crashes: the row is `sending` (committed) before the Slack call and `sent` after it.
A crash between Slack's success and the `sent` commit leaves a `sending` row; when it is claimed again
(`attempts > 1`), the sender first reads the thread (`conversations.replies`, `include_all_metadata`) for a
message carrying the row's id in its metadata, and only posts when none is there. Residual windows:
a sender that is *alive* but slower than `retry_sending_after` can be overtaken (keep that delay well above
Slack's timeout); Slack's thread listing must already show the message when the row is reclaimed (it does
in the simulator, it is near-immediate on Slack); the pause DM is decided by a compare-and-set before it is
sent, so a crash right there loses that DM rather than doubling it.
"""

from __future__ import annotations

import asyncio
import logging
import uuid
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

import aiohttp
from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient
from sqlmodel import Session, col, select

from bot.blocks.format import fallback_text
from bot.blocks.watches import watch_root_blocks
from bot.context import BotContext
from bot.watching import CHANNEL_ERRORS
from integrations.views import OrderView
from storage import crud
from storage.columns import utcnow
from storage.enums import OutboxStatus
from storage.models import OutboxMessage, Watch

__all__ = ["METADATA_EVENT", "OutboxStats", "drain_outbox", "send_outbox"]

log = logging.getLogger("bot.jobs.outbox")

METADATA_EVENT = "orange_bot_outbox"
CLAIM_LIMIT = 100
CONCURRENCY = 8
MAX_BACKOFF = 300.0
RETRY_SENDING_AFTER = timedelta(minutes=5)
PAUSED_RETRY = timedelta(minutes=10)


@dataclass
class OutboxStats:
    sent: int = 0
    recovered: int = 0
    retried: int = 0
    dead: int = 0
    paused: int = 0
    deferred: int = 0
    errors: list[str] = field(default_factory=list)


@dataclass
class _Row:
    id: uuid.UUID
    kind: str
    payload: dict[str, Any]
    broadcast: bool
    attempts: int
    channel: str
    thread_ts: str | None
    created_by: str
    watch_id: uuid.UUID


def _order_key(row: OutboxMessage) -> tuple[datetime, int, str]:
    seq = row.payload.get("seq", 0) if isinstance(row.payload, dict) else 0
    return (row.created_at, int(seq) if isinstance(seq, int) else 0, str(row.id))


def _claim(
    session: Session, *, limit: int, now: datetime, retry_sending_after: timedelta, stats: OutboxStats
) -> list[list[_Row]]:
    """Claim due rows; per watch, the claimed rows that come first among its unsent ones, in order."""
    claimed = crud.claim_outbox(session=session, limit=limit, now=now, retry_sending_after=retry_sending_after)
    if not claimed:
        return []
    mine = {m.id for m in claimed}
    groups: list[list[_Row]] = []
    for watch_id in dict.fromkeys(m.watch_id for m in claimed):
        watch = session.get(Watch, watch_id)
        unsent = sorted(
            session.exec(
                select(OutboxMessage).where(
                    col(OutboxMessage.watch_id) == watch_id,
                    col(OutboxMessage.status).in_([OutboxStatus.PENDING.value, OutboxStatus.SENDING.value]),
                )
            ).all(),
            key=_order_key,
        )
        ready: list[_Row] = []
        blocked: OutboxMessage | None = None
        for message in unsent:
            if message.id not in mine:
                blocked = blocked or message
                continue
            if blocked is not None or watch is None or watch.paused_at is not None:
                # An earlier row is still owed (or the watch cannot post): this one waits for it.
                wait = PAUSED_RETRY if watch is not None and watch.paused_at is not None else timedelta(seconds=1)
                retry = now + wait
                if blocked is not None and blocked.next_attempt_at > retry:
                    retry = blocked.next_attempt_at
                crud.mark_outbox_failed(
                    session=session, message_id=message.id, error="waiting for an earlier message", retry_at=retry
                )
                stats.deferred += 1
                continue
            ready.append(
                _Row(
                    id=message.id,
                    kind=message.kind,
                    payload=dict(message.payload),
                    broadcast=message.broadcast,
                    attempts=message.attempts,
                    channel=watch.channel_id,
                    thread_ts=watch.thread_ts,
                    created_by=watch.created_by,
                    watch_id=watch.id,
                )
            )
        if ready:
            groups.append(ready)
    return groups


async def _already_posted(client: AsyncWebClient, row: _Row) -> str | None:
    """The ts of a thread reply carrying this row's id in its metadata (a post whose `sent` was lost)."""
    if row.thread_ts is None:
        return None
    cursor: str | None = None
    while True:
        response = await client.conversations_replies(
            channel=row.channel, ts=row.thread_ts, include_all_metadata=True, limit=200, cursor=cursor
        )
        for message in response.get("messages") or []:
            metadata = message.get("metadata") or {}
            if metadata.get("event_type") == METADATA_EVENT and str(
                (metadata.get("event_payload") or {}).get("id")
            ) == str(row.id):
                return str(message["ts"])
        cursor = (response.get("response_metadata") or {}).get("next_cursor") or None
        if not response.get("has_more") or not cursor:
            return None


async def _deliver(client: AsyncWebClient, row: _Row) -> tuple[str | None, bool]:
    """Send one row; (its ts, whether it was found already posted)."""
    if row.kind == "root_update":
        view = OrderView.model_validate(row.payload["view"])
        blocks = watch_root_blocks(view, errors_only=bool(row.payload.get("errors_only")))
        if row.thread_ts is None:
            return None, False
        await client.chat_update(
            channel=row.channel, ts=row.thread_ts, text=fallback_text(blocks), blocks=[b.to_dict() for b in blocks]
        )
        return row.thread_ts, False
    if row.attempts > 1:
        found = await _already_posted(client, row)
        if found is not None:
            return found, True
    response = await client.chat_postMessage(
        channel=row.channel,
        thread_ts=row.thread_ts,
        text=str(row.payload.get("text") or ""),
        reply_broadcast=row.broadcast,
        unfurl_links=False,
        unfurl_media=False,
        metadata={"event_type": METADATA_EVENT, "event_payload": {"id": str(row.id)}},
    )
    return str(response["ts"]), False


def _retry_after(err: SlackApiError) -> float:
    headers = getattr(err.response, "headers", None) or {}
    for key, value in dict(headers).items():
        if key.lower() == "retry-after":
            try:
                return max(float(value if isinstance(value, str) else value[0]), 1.0)
            except (TypeError, ValueError, IndexError):
                break
    return 1.0


async def _pause(ctx: BotContext, client: AsyncWebClient, row: _Row, error: str) -> bool:
    paused = await ctx.db(lambda s: crud.pause_watch(session=s, watch_id=row.watch_id, reason=f"cannot post: {error}"))
    if paused:
        try:
            dm = await client.conversations_open(users=row.created_by)
            channel = str((dm.get("channel") or {}).get("id"))
            await client.chat_postMessage(
                channel=channel,
                text=(
                    f"I can't post updates for your watch of `{_reference(row)}` in <#{row.channel}> any more "
                    f"(`{error}`): the watch is paused. Invite me back (or unarchive the channel) and watch it again."
                ),
            )
        except SlackApiError as err:
            log.warning("could not DM %s about watch %s: %s", row.created_by, row.watch_id, err.response.get("error"))
    return paused


def _reference(row: _Row) -> str:
    event = row.payload.get("event")
    if isinstance(event, dict) and event.get("order_ref"):
        return str(event["order_ref"])
    view = row.payload.get("view")
    if isinstance(view, dict) and view.get("reference"):
        return str(view["reference"])
    return str(row.watch_id)


async def _send_group(ctx: BotContext, client: AsyncWebClient, rows: list[_Row], stats: OutboxStats) -> None:
    for index, row in enumerate(rows):
        now = utcnow()
        retry: datetime | None = None
        dead = False
        error = ""
        try:
            ts, recovered = await _deliver(client, row)
        except SlackApiError as err:
            status = getattr(err.response, "status_code", 200)
            error = str(err.response.get("error") or f"http {status}")
            if status == 429 or error == "ratelimited":
                retry = now + timedelta(seconds=_retry_after(err))
            elif status >= 500:
                retry = now + timedelta(seconds=min(2.0**row.attempts, MAX_BACKOFF))
            elif error in CHANNEL_ERRORS:
                if await _pause(ctx, client, row, error):
                    stats.paused += 1
                retry = now + PAUSED_RETRY
            elif row.kind == "root_update" and error in ("message_not_found", "cant_update_message"):
                ts, recovered = None, False  # the root is gone: nothing to edit
            else:
                dead = True
        except (TimeoutError, aiohttp.ClientError, OSError) as err:
            error = f"{type(err).__name__}: {err}"
            retry = now + timedelta(seconds=min(2.0**row.attempts, MAX_BACKOFF))
        if retry is None and not dead:
            await ctx.db(lambda s, r=row, t=ts: crud.mark_outbox_sent(session=s, message_id=r.id, slack_ts=t))  # type: ignore[misc]
            stats.sent += 1
            stats.recovered += int(recovered)
            continue
        stats.errors.append(error)
        if dead:
            log.error("outbox row %s (%s) given up: %s", row.id, row.kind, error)
            stats.dead += 1
        else:
            log.info("outbox row %s (%s) retried at %s: %s", row.id, row.kind, retry, error)
            stats.retried += 1
        later = rows[index + 1 :] if not dead else []

        def fail(session: Session, r: _Row = row, rest: Iterable[_Row] = later, when: datetime | None = retry) -> None:
            crud.mark_outbox_failed(session=session, message_id=r.id, error=error, retry_at=when, dead=dead)
            for other in rest:  # they wait for this one
                crud.mark_outbox_failed(
                    session=session, message_id=other.id, error="waiting for an earlier message", retry_at=when
                )

        await ctx.db(fail)
        if not dead:
            return


async def send_outbox(
    ctx: BotContext,
    client: AsyncWebClient,
    *,
    limit: int = CLAIM_LIMIT,
    concurrency: int = CONCURRENCY,
    retry_sending_after: timedelta = RETRY_SENDING_AFTER,
) -> OutboxStats:
    """One round: claim due rows and send them (per watch in order, watches concurrently)."""
    stats = OutboxStats()
    now = utcnow()
    groups = await ctx.db(
        lambda s: _claim(s, limit=limit, now=now, retry_sending_after=retry_sending_after, stats=stats)
    )
    semaphore = asyncio.Semaphore(concurrency)

    async def run(rows: list[_Row]) -> None:
        async with semaphore:
            await _send_group(ctx, client, rows, stats)

    await asyncio.gather(*(run(g) for g in groups))
    return stats


async def drain_outbox(
    ctx: BotContext,
    client: AsyncWebClient,
    *,
    max_rounds: int = 100,
    retry_sending_after: timedelta = RETRY_SENDING_AFTER,
) -> OutboxStats:
    """Rounds until one sends nothing (rows waiting for a later retry stay): for tests and the CLI."""
    total = OutboxStats()
    for _ in range(max_rounds):
        stats = await send_outbox(ctx, client, retry_sending_after=retry_sending_after)
        total.sent += stats.sent
        total.recovered += stats.recovered
        total.retried += stats.retried
        total.dead += stats.dead
        total.paused += stats.paused
        total.deferred += stats.deferred
        total.errors += stats.errors
        if stats.sent == 0 and stats.deferred == 0:
            break
    return total
