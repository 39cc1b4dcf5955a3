"""Who reads decides the language: a request is answered in its user's Slack locale (`users.info` with
`include_locale`, cached with the time zone), and the language reaches every task the request spawns. Through
signed requests and the Slack simulator."""

from __future__ import annotations

import asyncio
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from bot_harness import Harness
from test_notifier import ask

import bot.channel_settings
from bot.i18n import language


async def test_a_french_user_is_answered_in_french_an_english_user_in_english(harness: Harness) -> None:
    h = harness
    h.fake.add_user("U_MARIE", "marie", locale="fr-FR")
    french = await ask(h, "settings show", user="U_MARIE")
    assert "Réglages de ce canal" in french and "Langue" in french, french
    english = await ask(h, "settings show", user="U_ALICE")
    assert "Settings of this channel" in english and "Language" in english, english
    bad = await ask(h, "settings language=de", user="U_MARIE")
    assert "`language=` prend en | fr, pas « de »" in bad, bad  # the one line, in her language
    # users.info was asked for the locale, and once per user (cached with the time zone)
    calls = [c for c in h.fake.calls_to("users.info") if c.params.get("user") == "U_MARIE"]
    assert len(calls) == 1 and calls[0].params.get("include_locale") in ("1", "true", True)


async def test_the_simulator_gives_a_locale_only_when_asked_like_slack(harness: Harness) -> None:
    from test_notifier import slack

    h = harness
    h.fake.add_user("U_MARIE", "marie", locale="fr-FR")
    client = slack(h)
    assert "locale" not in (await client.users_info(user="U_MARIE"))["user"]
    assert (await client.users_info(user="U_MARIE", include_locale=True))["user"]["locale"] == "fr-FR"


async def test_the_language_reaches_every_task_the_request_spawns(harness: Harness, monkeypatch: Any) -> None:
    h = harness
    h.fake.add_user("U_MARIE", "marie", locale="fr-FR")
    seen: dict[str, str] = {}
    real = bot.channel_settings.current_settings

    async def spying(ctx: Any, where: Any) -> dict[str, str]:
        seen["listener"] = language()

        async def later() -> None:
            await asyncio.sleep(0)
            seen["create_task"] = language()

        await asyncio.create_task(later())
        with ThreadPoolExecutor(1) as pool:  # a plain pool does not copy the context: run_in_executor with a copy
            import contextvars

            seen["thread"] = await asyncio.get_running_loop().run_in_executor(
                pool, contextvars.copy_context().run, language
            )
        seen["db"] = await ctx.read(lambda s: language())  # BotContext's own threads
        return await real(ctx, where)

    monkeypatch.setattr(bot.channel_settings, "current_settings", spying)
    await ask(h, "settings show", user="U_MARIE")
    assert seen == {"listener": "fr", "create_task": "fr", "thread": "fr", "db": "fr"}


async def test_channel_posts_speak_the_channels_language_whoever_asks_or_clicks(harness: Harness) -> None:
    """A channel set to `fr`: Alice (English) asks for a cancellation, Bob (English) rejects it; the card, a channel
    post, is French when posted and when redrawn; Alice's own answer stays English."""
    from test_approvals import approvals_in_db, message, request_cancel, shown, wait_state

    from bot.blocks.approvals import ACTION_REJECT

    h = harness
    assert "`fr`" in await ask(h, "settings language=fr")
    approval = await request_cancel(h)  # its answer, "Asked for approval…", is Alice's: English
    card = shown(h, message(h, approval.message_ts))
    assert "Approuver" in card and "Refuser" in card and "Approve" not in card, card
    assert "Commande wholesale:" in card and "10 articles" in card and "Order " not in card, card  # its summary too
    await h.user.click(ACTION_REJECT, user="U_BOB")
    await wait_state(h, ["rejected"])
    ts = approvals_in_db(h)[-1].message_ts

    def redrawn() -> str | None:
        text = shown(h, message(h, ts))
        return text if "Refusée" in text else None

    decided = await h.fake.wait_for(redrawn, timeout=10)
    assert "Rejected" not in decided, decided
