"""Infographics: platform sizes, text that fits the canvas, Indonesian numbers, alt text, colours."""

from __future__ import annotations

import dataclasses
import io
import re
from pathlib import Path

import pytest
from PIL import Image

from content.infographic import (
    Assets,
    Bar,
    ChartSpec,
    ColourScheme,
    Figure,
    InfographicSpec,
    Rendered,
    Template,
    TextStyle,
    alt_text,
    assets_from_settings,
    contrast_ratio,
    default_assets,
    load_schemes,
    load_templates,
    render,
    spec_from_dict,
    spec_to_dict,
)
from core.errors import InputError
from core.settings import Settings

SIZES = {
    "square": (1080, 1080),
    "portrait": (1080, 1350),
    "x": (1200, 675),
    "facebook": (1200, 630),
}

LEBARAN = InfographicSpec(
    title="1.607 laporan masuk selama libur Lebaran 2018",
    subtitle="Lewat aplikasi, SMS 1708 dan situs lapor.go.id",
    figures=(
        Figure(value=1607, label="laporan selama libur Lebaran", unit="laporan"),
        Figure(value=0.425, kind="percent", label="soal kemacetan arus mudik"),
    ),
    body="Topik teratas: kemacetan, THR, KKS dan ketenagakerjaan.",
    footer="Sumber: SP4N-LAPOR!, Lebaran 2018",
)
CROWDED = InfographicSpec(
    title="Pelayanan publik yang lebih baik dimulai dari laporan warga yang berani bersuara",
    subtitle="Sampaikan keluhan, aspirasi dan permintaan informasi Anda kepada instansi",
    figures=(
        Figure(value=1607, label="laporan selama libur Lebaran", unit="laporan"),
        Figure(value=0.91, kind="percent", label="laporan ditindaklanjuti di Bojonegoro"),
        Figure(value=1.2e9, kind="rupiah", label="anggaran kampanye daerah"),
    ),
    body="Setiap laporan diverifikasi dalam 3 hari kerja dan ditindaklanjuti dalam 5 hari kerja.",
    footer="Sumber: evaluasi SP4N-LAPOR! Jawa Timur",
    hashtags=("BeraniLAPOR", "AyoKenalLAPOR"),
    scheme="diskominfo_biru",
)
SECTORS = ChartSpec(
    title="Laporan terbanyak minggu ini",
    subtitle="Dari 1.607 laporan, 1–7 Juni 2026",
    bars=(
        Bar(label="Infrastruktur", share=0.42),
        Bar(label="Kesehatan", share=0.21),
        Bar(label="Sosial", share=0.14),
        Bar(label="Lainnya", share=0.23),
    ),
    footer="Sumber: lapor-social",
    scheme="kontras_tinggi",
)


def words(rendered: Rendered, field: str) -> str:
    """The words of one field as drawn, its lines joined."""
    return " ".join(b.text for b in rendered.boxes if b.field == field)


def inside(box: tuple[int, int, int, int], outer: tuple[int, int, int, int]) -> bool:
    return outer[0] <= box[0] and outer[1] <= box[1] and box[2] <= outer[2] and box[3] <= outer[3]


def overlap(a: tuple[int, int, int, int], b: tuple[int, int, int, int]) -> bool:
    return a[0] < b[2] and b[0] < a[2] and a[1] < b[3] and b[1] < a[3]


def test_key_figures_display_in_indonesian_notation() -> None:
    assert Figure(value=1607, label="laporan", unit="laporan").display == "1.607 laporan"
    assert Figure(value=0.425, kind="percent", label="x").display == "42,5%"
    assert Figure(value=1.2e9, kind="rupiah", label="x").display == "Rp 1,2 miliar"


# Sizes and fitting ---------------------------------------------------------------------------


@pytest.mark.parametrize("template", sorted(SIZES))
def test_each_template_renders_a_png_of_its_platform_size(template: str) -> None:
    rendered = render(LEBARAN, template)

    image = Image.open(io.BytesIO(rendered.png))
    assert image.format == "PNG"
    assert image.size == SIZES[template] == (rendered.width, rendered.height)
    tpl = load_templates()[template]
    assert (tpl.width, tpl.height) == SIZES[template]


