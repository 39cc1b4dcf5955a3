"""A stateful fake of Orange's carrier, wholesale and business APIs (see README.md)."""

from __future__ import annotations

from .app import create_app
from .server import RunningSandbox, running, serve
from .state import SandboxState

__all__ = ["RunningSandbox", "SandboxState", "create_app", "running", "serve"]
