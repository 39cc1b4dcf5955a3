"""The poll diff: which changes an order's thread gets, in which order, under which fingerprint."""

from __future__ import annotations

import copy
import json
import os
import random
import subprocess
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bot.notify.diff import FIELDS_COMPARED, Event, EventKind, Snapshot, diff
from bot.notify.render import render_event_text
from integrations.sandbox.examples import get_example
from integrations.states import OrderState, is_final
from integrations.views import OrderView, order_view_from_wholesale

ORDER_ID = "de76cfa1-9a55-412f-a9ee-61ca2f662a63"
REF = f"wholesale:{ORDER_ID}"
ITEM = "O40140084005"
ROOT = Path(__file__).resolve().parents[2]

Json = dict[str, Any]


# --- builders ----------------------------------------------------------------------------------


def error(
    message: str = "Rendez-vous à reprendre",
    *,
    reason: str = "ORT",
    status: str = "opened",
    ts: str = "2022-10-19T10:06:19+02:00",
) -> Json:
    return {"message": message, "reason": reason, "status": status, "timestamp": ts, "@type": "ErrorMessage"}


def milestone(message: str, date: str = "2022-10-01T10:06:17+02:00", *, description: str | None = None) -> Json:
    body: Json = {"message": message, "milestoneDate": date, "name": "FTTH", "status": "completed"}
    if description is not None:
        body["description"] = description
    return body


def alert(message: str, date: str = "2022-10-02T08:00:00+02:00") -> Json:
    return {"name": "delay", "message": message, "jeopardyType": "late", "alertDate": date}


def item(
    item_id: str = ITEM,
    state: str | None = "inProgress",
    *,
    errors: Sequence[Json] = (),
    milestones: Sequence[Json] = (),
    alerts: Sequence[Json] = (),
) -> Json:
    body: Json = {"id": item_id, "action": "add"}
    if state is not None:
        body["state"] = state
    body["errorMessage"] = list(errors)
    body["milestone"] = list(milestones)
    body["jeopardyAlert"] = list(alerts)
    return body


def order(state: str | None = "inProgress", *items: Json, **top: Any) -> Json:
    body: Json = {"id": ORDER_ID}
    if state is not None:
        body["state"] = state
    if items:
        body["productOrderItem"] = list(items)
    body.update(top)
    return body


def view(data: Json) -> OrderView:
    return order_view_from_wholesale(copy.deepcopy(data))


def polls(*bodies: Json, errors_only: bool = False) -> list[list[Event]]:
    """Events of each poll after the first (the baseline)."""
    out: list[list[Event]] = []
    snapshot: Snapshot | None = None
    for body in bodies:
        events, snapshot = diff(snapshot, view(body), errors_only=errors_only)
        out.append(events)
    assert out[0] == [], "the first poll is a baseline"
    return out[1:]


def step(before: Json, after: Json, *, errors_only: bool = False) -> list[Event]:
    return polls(before, after, errors_only=errors_only)[0]


def summary(events: Sequence[Event]) -> list[tuple[str, str | None, str | None]]:
    out: list[tuple[str, str | None, str | None]] = []
    for e in events:
        detail: str | None
        if e.kind in (EventKind.order_state, EventKind.item_state, EventKind.final):
            detail = f"{e.old.value if e.old else None}>{e.new.value if e.new else None}"
        else:
            detail = e.message
        out.append((e.kind.value, e.item_id, detail))
    return out


# --- the table ---------------------------------------------------------------------------------

ERR_A = error("Rendez-vous à reprendre", ts="2022-10-19T10:06:19+02:00")
ERR_B = error("Adresse introuvable", reason="OWF", ts="2022-10-18T09:00:00+02:00")
M1 = milestone("Validation de la commande en cours", "2022-09-30T14:26:23+02:00")
M2 = milestone("En cours de production", "2022-10-01T10:06:17+02:00")

