"""`subscribe`, `subscriptions`, `unsubscribe`: channel rules that watch every matching order as it appears.

A rule is the backend's own list filters (checked against what the backend documents). When it is made, the orders
matching already are remembered as left out; the channel chooses whether to watch them too. Then every scan (each
poll interval, `scan_due`) and every `ProductOrderCreateEvent` from Orange's hub (`on_new_order`) watches the
matching orders the rule has not dealt with yet, each once: `crud.take_order` decides between replicas and repeated
events, and an order watched by hand in the channel stays one thread (`uq_watch_live`). A rule has at most
`SUBSCRIPTION_WATCH_LIMIT` live watches; when full, the channel is told once, and the rest waits for room. New
watches' thread roots go through the outbox, spaced `ROOT_SPACING` apart, so a rule never floods a channel.

Several orders watched at once (a backfill, "Watch these too", or a scan finding several new orders) are also one
summary in the channel, `ROOTS_SUMMARY`: each new watch is listed, in the transaction that makes it, in its rule's
summary row still waiting (`crud.owe_in_roots_summary`), which the outbox sends once every root it lists is posted
or given up, rendered then (`roots_summary`: each order's label linking to its thread). A summary listing one order
posts nothing: its root says it all. The roots say nothing more until their order changes.
"""

from __future__ import annotations

import logging
import re
import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from slack_sdk.errors import SlackApiError
from slack_sdk.models.blocks import Block
from slack_sdk.web.async_client import AsyncWebClient
from sqlmodel import Session

from bot.backend_health import health_of, is_outage
from bot.blocks.format import fallback_text
from bot.blocks.subscriptions import (
    SubscriptionRow,
    cap_reached_text,
    roots_summary_blocks,
    rule_too_wide_text,
    rules_full_text,
    subscription_card,
    subscriptions_list_blocks,
)
from bot.commands import Subscribe, Subscriptions, Unsubscribe
from bot.context import BotContext
from bot.history.keep import keep_first_read
from bot.i18n import _, speaking
from bot.notify.diff import NoticeKind, Snapshot, diff
from bot.sites import first_site_id
from bot.slack import CHANNEL_ERRORS, Invocation, Reply, cannot_post_text, handles, permalink, reply
from bot.watching import audit_watch_created
from integrations import APIError
from integrations.filters import filter_of, matches, values_at
from integrations.views import OrderView, order_label
from storage import crud
from storage.columns import utcnow
from storage.crud.outbox import AFTER_ROOTS, ROOT
from storage.enums import WatchFilter
from storage.models import Subscription

__all__ = [
    "LOCAL_KEYS",
    "ROOTS_SUMMARY",
    "ROOT_SPACING",
    "SCAN_MAX",
    "NewOrder",
    "ScanStats",
    "choose_existing",
    "end_rule",
    "on_new_order",
    "roots_summary",
    "row_of",
    "rule_matches",
    "scan",
    "scan_due",
]

log = logging.getLogger("bot.subscriptions")

SCAN_MAX = 2000
"""Orders a rule may match at once (every scan lists them all); a wider rule is refused: narrow it."""
ROOTS_SUMMARY = "roots_summary"
"""The outbox kind of a rule's summary of the orders it started watching at once (a channel's post of its own)."""
ROOT_SPACING = timedelta(seconds=1.1)
"""Between two new thread roots of one scan: Slack takes about one message a second in a channel."""
SCAN_LEASE = timedelta(minutes=5)


@dataclass
class ScanStats:
    watched: int = 0
    waiting: int = 0
    """Matching orders left for later: the rule is at its cap."""


@dataclass
class _Matches:
    views: list[OrderView]
    """The orders matching a rule now, at most `SCAN_MAX`."""
    more: bool
    """Whether more match."""
    total: int | None
    """How many match, as the first page's `X-Total-Count` said (None: not said)."""


async def _matches(ctx: BotContext, backend: str, filters: Mapping[str, str], *, total_decides: bool) -> _Matches:
    """The orders matching a rule now. `total_decides`: a first page whose `X-Total-Count` is over `SCAN_MAX` ends
    the walk there (a rule too wide costs one request); a backend that sends no total is walked up to `SCAN_MAX` + 1
    orders, whatever `total_decides`."""
    views: list[OrderView] = []
    total: int | None = None
    listing = ctx.orange.orders(backend).list(filters=filters, max_items=SCAN_MAX + 1)
    first = True
    async for page in listing.pages():
        if first:
            first, total = False, page.total
            if total_decides and total is not None and total > SCAN_MAX:
                return _Matches([], True, total)
        views.extend(page.items)
    return _Matches(views[:SCAN_MAX], len(views) > SCAN_MAX, total)


