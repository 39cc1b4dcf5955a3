"""`/orange settings`: set, shown, through the modal, audited, stored (migration 0009), and applied by the notifier
(thread, broadcast, mention, language). Through signed requests, the sandbox, the poll and the outbox, FakeSlack."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from bot_harness import Harness, shown
from sqlalchemy import inspect
from sqlalchemy.pool import NullPool
from test_must_act import ITEM, ORDER, broadcast, said
from test_notifier import W, admin, ask, cycle, replies, watch

import bot.notify.outbox as outbox
from bot.i18n import language
from storage import crud, migrate
from storage.db import make_engine


async def test_settings_are_set_shown_and_audited(harness: Harness) -> None:
    h = harness
    said_ = await ask(h, "settings language=fr thread=errors broadcast=finals mention=nobody digest=08:30")
    assert "Settings of this channel changed" in said_ and "`en` → `fr`" in said_, said_
    shown_ = await ask(h, "settings show", user="U_BOB")
    for words in ("Language: `fr`", "`errors`", "`finals`", "`nobody`", "`08:30 Europe/Paris`"):
        assert words in shown_, shown_
    assert "Nothing changed" in await ask(h, "settings language=fr")
    rows = await h.ctx.read(lambda s: crud.audit_rows(session=s))
    changes = [r for r in rows if r["action"] == "channel_setting"]
    assert [(r["actor"], r["subject"]) for r in changes] == [("U_ALICE", "C_GENERAL")] * 5
    details = sorted(r["detail"] for r in changes)  # one `at` for the five: their order is not theirs
    assert any('"key": "language", "new": "fr", "old": "en"' in d for d in details), details
    assert any('"key": "digest", "new": "08:30 Europe/Paris", "old": "off"' in d for d in details), details
    schedule = await h.ctx.read(
        lambda s: crud.get_digest_schedule(session=s, team_id=h.ctx.team_id, channel_id="C_GENERAL")
    )
    assert schedule is not None and (schedule.at_time, schedule.tz) == ("08:30", "Europe/Paris")  # the one schedule
    assert "`08:30 Europe/Paris` → `off`" in await ask(h, "settings digest=off")


async def test_a_bad_key_or_value_is_one_line_and_the_usage(harness: Harness) -> None:
    h = harness
    bad = await ask(h, "settings colour=red")
    assert "Unknown setting 'colour='" in bad and "settings key=value" in bad, bad
    bad = await ask(h, "settings thread=some")
    assert "`thread=` takes everything | errors, not 'some'." in bad, bad
    assert "no user group @nope" in await ask(h, "settings mention=@nope")


async def test_the_modal_lists_user_groups_and_its_submission_saves(harness: Harness) -> None:
    h = harness
    h.fake.add_usergroup("S0OPS", "ops", users=["U_BOB"])
    assert "open in a form" in await ask(h, "settings")
    (view,) = h.fake.open_views("U_ALICE")
    mention = next(b for b in view["blocks"] if b.get("block_id") == "mention")
    assert "S0OPS" in [o["value"] for o in mention["element"]["options"]]
    values = {"language": "fr", "thread": "everything", "broadcast": "finals", "mention": "S0OPS", "digest": "9:05"}
    ack = await h.user.submit_view(view["id"], values, user="U_ALICE")
    assert ack.status == 200
    await h.fake.wait_for(lambda: "changed" in str(h.fake.views[view["id"]]))
    current = await h.ctx.read(
        lambda s: crud.get_channel_settings(session=s, team_id=h.ctx.team_id, channel_id="C_GENERAL")
    )
    assert (current.language, current.broadcast, current.mention) == ("fr", "finals", "S0OPS")
    assert "`09:05 Europe/Paris`" in await ask(h, "settings show")
    # a bad time is refused in the form itself
    await ask(h, "settings")
    view = h.fake.open_views("U_ALICE")[-1]
    ack = await h.user.submit_view(view["id"], {**values, "digest": "25:00"}, user="U_ALICE")
    assert ack.json()["response_action"] == "errors" and "digest" in ack.json()["errors"]


async def test_without_usergroups_read_no_group_is_offered(harness: Harness) -> None:
    h = harness
    h.fake.add_usergroup("S0OPS", "ops")
    h.fake.scopes.discard("usergroups:read")
    await ask(h, "settings")
    refused = [c for c in h.fake.calls_to("usergroups.list") if c.response.get("error") == "missing_scope"]
    assert refused and refused[-1].response.get("needed") == "usergroups:read"
    (view,) = h.fake.open_views("U_ALICE")
    assert "usergroups:read" in str(view["blocks"])
    assert "Slack answered missing_scope" in await ask(h, "settings mention=@ops")


async def test_thread_errors_broadcast_finals_and_a_group_mention_are_applied(harness: Harness) -> None:
    h = harness
    h.fake.add_usergroup("S0OPS", "ops")
    await ask(h, "settings thread=errors broadcast=finals mention=@ops")
    w = await watch(h, f"wholesale:{W}")
    await admin(h, f"{ORDER}/state", {"state": "held"})
    await cycle(h)
    assert replies(h, w) == []  # a state change alone: not in this channel's threads
    await admin(h, f"{ORDER}/errors", {"item": ITEM, "message": "Rendez-vous à reprendre", "reason": "ORT"})
    await cycle(h)
    error = said(h, w, "Error opened")
    assert not broadcast(error)  # finals only
    assert str(error["text"]).startswith("<!subteam^S0OPS> "), error["text"]
    await admin(h, f"{ORDER}/state", {"state": "completed"})
    await cycle(h)
    assert broadcast(said(h, w, "is completed"))


async def test_mention_nobody_names_nobody(harness: Harness) -> None:
    h = harness
    await ask(h, "settings mention=nobody")
    w = await watch(h, f"wholesale:{W}")
    await admin(h, f"{ORDER}/errors", {"item": ITEM, "message": "Rendez-vous à reprendre", "reason": "ORT"})
    await cycle(h)
    error = said(h, w, "Error opened")
    assert broadcast(error) and not re.search(r"<[@!]", str(error["text"]))


async def test_a_french_channel_gets_its_replies_rendered_in_french(harness: Harness, monkeypatch: Any) -> None:
    h = harness
    seen: list[str] = []
    real = outbox.render_changes

    def spying(*args: Any, **kwargs: Any) -> Any:
        seen.append(language())
        return real(*args, **kwargs)

    monkeypatch.setattr(outbox, "render_changes", spying)
    w = await watch(h, f"wholesale:{W}", user="U_ALICE")  # an English user: the channel decides, not who watched
    await admin(h, f"{ORDER}/state", {"state": "held"})
    await cycle(h)
    await ask(h, "settings language=fr")
    await admin(h, f"{ORDER}/state", {"state": "inProgress"})
    await cycle(h)
    assert seen == ["en", "fr"] and len(replies(h, w)) == 2
    assert language() == "en"  # nothing leaked out of the request or the round
    assert shown(replies(h, w)[0])


def test_migration_0009_up_and_down(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'm.db'}"
    migrate.upgrade(url, "0009")  # later revisions come and go in their own tests
    engine = make_engine(url, poolclass=NullPool)
    try:
        assert migrate.current(url) == "0009" and "channel_settings" in inspect(engine).get_table_names()
        migrate.downgrade(url, "0008")
        assert migrate.current(url) == "0008" and "channel_settings" not in inspect(engine).get_table_names()
        migrate.upgrade(url, "0009")
        assert {c["name"] for c in inspect(engine).get_columns("channel_settings")} >= {"language", "mention"}
    finally:
        engine.dispose()
