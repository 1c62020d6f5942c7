"""Training on an instansi's own CSV, bulk classification, and the sentences bad files get."""

from __future__ import annotations

import csv
from pathlib import Path

import pytest

from core.errors import InputError
from handler.training import OUTPUT_COLUMNS, classify_csv, train_from_csv
from handler.triage import Triager

# A tiny history written by the lapor-social team for this test: three of an instansi's own labels.
ROWS = [
    ("jalan kampung berlubang dan rusak parah", "jalan"),
    ("aspal jalan raya mengelupas banyak lubang", "jalan"),
    ("jalan depan sekolah rusak mohon diaspal", "jalan"),
    ("lubang besar di jalan dekat pasar", "jalan"),
    ("jalan gang ambles setelah galian pipa", "jalan"),
    ("jalan poros desa rusak tidak pernah diperbaiki", "jalan"),
    ("sampah menumpuk di tps tidak diangkut", "sampah"),
    ("truk sampah tidak datang seminggu", "sampah"),
    ("tumpukan sampah bau di pinggir sungai", "sampah"),
    ("sampah rumah tangga dibuang sembarangan", "sampah"),
    ("tps penuh sampah meluber ke jalan", "sampah"),
    ("sampah pasar belum diangkut petugas", "sampah"),
    ("ktp saya belum jadi tiga bulan", "adminduk"),
    ("kartu keluarga belum terbit padahal berkas lengkap", "adminduk"),
    ("akta kelahiran anak salah nama", "adminduk"),
    ("surat pindah domisili tidak selesai", "adminduk"),
    ("perekaman ktp antre lama sekali", "adminduk"),
    ("nik ganda tidak bisa cetak ktp", "adminduk"),
]


def write_csv(path: Path, header: list[str], rows: list[tuple[str, ...]]) -> Path:
    with path.open("w", encoding="utf-8", newline="") as fh:
        out = csv.writer(fh)
        out.writerow(header)
        out.writerows(rows)
    return path


def models_dir(factory: pytest.TempPathFactory) -> Path:
    """The session's model cache (the same as test_triage's), so the default trains once."""
    return factory.getbasetemp() / "lapor-models"


@pytest.fixture
def triager(tmp_path_factory: pytest.TempPathFactory) -> Triager:
    return Triager.default(cache_dir=models_dir(tmp_path_factory))


def test_train_reports_cross_validated_figures_and_the_model_loads(
    tmp_path: Path, tmp_path_factory: pytest.TempPathFactory, triager: Triager
) -> None:
    src = write_csv(
        tmp_path / "history.csv",
        ["id", "isi", "kategori"],
        [(str(i), text, label) for i, (text, label) in enumerate(ROWS)],
    )
    report = train_from_csv(
        src, text_column="isi", label_column="kategori", out_path=tmp_path / "m.joblib", folds=3
    )
    assert report.classes == ("adminduk", "jalan", "sampah")
    assert report.counts == {"jalan": 6, "sampah": 6, "adminduk": 6}
    assert report.rows == 18 and report.skipped == 0 and report.macro_f1 >= 0.6
    loaded = Triager.load(tmp_path / "m.joblib", cache_dir=models_dir(tmp_path_factory))
    [r] = loaded.triage(["jalan di depan rumah berlubang besar"])
    assert (
        r.sector == "jalan" and r.model_version.startswith("custom-") and len(r.model_version) <= 60
    )
    assert r.kind == "pengaduan"  # the bundle has no kind model: it comes from the default


def test_rows_with_empty_text_or_label_are_skipped(tmp_path: Path, triager: Triager) -> None:
    rows = list(ROWS) + [("", "jalan"), ("teks tanpa label", "")]
    src = write_csv(tmp_path / "h.csv", ["text", "label"], rows)
    report = train_from_csv(
        src, text_column="text", label_column="label", out_path=tmp_path / "m.joblib", folds=3
    )
    assert (report.rows, report.skipped) == (18, 2)


def test_a_complaint_model_maps_yes_no_labels(
    tmp_path: Path, tmp_path_factory: pytest.TempPathFactory, triager: Triager
) -> None:
    rows = [(t, "ya") for t, _ in ROWS[:9]] + [
        (f"promo diskon {i} persen cek bio", "tidak") for i in range(9)
    ]
    src = write_csv(tmp_path / "c.csv", ["text", "aduan"], rows)
    train_from_csv(
        src,
        text_column="text",
        label_column="aduan",
        task="complaint",
        out_path=tmp_path / "c.joblib",
        folds=3,
    )
    loaded = Triager.load(tmp_path / "c.joblib", cache_dir=models_dir(tmp_path_factory))
    lead, promo = loaded.triage(["sampah menumpuk di tps", "promo diskon 50 persen cek bio"])
    assert lead.complaint_score > promo.complaint_score


