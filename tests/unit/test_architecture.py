"""The layering rule of STYLE.md, checked on the source text (nothing is imported).

Layers import one way (LAYERS below, bottom up), and no modules import each other in a circle. Every
``import`` and ``from ... import`` counts, wherever it stands (inside a function, under
``if TYPE_CHECKING:``), because a lazy import of a layer above is still a dependency on it.
"""

from __future__ import annotations

import ast
import sys
from pathlib import Path

import pytest

SRC = Path(__file__).resolve().parents[2] / "src"
PACKAGE = SRC / "lambent"
BOOTSTRAP = PACKAGE / "runtimes" / "python" / "bootstrap.py"
INSIDE = "lambent.sandbox.inside"
#: What the platform's side may take from the in-sandbox package: bindings and message shapes,
#: never the program (the zygote's loops run only under the function's interpreter).
INSIDE_SHARED = frozenset({f"{INSIDE}.libc", f"{INSIDE}.loop", f"{INSIDE}.wire"})

#: Each part of the package (``lambent.<part>``), bottom up, with the only parts it may import
#: besides itself. A part missing here fails the first test: every new package takes a place.
LAYERS: dict[str, frozenset[str]] = {
    "": frozenset(),  # lambent/__init__.py
    "errors": frozenset(),
    "clock": frozenset(),
    "model": frozenset({"errors"}),
    "settings": frozenset({"errors"}),
    "sandbox": frozenset({"errors", "clock", "model"}),
    "runtimes": frozenset({"errors", "model", "sandbox"}),
    "store": frozenset({"errors", "clock", "model"}),
    "invoker": frozenset({"errors", "clock", "model", "sandbox", "runtimes"}),
    # pollers: each source's client and AWS's batching rules; they invoke through what they are given
    "sources": frozenset({"errors", "clock", "model", "store"}),
    "services": frozenset({"errors", "clock", "model", "runtimes", "invoker", "store", "sources"}),
    "runtime_api": frozenset({"errors", "model", "invoker"}),
    "api": frozenset({"errors", "clock", "model", "settings", "services"}),
    # beside api: it shares the SigV4 verifier, the body reader and the guard's caller and context
    "ingress": frozenset({"errors", "clock", "model", "settings", "services", "api"}),
    # beside api: the same services, and the guard's access check for the signed-in principal
    "console": frozenset({"errors", "clock", "model", "settings", "services", "api"}),
    "server": frozenset(
        {
            "console",
            "errors",
            "clock",
            "model",
            "settings",
            "sandbox",
            "runtimes",
            "store",
            "invoker",
            "sources",
            "services",
            "runtime_api",
            "api",
            "ingress",
        }
    ),
    "cli": frozenset({"errors", "model", "settings", "runtimes", "server"}),
}
#: Single modules a part may import from a part above it, each with its reason.
EXCEPTIONS: dict[tuple[str, str], str] = {
    ("runtime_api", "lambent.api.body"): "both edges read bodies with the one bounded reader",
    ("api", "lambent.sandbox"): "the health endpoint reports the sandbox's protections (its Protection record)",
}


