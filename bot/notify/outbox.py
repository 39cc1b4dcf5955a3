"""The outbox sender: post what the poll job (and the digests job) owes, once each, in order per lane.

A lane is a watch (its thread replies and root) or a channel (posts of their own: the daily digest). A round
(`send_outbox`) lists the lanes that have a row due and groups them by the channel they post to: one task per
channel works through its lanes, the longest waiting first, each lane's rows in order; channels go concurrently,
so a storm in one channel holds up no other. Every `chat.postMessage` waits its channel's turn
(`bot.notify.pace`: Slack's one post per second per channel, a 429's `Retry-After` holding the channel for every
lane); a root's `chat.update` does not (Slack limits it per workspace, not per channel). Time (claims, retries)
is the context's clock (`ctx.now()`). A row is claimed just before its Slack call (a claim token and a deadline,
renewed by a heartbeat while the call runs) and marked sent or failed only by the holder of that claim:

* every row of a channel is worded in the channel's language (`/orange settings language=`), read once per channel
  and round; the pause DM in its recipient's Slack locale;
* a change set (every event of one read of the order, `bot.notify.changes`) or a notice: `chat.postMessage` in the
  thread, rendered now (`bot.notify.render`: the order named as people know it, its carrier site looked up in the
  cache), `reply_broadcast` for a final state and for what someone must act on (its text then starts with the
  mention the row carries, `payload["mention"]`), with
  `metadata={"event_type": "orange_bot_outbox", "event_payload": {"id": <row id>}}`;
* `root_update`: `chat.update` of the root with `watch_root_blocks(view)` (idempotent by nature);
* `approval_note` (owed when an approval places or cancels the order): a thread reply naming who approved and who
  asked, linking the card (`chat.getPermalink`) unless the thread is the card's own;
* `approval_card` (owed when the order's watch ends at a final state): the approval card redrawn from its row
  (`bot.approvals.cards.refresh_card`: the newest version, idempotent);
* `root_post` (a rule's new watch) and `digest` (the day's digest, built from storage as it is sent):
  `chat.postMessage` in the channel, with the same metadata.

Failures: a 429 waits for Slack's `Retry-After`; a 5xx, a timeout or a connection error backs off exponentially
and marks the row *uncertain* (Slack may have posted it); `channel_not_found`, `not_in_channel`, `is_archived`,
`restricted_action` and the token and scope errors (`missing_scope`, `not_authed`, `invalid_auth`,
`token_revoked`…) pause the watch, say why in the log (naming the missing scope) and DM its creator once; any
other Slack error is not retryable and the row goes `dead`. The rows after a failed one wait for it. A paused
watch's first row is tried again every `PAUSED_RETRY`: when Slack takes it, the watch resumes and the rest
follows, in order.

Exactly once: a row is `sending` (committed, with the claim) before the Slack call and `sent` after it. A row
that is uncertain — taken over from a claim that ran out (its sender died between Slack's answer and the
commit), or after an ambiguous failure — is first looked up in the thread (`conversations.replies`,
`include_all_metadata`), or for a channel post in the channel's history since the row was owed
(`conversations.history`), and only posted when no message carries its id. A live sender is never overtaken: its
heartbeat keeps the claim while Slack is slow. Residual window: Slack's thread listing must already show a
message when its row is taken over (near-immediate on Slack); the pause DM is decided by a compare-and-set
before it is sent, so a crash right there loses that DM rather than doubling it.
"""

from __future__ import annotations

import asyncio
import logging
import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

import aiohttp
from pydantic import ValidationError
from slack_sdk.errors import SlackApiError
from slack_sdk.models.blocks import Block
from slack_sdk.web.async_client import AsyncWebClient
from sqlmodel import Session

from bot.approvals.cards import approval_note, redraw
from bot.backend_health import BACKEND_DOWN, BACKEND_UP
from bot.blocks.format import fallback_text
from bot.blocks.watches import product_root_blocks, watch_root_blocks
from bot.channel_settings import channel_language
from bot.context import BotContext
from bot.digests import DIGEST_POST, DueDigest, due_digest_blocks
from bot.history.weekly import REPORT_FILES, REPORT_POST, DueReport, due_report_blocks, files_row, send_due_files
from bot.i18n import speaking
from bot.leases import heartbeat
from bot.notify.changes import CHANGES, ChangeSet
from bot.notify.diff import FINAL_PRODUCT_STATUSES, NoticeKind
from bot.notify.render import NOTICE, must_act_text, notice_text, paused_dm_text, render_changes
from bot.slack import CHANNEL_ERRORS, retry_after, send_dm
from bot.subscriptions import ROOTS_SUMMARY, roots_summary
from bot.watching import stored_label
from integrations.views import OrderView, ProductView, order_label
from storage import crud
from storage.enums import WatchKind
from storage.models import OutboxMessage

