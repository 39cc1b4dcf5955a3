"""The verbs about this channel: what it follows (watch, unwatch, watches, subscribe, subscriptions, unsubscribe,
digest) and the approval it asks for (cancel).

Each parse function reads the `Args` after its verb and returns its command; ``@_verb(…)`` adds it to `CHANNEL_VERBS`
with its usage line, in the order help lists them.
"""

from __future__ import annotations

import re
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from bot.commands.filters import Filters
from bot.commands.references import Reference
from bot.commands.types import (
    Cancel,
    DigestDaily,
    DigestNow,
    DigestOff,
    Subscribe,
    Subscriptions,
    Unsubscribe,
    Unwatch,
    UnwatchProduct,
    Watches,
    WatchOrder,
    WatchProduct,
)
from bot.commands.verb import Args, Verbs, show
from bot.i18n import _
from integrations.orders import SOURCES

__all__ = ["CHANNEL_VERBS", "PRODUCT_BACKENDS"]

CHANNEL_VERBS = Verbs()
_verb = CHANNEL_VERBS.add
PRODUCT_BACKENDS = ("carrier", "wholesale")
"""Backends with a product inventory."""


@_verb(
    "watch",
    "watch <ref> [errors]  or  watch product <ref>",
    lambda: _("follow an order (errors: only errors and the end), or a product's status, in this channel"),
    "watch carrier:11",
)
def _watch(args: Args) -> WatchOrder | WatchProduct:
    args.no_pairs()
    word = args.need(_("an order reference"), "carrier:11")
    if word.lower() == "product":
        return WatchProduct(reference=_product_reference(args))
    errors_only = len(args.words) > 1 and args.words[1].lower() == "errors"
    if len(args.words) > 1 and not errors_only:
        raise args.fail(_("Unexpected '{word}'; the only option of `watch` is `errors`.", word=show(args.words[1])))
    args.at_most(2)
    return WatchOrder(reference=args.reference(word), errors_only=errors_only)


@_verb(
    "unwatch",
    "unwatch <ref>  or  unwatch product <ref>",
    lambda: _("stop following an order or a product"),
    "unwatch carrier:11",
)
def _unwatch(args: Args) -> Unwatch | UnwatchProduct:
    args.no_pairs()
    word = args.need(_("an order reference"), "carrier:11")
    if word.lower() == "product":
        return UnwatchProduct(reference=_product_reference(args))
    args.at_most(1)
    return Unwatch(reference=args.reference(word))


def _product_reference(args: Args) -> Reference:
    """`watch product <ref>`: an inventory product of a backend that has an inventory."""
    if len(args.words) < 2:
        raise args.fail(
            _("`{verb} product` needs a product reference, e.g. `{verb} product wholesale:<id>`.", verb=args.verb)
        )
    args.at_most(2)
    reference = args.reference(args.words[1])
    if reference.backend not in PRODUCT_BACKENDS:
        raise args.fail(
            _(
                "Only {first} and {second} have a product inventory to follow.",
                first=PRODUCT_BACKENDS[0],
                second=PRODUCT_BACKENDS[1],
            )
        )
    return reference


@_verb("watches", "watches", lambda: _("the orders followed in this channel"), "watches")
def _watches(args: Args) -> Watches:
    args.no_pairs()
    args.at_most(0)
    return Watches()


@_verb(
    "cancel",
    "cancel <ref> [reason]",
    lambda: _("ask for approval to cancel a wholesale order"),
    'cancel wholesale:de76cfa1-9a55-412f-a9ee-61ca2f662a63 "client changed his mind"',
)
def _cancel(args: Args) -> Cancel:
    word = args.need(_("a wholesale order reference"), "wholesale:de76cfa1-9a55-412f-a9ee-61ca2f662a63")
    reference = args.reference(word)
    if reference.backend != "wholesale":
        raise args.fail(
            _(
                "Only wholesale orders can be cancelled; {reference} is a {backend} order.",
                reference=show(str(reference), 60),
                backend=reference.backend,
            )
        )
    parts = [w for w in args.words[1:] if w]
    parts += [pair.value if pair.key == "reason" else f"{pair.raw_key}={pair.value}" for pair in args.pairs]
    reason = " ".join(p for p in parts if p) or None
    if reason is not None:
        reason = args.value(_("The reason"), reason)
    return Cancel(reference=reference, reason=reason)


