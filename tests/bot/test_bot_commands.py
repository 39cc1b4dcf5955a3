"""Every verb end to end: a signed request into the running app, the answer read from the fake Slack Web API."""

from __future__ import annotations

import pytest
from bot_harness import Harness

from bot.simulator.render import mrkdwn_to_text


async def ask(h: Harness, text: str, *, channel: str = "C_GENERAL", user: str = "U_ALICE") -> str:
    before = len(h.fake.response_posts())
    ack = await h.user.command(text, channel=channel, user=user)
    assert ack.status == 200
    await h.fake.wait_for_responses(count=before + 1, timeout=10)
    post = h.fake.response_posts()[-1]
    return str(h.user.render(post.body))


async def test_order_carrier_11(harness: Harness) -> None:
    shown = await ask(harness, "order carrier:11")
    assert "carrier:11" in shown
    assert "Pending" in shown
    assert "28 EUR" in shown and "3,000 EUR" in shown
    assert "Share in channel" in shown


@pytest.mark.parametrize(
    ("text", "expect"),
    [
        ("", ["/orange order", "carrier", "wholesale", "business"]),
        ("help", ["/orange watch"]),
        ("sites city=Paris", ["Bagnolet"]),
        ("sites Abidjan", ["Abidjan KM4"]),
        ("site 105740", ["Bagnolet", "Gambetta"]),
        ("address street=des fleurs nr=12 city=Bezons postcode=95870 country=France", ["des fleurs", "95870"]),
        ("quotes", ["carrier:6"]),
        ("quote 6", ["carrier:6", "Approved"]),
        ("orders wholesale", ["wholesale:de76cfa1-9a55-412f-a9ee-61ca2f662a63"]),
        ("orders carrier state=pending", ["carrier:11", "carrier:13"]),
        ("orders business", ["business:"]),
        ("order wholesale:de76cfa1-9a55-412f-a9ee-61ca2f662a63", ["Rendez-vous à reprendre", "O40140084005"]),
        ("order business:W05VL130721", ["business:W05VL130721"]),
        ("find BOA12", ["carrier:11", "relatedBuyerPON"]),
        ("order UW-de76cfa1", ["Rendez-vous à reprendre"]),
        ("products carrier", ["LDD30114"]),
        ("products wholesale status=ACTIVE", ["wholesale:"]),
        ("product carrier:LDD30114", ["LDD30114"]),
        ("product wholesale:2c9180837dba2335017dc33dffc5002a", ["2c9180837dba2335017dc33dffc5002a"]),
        ("offer GOC40150084001", ["Offre exemple"]),
    ],
)
async def test_every_lookup_verb_answers(harness: Harness, text: str, expect: list[str]) -> None:
    shown = await ask(harness, text)
    for fragment in expect:
        assert fragment in shown, f"{fragment!r} not in:\n{shown}"


@pytest.mark.parametrize(
    ("text", "expect"),
    [
        ("frobnicate", "Unknown command"),
        ("order", "order"),
        ("order nosuch:1", "nosuch"),
        ("order carrier:999999", "code 60"),
        ("order wholesale:does-not-exist", "code 60"),
        ("site ../../etc", "site"),
        ("cancel carrier:11", "wholesale"),
    ],
)
async def test_bad_input_and_carrier_errors_get_one_clear_line(harness: Harness, text: str, expect: str) -> None:
    shown = await ask(harness, text)
    assert expect in shown
    assert "Share in channel" not in shown


async def test_carrier_failure_is_reported_in_words(harness: Harness) -> None:
    await harness.admin.post("/_sandbox/faults", json={"path": "/productOrder/11$", "status": 503, "count": -1})
    shown = await ask(harness, "order carrier:11")
    assert "try again" in shown.lower()


async def test_share_in_channel_posts_once(harness: Harness) -> None:
    await ask(harness, "order carrier:11")
    before = len(harness.fake.channel_messages("C_GENERAL"))
    await harness.user.click("share_in_channel")
    await harness.user.click("share_in_channel")  # a double click
    await harness.fake.wait_for(lambda: len(harness.fake.channel_messages("C_GENERAL")) > before, timeout=10)
    messages = harness.fake.channel_messages("C_GENERAL")[before:]
    assert len(messages) == 1
    text = mrkdwn_to_text(str(messages[0]))
    assert "carrier:11" in text and "U_ALICE" in text


async def test_paging_next_and_previous(harness: Harness) -> None:
    await harness.admin.post("/_sandbox/bulk", json={"backend": "wholesale", "count": 45})
    first = await ask(harness, "orders wholesale")
    assert "Showing 1–20" in first and "Next" in first
    before = len(harness.fake.response_posts())
    await harness.user.click("page_next")
    await harness.fake.wait_for_responses(count=before + 1, timeout=10)
    second = str(harness.user.render(harness.fake.response_posts()[-1].body))
    assert "Showing 21–40" in second and "Previous" in second


async def orange_requests(h: Harness) -> int:
    """Requests the sandbox has answered since the last reset, token requests included."""
    counts = (await h.admin.get("/_sandbox/requests")).json()
    return int(counts["total"])


@pytest.mark.parametrize(
    "text",
    [
        "products wholesale limit=100000",
        "products carrier limit=abc",
        "products wholesale limit=0",
        "products limit=-1",
        "products wholesale offset=40",
        "products wholesale fields=id",
        "products carrier sort=-startDate",
        "products wholesale depth=4",
        "products wholesale status=ACTIVE LIMIT=1",
        "products wholesale colour=red",
        "orders wholesale limit=100000",
        "orders carrier state=pending offset=-1",
    ],
)
async def test_paging_keys_and_unknown_filters_never_reach_orange(harness: Harness, text: str) -> None:
    await harness.admin.post("/_sandbox/requests/reset")
    shown = await ask(harness, text)
    verb = text.split()[0]
    error, usage_line = shown.splitlines()[:2]
    assert "is not a filter" in error or "cannot be filtered by" in error, shown
    assert usage_line.startswith(f"Usage: `/orange {verb} [backend]"), shown
    assert "Something went wrong" not in shown and "Share in channel" not in shown
    assert await orange_requests(harness) == 0
