"""Approvals and the quote form in French: the card in each state, the answers and the modal, posted to the Slack
simulator (which refuses what Slack would) while `speaking("fr")`."""

from __future__ import annotations

import uuid
from decimal import Decimal

from bot_harness import START, Harness
from sqlmodel import Session, col, select

from bot import approvals
from bot.approvals.cards import card_blocks, decided_text
from bot.approvals.decisions import Click, handle_click
from bot.approvals.quote_modal import QuoteForm, checking, parse_form
from bot.blocks.approvals import ApprovalCard, approval_decided_blocks, approval_request_blocks
from bot.blocks.quote_form import form_view
from bot.i18n import money, number, speaking
from bot.simulator.limits import MAX_OPTION_TEXT, MAX_VIEW_BUTTON, MAX_VIEW_TITLE, validate_blocks, validate_view
from bot.slack import Where
from integrations.views import PriceView
from storage import crud
from storage.enums import ApprovalState
from storage.models import Approval

ORDER = "de76cfa1-9a55-412f-a9ee-61ca2f662a63"
CHANNEL = "C_GENERAL"

CARD = ApprovalCard(
    approval_id="apr-1",
    kind="quote_order",
    requester_id="U123",
    summary=["Quote carrier:6"],
    one_off=[PriceView(name="installation", kind="one_off", amount=Decimal(3000), currency="EUR")],
    recurring=[PriceView(kind="recurring", amount=Decimal(28), currency="EUR", period="day")],
    reason="nouveau client",
    reference="carrier:6",
)


def texts(tree: object) -> str:
    """Every text of blocks or a view, one a line (button labels too)."""
    if isinstance(tree, dict):
        own = [tree["text"]] if isinstance(tree.get("text"), str) else []
        return "\n".join([*own, *(texts(v) for k, v in tree.items() if not (k == "text" and isinstance(v, str)))])
    if isinstance(tree, list):
        return "\n".join(texts(v) for v in tree)
    return ""


def test_a_french_card_pending_approved_and_failed_passes_slack_s_limits() -> None:
    with speaking("fr"):
        pending = [b.to_dict() for b in approval_request_blocks(CARD)]
        approved = [
            b.to_dict()
            for b in approval_decided_blocks(
                CARD, decided_by="U2", decided_at=START, outcome="approved", result_text="Envoi à Orange…"
            )
        ]
        failed = [
            b.to_dict()
            for b in approval_decided_blocks(
                CARD, decided_by="U2", decided_at=START, outcome="failed", result_text="Refusé par Orange : 400"
            )
        ]
        installation, per_day = money(Decimal(3000), "EUR"), money(Decimal(28), "EUR")
    for blocks in (pending, approved, failed):
        assert validate_blocks(blocks) == []
    shown = texts(pending)
    assert ":raised_hand: <@U123> demande à commander le devis *carrier:6*" in shown
    assert f"*Frais ponctuels*\ninstallation : {installation} (ponctuel)" in shown
    assert f"*Frais récurrents*\n{per_day} / jour (récurrent)" in shown
    assert "Motif : nouveau client" in shown and "en attente d'un approbateur" in shown
    assert "\nApprouver\n" in shown and "\nRefuser\n" in shown
    assert "*Approuvée* par <@U2>" in texts(approved) and "Approuver" not in texts(approved)
    assert "*Échec* · approuvée par <@U2>" in texts(failed) and "\nRéessayer\n" in texts(failed)
    assert "3,000 EUR" not in shown and "asks to" not in shown


def _row(state: str, **fields: object) -> Approval:
    return Approval(
        kind="cancel_order",
        team_id="T_TEST",
        channel_id=CHANNEL,
        requester_id="U_ALICE",
        backend="wholesale",
        target_id=ORDER,
        external_id=str(uuid.uuid4()),
        payload={"reference": f"wholesale:{ORDER}", "label": "UW-de76cfa1 · OULLINS C"},
        state=state,
        decided_by="U_BOB",
        decided_at=START,
        **fields,
    )


def test_the_card_of_each_state_and_the_late_clicker_s_answer_in_french() -> None:
    with speaking("fr"):
        sending = texts([b.to_dict() for b in card_blocks(_row("submitting", lease_owner="me"))])
        lost = texts([b.to_dict() for b in card_blocks(_row("submitting", error="timeout"))])
        failed = texts([b.to_dict() for b in card_blocks(_row("failed", error="Refusé par Orange : 400"))])
        told = decided_text(_row("submitted", result={"order": "carrier:31"}))
        rejected = decided_text(_row("rejected"))
    assert "demande à annuler la commande *UW-de76cfa1 · OULLINS C*" in sending and "Envoi à Orange…" in sending
    assert "La réponse d'Orange a été perdue (timeout)" in lost
    assert "Refusé par Orange : 400. Un approbateur peut réessayer." in failed
    assert told.startswith("Cette demande a déjà été approuvée par <@U_BOB>") and "commande carrier:31 passée" in told
    assert rejected.startswith("Cette demande a déjà été refusée par <@U_BOB>")