def module_name(path: Path, root: Path = SRC) -> str:
    parts = list(path.relative_to(root).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def all_modules(package: Path = PACKAGE) -> dict[str, Path]:
    return {module_name(path, package.parent): path for path in sorted(package.rglob("*.py"))}


def imported_modules(source: str, module: str, is_package: bool, known: set[str]) -> set[str]:
    """Every absolute module name *source* imports, relative imports resolved.

    ``from pkg import name`` counts as importing ``pkg.name`` when that is a module in *known*,
    otherwise as importing ``pkg``.
    """
    found: set[str] = set()
    own_package = module.split(".") if is_package else module.split(".")[:-1]
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                anchor = own_package[: len(own_package) - (node.level - 1)]
                base = ".".join([*anchor, *([node.module] if node.module else [])])
            else:
                base = node.module or ""
            for alias in node.names:
                candidate = f"{base}.{alias.name}"
                found.add(candidate if candidate in known else base)
    return found


def layer_of(module: str) -> str:
    parts = module.split(".")
    return parts[1] if len(parts) > 1 else ""


def lambent_imports(module: str, path: Path, known: set[str]) -> set[str]:
    names = imported_modules(path.read_text(), module, path.name == "__init__.py", known)
    return {name for name in names if name == "lambent" or name.startswith("lambent.")}


MODULES = all_modules()
KNOWN = set(MODULES)


def test_every_part_of_the_tree_has_a_place_in_the_layers() -> None:
    parts = {layer_of(name) for name in MODULES}
    assert parts == set(LAYERS), f"unplaced: {sorted(parts - set(LAYERS))}, gone: {sorted(set(LAYERS) - parts)}"
    assert "lambent.model.arns" in MODULES
    assert "lambent.services.packages" in MODULES


# --- the import extractor itself: a checker that sees nothing would pass every rule ---------


def test_extractor_sees_plain_from_and_nested_imports() -> None:
    source = (
        "import os\n"
        "import lambent.api.app as app\n"
        "from lambent.errors import ApiError\n"
        "def f():\n"
        "    from lambent.services.packages import PackageStore\n"
        "class C:\n"
        "    def g(self):\n"
        "        import lambent.cli.main\n"
        "if TYPE_CHECKING:\n"
        "    from lambent.store import Store\n"
    )
    known = {"lambent.api.app", "lambent.errors", "lambent.services.packages", "lambent.cli.main", "lambent.store"}
    assert imported_modules(source, "lambent.model.x", False, known) == {
        "os",
        "lambent.api.app",
        "lambent.errors",
        "lambent.services.packages",
        "lambent.cli.main",
        "lambent.store",
    }


def test_extractor_resolves_relative_and_package_member_imports() -> None:
    known = {"lambent", "lambent.model", "lambent.model.arns", "lambent.services", "lambent.services.functions"}
    source = "from . import arns\nfrom ..services import functions\nfrom .. import services\nfrom lambent import model\n"
    assert imported_modules(source, "lambent.model.function", False, known) == {
        "lambent.model.arns",
        "lambent.services.functions",
        "lambent.services",
        "lambent.model",
    }
    # In a package's __init__, "." is the package itself.
    assert imported_modules("from .arns import LATEST\n", "lambent.model", True, known) == {"lambent.model.arns"}


def test_checker_reports_an_upward_import(tmp_path: Path) -> None:
    package = tmp_path / "lambent"
    (package / "model").mkdir(parents=True)
    (package / "api").mkdir()
    for init in (package / "__init__.py", package / "model" / "__init__.py", package / "api" / "__init__.py"):
        init.write_text("")
    (package / "api" / "app.py").write_text("")
    bad = package / "model" / "bad.py"
    bad.write_text("def f():\n    from ..api import app\n")
    modules = all_modules(package)
    assert set(modules) == {"lambent", "lambent.model", "lambent.api", "lambent.model.bad", "lambent.api.app"}
    assert violations("lambent.model.bad", bad, set(modules)) == ["lambent.api.app"]


def test_checker_reports_a_circle_inside_a_package_and_an_unplaced_part(tmp_path: Path) -> None:
    package = tmp_path / "lambent"
    (package / "sandbox").mkdir(parents=True)
    (package / "gadgets").mkdir()
    for init in (package / "__init__.py", package / "sandbox" / "__init__.py", package / "gadgets" / "__init__.py"):
        init.write_text("")
    (package / "sandbox" / "a.py").write_text("from lambent.sandbox import b\n")
    (package / "sandbox" / "b.py").write_text("from typing import TYPE_CHECKING\nif TYPE_CHECKING:\n    from .c import C\n")
    (package / "sandbox" / "c.py").write_text("def f():\n    from lambent.sandbox.a import x\n")
    (package / "sandbox" / "d.py").write_text("from lambent.sandbox import a\n")  # into the circle, not part of it
    (package / "gadgets" / "g.py").write_text("from lambent.sandbox import d\n")
    modules = all_modules(package)
    assert circles(modules) == [["lambent.sandbox.a", "lambent.sandbox.b", "lambent.sandbox.c"]]
    assert violations("lambent.gadgets.g", modules["lambent.gadgets.g"], set(modules)) == ["lambent.sandbox.d"]
    assert violations("lambent.sandbox.d", modules["lambent.sandbox.d"], set(modules)) == []


# --- the rule ----------------------------------------------------------------------------


def violations(module: str, path: Path, known: set[str]) -> list[str]:
    """The imports of *module* that reach a part its layer may not import (an unplaced part may
    import nothing of lambent's)."""
    layer = layer_of(module)
    allowed = LAYERS.get(layer, frozenset()) | {layer}
    return [
        target
        for target in sorted(lambent_imports(module, path, known))
        if layer_of(target) not in allowed and (layer, target) not in EXCEPTIONS
    ]


def circles(modules: dict[str, Path]) -> list[list[str]]:
    """Every set of modules that import each other in a loop (Tarjan's strongly connected
    components of more than one module, or one that imports itself), each sorted."""
    known = set(modules)
    graph = {name: sorted(t for t in lambent_imports(name, path, known) if t in known) for name, path in modules.items()}
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for target in graph[node]:
            if target not in index:
                visit(target)
                low[node] = min(low[node], low[target])
            elif target in on_stack:
                low[node] = min(low[node], index[target])
        if low[node] == index[node]:
            component = []
            while True:
                member = stack.pop()
                on_stack.discard(member)
                component.append(member)
                if member == node:
                    break
            if len(component) > 1 or node in graph[node]:
                found.append(sorted(component))

    for name in sorted(graph):
        if name not in index:
            visit(name)
    return sorted(found)


@pytest.mark.parametrize("module", sorted(MODULES))
def test_module_imports_no_layer_above_it(module: str) -> None:
    assert violations(module, MODULES[module], KNOWN) == []


def test_no_modules_import_each_other_in_a_circle() -> None:
    # A package's __init__ that only names its submodules' exports would be a circle with them.
    assert circles(MODULES) == []


def test_python_bootstrap_imports_only_the_standard_library() -> None:
    tree = ast.parse(BOOTSTRAP.read_text())
    roots: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            roots.update(alias.name.split(".")[0] for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            assert node.level == 0, f"relative import at line {node.lineno}"
            roots.add((node.module or "").split(".")[0])
    assert roots, "the bootstrap imports nothing: the parse found no imports"
    assert {"json", "socket"} <= roots
    assert sorted(roots - set(sys.stdlib_module_names)) == []


def stdlib_roots(path: Path) -> tuple[set[str], int]:
    """The top-level names *path* imports absolutely, and how many relative imports it has."""
    roots: set[str] = set()
    relative = 0
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            roots.update(alias.name.split(".")[0] for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                relative += 1
            else:
                roots.add((node.module or "").split(".")[0])
    return roots - {"__future__"}, relative


def test_the_sandbox_inside_imports_only_the_standard_library_and_itself() -> None:
    inside = {name: path for name, path in MODULES.items() if name == INSIDE or name.startswith(f"{INSIDE}.")}
    assert len(inside) > 5, "the in-sandbox package was not found"
    relative_total = 0
    for name, path in inside.items():
        roots, relative = stdlib_roots(path)
        relative_total += relative
        assert sorted(roots - set(sys.stdlib_module_names)) == [], name
    assert relative_total > 0, "the inside's modules import each other relatively: the parse found none"


def test_the_platform_takes_only_bindings_and_message_shapes_from_the_inside() -> None:
    for name, path in MODULES.items():
        if name == INSIDE or name.startswith(f"{INSIDE}."):
            continue
        reached = {t for t in lambent_imports(name, path, KNOWN) if t == INSIDE or t.startswith(f"{INSIDE}.")}
        assert reached <= INSIDE_SHARED, (name, sorted(reached - INSIDE_SHARED))


# --- the tests' rule: no test module imports another (docs/design.md) -----------------------

TESTS = SRC.parent / "tests"


def suites_of(tests: Path) -> frozenset[str]:
    """The test suites: every package of *tests* but ``fixtures``, where shared helpers live."""
    return frozenset(p.name for p in tests.iterdir() if (p / "__init__.py").is_file()) - {"fixtures"}


def modules_under(tests: Path) -> dict[str, Path]:
    return {module_name(path, tests.parent): path for path in sorted(tests.rglob("*.py"))}


def suite_of(module: str) -> str | None:
    """The part of ``tests`` *module* is in (``unit`` for ``tests.unit.model.test_arns``), if any."""
    parts = module.split(".")
    return parts[1] if len(parts) > 1 and parts[0] == "tests" else None


def reached_suite_modules(module: str, path: Path, known: set[str], suites: frozenset[str]) -> list[str]:
    """The modules of a test suite (``tests.<suite>``, the package or anything in it) that *module*
    imports, but for a ``conftest`` of its own folder or one above it."""
    is_package = path.name == "__init__.py"
    package = module.split(".") if is_package else module.split(".")[:-1]
    own_conftests = {".".join([*package[:depth], "conftest"]) for depth in range(1, len(package) + 1)}
    return sorted(
        target
        for target in imported_modules(path.read_text(), module, is_package, known)
        if suite_of(target) in suites and target not in own_conftests
    )


def test_checker_reports_a_test_module_importing_another(tmp_path: Path) -> None:
    tests = tmp_path / "tests"
    for folder in ("unit/model", "unit/store", "acceptance", "fixtures"):
        (tests / folder).mkdir(parents=True)
    for init in ("", "unit", "unit/model", "unit/store", "acceptance", "fixtures"):
        (tests / init / "__init__.py").write_text("")
    for name in ("conftest.py", "unit/conftest.py", "unit/model/test_a.py", "unit/store/test_b.py", "fixtures/worlds.py"):
        (tests / name).write_text("")
    (tests / "acceptance" / "test_c.py").write_text(
        "from tests.fixtures.worlds import World\n"  # shared helpers: allowed
        "from tests.unit import conftest\n"  # another folder's conftest: not its own
        "def f():\n"
        "    from tests.unit.model.test_a import CASES\n"
    )
    (tests / "unit" / "store" / "test_d.py").write_text(
        "from tests import conftest\n"  # its own conftests, up the tree: allowed
        "from tests.unit.conftest import x\n"
        "from .test_b import latest\n"
        "import tests.unit.model.test_a\n"
    )
    modules = modules_under(tests)
    suites = suites_of(tests)
    assert suites == {"unit", "acceptance"}
    known = set(modules)
    assert reached_suite_modules("tests.acceptance.test_c", modules["tests.acceptance.test_c"], known, suites) == [
        "tests.unit.conftest",
        "tests.unit.model.test_a",
    ]
    assert reached_suite_modules("tests.unit.store.test_d", modules["tests.unit.store.test_d"], known, suites) == [
        "tests.unit.model.test_a",
        "tests.unit.store.test_b",
    ]
    assert reached_suite_modules("tests.fixtures.worlds", modules["tests.fixtures.worlds"], known, suites) == []


def test_no_test_module_imports_another() -> None:
    # What several tests share lives in tests/fixtures/; conftest.py files turn it into fixtures.
    modules = modules_under(TESTS)
    suites = suites_of(TESTS)
    assert {"unit", "acceptance", "security", "conformance"} <= suites
    known = set(modules)
    assert "tests.fixtures.functions_world" in imported_modules(
        modules["tests.unit.services.test_functions_service"].read_text(),
        "tests.unit.services.test_functions_service",
        False,
        known,
    ), "the extractor sees no test's imports"
    reached = {name: reached_suite_modules(name, path, known, suites) for name, path in modules.items()}
    assert {name: targets for name, targets in reached.items() if targets} == {}
