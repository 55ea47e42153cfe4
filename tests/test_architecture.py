"""The shape the code keeps: dependencies point one way (integrations → accounting → sifi),
the ledger names no accounting system, only a provider's own package (beside the registry in
settings, migrations and the demo seeding) names it, and no module imports back into one that
imports it.
Read from the source (imports at any depth, including inside functions)."""

import ast
import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
APPS = ("sifi", "accounting", "integrations")


def _modules() -> dict[str, Path]:
    found = {}
    for app in APPS:
        for path in (ROOT / app).rglob("*.py"):
            if "migrations" in path.parts:
                continue
            name = ".".join(path.relative_to(ROOT).with_suffix("").parts)
            found[name.removesuffix(".__init__")] = path
    return found


def _imports(path: Path, modules: dict[str, Path]) -> set[str]:
    targets = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.ImportFrom) and node.module:
            for alias in node.names:
                submodule = f"{node.module}.{alias.name}"
                targets.add(submodule if submodule in modules else node.module)
        elif isinstance(node, ast.Import):
            targets.update(alias.name for alias in node.names)
    return {target for target in targets if target in modules}


def _graph() -> dict[str, set[str]]:
    modules = _modules()
    return {name: _imports(path, modules) - {name} for name, path in modules.items()}


def test_the_ledger_never_imports_the_integrations_app():
    offending = {
        module: sorted(target for target in targets if target.startswith("integrations"))
        for module, targets in _graph().items()
        if module.startswith("accounting")
    }
    assert {module: targets for module, targets in offending.items() if targets} == {}


def test_the_ledger_names_no_accounting_system():
    named = [
        f"{path.relative_to(ROOT)}:{number}"
        for name, path in _modules().items()
        if name.startswith("accounting")
        for number, line in enumerate(path.read_text().splitlines(), 1)
        if re.search(r"qoyod|odoo|zoho|wafeq", line, re.IGNORECASE)
    ]
    assert named == []


def test_the_core_imports_neither_app_it_serves():
    """Tenancy, roles, audit and errors know no app; only the project's wiring (URLs,
    management commands) puts the apps together."""
    wiring = ("sifi.urls", "sifi.management")
    offending = sorted(
        f"{module} → {target}"
        for module, targets in _graph().items()
        if module.startswith("sifi") and not module.startswith(wiring)
        for target in targets
        if target.startswith(("accounting", "integrations"))
    )
    assert offending == []


def test_no_module_imports_back_into_one_that_imports_it():
    graph = _graph()
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    cycles: list[list[str]] = []

    def visit(module: str) -> None:  # Tarjan's strongly connected components
        index[module] = low[module] = len(index)
        stack.append(module)
        for target in graph[module]:
            if target not in index:
                visit(target)
                low[module] = min(low[module], low[target])
            elif target in stack:
                low[module] = min(low[module], index[target])
        if low[module] == index[module]:
            component = []
            while True:
                member = stack.pop()
                component.append(member)
                if member == module:
                    break
            if len(component) > 1:
                cycles.append(sorted(component))

    for module in graph:
        if module not in index:
            visit(module)
    assert cycles == []


# Where an accounting system may be named: its own package, the registry and its settings, the
# migrations and translations (history and words), and the demo seeding command.
_NAMING_ALLOWED = ("sifi/settings.py", "sifi/management/commands/seed_demo.py")


def test_only_a_providers_own_package_names_it():
    names = ("qoyod", "odoo", "zoho", "wafeq")
    named = []
    for top in ("sifi", "accounting", "integrations", "templates", "static"):
        for path in (ROOT / top).rglob("*"):
            relative = path.relative_to(ROOT).as_posix()
            if not path.is_file() or path.suffix not in (".py", ".html", ".js", ".css", ".txt"):
                continue
            if "migrations" in path.parts or relative in _NAMING_ALLOWED:
                continue
            text = path.read_text(encoding="utf-8").lower()
            package = re.match(r"integrations/providers/(\w+)/", relative)
            for name in names:
                if package and package.group(1).startswith(name):
                    continue
                if name in text:
                    named.append(f"{relative}: {name}")
    assert named == []