async def test_a_french_request_refusal_failure_and_retry_through_the_simulator(harness: Harness) -> None:
    h = harness
    await h.admin.post(
        "/_sandbox/faults",
        json={"path": "cancelProductOrder", "method": "POST", "status": 400, "body": {"code": "24"}, "count": 1},
    )
    where = Where("T_TEST", CHANNEL, "U_ALICE")
    await h.ctx.db(  # the card is a channel post: in the channel's language; the answers in the asker's
        lambda s: crud.change_channel_settings(
            session=s, team_id="T_TEST", channel_id=CHANNEL, changes={"language": "fr"}, actor="U_ALICE"
        )
    )
    with speaking("fr"):
        reply = await approvals.request_cancel_order(h.ctx, h.bolt.client, where, ORDER, "client déménagé")
        assert reply.text.startswith("Approbation demandée pour annuler"), reply.text
        with Session(h.ctx.engine) as session:
            approval = session.exec(select(Approval).order_by(col(Approval.created_at))).all()[-1]
        posted = h.fake.message(CHANNEL, str(approval.message_ts))
        assert posted is not None  # the simulator took the French card (it refuses blocks Slack would refuse)
        card = str(h.user.render(posted, channel=CHANNEL))
        assert "demande à annuler la commande" in card and "Motif : client déménagé" in card
        assert "Approuver" in card and "Refuser" in card and "en attente d'un approbateur" in card
        assert "article" in card  # "1 article" / "3 articles"

        again = await approvals.request_cancel_order(h.ctx, h.bolt.client, where, ORDER, None)
        assert "a déjà été demandée par <@U_ALICE> et est en attente" in again.text, again.text
        mine = await handle_click(h.ctx, h.bolt.client, Click("approve", str(approval.id), "U_ALICE"))
        assert mine is not None and mine.startswith("Vous avez fait cette demande vous-même")

        assert await handle_click(h.ctx, h.bolt.client, Click("approve", str(approval.id), "U_BOB")) is None
        card = str(h.user.render(h.fake.message(CHANNEL, str(approval.message_ts)) or {}, channel=CHANNEL))
        assert "Échec" in card and "Refusé par Orange" in card and "Un approbateur peut réessayer" in card
        assert "Réessayer" in card and "Approuver" not in card

        assert await handle_click(h.ctx, h.bolt.client, Click("retry", str(approval.id), "U_CAROL")) is None
        card = str(h.user.render(h.fake.message(CHANNEL, str(approval.message_ts)) or {}, channel=CHANNEL))
        assert "Transmise à Orange" in card and "approuvée par" in card and "Orange annule" in card
        late = await handle_click(h.ctx, h.bolt.client, Click("approve", str(approval.id), "U_DAN"))
    assert late is not None and "a déjà été approuvée" in late and "a échoué" in late
    with Session(h.ctx.engine) as session:
        states = [a.state for a in session.exec(select(Approval)).all()]
    assert sorted(states) == [ApprovalState.FAILED.value, ApprovalState.SUBMITTED.value]


def test_the_french_quote_form_fits_slack_s_limits() -> None:
    with speaking("fr"):
        view = form_view(channel_id="C1", team_id="T1")
        biggest = number(100_000)
    assert validate_view(view) == []
    assert view["title"]["text"] == "Nouveau devis" and len(view["title"]["text"]) <= MAX_VIEW_TITLE
    assert view["submit"]["text"] == "Obtenir un devis" and view["close"]["text"] == "Annuler"
    assert all(len(view[k]["text"]) <= MAX_VIEW_BUTTON for k in ("title", "submit", "close"))
    shown = texts(view)
    assert "Débit (Mbit/s)" in shown and f"Un nombre entier de 1 à {biggest}" in shown
    assert "Classe de service" in shown and "Garanti" in shown and "Durée d'engagement" in shown
    options = [o for b in view["blocks"] for o in (b["element"].get("options") or [])]
    assert [o["text"]["text"] for o in options][-3:] == ["12 mois", "24 mois", "36 mois"]
    assert all(len(o["text"]["text"]) <= MAX_OPTION_TEXT for o in options)


def test_the_french_form_s_errors_and_its_checking_view() -> None:
    values = {
        "site_a": {"quote_site_a": {"selected_option": {"value": "1265904"}}},
        "site_b": {"quote_site_b": {"selected_option": {"value": "1265904"}}},
        "bandwidth": {"quote_bandwidth": {"value": "abc"}},
    }
    with speaking("fr"):
        errors = parse_form({"state": {"values": values}})
        shown = checking(QuoteForm("1265904", "1354977", 4000, "GUARANTEED", 36, "C1"))
        bandwidth = number(4000)
    assert errors == {
        "site_b": "Choisissez un site différent du site A.",
        "bandwidth": f"Indiquez le débit en Mbit/s : un nombre entier de 1 à {number_fr(100_000)}.",
    }
    assert validate_view(shown) == [] and shown["title"]["text"] == "Nouveau devis"
    assert f"Demande à Orange : {bandwidth} Mbit/s garanti entre les sites `1265904` et `1354977`, 36 mois" in texts(
        shown
    )


def number_fr(value: int) -> str:
    with speaking("fr"):
        return number(value)


async def test_the_french_quote_modal_opens_in_the_simulator(harness: Harness) -> None:
    h = harness
    where = Where("T_TEST", CHANNEL, "U_ALICE")
    with speaking("fr"):
        reply = await approvals.open_quote_modal(h.ctx, h.bolt.client, where, h.fake.new_trigger_id("U_ALICE"))
    assert reply.text.startswith("Remplissez le formulaire de devis"), reply.text
    (view,) = h.fake.open_views("U_ALICE")
    assert view["title"]["text"] == "Nouveau devis" and view["submit"]["text"] == "Obtenir un devis"
