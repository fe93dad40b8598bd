"""Helpers for tests that need parts of the machine: they fail with a clear message, they never skip."""

import shutil

import pytest


def require_binary(name: str, package: str | None = None) -> str:
    path = shutil.which(name) or shutil.which(name, path="/usr/sbin:/sbin")
    if path is None:
        pytest.fail(
            f"{name} is not installed; run `make test` (it installs Debian's {package or name} as root) "
            f"or `apt-get install {package or name}`.",
            pytrace=False,
        )
    return path


def shown(stored: str, language: str = "en") -> str:
    """A text the portal stored as a message (procedures.texts), as a reader of ``language`` reads it."""
    from procedures.texts import render_message

    return render_message(stored, language)
