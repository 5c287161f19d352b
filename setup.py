"""Packaging: everything declarative lives in setup.cfg; this file only adds mapped packages and downloads.

The checkout keeps ``templates/`` and ``migrations/`` at its top (the design's layout). A wheel has
no such "top": setuptools' ``package_dir`` ships those folders as ``registry/_templates`` and
``registry/_migrations`` inside the installed package, where ``registry.paths`` finds them. The
files the /audit page offers for download (tools/verify_log.py, docs/FORMATS.md) are copied into
``registry/_downloads`` of the build. An editable install (``pip install -e .``) keeps reading all
of them from the checkout.
"""

import shutil
from pathlib import Path

from setuptools import find_packages, setup
from setuptools.command.build_py import build_py

DOWNLOADS = ("tools/verify_log.py", "docs/FORMATS.md")


class BuildWithDownloads(build_py):
    def run(self):
        super().run()
        if getattr(self, "editable_mode", False):
            return  # registry.paths reads them from the checkout
        target = Path(self.build_lib) / "registry" / "_downloads"
        target.mkdir(parents=True, exist_ok=True)
        for name in DOWNLOADS:
            shutil.copyfile(name, target / Path(name).name)


setup(
    packages=[
        *find_packages(include=["registry", "registry.*"]),
        "registry._templates",
        "registry._templates.admin",
        "registry._templates.errors",
        "registry._templates.kiosk",
        "registry._templates.operator",
        "registry._templates.verify",
        "registry._migrations",
        "registry._migrations.versions",
    ],
    package_dir={"registry._templates": "templates", "registry._migrations": "migrations"},
    cmdclass={"build_py": BuildWithDownloads},
)
