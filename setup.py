"""The wheel carries the migrations and payer profiles inside the package.

``alembic/`` and ``edi_templates/`` stay at the top of the repository (where operators and
``alembic.ini`` expect them); building the package copies them to ``service/_bundled/``, where
``service.paths`` looks when the package is installed from a wheel. Everything else is in
pyproject.toml.
"""

from __future__ import annotations

import shutil
from pathlib import Path

from setuptools import setup
from setuptools.command.build_py import build_py

BUNDLED = ("alembic", "edi_templates")


class BuildWithBundledFiles(build_py):
    def run(self) -> None:
        super().run()
        here = Path(__file__).resolve().parent
        for name in BUNDLED:
            target = Path(self.build_lib) / "service" / "_bundled" / name
            shutil.rmtree(target, ignore_errors=True)
            shutil.copytree(
                here / name, target, ignore=shutil.ignore_patterns("__pycache__", "*.pyc")
            )


setup(cmdclass={"build_py": BuildWithBundledFiles})
