"""The layering of docs/architecture.md, checked: every module of src/socketchat, parsed with ast.

For each module the socketchat imports are collected in three kinds:

- **runtime**: run when the module is imported (module level, class bodies, `try`/`if` blocks
  there, and the `else` of an `if TYPE_CHECKING`);
- **function-level**: inside a function body, run on the first call (a "lazy" import);
- **TYPE_CHECKING-only**: under `if TYPE_CHECKING:`, never run. These may point anywhere, up
  the layers included: they serve annotations only (with `from __future__ import annotations`)
  and create no import-time dependency, so they are collected but not checked.

Checked: (1) no function-level socketchat import, except the CLI's (below); (2) the runtime
import graph has no cycle; (3) each runtime import goes to the importer's own layer or one
before it in `LAYERS`. A lazy import hides a dependency from (2) and (3) — that is why (1).
"""

from __future__ import annotations

import ast
from dataclasses import dataclass
from pathlib import Path

import socketchat

SRC = Path(socketchat.__file__).resolve().parent  # src/socketchat

# The layers, lowest first: a module may import from its own layer and the layers before it,
# never after. Each layer is a list of module prefixes; a module belongs to the layer of its
# longest matching prefix. This is docs/architecture.md's "Layers" table, in the same order.
LAYERS: list[tuple[str, tuple[str, ...]]] = [
    ("package", ("socketchat", "socketchat.web")),  # __version__; the browser client's files
    ("protocol core", ("socketchat.irc",)),
    # the clients need only the protocol core; they come before storage and server so that
    # no client module can reach into them (and neither of those imports a client)
    ("clients", ("socketchat.client",)),
    ("storage", ("socketchat.storage",)),
    ("server model and core", ("socketchat.server",)),
    ("cluster replica", ("socketchat.server.cluster",)),
    ("server commands", ("socketchat.server.commands", "socketchat.server.welcome")),
    ("composition", ("socketchat.server.compose",)),
    ("transports", ("socketchat.server.net",)),
    (
        "entry points",
        (
            "socketchat.server.main",
            "socketchat.server.init",
            "socketchat.cli",
            "socketchat.__main__",
        ),
    ),
]

# Modules whose function-level socketchat imports are deliberate, and why.
LAZY_ALLOWED: dict[str, str] = {
    "socketchat.cli": (
        "each subcommand's entry point is imported when that subcommand runs, so that"
        " `socketchat chat` starts without loading the server (and `serve` without Textual)"
    ),
}


@dataclass(frozen=True, slots=True)
class Import:
    """One socketchat import: who imports what, where, and of which kind."""

    module: str  # the importing module
    target: str  # the imported module (`from a.b import c`: a.b.c if that is a module)
    line: int
    text: str  # the statement, as written
    kind: str  # "runtime", "function" or "type-checking"

    def __str__(self) -> str:
        return f"{self.module} (line {self.line}): {self.text}"


def module_name(path: Path, root: Path = SRC) -> str:
    parts = path.relative_to(root.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def all_modules(root: Path = SRC) -> dict[str, Path]:
    return {module_name(p, root): p for p in sorted(root.rglob("*.py"))}


def _is_type_checking(test: ast.expr) -> bool:
    return (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING") or (
        isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING"
    )


def collect_imports(
    module: str, source: str, known: set[str], *, package: bool = False
) -> list[Import]:
    """The socketchat imports of `module` (given its source), each with its kind. `known` are
    the module names that exist (to tell `from pkg import submodule` from a name)."""
    found: list[Import] = []
    # a module's package, for relative imports: its own name when it is a package (__init__)
    base = module.split(".") if package else module.split(".")[:-1]

    def targets(node: ast.Import | ast.ImportFrom) -> list[str]:
        if isinstance(node, ast.Import):
            return [alias.name for alias in node.names]
        if node.level:
            head = base[: len(base) - node.level + 1]
            parent = ".".join(head + ([node.module] if node.module else []))
        else:
            parent = node.module or ""
        names = [f"{parent}.{alias.name}" for alias in node.names]
        return [name if name in known else parent for name in names]

    def visit(node: ast.AST, kind: str) -> None:
        for child in ast.iter_child_nodes(node):
            if isinstance(child, ast.If) and _is_type_checking(child.test):
                for stmt in child.body:
                    visit_one(stmt, "type-checking")
                for stmt in child.orelse:
                    visit_one(stmt, kind)
            else:
                visit_one(child, kind)

    def visit_one(node: ast.AST, kind: str) -> None:
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda)):
            kind = "function" if kind == "runtime" else kind  # runs on a call, not on import
        if isinstance(node, (ast.Import, ast.ImportFrom)):
            for target in targets(node):
                if target == "socketchat" or target.startswith("socketchat."):
                    found.append(Import(module, target, node.lineno, ast.unparse(node), kind))
        elif (  # importlib.import_module("socketchat...") and __import__("socketchat...")
            isinstance(node, ast.Call)
            and ast.unparse(node.func) in {"importlib.import_module", "import_module", "__import__"}
            and node.args
            and isinstance(node.args[0], ast.Constant)
            and str(node.args[0].value).startswith("socketchat")
        ):
            target = str(node.args[0].value)
            found.append(Import(module, target, node.lineno, ast.unparse(node), kind))
        visit(node, kind)

    visit(ast.parse(source), "runtime")
    return found


