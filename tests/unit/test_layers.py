"""The layer order of `src/healthcode` (docs/architecture.md, "The layout"), read from the imports.

A module may import its own package and any package of a lower layer, never one of its own layer
or above. Every import counts, including those inside functions and under TYPE_CHECKING: a
lazy import is still a dependency. A new top-level package fails until it is placed in the order.
"""

from __future__ import annotations

import ast
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Final

import pytest

SOURCE: Final = Path(__file__).resolve().parents[2] / "src" / "healthcode"

# Highest first. Within a layer, packages are independent of each other.
LAYERS: Final[tuple[frozenset[str], ...]] = (
    frozenset({"__init__", "__main__"}),  # `python -m healthcode`
    frozenset({"cli"}),  # commands: parse, call a use case, print (`serve` starts the web app)
    frozenset({"web"}),  # HTTP: parse, call a use case, render
    # The demo population, loaded through the use cases; the task broker, an edge adapter like the
    # web that sends partitions of population jobs to workers (the use cases never import it).
    frozenset({"demo", "tasks"}),
    frozenset({"services"}),  # use cases, one transaction each; the wiring (services/runtime.py)
    # Stores, output shapes, bundled rules; foreign certificates' verifiers, on the signed layers.
    frozenset({"db", "presenters", "rulesets", "clock", "foreign"}),
    frozenset({"exchange", "tokens"}),  # wire formats: department files, signed documents
    frozenset({"domain"}),  # the pure core: facts, features, rules, decisions
    # rule evaluation, cryptography, config, a small cache of recently used values
    frozenset({"certlogic", "security", "settings", "recent"}),
)
# Stores are built by the unit of work only; everything else reaches them as `uow.<store>`.
STORE_BUILDERS: Final = ("db", "services/runtime.py")
# The doors (commands, routes, pages) read personal data only through a use case that audits it.
DOORS: Final = ("cli/", "web/")
PERSONAL_STORES: Final = frozenset(
    {"people", "facts", "states", "appeals", "applications", "residents", "staff", "clients"}
    | {"sessions", "one_time_codes", "outbox", "code_subjects", "venues", "institutions"}
)


def layer_of(package: str) -> int | None:
    return next((index for index, layer in enumerate(LAYERS) if package in layer), None)


def imported(tree: ast.AST) -> Iterator[tuple[int, str]]:
    """(line, module) of every `healthcode` import in a module, wherever it stands."""
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and node.level:
            yield node.lineno, "." * node.level + (node.module or "")
        elif isinstance(node, ast.ImportFrom) and node.module:
            yield node.lineno, node.module
        elif isinstance(node, ast.Import):
            yield from ((node.lineno, alias.name) for alias in node.names)


def top_package(module: str) -> str | None:
    parts = module.split(".")
    return parts[1] if parts[0] == "healthcode" and len(parts) > 1 else None


def layer_problems(sources: Mapping[str, str]) -> list[str]:
    """Each import that runs upward or sideways, as `path:line: what`; sources by path."""
    problems = []
    for path, text in sorted(sources.items()):
        here = path.split("/")[0].removesuffix(".py")
        own = layer_of(here)
        if own is None:
            problems.append(f"{path}: package {here!r} is in no layer of LAYERS")
            continue
        for line, module in imported(ast.parse(text)):
            if module.startswith("."):
                problems.append(f"{path}:{line}: relative import {module!r}: import absolutely")
                continue
            target = top_package(module)
            if target is None or target == here:
                continue
            there = layer_of(target)
            if there is None or there <= own:
                problems.append(f"{path}:{line}: {here} imports {module}, not of a lower layer")
    return problems


def store_problems(sources: Mapping[str, str]) -> list[str]:
    """Each `…Store(…)` built outside the stores and the unit of work."""
    problems = []
    for path, text in sorted(sources.items()):
        if path.startswith(STORE_BUILDERS):
            continue
        calls = (node for node in ast.walk(ast.parse(text)) if isinstance(node, ast.Call))
        for call in calls:
            if isinstance(call.func, ast.Name) and call.func.id.endswith("Store"):
                problems.append(f"{path}:{call.lineno}: {call.func.id}(…): use uow.<store>")
    return problems


def door_problems(sources: Mapping[str, str]) -> list[str]:
    """Each store of personal data a command or a route reads without a use case."""
    problems = []
    for path, text in sorted(sources.items()):
        if not path.startswith(DOORS):
            continue
        for node in ast.walk(ast.parse(text)):
            if (
                isinstance(node, ast.Attribute)
                and isinstance(node.value, ast.Name)
                and node.value.id == "uow"
                and node.attr in PERSONAL_STORES
            ):
                problems.append(f"{path}:{node.lineno}: uow.{node.attr}: read it in a use case")
    return problems


