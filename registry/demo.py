"""The demo commitment: Purbalingga's Komitmen Bersama mewujudkan Purbalingga Smart City (12 September 2024)."""

from __future__ import annotations

from datetime import date

from sqlalchemy import select

from registry.db import write_transaction
from registry.extensions import db
from registry.models import Commitment, Invitee
from registry.services import commitments

SLUG = "purbalingga-smart-city-2024"

TEXT = """KOMITMEN BERSAMA
MEWUJUDKAN PURBALINGGA SMART CITY

Kami yang bertanda tangan di bawah ini, unsur Pemerintah Kabupaten Purbalingga, akademisi, badan usaha, komunitas dan media, pada hari Kamis tanggal dua belas bulan September tahun dua ribu dua puluh empat, bertempat di Operation Room Graha Adiguna, Kompleks Sekretariat Daerah Kabupaten Purbalingga, menyatakan komitmen bersama untuk:

1. Mewujudkan Purbalingga sebagai Kota Cerdas (Smart City) yang memanfaatkan teknologi informasi dan komunikasi untuk meningkatkan kualitas hidup masyarakat, efisiensi pelayanan publik, dan daya saing daerah.

2. Melaksanakan Masterplan Smart City Kabupaten Purbalingga beserta program quick win-nya, sesuai peran dan tanggung jawab masing-masing, pada enam dimensi: Smart Governance, Smart Branding, Smart Economy, Smart Living, Smart Society, dan Smart Environment.

3. Mengutamakan transformasi digital, bukan sekadar digitisasi dan digitalisasi: mengubah pola pikir (mindset), budaya kerja (culture set) dan proses bisnis, sehingga layanan publik tidak lagi membutuhkan formulir karena data, infrastruktur dan aplikasi terintegrasi dan dibagipakaikan.

4. Memperkuat sinergi pemerintah daerah, akademisi, badan usaha, komunitas dan media dalam mengembangkan solusi berbasis teknologi bagi Purbalingga.

5. Menjalankan tata kelola Smart City yang terbuka dan akuntabel serta melindungi data pribadi masyarakat.

Demikian komitmen bersama ini kami buat dengan penuh kesadaran dan tanggung jawab.

Purbalingga, 12 September 2024"""

CONSENT = """Persetujuan pemrosesan data pribadi

Dengan menandatangani, saya setuju Pemerintah Kabupaten Purbalingga memproses data berikut untuk mencatat dan membuktikan penandatanganan Komitmen Bersama ini: nama, jabatan, instansi, kategori pemangku kepentingan, dimensi yang saya pilih, tanda tangan tulisan tangan saya, serta waktu, operator dan perangkat penandatanganan.

Data disimpan selama komitmen berlaku dan dihapus setelah masa retensi berakhir. Halaman publik hanya menampilkan status, judul komitmen, nama, jabatan, instansi, waktu penandatanganan dan kode kunci; gambar tanda tangan hanya ditampilkan bila saya mengizinkannya.

Tanda tangan elektronik ini tidak tersertifikasi menurut PP 71/2019; catatannya disegel dengan kunci sistem registri Ikrar."""

DIMENSIONS = [
    {"id": "smart-governance", "label": "Smart Governance", "description": "Tata kelola pemerintahan"},
    {"id": "smart-branding", "label": "Smart Branding", "description": "Citra dan daya tarik daerah"},
    {"id": "smart-economy", "label": "Smart Economy", "description": "Ekonomi daerah"},
    {"id": "smart-living", "label": "Smart Living", "description": "Kualitas hidup"},
    {"id": "smart-society", "label": "Smart Society", "description": "Masyarakat"},
    {"id": "smart-environment", "label": "Smart Environment", "description": "Lingkungan"},
]

CATEGORIES = [
    {"id": "pemerintah", "label": "Pemerintah / OPD"},
    {"id": "akademisi", "label": "Akademisi"},
    {"id": "badan-usaha", "label": "Badan usaha / swasta"},
    {"id": "komunitas", "label": "Komunitas / masyarakat"},
    {"id": "media", "label": "Media"},
]

# Fictitious invitees: the demo must not put real people's names under a signature.
INVITEES = [
    (
        "Dra. Sri Wahyuningsih, M.Si.",
        "Kepala Dinas Komunikasi dan Informatika",
        "Dinas Kominfo Kabupaten Purbalingga",
        "pemerintah",
    ),
    ("Ir. Bambang Setiawan", "Kepala Bappelitbangda", "Bappelitbangda Kabupaten Purbalingga", "pemerintah"),
    ("Dr. Ratna Dewi Kusumastuti", "Dekan Fakultas Teknik", "Universitas Jenderal Soedirman", "akademisi"),
    ("Agus Priyanto", "Direktur Utama", "PT Perwira Digital Nusantara", "badan-usaha"),
    ("Nur Aini Rahmawati", "Ketua", "Komunitas Relawan TIK Purbalingga", "komunitas"),
    ("Yusuf Hidayat", "Pemimpin Redaksi", "Radio Suara Perwira", "media"),
]


def draft() -> commitments.CommitmentDraft:
    return commitments.CommitmentDraft(
        title="Komitmen Bersama mewujudkan Purbalingga Smart City",
        text=TEXT,
        place="Operation Room Graha Adiguna, Kompleks Setda Purbalingga",
        event_date=date(2024, 9, 12),
        dimensions=DIMENSIONS,
        categories=CATEGORIES,
        consent_text=CONSENT,
        # The issuer's name only: no emblem ships (the regency's emblem is not licensed to Ikrar).
        issuer="PEMERINTAH KABUPATEN PURBALINGGA",
    )


def load() -> bool:
    """Load the demo commitment (open for signing) and its invitees; False if it already exists."""
    if db.session.execute(select(Commitment.id).where(Commitment.slug == SLUG)).first():
        return False
    version = commitments.create(SLUG, draft())
    commitment_id = version.commitment_id

    def add_invitees() -> None:
        for name, position, institution, category in INVITEES:
            db.session.add(
                Invitee(
                    commitment_id=commitment_id,
                    name=name,
                    position=position,
                    institution=institution,
                    category=category,
                )
            )

    write_transaction(add_invitees)
    commitments.publish(SLUG, 1)
    return True
