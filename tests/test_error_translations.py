"""Every service error is an N_() template, so kiosks and browsers read it in Bahasa Indonesia.

A message written as a plain string or an f-string has no msgid: it reaches every reader in
English, whatever their language. The walk below finds such raise sites in registry/ before
they ship; the requests after it show converted messages in both languages through the app.
"""

from __future__ import annotations

import ast
import json
import uuid
from collections.abc import Iterator
from pathlib import Path

from flask import Flask
from flask.testing import FlaskClient

from registry.services import credentials
from tests.conftest import ROOT, csrf_token, sign_in
from tests.factories import DEMO
from tests.test_kiosk import enrol, sign

REGISTRY = ROOT / "registry"
BASE = "ServiceError"
# The admin form's own wording (registry/web/admin/forms.py: "baris 3: tulis “id | label”",
# the YYYY-MM-DD date field) is interface text, written in Indonesian and translated with `_()`
# in the request's language before it is raised; it is shown only on the admin form that caused
# it, never through the API. Accepted here on purpose, and only in the web layer.
INTERFACE_GETTEXT = {"_", "gettext"}
WEB = Path("registry", "web")


def _called(node: ast.expr) -> str | None:
    if isinstance(node, ast.Call):
        if isinstance(node.func, ast.Name):
            return node.func.id
        if isinstance(node.func, ast.Attribute):
            return node.func.attr
    return None


def _marked(node: ast.expr) -> bool:
    return _called(node) == "N_"


class _Module:
    """One source file: what its names are bound to, to follow a message held in a variable."""

    def __init__(self, path: Path, tree: ast.Module) -> None:
        self.path = path
        self.tree = tree
        self.parents = {child: parent for parent in ast.walk(tree) for child in ast.iter_child_nodes(parent)}
        self.tables = {  # NAME = {key: N_("..."), ...}: every value a template
            target.id
            for node in tree.body
            if isinstance(node, ast.Assign) and isinstance(node.value, ast.Dict)
            and node.value.values and all(_marked(v) for v in node.value.values)
            for target in node.targets if isinstance(target, ast.Name)
        }  # fmt: skip
        self.template_functions = {  # a function whose every return is N_("...") or None
            node.name for node in tree.body if isinstance(node, ast.FunctionDef) and _returns_templates(node)
        }

    def accepted(self, message: ast.expr, at: ast.AST) -> bool:
        if _marked(message):
            return True
        if isinstance(message, ast.IfExp):
            return self.accepted(message.body, at) and self.accepted(message.orelse, at)
        if isinstance(message, ast.Subscript) and isinstance(message.value, ast.Name):
            return message.value.id in self.tables
        if isinstance(message, ast.Call) and _called(message) in INTERFACE_GETTEXT:
            return self.path.is_relative_to(WEB)
        if isinstance(message, ast.Name):
            bindings = self._bindings(message.id, at)
            return bool(bindings) and all(self._bound_to_template(value, at) for value in bindings)
        return False

    def _bound_to_template(self, value: ast.expr, at: ast.AST) -> bool:
        if (
            isinstance(value, ast.Call)
            and isinstance(value.func, ast.Name)
            and value.func.id in self.template_functions
        ):
            return True
        return self.accepted(value, at)

    def _bindings(self, name: str, at: ast.AST) -> list[ast.expr]:
        """The values ``name`` is assigned in the function around ``at``."""
        scope: ast.AST | None = at
        while scope is not None and not isinstance(scope, ast.FunctionDef | ast.AsyncFunctionDef):
            scope = self.parents.get(scope)
        if scope is None:
            return []
        return [
            node.value
            for node in ast.walk(scope)
            if isinstance(node, ast.Assign)
            and any(isinstance(t, ast.Name) and t.id == name for t in node.targets)
        ]


def _template_or_none(value: ast.expr | None) -> bool:
    if isinstance(value, ast.IfExp):
        return _template_or_none(value.body) and _template_or_none(value.orelse)
    return value is not None and (_marked(value) or (isinstance(value, ast.Constant) and value.value is None))