@pytest.mark.parametrize(
    ("header", "rows", "kwargs", "message"),
    [
        (
            ["isi", "kategori"],
            ROWS,
            {"text_column": "teks"},
            "history.csv has no column 'teks'; its columns are: isi, kategori.",
        ),
        (
            ["isi", "kategori"],
            [(t, "jalan") for t, _ in ROWS],
            {},
            "Training needs at least two classes; column 'kategori' holds only 'jalan'.",
        ),
        (
            ["isi", "kategori"],
            ROWS[:8],
            {},
            "Each class needs at least 3 rows for 3-fold cross-validation; 'sampah' has 2: add rows, merge them into another class, or drop them.",
        ),
        (
            ["isi", "kategori"],
            [],
            {},
            "history.csv has no row with both 'isi' and 'kategori' filled in.",
        ),
    ],
)
def test_bad_training_files_get_one_sentence(
    tmp_path: Path, header: list[str], rows: list, kwargs: dict, message: str
) -> None:
    src = write_csv(tmp_path / "history.csv", header, rows)
    args = {
        "text_column": "isi",
        "label_column": "kategori",
        "out_path": tmp_path / "m.joblib",
        "folds": 3,
    } | kwargs
    with pytest.raises(InputError) as err:
        train_from_csv(src, **args)
    assert str(err.value) == message
    assert not (tmp_path / "m.joblib").exists()


def test_an_empty_file_is_refused(tmp_path: Path, triager: Triager) -> None:
    src = tmp_path / "kosong.csv"
    src.write_text("", encoding="utf-8")
    with pytest.raises(InputError, match="is empty; it needs a header row"):
        train_from_csv(src, text_column="a", label_column="b", out_path=tmp_path / "m.joblib")
    with pytest.raises(InputError, match="is empty; it needs a header row"):
        classify_csv(src, text_column="a", out_path=tmp_path / "o.csv", triager=triager)


def test_classify_writes_the_columns_and_keeps_the_input_id(
    tmp_path: Path, triager: Triager
) -> None:
    src = write_csv(
        tmp_path / "in.csv",
        ["id", "pesan"],
        [
            ("A-7", "sampah menumpuk di TPS seminggu"),
            ("B-9", ""),
            ("C-1", "kebakaran di pasar, api membesar"),
        ],
    )
    assert (
        classify_csv(src, text_column="pesan", out_path=tmp_path / "out.csv", triager=triager) == 3
    )
    with (tmp_path / "out.csv").open(encoding="utf-8", newline="") as fh:
        rows = list(csv.DictReader(fh))
    assert tuple(rows[0]) == OUTPUT_COLUMNS
    assert [r["id"] for r in rows] == ["A-7", "B-9", "C-1"]
    assert rows[0]["sector"] == "lingkungan" and float(rows[0]["is_complaint"]) > 0.5
    assert (rows[1]["is_complaint"], rows[1]["sector_confidence"]) == ("0.0000", "0.0000")
    assert rows[2]["urgency"] == "darurat"


def test_classify_numbers_rows_when_there_is_no_id_and_streams_chunks(
    tmp_path: Path, triager: Triager, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr("handler.training.CHUNK_ROWS", 2)
    src = write_csv(tmp_path / "in.csv", ["text"], [(t,) for t, _ in ROWS[:5]])
    assert (
        classify_csv(src, text_column="text", out_path=tmp_path / "out.csv", triager=triager) == 5
    )
    with (tmp_path / "out.csv").open(encoding="utf-8", newline="") as fh:
        assert [r["id"] for r in csv.DictReader(fh)] == ["1", "2", "3", "4", "5"]


def test_classify_names_a_missing_text_column(tmp_path: Path, triager: Triager) -> None:
    src = write_csv(tmp_path / "in.csv", ["id", "isi"], [("1", "jalan rusak")])
    with pytest.raises(InputError) as err:
        classify_csv(src, text_column="text", out_path=tmp_path / "o.csv", triager=triager)
    assert str(err.value) == "in.csv has no column 'text'; its columns are: id, isi."
