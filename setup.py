"""Packaging: everything declarative lives in setup.cfg; this file only adds two mapped packages.

The checkout keeps ``templates/`` and ``migrations/`` at its top (the design's layout). A wheel has
no such "top": setuptools' ``package_dir`` ships those folders as ``registry/_templates`` and
``registry/_migrations`` inside the installed package, where ``registry.paths`` finds them. An
editable install (``pip install -e .``) keeps reading them from the checkout.
"""

from setuptools import find_packages, setup

setup(
    packages=[
        *find_packages(include=["registry", "registry.*"]),
        "registry._templates",
        "registry._templates.admin",
        "registry._templates.kiosk",
        "registry._templates.operator",
        "registry._templates.verify",
        "registry._migrations",
        "registry._migrations.versions",
    ],
    package_dir={"registry._templates": "templates", "registry._migrations": "migrations"},
)
