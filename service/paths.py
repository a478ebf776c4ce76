"""Where the project's own files live, found from this file, never from the working directory.

An editable install (the README's Quickstart) runs from the checkout: ``alembic/`` and
``edi_templates/`` are siblings of this package. A wheel install carries copies under
``service/_bundled/`` (see pyproject.toml); both are looked for.
"""

from __future__ import annotations

from pathlib import Path

_PACKAGE = Path(__file__).resolve().parent


def _find(name: str) -> Path:
    for candidate in (_PACKAGE.parent / name, _PACKAGE / "_bundled" / name):
        if candidate.is_dir():
            return candidate
    raise FileNotFoundError(f"ipsbill installation is missing its {name}/ directory")


def migrations_dir() -> Path:
    return _find("alembic")


def templates_dir() -> Path:
    return _find("edi_templates")
