"""The files in deploy/ agree with the bot's settings, and systemd accepts the units (when
systemd-analyze is there). nginx -t on the site runs in CI (.ci/nginx-check.sh)."""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path

import pytest

from bot.config import Settings

ROOT = Path(__file__).resolve().parent.parent
UNITS = [ROOT / "deploy" / "ccbot.service", ROOT / "deploy" / "ccbot@.service"]


def _values(unit: Path, key: str) -> list[str]:
    return re.findall(rf"^{key}=(.*)$", unit.read_text(encoding="utf-8"), re.M)


@pytest.mark.parametrize("unit", UNITS, ids=lambda p: p.name)
def test_unit_runs_the_bot_and_outlasts_the_grace(unit: Path) -> None:
    defaults = Settings.model_fields
    assert _values(unit, "ExecStart") == ["/opt/ccbot/.venv/bin/python -m bot"]
    assert _values(unit, "KillSignal") == ["SIGTERM"]
    (stop,) = _values(unit, "TimeoutStopSec")
    assert int(stop) > defaults["shutdown_grace_seconds"].default + 10
    (workdir,) = _values(unit, "WorkingDirectory")
    assert f"{workdir}/data" in _values(unit, "ReadWritePaths")  # the SQLite file and backups
    assert str(Settings.model_fields["database_url"].default).endswith("///data/bot.db")


@pytest.mark.parametrize("unit", UNITS, ids=lambda p: p.name)
def test_systemd_accepts_the_unit(unit: Path, tmp_path: Path) -> None:
    analyze = shutil.which("systemd-analyze")
    if analyze is None:
        pytest.skip("systemd-analyze is not installed")
    copy = tmp_path / unit.name.replace("@", "@8081")  # a template is verified as an instance
    copy.write_text(unit.read_text(encoding="utf-8"), encoding="utf-8")
    # (under CI's moved clock the timed wait sleeps by select: tests/conftest.py)
    done = subprocess.run([analyze, "verify", str(copy)], capture_output=True, text=True, timeout=120)
    unit_name = copy.name.split("@")[0]
    complaints = [  # about the unit itself, not the machine (no bus, not booted with systemd, ...)
        line
        for line in (done.stdout + done.stderr).splitlines()
        if unit_name in line and "is not executable" not in line  # /opt/ccbot is on the server only
    ]
    assert complaints == []


def test_nginx_site_matches_the_webhook_settings() -> None:
    site = (ROOT / "deploy" / "nginx-ccbot.conf").read_text(encoding="utf-8")
    path = Settings.model_fields["webhook_path"].default
    assert f"location = {path} {{" in site
    assert "location = /health {" in site and "deny all;" in site
    ports = re.findall(r"server 127\.0\.0\.1:(\d+)", site)
    assert ports and all(p.isdigit() for p in ports)
    template = (ROOT / "deploy" / "ccbot@.service").read_text(encoding="utf-8")
    assert "Environment=WEBHOOK_PORT=%i" in template  # ccbot@8081 listens where the upstream points