def package_cycles(sources: Mapping[str, str]) -> list[str]:
    """Sibling packages that import each other (`services.appeals` ⇄ `services.households`)."""
    edges: set[tuple[str, str]] = set()
    for path, text in sources.items():
        here = "healthcode." + ".".join(path.split("/")[:-1])
        for _, module in imported(ast.parse(text)):
            there = module.split(".")[: here.count(".") + 1]
            if ".".join(there[:-1]) == here.rsplit(".", 1)[0] and ".".join(there) != here:
                edges.add((here, ".".join(there)))
    return sorted(f"{a} ⇄ {b}" for a, b in edges if (b, a) in edges and a < b)


def tree_sources() -> dict[str, str]:
    return {
        path.relative_to(SOURCE).as_posix(): path.read_text(encoding="utf-8")
        for path in SOURCE.rglob("*.py")
    }


def test_no_module_imports_upward_or_sideways() -> None:
    assert layer_problems(tree_sources()) == []


def test_no_package_imports_a_sibling_that_imports_it_back() -> None:
    assert package_cycles(tree_sources()) == []


def test_the_cycle_check_catches_siblings_importing_each_other() -> None:
    sources = {
        "services/appeals/a.py": "from healthcode.services.households.b import x\n",
        "services/households/b.py": "from healthcode.services.appeals.a import y\n",
        "services/runtime.py": "",
    }

    assert package_cycles(sources) == [
        "healthcode.services.appeals ⇄ healthcode.services.households"
    ]
    del sources["services/households/b.py"]
    assert package_cycles(sources) == []


def test_doors_read_personal_data_only_through_use_cases__D2() -> None:
    assert door_problems(tree_sources()) == []


def test_the_door_check_catches_a_route_reading_a_store() -> None:
    route = "def page(uow):\n    return uow.people.find(key), uow.rulesets.all()\n"

    assert door_problems({"web/pages/x.py": route}) == [
        "web/pages/x.py:2: uow.people: read it in a use case"
    ]
    assert door_problems({"services/x.py": route}) == []


def test_stores_are_reached_only_from_a_unit_of_work() -> None:
    assert store_problems(tree_sources()) == []


def _upward(path: str, module: str, line: int = 1) -> str:
    return f"{path}:{line}: {path.split('/', maxsplit=1)[0]} imports {module}, not of a lower layer"


@pytest.mark.parametrize(
    ("path", "text", "expected"),
    [
        pytest.param("domain/x.py", "from healthcode.certlogic import evaluate\n", [], id="down"),
        pytest.param("web/x.py", "from healthcode.domain.rules import Colour\n", [], id="far-down"),
        pytest.param(
            "cli/x.py", "from healthcode.web import create_app\n", [], id="cli-starts-web"
        ),
        pytest.param("services/x.py", "import healthcode.services.runtime\n", [], id="own"),
        pytest.param(
            "domain/x.py",
            "from healthcode.services.runtime import UnitOfWork\n",
            [_upward("domain/x.py", "healthcode.services.runtime")],
            id="up",
        ),
        pytest.param(
            "web/x.py",
            "def later():\n    from healthcode.cli.worker import worker\n",
            [_upward("web/x.py", "healthcode.cli.worker", line=2)],
            id="lazy-up",
        ),
        pytest.param(
            "db/x.py",
            "from healthcode.presenters import decision_json\n",
            [_upward("db/x.py", "healthcode.presenters")],
            id="sideways",
        ),
        pytest.param(
            "tokens/x.py",
            "import healthcode.exchange.fields\n",
            [_upward("tokens/x.py", "healthcode.exchange.fields")],
            id="sideways-import",
        ),
        pytest.param(
            "services/x.py",
            "from healthcode.newthing import y\n",
            [_upward("services/x.py", "healthcode.newthing")],
            id="unplaced-target",
        ),
        pytest.param(
            "newthing/x.py",
            "",
            ["newthing/x.py: package 'newthing' is in no layer of LAYERS"],
            id="unplaced-package",
        ),
        pytest.param(
            "db/x.py",
            "from . import schema\n",
            ["db/x.py:1: relative import '.': import absolutely"],
            id="relative",
        ),
    ],
)
def test_the_layer_check_catches_what_it_should(path: str, text: str, expected: list[str]) -> None:
    assert layer_problems({path: text}) == expected


def test_the_store_check_catches_a_store_built_by_hand() -> None:
    built = "def f(uow):\n    return VenueStore(uow.connection)\n"

    assert store_problems({"services/x.py": built}) == [
        "services/x.py:2: VenueStore(…): use uow.<store>"
    ]
    assert store_problems({"db/venues_store.py": built, "services/runtime.py": built}) == []
