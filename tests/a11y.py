"""axe-core, run inside the page a browser test has open: 0 critical and 0 serious violations.

Any browser test can call ``assert_accessible(page, context="what is on screen")`` once the state
it wants checked is on screen. axe-core is vendored (tests/vendor/axe-core/PROVENANCE.md), so no
network is needed. It is evaluated through the DevTools protocol (``page.evaluate``), which the
page's Content-Security-Policy does not govern: no ``bypass_csp`` context is needed, and the page
is checked under its real CSP.
"""

from __future__ import annotations

import functools
import hashlib
from typing import Any

from tests.conftest import ROOT

AXE = ROOT / "tests" / "vendor" / "axe-core" / "axe.min.js"
AXE_SHA256 = "29348999450cdf2849a8e70b7912fc2da85a849da39c0d0d5394f51d4a9ed95c"
FAILING = ("critical", "serious")

# Hidden steps (the kiosk's, the verify page's) are skipped by axe itself: it checks what is
# rendered. Best-practice rules are included (landmarks, headings, regions).
RUN = """async () => {
    const results = await axe.run(document, {resultTypes: ['violations']});
    return results.violations.map(v => ({
        id: v.id, impact: v.impact, help: v.help, helpUrl: v.helpUrl,
        nodes: v.nodes.map(n => ({target: n.target.map(String), html: n.html, summary: n.failureSummary || ''})),
    }));
}"""


@functools.cache
def axe_source() -> str:
    data = AXE.read_bytes()
    if hashlib.sha256(data).hexdigest() != AXE_SHA256:
        raise AssertionError(f"{AXE} is not the vendored axe-core (sha256 differs from PROVENANCE.md)")
    return data.decode("utf-8")


def violations(page: Any) -> list[dict[str, Any]]:
    """Every axe violation on the page as it is now (all impacts)."""
    if not page.evaluate("() => typeof window.axe === 'object'"):
        # A plain script, not a function: evaluated as-is in the page's main world, it defines window.axe.
        page.evaluate(axe_source())
    found: list[dict[str, Any]] = page.evaluate(RUN)
    return found


def describe(found: list[dict[str, Any]], limit: int = 3) -> str:
    """One paragraph per violation: rule, impact, what to do, and where (selector and markup)."""
    lines = []
    for violation in found:
        nodes = violation["nodes"]
        lines.append(
            f"- {violation['id']} [{violation['impact']}] {violation['help']} "
            f"({len(nodes)} element(s); {violation['helpUrl']})"
        )
        for node in nodes[:limit]:
            lines.append(f"    at {' '.join(node['target'])}: {node['html'][:200]}")
            summary = " ".join(node["summary"].split())
            if summary:
                lines.append(f"      {summary[:300]}")
        if len(nodes) > limit:
            lines.append(f"    … and {len(nodes) - limit} more")
    return "\n".join(lines)


def assert_accessible(page: Any, *, context: str) -> None:
    """Fail on any critical or serious axe violation of ``page``; print the moderate and minor ones."""
    found = violations(page)
    failing = [v for v in found if v["impact"] in FAILING]
    others = [v for v in found if v["impact"] not in FAILING]
    if others:
        print(f"axe, {context} ({page.url}): moderate/minor, not failing:\n{describe(others, limit=1)}")
    assert not failing, (
        f"axe: {len(failing)} critical/serious violation(s) on {context} ({page.url}):\n{describe(failing)}"
    )
