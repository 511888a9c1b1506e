"""Installing as an administrator would: the built wheel in a fresh venv serves the web page;
`socketchat init` writes a config `serve` accepts; the systemd unit passes systemd-analyze."""

from __future__ import annotations

import os
import subprocess
import sys
import sysconfig
import urllib.request
import zipfile
from pathlib import Path

from socketchat.server.config import load_config
from tests.support import free_port, require_tool, wait_for_port

ROOT = Path(__file__).resolve().parent.parent
STATIC = ROOT / "src" / "socketchat" / "web" / "static"


def test_wheel_in_a_fresh_venv_serves_the_web_client(tmp_path: Path) -> None:
    wheels = tmp_path / "wheels"
    subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--no-deps", "-q", "-w", str(wheels), str(ROOT)],
        check=True,
        capture_output=True,
    )
    (wheel,) = wheels.glob("socketchat-*.whl")
    names = set(zipfile.ZipFile(wheel).namelist())
    for f in STATIC.iterdir():
        assert f"socketchat/web/static/{f.name}" in names
    venv = tmp_path / "venv"
    subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True)
    clean = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "VIRTUAL_ENV")}
    subprocess.run(
        [str(venv / "bin" / "python"), "-m", "pip", "install", "-q", "--no-deps", str(wheel)],
        check=True,
        capture_output=True,
        env=clean,
    )
    # the dependencies (websockets, platformdirs...) from this venv's site-packages, but not
    # its editable socketchat: a path on PYTHONPATH does not run the editable install's .pth
    env = dict(clean, PYTHONPATH=sysconfig.get_paths()["purelib"])
    exe = str(venv / "bin" / "socketchat")
    where = subprocess.run(
        [str(venv / "bin" / "python"), "-c", "import socketchat; print(socketchat.__file__)"],
        env=env,
        capture_output=True,
        text=True,
    )
    assert where.stdout.startswith(str(venv)), where.stderr
    port, web_port = free_port(), free_port()
    args = ["serve", "--port", str(port), "--web-port", str(web_port)]
    proc = subprocess.Popen(
        [exe, *args, "--data-dir", str(tmp_path / "data")],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        wait_for_port(web_port, timeout=20)
        with urllib.request.urlopen(f"http://127.0.0.1:{web_port}/", timeout=5) as page:
            body = page.read()
        assert page.status == 200 and body == (STATIC / "index.html").read_bytes()
        with urllib.request.urlopen(f"http://127.0.0.1:{web_port}/app.js", timeout=5) as js:
            assert js.read() == (STATIC / "app.js").read_bytes()
    finally:
        proc.terminate()
        proc.wait(timeout=10)


def test_init_writes_a_config_that_serve_reads(tmp_path: Path) -> None:
    site = tmp_path / "site"
    done = subprocess.run(
        [sys.executable, "-m", "socketchat", "init", str(site)],
        capture_output=True,
        text=True,
        check=True,
    )
    config_file = site / "socketchat.toml"
    assert f"Wrote {config_file}" in done.stdout
    assert "hash-password" in done.stdout and f"serve --config {config_file}" in done.stdout
    config = load_config(config_file)
    assert config.data_dir == str(site / "data")
    again = subprocess.run(
        [sys.executable, "-m", "socketchat", "init", str(site)], capture_output=True, text=True
    )
    assert again.returncode == 1 and "not overwriting" in again.stderr


def test_systemd_unit_verifies(tmp_path: Path) -> None:
    analyze = require_tool("systemd-analyze")
    text = (ROOT / "contrib" / "socketchat.service").read_text()
    for directive in (
        "User=socketchat",
        "StateDirectory=socketchat",
        "ProtectSystem=strict",
        "NoNewPrivileges=yes",
        "ExecReload=/bin/kill -HUP $MAINPID",
    ):
        assert directive in text
    # verify checks that ExecStart exists: point it at a stand-in executable
    fake = tmp_path / "socketchat"
    fake.write_text("#!/bin/sh\n")
    fake.chmod(0o755)
    unit = tmp_path / "socketchat.service"
    unit.write_text(text.replace("/opt/socketchat/bin/socketchat", str(fake)))
    result = subprocess.run(
        [analyze, "verify", str(unit)], capture_output=True, text=True, cwd=tmp_path
    )
    assert result.returncode == 0, result.stderr
    assert "socketchat.service" not in result.stderr, result.stderr