TABLE: list[tuple[str, Json, Json, list[tuple[str, str | None, str | None]]]] = [
    ("nothing changed", order("inProgress", item()), order("inProgress", item()), []),
    (
        "order state",
        order("inProgress.accepted", item()),
        order("inProgress", item()),
        [("order_state", None, "accepted>in_progress")],
    ),
    (
        "item state",
        order("inProgress", item(state="inProgress.accepted")),
        order("inProgress", item(state="inProgress")),
        [("item_state", ITEM, "accepted>in_progress")],
    ),
    (
        "spelling of the same state is no change",
        order("INPROGRESS", item(state="inProgress")),
        order("inProgress", item(state="IN_PROGRESS")),
        [],
    ),
    (
        "new item",
        order("inProgress", item("1")),
        order("inProgress", item("1"), item("2", "acknowledged")),
        [("item_state", "2", "None>acknowledged")],
    ),
    ("item disappearing is ignored", order("inProgress", item("1"), item("2")), order("inProgress", item("1")), []),
    (
        "error opened",
        order("inProgress", item()),
        order("inProgress", item(errors=[ERR_A])),
        [("error_opened", ITEM, ERR_A["message"])],
    ),
    (
        "error closed",
        order("inProgress", item(errors=[ERR_A])),
        order("inProgress", item(errors=[{**ERR_A, "status": "closed"}])),
        [("error_closed", ITEM, ERR_A["message"])],
    ),
    (
        "error opened and closed between two polls",
        order("inProgress", item()),
        order("inProgress", item(errors=[{**ERR_A, "status": "closed"}])),
        [("error_opened", ITEM, ERR_A["message"]), ("error_closed", ITEM, ERR_A["message"])],
    ),
    (
        "error vanishing is not a close",
        order("inProgress", item(errors=[ERR_A])),
        order("inProgress", item()),
        [],
    ),
    (
        "same instant, another offset: same error",
        order("inProgress", item(errors=[ERR_A])),
        order("inProgress", item(errors=[{**ERR_A, "timestamp": "2022-10-19T08:06:19Z"}])),
        [],
    ),
    (
        "closes before opens, each by time",
        order("inProgress", item(errors=[ERR_A])),
        order("inProgress", item(errors=[ERR_B, {**ERR_A, "status": "closed"}])),
        [("error_closed", ITEM, ERR_A["message"]), ("error_opened", ITEM, ERR_B["message"])],
    ),
    (
        "order-level error",
        order("inProgress", item()),
        order("inProgress", item(), errorMessage=[ERR_B]),
        [("error_opened", None, ERR_B["message"])],
    ),
    (
        "milestone added",
        order("inProgress", item(milestones=[M1])),
        order("inProgress", item(milestones=[M2, M1])),
        [("milestone_added", ITEM, M2["message"])],
    ),
    (
        "jeopardy alert",
        order("inProgress", item()),
        order("inProgress", item(alerts=[alert("Retard fournisseur")])),
        [("jeopardy_alert", ITEM, "Retard fournisseur")],
    ),
    (
        "thread order: order, order-level, items by id, final last",
        order("inProgress", item("10", "inProgress"), item("9", "inProgress")),
        order(
            "completed",
            item("10", "completed", milestones=[M2], errors=[ERR_A]),
            item("9", "completed", alerts=[alert("late")]),
            milestone=[M1],
        ),
        [
            ("order_state", None, "in_progress>completed"),
            ("milestone_added", None, M1["message"]),
            ("item_state", "9", "in_progress>completed"),
            ("jeopardy_alert", "9", "late"),
            ("item_state", "10", "in_progress>completed"),
            ("error_opened", "10", ERR_A["message"]),
            ("milestone_added", "10", M2["message"]),
            ("final", None, "in_progress>completed"),
        ],
    ),
]


@pytest.mark.parametrize(("before", "after", "expected"), [t[1:] for t in TABLE], ids=[t[0] for t in TABLE])
def test_table(before: Json, after: Json, expected: list[tuple[str, str | None, str | None]]) -> None:
    assert summary(step(before, after)) == expected