@_verb(
    "subscribe",
    "subscribe <backend> [errors] [key=value…]",
    lambda: _(
        "watch here every order of a backend that matches the filters, as it appears (the backend's list filters)"
    ),
    "subscribe wholesale state=inProgress",
)
def _subscribe(args: Args) -> Subscribe:
    backend = args.backend(args.need(_("a backend"), "wholesale state=inProgress"), hint="")
    rest = [w.lower() for w in args.words[1:] if w]
    if rest not in ([], ["errors"]):
        raise args.fail(
            _("Unexpected '{word}'; the only word after the backend is `errors`.", word=show(args.words[1]))
        )
    errors_only = bool(rest)
    known = Filters(SOURCES[backend].filter_keys)
    filters: list[tuple[str, str]] = []
    for n, pair in enumerate(args.pairs):
        key = args.filter_key(pair.raw_key, known, what=_("{backend} orders", backend=backend))
        value = pair.value
        if n == len(args.pairs) - 1 and value.lower().endswith(" errors"):  # `state=held errors`
            value, errors_only = value[: -len(" errors")].rstrip(), True
        filters.append((key, args.value(f"`{key}=`", value)))
    return Subscribe(backend=backend, filters=tuple(filters), errors_only=errors_only)


@_verb(
    "subscriptions",
    "subscriptions",
    lambda: _("the rules this channel follows orders by, with their counts"),
    "subscriptions",
)
def _subscriptions(args: Args) -> Subscriptions:
    args.no_pairs()
    args.at_most(0)
    return Subscriptions()


@_verb("unsubscribe", "unsubscribe <n>", lambda: _("end rule n of this channel (its watches go on)"), "unsubscribe 1")
def _unsubscribe(args: Args) -> Unsubscribe:
    word = args.only_word(_("the rule's number (see `subscriptions`)"), "1")
    number = word.removeprefix("#")
    if not number.isdigit() or int(number) < 1:
        raise args.fail(
            _("`unsubscribe` takes a rule's number, as `subscriptions` lists them, not '{word}'.", word=show(word))
        )
    return Unsubscribe(number=int(number))


_HH_MM = re.compile(r"^([01]?\d|2[0-3]):([0-5]\d)$")


@_verb(
    "digest",
    "digest [backend]  or  digest daily HH:MM [tz]  or  digest off",
    lambda: _("open errors, late and stuck orders, old approvals: now, or every day here"),
    "digest daily 08:30 Europe/Paris",
)
def _digest(args: Args) -> DigestNow | DigestDaily | DigestOff:
    args.no_pairs()
    first = args.words[0].lower() if args.words else None
    if first == "off":
        args.at_most(1)
        return DigestOff()
    if first == "daily":
        args.at_most(3)
        if len(args.words) < 2 or not _HH_MM.match(args.words[1]):
            raise args.fail(_("`digest daily` needs a time of day, HH:MM, e.g. `digest daily 08:30 Europe/Paris`."))
        hours, minutes = args.words[1].split(":")
        tz = args.words[2] if len(args.words) > 2 else "UTC"
        try:
            ZoneInfo(tz)
        except (ZoneInfoNotFoundError, ValueError):
            raise args.fail(
                _("'{zone}' is not a time zone; use a name such as Europe/Paris or UTC.", zone=show(tz))
            ) from None
        return DigestDaily(at_time=f"{int(hours):02d}:{minutes}", tz=tz)
    args.at_most(1)
    backend = args.backend(args.words[0], hint="") if args.words else None
    return DigestNow(backend=backend)
