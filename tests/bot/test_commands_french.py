"""The slash command speaks the reader's language: for a user whose Slack locale is French every answer, usage line,
error and refusal is French, while the command words, keys and `backend:id`
references stay as typed. End to end: signed requests into the running app, answers read from the fake Slack."""

from __future__ import annotations

import json

import pytest
from bot_harness import Harness
from test_trust import CHANNEL, stranger

from bot.commands import USAGE, CommandError, parse, usage
from bot.i18n import speaking

ENABLED = ["carrier", "wholesale", "business"]


async def ask_fr(h: Harness, text: str) -> str:
    """`/orange <text>` from Marie, whose Slack locale is French; the answer as she sees it."""
    if "U_MARIE" not in h.fake.users:
        h.fake.add_user("U_MARIE", "marie", locale="fr-FR")
    before = len(h.fake.response_posts())
    ack = await h.user.command(text, channel=CHANNEL, user="U_MARIE")
    assert ack.status == 200
    await h.fake.wait_for_responses(count=before + 1, timeout=10)
    return str(h.user.render(h.fake.response_posts()[-1].body))


async def test_an_unknown_command_is_refused_in_french_with_a_did_you_mean(harness: Harness) -> None:
    shown = await ask_fr(harness, "wach carrier:11")
    assert "Commande inconnue « wach ». Vouliez-vous dire `watch` ?" in shown
    assert "Utilisation : `/orange <commande> [arguments]`" in shown
    assert "suivre une commande" in shown  # the verbs' descriptions, read when help is shown
    assert "`/orange settings" in shown and "les réglages de ce canal" in shown  # every verb, however long in French
    assert "Unknown command" not in shown and "Usage:" not in shown


async def test_a_usage_error_is_french_and_the_grammar_stays_as_typed(harness: Harness) -> None:
    shown = await ask_fr(harness, "watch")
    assert "`watch` attend une référence de commande, p. ex. `watch carrier:11`." in shown
    assert "Utilisation : `/orange watch <ref> [errors]`  ou  `/orange watch product <ref>`" in shown
    assert "p. ex. `/orange watch carrier:11`" in shown


async def test_an_unknown_key_gets_a_french_did_you_mean(harness: Harness) -> None:
    shown = await ask_fr(harness, "orders carrier stat=pending")
    assert "Clé inconnue « stat= » pour `orders` ; clés permises : state=. Vouliez-vous dire `state=` ?" in shown
    assert "Utilisation : `/orange orders [backend] [state=…]` — les commandes avec leur état" in shown


async def test_a_watch_is_answered_in_french(harness: Harness) -> None:
    shown = await ask_fr(harness, "watch carrier:11")
    assert "Suivi de" in shown and "carrier:11" in shown
    assert "ici : chaque changement sera publié dans son fil (https://" in shown
    again = await ask_fr(harness, "unwatch carrier:11")
    assert "Fin du suivi de" in again and "dans ce canal." in again
    gone = await ask_fr(harness, "unwatch carrier:11")
    assert gone == "`carrier:11` n'est pas suivi dans ce canal."


async def test_a_request_from_another_organisation_is_refused_in_french(harness: Harness) -> None:
    async with stranger(harness) as mallory:
        with speaking("fr"):
            ack = await mallory.command("watches", channel=CHANNEL)
    assert ack.status == 200
    assert json.loads(ack.body) == {
        "response_type": "ephemeral",
        "text": "orange-bot n'agit que pour l'organisation qui l'a installé : les demandes de votre espace de travail "
        "ne sont pas acceptées ici, et rien n'a été modifié.",
    }


@pytest.mark.parametrize(
    ("text", "french"),
    [
        ("order carier:11", "Backend inconnu « carier » ; les backends sont carrier, wholesale, business."),
        ("carrier:11", "Commande inconnue « carrier:11 ». Vouliez-vous dire `order carrier:11` ?"),
        ('sites name="Abidjan', "Guillemet non fermé : le \" avant « Abidjan » n'est jamais refermé."),
        ("products wholesale stauts=ACTIVE", "Produits wholesale : impossible de filtrer par « stauts= »"),
        ("digest daily 25:00", "`digest daily` attend une heure, HH:MM"),
        ("site wholesale:1", "Un site n'existe que sur le backend carrier ; « wholesale:1 » est wholesale."),
    ],
)
def test_parse_errors_are_written_in_the_language_spoken(text: str, french: str) -> None:
    with speaking("fr"), pytest.raises(CommandError) as info:
        parse(text, default_backend="carrier", enabled=ENABLED)
    assert french in info.value.message


def test_usage_is_built_when_read_so_it_speaks_the_reader_language() -> None:
    with speaking("fr"):
        french = usage(None, enabled=["carrier"], default_backend="carrier")
        line = USAGE["site"]
    assert "Backends : carrier ; un id seul désigne carrier." in french
    assert "_(nécessite wholesale, non configuré)_" in french
    assert line == "`/orange site <id>` — un site carrier, p. ex. `/orange site 1265904`"
    assert USAGE["site"] == "`/orange site <id>` — one carrier site, e.g. `/orange site 1265904`"