__all__ = ["AUTH_ERRORS", "METADATA_EVENT", "PAUSE_ERRORS", "OutboxStats", "drain_outbox", "send_outbox"]

log = logging.getLogger("bot.notify.outbox")

METADATA_EVENT = "orange_bot_outbox"
WATCH_LIMIT = 100
"""Watches served per round."""
CONCURRENCY = 8
MAX_BACKOFF = 300.0
RETRY_SENDING_AFTER = timedelta(minutes=1)
"""How long a claim lasts without a heartbeat: a dead sender's row is taken over after this."""
PAUSED_RETRY = timedelta(minutes=10)
AUTH_ERRORS = frozenset(
    {"missing_scope", "not_authed", "invalid_auth", "token_revoked", "token_expired", "account_inactive"}
)
"""Slack errors about the bot's token or its scopes: no post can go out until an operator fixes the app."""
PAUSE_ERRORS = CHANNEL_ERRORS | AUTH_ERRORS
LOOK_BACK = timedelta(minutes=10)
"""A channel post is looked for among the messages since its row was owed, less this (our clock against Slack's)."""
HISTORY_PAGE = 200


@dataclass
class OutboxStats:
    sent: int = 0
    recovered: int = 0
    retried: int = 0
    dead: int = 0
    paused: int = 0
    resumed: int = 0
    errors: list[str] = field(default_factory=list)

    def add(self, other: OutboxStats) -> None:
        self.sent += other.sent
        self.recovered += other.recovered
        self.retried += other.retried
        self.dead += other.dead
        self.paused += other.paused
        self.resumed += other.resumed
        self.errors += other.errors


@dataclass
class _Row:
    id: uuid.UUID
    token: str
    kind: str
    payload: dict[str, Any]
    broadcast: bool
    attempts: int
    uncertain: bool
    created_at: datetime
    team: str
    channel: str
    thread_ts: str | None
    created_by: str
    watch_id: uuid.UUID | None
    """None: a channel's post of its own (a digest)."""
    paused: bool
    product: bool

    @property
    def lane(self) -> dict[str, Any]:
        """The `watch_id=` or `channel=` the outbox's crud takes for this row's lane."""
        return {"watch_id": self.watch_id} if self.watch_id is not None else {"channel": (self.team, self.channel)}


Take = Callable[[Session, str, timedelta, datetime], "_Row | None"]
"""Claim a lane's first unsent row if it is due (session, claim token, claim length, now)."""


def _claim_first(
    session: Session, unsent: list[OutboxMessage], token: str, claim: timedelta, now: datetime
) -> OutboxMessage | None:
    if not unsent:
        return None
    return crud.claim_outbox_row(session=session, message_id=unsent[0].id, token=token, now=now, until=now + claim)


def _row(claimed: OutboxMessage, token: str, **lane: Any) -> _Row:
    """A claimed row and where it goes (`team`, `channel`, `thread_ts`, `created_by`, `watch_id`, `paused`,
    `product`)."""
    return _Row(
        id=claimed.id,
        token=token,
        kind=claimed.kind,
        payload=dict(claimed.payload),
        broadcast=claimed.broadcast,
        attempts=claimed.attempts,
        uncertain=claimed.uncertain,
        created_at=claimed.created_at,
        **lane,
    )


def _watch_lane(watch_id: uuid.UUID) -> Take:
    def take(session: Session, token: str, claim: timedelta, now: datetime) -> _Row | None:
        """Claim the watch's first unsent row if it is due; None when there is none, or it waits (or is taken)."""
        watch = crud.get_watch(session=session, watch_id=watch_id)
        if watch is None:
            return None
        claimed = _claim_first(session, crud.unsent_outbox(session=session, watch_id=watch_id), token, claim, now)
        if claimed is None:
            return None
        return _row(
            claimed,
            token,
            team=watch.team_id,
            channel=watch.channel_id,
            thread_ts=watch.thread_ts,
            created_by=watch.created_by,
            watch_id=watch.id,
            paused=watch.paused_at is not None,
            product=watch.kind == WatchKind.PRODUCT,
        )

    return take


