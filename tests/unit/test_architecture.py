"""The layering rule of STYLE.md, checked on the source text (nothing is imported).

Layers import one way: model <- sandbox <- runtimes <- invoker <- services <- edges. Every
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

#: Layer -> the only layers it may import from (``lambent.<layer>``).
ALLOWED: dict[str, frozenset[str]] = {
    "errors": frozenset(),
    "model": frozenset({"errors", "model"}),
    "sandbox": frozenset({"model", "errors", "sandbox"}),
    "runtimes": frozenset({"model", "errors", "sandbox", "runtimes"}),
    "store": frozenset({"model", "errors", "store"}),
}
#: Layer -> layers it must not import from.
FORBIDDEN: dict[str, frozenset[str]] = {
    "invoker": frozenset({"services", "api", "cli", "store"}),
    "services": frozenset({"api", "cli"}),
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


def test_the_tree_has_the_layers_the_rules_name() -> None:
    layers = {layer_of(name) for name in MODULES}
    assert set(ALLOWED) | set(FORBIDDEN) <= layers
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


# --- the rule ----------------------------------------------------------------------------


def violations(module: str, path: Path, known: set[str]) -> list[str]:
    layer = layer_of(module)
    bad: list[str] = []
    for target in sorted(lambent_imports(module, path, known)):
        target_layer = layer_of(target)
        if layer in ALLOWED and target_layer not in ALLOWED[layer]:
            bad.append(target)
        if layer in FORBIDDEN and target_layer in FORBIDDEN[layer]:
            bad.append(target)
    return bad


@pytest.mark.parametrize("module", sorted(MODULES))
def test_module_imports_no_layer_above_it(module: str) -> None:
    assert violations(module, MODULES[module], KNOWN) == []


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
