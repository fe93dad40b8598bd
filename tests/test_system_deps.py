"""bin/system-deps as a user who is not root, on a machine that lacks everything: one command to run, and a failure."""

import os
import shutil
import subprocess
import tempfile
from pathlib import Path

import pytest

SCRIPT = Path(__file__).resolve().parents[1] / "bin" / "system-deps"


def run_as_a_user(*args) -> subprocess.CompletedProcess:
    """The script copied where anyone may read it, with a dpkg-query that finds no package installed."""
    with tempfile.TemporaryDirectory() as folder:  # pytest's own folders are closed to other users under root
        folder = Path(folder)
        folder.chmod(0o755)
        fake_bin = folder / "bin"
        fake_bin.mkdir()
        (fake_bin / "dpkg-query").write_text("#!/bin/sh\nexit 1\n")
        (fake_bin / "dpkg-query").chmod(0o755)
        script = folder / "system-deps"
        shutil.copy(SCRIPT, script)
        script.chmod(0o755)
        as_user = ["setpriv", "--reuid=nobody", "--regid=nogroup", "--clear-groups"] if os.geteuid() == 0 else []
        return subprocess.run(
            [*as_user, str(script), *args],
            env={"PATH": f"{fake_bin}:/usr/bin:/bin", "LANG": "C.UTF-8"},
            capture_output=True,
            text=True,
            timeout=60,
        )


@pytest.mark.parametrize(
    ("args", "expected"),
    [
        ((), {"python3-venv", "openssh-server", "openssh-client", "gettext", "fonts-ipafont-gothic"}),
        (("--test",), {"python3-venv", "chromium", "postgresql", "redis-server", "libpango-1.0-0", "procps"}),
        (("--prod",), {"postgresql", "redis-server"}),
    ],
)
def test_another_user_is_told_the_one_apt_get_line_and_the_script_fails(args, expected):
    result = run_as_a_user(*args)
    assert result.returncode == 1, result.stderr
    (line,) = [line for line in result.stderr.splitlines() if "apt-get install" in line]
    packages = set(line.split("--no-install-recommends", 1)[1].split())
    assert expected <= packages
    assert ("chromium" in packages) == ("--test" in args)
    assert result.stdout == ""


def test_an_unknown_flag_is_refused():
    result = run_as_a_user("--everything")
    assert result.returncode == 2 and "usage" in result.stderr