@pytest.mark.parametrize(
    ("raw", "final"),
    [
        ("completed", OrderState.completed),
        ("cancelled", OrderState.cancelled),
        ("rejected", OrderState.rejected),
        ("failed", OrderState.failed),
        ("partial", OrderState.partial),
        ("COMPLETED", OrderState.completed),
        ("held", None),
        ("pending", None),
    ],
)
def test_final_states(raw: str, final: OrderState | None) -> None:
    events = step(order("inProgress", item()), order(raw, item()))
    kinds = [e.kind for e in events]
    if final is None:
        assert kinds == [EventKind.order_state]
        return
    assert kinds == [EventKind.order_state, EventKind.final]
    assert events[-1].new is final and events[-1].old is OrderState.in_progress
    assert events[0].fingerprint != events[-1].fingerprint


def test_first_poll_is_a_baseline() -> None:
    body = order("completed", item(errors=[ERR_A], milestones=[M1], alerts=[alert("x")]))
    events, snapshot = diff(None, view(body))
    assert events == []
    assert snapshot.view == view(body)
    assert snapshot.states["order"] == "completed"
    assert diff(snapshot, view(body))[0] == []


def test_snapshot_of_another_order_is_refused() -> None:
    _, snapshot = diff(None, view(order()))
    with pytest.raises(ValueError, match="diffed against"):
        diff(snapshot, view({**order(), "id": "other"}))


# --- errors only -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("after", "expected"),
    [
        (order("held", item(state="held")), []),
        (order("inProgress", item(milestones=[M1], alerts=[alert("late")])), []),
        (order("inProgress", item(errors=[ERR_A])), [("error_opened", ITEM, ERR_A["message"])]),
        (
            order("failed", item(state="failed", errors=[{**ERR_A, "status": "closed"}])),
            [
                ("order_state", None, "in_progress>failed"),
                ("error_opened", ITEM, ERR_A["message"]),
                ("error_closed", ITEM, ERR_A["message"]),
                ("final", None, "in_progress>failed"),
            ],
        ),
    ],
)
def test_errors_only(after: Json, expected: list[tuple[str, str | None, str | None]]) -> None:
    before = order("inProgress", item())
    assert summary(step(before, after, errors_only=True)) == expected


def test_errors_only_still_advances_the_snapshot() -> None:
    a, b = order("inProgress", item()), order("held", item(state="held", milestones=[M1]))
    _, s = diff(None, view(a))
    quiet, s_quiet = diff(s, view(b), errors_only=True)
    loud, s_loud = diff(s, view(b))
    assert quiet == [] and len(loud) == 3
    assert s_quiet == s_loud
    assert diff(s_quiet, view(b))[0] == []


# --- partial views -----------------------------------------------------------------------------


def test_fields_compared_names_what_the_diff_reads() -> None:
    assert set(FIELDS_COMPARED) >= {"state", "productOrderItem", "errorMessage", "milestone", "jeopardyAlert"}


def test_partial_view_changes_only_what_it_holds() -> None:
    full = order("inProgress", item("1", errors=[ERR_A], milestones=[M1]), item("2", "held"))
    state_only = order("held")  # fields=state: no items, no lists
    nothing = order(None)  # fields=none: id and href only
    no_item_states = order("held", item("1", None), item("2", None))
    again = order("held", item("1", errors=[{**ERR_A, "status": "closed"}], milestones=[M1]), item("2", "held"))
    got = polls(full, state_only, nothing, no_item_states, full, again)
    assert [summary(p) for p in got] == [
        [("order_state", None, "in_progress>held")],
        [],
        [],
        [("order_state", None, "held>in_progress")],
        [("order_state", None, "in_progress>held"), ("error_closed", "1", ERR_A["message"])],
    ]


def test_first_item_list_after_partial_polls_is_a_baseline() -> None:
    got = polls(order("inProgress"), order("inProgress", item(errors=[ERR_A], milestones=[M1])))
    assert got == [[]]