def _channel_lane(team_id: str, channel_id: str) -> Take:
    def take(session: Session, token: str, claim: timedelta, now: datetime) -> _Row | None:
        """Claim the channel's first unsent post of its own if it is due."""
        unsent = crud.unsent_outbox(session=session, channel=(team_id, channel_id))
        claimed = _claim_first(session, unsent, token, claim, now)
        if claimed is None:
            return None
        return _row(
            claimed,
            token,
            team=team_id,
            channel=channel_id,
            thread_ts=None,
            created_by="",
            watch_id=None,
            paused=False,
            product=False,
        )

    return take


async def _already_posted(client: AsyncWebClient, row: _Row) -> str | None:
    """The ts of a thread reply carrying this row's id in its metadata (a post whose `sent` was lost)."""
    if row.thread_ts is None:
        return None
    thread_ts = row.thread_ts

    def page(cursor: str | None) -> Awaitable[Any]:
        return client.conversations_replies(
            channel=row.channel, ts=thread_ts, include_all_metadata=True, limit=200, cursor=cursor
        )

    return await _find_carrying(page, row)


async def _channel_already_posted(client: AsyncWebClient, row: _Row) -> str | None:
    """The ts of a channel message carrying this row's id (a thread root or a digest whose `sent` was lost),
    among those posted since the row was owed."""
    oldest = f"{(row.created_at - LOOK_BACK).timestamp():.6f}"

    def page(cursor: str | None) -> Awaitable[Any]:
        return client.conversations_history(
            channel=row.channel, oldest=oldest, include_all_metadata=True, limit=HISTORY_PAGE, cursor=cursor
        )

    return await _find_carrying(page, row)


async def _find_carrying(page: Callable[[str | None], Awaitable[Any]], row: _Row) -> str | None:
    """Page through Slack's messages (`page(cursor)`) for the one carrying this row's id; its ts, or None."""
    cursor: str | None = None
    while True:
        response = await page(cursor)
        for message in response.get("messages") or []:
            if _carries(message, row):
                return str(message["ts"])
        cursor = (response.get("response_metadata") or {}).get("next_cursor") or None
        if not response.get("has_more") or not cursor:
            return None


def _carries(message: dict[str, Any], row: _Row) -> bool:
    metadata = message.get("metadata") or {}
    payload = metadata.get("event_payload") or {}
    return bool(metadata.get("event_type") == METADATA_EVENT and str(payload.get("id")) == str(row.id))


async def _root_blocks(ctx: BotContext, row: _Row) -> list[Block]:
    """A watch's root as its row's payload describes the order or product now (its carrier site named)."""
    if row.product:
        product = ProductView.model_validate(row.payload["view"])
        return product_root_blocks(product, final=product.status in FINAL_PRODUCT_STATUSES)
    view = OrderView.model_validate(row.payload["view"])
    return watch_root_blocks(
        view,
        errors_only=bool(row.payload.get("errors_only")),
        site_name=await ctx.sites.site_of(ctx.orange.carrier.sites, view),
    )


async def _reply(ctx: BotContext, client: AsyncWebClient, row: _Row) -> tuple[str, list[Block] | None]:
    """A thread reply's text and blocks: a change set rendered now, naming its order as people know it; an
    approval's note linking its card; a notice (or a row owed by an older version, one event each) as it was
    written."""
    if row.kind == NoticeKind.approval_note:
        return await approval_note(client, row.payload[NOTICE], thread_ts=row.thread_ts), None
    if row.kind != CHANGES:
        text = notice_text(row.kind, row.payload)
        mention = row.payload.get("mention")
        return (must_act_text(text, str(mention)) if mention else text), None
    changes = ChangeSet.model_validate(row.payload["changes"])
    if isinstance(row.payload.get("order"), dict):
        view = OrderView.model_validate(row.payload["order"])
        name = order_label(view, site_name=await ctx.sites.site_of(ctx.orange.carrier.sites, view))
    else:
        name = changes.order_ref
    mention = row.payload.get("mention")
    return render_changes(changes, name, mention_user=str(mention) if mention else None)


