"""hub_repro's imports run one way: every import statement, at any depth (a function's lazy import
counts as much as a module's top), makes an edge, and the graph has no cycle. The command line
sits on top: nothing imports hub_repro.cli but hub_repro/__main__.py."""

import ast
import os

import tensorflow as tf

PACKAGE = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "hub_repro")


def module_name(path: str, root: str = PACKAGE) -> str:
  relative = os.path.relpath(path, os.path.dirname(root))[:-len(".py")]
  parts = relative.split(os.sep)
  return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def modules(root: str = PACKAGE) -> dict[str, str]:
  """Every module of the package: name -> file."""
  found = {}
  for folder, _, files in os.walk(root):
    for name in files:
      if name.endswith(".py"):
        path = os.path.join(folder, name)
        found[module_name(path, root)] = path
  return found


def imports(path: str, name: str, known) -> set[str]:
  """The package's modules that `path` (module `name`) imports, in any statement at any depth:
  `import a.b`, `from a import b` (a.b if it is a module, else a), relative imports resolved."""
  is_package = path.endswith("__init__.py")
  found = set()
  for node in ast.walk(ast.parse(open(path, encoding="utf-8").read(), path)):
    if isinstance(node, ast.Import):
      targets = [alias.name for alias in node.names]
    elif isinstance(node, ast.ImportFrom):
      base = node.module or ""
      if node.level:
        parent = name.split(".")[:len(name.split(".")) - node.level + is_package]
        base = ".".join(parent + ([base] if base else []))
      targets = [f"{base}.{alias.name}" if f"{base}.{alias.name}" in known else base
                 for alias in node.names]
    else:
      continue
    found.update(t for t in targets if t in known and t != name)
  return found


def graph(root: str = PACKAGE) -> dict[str, set[str]]:
  known = modules(root)
  return {name: imports(path, name, known) for name, path in known.items()}


def cycles(edges: dict[str, set[str]]) -> list[list[str]]:
  """The graph's cycles, one per strongly connected component of more than one module (Tarjan)."""
  index, low, stack, on_stack, found = {}, {}, [], set(), []

  def visit(node):
    index[node] = low[node] = len(index)
    stack.append(node)
    on_stack.add(node)
    for succ in sorted(edges[node]):
      if succ not in index:
        visit(succ)
        low[node] = min(low[node], low[succ])
      elif succ in on_stack:
        low[node] = min(low[node], index[succ])
    if low[node] == index[node]:
      component = []
      while True:
        member = stack.pop()
        on_stack.discard(member)
        component.append(member)
        if member == node:
          break
      if len(component) > 1:
        found.append(sorted(component))

  for node in sorted(edges):
    if node not in index:
      visit(node)
  return found


class LayeringTest(tf.test.TestCase):

  def test_no_import_cycle(self):
    self.assertEqual(cycles(graph()), [], "modules that import each other, directly or not")

  def test_only_the_entry_point_imports_the_command_line(self):
    importers = sorted(name for name, targets in graph().items()
                       if any(t == "hub_repro.cli" or t.startswith("hub_repro.cli.")
                              for t in targets) and not name.startswith("hub_repro.cli"))
    self.assertEqual(importers, ["hub_repro.__main__"])

  def test_a_cycle_is_found(self):
    """The test above can fail: a package whose a imports b (in a function) and b imports a."""
    root = os.path.join(self.get_temp_dir(), "hub_repro")
    os.makedirs(root, exist_ok=True)
    for name, text in {"__init__.py": "", "a.py": "def f():\n  from hub_repro import b\n",
                       "b.py": "from . import a\n", "c.py": "import hub_repro.a\n"}.items():
      with open(os.path.join(root, name), "w", encoding="utf-8") as f:
        f.write(text)
    edges = graph(root)
    self.assertEqual(edges["hub_repro.c"], {"hub_repro.a"})
    self.assertEqual(cycles(edges), [["hub_repro.a", "hub_repro.b"]])


if __name__ == "__main__":
  tf.test.main()