async def _matching(ctx: BotContext, backend: str, filters: Mapping[str, str]) -> tuple[list[OrderView], bool]:
    """The orders matching the rule now (at most `SCAN_MAX`), and whether there are more."""
    found = await _matches(ctx, backend, filters, total_decides=False)
    return found.views, found.more


async def row_of(ctx: BotContext, subscription: Subscription, *, matching: int | None) -> SubscriptionRow:
    def counts(session: Session) -> tuple[int, int]:
        watched = crud.watched_counts(session=session, subscription_ids=[subscription.id]).get(subscription.id, 0)
        return watched, crud.count_live_watches(session=session, subscription_id=subscription.id)

    watched, live = await ctx.read(counts)
    return SubscriptionRow(
        number=subscription.number,
        backend=subscription.backend,
        filters=tuple(subscription.filters.items()),
        errors_only=subscription.errors_only,
        matching=matching,
        watched=watched,
        live=live,
        cap=subscription.cap,
        created_by=subscription.created_by,
        subscription_id=str(subscription.id),
        include_existing=subscription.include_existing,
    )


@handles(Subscribe)
async def _subscribe(inv: Invocation, cmd: Subscribe) -> Reply:
    ctx, where = inv.ctx, inv.where
    most = ctx.settings.subscription_rules_per_channel
    full = Reply(text=rules_full_text(most, command=ctx.settings.slack_command), shareable=False)

    def live_rules(session: Session, *, lock: bool = False) -> int:
        return crud.count_live_subscriptions(
            session=session, team_id=where.team_id, channel_id=where.channel_id, lock=lock
        )

    if await ctx.db(live_rules) >= most:  # before asking Orange anything
        return full
    filters = dict(cmd.filters)
    found = await _matches(ctx, cmd.backend, filters, total_decides=True)
    if found.more:
        return Reply(text=rule_too_wide_text(cmd.backend, matching=found.total, limit=SCAN_MAX), shareable=False)
    matching = found.views
    cap = ctx.settings.subscription_watch_limit

    def create(session: Session) -> Subscription | None:
        if live_rules(session, lock=True) >= most:  # another rule was made here meanwhile
            return None
        subscription = crud.create_subscription(
            session=session,
            team_id=where.team_id,
            channel_id=where.channel_id,
            backend=cmd.backend,
            filters=filters,
            errors_only=cmd.errors_only,
            cap=cap,
            created_by=where.user_id,
        )
        crud.leave_out(session=session, subscription_id=subscription.id, order_ids=[v.id for v in matching])
        return subscription

    subscription = await ctx.db(create)
    if subscription is None:
        return full
    row = await row_of(ctx, subscription, matching=len(matching))
    with speaking(await ctx.channel_language(where.team_id, where.channel_id)):  # a channel post
        blocks = subscription_card(row, choice=None)
    try:
        await inv.client.chat_postMessage(
            channel=where.channel_id, text=fallback_text(blocks), blocks=[b.to_dict() for b in blocks]
        )
    except SlackApiError as err:
        error = str(err.response.get("error", ""))
        await end_rule(ctx, subscription, reason=f"could not post: {error}", actor=where.user_id)
        if error in CHANNEL_ERRORS:
            return Reply(text=cannot_post_text(error, command=ctx.settings.slack_command), shareable=False)
        return Reply(
            text=_("Slack refused the message ({error}); try again in a moment.", error=error), shareable=False
        )
    return Reply(
        text=_(
            "Rule #{number} is on: matching {backend} orders are watched here as they appear.",
            number=subscription.number,
            backend=cmd.backend,
        ),
        shareable=False,
    )


@handles(Subscriptions)
async def _subscriptions(inv: Invocation, cmd: Subscriptions) -> Reply:
    ctx, where = inv.ctx, inv.where
    rules = await ctx.read(
        lambda s: crud.list_live_subscriptions(session=s, team_id=where.team_id, channel_id=where.channel_id)
    )
    rows: list[SubscriptionRow] = []
    for rule in rules:
        try:
            first = await ctx.orange.orders(rule.backend).list(filters=rule.filters, limit=1)
            matching = first.total
        except APIError as err:
            log.info("counting the orders of rule %s failed: %s", rule.number, err)
            matching = None
        rows.append(await row_of(ctx, rule, matching=matching))
    return reply(subscriptions_list_blocks(rows, command=ctx.settings.slack_command), shareable=False)


