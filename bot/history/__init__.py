"""An order's track record: what the notifier saw, kept as history, and the timelines and reports read from it."""
