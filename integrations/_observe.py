"""What the client reports to whoever watches it (the bot's metrics): each request's outcome, each token fetched.

    class Counting:
        def request_done(self, backend: str, operation: str, outcome: str) -> None: ...
        def token_fetched(self, backend: str) -> None: ...

    OrangeClient(settings, observer=Counting())

`outcome` is the HTTP status as text (`"200"`, `"404"`), or `"timeout"` / `"unreachable"`. Never a secret: the
operation is a name of ours ("get order"), not a URL.
"""

from __future__ import annotations

from typing import Protocol

__all__ = ["NO_OBSERVER", "Observer"]


class Observer(Protocol):
    def request_done(self, backend: str, operation: str, outcome: str) -> None: ...

    def token_fetched(self, backend: str) -> None: ...


class _Nobody:
    def request_done(self, backend: str, operation: str, outcome: str) -> None:
        return None

    def token_fetched(self, backend: str) -> None:
        return None


NO_OBSERVER: Observer = _Nobody()
