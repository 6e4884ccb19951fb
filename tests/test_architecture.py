"""The package reads as the pipeline (docs/architecture.md): no import cycles between
modules or between stages, every import points down the stage order, MediaPipe / ONNX
Runtime only in the pose stage, Streamlit only in the UI, modules of a readable size.

Imports are read from the source with :mod:`ast` (every ``import`` statement, also inside
functions and ``TYPE_CHECKING`` blocks), so nothing is executed."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

PKG = Path(__file__).resolve().parents[1] / "posecheck"

#: the stage order, lowest first: a unit may import its own modules and units of lower rank
LAYERS = [
    {"_version", "errors", "types", "config", "cores"},  # shared vocabulary
    {"video"},
    {"pose"},
    {"signals"},
    {"kinematics"},
    {"gait"},
    {"assess"},
    {"warmup"},
    {"pipeline"},
    {"report"},
    {"compare"},
    {"library"},
    {"batch"},
    {"ui"},
    {"cli"},
    {"__init__"},  # the public facade (lazy)
]
RANK = {unit: i for i, layer in enumerate(LAYERS) for unit in layer}
MAX_LINES = 520


def _module_name(path: Path) -> str:
    rel = path.relative_to(PKG.parent).with_suffix("")
    parts = list(rel.parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def _modules() -> dict[str, Path]:
    return {_module_name(p): p for p in sorted(PKG.rglob("*.py"))}


def _imports(path: Path, name: str, known: set[str]) -> set[str]:
    """posecheck modules imported by the module ``name`` at ``path`` (resolved to modules:
    ``from posecheck.x import y`` counts as ``posecheck.x.y`` when that is a module)."""
    tree = ast.parse(path.read_text(), filename=str(path))
    is_pkg = path.name == "__init__.py"
    out: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            out.update(a.name for a in node.names if a.name.split(".")[0] == "posecheck")
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = name.split(".") if is_pkg else name.split(".")[:-1]
                base = base[: len(base) - (node.level - 1)]
                mod = ".".join(base + ([node.module] if node.module else []))
            else:
                mod = node.module or ""
            if mod.split(".")[0] != "posecheck":
                continue
            subs = [f"{mod}.{a.name}" for a in node.names if f"{mod}.{a.name}" in known]
            out.update(subs)
            if len(subs) < len(node.names):
                out.add(mod)
    out.discard(name)
    return out


def _graph() -> dict[str, set[str]]:
    mods = _modules()
    known = set(mods)
    return {m: {i for i in _imports(p, m, known) if i in known} for m, p in mods.items()}


def _unit(module: str) -> str:
    parts = module.split(".")
    return parts[1] if len(parts) > 1 else "__init__"


def _cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """Strongly connected components with more than one node (Tarjan), or self-loops."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on: set[str] = set()
    out: list[list[str]] = []
    counter = [0]

    def visit(v: str) -> None:
        index[v] = low[v] = counter[0]
        counter[0] += 1
        stack.append(v)
        on.add(v)
        for w in graph.get(v, ()):
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            comp = []
            while True:
                w = stack.pop()
                on.discard(w)
                comp.append(w)
                if w == v:
                    break
            if len(comp) > 1 or v in graph.get(v, ()):
                out.append(sorted(comp))

    for v in sorted(graph):
        if v not in index:
            visit(v)
    return out


def test_cycle_finder_finds_a_cycle():
    """The checker itself: a planted cycle and a self-loop are found, a chain is not."""
    assert _cycles({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == [["a", "b", "c"]]
    assert _cycles({"a": {"a"}}) == [["a"]]
    assert _cycles({"a": {"b"}, "b": {"c"}, "c": set()}) == []


def test_import_resolution_reads_every_form(tmp_path):
    src = tmp_path / "m.py"
    src.write_text("import posecheck.video.reader\nfrom posecheck.gait import strides\n"
                   "from posecheck.types import Analysis\ndef f():\n    from posecheck import cli\n"
                   "import numpy\n")
    known = {"posecheck.video.reader", "posecheck.gait.strides", "posecheck.types",
             "posecheck.cli", "posecheck.gait", "posecheck"}
    assert _imports(src, "posecheck.x", known) == {
        "posecheck.video.reader", "posecheck.gait.strides", "posecheck.types", "posecheck.cli"}


def test_no_import_cycle_between_modules():
    assert _cycles(_graph()) == []


def test_no_import_cycle_between_stages_and_imports_point_down():
    graph = _graph()
    units = {_unit(m) for m in graph}
    assert units <= set(RANK), f"stage(s) missing from LAYERS: {sorted(units - set(RANK))}"
    upward = sorted(f"{m} -> {i}" for m, deps in graph.items() for i in deps
                    if _unit(i) != _unit(m) and RANK[_unit(i)] >= RANK[_unit(m)])
    assert upward == []
    stage_graph = {u: set() for u in units}
    for m, deps in graph.items():
        stage_graph[_unit(m)].update(_unit(i) for i in deps if _unit(i) != _unit(m))
    assert _cycles(stage_graph) == []


def test_few_modules_at_the_top_and_every_stage_a_package():
    top = [p.name for p in PKG.glob("*.py")]
    assert len(top) <= 12, top
    for layer in LAYERS[1:]:
        for unit in layer:
            if (PKG / unit).is_dir():
                init = PKG / unit / "__init__.py"
                assert init.is_file(), unit
                doc = ast.get_docstring(ast.parse(init.read_text()))
                assert doc and len(doc.split()) >= 20, f"{unit}/__init__.py needs a docstring"


def _third_party_imports(path: Path) -> set[str]:
    tree = ast.parse(path.read_text())
    out = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            out.update(a.name.split(".")[0] for a in node.names)
        elif isinstance(node, ast.ImportFrom) and not node.level and node.module:
            out.add(node.module.split(".")[0])
    return out


@pytest.mark.parametrize("library, allowed", [("mediapipe", "pose"), ("onnxruntime", "pose"),
                                              ("streamlit", "ui"), ("sqlite3", "library"),
                                              ("distributed", "batch"), ("dask", "batch")])
def test_heavy_libraries_stay_in_their_stage(library, allowed):
    offenders = [m for m, p in _modules().items()
                 if library in _third_party_imports(p) and _unit(m) != allowed]
    assert offenders == []


def test_modules_stay_readable():
    long = {m: n for m, p in _modules().items() if (n := len(p.read_text().splitlines())) > MAX_LINES}
    assert long == {}
