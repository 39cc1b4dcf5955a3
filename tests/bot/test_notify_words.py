"""What the notifier writes, in French and English: a change set's reply, the notices, the digest, App Home and the
thread root; and their dates as Slack date tokens (each reader's zone), the fallback naming UTC."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any
from zoneinfo import ZoneInfo

from slack_sdk.models.blocks import Block

from bot.blocks.digests import DigestItem, DigestReport, digest_blocks
from bot.blocks.format import posted_date
from bot.blocks.home import ApprovalRow, home_view
from bot.blocks.outages import backend_down_text, backend_up_text
from bot.blocks.subscriptions import SubscriptionRow, roots_summary_blocks, subscription_card
from bot.blocks.watches import WatchRow, watch_root_blocks
from bot.i18n import speaking
from bot.notify.changes import change_set
from bot.notify.diff import Event, EventKind
from bot.notify.render import paused_dm_text, polling_failing_text, render_changes, unwatched_text
from integrations.states import OrderState
from integrations.views import OrderView

PARIS = ZoneInfo("Europe/Paris")
AT = datetime(2026, 12, 6, 14, 46, 5, tzinfo=UTC)
TOKEN = "<!date^1796568365^{date_short_pretty} {time}|"
"""`AT` as a Slack date token, up to its fallback."""


def text_of(blocks: list[Block] | list[dict[str, Any]]) -> str:
    return json.dumps([b if isinstance(b, dict) else b.to_dict() for b in blocks], ensure_ascii=False)


def _event(kind: EventKind, item: str | None, fingerprint: str, **extra: Any) -> Event:
    return Event(kind=kind, order_ref="wholesale:x", item_id=item, fingerprint=fingerprint, **extra)


def ten_items_cancelled_with_an_error() -> list[Event]:
    held, done = OrderState.in_progress, OrderState.cancelled
    return [
        _event(EventKind.order_state, None, "o", old=held, new=done),
        *(_event(EventKind.item_state, f"I{n}", f"i{n}", old=held, new=done) for n in range(9)),
        _event(EventKind.error_opened, "I9", "e", message="Rendez-vous à reprendre", reason="RDV"),
        _event(EventKind.jeopardy_alert, None, "j", message="Retard <fournisseur>"),
        _event(EventKind.final, None, "f", new=done),
    ]


def test_a_change_set_in_french() -> None:
    changes = change_set(ten_items_cancelled_with_an_error(), items_total=10)
    assert changes is not None
    with speaking("fr"):
        text, blocks = render_changes(changes, "ACME-LYON-0042 · Fibre", mention_user="U1")
    body = blocks[0].to_dict()["text"]["text"]
    assert body.split("\n") == [
        "<@U1> *État :* 🔧 En cours → 🚫 Annulé",
        "*Articles :* 9 sur 10 aussi",
        ":rotating_light: *Erreur ouverte* sur l'article I9 (RDV) : Rendez-vous à reprendre",
        ":warning: *Alerte de retard* sur la commande : Retard &lt;fournisseur&gt;",
        "🚫 *Commande : annulé* — le suivi s’arrête ici.",
    ]
    assert text == "<@U1> ACME-LYON-0042 · Fibre : 🚫 Annulé — fin du suivi (+4 de plus)"
    # English is the source, unchanged.
    text, blocks = render_changes(changes, "ACME-LYON-0042 · Fibre")
    assert text == "ACME-LYON-0042 · Fibre: 🚫 Cancelled — the watch ends (+4 more)"
    assert "*Items:* 9 of 10 too" in blocks[0].to_dict()["text"]["text"]


def test_a_milestone_on_many_items_in_french() -> None:
    events = [_event(EventKind.milestone_added, f"I{n}", f"m{n}", message="Raccordement réalisé") for n in range(5)] + [
        _event(EventKind.milestone_added, None, "mo", message="Raccordement réalisé")
    ]
    changes = change_set(events, items_total=5)
    assert changes is not None
    with speaking("fr"):
        _, blocks = render_changes(changes, "X")
    assert blocks[0].to_dict()["text"]["text"] == (
        ":round_pushpin: *Jalon* Raccordement réalisé _(la commande et 5 articles sur 5)_"
    )


def test_the_notices_and_the_dm_in_french() -> None:
    with speaking("fr"):
        assert polling_failing_text("wholesale:x", "HTTP <503>") == (
            ":warning: Je ne peux pas lire `wholesale:x` chez Orange pour le moment (HTTP &lt;503&gt;) ; "
            "je réessaie et vous préviendrai quand cela fonctionnera de nouveau."
        )
        assert unwatched_text("wholesale:x", by="U1") == "Le suivi de `wholesale:x` est arrêté (par <@U1>)."
        dm = paused_dm_text("wholesale:x", "C1", "not_in_channel", needed=None, channel_problem=True)
        assert dm.startswith("Je ne peux plus publier les mises à jour de votre suivi de `wholesale:x` dans <#C1>")
        assert dm.endswith("Invitez-moi de nouveau (ou désarchivez le canal) : je reprendrai là où je me suis arrêté.")
        down = backend_down_text("wholesale", reason="HTTP 503", since=AT, orders=2)
        assert down == (
            ":warning: Orange wholesale ne répond plus (HTTP 503) depuis "
            f"{TOKEN}6 déc. 2026 14:46 UTC> : les 2 commandes suivies ici attendent ; "
            "rien n’est perdu, chaque changement suivra."
        )
        assert backend_up_text("wholesale").startswith("✅ Orange wholesale répond de nouveau")
    assert backend_down_text("wholesale", reason="HTTP 503", since=AT, orders=1) == (
        f":warning: Orange wholesale is not answering (HTTP 503) since {TOKEN}Dec 6, 2026 14:46 UTC>: "
        "the order watched here waits; nothing is lost, every change will follow."
    )


def test_the_digest_in_french() -> None:
    item = DigestItem("wholesale:x", "Rendez-vous à reprendre", "https://slack.test/t", label="ACME-42")
    with speaking("fr"):
        late = DigestItem("wholesale:y", f"prévue le {posted_date(AT)}", None)
        report = DigestReport(watched=3, errors=[item], late=[late], stale_days=7)
        text = text_of(digest_blocks(report, title="Résumé"))
        empty = text_of(digest_blocks(DigestReport(watched=2), title="Résumé"))
    assert ":rotating_light: *Messages d’erreur ouverts* (1)" in text
    assert "ACME-42 · `wholesale:x` · Rendez-vous à reprendre · <https://slack.test/t|fil>" in text
    assert ":hourglass: *Date de fin prévue dépassée* (1)" in text
    assert f"`wholesale:y` · prévue le {TOKEN}6 déc. 2026 14:46 UTC>" in text
    assert "3 commandes suivies dans ce canal" in text
    assert "Rien ne demande votre attention parmi les 2 commandes suivies." in empty


def test_app_home_in_french_with_its_dates_as_tokens() -> None:
    watches = [WatchRow("wholesale:x", "🔧 In progress", "https://slack.test/t", True, "U1", label="ACME-42")]
    approvals = [ApprovalRow("a1", "quote_order", "U2", "Devis", "https://slack.test/a", AT, "carrier:Q1")]
    with speaking("fr"):
        text = text_of(home_view(watches, approvals, enabled_backends=["carrier"], tz=PARIS)["blocks"])
    assert "Commandes réseau Orange" in text and "*Vos suivis* (1)" in text and "*Approbations en attente* (1)" in text
    assert (
        "ACME-42 · `wholesale:x` · 🔧 In progress · erreurs seulement · par <@U1> · <https://slack.test/t|fil>" in text
    )
    assert (
        f"*Commander un devis* · Devis `carrier:Q1` · demandé par <@U2> · {TOKEN}6 déc. 2026 14:46 UTC> · "
        "<https://slack.test/a|ouvrir>"
    ) in text
    assert "CET" not in text and "15:46" not in text  # the reader's zone is the token's business
    english = text_of(home_view([], approvals, enabled_backends=["carrier"], tz=PARIS)["blocks"])
    assert f"asked by <@U2> · {TOKEN}Dec 6, 2026 14:46 UTC>" in english


def test_the_thread_root_in_french_with_its_dates_as_tokens() -> None:
    view = OrderView(
        backend="wholesale",
        id="x",
        reference="wholesale:x",
        state=OrderState.in_progress,
        expected_completion_date=AT,
    )
    with speaking("fr"):
        root = text_of(watch_root_blocks(view, errors_only=True, tz=PARIS))
        done = text_of(
            watch_root_blocks(
                view.model_copy(update={"state": OrderState.completed, "completion_date": AT}), errors_only=False
            )
        )
    assert f"*État :* 🔧 En cours · prévue le {TOKEN}6 déc. 2026 14:46 UTC>" in root
    assert "Seuls les messages d’erreur et l’état final sont publiés dans ce fil." in root
    assert '"text": "Arrêter le suivi"' in root
    assert ":checkered_flag: *Suivi terminé : wholesale:x*" in done and f"terminée le {TOKEN}6 déc. 2026" in done
    english = text_of(watch_root_blocks(view, errors_only=False, tz=PARIS))
    assert f"expected {TOKEN}Dec 6, 2026 14:46 UTC>" in english and "CET" not in english


def test_a_subscription_card_and_a_summary_in_french() -> None:
    row = SubscriptionRow(4, "wholesale", (("state", "inProgress"),), True, 3, 0, 0, 200, "U1", "s1", False)
    with speaking("fr"):
        card = text_of(subscription_card(row, choice=None))
        summary = text_of(roots_summary_blocks(4, [("ACME-42", None), ("ACME-43", None)]))
    assert (
        ":satellite_antenna: <@U1> a créé la règle *#4* ici : les commandes wholesale avec `state=inProgress` "
        "(messages d’erreur et états finaux seulement) sont suivies"
    ) in card
    assert "3 commandes correspondent déjà. Les suivre aussi (au plus 200 à la fois) ?" in card
    assert '"text": "Les suivre aussi"' in card
    assert ":eyes: La règle *#4* suit maintenant 2 commandes de plus, chacune dans son propre fil" in summary
