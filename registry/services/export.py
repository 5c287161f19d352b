"""The signatories of a commitment version as a CSV file for a spreadsheet.

Spreadsheets run a cell that begins with ``=``, ``+``, ``-`` or ``@`` (and some a TAB or CR) as a
formula, so a signer named ``=HYPERLINK(…)`` would run on the organiser's laptop (OWASP, "CSV
Injection"). Every such cell is written with a leading ``'``, which spreadsheets show as text.
The file is UTF-8 with a byte-order mark, so Excel reads Indonesian names (``Ségara``,
``Nur’aini``) correctly. Erased signatures keep their row (the log still counts them) without any
personal data.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Sequence

from registry.core.canonical import format_instant
from registry.pdf.common import format_wib
from registry.services import invitees

BOM = "\ufeff"
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def neutralise(cell: str) -> str:
    """A cell a spreadsheet will show as text, never run as a formula."""
    return "'" + cell if cell.startswith(FORMULA_STARTS) else cell


def signatory_rows(slug: str, version_number: int, labels: dict[str, str]) -> list[list[str]]:
    """One row per signature of the version, oldest first: name, position, institution, category
    label, signed at (WIB), verification code, public display, status (one of ``labels``' keys
    ``valid``, ``withdrawn``, ``erased``, ``invalid``, ``yes``, ``no`` gives the words)."""
    progress = invitees.progress(slug, version_number)
    categories = {c["id"]: c["label"] for c in progress.version.categories}
    rows: list[list[str]] = []
    for checked in progress.signed:
        row = checked.row
        when = format_wib(format_instant(row.signed_at))
        if not checked.ok:
            # Erased: no personal data left to write; failing its checks: nothing trustworthy to write.
            status = labels["erased"] if checked.erased else labels["invalid"]
            rows.append(["", "", "", "", when, row.code, "", status])
            continue
        who = checked.signatory
        rows.append(
            [
                who["name"],
                who["position"],
                who["institution"],
                categories.get(who["category"], who["category"]),
                when,
                row.code,
                labels["yes"] if checked.public_display else labels["no"],
                labels.get(checked.status, checked.status),
            ]
        )
    return rows


def to_csv(header: Sequence[str], rows: Sequence[Sequence[str]]) -> bytes:
    """The table as UTF-8 CSV with a BOM, every cell neutralised against formula injection."""
    out = io.StringIO(newline="")
    writer = csv.writer(out, lineterminator="\r\n", quoting=csv.QUOTE_MINIMAL)
    writer.writerow([neutralise(h) for h in header])
    for row in rows:
        writer.writerow([neutralise(str(cell)) for cell in row])
    return (BOM + out.getvalue()).encode("utf-8")
