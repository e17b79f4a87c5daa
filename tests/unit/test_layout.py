"""The house rules a newcomer relies on: data flows one way between the top-level packages,
every module imports on its own, and no module reaches for another's private names."""
import ast
import re
import subprocess
import sys

import pytest

from tests.conftest import ROOT

PACKAGES = ("qa", "vectorstore", "api", "eval")
MODULES = sorted(p for pkg in PACKAGES for p in (ROOT / pkg).rglob("*.py"))


def _imports(path):
    tree = ast.parse(path.read_text())
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            yield node.module, [a.name for a in node.names]
        elif isinstance(node, ast.Import):
            for a in node.names:
                yield a.name, []


@pytest.mark.parametrize("package, forbidden", [("vectorstore", ("qa", "api", "eval")), ("qa", ("api", "eval"))])
def test_data_flows_one_way(package, forbidden):
    bad = [f"{p.relative_to(ROOT)}: {m}" for p in (ROOT / package).rglob("*.py")
           for m, _ in _imports(p) if m.split(".")[0] in forbidden]
    assert not bad


def test_no_private_name_is_imported_across_modules():
    bad = [f"{p.relative_to(ROOT)}: {m}.{n}" for p in MODULES for m, names in _imports(p)
           if m.split(".")[0] in PACKAGES for n in names if re.match(r"_[a-z]", n)]
    assert not bad


def test_every_module_imports_on_its_own():
    """Each module imported first, with none of the project's modules loaded before it (libraries
    stay loaded, so the check takes seconds): an import cycle or a module that only works because
    another was imported first fails here."""
    names = [".".join(p.relative_to(ROOT).with_suffix("").parts).removesuffix(".__init__") for p in MODULES]
    script = (
        "import importlib, sys\n"
        "failed = []\n"
        "for n in sys.argv[1:]:\n"
        "    for m in [m for m in sys.modules if m.split('.')[0] in %r]:\n"
        "        del sys.modules[m]\n"
        "    try:\n"
        "        importlib.import_module(n)\n"
        "    except Exception as exc:\n"
        "        failed.append(f'{n}: {exc!r}')\n"
        "print('\\n'.join(failed))\n"
    ) % (PACKAGES,)
    out = subprocess.run([sys.executable, "-c", script, *names], cwd=ROOT, capture_output=True, text=True)
    assert out.returncode == 0 and not out.stdout.strip(), out.stdout + out.stderr[-2000:]
