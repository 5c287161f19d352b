"""Dates as a person reads them (issue 14): "12 September 2024", "Kamis, 12 September 2024 pukul 10.15 WIB".

Category labels instead of ids, and invitees sorted by name ignoring titles, on the same pages.
"""

from __future__ import annotations

import html
import re
from datetime import UTC, date, datetime

from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select

from registry.core.name_search import sort_key
from registry.extensions import db
from registry.models import Invitee
from registry.services import signing
from registry.web.dates import long_date, long_day, long_wib
from tests.conftest import sign_in
from tests.factories import DEMO, walk_in

ISO_DATE = re.compile(r"\b20\d\d-\d\d-\d\d\b")
NUMERIC_DATE = re.compile(r"\b\d\d-\d\d-20\d\d\b")


def test_the_formats() -> None:
    day = date(2024, 9, 12)
    assert long_date(day, "id") == "12 September 2024"
    assert long_day(day, "id") == "Kamis, 12 September 2024"
    assert long_date("2024-02-03", "id") == "3 Februari 2024"
    # 03:15 UTC is 10.15 in WIB; near midnight UTC the WIB day is already the next one.
    assert long_wib("2024-09-12T03:15:00.000Z", "id") == "Kamis, 12 September 2024 pukul 10.15 WIB"
    assert (
        long_wib(datetime(2024, 9, 12, 17, 5, tzinfo=UTC), "id") == "Jumat, 13 September 2024 pukul 00.05 WIB"
    )
    assert long_wib(datetime(2024, 9, 12, 3, 15), "id").endswith("10.15 WIB")  # naive = UTC (stored)
    assert long_wib("2024-09-12T03:15:00.000Z", "en") == "Thursday, 12 September 2024 at 10:15 WIB"
    assert long_date(None) == long_wib(None) == "—"


def test_titles_do_not_decide_the_order() -> None:
    names = ["Prof. Dr. Ir. Zainal Arifin", "Bapak Agus Priyanto", "Dra. Hj. Endang Wulandari", "agus salim"]
    assert sorted(names, key=sort_key) == [
        "Bapak Agus Priyanto",
        "agus salim",
        "Dra. Hj. Endang Wulandari",
        "Prof. Dr. Ir. Zainal Arifin",
    ]


def _sign_invitee(app: Flask) -> str:
    from dataclasses import replace

    with app.app_context():
        first = db.session.execute(select(Invitee).order_by(Invitee.id)).scalars().first()
        assert first is not None
        row = signing.sign(
            replace(walk_in("x"), signatory=None, invitee_id=first.id), app.extensions["ikrar.signers"]
        ).record
        return str(row.id)


def test_admin_pages_read_in_long_dates_labels_and_name_order(app: Flask, client: FlaskClient) -> None:
    record_id = _sign_invitee(app)
    sign_in(app, client, "admin")
    version = client.get(f"/admin/commitments/{DEMO}/versions/1").get_data(as_text=True)
    assert "Kamis, 12 September 2024" in version
    assert re.search(r"\w+, \d{1,2} \w+ 20\d\d pukul \d\d\.\d\d WIB", version)  # opened at

    overview = client.get(f"/admin/commitments/{DEMO}").get_data(as_text=True)
    invitees = overview.split("Status tanda tangan untuk versi", 1)[1]
    table = invitees.split("<tbody>", 1)[1].split("</tbody>", 1)[0]
    assert not ISO_DATE.search(table) and not NUMERIC_DATE.search(table)
    assert "pukul" in table and "WIB" in table
    rows = re.findall(r"<tr>\s*<td>([^<]*)</td><td>[^<]*</td><td>[^<]*</td><td>([^<]*)</td>", table)
    names = [html.unescape(name) for name, _ in rows]
    assert len(names) > 3 and names == sorted(names, key=sort_key)
    categories = {html.unescape(category) for _, category in rows}
    assert {"Akademisi", "Badan usaha / swasta"} <= categories, categories  # labels, not ids
    assert not categories & {"akademisi", "badan-usaha", "pemerintah"}

    signature = client.get(f"/admin/signatures/{record_id}").get_data(as_text=True)
    assert "pukul" in signature and not NUMERIC_DATE.search(signature)

    progress = client.get(f"/admin/commitments/{DEMO}/versions/1/progress").get_data(as_text=True)
    assert "pukul" in progress and not NUMERIC_DATE.search(progress)
    not_signed = progress.split('id="not-signed"')[1].split("</table>")[0]
    waiting = [html.unescape(n) for n in re.findall(r"<tr><td>([^<]*)</td>", not_signed)]
    assert len(waiting) > 3 and waiting == sorted(waiting, key=sort_key)


def test_public_pages_read_in_long_dates(app: Flask, client: FlaskClient) -> None:
    with app.app_context():
        code = signing.sign(walk_in("Ayu Lestari"), app.extensions["ikrar.signers"]).record.code
    verify = client.get(f"/v/{code}").get_data(as_text=True)
    assert re.search(r"<dd>\w+, \d{1,2} \w+ 20\d\d pukul \d\d\.\d\d WIB</dd>", verify)
    public = client.get(f"/c/{DEMO}").get_data(as_text=True)
    assert '<td id="date">Kamis, 12 September 2024</td>' in public
    audit = client.get("/audit").get_data(as_text=True)
    keys = audit.split('id="key-history"')[1].split("</table>")[0]
    assert "WIB" in keys and not ISO_DATE.search(keys)
