"""The house rules of kiosk/ (README "How it is built"), checked on the source itself.

Imports run one way: http and realtime -> services -> store and domain; domain is
pure. A change that breaks a rule fails here with the file and the import named.
"""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
PACKAGE = ROOT / "kiosk"
MAX_MODULE_LINES = 600
MAX_TOP_MODULES = 10

# room -> rooms of kiosk/ it must never import (a prefix of the dotted name).
FORBIDDEN = {
    "domain": (
        "kiosk.store",
        "kiosk.services",
        "kiosk.security",
        "kiosk.http",
        "kiosk.realtime",
        "kiosk.appliance",
        "kiosk.keys",
        "aiohttp",
        "peewee",
        "sqlite3",
    ),
    "store": ("kiosk.services", "kiosk.security", "kiosk.http", "kiosk.realtime", "aiohttp"),
    "services": ("kiosk.http", "kiosk.realtime", "kiosk.appliance", "kiosk.keys", "aiohttp"),
    "security": ("kiosk.services", "kiosk.http", "kiosk.realtime", "kiosk.appliance"),
    "realtime": ("kiosk.http", "kiosk.appliance"),
    # The devices page shows the LAN address and its QR code (appliance/discovery.py).
    "http": ("kiosk.realtime",),
}
NOBODY_IMPORTS = ("kiosk.app", "kiosk.cli")


def _modules() -> list[Path]:
    return sorted(PACKAGE.rglob("*.py"))


def _imports(path: Path) -> list[tuple[int, str]]:
    found = []
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            found += [(node.lineno, alias.name) for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found.append((node.lineno, node.module))
            found += [(node.lineno, f"{node.module}.{alias.name}") for alias in node.names]
    return found


def _room(path: Path) -> str:
    parts = path.relative_to(PACKAGE).parts
    return parts[0] if len(parts) > 1 else ""


def test_imports_run_one_way() -> None:
    broken = []
    for path in _modules():
        forbidden = FORBIDDEN.get(_room(path), ())
        for line, name in _imports(path):
            if any(name == f or name.startswith(f + ".") for f in forbidden):
                broken.append(f"{path.relative_to(ROOT)}:{line} imports {name}")
    assert not broken, "\n".join(broken)


def test_nothing_imports_the_app_or_the_cli() -> None:
    allowed = {PACKAGE / "cli.py", PACKAGE / "__main__.py"}
    broken = [
        f"{path.relative_to(ROOT)}:{line} imports {name}"
        for path in _modules()
        if path not in allowed
        for line, name in _imports(path)
        if name in NOBODY_IMPORTS
    ]
    assert not broken, "\n".join(broken)


def test_no_module_is_a_crowd() -> None:
    long = {
        str(p.relative_to(ROOT)): n
        for p in _modules()
        if (n := len(p.read_text().splitlines())) > MAX_MODULE_LINES
    }
    assert not long, long
    top = [p.name for p in PACKAGE.glob("*.py")]
    assert len(top) <= MAX_TOP_MODULES, top


def test_app_keys_live_in_the_keys_module() -> None:
    elsewhere = [
        f"{path.relative_to(ROOT)}:{node.lineno}"
        for path in _modules()
        if path.name != "keys.py"
        for node in ast.walk(ast.parse(path.read_text()))
        if isinstance(node, ast.Call)
        and isinstance(node.func, ast.Attribute)
        and node.func.attr == "AppKey"
    ]
    assert not elsewhere, elsewhere


@pytest.mark.parametrize("command", [["check"], ["format", "--check"]], ids=["lint", "format"])
def test_ruff_is_clean(command: list[str]) -> None:
    result = subprocess.run(
        [sys.executable, "-m", "ruff", *command, "kiosk", "tests"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stdout + result.stderr
