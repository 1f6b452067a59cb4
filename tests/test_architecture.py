"""The import contracts of pyproject.toml (`lint-imports`, run by `make test`) really bite.

Each case copies the package and the configuration to a temporary directory, breaks one rule
there, and runs `lint-imports` on the copy: it must fail and name the contract. The untouched
copy must pass, so a failure means the break, not the copy. (ARCHITECTURE.md, "Layers".)

The contracts see every ``import`` statement, including those inside functions, but not where an
import sits: the subprocess tests in tests/test_cli.py still check that the headless commands
never load Qt at run time (the CLI's one GUI import must stay inside the desktop command).
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
LINT_IMPORTS = Path(sys.executable).with_name("lint-imports")
CORE_HEADLESS = "inspector.core never imports the GUI, Qt or qasync"
CLI_GUI_DOOR = "inspector.cli reaches the GUI only through inspector.gui.app"
APP_LAYERS = "Layers: cli | gui -> core"
CORE_LAYERS = "Layers of inspector.core: service -> capture, store, streams, replay"
CORE_ACYCLIC = "No import cycles between the modules of inspector.core"


def copy_project(tmp_path: Path) -> Path:
    """The package's Python files and pyproject.toml, copied to `tmp_path`/project."""
    project = tmp_path / "project"
    ignore = shutil.ignore_patterns("__pycache__", "resources")
    shutil.copytree(ROOT / "inspector", project / "inspector", ignore=ignore)
    shutil.copy(ROOT / "pyproject.toml", project / "pyproject.toml")
    return project


def append(project: Path, module: str, line: str) -> None:
    """Add `line` at the end of `module` (dotted, below inspector), a module or a package."""
    base = project.joinpath("inspector", *module.split("."))
    path = base / "__init__.py" if base.is_dir() else base.with_suffix(".py")
    with path.open("a", encoding="utf-8") as handle:
        handle.write(f"\n{line}\n")


def lint_imports(project: Path) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PYTHONPATH": str(project)}  # the copy, not the installed package
    return subprocess.run(
        [str(LINT_IMPORTS), "--no-cache", "--no-logo"],
        cwd=project,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_the_untouched_copy_keeps_every_contract(tmp_path: Path) -> None:
    result = lint_imports(copy_project(tmp_path))
    assert result.returncode == 0, result.stdout + result.stderr
    assert "0 broken" in result.stdout
    for contract in (CORE_HEADLESS, CLI_GUI_DOOR, APP_LAYERS, CORE_LAYERS, CORE_ACYCLIC):
        assert status(result.stdout, contract) == "KEPT"


@pytest.mark.parametrize(
    ("module", "line", "contract"),
    [
        ("core.models", "import PySide6", CORE_HEADLESS),
        ("core.signatures", "import qasync", CORE_HEADLESS),
        ("core.store", "from inspector.gui import theme", CORE_HEADLESS),
        ("cli", "from inspector.gui import main_window", CLI_GUI_DOOR),
        ("cli.serve", "from inspector.gui import app", CLI_GUI_DOOR),  # only desktop may
        ("gui.theme", "import inspector.cli", APP_LAYERS),
        ("core.store", "from inspector.core import service", CORE_LAYERS),
        ("core.models", "from inspector.core.providers import PROVIDERS", CORE_LAYERS),
        ("core.providers.base", "from inspector.core import signatures", CORE_LAYERS),
        ("core.events", "from inspector.core.stream import STREAM_PATH", CORE_LAYERS),
        ("core.formats.native", "from inspector.core import samples", CORE_LAYERS),
        ("core.brand_new", "from inspector.core import models", CORE_LAYERS),  # not placed
        ("core.formats.common", "from inspector.core.formats import native", CORE_ACYCLIC),
        ("core.receiver", "from inspector.core import stream", CORE_ACYCLIC),  # one layer
    ],
)
def test_a_broken_contract_fails_lint_imports(
    tmp_path: Path, module: str, line: str, contract: str
) -> None:
    project = copy_project(tmp_path)
    append(project, module, line)
    result = lint_imports(project)
    assert result.returncode != 0, result.stdout
    assert status(result.stdout, contract) == "BROKEN"


def status(report: str, contract: str) -> str:
    """KEPT or BROKEN: what the report says of the contract whose name starts with `contract`."""
    flat = " ".join(report.split())  # the report wraps long contract names
    found = re.search(re.escape(contract) + r".*?(KEPT|BROKEN)", flat)
    assert found is not None, report
    return found.group(1)


# --- the documents the code cites -------------------------------------------------------------

OUTSIDE = ("PROVIDERS" ".md", "DESIGN" ".md", "DESIGN" " rule", "DESIGN" " pitfall", "shared/", "§")
"""Ways the code used to cite notes that live outside the repository (split in two here, so
that a plain search for them finds no false citation in this file)."""
CITING = ("inspector", "tests", "benchmarks", "packaging", "docs")
TEXT_SUFFIXES = {".py", ".md", ".txt", ".toml", ".spec", ".desktop", ".xml", ".sh", ".cfg"}


def cited_texts() -> list[Path]:
    found = [ROOT / "README.md", ROOT / "ARCHITECTURE.md", ROOT / "Makefile"]
    for folder in CITING:
        found += [p for p in (ROOT / folder).rglob("*") if p.suffix in TEXT_SUFFIXES]
    return [p for p in found if p.resolve() != Path(__file__).resolve()]


def test_nothing_cites_documents_outside_the_repository() -> None:
    hits = [
        f"{path.relative_to(ROOT)}:{number}: {line.strip()}"
        for path in cited_texts()
        for number, line in enumerate(path.read_text("utf-8").splitlines(), 1)
        if any(word in line for word in OUTSIDE)
    ]
    assert hits == []


@pytest.mark.parametrize("document", ["ARCHITECTURE.md", "docs/providers.md"])
def test_relative_links_of_the_documents_resolve(document: str) -> None:
    path = ROOT / document
    text = path.read_text("utf-8")
    targets = re.findall(r"\]\(([^)#\s]+)(?:#[^)]*)?\)", text)
    local = [t for t in targets if "://" not in t and not t.startswith("mailto:")]
    missing = [t for t in local if not (path.parent / t).exists()]
    assert missing == []


def test_readme_links_the_architecture_and_the_provider_facts() -> None:
    readme = (ROOT / "README.md").read_text("utf-8")
    for target in ("ARCHITECTURE.md", "docs/providers.md"):
        assert f"]({target})" in readme
        assert (ROOT / target).is_file()


def test_the_provider_facts_name_every_provider_and_scheme() -> None:
    from inspector.core.providers import PROVIDERS
    from inspector.core.signatures import SCHEMES

    text = (ROOT / "docs" / "providers.md").read_text("utf-8")
    assert [name for name in PROVIDERS if f"`{name}`" not in text] == []
    assert [name for name in SCHEMES if f"`{name}`" not in text] == []