def test_first_known_order_state_is_a_baseline_unless_final() -> None:
    assert polls(order(None, item()), order("held", item())) == [[]]
    got = polls(order(None, item()), order("cancelled", item()))
    assert summary(got[0]) == [("order_state", None, "None>cancelled"), ("final", None, "None>cancelled")]


# --- the seed's error re-opened under a new timestamp --------------------------------------------


def seed_item() -> Json:
    body: Json = get_example("wholesale/product-order-item-milestones-fragment").body
    return {"id": ITEM, **body}


def test_seed_closed_then_reopened_is_a_close_and_an_open() -> None:
    seed = seed_item()
    closed, reopened, ort = seed["errorMessage"]
    assert closed["message"] == reopened["message"] and closed["status"] == "closed"
    before = {**seed, "state": "inProgress.accepted", "errorMessage": [{**closed, "status": "opened"}]}
    before["milestone"] = seed["milestone"][:2]

    events = step(order("inProgress", before), order("inProgress", seed))

    assert summary(events) == [
        ("item_state", ITEM, "accepted>in_progress"),
        ("error_closed", ITEM, closed["message"]),
        ("error_opened", ITEM, reopened["message"]),
        ("error_opened", ITEM, ort["message"]),
        ("milestone_added", ITEM, seed["milestone"][2]["message"]),
    ]
    assert events[1].timestamp is not None and events[2].timestamp is not None
    assert events[1].timestamp < events[2].timestamp
    assert len({e.fingerprint for e in events}) == len(events)


def test_seed_seen_fresh_reports_the_closed_error_both_ways() -> None:
    seed = seed_item()
    events = step(order("inProgress", {**seed, "errorMessage": []}), order("inProgress", seed))
    assert [(e.kind.value, e.reason, e.timestamp.isoformat() if e.timestamp else None) for e in events] == [
        ("error_opened", "OWF", "2022-10-14T17:06:19+00:00"),
        ("error_closed", "OWF", "2022-10-14T17:06:19+00:00"),
        ("error_opened", "OWF", "2022-10-14T17:06:25+00:00"),
        ("error_opened", "ORT", "2022-10-19T08:06:19+00:00"),
    ]


def test_seed_order_example_diffs() -> None:
    body: Json = get_example("wholesale/product-order-get").body  # {"id", "state": "INPROGRESS"}
    events = step(body, {**body, "state": "completed"})
    assert [e.kind for e in events] == [EventKind.order_state, EventKind.final]
    assert events[0].order_ref == f"wholesale:{body['id']}"


# --- fingerprints -------------------------------------------------------------------------------


def test_state_that_comes_back_gets_a_new_fingerprint() -> None:
    got = polls(*(order(s, item()) for s in ("inProgress", "held", "inProgress", "held", "inProgress")))
    events = [e for poll in got for e in poll]
    assert summary(events) == [
        ("order_state", None, "in_progress>held"),
        ("order_state", None, "held>in_progress"),
        ("order_state", None, "in_progress>held"),
        ("order_state", None, "held>in_progress"),
    ]
    assert len({e.fingerprint for e in events}) == 4


def test_error_reopened_under_the_same_identity_gets_a_new_fingerprint() -> None:
    opened, closed = (
        order("inProgress", item(errors=[ERR_A])),
        order("inProgress", item(errors=[{**ERR_A, "status": "closed"}])),
    )
    got = polls(order("inProgress", item()), opened, closed, opened, closed)
    events = [e for poll in got for e in poll]
    assert [e.kind.value for e in events] == ["error_opened", "error_closed", "error_opened", "error_closed"]
    assert len({e.fingerprint for e in events}) == 4


def test_something_coming_back_after_a_gap_is_not_new() -> None:
    full = order("inProgress", item(errors=[ERR_A], milestones=[M1], alerts=[alert("late")]))
    assert polls(full, order("inProgress", item()), full) == [[], []]


