"""The rules of the house, read from the source (AST only; nothing of the project is imported).

- `shared` never imports `services`.
- A service never imports another service. The composition roots `services/{cli,wsgi,gateway,worker}.py`
  and `services/__init__.py` compose them; `services/landing` is part of the gateway.
- A service never opens another service's files (no path climbing out of its own directory, no
  `"services/mailer"` or `… / "mailer" / "templates"` inside another service).
- No module in `services/` or `shared/` is over 400 lines (generated migrations aside).
- No import cycle among the project's modules (imports inside functions count).
- Services call each other through `shared/clients/`, never through `shared.internal`.
- Actor routes are named tuples: `SEND_EMAIL.actor`, never `SEND_EMAIL[0]`.

Each rule is a function from a repository root to a list of "path:line: what is wrong" strings, so the
bottom of this file proves every rule on a small fake tree with one violation each.
"""

from __future__ import annotations

import ast
import itertools
import re
from collections import deque
from collections.abc import Iterator
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
MAX_LINES = 400
COMPOSITION_ROOTS = {"services", "services.cli", "services.wsgi", "services.gateway", "services.worker"}
GATEWAY_PARTS = {"landing"}  # packages under services/ that belong to the gateway, not services of their own
SCANNED_FOR_ROUTES = ("services", "shared", "tests", "bench", "tools")
DYNAMIC_IMPORTS = {"importlib.import_module", "import_module", "__import__"}


# --- the project, parsed ---------------------------------------------------------------------------

@dataclass(frozen=True)
class Import:
    target: str  # absolute module name as written (resolved for relative imports)
    names: tuple[str, ...]  # `from target import names`; empty for `import target`
    line: int
    type_checking_only: bool


@dataclass
class Module:
    name: str
    path: Path
    tree: ast.Module
    is_package: bool
    lines: int

    @property
    def package(self) -> str:
        return self.name if self.is_package else self.name.rpartition(".")[0]


@dataclass
class Project:
    root: Path
    modules: dict[str, Module] = field(default_factory=dict)

    def relative(self, path: Path) -> str:
        return path.relative_to(self.root).as_posix()

    def where(self, module: Module, line: int) -> str:
        return f"{self.relative(module.path)}:{line}"

    def service_packages(self) -> set[str]:
        """Names of the services: the packages directly under services/ (gateway parts aside)."""
        services = self.root / "services"
        if not services.is_dir():
            return set()
        return {child.name for child in services.iterdir()
                if (child / "__init__.py").is_file() and child.name not in GATEWAY_PARTS}

    def owner(self, module_name: str) -> str | None:
        """The service a module belongs to (`services.events.api` → "events"), else None."""
        parts = module_name.split(".")
        if len(parts) >= 2 and parts[0] == "services" and parts[1] in self.service_packages():
            return parts[1]
        return None

    def resolve(self, target: str, names: tuple[str, ...]) -> list[str]:
        """The project modules an import depends on: `from a.b import c` is a.b.c when that is a module,
        else a.b; `import a.b.c` is the longest prefix that is a project module."""
        found: list[str] = []
        whole = [f"{target}.{name}" for name in names if f"{target}.{name}" in self.modules]
        found.extend(whole)
        if len(whole) < len(names) or not names:
            prefix = target
            while prefix and prefix not in self.modules:
                prefix = prefix.rpartition(".")[0]
            if prefix:
                found.append(prefix)
        return found


def load_project(root: Path) -> Project:
    project = Project(root)
    for top in ("shared", "services"):
        for path in sorted((root / top).rglob("*.py")) if (root / top).is_dir() else []:
            if "__pycache__" in path.parts:
                continue
            parts = list(path.relative_to(root).with_suffix("").parts)
            is_package = parts[-1] == "__init__"
            if is_package:
                parts.pop()
            text = path.read_text(encoding="utf-8")
            name = ".".join(parts)
            project.modules[name] = Module(name, path, ast.parse(text, filename=str(path)), is_package,
                                           len(text.splitlines()))
    return project


@cache
def repository() -> Project:
    return load_project(ROOT)


