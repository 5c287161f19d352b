"""What the certificate's writer and its readers agree on: attachment names, fixed wording, WIB.

The renderers (registry.pdf.certificate, registry.pdf.roll) print these texts and the offline
verifier (registry.pdf.printed, registry.offline_verify) expects them; this module uses the
standard library and registry.core only, so the reading side loads no PDF writer.
"""

from __future__ import annotations

from datetime import timedelta, timezone

from registry.core.canonical import parse_instant

__all__ = [
    "ATTACHMENT_RECEIPT",
    "ATTACHMENT_RECORD",
    "ATTACHMENT_SIGNATURE",
    "DAYS",
    "LEGAL_LINE",
    "LEGAL_LINE_EN",
    "MONTHS",
    "WIB",
    "format_wib",
]

ATTACHMENT_RECORD = "record.json"
ATTACHMENT_SIGNATURE = "record.sig"
ATTACHMENT_RECEIPT = "receipt.tlog-proof"

# Honest about the legal nature (PP 71/2019 art. 59–60): no PSrE certificate is involved.
LEGAL_LINE = (
    "Tanda tangan elektronik tidak tersertifikasi menurut PP 71/2019, "
    "disegel dengan kunci sistem registri Ikrar."
)
LEGAL_LINE_EN = (
    "Electronic signature not certified under PP 71/2019 (no PSrE certificate), "
    "sealed with the Ikrar registry's system key."
)

WIB = timezone(timedelta(hours=7), "WIB")  # Asia/Jakarta: UTC+7 all year, no daylight saving
DAYS = ("Senin", "Selasa", "Rabu", "Kamis", "Jumat", "Sabtu", "Minggu")
MONTHS = (
    "Januari",
    "Februari",
    "Maret",
    "April",
    "Mei",
    "Juni",
    "Juli",
    "Agustus",
    "September",
    "Oktober",
    "November",
    "Desember",
)


def format_wib(instant: str) -> str:
    """An instant (``2024-09-12T03:15:00.000Z``) as ``Kamis, 12 September 2024 10.15 WIB``."""
    moment = parse_instant(instant).astimezone(WIB)
    return (
        f"{DAYS[moment.weekday()]}, {moment.day} {MONTHS[moment.month - 1]} {moment.year} "
        f"{moment.hour:02d}.{moment.minute:02d} WIB"
    )
