"""bot/ is drawn in layers and no import runs back up them: what features share sits below the features, the
features below the listeners, the listeners below the app. Lazy imports inside functions count too."""

from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]

# Lowest first. A module may import its own layer's modules (no cycle) and any layer below.
LAYERS: list[tuple[str, ...]] = [
    (
        "bot.settings",
        "bot.i18n",
        "bot.context",
        "bot.leases",
        "bot.audit",
        "bot.simulator",
        "bot.metrics",
        "bot.backend_health",
        "bot.sites",
        "bot.usergroups",
        "bot.notify.pace",
        "bot.history",
    ),
    ("bot.commands", "bot.notify.diff", "bot.notify.changes"),
    ("bot.blocks", "bot.notify.render", "bot.notify.routing", "bot.history.keep"),
    ("bot.slack", "bot.files"),
    ("bot.queries", "bot.history.blocks"),
    ("bot.watching",),
    (
        "bot.approvals",
        "bot.subscriptions",
        "bot.digests",
        "bot.channel_settings",
        "bot.history.commands",
        "bot.history.weekly",
    ),
    ("bot.notify", "bot.notify.owe"),
    ("bot.jobs", "bot.push", "bot.notify.outbox"),
    ("bot.listeners",),
    ("bot.app", "bot.socket_mode", "bot.web_client", "bot.slack_front"),
    ("bot.runner", "bot.demo", "bot.cli", "bot"),
]


def _layer(module: str) -> int:
    best = None
    for rank, prefixes in enumerate(LAYERS):
        for prefix in prefixes:
            if (module == prefix or module.startswith(prefix + ".")) and (best is None or len(prefix) > best[1]):
                best = (rank, len(prefix))
    assert best is not None, f"{module} is in no layer: add it to LAYERS"
    return best[0]


def _module(path: Path) -> str:
    parts = path.relative_to(ROOT).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


MODULES = {_module(p) for p in (ROOT / "bot").rglob("*.py")}


def _imports(path: Path) -> set[str]:
    module = _module(path)
    package = module if path.name == "__init__.py" else module.rpartition(".")[0]
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            found |= {alias.name for alias in node.names}
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")[: len(package.split(".")) - (node.level - 1)]
                name = ".".join([*base, node.module] if node.module else base)
            else:
                name = node.module or ""
            # `from bot import approvals`, `from . import policy`: the submodule, when it is one
            found |= {f"{name}.{a.name}" if f"{name}.{a.name}" in MODULES else name for a in node.names}
    return {name for name in found if name == "bot" or name.startswith("bot.")}


def _graph() -> dict[str, set[str]]:
    return {_module(p): _imports(p) for p in (ROOT / "bot").rglob("*.py")}


def test_no_import_runs_back_up_the_layers() -> None:
    upward = [
        f"{module} (layer {_layer(module)}) imports {target} (layer {_layer(target)})"
        for module, targets in _graph().items()
        for target in targets
        if _layer(target) > _layer(module)
    ]
    assert upward == []


def test_no_import_cycle_inside_bot() -> None:
    graph = _graph()
    modules = set(graph)

    def resolve(name: str) -> str | None:
        while name and name not in modules:
            name = name.rpartition(".")[0]
        return name or None

    edges = {m: {t for t in (resolve(n) for n in targets) if t is not None and t != m} for m, targets in graph.items()}
    seen: dict[str, int] = {}
    cycle: list[str] = []

    def visit(node: str, path: list[str]) -> bool:
        seen[node] = 1
        for nxt in sorted(edges[node]):
            if seen.get(nxt) == 1:
                cycle.extend([*path, node, nxt])
                return True
            if nxt not in seen and visit(nxt, [*path, node]):
                return True
        seen[node] = 2
        return False

    for start in sorted(edges):
        if start not in seen and visit(start, []):
            break
    assert cycle == []