@handles(Unsubscribe)
async def _unsubscribe(inv: Invocation, cmd: Unsubscribe) -> Reply:
    ctx, where = inv.ctx, inv.where
    rule = await ctx.read(
        lambda s: crud.get_live_subscription(
            session=s, team_id=where.team_id, channel_id=where.channel_id, number=cmd.number
        )
    )
    if rule is None:
        return Reply(
            text=_("This channel has no rule #{number} (see `subscriptions`).", number=cmd.number), shareable=False
        )
    return await end_rule(ctx, rule, reason=f"unsubscribed by {where.user_id}", actor=where.user_id)


async def end_rule(ctx: BotContext, rule: Subscription, *, reason: str, actor: str) -> Reply:
    """End a rule (its watches go on, each until its order ends or someone unwatches it)."""
    ended = await ctx.db(
        lambda s: crud.end_subscription(session=s, subscription_id=rule.id, reason=reason, actor=actor)
    )
    if not ended:
        return Reply(text=_("Rule #{number} had already ended.", number=rule.number), shareable=False)
    return Reply(
        text=_("Rule #{number} ended; the orders it watches stay watched.", number=rule.number), shareable=False
    )


async def choose_existing(ctx: BotContext, client: AsyncWebClient, subscription_id: uuid.UUID) -> Subscription | None:
    """ "Watch these too": the rule takes the orders that matched already (once), and scans at once."""
    if not await ctx.db(lambda s: crud.include_existing(session=s, subscription_id=subscription_id)):
        return None
    rule = await ctx.read(lambda s: crud.get_subscription(session=s, subscription_id=subscription_id))
    if rule is not None:
        await scan(ctx, client, rule)
    return rule


# --- watching what a rule matches ---------------------------------------------------------------


async def _watch_for(
    ctx: BotContext,
    rule: Subscription,
    order_id: str,
    *,
    existing: bool,
    root_at: datetime,
    view: OrderView | None = None,
) -> bool:
    """Watch one order for `rule` unless someone did already; True when this call watched it. `view`: the order as
    read just now (a create event's one read, shared by every rule); without it the order is read here."""
    if view is None:
        view = await ctx.orange.orders(rule.backend).get(order_id)  # fresh: a list entry or an event is only a hint

    now = ctx.now()

    def work(session: Session) -> bool:
        crud.lock_subscription(session=session, subscription_id=rule.id)  # its summary is owed one watch at a time
        if not crud.take_order(session=session, subscription_id=rule.id, order_id=view.id, existing=existing):
            return False
        filter_ = WatchFilter.ERRORS if rule.errors_only else WatchFilter.ALL
        watch, created = crud.create_watch(
            session=session,
            team_id=rule.team_id,
            channel_id=rule.channel_id,
            backend=view.backend,
            order_id=view.id,
            created_by=rule.created_by,
            filter=filter_,
            subscription_id=rule.id,
        )
        if created:  # watched by hand here already: that thread is the one
            keep_first_read(session, team_id=rule.team_id, view=view, now=now)
            crud.save_snapshot(session=session, watch_id=watch.id, view=diff(None, view)[1].to_json())
            crud.enqueue_outbox(
                session=session,
                watch_id=watch.id,
                fingerprint=ROOT,
                kind=NoticeKind.root_post,
                payload={"view": view.model_dump(mode="json"), "errors_only": rule.errors_only, "seq": 0},
                not_before=root_at,
                now=now,
            )
            crud.owe_in_roots_summary(
                session=session,
                team_id=rule.team_id,
                channel_id=rule.channel_id,
                kind=ROOTS_SUMMARY,
                batch=f"{ROOTS_SUMMARY}:{rule.id}:",
                watch_id=watch.id,
                payload={"rule": rule.number},
                not_before=root_at,
                now=now,
            )
            audit_watch_created(session, watch, view, actor=f"subscription {rule.number}")
        return created

    return await ctx.db(work)


