"""The README's install block, run as written (the project's own .venv stands in for a fresh
one: the `pip install` line itself is what tests/test_packaging.py checks with a wheel)."""

from __future__ import annotations

import re
import shlex
import subprocess
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def install_block() -> list[str]:
    readme = (ROOT / "README.md").read_text()
    section = readme.split("## Install", 1)[1]
    block = re.search(r"```sh\n(.*?)```", section, re.S)
    assert block is not None
    return [line.split("  #")[0].strip() for line in block.group(1).splitlines() if line]


def test_readme_install_commands_run_as_written(tmp_path: Path) -> None:
    lines = install_block()
    assert lines[0].startswith("python3 -m venv .venv && .venv/bin/pip install '.[fast]'")
    for line in lines[1:]:
        argv = shlex.split(line)
        assert argv[0] == ".venv/bin/socketchat"  # not on PATH after a venv install
        argv[0] = str(ROOT / ".venv" / "bin" / "socketchat")
        done = subprocess.run(argv, cwd=tmp_path, capture_output=True, text=True, timeout=60)
        assert done.returncode == 0, (line, done.stderr)
    assert (tmp_path / "mychat" / "socketchat.toml").exists()
