"""`watch`, `unwatch`, `watches`: channel subscriptions to an order.

A watch is stored first (the partial unique index makes it one live watch per channel and order, whatever
races), then its thread root is posted, then the root's ts and the order's baseline snapshot are stored. The
notifier (bot/jobs) polls from that baseline and posts each change in the thread.
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from slack_sdk.errors import SlackApiError
from slack_sdk.models.blocks import Block
from slack_sdk.web.async_client import AsyncWebClient
from sqlmodel import Session

from bot.blocks.format import escape, fallback_text, order_name, product_status_text, state_text
from bot.blocks.watches import (
    WatchRow,
    product_root_blocks,
    watch_exists_blocks,
    watch_root_blocks,
    watches_list_blocks,
)
from bot.commands import CommandError, Reference, Unwatch, UnwatchProduct, Watches, WatchOrder, WatchProduct
from bot.context import BotContext
from bot.history.keep import keep_first_read
from bot.i18n import _, speaking
from bot.notify.diff import ProductSnapshot, Snapshot, diff, product_diff
from bot.notify.render import unwatched_text
from bot.queries import fetch_product
from bot.slack import (
    CHANNEL_ERRORS,
    Invocation,
    Reply,
    Where,
    cannot_post_text,
    handles,
    permalink,
    render_error,
    reply,
)
from integrations import APIError
from integrations.views import OrderView, ProductView, order_label
from storage import crud
from storage.enums import AuditAction, WatchFilter, WatchKind
from storage.models import Watch

__all__ = [
    "audit_watch_created",
    "end_watch_and_update_root",
    "list_watches",
    "post_root",
    "resume",
    "start_product_watch",
    "start_watch",
    "stop_watch",
    "stored_label",
]

log = logging.getLogger("bot.watching")


async def post_root(client: AsyncWebClient, channel: str, blocks: Sequence[Block]) -> str:
    """Post a watch's thread root; returns its ts."""
    response = await client.chat_postMessage(
        channel=channel, text=fallback_text(blocks), blocks=[b.to_dict() for b in blocks], unfurl_links=False
    )
    return str(response["ts"])


@dataclass(frozen=True)
class _Target:
    """What a new watch follows: an order or a product, as just read, with its root and baseline snapshot."""

    kind: WatchKind
    view: OrderView | ProductView
    root: Callable[[], list[Block]]
    """The root's blocks, drawn in the channel's language (a channel post)."""
    baseline: dict[str, Any]
    words: str
    """Its state in words, for the reply."""
    label: str
    """The order as people know it (`order_label`), or the product's reference."""


async def _start(ctx: BotContext, client: AsyncWebClient, where: Where, target: _Target, *, errors_only: bool) -> Reply:
    """Store the watch (one live per channel and thing), post its root, then remember the root and the baseline."""
    command = ctx.settings.slack_command
    view = target.view

    def create(session: Session) -> tuple[Watch, bool]:
        return crud.create_watch(
            session=session,
            team_id=where.team_id,
            channel_id=where.channel_id,
            backend=view.backend,
            order_id=view.id,
            created_by=where.user_id,
            filter=WatchFilter.ERRORS if errors_only else WatchFilter.ALL,
            kind=target.kind,
        )

    watch, created = await ctx.db(create)
    if not created:
        link = await permalink(client, where.channel_id, watch.thread_ts)
        return reply(watch_exists_blocks(view.reference, link, label=target.label), shareable=False)

    with speaking(await ctx.channel_language(where.team_id, where.channel_id)):
        root = target.root()
    try:
        ts = await post_root(client, where.channel_id, root)
    except SlackApiError as err:
        error = str(err.response.get("error", ""))
        await ctx.db(lambda s: crud.end_watch(session=s, watch_id=watch.id, reason=f"could not post: {error}"))
        if error in CHANNEL_ERRORS:
            return Reply(text=cannot_post_text(error, command=command), shareable=False)
        log.warning("watch %s: posting the root failed: %s", view.reference, error)
        return Reply(
            text=_("Slack refused the message ({error}); try again in a moment.", error=error), shareable=False
        )

    now = ctx.now()

    def finish(session: Session) -> None:
        crud.set_watch_root(session=session, watch_id=watch.id, thread_ts=ts)
        crud.save_snapshot(session=session, watch_id=watch.id, view=target.baseline)
        if isinstance(view, OrderView):
            keep_first_read(session, team_id=where.team_id, view=view, now=now)
        audit_watch_created(session, watch, view, actor=where.user_id)

    await ctx.db(finish)
    link = await permalink(client, where.channel_id, ts)
    thread = _("<{link}|thread>", link=link) if link else _("thread")
    named = (
        f"`{view.reference}` ({target.words})"
        if target.label == view.reference
        else f"{escape(target.label)} (`{view.reference}`, {target.words})"
    )
    if errors_only:
        text = _(
            "Watching {order} here: error messages and the final state will be posted in its {thread}.",
            order=named,
            thread=thread,
        )
    else:
        text = _("Watching {order} here: every change will be posted in its {thread}.", order=named, thread=thread)
    return Reply(text=text, shareable=False)