@pytest.mark.parametrize("template", sorted(SIZES))
@pytest.mark.parametrize("spec", [LEBARAN, CROWDED, SECTORS], ids=["lebaran", "crowded", "chart"])
def test_all_text_lies_inside_the_safe_area_without_overlapping(
    template: str, spec: InfographicSpec | ChartSpec
) -> None:
    rendered = render(spec, template)

    assert rendered.boxes
    for box in rendered.boxes:
        assert inside(box.box, rendered.safe_box), box
    for i, a in enumerate(rendered.boxes):
        for b in rendered.boxes[i + 1 :]:
            assert not overlap(a.box, b.box), (a, b)
    for bar in rendered.bars:
        assert inside(bar, rendered.safe_box)
        assert not any(overlap(bar, t.box) for t in rendered.boxes)


@pytest.mark.parametrize("template", sorted(SIZES))
def test_every_word_is_drawn_with_numbers_in_indonesian(template: str) -> None:
    rendered = render(CROWDED, template)

    assert words(rendered, "title") == CROWDED.title
    assert words(rendered, "subtitle") == CROWDED.subtitle
    assert words(rendered, "body") == CROWDED.body
    assert words(rendered, "figure1.value") == "1.607 laporan"
    assert words(rendered, "figure2.value") == "91%"
    assert words(rendered, "figure3.value") == "Rp 1,2 miliar"
    assert words(rendered, "figure3.label") == "anggaran kampanye daerah"
    assert words(rendered, "hashtags") == "#BeraniLAPOR #AyoKenalLAPOR"
    assert words(rendered, "footer") == CROWDED.footer
    assert words(rendered, "wordmark") == "LAPOR!"


def test_a_title_that_cannot_fit_is_refused_naming_it_and_the_size() -> None:
    title = " ".join(["Laporkan keluhan pelayanan publik Anda melalui kanal resmi"] * 4)

    with pytest.raises(InputError) as caught:
        render(InfographicSpec(title=title), "x")

    message = str(caught.value)
    match = re.fullmatch(
        r"The title is too long for 1200×675: shorten it to about (\d+) characters\.", message
    )
    assert match, message
    # Shortened as told, it fits.
    fits = title[: int(match.group(1))].rsplit(" ", 1)[0]
    assert words(render(InfographicSpec(title=fits), "x"), "title") == fits


def test_a_long_title_shrinks_before_it_is_refused() -> None:
    short = render(InfographicSpec(title="Berani LAPOR!"), "facebook")
    title = "Pelayanan publik yang lebih baik dimulai dari laporan warga yang berani bersuara"
    long = render(InfographicSpec(title=title), "facebook")

    def size(r: Rendered) -> int:
        return next(b.size for b in r.boxes if b.field == "title")

    assert words(long, "title") == title
    assert size(short) == load_templates()["facebook"].text["title"].largest
    assert size(long) < size(short)  # a smaller font, not a refusal


def test_too_much_text_together_names_what_to_shorten() -> None:
    # A small canvas where each field fits on its own, but not all of them together.
    def style(largest: int, smallest: int, lines: int) -> TextStyle:
        return TextStyle(largest=largest, smallest=smallest, lines=lines)

    mini = Template(
        name="mini", label="uji", width=800, height=300, margin=20, gap=10, logo_height=30,
        max_bars=3, text={
            "title": style(30, 20, 2), "subtitle": style(20, 16, 2), "body": style(16, 14, 3),
            "figure_value": style(30, 24, 1), "figure_label": style(16, 14, 1),
            "bar_label": style(16, 14, 1), "hashtags": style(16, 14, 1),
            "footer": style(14, 12, 1), "wordmark": style(20, 20, 1),
        },
    )  # fmt: skip
    spec = InfographicSpec(
        title="Laporan masuk selama libur Lebaran tahun ini dari seluruh penjuru Indonesia",
        subtitle="Lewat aplikasi, SMS 1708 dan situs",
        figures=(Figure(value=1607, label="laporan", unit="laporan"),),
        body=" ".join(["Topik teratas kemacetan, THR, KKS dan ketenagakerjaan."] * 4),
        footer="Sumber: SP4N-LAPOR!",
    )

    with pytest.raises(InputError) as caught:
        render(spec, "mini", templates={"mini": mini})

    match = re.fullmatch(
        r"There is too much text for 800×300: shorten the body text to about (\d+) characters\.",
        str(caught.value),
    )
    assert match, str(caught.value)
    body = spec.body[: int(match.group(1))].rsplit(" ", 1)[0]
    shorter = dataclasses.replace(spec, body=body)
    assert words(render(shorter, "mini", templates={"mini": mini}), "body") == body


