"""Where the project's own files live, found from this file, never from the working directory.

An editable install (the README's Quickstart) runs from the checkout: ``alembic/`` and
``edi_templates/`` are siblings of this package. A wheel install carries copies under
``service/_bundled/`` (copied there by setup.py's build step); the copy is looked for first.
"""

from __future__ import annotations

from pathlib import Path

_PACKAGE = Path(__file__).resolve().parent


def _find(name: str, marker: str) -> Path:
    # The bundled copy first: in site-packages the sibling ``alembic/`` is the alembic library.
    for candidate in (_PACKAGE / "_bundled" / name, _PACKAGE.parent / name):
        if (candidate / marker).is_file():
            return candidate
    raise FileNotFoundError(f"ipsbill installation is missing its {name}/ directory")


def migrations_dir() -> Path:
    return _find("alembic", "env.py")


def templates_dir() -> Path:
    return _find("edi_templates", "default.toml")