async def scan(ctx: BotContext, client: AsyncWebClient, rule: Subscription) -> ScanStats:
    """Watch the orders matching `rule` that it has not dealt with yet, up to its cap."""
    stats = ScanStats()
    matching, more = await _matching(ctx, rule.backend, rule.filters)
    if more:
        log.warning("rule %s of %s matches over %d orders; scanning the first", rule.number, rule.channel_id, SCAN_MAX)
    seen, live = await ctx.read(
        lambda s: (
            crud.seen_orders(session=s, subscription_id=rule.id),
            crud.count_live_watches(session=s, subscription_id=rule.id),
        )
    )
    todo = [(v.id, False) for v in matching if v.id not in seen and not v.is_final]
    if rule.include_existing:
        todo += [(v.id, True) for v in matching if seen.get(v.id) is False and not v.is_final]
    room = max(0, rule.cap - live)
    now = ctx.now()
    for order_id, existing in todo:
        if stats.watched >= room:
            stats.waiting += 1
            continue
        try:
            if await _watch_for(ctx, rule, order_id, existing=existing, root_at=now + stats.watched * ROOT_SPACING):
                stats.watched += 1
        except APIError as err:  # this one is tried again at the next scan
            log.info("rule %s: %s could not be read: %s", rule.number, order_id, err)
    await _note_cap(ctx, client, rule, waiting=stats.waiting)
    return stats


async def roots_summary(ctx: BotContext, client: AsyncWebClient, channel: str, payload: dict[str, Any]) -> list[Block]:
    """A rule's summary row rendered as it is sent: the label of each order it lists, linking to the order's thread
    (one `chat.getPermalink`, the other links made from it); no block when it lists fewer than two orders."""
    ids = [uuid.UUID(str(w)) for w in payload.get(AFTER_ROOTS) or []]
    if len(ids) < 2:
        return []
    watches, stored = await ctx.read(
        lambda s: (crud.get_watches(session=s, watch_ids=ids), crud.load_snapshots(session=s, watch_ids=ids))
    )
    listed = [watches[i] for i in ids if i in watches]
    if len(listed) < 2:
        return []
    views = {w.id: Snapshot.from_json(stored[w.id]).view for w in listed if w.id in stored}
    sites = {w: site for w, v in views.items() if (site := first_site_id(v)) is not None}
    names = await ctx.sites.names(ctx.orange.carrier.sites, sites.values()) if sites else {}
    links = await _thread_links(client, channel, [w.thread_ts for w in listed if w.thread_ts])
    orders = [
        (
            order_label(views[w.id], site_name=names.get(sites.get(w.id, "")))
            if w.id in views
            else f"{w.backend}:{w.order_id}",
            links.get(w.thread_ts or ""),
        )
        for w in listed
    ]
    return roots_summary_blocks(int(payload.get("rule") or 0), orders)


_MESSAGE_LINK = re.compile(r"^(https://[^?#]+/archives/[^/?#]+/)p\d+$")


async def _thread_links(client: AsyncWebClient, channel: str, stamps: list[str]) -> dict[str, str]:
    """The permalink of each root: Slack's for the first one it answers, the others in its form (a root's link is
    its channel's archive path and `p` + its ts without the dot), so 40 roots cost one call, not 40."""
    for i, ts in enumerate(stamps):
        first = await permalink(client, channel, ts)
        if first is None:
            continue  # that root was deleted: try the next
        match = _MESSAGE_LINK.match(first)
        if match is None:  # not the form known: ask Slack for each
            links = {ts: first}
            for other in stamps[i + 1 :]:
                if (found := await permalink(client, channel, other)) is not None:
                    links[other] = found
            return links
        return {t: f"{match.group(1)}p{t.replace('.', '')}" for t in stamps[i:]}
    return {}


async def _note_cap(ctx: BotContext, client: AsyncWebClient, rule: Subscription, *, waiting: int) -> None:
    """Tell the channel once that the rule is full; forget it once there is room again."""
    reached = waiting > 0
    if not await ctx.db(lambda s: crud.note_cap(session=s, subscription_id=rule.id, reached=reached)) or not reached:
        return
    try:
        await client.chat_postMessage(channel=rule.channel_id, text=cap_reached_text(rule.number, rule.cap, waiting))
    except SlackApiError as err:
        log.warning(
            "could not tell %s that rule %s is full: %s", rule.channel_id, rule.number, err.response.get("error")
        )