def test_replay_after_a_crash_gives_the_same_fingerprints() -> None:
    _, s = diff(None, view(order("inProgress", item())))
    after = view(order("held", item(state="held", errors=[ERR_A], milestones=[M1])))
    first, s1 = diff(s, after)
    second, s2 = diff(Snapshot.from_json(json.loads(json.dumps(s.to_json()))), after)
    assert first == second and s1 == s2
    assert [e.fingerprint for e in first] == [e.fingerprint for e in second]


SCENARIO = """
import json, sys
from bot.notify.diff import diff
from integrations.views import order_view_from_wholesale as v
bodies = json.loads(sys.stdin.read())
s = None
out = []
for b in bodies:
    events, s = diff(s, v(b))
    out += [e.fingerprint for e in events]
print(json.dumps({"fingerprints": out, "snapshot": s.to_json()}, sort_keys=True))
"""


def test_fingerprints_are_the_same_in_another_process() -> None:
    bodies = [
        order("inProgress", item("1"), item("2", errors=[ERR_A])),
        order("held", item("1", "held", milestones=[M1, M2]), item("2", errors=[ERR_B, {**ERR_A, "status": "closed"}])),
        order("completed", item("1", "completed", alerts=[alert("late")]), item("2", "completed")),
    ]
    outputs = set()
    for seed in ("0", "1", "12345"):
        result = subprocess.run(
            [sys.executable, "-c", SCENARIO],
            input=json.dumps(bodies),
            capture_output=True,
            text=True,
            check=True,
            cwd=ROOT,
            env={**os.environ, "PYTHONHASHSEED": seed},
        )
        outputs.add(result.stdout)
    assert len(outputs) == 1
    got = json.loads(outputs.pop())
    s: Snapshot | None = None
    here: list[str] = []
    for body in bodies:
        events, s = diff(s, view(body))
        here += [e.fingerprint for e in events]
    assert got["fingerprints"] == here and len(here) == len(set(here)) == 11
    assert s is not None and got["snapshot"] == json.loads(json.dumps(s.to_json(), sort_keys=True))
    assert all(len(f) == 32 and int(f, 16) >= 0 for f in here)


# --- Slack text ---------------------------------------------------------------------------------


def ev(kind: EventKind, **fields: Any) -> Event:
    return Event(kind=kind, order_ref=REF, fingerprint="0" * 32, **fields)


@pytest.mark.parametrize(
    ("event", "text"),
    [
        (
            ev(EventKind.order_state, old=OrderState.in_progress, new=OrderState.completed),
            "*State:* 🔧 In progress → ✅ Completed",
        ),
        (
            ev(EventKind.item_state, item_id=ITEM, old=OrderState.accepted, new=OrderState.in_progress),
            f"*Item {ITEM}:* ⏳ Accepted → 🔧 In progress",
        ),
        (ev(EventKind.item_state, item_id="2", new=OrderState.acknowledged), "*New item 2:* ⏳ Acknowledged"),
        (
            ev(EventKind.error_opened, item_id=ITEM, reason="ORT", message="Rendez-vous à reprendre"),
            f":rotating_light: *Error opened* on item {ITEM} (ORT): Rendez-vous à reprendre",
        ),
        (
            ev(EventKind.error_closed, item_id=ITEM, reason="OWF", message="Câble <coupé> & réparé"),
            f":white_check_mark: *Error closed* on item {ITEM} (OWF): Câble &lt;coupé&gt; &amp; réparé",
        ),
        (ev(EventKind.error_opened, code="E42"), ":rotating_light: *Error opened* on the order: E42"),
        (
            ev(
                EventKind.milestone_added,
                name="FTTH",
                message="En cours de production",
                description="Votre commande a été validée, elle est désormais en cours de production",
            ),
            ":round_pushpin: *Milestone* En cours de production — "
            "Votre commande a été validée, elle est désormais en cours de production",
        ),
        (
            ev(EventKind.milestone_added, item_id=ITEM, name="FTTH", message="ICC : x"),
            f":round_pushpin: *Milestone* ICC : x _(item {ITEM})_",
        ),
        (
            ev(EventKind.jeopardy_alert, item_id=ITEM, alert_type="late", message="Retard"),
            f":warning: *Jeopardy alert* on item {ITEM} (late): Retard",
        ),
        (
            ev(EventKind.final, old=OrderState.in_progress, new=OrderState.partial),
            f"🟡 *Order {REF} is partially completed* — the watch ends here.",
        ),
    ],
)
def test_render_event_text(event: Event, text: str) -> None:
    assert render_event_text(event) == text