def test_a_figure_value_too_long_is_refused_by_name() -> None:
    figure = Figure(value=1607, label="laporan", unit="laporan dari warga se-Jawa Timur minggu ini")
    spec = InfographicSpec(title="Judul", figures=(figure, figure, figure))

    with pytest.raises(InputError, match="^The value of key figure 1 is too long for 1200×630"):
        render(spec, "facebook")


def test_chart_bars_are_proportional_to_the_shares() -> None:
    rendered = render(SECTORS, "square")

    widths = [bar[2] - bar[0] for bar in rendered.bars]
    longest = max(b.share for b in SECTORS.bars)
    full = rendered.safe_box[2] - rendered.safe_box[0]
    for width, bar in zip(widths, SECTORS.bars, strict=True):
        assert abs(width - full * bar.share / longest) <= 1
    assert [words(rendered, f"bar{i}.value") for i in range(1, 5)] == ["42%", "21%", "14%", "23%"]


def test_a_chart_with_more_bars_than_fit_is_refused() -> None:
    bars = tuple(Bar(label=f"Sektor {i}", share=0.1) for i in range(6))

    with pytest.raises(InputError, match="At most 5 bars fit on 1200×675"):
        render(ChartSpec(title="Sektor", bars=bars), "x")


# Alt text ------------------------------------------------------------------------------------


def test_alt_text_says_the_title_the_figures_and_the_hashtag_in_indonesian() -> None:
    alt = render(LEBARAN, "square").alt_text

    assert alt.startswith("Infografik: 1.607 laporan masuk selama libur Lebaran 2018.")
    assert "Laporan selama libur Lebaran: 1.607 laporan." in alt
    assert "Soal kemacetan arus mudik: 42,5%." in alt
    assert "Sumber: SP4N-LAPOR!, Lebaran 2018." in alt
    assert alt.endswith("Tagar #BeraniLAPOR.")


def test_chart_alt_text_lists_every_bar() -> None:
    alt = render(SECTORS, "x").alt_text

    assert alt == (
        "Infografik: Laporan terbanyak minggu ini. Dari 1.607 laporan, 1–7 Juni 2026. "
        "Infrastruktur: 42%. Kesehatan: 21%. Sosial: 14%. Lainnya: 23%. "
        "Sumber: lapor-social. Tagar #BeraniLAPOR."
    )


def test_alt_text_keeps_a_web_address_as_written() -> None:
    spec = InfographicSpec(title="Lapor itu mudah", footer="lapor.go.id · SMS 1708")
    assert "lapor.go.id · SMS 1708." in alt_text(spec)


def test_alt_text_stays_within_x_limit() -> None:
    spec = InfographicSpec(title="Judul", body="kata " * 400, hashtags=("BeraniLAPOR",))

    text = alt_text(spec)
    assert len(text) <= 1000
    assert text.endswith("Tagar #BeraniLAPOR.")


# Colours, fonts, logo ------------------------------------------------------------------------


def test_contrast_ratio_follows_wcag() -> None:
    assert contrast_ratio("#000000", "#FFFFFF") == pytest.approx(21.0)
    assert contrast_ratio("#777777", "#FFFFFF") == pytest.approx(4.48, abs=0.01)


def test_a_scheme_with_poor_contrast_is_refused() -> None:
    with pytest.raises(InputError, match=r"'abu': muted #999999 on background #FFFFFF .* 2\.84:1"):
        ColourScheme(name="abu", background="#FFFFFF", text="#000000", muted="#999999",
                     accent="#C8102E", on_accent="#FFFFFF", band="#C8102E")  # fmt: skip


def test_a_scheme_file_with_a_failing_scheme_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "schemes.yaml"
    path.write_text(
        "schemes:\n  kuning:\n    background: '#FFFFFF'\n    text: '#000000'\n"
        "    muted: '#333333'\n    accent: '#FFD84D'\n    on_accent: '#000000'\n"
        "    band: '#FFD84D'\n",
        encoding="utf-8",
    )

    with pytest.raises(InputError, match="'kuning': accent #FFD84D on background #FFFFFF"):
        load_schemes(path)