def imports_of(module: Module) -> list[Import]:
    """Every import of a module, in functions too; `importlib.import_module("literal")` counts."""
    found: list[Import] = []

    def visit(node: ast.AST, type_checking: bool) -> None:
        if isinstance(node, ast.If) and _is_type_checking(node.test):
            for child in node.body:
                visit(child, True)
            for child in node.orelse:
                visit(child, type_checking)
            return
        if isinstance(node, ast.Import):
            found.extend(Import(alias.name, (), node.lineno, type_checking) for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            found.append(Import(_absolute(module, node), tuple(alias.name for alias in node.names if alias.name != "*"),
                                node.lineno, type_checking))
        elif (isinstance(node, ast.Call) and _dotted(node.func) in DYNAMIC_IMPORTS and node.args
              and isinstance(node.args[0], ast.Constant) and isinstance(node.args[0].value, str)):
            found.append(Import(node.args[0].value, (), node.lineno, type_checking))
        for child in ast.iter_child_nodes(node):
            visit(child, type_checking)

    visit(module.tree, False)
    return found


def _is_type_checking(test: ast.expr) -> bool:
    return _dotted(test) in {"TYPE_CHECKING", "typing.TYPE_CHECKING"}


def _dotted(node: ast.AST) -> str:
    if isinstance(node, ast.Name):
        return node.id
    if isinstance(node, ast.Attribute):
        return f"{_dotted(node.value)}.{node.attr}"
    return ""


def _absolute(module: Module, node: ast.ImportFrom) -> str:
    if not node.level:
        return node.module or ""
    base = module.package.split(".")
    base = base[: len(base) - (node.level - 1)]
    return ".".join([*base, node.module] if node.module else base)


def _is_under(name: str, package: str) -> bool:
    return name == package or name.startswith(package + ".")


# --- (a) shared never imports services ------------------------------------------------------------------

def shared_importing_services(project: Project) -> list[str]:
    return [f"{project.where(module, found.line)}: shared imports {found.target} (shared never imports services)"
            for module in project.modules.values() if _is_under(module.name, "shared")
            for found in imports_of(module) if _is_under(found.target, "services")]


# --- (b) no service imports another ------------------------------------------------------------------

def services_importing_each_other(project: Project) -> list[str]:
    problems = []
    for module in project.modules.values():
        own = project.owner(module.name)
        if own is None:
            continue
        for found in imports_of(module):
            for target in _targets(found):
                if not _is_under(target, "services") or project.owner(target) == own:
                    continue
                other = project.owner(target)
                what = (f"the {other} service" if other else
                        "the gateway" if target.split(".")[1:2] and target.split(".")[1] in GATEWAY_PARTS else
                        "a composition root")
                problems.append(f"{project.where(module, found.line)}: the {own} service imports {target}, {what}; "
                                "services talk by HTTP (shared/clients/) or messages (shared/contract.py)")
    return problems


def _targets(found: Import) -> list[str]:
    """`from services import mailer` names services.mailer, not only the package services."""
    if found.names and found.target in {"services"}:
        return [f"services.{name}" for name in found.names]
    return [found.target]


# --- (c) no service opens another service's files ------------------------------------------------------

SERVICE_ROOMS = ("templates", "translations", "migrations", "static")


def services_opening_other_files(project: Project) -> list[str]:
    names = project.service_packages() | GATEWAY_PARTS
    problems = []
    for module in project.modules.values():
        own = project.owner(module.name)
        if own is None:
            continue
        others = sorted(names - {own})
        depth = len(module.path.relative_to(project.root / "services" / own).parts) - 1  # dirs below services/<own>
        climbed: dict[str, int] = {}
        prose = {id(node.value) for node in ast.walk(module.tree) if isinstance(node, ast.Expr)}  # docstrings
        for node in ast.walk(module.tree):
            if id(node) in prose:
                continue
            problem = (_climbs_out(node, depth, climbed) or _names_other_directory(node, others))
            if problem:
                problems.append(f"{project.where(module, getattr(node, 'lineno', 0))}: the {own} service {problem}")
    return sorted(set(problems))


def _climbs_out(node: ast.AST, depth: int, climbed: dict[str, int]) -> str | None:
    """`Path(__file__).parents[2]` from services/<own>/x/y.py leaves services/<own>: it reaches the others."""
    if isinstance(node, ast.Assign) and len(node.targets) == 1 and isinstance(node.targets[0], ast.Name):
        ups = _ups(node.value, climbed)
        if ups is not None:
            climbed[node.targets[0].id] = ups
        return None
    if not isinstance(node, ast.Attribute | ast.Subscript | ast.Call):
        return None
    ups = _ups(node, climbed)
    if ups is not None and ups > depth + 1:
        return f"builds a path {ups} directories above its file, outside its own directory"
    return None


def _ups(node: ast.AST, climbed: dict[str, int]) -> int | None:  # noqa: PLR0911 - one return per path form
    """How many directories above the module's file an expression points, when it is built from __file__."""
    if isinstance(node, ast.Name):
        return 0 if node.id == "__file__" else climbed.get(node.id)
    if isinstance(node, ast.Attribute) and node.attr == "parent":
        inner = _ups(node.value, climbed)
        return None if inner is None else inner + 1
    if (isinstance(node, ast.Subscript) and isinstance(node.value, ast.Attribute) and node.value.attr == "parents"
            and isinstance(node.slice, ast.Constant) and isinstance(node.slice.value, int)):
        inner = _ups(node.value.value, climbed)
        return None if inner is None else inner + node.slice.value + 1
    if isinstance(node, ast.Call):
        function = _dotted(node.func)
        if function in {"Path", "pathlib.Path", "os.path.abspath", "os.path.realpath"} and len(node.args) == 1:
            return _ups(node.args[0], climbed)
        if function in {"os.path.dirname"} and len(node.args) == 1:
            inner = _ups(node.args[0], climbed)
            return None if inner is None else inner + 1
        if isinstance(node.func, ast.Attribute) and node.func.attr in {"resolve", "absolute"}:
            return _ups(node.func.value, climbed)
    return None


def _names_other_directory(node: ast.AST, others: list[str]) -> str | None:
    """`root / "mailer" / "templates"`, `os.path.join(root, "mailer")`, `"services/mailer/templates"`."""
    if isinstance(node, ast.BinOp) and isinstance(node.op, ast.Div):
        for leaf in _division_leaves(node):
            first = leaf.strip("/\\").replace("\\", "/").split("/")[0]
            if first in others:
                return f'builds a path into the {first} service\'s directory ("{leaf}")'
    if isinstance(node, ast.Call) and (_dotted(node.func) == "os.path.join" or
                                       (isinstance(node.func, ast.Attribute) and node.func.attr == "joinpath")):
        for argument in node.args:
            if isinstance(argument, ast.Constant) and isinstance(argument.value, str):
                first = argument.value.strip("/\\").replace("\\", "/").split("/")[0]
                if first in others:
                    return f'joins a path into the {first} service\'s directory ("{argument.value}")'
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        for other in others:
            pattern = (rf"(?:^|[/\\])services[/\\]{other}(?:[/\\]|$)|\.\.[/\\]{other}(?:[/\\]|$)"
                       rf"|(?:^|[/\\]){other}[/\\](?:{'|'.join(SERVICE_ROOMS)})(?:[/\\]|$)"
                       rf"|(?:^|[/\\]){other}[/\\]\w+\.py\b")
            if re.search(pattern, node.value):
                return f'names a file of the {other} service ("{node.value}")'
    return None


def _division_leaves(node: ast.AST) -> Iterator[str]:
    if isinstance(node, ast.BinOp) and isinstance(node.op, ast.Div):
        yield from _division_leaves(node.left)
        yield from _division_leaves(node.right)
    elif isinstance(node, ast.Constant) and isinstance(node.value, str):
        yield node.value


# --- (d) no module over 400 lines --------------------------------------------------------------------

def long_modules(project: Project) -> list[str]:
    return [f"{project.relative(module.path)}:{module.lines}: {module.lines} lines, more than {MAX_LINES}; "
            "split it into a package of the same name, one module per concern"
            for module in project.modules.values()
            if module.lines > MAX_LINES and "migrations/versions" not in project.relative(module.path)]


# --- (e) no import cycles -----------------------------------------------------------------------------

def import_graph(project: Project) -> dict[str, dict[str, int]]:
    """module → {imported project module: line of the first such import} (runtime imports only)."""
    graph: dict[str, dict[str, int]] = {name: {} for name in project.modules}
    for module in project.modules.values():
        for found in imports_of(module):
            if found.type_checking_only:
                continue
            for target in project.resolve(found.target, found.names):
                if target != module.name:
                    graph[module.name].setdefault(target, found.line)
    return graph


def import_cycles(project: Project) -> list[str]:
    graph = import_graph(project)
    problems = []
    for component in _strongly_connected(graph):
        if len(component) < 2:
            continue
        members = set(component)
        seen: set[frozenset[tuple[str, str]]] = set()
        for start in sorted(members):
            cycle = _shortest_cycle(graph, start, members)
            edges = frozenset(itertools.pairwise(cycle))
            if cycle and edges not in seen:
                seen.add(edges)
                steps = " → ".join(f"{a} ({project.where(project.modules[a], graph[a][b])})"
                                   for a, b in itertools.pairwise(cycle))
                problems.append(f"import cycle: {steps} → {cycle[-1]}")
    return problems


def _strongly_connected(graph: dict[str, dict[str, int]]) -> list[list[str]]:
    """Tarjan's algorithm, iterative."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    on_stack: set[str] = set()
    stack: list[str] = []
    components: list[list[str]] = []
    counter = 0
    for root in sorted(graph):
        if root in index:
            continue
        work = [(root, iter(sorted(graph[root])))]
        index[root] = low[root] = counter
        counter += 1
        stack.append(root)
        on_stack.add(root)
        while work:
            node, children = work[-1]
            child = next(children, None)
            if child is not None:
                if child not in index:
                    index[child] = low[child] = counter
                    counter += 1
                    stack.append(child)
                    on_stack.add(child)
                    work.append((child, iter(sorted(graph[child]))))
                elif child in on_stack:
                    low[node] = min(low[node], index[child])
                continue
            work.pop()
            if work:
                low[work[-1][0]] = min(low[work[-1][0]], low[node])
            if low[node] == index[node]:
                component = []
                while True:
                    member = stack.pop()
                    on_stack.discard(member)
                    component.append(member)
                    if member == node:
                        break
                components.append(sorted(component))
    return components


def _shortest_cycle(graph: dict[str, dict[str, int]], start: str, members: set[str]) -> list[str]:
    """start → … → start, the fewest steps, staying inside the component."""
    previous: dict[str, str] = {}
    queue = deque([start])
    while queue:
        node = queue.popleft()
        for child in sorted(graph[node]):
            if child not in members:
                continue
            if child == start:
                path = [node]
                while path[-1] != start:
                    path.append(previous[path[-1]])
                return [*reversed(path), start]
            if child not in previous:
                previous[child] = node
                queue.append(child)
    return []


# --- (f) services call each other through shared/clients ------------------------------------------------

def services_using_internal(project: Project) -> list[str]:
    return [f"{project.where(module, found.line)}: the {project.owner(module.name)} service imports {target}; "
            "call other services through a typed client in shared/clients/"
            for module in project.modules.values() if project.owner(module.name)
            for found in imports_of(module)
            for target in project.resolve(found.target, found.names) or [found.target]
            if _is_under(target, "shared.internal") or (found.target == "shared" and "internal" in found.names)]


# --- (g) actor routes by name ---------------------------------------------------------------------

def route_names(root: Path) -> set[str]:
    """Top-level names in shared/contract.py whose value holds a `Route(...)`."""
    contract = root / "shared" / "contract.py"
    if not contract.is_file():
        return set()
    names = set()
    for node in ast.parse(contract.read_text(encoding="utf-8")).body:
        if isinstance(node, ast.Assign):
            targets, value = node.targets, node.value
        elif isinstance(node, ast.AnnAssign):
            targets, value = [node.target], node.value
        else:
            continue
        if value is not None and any(isinstance(call, ast.Call) and _dotted(call.func).endswith("Route")
                                     for call in ast.walk(value)):
            names.update(target.id for target in targets if isinstance(target, ast.Name))
    return names


def indexed_routes(root: Path) -> list[str]:
    routes = route_names(root)
    problems: dict[str, None] = {}
    for top in SCANNED_FOR_ROUTES:
        for path in sorted((root / top).rglob("*.py")) if (root / top).is_dir() else []:
            if "__pycache__" in path.parts:
                continue
            tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
            local = routes | _local_routes(tree)
            for node in ast.walk(tree):
                name = _indexed_route(node, local)
                if name:
                    problems[f"{path.relative_to(root).as_posix()}:{node.lineno}: {name} is indexed or unpacked; "
                             "write .actor / .queue"] = None
    return sorted(problems, key=_by_place)


def _by_place(problem: str) -> tuple[str, int]:
    path, line, _ = problem.split(":", 2)
    return path, int(line)


ROUTE_MAKERS = ("Route", "ack_target")  # calls that give a Route


def _local_routes(tree: ast.Module) -> set[str]:
    """Names a module binds to a route it makes itself: `MAILER_ACK = ack_target("mailer")`."""
    return {target.id for node in ast.walk(tree) if isinstance(node, ast.Assign) and isinstance(node.value, ast.Call)
            and _dotted(node.value.func).endswith(ROUTE_MAKERS)
            for target in node.targets if isinstance(target, ast.Name)}


def _indexed_route(node: ast.AST, routes: set[str]) -> str | None:
    def route(expression: ast.AST) -> str | None:
        if isinstance(expression, ast.Subscript):  # ERASE_PERSON_IN["events"]
            expression = expression.value
        name = expression.id if isinstance(expression, ast.Name) else (
            expression.attr if isinstance(expression, ast.Attribute) else None)
        return name if name in routes else None

    if (isinstance(node, ast.Subscript) and isinstance(node.slice, ast.Constant | ast.UnaryOp | ast.Slice)
            and not (isinstance(node.slice, ast.Constant) and isinstance(node.slice.value, str))):
        return route(node.value)
    if isinstance(node, ast.Assign) and isinstance(node.targets[0], ast.Tuple | ast.List):  # actor, queue = ROUTE
        return route(node.value)
    return None


# --- (h) every test asserts something -----------------------------------------------------------------

ASSERTING_CALLS = {"raises", "warns", "fail", "deprecated_call"}  # pytest.raises(…), pytest.fail(…)


def silent_tests(root: Path) -> list[str]:
    """Test functions that neither assert, nor expect an exception, nor call a helper or fixture that does
    (followed through the test's own module, `from tests… import` names and fixtures by parameter name)."""
    modules = {_test_module_name(path, root): ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
               for path in sorted((root / "tests").rglob("*.py")) if "__pycache__" not in path.parts}
    scan = _AssertScan(modules)
    return [f"tests/{name.removeprefix('tests.').replace('.', '/')}.py:{test.lineno}: {test.name} asserts nothing"
            for name, tree in modules.items() for test in _test_functions(tree) if not scan.test_asserts(name, test)]


def _test_module_name(path: Path, root: Path) -> str:
    parts = list(path.relative_to(root).with_suffix("").parts)
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _test_functions(tree: ast.Module) -> Iterator[ast.FunctionDef | ast.AsyncFunctionDef]:
    for node in tree.body:
        bodies = node.body if isinstance(node, ast.ClassDef) and node.name.startswith("Test") else [node]
        yield from (function for function in bodies if isinstance(function, ast.FunctionDef | ast.AsyncFunctionDef)
                    and function.name.startswith("test"))


class _AssertScan:
    def __init__(self, modules: dict[str, ast.Module]) -> None:
        self.modules = modules
        self.functions = {name: {node.name: node for node in ast.walk(tree)
                                 if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef)}
                          for name, tree in modules.items()}
        self.imported: dict[str, dict[str, tuple[str, str]]] = {name: {} for name in modules}
        for name, tree in modules.items():
            for node in ast.walk(tree):
                if isinstance(node, ast.ImportFrom) and node.module and node.module.startswith("tests"):
                    for alias in node.names:
                        self.imported[name][alias.asname or alias.name] = (node.module, alias.name)
        self.fixtures: dict[str, list[tuple[str, ast.AST]]] = {}
        for name, functions in self.functions.items():
            for function in functions.values():
                if any("fixture" in ast.unparse(decorator) for decorator in function.decorator_list):
                    self.fixtures.setdefault(function.name, []).append((name, function))
        self.known: dict[tuple[str, str], bool] = {}

    def test_asserts(self, module: str, test: ast.FunctionDef | ast.AsyncFunctionDef) -> bool:
        parameters = {argument.arg for argument in test.args.args}
        return self._asserts(module, test, parameters)

    def _asserts(self, module: str, function: ast.AST, parameters: set[str]) -> bool:
        for node in ast.walk(function):
            if isinstance(node, ast.Assert):
                return True
            if isinstance(node, ast.Raise) and node.exc is not None and "AssertionError" in ast.unparse(node.exc):
                return True
            if isinstance(node, ast.Call) and self._asserting_call(module, node.func, parameters):
                return True
        return False

    def _asserting_call(self, module: str, called: ast.expr, parameters: set[str]) -> bool:
        if isinstance(called, ast.Attribute):
            if called.attr in ASSERTING_CALLS and _dotted(called.value) == "pytest":
                return True
            owner = _dotted(called.value)  # `helpers.check(...)` with `from tests.e2e import helpers`
            source = self.imported[module].get(owner)
            return source is not None and self._named_asserts(f"{source[0]}.{source[1]}", called.attr)
        if not isinstance(called, ast.Name):
            return False
        if called.id in parameters:  # a fixture that gives an asserting helper, e.g. check_a11y(page)
            return any(self._named_asserts(where, called.id) for where, _ in self.fixtures.get(called.id, []))
        if called.id in self.imported[module]:
            return self._named_asserts(*self.imported[module][called.id])
        return self._named_asserts(module, called.id)

    def _named_asserts(self, module: str, name: str) -> bool:
        function = self.functions.get(module, {}).get(name)
        if function is None:
            source = self.imported.get(module, {}).get(name)  # re-exported, e.g. helpers.make_user
            return source is not None and source != (module, name) and self._named_asserts(*source)
        if (module, name) not in self.known:
            self.known[(module, name)] = False  # a recursive helper does not prove itself
            self.known[(module, name)] = self._asserts(module, function, set())
        return self.known[(module, name)]


# --- the rules, on this repository ---------------------------------------------------------------------

def _report(problems: list[str], rule: str) -> str:
    return f"{rule}: {len(problems)} violation(s)\n  " + "\n  ".join(problems)


def test_shared_never_imports_services() -> None:
    problems = shared_importing_services(repository())
    assert not problems, _report(problems, "shared must not import services")


def test_no_service_imports_another() -> None:
    problems = services_importing_each_other(repository())
    assert not problems, _report(problems, "a service must not import another service")


def test_no_service_opens_another_services_files() -> None:
    problems = services_opening_other_files(repository())
    assert not problems, _report(problems, "a service must not open another service's files")


def test_no_module_over_400_lines() -> None:
    problems = long_modules(repository())
    assert not problems, _report(problems, f"modules in services/ and shared/ stay within {MAX_LINES} lines")


def test_no_import_cycles() -> None:
    problems = import_cycles(repository())
    assert not problems, _report(problems, "import cycles")


def test_services_do_not_use_shared_internal() -> None:
    problems = services_using_internal(repository())
    assert not problems, _report(problems, "services must call each other through shared/clients/")


def test_actor_routes_are_used_by_name() -> None:
    assert route_names(ROOT), "shared/contract.py defines no Route: this rule would check nothing"
    problems = indexed_routes(ROOT)
    assert not problems, _report(problems, "actor routes are read by name")


def test_every_test_asserts_something() -> None:
    problems = silent_tests(ROOT)
    assert not problems, _report(problems, "a test must assert something (assert, pytest.raises or a helper that does)")


def test_the_scan_sees_the_whole_tree() -> None:
    project = repository()
    assert {"subscriptions", "events", "mailer"} <= project.service_packages()
    assert "shared.contract" in project.modules
    assert import_graph(project)["services.gateway"], "the gateway imports nothing? the import scan is broken"


# --- each rule catches its violation on a fake tree ------------------------------------------------------

CLEAN_TREE = {
    "shared/__init__.py": "",
    "shared/contract.py": ("from typing import NamedTuple\n"
                           "class Route(NamedTuple):\n    actor: str\n    queue: str\n"
                           'SEND_EMAIL = Route("mailer.send_email", "mailer")\n'
                           'ERASE_IN = {"events": Route("events.erase", "events")}\n'),
    "shared/clients/__init__.py": "",
    "shared/clients/mailer.py": "import shared.contract\n",
    "shared/internal.py": "",
    "services/__init__.py": "import importlib\nSERVICES = ['mailer', 'events']\n",
    "services/gateway.py": "from services import mailer, events, landing\nimport services.events.app\n",
    "services/landing/__init__.py": "from pathlib import Path\nHERE = Path(__file__).parent\n",
    "services/mailer/__init__.py": "from services.mailer.app import create_app\n",
    "services/mailer/app.py": ("from pathlib import Path\nfrom shared.contract import SEND_EMAIL\n"
                               'TEMPLATES = Path(__file__).parent / "templates"\n'
                               'def go():\n    from . import log\n    return SEND_EMAIL.actor, SEND_EMAIL.queue\n'
                               "def create_app():\n    return None\n"),
    "services/mailer/log.py": "import shared.clients.mailer\nURL = '/mailer/api/v1/deliveries'\n",
    "services/events/preview.py": '"""Unlike before, no longer reads services/mailer/templates/email."""\n',
    "services/events/__init__.py": "",
    "services/events/app.py": ("from pathlib import Path\nfrom shared.clients import mailer\n"
                               "from typing import TYPE_CHECKING\n"
                               "if TYPE_CHECKING:\n    from services.events import pages\n"
                               'HERE = Path(__file__).resolve().parent\nTEMPLATES = HERE / "templates"\n'
                               'QUEUE = "mailer"\nLINK = "/mailer/outbox/"\n'),
    "services/events/pages/__init__.py": "from services.events import app\n",
    "services/events/pages/public.py": ('from pathlib import Path\nOWN = Path(__file__).parents[1] / "templates"\n'
                                        "from ..app import HERE\n"),
    "services/events/migrations/versions/0001_big.py": "x = 1\n" * (MAX_LINES + 5),
    "tests/test_x.py": "from shared.contract import SEND_EMAIL, ERASE_IN\nassert SEND_EMAIL.actor\n"
                       'assert ERASE_IN["events"].queue\n',
}

RULES = {
    "shared": shared_importing_services,
    "services": services_importing_each_other,
    "files": services_opening_other_files,
    "lines": long_modules,
    "cycles": import_cycles,
    "internal": services_using_internal,
}

VIOLATIONS = [
    # (rule, file to add or replace, its text, a fragment the report must contain)
    ("shared", "shared/formatting.py", "def f():\n    from services.events import models\n",
     "shared/formatting.py:2: shared imports services.events"),
    ("shared", "shared/apps.py", 'import importlib\nimportlib.import_module("services.mailer")\n',
     "shared/apps.py:2: shared imports services.mailer"),
    ("services", "services/events/emails.py", "from services.mailer.log import URL\n",
     "services/events/emails.py:1: the events service imports services.mailer.log"),
    ("services", "services/events/emails.py", "def f():\n    from services import mailer\n",
     "services/events/emails.py:2: the events service imports services.mailer"),
    ("services", "services/events/emails.py", "from ..mailer import log\n",
     "services/events/emails.py:1: the events service imports services.mailer"),
    ("services", "services/events/pages/x.py", "from ...landing import HERE\n",
     "services/events/pages/x.py:1: the events service imports services.landing, the gateway"),
    ("services", "services/mailer/x.py", "import services.gateway\n",
     "services/mailer/x.py:1: the mailer service imports services.gateway, a composition root"),
    ("files", "services/events/preview.py",
     'from pathlib import Path\nT = Path(__file__).resolve().parents[1] / "mailer" / "templates"\n',
     "services/events/preview.py:2: the events service builds a path 2 directories above its file"),
    ("files", "services/events/pages/preview.py",
     'from pathlib import Path\nROOT = Path(__file__).parent.parent.parent\nT = ROOT / "mailer"\n',
     "services/events/pages/preview.py:2: the events service builds a path 3 directories above its file"),
    ("files", "services/events/preview.py",
     'from shared.web import SHARED\nT = SHARED.parent / "services" / "mailer" / "templates"\n',
     'the events service builds a path into the mailer service\'s directory ("mailer")'),
    ("files", "services/events/preview.py", 'import os\nT = os.path.join(os.getcwd(), "mailer", "templates")\n',
     "services/events/preview.py:2: the events service joins a path into the mailer service's directory"),
    ("files", "services/events/preview.py", 'T = open("services/mailer/templates/email/x.txt")\n',
     'services/events/preview.py:1: the events service names a file of the mailer service'),
    ("files", "services/mailer/preview.py", 'T = "../landing/templates/index.html"\n',
     "services/mailer/preview.py:1: the mailer service names a file of the landing service"),
    ("lines", "shared/big.py", "x = 1\n" * (MAX_LINES + 1),
     f"shared/big.py:{MAX_LINES + 1}: {MAX_LINES + 1} lines"),
    ("cycles", "services/mailer/log.py", "def mark():\n    from services.mailer import app\n",
     "import cycle: services.mailer.app (services/mailer/app.py:5) → services.mailer.log "
     "(services/mailer/log.py:2) → services.mailer.app"),
    ("cycles", "shared/clients/mailer.py", "from shared.internal import x\n",
     "import cycle: shared.clients.mailer"),
    ("internal", "services/events/emails.py", "from shared.internal import call\n",
     "services/events/emails.py:1: the events service imports shared.internal"),
    ("internal", "services/events/emails.py", "def f():\n    from shared import internal\n",
     "services/events/emails.py:2: the events service imports shared.internal"),
]


def _build(root: Path, files: dict[str, str]) -> Path:
    for relative, text in files.items():
        path = root / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    return root


def test_a_clean_fake_tree_passes_every_rule(tmp_path: Path) -> None:
    project = load_project(_build(tmp_path, CLEAN_TREE))
    assert {name: rule(project) for name, rule in RULES.items()} == {name: [] for name in RULES}
    assert indexed_routes(tmp_path) == []
    assert route_names(tmp_path) == {"SEND_EMAIL", "ERASE_IN"}


@pytest.mark.parametrize(("rule", "relative", "text", "expected"), VIOLATIONS,
                         ids=[f"{v[0]}-{i}" for i, v in enumerate(VIOLATIONS)])
def test_each_rule_catches_its_violation(tmp_path: Path, rule: str, relative: str, text: str, expected: str) -> None:
    files = dict(CLEAN_TREE)
    if rule == "cycles" and relative == "shared/clients/mailer.py":
        files["shared/internal.py"] = "import shared.clients.mailer\n"
    files[relative] = text
    project = load_project(_build(tmp_path, files))
    problems = RULES[rule](project)
    assert any(expected in problem for problem in problems), problems
    others = {name: check(project) for name, check in RULES.items() if name not in {rule, "cycles", "internal"}}
    assert all(not found for found in others.values()), others


@pytest.mark.parametrize("text", [
    "from shared.contract import SEND_EMAIL\nactor = SEND_EMAIL[0]\n",
    "from shared import contract\nqueue = contract.SEND_EMAIL[-1]\n",
    'from shared.contract import ERASE_IN\nactor = ERASE_IN["events"][0]\n',
    "from shared.contract import SEND_EMAIL\nactor, queue = SEND_EMAIL\n",
    'from shared.outbox import ack_target\nACK = ack_target("mailer"); actor = ACK[0]\n',
])
def test_indexed_routes_are_caught(tmp_path: Path, text: str) -> None:
    _build(tmp_path, {**CLEAN_TREE, "services/events/emails.py": text})
    problems = indexed_routes(tmp_path)
    assert [problem.split(":")[0:2] for problem in problems] == [["services/events/emails.py", "2"]], problems


def test_every_cycle_is_reported_with_its_lines(tmp_path: Path) -> None:
    files = {**CLEAN_TREE,
             "shared/broker.py": "from shared.outbox import relay\n",
             "shared/outbox.py": "def relay():\n    from shared import broker\n",
             "services/mailer/log.py": "from services.mailer.marks import mark\n",
             "services/mailer/marks.py": "from services.mailer.log import URL\nmark = 1\n"}
    problems = import_cycles(load_project(_build(tmp_path, files)))
    assert sorted(problems) == [
        "import cycle: services.mailer.log (services/mailer/log.py:1) → services.mailer.marks "
        "(services/mailer/marks.py:1) → services.mailer.log",
        "import cycle: shared.broker (shared/broker.py:1) → shared.outbox (shared/outbox.py:2) → shared.broker",
    ]


def test_type_checking_imports_make_no_cycle(tmp_path: Path) -> None:
    files = {**CLEAN_TREE, "services/events/pages/__init__.py": "from services.events import app\n"}
    graph = import_graph(load_project(_build(tmp_path, files)))
    assert "services.events.pages" not in graph["services.events.app"]
    assert graph["services.events.pages"] == {"services.events.app": 1}




def test_a_test_without_assertion_is_caught(tmp_path: Path) -> None:
    _build(tmp_path, {
        "tests/__init__.py": "",
        "tests/helpers.py": "def check(x):\n    assert x\ndef send(x):\n    return x\n",
        "tests/conftest.py": ("import pytest\n@pytest.fixture\ndef drain():\n    def wait():\n"
                              "        raise TimeoutError\n    return wait\n"
                              "@pytest.fixture\ndef check_page():\n    def check(page):\n        assert page\n"
                              "    return check\n"),
        "tests/test_a.py": ("import pytest\nfrom tests.helpers import check, send\nfrom tests import helpers\n"
                            "def local(x):\n    check(x)\n"
                            "def test_asserts():\n    assert 1\n"
                            "def test_raises():\n    with pytest.raises(ValueError):\n        int('x')\n"
                            "def test_helper():\n    local(1)\n"
                            "def test_module_helper():\n    helpers.check(1)\n"
                            "def test_fixture_helper(check_page):\n    check_page(1)\n"
                            "def test_sends_only(drain):\n    send(1)\n    drain()\n"
                            "class TestGroup:\n    def test_nothing(self):\n        x = 1\n"),
        "tests/test_b.py": "def send(x):\n    assert x\n",  # the same name elsewhere proves nothing here
    })
    assert silent_tests(tmp_path) == [
        "tests/test_a.py:17: test_sends_only asserts nothing",
        "tests/test_a.py:21: test_nothing asserts nothing",
    ]