async def _post(ctx: BotContext, client: AsyncWebClient, row: _Row, **message: Any) -> str:
    """`chat.postMessage` in the row's channel at Slack's pace (`ctx.pacer`); its ts. A 429 holds the channel for
    every lane of this process for its `Retry-After`, then goes up to the lane (the row waits as long)."""
    async with ctx.pacer.turn(row.team, row.channel):
        try:
            response = await client.chat_postMessage(channel=row.channel, **message)
        except SlackApiError as err:
            if (wait := retry_after(err)) is not None:
                ctx.pacer.hold(row.team, row.channel, wait)
            raise
    return str(response["ts"])


_TOP_LEVEL = frozenset({DIGEST_POST, REPORT_POST, BACKEND_DOWN, BACKEND_UP, NoticeKind.root_post})
"""Rows posted at the channel's top level (not in a thread): an uncertain one is looked up in the channel's history."""


async def _deliver(ctx: BotContext, client: AsyncWebClient, row: _Row) -> tuple[str | None, bool]:
    """Send one row; (its ts, whether it was found already posted)."""
    metadata = {"event_type": METADATA_EVENT, "event_payload": {"id": str(row.id)}}
    if row.kind in _TOP_LEVEL and row.uncertain:  # maybe posted already: looked up in the channel first
        found = await _channel_already_posted(client, row)
        if found is not None:
            return found, True

    async def top_level(text: str, blocks: list[Block] | None = None, **options: Any) -> tuple[str | None, bool]:
        ts = await _post(
            ctx,
            client,
            row,
            text=text,
            blocks=[b.to_dict() for b in blocks] if blocks is not None else None,
            unfurl_links=False,
            metadata=metadata,
            **options,
        )
        return ts, False

    if row.kind == ROOTS_SUMMARY:  # a rule's new watches, once their roots are posted: one message for them all
        if row.uncertain and (found := await _channel_already_posted(client, row)) is not None:
            return found, True
        summary = await roots_summary(ctx, client, row.channel, row.payload)
        return await top_level(fallback_text(summary), summary) if summary else (None, False)
    if row.kind == DIGEST_POST:
        blocks = await due_digest_blocks(ctx, client, DueDigest.model_validate(row.payload))
        return await top_level(fallback_text(blocks), blocks, unfurl_media=False)
    if row.kind == REPORT_POST:
        blocks = await due_report_blocks(ctx, DueReport.model_validate(row.payload))
        return await top_level(fallback_text(blocks), blocks, unfurl_media=False)
    if row.kind == REPORT_FILES:  # the week's chart and CSV, in the report's thread
        await send_due_files(ctx, client, DueReport.model_validate(row.payload), uncertain=row.uncertain)
        return None, False
    if row.kind in (BACKEND_DOWN, BACKEND_UP):  # a channel's own post: one per outage, not one per order
        return await top_level(notice_text(row.kind, row.payload), unfurl_media=False)
    if row.kind == NoticeKind.root_update:
        blocks = await _root_blocks(ctx, row)
        if row.thread_ts is None:
            return None, False
        await client.chat_update(
            channel=row.channel, ts=row.thread_ts, text=fallback_text(blocks), blocks=[b.to_dict() for b in blocks]
        )
        return row.thread_ts, False
    if row.kind == NoticeKind.approval_card:  # drawn from the approval's row: idempotent, like a root's edit
        await redraw(ctx, client, uuid.UUID(str(row.payload["approval"])))
        return None, False
    if row.kind == NoticeKind.root_post:  # a rule's new watch: its thread starts here
        blocks = await _root_blocks(ctx, row)
        return await top_level(fallback_text(blocks), blocks)
    if row.uncertain:
        found = await _already_posted(client, row)
        if found is not None:  # a broadcast reply is in the thread too: one post, found the same way
            return found, True
    text, reply_blocks = await _reply(ctx, client, row)
    ts = await _post(
        ctx,
        client,
        row,
        thread_ts=row.thread_ts,
        text=text,
        blocks=[b.to_dict() for b in reply_blocks] if reply_blocks is not None else None,
        reply_broadcast=row.broadcast,
        unfurl_links=False,
        unfurl_media=False,
        metadata=metadata,
    )
    return ts, False