def layer_of(module: str) -> int:
    best, best_len = -1, -1
    for index, (_, prefixes) in enumerate(LAYERS):
        for prefix in prefixes:
            if (module == prefix or module.startswith(prefix + ".")) and len(prefix) > best_len:
                best, best_len = index, len(prefix)
    return best


def _imports() -> list[Import]:
    modules = all_modules()
    known = set(modules)
    out: list[Import] = []
    for name, path in modules.items():
        out += collect_imports(name, path.read_text(), known, package=path.name == "__init__.py")
    return out


def find_cycle(edges: dict[str, list[Import]]) -> list[Import] | None:
    """One import cycle of the graph (the imports along it), or None."""
    state: dict[str, int] = {}  # 1: on the current path, 2: done
    path: list[Import] = []

    def dfs(node: str) -> list[Import] | None:
        state[node] = 1
        for imp in edges.get(node, []):
            if state.get(imp.target) == 1:
                # path[i].module is the i-th node from the root: the cycle starts at the target
                start = next(i for i, step in enumerate(path) if step.module == imp.target)
                return [*path[start:], imp]
            if imp.target not in state:
                path.append(imp)
                found = dfs(imp.target)
                if found:
                    return found
                path.pop()
        state[node] = 2
        return None

    for node in sorted(edges):
        if node not in state:
            found = dfs(node)
            if found:
                return found
    return None


def runtime_edges(imports: list[Import]) -> dict[str, list[Import]]:
    edges: dict[str, list[Import]] = {}
    for imp in imports:
        if imp.kind == "runtime" and imp.target != imp.module:
            edges.setdefault(imp.module, []).append(imp)
    return edges


# -- the checks ---------------------------------------------------------------------------------


def test_every_module_has_a_layer() -> None:
    missing = [name for name in all_modules() if layer_of(name) < 0]
    assert not missing, f"modules in no layer of LAYERS (add them, and to the doc): {missing}"


def test_no_function_level_socketchat_imports() -> None:
    lazy = [imp for imp in _imports() if imp.kind == "function" and imp.module not in LAZY_ALLOWED]
    assert not lazy, (
        "function-level socketchat imports hide a dependency from the layering check; import at"
        " the top (or invert the dependency: see docs/architecture.md, Layers):\n"
        + "\n".join(f"  {imp}" for imp in lazy)
    )


def test_the_runtime_import_graph_has_no_cycle() -> None:
    cycle = find_cycle(runtime_edges(_imports()))
    assert cycle is None, "an import cycle:\n" + "\n".join(f"  {imp}" for imp in cycle or [])


def test_each_module_imports_only_its_own_layer_and_those_before() -> None:
    wrong = []
    for imp in _imports():
        if imp.kind == "type-checking":
            continue  # annotations only: may point anywhere
        mine, theirs = layer_of(imp.module), layer_of(imp.target)
        if theirs > mine:
            wrong.append(f"  {imp}  ({LAYERS[mine][0]} -> {LAYERS[theirs][0]})")
    assert not wrong, (
        "imports up the layers (LAYERS, lowest first; docs/architecture.md):\n" + "\n".join(wrong)
    )


# -- the checker itself -------------------------------------------------------------------------


def test_the_collector_tells_runtime_lazy_and_type_checking_imports_apart() -> None:
    source = (
        "from typing import TYPE_CHECKING\n"
        "from socketchat.irc import message\n"
        "from . import state\n"
        "if TYPE_CHECKING:\n"
        "    from socketchat.server.core import Server\n"
        "else:\n"
        "    import socketchat.server.link\n"
        "class C:\n"
        "    def m(self):\n"
        "        from socketchat.server.commands.dispatch import dispatch\n"
        "def f():\n"
        "    importlib.import_module('socketchat.server.main')\n"
    )
    known = {"socketchat.irc.message", "socketchat.server.state"}
    got = {(i.target, i.kind) for i in collect_imports("socketchat.server.x", source, known)}
    assert got == {
        ("socketchat.irc.message", "runtime"),
        ("socketchat.server.state", "runtime"),
        ("socketchat.server.core", "type-checking"),
        ("socketchat.server.link", "runtime"),
        ("socketchat.server.commands.dispatch", "function"),
        ("socketchat.server.main", "function"),
    }


def test_the_cycle_finder_finds_a_cycle_and_names_its_imports() -> None:
    a = Import("a", "b", 1, "import b", "runtime")
    b = Import("b", "c", 2, "import c", "runtime")
    c = Import("c", "a", 3, "import a", "runtime")
    assert find_cycle({"a": [a], "b": [b], "c": [c]}) == [a, b, c]
    assert find_cycle({"a": [a], "b": [b]}) is None


def test_layers_are_the_ones_the_architecture_doc_names_in_that_order() -> None:
    doc = (SRC.parents[1] / "docs" / "architecture.md").read_text()
    section = doc.split("\n## Layers\n", 1)[1].split("\n## ", 1)[0]
    table = section.split("\n| layer |", 1)[1].split("\n\n", 1)[0]  # the first table, to its end
    rows = [line.split("|")[1].strip() for line in table.splitlines()[2:]]
    assert rows == [name for name, _ in LAYERS], "docs/architecture.md's layer table"
