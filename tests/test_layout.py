"""The layout as checked facts: the import-linter contracts, no circle across sub-packages, and every import
inside a function saying which circle it breaks."""

import ast
import subprocess
import sys
from pathlib import Path

import grimp

ROOT = Path(__file__).resolve().parent.parent
PACKAGES = ("portal", "clusters", "procedures")
SEAM = {("procedures.execution.dispatch", "procedures.execution.engine")}  # also ignored in pyproject.toml


def test_import_linter_contracts_are_kept():
    lint = Path(sys.executable).with_name("lint-imports")
    done = subprocess.run([str(lint), "--no-logo", "--no-cache"], cwd=ROOT, capture_output=True, text=True)
    assert done.returncode == 0, done.stdout + done.stderr


def _sub_package(module: str) -> str:
    parts = module.split(".")
    return ".".join(parts[:2])


def _strongly_connected(graph: dict[str, set[str]]) -> list[set[str]]:
    """Tarjan's algorithm, iterative: the import circles of the project's modules."""
    index, low, on_stack, stack, found, counter = {}, {}, set(), [], [], [0]
    for start in graph:
        if start in index:
            continue
        work = [(start, iter(sorted(graph[start])))]
        index[start] = low[start] = counter[0]
        counter[0] += 1
        stack.append(start)
        on_stack.add(start)
        while work:
            node, children = work[-1]
            for child in children:
                if child not in index:
                    index[child] = low[child] = counter[0]
                    counter[0] += 1
                    stack.append(child)
                    on_stack.add(child)
                    work.append((child, iter(sorted(graph.get(child, ())))))
                    break
                if child in on_stack:
                    low[node] = min(low[node], index[child])
            else:
                work.pop()
                if work:
                    low[work[-1][0]] = min(low[work[-1][0]], low[node])
                if low[node] == index[node]:
                    component = set()
                    while True:
                        member = stack.pop()
                        on_stack.discard(member)
                        component.add(member)
                        if member == node:
                            break
                    found.append(component)
    return found


def test_no_import_circle_between_modules_of_different_sub_packages():
    graph = grimp.build_graph(*PACKAGES)
    edges = {
        module: {
            imported
            for imported in graph.find_modules_directly_imported_by(module)
            if (module, imported) not in SEAM and not imported.endswith(".migrations")
        }
        for module in graph.modules
        if ".migrations" not in module and ".tests" not in module
    }
    circles = [c for c in _strongly_connected(edges) if len(c) > 1 and len({_sub_package(m) for m in c}) > 1]
    assert circles == []


def _function_local_imports(path: Path):
    tree = ast.parse(path.read_text(), filename=str(path))
    for function in ast.walk(tree):
        if isinstance(function, ast.FunctionDef | ast.AsyncFunctionDef):
            for node in ast.walk(function):
                if isinstance(node, ast.Import | ast.ImportFrom):
                    yield node


def test_function_local_imports_say_which_circle_they_break():
    lines_without_reason = []
    for package in PACKAGES:
        for path in (ROOT / package).rglob("*.py"):
            if "migrations" in path.parts:
                continue
            source = path.read_text().splitlines()
            for node in _function_local_imports(path):
                here = source[node.lineno - 1]
                above = source[node.lineno - 2] if node.lineno > 1 else ""
                if "#" not in here and not above.strip().startswith("#"):
                    lines_without_reason.append(f"{path.relative_to(ROOT)}:{node.lineno}: {here.strip()}")
    assert lines_without_reason == []