def _returns_templates(function: ast.FunctionDef) -> bool:
    returns = [node.value for node in ast.walk(function) if isinstance(node, ast.Return)]
    return bool(returns) and all(_template_or_none(value) for value in returns)


def _family(modules: list[_Module]) -> tuple[set[str], set[str]]:
    """The classes deriving from ServiceError, and those of them with a constructor of their own.

    A class with its own ``__init__`` (desk.TwinFound takes the twins it found) is checked
    where that constructor passes its message on, not where the class is raised.
    """
    bases: dict[str, list[str]] = {}
    own_init: set[str] = set()
    for module in modules:
        for node in ast.walk(module.tree):
            if isinstance(node, ast.ClassDef):
                bases[node.name] = [
                    b.id if isinstance(b, ast.Name) else getattr(b, "attr", "") for b in node.bases
                ]
                if any(isinstance(item, ast.FunctionDef) and item.name == "__init__" for item in node.body):
                    own_init.add(node.name)
    family = {BASE}
    grown = True
    while grown:
        grown = False
        for name, parents in bases.items():
            if name not in family and family.intersection(parents):
                family.add(name)
                grown = True
    return family, (own_init & family) - {BASE}


def _super_inits(module: _Module, classes: set[str]) -> Iterator[ast.Call]:
    for node in ast.walk(module.tree):
        if isinstance(node, ast.ClassDef) and node.name in classes:
            for call in ast.walk(node):
                if (
                    isinstance(call, ast.Call)
                    and isinstance(call.func, ast.Attribute)
                    and call.func.attr == "__init__"
                    and _called(call.func.value) == "super"
                ):
                    yield call


def plain_messages(sources: dict[Path, str]) -> list[str]:
    """``path:line: message`` for every ServiceError made with a message that is not a template."""
    modules = [_Module(path, ast.parse(text)) for path, text in sources.items()]
    family, constructed = _family(modules)
    found: list[tuple[Path, int, str]] = []
    for module in modules:
        calls = [
            node
            for node in ast.walk(module.tree)
            if isinstance(node, ast.Call) and _called(node) in family - constructed and node.args
        ]
        calls += list(_super_inits(module, constructed))
        for call in calls:
            if not module.accepted(call.args[0], call):
                found.append((module.path, call.lineno, ast.unparse(call.args[0])[:100]))
    return [f"{path}:{line}: {message}" for path, line, message in sorted(found)]


def test_every_service_error_in_the_registry_is_a_translatable_template() -> None:
    sources = {path.relative_to(ROOT): path.read_text(encoding="utf-8") for path in REGISTRY.rglob("*.py")}
    assert plain_messages(sources) == []


def test_the_walk_finds_plain_and_formatted_messages() -> None:
    source = """
from registry.core.errors import N_
from registry.services.errors import Conflict, NotFound, ServiceError
TABLE = {"a": N_("a %(x)s")}
MIXED = {"a": N_("a"), "b": "b"}
class Twin(Conflict):
    def __init__(self, name: str) -> None:
        super().__init__(f"{name} twice")
def problem(n: int) -> str | None:
    return N_("bad") if n else None
def untranslated(n: int) -> str:
    return "bad"
def f(slug: str, key: str, n: int) -> None:
    raise NotFound(N_("there is no commitment %(slug)r"), slug=slug)
    raise NotFound(f"there is no commitment {slug!r}")
    raise Conflict("plain")
    raise Conflict(TABLE[key])
    raise Conflict(MIXED[key])
    raise Conflict(N_("on") if n else "off")
    template = problem(n)
    raise Conflict(template)
    other = untranslated(n)
    raise Conflict(other)
    raise Conflict(_("teks antarmuka"))
    raise Twin(slug)
"""
    errors = Path("registry", "services", "errors.py")
    sources = {
        errors: (ROOT / errors).read_text(encoding="utf-8"),
        Path("registry", "services", "example.py"): source,
    }
    found = plain_messages(sources)
    assert [line.split(": ", 1)[1] for line in found] == [
        "f'{name} twice'",
        "f'there is no commitment {slug!r}'",
        "'plain'",
        "MIXED[key]",
        "N_('on') if n else 'off'",
        "other",
        "_('teks antarmuka')",  # outside registry/web/
    ]