def _pause_reason(error: str, needed: str | None) -> str:
    return f"cannot post: {error}" + (f" (needs {needed})" if needed else "")


async def _pause(
    ctx: BotContext, client: AsyncWebClient, row: _Row, watch_id: uuid.UUID, error: str, needed: str | None
) -> bool:
    reason = _pause_reason(error, needed)
    paused = await ctx.db(lambda s: crud.pause_watch(session=s, watch_id=watch_id, reason=reason))
    if not paused:
        return False
    scope = f"; the app needs the {needed} scope (add it in manifest.yml and reinstall)" if needed else ""
    log.error("watch %s of %s paused: Slack answered %s%s", row.watch_id, _reference(row), error, scope)
    label = await stored_label(ctx, watch_id)
    with speaking(await ctx.users.locale(client, row.created_by)):  # a DM: its reader's language, not the channel's
        text = paused_dm_text(
            _reference(row), row.channel, error, needed=needed, channel_problem=error in CHANNEL_ERRORS, label=label
        )
    await send_dm(client, row.created_by, text=text, about=f"about watch {row.watch_id}")
    return True


def _reference(row: _Row) -> str:
    if row.watch_id is None:
        return f"{row.kind} of {row.channel}"
    for key in ("changes", "event"):
        about = row.payload.get(key)
        if isinstance(about, dict) and about.get("order_ref"):
            return str(about["order_ref"])
    view = row.payload.get("view")
    if isinstance(view, dict) and view.get("reference"):
        return str(view["reference"])
    return str(row.watch_id)


@dataclass
class _Failure:
    error: str
    retry_in: timedelta | None
    """None: given up (dead)."""
    uncertain: bool | None = None
    done: bool = False
    """Nothing left to do after all (the root to edit is gone)."""


def _backoff(row: _Row) -> timedelta:
    return timedelta(seconds=min(2.0**row.attempts, MAX_BACKOFF))


async def _classify(ctx: BotContext, client: AsyncWebClient, row: _Row, err: Exception, stats: OutboxStats) -> _Failure:
    if not isinstance(err, SlackApiError):  # a timeout or a dropped connection: Slack may have the post
        return _Failure(f"{type(err).__name__}: {err}", _backoff(row), uncertain=row.kind != NoticeKind.root_update)
    status = getattr(err.response, "status_code", 200)
    error = str(err.response.get("error") or f"http {status}")
    if (wait := retry_after(err)) is not None:
        return _Failure(error, timedelta(seconds=wait))
    if status >= 500:
        return _Failure(error, _backoff(row), uncertain=row.kind != NoticeKind.root_update)
    if error in PAUSE_ERRORS:
        needed = err.response.get("needed")
        if row.watch_id is None:  # a channel's own post: no watch to pause, the row waits all the same
            scope = f"; the app needs the {needed} scope (add it in manifest.yml and reinstall)" if needed else ""
            log.error("the %s cannot be posted: Slack answered %s%s", _reference(row), error, scope)
        elif await _pause(ctx, client, row, row.watch_id, error, str(needed) if needed else None):
            stats.paused += 1
        return _Failure(error, PAUSED_RETRY)
    if row.kind == NoticeKind.root_update and error in ("message_not_found", "cant_update_message"):
        return _Failure(error, None, done=True)  # the root is gone: nothing to edit
    return _Failure(error, None)


async def _send_lane(
    ctx: BotContext, client: AsyncWebClient, take: Take, stats: OutboxStats, *, claim: timedelta
) -> None:
    """Post the lane's due rows in order, each under its own claim, until one fails or none is due."""
    token = uuid.uuid4().hex
    while True:
        now = ctx.now()
        row = await ctx.db(lambda s: take(s, token, claim, now))
        if row is None:
            return

        async def renew(r: _Row = row) -> bool:
            until = ctx.now() + claim
            return await ctx.db(
                lambda s: crud.renew_outbox_claim(session=s, message_id=r.id, token=r.token, until=until)
            )

        failure: _Failure | None = None
        ts: str | None = None
        recovered = False
        async with heartbeat(renew, every=claim.total_seconds() / 3, name=f"outbox row {row.id}"):
            try:
                ts, recovered = await _deliver(ctx, client, row)
            except (SlackApiError, TimeoutError, aiohttp.ClientError, OSError) as err:
                failure = await _classify(ctx, client, row, err, stats)
            except ValidationError as err:  # a payload this code cannot read: nothing would ever send it
                failure = _Failure(f"unreadable row: {err.error_count()} errors", None)
        if failure is None or failure.done:
            await _sent(ctx, row, ts, stats, recovered=recovered)
            continue
        await _failed(ctx, row, failure, stats)
        if failure.retry_in is not None:
            return  # the rows after it wait for it


