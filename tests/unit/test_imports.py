"""The code asset's imports point one way: no module of lambdas/chat imports, however
indirectly, one that imports it back, and the layers import only downward. Every import
counts, those inside functions and under TYPE_CHECKING included."""

import ast
from pathlib import Path

LAMBDAS = Path(__file__).resolve().parents[2] / "lambdas"


def module_name(path: Path) -> str:
    parts = path.relative_to(LAMBDAS).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def import_graph() -> dict[str, set[str]]:
    """Each chat module and the chat modules it imports (with the packages on their way,
    whose __init__ runs first)."""
    paths = {module_name(path): path for path in (LAMBDAS / "chat").rglob("*.py")}
    graph: dict[str, set[str]] = {}
    for name, path in paths.items():
        package = name if path.name == "__init__.py" else name.rpartition(".")[0]
        named: set[str] = set()
        for node in ast.walk(ast.parse(path.read_text(), str(path))):
            if isinstance(node, ast.Import):
                named.update(alias.name for alias in node.names)
            elif isinstance(node, ast.ImportFrom):
                base = node.module or ""
                if node.level:
                    anchor = package.split(".")[: len(package.split(".")) - node.level + 1]
                    base = ".".join([*anchor, base] if base else anchor)
                named.add(base)
                named.update(f"{base}.{alias.name}" for alias in node.names)  # a submodule, if it is one
        with_packages = {".".join(n.split(".")[:i]) for n in named for i in range(1, n.count(".") + 2)}
        graph[name] = {n for n in with_packages if n in paths and n != name and not name.startswith(n + ".")}
    return graph


def cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """The strongly connected components of more than one module (Tarjan's algorithm)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    found: list[list[str]] = []

    def visit(module: str) -> None:
        index[module] = low[module] = len(index)
        stack.append(module)
        for imported in sorted(graph[module]):
            if imported not in index:
                visit(imported)
                low[module] = min(low[module], low[imported])
            elif imported in stack:
                low[module] = min(low[module], index[imported])
        if low[module] == index[module]:
            component = []
            while True:
                member = stack.pop()
                component.append(member)
                if member == module:
                    break
            if len(component) > 1:
                found.append(sorted(component))

    for module in sorted(graph):
        if module not in index:
            visit(module)
    return found


def test_no_module_imports_one_that_imports_it_back() -> None:
    # Given every module of the code asset
    graph = import_graph()
    assert "chat.services.messages" in graph

    # Then no import circle
    assert cycles(graph) == []


def test_the_cycle_check_finds_a_circle() -> None:
    assert cycles({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == [["a", "b", "c"]]


def test_layers_import_only_downward() -> None:
    # Given what each layer may not import: handlers → services → models; adapters → models
    forbidden = {
        "chat.models": ("chat.services", "chat.adapters", "chat.handlers"),
        "chat.services": ("chat.adapters", "chat.handlers"),
        "chat.adapters": ("chat.services", "chat.handlers"),
    }

    # Then no module imports upward or across
    wrong = [
        (module, imported)
        for module, imports in import_graph().items()
        for layer, others in forbidden.items()
        if module.startswith(layer + ".")
        for imported in imports
        if imported.startswith(others)
    ]
    assert wrong == []