async def scan_due(ctx: BotContext, client: AsyncWebClient, *, owner: str) -> ScanStats:
    """The subscriptions job: every rule whose scan is due, leased so replicas scan each once per interval."""
    total = ScanStats()
    rules = await ctx.db(lambda s: crud.claim_due_subscriptions(session=s, owner=owner, lease=SCAN_LEASE))
    interval = timedelta(seconds=ctx.settings.poll_interval_seconds)
    health = health_of(ctx.orange)
    down: set[str] = set()  # an outage found by this run's scans: the backend's other rules wait too
    for rule in rules:
        try:
            if rule.backend in down or health.is_down(rule.backend):  # the poll probes it; nothing is lost
                log.debug("rule %s waits: %s is down", rule.number, rule.backend)
                continue
            stats = await scan(ctx, client, rule)
            total.watched += stats.watched
            total.waiting += stats.waiting
        except APIError as err:
            if is_outage(err):
                down.add(rule.backend)
            log.info("scanning rule %s failed: %s; trying at the next interval", rule.number, err)
        finally:
            done = utcnow()
            await ctx.db(
                lambda s, r=rule, d=done: crud.release_subscription(  # type: ignore[misc]
                    session=s, subscription_id=r.id, owner=owner, next_scan_at=d + interval, now=d
                )
            )
    return total


# --- a new order Orange's hub announced ---------------------------------------------------------


@dataclass
class NewOrder:
    """What a `ProductOrderCreateEvent` led to."""

    matched: int = 0
    """Rules the order matches."""
    watched: int = 0
    """Watches made (a rule at its cap, or an order its channel watches already, makes none)."""


async def on_new_order(ctx: BotContext, client: AsyncWebClient, backend: str, order_id: str) -> NewOrder:
    """Orange says an order was created: every rule of that backend it matches watches it now.

    The order is read once (one list request by id, whatever the number of rules: it answers the whole order, which
    is also the new watch's first view), and each rule is decided from that answer the way the backend's list
    decides its filters (`rule_matches`). A rule whose filters cannot be decided here is left to its scan.
    """
    source = ctx.orange.orders(backend)
    if not source.lists_by_id or health_of(ctx.orange).is_down(backend):
        return NewOrder()  # the rule's scan finds it (a down backend: once it is back)
    rules = await ctx.read(lambda s: crud.list_live_subscriptions(session=s, backend=backend))
    if not rules:
        return NewOrder()
    try:
        page = await source.entries(ids=[order_id], limit=1)
    except APIError as err:
        log.info("new order %s could not be read: %s; the rules' scans check it", order_id, err)
        return NewOrder()
    entry = next((e for e in page.items if e.id == order_id), None)
    if entry is None:  # not listed (yet): the scan finds it when it is
        return NewOrder()
    view = source.view(entry)
    if view.is_final:
        return NewOrder()
    done = NewOrder()
    for rule in rules:
        decided = rule_matches(entry.raw, rule.filters)
        if decided is None:
            log.info("rule %s: its filters are not decided from an event; its scan checks %s", rule.number, order_id)
            continue
        if not decided:
            continue
        done.matched += 1
        live = await ctx.read(lambda s, r=rule: crud.count_live_watches(session=s, subscription_id=r.id))  # type: ignore[misc]
        if live >= rule.cap:
            await _note_cap(ctx, client, rule, waiting=1)
            continue
        done.watched += await _watch_for(ctx, rule, order_id, existing=False, root_at=ctx.now(), view=view)
    return done


# TMF list filters as Orange's list decides them, for the keys a rule may hold (`filter_keys`): `key.op=a,b` (op
# eq, ne, gt, gte, lt, lte; none is eq) passes when a value found at the dotted path (descending into lists; an
# object compares by its `id`) matches any of a, b (`ne`: none of the values equals any); text compares without case,
# ISO dates as instants (a bare day equals any time of that day), numbers as numbers, `null` matches an absent value.

LOCAL_KEYS = frozenset(
    {
        "description",
        "state",
        "productOrderSpecification",
        "orderDate",
        "orderDate.gt",
        "orderDate.gte",
        "orderDate.lt",
        "orderDate.lte",
        "orderDate.ne",
        "agreement.id",
        "productOrderItem.id",
        "productOrderItem.product.productOffering.id",
        "externalIdentifier.id",
    }
)
"""The rule keys `rule_matches` decides (every wholesale list filter): each names attributes of the order itself."""


def rule_matches(order: Mapping[str, Any], filters: Mapping[str, str]) -> bool | None:
    """Whether an order (its JSON as the list answers it) passes every filter of a rule, decided the way Orange's list
    decides them (`integrations.filters`); None when a key is not one decided here (`LOCAL_KEYS`)."""
    if any(key not in LOCAL_KEYS for key in filters):
        return None
    return matches(order, [filter_of(key, raw) for key, raw in filters.items()], _order_values)


def _order_values(order: Any, path: str) -> list[Any]:
    found = values_at(order, path)
    if path == "productOrderSpecification":  # Orange's examples also spell it `productorderSpecification`
        found += values_at(order, "productorderSpecification")
    return found