async def _sent(ctx: BotContext, row: _Row, ts: str | None, stats: OutboxStats, *, recovered: bool) -> None:
    now = ctx.now()

    def work(session: Session) -> tuple[bool, bool]:
        mine = crud.mark_outbox_sent(session=session, message_id=row.id, token=row.token, slack_ts=ts, now=now)
        if row.watch_id is None:
            if mine and row.kind == REPORT_POST and ts is not None:  # its files follow, in its thread
                fingerprint, payload = files_row(DueReport.model_validate(row.payload), ts)
                crud.enqueue_channel_post(
                    session=session,
                    team_id=row.team,
                    channel_id=row.channel,
                    fingerprint=fingerprint,
                    kind=REPORT_FILES,
                    payload=payload,
                    now=now,
                )
            return mine, False
        if mine and row.kind == NoticeKind.root_post and ts is not None:
            crud.set_watch_root(session=session, watch_id=row.watch_id, thread_ts=ts)
        resumed = mine and row.paused and crud.resume_watch(session=session, watch_id=row.watch_id)
        return mine, resumed

    mine, resumed = await ctx.db(work)
    if not mine:
        log.error("outbox row %s was posted but its claim had been taken over", row.id)
        return
    stats.sent += 1
    stats.recovered += int(recovered)
    if resumed:
        stats.resumed += 1
        log.info("watch %s of %s resumed: Slack takes its posts again", row.watch_id, _reference(row))


async def _failed(ctx: BotContext, row: _Row, failure: _Failure, stats: OutboxStats) -> None:
    stats.errors.append(failure.error)
    retry_at = ctx.now() + failure.retry_in if failure.retry_in is not None else None
    if retry_at is None:
        log.error("outbox row %s (%s) given up: %s", row.id, row.kind, failure.error)
        stats.dead += 1
    else:
        log.info("outbox row %s (%s) retried at %s: %s", row.id, row.kind, retry_at, failure.error)
        stats.retried += 1

    def work(session: Session) -> None:
        crud.mark_outbox_failed(
            session=session,
            message_id=row.id,
            token=row.token,
            error=failure.error,
            retry_at=retry_at,
            dead=retry_at is None,
            uncertain=failure.uncertain,
        )
        if retry_at is not None:
            crud.defer_outbox(session=session, until=retry_at, **row.lane)

    await ctx.db(work)


async def send_outbox(
    ctx: BotContext,
    client: AsyncWebClient,
    *,
    limit: int = WATCH_LIMIT,
    concurrency: int = CONCURRENCY,
    retry_sending_after: timedelta = RETRY_SENDING_AFTER,
) -> OutboxStats:
    """One round: every lane (watch, or channel) with a row due posts its due rows in order; a channel's lanes one
    after the other (the longest waiting first), channels concurrently (`concurrency` of them at a time)."""
    stats = OutboxStats()
    now = ctx.now()
    lanes = await ctx.read(lambda s: crud.due_outbox_lanes(session=s, now=now, limit=limit))
    by_channel: dict[tuple[str, str], list[Take]] = {}
    for lane in lanes:
        take = _watch_lane(lane.watch_id) if lane.watch_id is not None else _channel_lane(lane.team_id, lane.channel_id)
        by_channel.setdefault((lane.team_id, lane.channel_id), []).append(take)
    semaphore = asyncio.Semaphore(concurrency)

    async def run(team_id: str, channel_id: str, takes: list[Take]) -> None:
        async with semaphore:
            # The channel's language, read once per channel and round: its replies, roots and digests speak it.
            lang = await ctx.read(lambda s: channel_language(s, team_id, channel_id))
            with speaking(lang):
                for take in takes:
                    await _send_lane(ctx, client, take, stats, claim=retry_sending_after)

    await asyncio.gather(*(run(team, channel, takes) for (team, channel), takes in by_channel.items()))
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
        total.add(stats)
        if stats.sent == 0:
            break
    return total