def test_every_shipped_scheme_is_readable() -> None:
    schemes = load_schemes()
    assert {"lapor_merah", "diskominfo_biru", "kontras_tinggi"} <= set(schemes)
    for scheme in schemes.values():
        assert contrast_ratio(scheme.text, scheme.background) >= 4.5
        assert contrast_ratio(scheme.accent, scheme.background) >= 4.5
        assert contrast_ratio(scheme.on_accent, scheme.accent) >= 4.5


def test_the_scheme_colours_the_image() -> None:
    rendered = render(SECTORS, "square")  # kontras_tinggi: black background, yellow band

    image = Image.open(io.BytesIO(rendered.png)).convert("RGB")
    assert image.getpixel((rendered.width // 2, 2)) == (0xFF, 0xE6, 0x00)
    assert image.getpixel((rendered.width - 5, rendered.height - 5)) == (0, 0, 0)


def test_a_missing_font_file_is_a_clear_error(tmp_path: Path) -> None:
    settings = Settings(infographic_font=str(tmp_path / "hilang.ttf"))

    with pytest.raises(
        InputError,
        match=r"^The font file .*hilang\.ttf does not exist; point LAPOR_INFOGRAPHIC_FONT at a .ttf",
    ):
        assets_from_settings(settings)


def test_a_file_that_is_not_a_font_is_a_clear_error(tmp_path: Path) -> None:
    fake = tmp_path / "bukan.ttf"
    fake.write_text("bukan font", encoding="utf-8")
    assets = Assets(regular=fake, bold=fake)

    with pytest.raises(InputError, match="bukan.ttf cannot be read as a font"):
        render(LEBARAN, "square", assets=assets)


def test_the_default_font_is_dejavu_sans() -> None:
    settings = Settings(infographic_font=None, infographic_font_bold=None, infographic_logo=None)
    assets = assets_from_settings(settings)
    assert assets.regular.name == "DejaVuSans.ttf" and assets.regular.is_file()
    assert assets.bold.name == "DejaVuSans-Bold.ttf" and assets.bold.is_file()
    assert assets.logo is None


def test_a_logo_png_replaces_the_wordmark(tmp_path: Path) -> None:
    logo = tmp_path / "logo.png"
    Image.new("RGBA", (200, 100), (0, 128, 0, 255)).save(logo)
    assets = Assets(regular=default_assets().regular, bold=default_assets().bold, logo=logo)

    rendered = render(LEBARAN, "square", assets=assets)

    assert words(rendered, "wordmark") == ""
    image = Image.open(io.BytesIO(rendered.png)).convert("RGB")
    left, top, _, _ = rendered.safe_box
    assert image.getpixel((left + 10, top + 10)) == (0, 128, 0)
    assert all(b.box[1] >= top + load_templates()["square"].logo_height for b in rendered.boxes)


# Spec values ---------------------------------------------------------------------------------


def test_spec_survives_storage_as_json() -> None:
    for spec in (LEBARAN, CROWDED, SECTORS):
        assert spec_from_dict(spec_to_dict(spec)) == spec
    assert spec_to_dict(SECTORS)["layout"] == "chart"


def test_hashtags_are_kept_without_the_hash_and_checked() -> None:
    spec = InfographicSpec(title="Judul", hashtags=("#BeraniLAPOR", "AyokLAPOR", " "))
    assert spec.hashtags == ("BeraniLAPOR", "AyokLAPOR")
    with pytest.raises(InputError, match="'#Berani LAPOR' is not a hashtag"):
        InfographicSpec(title="Judul", hashtags=("Berani LAPOR",))


def test_unknown_template_or_scheme_is_named() -> None:
    with pytest.raises(InputError, match="no template 'story'.*square"):
        render(LEBARAN, "story")
    with pytest.raises(InputError, match="no colour scheme 'ungu'"):
        render(InfographicSpec(title="Judul", scheme="ungu"), "square")


def test_a_spec_needs_a_title_and_at_most_three_figures() -> None:
    with pytest.raises(InputError, match="needs a title"):
        InfographicSpec(title="  ")
    figure = Figure(value=1, label="laporan")
    with pytest.raises(InputError, match="At most 3 key figures"):
        InfographicSpec(title="Judul", figures=(figure,) * 4)
    with pytest.raises(InputError, match="between 0 and 1"):
        Bar(label="Infrastruktur", share=42)