async def stored_label(ctx: BotContext, watch_id: uuid.UUID) -> str | None:
    """The watched order as people know it, from its stored snapshot (None for a product watch or none stored)."""

    def load(session: Session) -> OrderView | None:
        watch = crud.get_watch(session=session, watch_id=watch_id)
        stored = crud.get_snapshot(session=session, watch_id=watch_id)
        if watch is None or watch.kind != WatchKind.ORDER or stored is None:
            return None
        return Snapshot.from_json(stored.view).view

    view = await ctx.read(load)
    return None if view is None else await ctx.sites.label(ctx.orange.carrier.sites, view)


async def start_watch(
    ctx: BotContext, client: AsyncWebClient, where: Where, reference: Reference, *, errors_only: bool
) -> Reply:
    try:
        view = await ctx.orange.orders(reference.backend).get(reference.id)
    except APIError as err:
        return render_error(err, verb="watch", command=ctx.settings.slack_command, enabled=ctx.enabled)
    site_name = await ctx.sites.site_of(ctx.orange.carrier.sites, view)
    target = _Target(
        kind=WatchKind.ORDER,
        view=view,
        label=order_label(view, site_name=site_name),
        root=lambda: watch_root_blocks(view, errors_only=errors_only, site_name=site_name),
        baseline=diff(None, view)[1].to_json(),  # the first poll compares with what the root message shows
        words=state_text(view.state),
    )
    return await _start(ctx, client, where, target, errors_only=errors_only)


async def start_product_watch(ctx: BotContext, client: AsyncWebClient, where: Where, reference: Reference) -> Reply:
    try:
        view = await fetch_product(ctx, reference.backend, reference.id)
    except (APIError, CommandError) as err:
        return render_error(err, verb="watch", command=ctx.settings.slack_command, enabled=ctx.enabled)
    target = _Target(
        kind=WatchKind.PRODUCT,
        view=view,
        label=view.reference,
        root=lambda: product_root_blocks(view),
        baseline=product_diff(None, view)[1].to_json(),
        words=product_status_text(view.status, view.status_raw),
    )
    return await _start(ctx, client, where, target, errors_only=False)


def audit_watch_created(
    session: Session, watch: Watch, view: OrderView | ProductView, *, actor: str, approval_id: uuid.UUID | None = None
) -> None:
    crud.record_audit(
        session=session,
        actor=actor,
        action=AuditAction.WATCH_CREATED,
        approval_id=approval_id,
        backend=view.backend,
        subject=view.reference,
        detail={
            "channel": watch.channel_id,
            "errors_only": watch.filter == WatchFilter.ERRORS,
            "watch_id": str(watch.id),
        },
    )


async def end_watch_and_update_root(
    ctx: BotContext, client: AsyncWebClient, watch: Watch, *, reason: str, by: str | None
) -> bool:
    """End `watch` once; the root message then says it is no longer watched. True for the call that ended it."""
    ended = await ctx.db(
        lambda s: crud.end_watch(session=s, watch_id=watch.id, reason=reason, actor=by or "orange-bot")
    )
    if not ended:
        return False
    if watch.thread_ts:
        text = unwatched_text(f"{watch.backend}:{watch.order_id}", by=by)
        try:
            await client.chat_update(
                channel=watch.channel_id,
                ts=watch.thread_ts,
                text=text,
                blocks=[{"type": "section", "text": {"type": "mrkdwn", "text": text}}],
            )
        except SlackApiError as err:
            log.info("could not update the root of %s: %s", watch.id, err.response.get("error"))
    return True


async def stop_watch(
    ctx: BotContext, client: AsyncWebClient, where: Where, reference: Reference, *, kind: WatchKind = WatchKind.ORDER
) -> Reply:
    watch = await ctx.read(
        lambda s: crud.get_live_watch(
            session=s,
            team_id=where.team_id,
            channel_id=where.channel_id,
            backend=reference.backend,
            order_id=reference.id,
            kind=kind,
        )
    )
    if watch is None:
        return Reply(text=_("`{reference}` is not watched in this channel.", reference=reference), shareable=False)
    label = await stored_label(ctx, watch.id)
    await end_watch_and_update_root(ctx, client, watch, reason=f"unwatched by {where.user_id}", by=where.user_id)
    return Reply(
        text=_("Stopped watching {order} in this channel.", order=order_name(label, str(reference))), shareable=False
    )