def test_every_event_of_the_table_renders_on_one_line() -> None:
    for _, before, after, _ in TABLE:
        for event in step(before, after):
            text = render_event_text(event)
            assert text and "\n" not in text


# --- properties ---------------------------------------------------------------------------------

RAW_STATES = [
    "acknowledged",
    "inProgress.accepted",
    "inProgress",
    "held",
    "pending",
    "completed",
    "cancelled",
    "failed",
]
STAMPS = ["2022-10-14T19:06:19+02:00", "2022-10-14T17:06:25Z", "2022-10-19T10:06:19+02:00"]
TEXTS = ["Rendez-vous à reprendre", "Adresse introuvable", "Câble coupé"]

errors_st = st.fixed_dictionaries(
    {
        "message": st.sampled_from(TEXTS),
        "reason": st.sampled_from(["ORT", "OWF"]),
        "status": st.sampled_from(["opened", "closed"]),
        "timestamp": st.sampled_from(STAMPS),
    }
)
milestones_st = st.fixed_dictionaries(
    {"name": st.just("FTTH"), "message": st.sampled_from(TEXTS), "milestoneDate": st.sampled_from(STAMPS)},
    optional={"description": st.sampled_from(["long text", "other"])},
)
alerts_st = st.fixed_dictionaries(
    {"name": st.just("delay"), "message": st.sampled_from(TEXTS), "alertDate": st.sampled_from(STAMPS)}
)


@st.composite
def item_st(draw: st.DrawFn, item_id: str) -> Json:
    body: Json = {"id": item_id}
    if draw(st.integers(0, 9)) > 0:  # sometimes a fields= selection left the state out
        body["state"] = draw(st.sampled_from(RAW_STATES))
    body["errorMessage"] = draw(st.lists(errors_st, max_size=3))
    body["milestone"] = draw(st.lists(milestones_st, max_size=3))
    body["jeopardyAlert"] = draw(st.lists(alerts_st, max_size=1))
    return body


@st.composite
def order_st(draw: st.DrawFn) -> Json:
    body: Json = {"id": ORDER_ID}
    if draw(st.integers(0, 9)) > 0:
        body["state"] = draw(st.sampled_from(RAW_STATES))
    if draw(st.integers(0, 5)) > 0:  # else a fields=state view: no items at all
        ids = draw(st.lists(st.sampled_from(["1", "2", "10", "O4"]), unique=True, max_size=3))
        body["productOrderItem"] = [draw(item_st(i)) for i in ids]
    if draw(st.booleans()):
        body["errorMessage"] = draw(st.lists(errors_st, max_size=2))
    return body


def shuffled(value: Any, rnd: random.Random) -> Any:
    if isinstance(value, list):
        items = [shuffled(v, rnd) for v in value]
        rnd.shuffle(items)
        return items
    if isinstance(value, dict):
        keys = list(value)
        rnd.shuffle(keys)
        return {k: shuffled(value[k], rnd) for k in keys}
    return value


def snapshot_of(*bodies: Json) -> Snapshot:
    s: Snapshot | None = None
    for body in bodies:
        _, s = diff(s, view(body))
    assert s is not None
    return s


