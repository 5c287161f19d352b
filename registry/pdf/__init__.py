"""Ikrar's PDFs: the signing certificate and the signed roll, and reading a certificate back.

Writing (reportlab, qrcode): ``layout`` (fonts, colours, text flowables), ``qr_drawing``,
``branding`` (the issuer's letterhead), ``attachments`` (the embedded record and signature),
``certificate`` and ``roll``.

Reading, for offline verification (standard library and pypdf only, so ``ikrar verify FILE.pdf``
loads neither reportlab, qrcode nor Flask): ``reader`` (the attachments), ``printed_structure``,
``printed_text`` and ``printed`` (the page's text against the sealed record), with ``common``
(attachment names, fixed wording, WIB), ``printable`` and ``truetype`` (what the fonts print)
shared by both sides.

Importing this package loads none of its modules.
"""