async def watch_rows(ctx: BotContext, client: AsyncWebClient, watches: list[Watch]) -> list[WatchRow]:
    """The watches as lists show them: state and label from the stored snapshots (nothing asked of Orange but the
    names of their carrier sites, each once)."""
    kinds = {w.id: w.kind for w in watches}

    def read(watch_id: uuid.UUID, stored: dict[str, Any]) -> tuple[str, OrderView | None]:
        if kinds[watch_id] == WatchKind.PRODUCT:
            product = ProductSnapshot.from_json(stored).product
            return product_status_text(product.status, product.status_raw), None
        view = Snapshot.from_json(stored).view
        return state_text(view.state), view

    def load(session: Session) -> dict[uuid.UUID, tuple[str, OrderView | None]]:
        found = crud.load_snapshots(session=session, watch_ids=[w.id for w in watches])
        return {watch_id: read(watch_id, stored) for watch_id, stored in found.items()}

    stored = await ctx.read(load)  # one query for the whole list
    views = {watch_id: view for watch_id, (_, view) in stored.items() if view is not None}
    labels = dict(zip(views, await ctx.sites.labels(ctx.orange.carrier.sites, list(views.values())), strict=True))
    rows: list[WatchRow] = []
    for watch in watches:
        state = stored[watch.id][0] if watch.id in stored else _("state unknown yet")
        rows.append(
            WatchRow(
                reference=f"{watch.backend}:{watch.order_id}",
                state_text=state,
                permalink=await permalink(client, watch.channel_id, watch.thread_ts),
                errors_only=watch.filter == WatchFilter.ERRORS,
                created_by=watch.created_by,
                product=watch.kind == WatchKind.PRODUCT,
                paused_reason=watch.paused_reason if watch.paused_at is not None else None,
                watch_id=str(watch.id),
                label=labels.get(watch.id),
            )
        )
    return rows


async def list_watches(ctx: BotContext, client: AsyncWebClient, where: Where) -> Reply:
    watches = await ctx.read(
        lambda s: crud.list_live_watches(session=s, team_id=where.team_id, channel_id=where.channel_id)
    )
    rows = await watch_rows(ctx, client, watches)
    return reply(watches_list_blocks(rows, command=ctx.settings.slack_command), shareable=False)


@handles(WatchOrder)
async def _watch(inv: Invocation, cmd: WatchOrder) -> Reply:
    return await start_watch(inv.ctx, inv.client, inv.where, cmd.reference, errors_only=cmd.errors_only)


@handles(Unwatch)
async def _unwatch(inv: Invocation, cmd: Unwatch) -> Reply:
    return await stop_watch(inv.ctx, inv.client, inv.where, cmd.reference)


@handles(WatchProduct)
async def _watch_product(inv: Invocation, cmd: WatchProduct) -> Reply:
    return await start_product_watch(inv.ctx, inv.client, inv.where, cmd.reference)


@handles(UnwatchProduct)
async def _unwatch_product(inv: Invocation, cmd: UnwatchProduct) -> Reply:
    return await stop_watch(inv.ctx, inv.client, inv.where, cmd.reference, kind=WatchKind.PRODUCT)


async def resume(ctx: BotContext, where: Where, watch_id: uuid.UUID) -> str:
    """The Resume button of a paused watch: its owed posts go out now, in order (the outbox finds out whether
    Slack takes them: if the cause is still there, the watch pauses again)."""

    def work(session: Session) -> Watch | None:
        watch = crud.get_watch(session=session, watch_id=watch_id)
        if watch is None or watch.channel_id != where.channel_id or watch.ended_at is not None:
            return None
        if watch.paused_at is not None:
            crud.resume_channel(session=session, team_id=watch.team_id, channel_id=watch.channel_id)
        return watch

    watch = await ctx.db(work)
    if watch is None:
        return _("That watch is no longer here.")
    return _(
        "Resumed `{reference}`: what was owed is posted in its thread, in order.",
        reference=f"{watch.backend}:{watch.order_id}",
    )


@handles(Watches)
async def _watches(inv: Invocation, cmd: Watches) -> Reply:
    return await list_watches(inv.ctx, inv.client, inv.where)