def _api(client: FlaskClient, path: str, **headers: str) -> dict[str, object]:
    response = client.get(path, headers=headers)
    assert response.status_code in (404, 422), response.get_data(as_text=True)[:300]
    return dict(response.get_json())


def test_converted_errors_are_english_for_a_bearer_token_and_indonesian_in_a_browser(
    app: Flask, client: FlaskClient
) -> None:
    with app.app_context():
        token = credentials.issue("device", "tablet 1", commitment=DEMO).token
    bearer = {"Authorization": f"Bearer {token}"}
    bad_version = f"/api/v1/commitments/{DEMO}?version=first"
    assert _api(client, bad_version, **bearer)["detail"] == "version must be a positive integer"
    assert _api(client, "/api/v1/commitments/no-such-pledge", **bearer)["detail"] == (
        "there is no commitment 'no-such-pledge'"
    )
    # An integration asking for Indonesian gets it too.
    asked = _api(client, "/api/v1/commitments/no-such-pledge", **bearer, **{"Accept-Language": "id"})
    assert asked["detail"] == "tidak ada komitmen 'no-such-pledge'"
    # A signed-in browser speaks the interface language, Indonesian by default.
    sign_in(app, client, "admin")
    assert _api(client, bad_version)["detail"] == "versi harus berupa bilangan bulat positif"
    assert (
        _api(client, "/api/v1/commitments/no-such-pledge")["detail"] == "tidak ada komitmen 'no-such-pledge'"
    )
    # The version's status is a word of the message, translated with it.
    confirmed = {"csrf_token": csrf_token(client, "/login"), "confirm": "yes"}
    response = client.post(f"/admin/commitments/{DEMO}/versions/1/publish", data=confirmed)
    assert response.status_code == 303
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "versi 1 sudah berstatus dibuka" in page


def test_a_kiosk_reads_the_signing_apis_errors_in_indonesian(app: Flask, client: FlaskClient) -> None:
    with app.app_context():
        token = credentials.issue("device", "tablet 1", commitment=DEMO).token
    english = client.post(
        f"/api/v1/commitments/{DEMO}/signatures",
        data=json.dumps({"signature_colour": "blue"}),
        content_type="application/json",
        headers={"Authorization": f"Bearer {token}", "Idempotency-Key": uuid.uuid4().hex},
    )
    assert english.status_code == 422
    assert english.get_json()["detail"] == "unknown field 'signature_colour'"
    enrol(app, client)
    kiosk = sign(client, signature_colour="blue")
    assert kiosk.status_code == 422 and kiosk.get_json()["field"] == "signature_colour"
    assert kiosk.get_json()["detail"] == "kolom 'signature_colour' tidak dikenal"
    missing = sign(client, invitee_id=0)
    assert missing.get_json()["detail"].startswith("invitee_id harus berupa bilangan bulat dari 1 sampai ")


def test_auditors_tools_on_the_log_get_english_unless_they_ask(client: FlaskClient) -> None:
    # /log/ and /.well-known/ are read by verifiers and auditors' scripts, as the API is by
    # integrations: English by default, the language asked for with Accept-Language.
    plain = client.get("/log/entries?start=x")
    assert plain.status_code == 422
    assert plain.get_json()["detail"] == "start must be a non-negative integer"
    asked = client.get("/log/entries?start=x", headers={"Accept-Language": "id"})
    assert asked.get_json()["detail"] == "start harus berupa bilangan bulat yang tidak negatif"
