"""What gets posted, where, and to whom: the notification path, top to bottom.

1. `diff` — events: what changed on an order since the stored snapshot (pure; a fingerprint per event).
2. `changes` — change sets: every event of ONE read of an order (a poll, a push re-read, the first read after an
   outage) is one change set, fingerprinted from its events' fingerprints; items that moved alike are grouped.
3. `routing` — where it goes and whom it names: the thread always; the channel too (`reply_broadcast`) for what
   someone must act on (an error opened, a jeopardy alert, information required) and for a final state; the
   watch's creator named when someone must act.
4. `owe` — the outbox rows one read owes (the change set, the root's edit, a "cannot read" notice), written in
   the poll's own transaction with the new snapshot: nothing owed twice, nothing lost.
5. `render` — the words, decided when the row is sent: the order named as people know it (`order_label`, its
   carrier site named through the sites cache), the main change first in the `text` a phone shows.
6. `outbox` — the sender: each row claimed, posted once (looked up first when Slack may have it already), in order
   per watch, paced per channel.

The poll job (`bot.jobs.poll`) and the push path (`bot.push`) only read orders and call `owe`; nothing else writes a
thread reply.
"""
