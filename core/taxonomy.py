"""The default complaint taxonomy (sektor): LaporGub's top level, which an instansi can replace."""

from __future__ import annotations

# slug -> (label shown in the console, what it covers)
SECTORS: dict[str, tuple[str, str]] = {
    "infrastruktur": (
        "Infrastruktur",
        "jalan, jembatan, drainase, PJU, transportasi dan lalu lintas, parkir, air bersih (PDAM), "
        "perumahan",
    ),
    "kependudukan": ("Kependudukan", "KTP-el, KK, akta, administrasi desa/kelurahan (permades)"),
    "sosial": (
        "Sosial",
        "bansos (PKH, BPNT, BLT), keluarga miskin, perlindungan perempuan dan anak, tenaga kerja",
    ),
    "pendidikan": ("Pendidikan", "sekolah, PPDB, guru, beasiswa"),
    "kesehatan": ("Kesehatan", "puskesmas, rumah sakit, BPJS Kesehatan"),
    "energi": ("Energi", "listrik (PLN), BBM dan LPG, pertambangan"),
    "keuangan_aset": ("Keuangan dan aset", "pajak daerah, pajak kendaraan (Samsat), aset daerah"),
    "pertanian": ("Pertanian", "pupuk, hasil panen, peternakan, perikanan"),
    "kepegawaian": ("Kepegawaian", "ASN, honorer, PPPK, disiplin pegawai"),
    "lingkungan": ("Lingkungan", "sampah, pohon, pencemaran, limbah"),
    "ekonomi_industri": (
        "Ekonomi dan industri",
        "perdagangan, pasar, harga, kredit UMKM, industri, investasi dan izin usaha",
    ),
    "bencana": ("Bencana", "banjir, longsor, gempa, kebakaran"),
    "pariwisata_budaya": ("Pariwisata dan budaya", "wisata, budaya, olahraga, kepemudaan"),
    "lainnya": ("Lainnya", "ketertiban umum dan yang lain"),
}

KIND_LABELS: dict[str, str] = {
    "pengaduan": "Pengaduan",
    "aspirasi": "Aspirasi",
    "permintaan_informasi": "Permintaan informasi",
}


def sector_label(slug: str | None) -> str:
    """Return the console label of a sector slug (the slug itself when it is not a default one)."""
    if not slug:
        return "—"
    return SECTORS.get(slug, (slug, ""))[0]