FAST = settings(max_examples=120, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@FAST
@given(st.lists(order_st(), min_size=1, max_size=3))
def test_no_change_no_event(bodies: list[Json]) -> None:
    s = snapshot_of(*bodies)
    events, again = diff(s, view(bodies[-1]))
    assert events == []
    assert again == s


@FAST
@given(order_st(), order_st(), st.randoms(use_true_random=False))
def test_list_order_never_matters(a: Json, b: Json, rnd: random.Random) -> None:
    s = snapshot_of(a)
    assert diff(s, view(b)) == diff(s, view(shuffled(b, rnd)))
    assert diff(None, view(a))[1] == diff(None, view(shuffled(a, rnd)))[1]


@FAST
@given(order_st(), order_st(), st.booleans())
def test_one_change_one_fingerprint(a: Json, b: Json, errors_only: bool) -> None:
    s = snapshot_of(a)
    first, s1 = diff(s, view(b), errors_only=errors_only)
    second, s2 = diff(s, view(b), errors_only=errors_only)
    assert first == second and s1 == s2
    fingerprints = [e.fingerprint for e in first]
    assert len(fingerprints) == len(set(fingerprints))
    kinds = [e.kind for e in first]
    if EventKind.final in kinds:
        assert kinds[-1] is EventKind.final and kinds[0] is EventKind.order_state


@FAST
@given(order_st(), order_st(), st.booleans())
def test_snapshot_json_round_trip(a: Json, b: Json, errors_only: bool) -> None:
    s = snapshot_of(a)
    text = json.dumps(s.to_json())
    back = Snapshot.from_json(json.loads(text))
    assert back == s
    assert diff(back, view(b), errors_only=errors_only) == diff(s, view(b), errors_only=errors_only)


def expected_finals(bodies: Sequence[Json]) -> int:
    """How many times the order entered a final state, as these polls saw it (a model of the rule)."""
    last: OrderState | None = None
    count = 0
    for n, body in enumerate(bodies):
        v = view(body)
        if "state" not in body:
            continue
        if n > 0 and v.state != last and v.is_final:
            count += 1
        last = v.state
    return count


def run(bodies: Sequence[Json], errors_only: bool = False) -> list[Event]:
    s: Snapshot | None = None
    out: list[Event] = []
    for body in bodies:
        events, s = diff(s, view(body), errors_only=errors_only)
        out += events
    return out


ONCE = (EventKind.error_opened, EventKind.error_closed, EventKind.milestone_added, EventKind.jeopardy_alert)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(order_st(), min_size=2, max_size=6), st.data())
def test_replay_with_skipped_polls(bodies: list[Json], data: st.DataObject) -> None:
    every = run(bodies)
    fingerprints = [e.fingerprint for e in every]
    assert len(fingerprints) == len(set(fingerprints)), "a fingerprint repeated across the polls"
    assert sum(e.kind is EventKind.final for e in every) == expected_finals(bodies)

    # Skip any poll but the first, the last, and the first that lists items (the items' baseline).
    listing = next((n for n, b in enumerate(bodies) if b.get("productOrderItem")), 0)
    skip = data.draw(st.lists(st.booleans(), min_size=len(bodies), max_size=len(bodies)))
    kept = [b for n, b in enumerate(bodies) if n in (0, listing, len(bodies) - 1) or not skip[n]]
    fewer = run(kept)
    assert sum(e.kind is EventKind.final for e in fewer) == expected_finals(kept)
    # Skipping polls only hides what happened in between: errors, milestones and alerts are the
    # same changes under the same fingerprints, never new ones.
    assert {e.fingerprint for e in fewer if e.kind in ONCE} <= {e.fingerprint for e in every if e.kind in ONCE}

    # errors_only is a filter over the same history: same snapshots, so same fingerprints.
    assert run(bodies, errors_only=True) == [e for e in every if errors_only_keeps(e)]


def errors_only_keeps(event: Event) -> bool:
    if event.kind in (EventKind.error_opened, EventKind.error_closed, EventKind.final):
        return True
    return event.kind is EventKind.order_state and event.new is not None and is_final(event.new)
