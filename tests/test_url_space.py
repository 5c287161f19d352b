"""The code follows the URL space (issue 16): each URL prefix (first path segment) is served by one
blueprint, each machine URL prefix by one blueprint in registry/api/, and the API's views hold no
SQL (services own the queries)."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from registry.app import create_app
from tests.conftest import Env

ROOT = Path(__file__).resolve().parent.parent
pytestmark = pytest.mark.same_on_every_database

# URL prefix → the one blueprint (endpoint prefix) that serves it, all defined in registry/api/.
PREFIXES = {
    "/api/v1/": "api",
    "/log/": "log",
    "/.well-known/": "discovery",
    "/openapi.json": "discovery",
}


def test_each_machine_prefix_is_one_blueprint_in_registry_api(env: Env) -> None:
    app = create_app(env.config(), startup_checks=False)
    seen = set()
    for rule in app.url_map.iter_rules():
        for prefix, blueprint in PREFIXES.items():
            if rule.rule.startswith(prefix):
                seen.add(prefix)
                assert rule.endpoint.split(".")[0] == blueprint, f"{rule.rule} is served by {rule.endpoint}"
                module = app.view_functions[rule.endpoint].__module__
                assert module.startswith("registry.api."), f"{rule.rule} is defined in {module}"
        if rule.endpoint.split(".")[0] in set(PREFIXES.values()):
            assert rule.rule.startswith(tuple(PREFIXES)), f"{rule.endpoint} answers {rule.rule}"
    assert seen == set(PREFIXES)


def test_each_first_path_segment_is_one_blueprint(env: Env) -> None:
    app = create_app(env.config(), startup_checks=False)
    blueprints: dict[str, set[str]] = {}
    for rule in app.url_map.iter_rules():
        segment = "/" + rule.rule.lstrip("/").split("/")[0]
        if segment != "/static":  # Flask's own static files, no blueprint
            blueprints.setdefault(segment, set()).add(rule.endpoint.rpartition(".")[0])
    shared = {segment: sorted(names) for segment, names in blueprints.items() if len(names) != 1}
    assert not shared, f"URL prefixes served by more than one blueprint: {shared}"
    # The prefixes issue 16 brought together, each under the blueprint that now owns it.
    assert blueprints["/operator"] == {"operator"}
    assert blueprints["/kiosk"] == {"kiosk"}
    assert blueprints["/account"] == {"account"}
    assert blueprints["/login"] == {"auth"}
    assert blueprints["/c"] == {"public"}
    assert blueprints["/v"] == {"verify"}


@pytest.mark.parametrize(
    "module",
    sorted(
        [p.relative_to(ROOT).as_posix() for p in (ROOT / "registry" / "api").glob("*.py")]
        + ["registry/web/audit.py", "registry/web/verify_views.py", "registry/web/views.py"]
    ),
)
def test_views_hold_no_sql(module: str) -> None:
    text = (ROOT / module).read_text(encoding="utf-8")
    assert not re.search(r"db\.session|select\(", text), f"{module} runs SQL itself: move it to a service"


def test_web_imports_nothing_from_the_api_problems_module() -> None:
    for path in (ROOT / "registry" / "web").rglob("*.py"):
        assert "registry.api.problems" not in path.read_text(encoding="utf-8"), path
