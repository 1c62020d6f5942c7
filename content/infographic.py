"""Infographics with Pillow: platform templates, checked colour schemes, fitted text, alt text."""

from __future__ import annotations

import importlib.util
import io
import math
from collections.abc import Mapping
from dataclasses import asdict, dataclass
from functools import lru_cache
from pathlib import Path
from types import MappingProxyType
from typing import Any

import yaml
from PIL import Image, ImageDraw, ImageFont

from content.numbers import format_number, format_percent, format_rupiah
from core.errors import InputError
from core.settings import Settings

TEMPLATES_DIR = Path(__file__).parent / "templates"
MIN_CONTRAST = 4.5  # WCAG 2 AA for normal-size text
MAX_FIGURES = 3
ALT_TEXT_MAX = 1000  # X's limit for an image description; Facebook and Telegram take more
FIGURE_KINDS = ("count", "percent", "rupiah")
STYLES = ("title", "subtitle", "figure_value", "figure_label", "body", "bar_label", "hashtags",
          "footer", "wordmark")  # fmt: skip
# (text colour, the colour it sits on): each pair must reach MIN_CONTRAST.
_CONTRAST_PAIRS = (
    ("text", "background"), ("muted", "background"), ("accent", "background"),
    ("on_accent", "accent"),
)  # fmt: skip
_SHRINK = 0.92  # one step of the whole layout when the text does not fit
Box = tuple[int, int, int, int]  # left, top, right, bottom in canvas pixels


def _rgb(colour: str) -> tuple[int, int, int]:
    hexa = str(colour).strip().lstrip("#")
    if len(hexa) == 3:
        hexa = "".join(c * 2 for c in hexa)
    try:
        if len(hexa) != 6:
            raise ValueError(colour)
        return int(hexa[0:2], 16), int(hexa[2:4], 16), int(hexa[4:6], 16)
    except ValueError:
        raise InputError(f"'{colour}' is not a colour; write it as #RRGGBB.") from None


def _luminance(colour: str) -> float:
    def linear(channel: int) -> float:
        c = channel / 255
        return c / 12.92 if c <= 0.04045 else ((c + 0.055) / 1.055) ** 2.4

    r, g, b = (linear(c) for c in _rgb(colour))
    return 0.2126 * r + 0.7152 * g + 0.0722 * b


def contrast_ratio(foreground: str, background: str) -> float:
    """Return the WCAG 2 contrast ratio of two #RRGGBB colours (1.0 to 21.0).

    Raises InputError when a colour is not #RRGGBB.
    """
    light, dark = sorted((_luminance(foreground), _luminance(background)), reverse=True)
    return (light + 0.05) / (dark + 0.05)


@dataclass(frozen=True, slots=True, kw_only=True)
class ColourScheme:
    """An infographic's colours; one whose text would be hard to read cannot be built."""

    name: str
    label: str = ""
    background: str
    text: str
    muted: str  # subtitle, labels, source line
    accent: str  # key figures, hashtags, bars, the wordmark's badge
    on_accent: str  # text on the accent colour
    band: str  # the decorative stripe at the top (no text on it)

    def __post_init__(self) -> None:
        _rgb(self.band)
        for fg, bg in _CONTRAST_PAIRS:
            ratio = contrast_ratio(getattr(self, fg), getattr(self, bg))
            if ratio < MIN_CONTRAST:
                shown = math.floor(ratio * 100) / 100  # never show 4.50 for 4.497
                raise InputError(
                    f"Colour scheme '{self.name}': {fg} {getattr(self, fg)} on {bg} "
                    f"{getattr(self, bg)} has a contrast of {shown:.2f}:1, and text needs at "
                    f"least {MIN_CONTRAST}:1; pick a darker or lighter colour."
                )


@dataclass(frozen=True, slots=True, kw_only=True)
class TextStyle:
    """How one field's text may be set: font sizes from `largest` down to `smallest`, in `lines`."""

    largest: int
    smallest: int
    lines: int


@dataclass(frozen=True, slots=True, kw_only=True)
class Template:
    """A canvas for one platform format: its size, safe margin and text styles."""

    name: str
    label: str
    width: int
    height: int
    margin: int
    gap: int
    logo_height: int
    max_bars: int
    text: Mapping[str, TextStyle]

    def __post_init__(self) -> None:
        if missing := sorted(set(STYLES) - set(self.text)):
            raise InputError(f"Template '{self.name}' has no text style for {', '.join(missing)}.")

    @property
    def size(self) -> str:
        """Return the size as people write it: "1200×675"."""
        return f"{self.width}×{self.height}"

    @property
    def safe_box(self) -> Box:
        """Return the area inside the margin, where every text and the logo are drawn."""
        return (self.margin, self.margin, self.width - self.margin, self.height - self.margin)


def _read_yaml(path: Path, key: str) -> dict[str, Any]:
    try:
        doc = yaml.safe_load(path.read_text(encoding="utf-8"))
    except (OSError, yaml.YAMLError) as exc:
        raise InputError(f"{path} cannot be read as YAML: {exc}") from None
    if not isinstance(doc, dict) or not isinstance(doc.get(key), dict):
        raise InputError(f"{path} needs a top-level '{key}:' mapping.")
    return doc[key]


@lru_cache(maxsize=8)
def load_templates(path: Path = TEMPLATES_DIR / "sizes.yaml") -> Mapping[str, Template]:
    """Return the templates of a sizes file by name. Raises InputError for a malformed file."""
    out = {}
    for name, raw in _read_yaml(path, "templates").items():
        try:
            text = {
                k: TextStyle(largest=a, smallest=b, lines=n) for k, (a, b, n) in raw["text"].items()
            }
            out[name] = Template(name=name, **{**raw, "text": text})
        except (KeyError, TypeError, ValueError) as exc:
            raise InputError(f"Template '{name}' in {path} is incomplete: {exc}.") from None
    return MappingProxyType(out)  # cached: nobody may change it


@lru_cache(maxsize=8)
def load_schemes(path: Path = TEMPLATES_DIR / "schemes.yaml") -> Mapping[str, ColourScheme]:
    """Return the colour schemes of a file by name.

    Raises InputError for a malformed file or a scheme whose text contrast is under 4.5:1.
    """
    out = {}
    for name, raw in _read_yaml(path, "schemes").items():
        try:
            out[name] = ColourScheme(name=name, **raw)
        except TypeError as exc:
            raise InputError(f"Colour scheme '{name}' in {path} is incomplete: {exc}.") from None
    return MappingProxyType(out)  # cached: nobody may change it


@dataclass(frozen=True, slots=True, kw_only=True)
class Figure:
    """A key figure: a value shown in Indonesian notation, and what it counts."""

    value: float
    label: str
    kind: str = "count"  # count | percent (a share: 0.425 is 42,5%) | rupiah
    unit: str = ""  # after a count: "laporan"

    def __post_init__(self) -> None:
        if self.kind not in FIGURE_KINDS:
            raise InputError(f"A key figure is a {', '.join(FIGURE_KINDS)}, not '{self.kind}'.")
        if not self.label.strip():
            raise InputError("Every key figure needs a label that says what it counts.")
        if not math.isfinite(self.value):
            raise InputError(f"The key figure '{self.label}' needs a number.")

    @property
    def display(self) -> str:
        """Return the value as the image shows it: "1.607 laporan", "42,5%", "Rp 1,2 miliar"."""
        if self.kind == "percent":
            return format_percent(self.value)
        if self.kind == "rupiah":
            return format_rupiah(self.value)
        decimals = 0 if float(self.value).is_integer() else 1
        return f"{format_number(self.value, decimals)} {self.unit}".strip()


@dataclass(frozen=True, slots=True, kw_only=True)
class Bar:
    """One bar of a data-driven infographic: a label and its share in [0, 1]."""

    label: str
    share: float

    def __post_init__(self) -> None:
        if not self.label.strip():
            raise InputError("Every bar needs a label.")
        if not 0 <= self.share <= 1:
            raise InputError(f"The share of '{self.label}' must lie between 0 and 1 (100%).")

    @property
    def display(self) -> str:
        """Return the share as the image shows it: "42%"."""
        return format_percent(self.share)


def _check_common(spec: InfographicSpec | ChartSpec) -> None:
    if not spec.title.strip():
        raise InputError("An infographic needs a title.")
    tags = tuple(t.strip().lstrip("#") for t in spec.hashtags if t.strip().lstrip("#"))
    for tag in tags:
        if not tag.replace("_", "").isalnum():
            raise InputError(f"'#{tag}' is not a hashtag: use letters, digits and _ only.")
    object.__setattr__(spec, "hashtags", tags)  # stored without '#', as campaigns keep them


@dataclass(frozen=True, slots=True, kw_only=True)
class InfographicSpec:
    """What goes on a key-figure infographic (the console's form, stored with the image)."""

    title: str
    subtitle: str | None = None
    figures: tuple[Figure, ...] = ()
    body: str | None = None
    hashtags: tuple[str, ...] = ("BeraniLAPOR",)
    footer: str | None = None  # the source line: "Sumber: SP4N-LAPOR!, Lebaran 2018"
    scheme: str = "lapor_merah"

    def __post_init__(self) -> None:
        _check_common(self)
        if len(self.figures) > MAX_FIGURES:
            raise InputError(f"At most {MAX_FIGURES} key figures fit on one image.")


@dataclass(frozen=True, slots=True, kw_only=True)
class ChartSpec:
    """What goes on a data-driven infographic: a title and bars of shares (largest first)."""

    title: str
    bars: tuple[Bar, ...]
    subtitle: str | None = None
    hashtags: tuple[str, ...] = ("BeraniLAPOR",)
    footer: str | None = None
    scheme: str = "lapor_merah"

    def __post_init__(self) -> None:
        _check_common(self)
        if not self.bars:
            raise InputError("A chart needs at least one bar.")


def spec_to_dict(spec: InfographicSpec | ChartSpec) -> dict[str, Any]:
    """Return the spec as JSON-ready values (stored on the media row), with its `layout`."""
    layout = "chart" if isinstance(spec, ChartSpec) else "figures"
    data = asdict(spec)
    for key in ("figures", "bars", "hashtags"):
        if key in data:
            data[key] = list(data[key])
    return {"layout": layout, **data}


def spec_from_dict(data: Mapping[str, Any]) -> InfographicSpec | ChartSpec:
    """Return the spec that `spec_to_dict` wrote. Raises InputError when fields are missing."""
    values = {k: v for k, v in data.items() if k != "layout"}
    try:
        values["hashtags"] = tuple(values.get("hashtags", ()))
        if data.get("layout") == "chart":
            values["bars"] = tuple(Bar(**b) for b in values.get("bars", ()))
            return ChartSpec(**values)
        values["figures"] = tuple(Figure(**f) for f in values.get("figures", ()))
        return InfographicSpec(**values)
    except TypeError as exc:
        raise InputError(f"This infographic description is incomplete: {exc}.") from None


def _sentence(text: str) -> str:
    text = " ".join(text.split())
    text = text[:1].upper() + text[1:]
    return text if text[-1:] in ".!?…" else f"{text}."


def alt_text(spec: InfographicSpec | ChartSpec) -> str:
    """Return an Indonesian description of the image for screen readers, at most 1000 characters.

    "Infografik: <title>. <subtitle>. <label>: <value>. <body>. <source>. Tagar #BeraniLAPOR."
    """
    parts = [f"Infografik: {spec.title}", spec.subtitle or ""]
    if isinstance(spec, ChartSpec):
        parts += [f"{b.label}: {b.display}" for b in spec.bars]
    else:
        parts += [f"{f.label}: {f.display}" for f in spec.figures] + [spec.body or ""]
    parts.append(spec.footer or "")
    tail = f"Tagar {' '.join('#' + t for t in spec.hashtags)}." if spec.hashtags else ""
    text = " ".join(_sentence(p) for p in parts if p and p.strip())
    room = ALT_TEXT_MAX - len(tail) - 1
    if len(text) > room:
        text = text[: room - 1].rstrip() + "…"
    return f"{text} {tail}".strip()


@dataclass(frozen=True, slots=True, kw_only=True)
class Assets:
    """The fonts and the logo an infographic is drawn with; a missing file is refused."""

    regular: Path
    bold: Path
    logo: Path | None = None  # a PNG; without one, a LAPOR! wordmark is drawn

    def __post_init__(self) -> None:
        named = (
            ("regular", "font", "LAPOR_INFOGRAPHIC_FONT", "a .ttf or .otf font"),
            ("bold", "bold font", "LAPOR_INFOGRAPHIC_FONT_BOLD", "a .ttf or .otf font"),
            ("logo", "logo", "LAPOR_INFOGRAPHIC_LOGO", "a PNG image"),
        )
        for role, kind, setting, what in named:
            path = getattr(self, role)
            if path is not None and not Path(path).is_file():
                raise InputError(
                    f"The {kind} file {path} does not exist; point {setting} at {what}."
                )


@lru_cache(maxsize=1)
def default_assets() -> Assets:
    """Return DejaVu Sans from matplotlib's package (it has every Indonesian letter), no logo.

    Raises InputError when matplotlib is not installed.
    """
    spec = importlib.util.find_spec("matplotlib")  # finds the files without importing it
    if spec is None or not spec.submodule_search_locations:
        raise InputError("No default font: install matplotlib or set LAPOR_INFOGRAPHIC_FONT.")
    ttf = Path(next(iter(spec.submodule_search_locations))) / "mpl-data" / "fonts" / "ttf"
    return Assets(regular=ttf / "DejaVuSans.ttf", bold=ttf / "DejaVuSans-Bold.ttf")


def assets_from_settings(settings: Settings) -> Assets:
    """Return the fonts and logo the settings name, DejaVu Sans where they name none.

    A regular font without a bold one is used for both. Raises InputError for a missing file.
    """
    default = default_assets()
    regular = Path(settings.infographic_font) if settings.infographic_font else None
    bold = Path(settings.infographic_font_bold) if settings.infographic_font_bold else regular
    logo = Path(settings.infographic_logo) if settings.infographic_logo else None
    return Assets(regular=regular or default.regular, bold=bold or default.bold, logo=logo)


@dataclass(frozen=True, slots=True, kw_only=True)
class TextBox:
    """One line of text as drawn: which field, the words, and its ink box on the canvas."""

    field: str  # wordmark, title, subtitle, figure1.value, figure1.label, bar1.label, …
    text: str
    box: Box
    size: int  # font size in pixels


@dataclass(frozen=True, slots=True, kw_only=True)
class Rendered:
    """A rendered infographic: the PNG, its size, a suggested alt text and where things went."""

    png: bytes
    width: int
    height: int
    template: str
    scheme: str
    alt_text: str  # a suggestion: the person may edit it before saving
    spec: dict[str, Any]  # spec_to_dict(spec): what went in
    safe_box: Box
    boxes: tuple[TextBox, ...]
    bars: tuple[Box, ...] = ()  # the filled part of each bar (chart layout)


@lru_cache(maxsize=512)
def _font(path: str, size: int) -> ImageFont.FreeTypeFont:
    try:
        # Basic layout: Indonesian is plain Latin script, and Raqm shaping costs time per call.
        return ImageFont.truetype(path, size, layout_engine=ImageFont.Layout.BASIC)
    except OSError as exc:
        raise InputError(f"{path} cannot be read as a font ({exc}); use a .ttf or .otf.") from None


@lru_cache(maxsize=16)
def _logo(path: str, mtime: float, height: int, max_width: int) -> Image.Image:
    # mtime is part of the cache key, so a logo replaced on disk is read again.
    try:
        with Image.open(path, formats=["PNG"]) as src:
            image = src.convert("RGBA")
    except (OSError, ValueError) as exc:
        raise InputError(f"The logo {path} is not a PNG image we can read ({exc}).") from None
    width = min(max_width, round(image.width * height / image.height))
    size = (width, round(image.height * width / image.width))
    return image.resize(size, Image.Resampling.LANCZOS)


def _ink(font: ImageFont.FreeTypeFont, text: str) -> float:
    left, _, right, _ = font.getbbox(text, anchor="la")
    return right - min(0, left)


def _wrap(text: str, font: ImageFont.FreeTypeFont, width: int, most: int) -> list[str] | None:
    """Return `text` in at most `most` lines of ink `width`, or None when it cannot be."""
    lines: list[str] = []
    for paragraph in text.splitlines():
        words = paragraph.split()
        line = words[0] if words else ""
        for word in words[1:]:
            if _ink(font, f"{line} {word}") <= width:
                line = f"{line} {word}"
                continue
            if _ink(font, line) > width or len(lines) + 1 >= most:
                return None
            lines.append(line)
            line = word
        if line and (_ink(font, line) > width or len(lines) >= most):
            return None
        lines += [line] if line else []
    return lines


def _chars(font: ImageFont.FreeTypeFont, text: str, room: int) -> int:
    """Return about how many characters of `text` fit in lines of total width `room`."""
    text = " ".join(text.split())
    fits = int(room / (_ink(font, text) / len(text)) * 0.9)  # lines end ragged: keep 10% spare
    return max(5, fits // 5 * 5)


def _field_name(field: str) -> str:
    names = {"title": "the title", "subtitle": "the subtitle", "body": "the body text",
             "hashtags": "the hashtags", "footer": "the source line"}  # fmt: skip
    item, _, part = field.partition(".")  # figure2.value, bar3.label
    noun = "key figure" if item.startswith("figure") else "bar"
    return names.get(field) or f"the {part} of {noun} {item.removeprefix(noun.split()[-1])}"


@dataclass(slots=True)
class _Run:
    """A fitted field: its font and lines from `x` (or ending at `x` when `right`)."""

    field: str
    text: str
    font: ImageFont.FreeTypeFont
    lines: list[str]
    fill: str
    x: int
    width: int
    right: bool = False

    @property
    def line_height(self) -> int:
        return sum(self.font.getmetrics())

    @property
    def height(self) -> int:
        return self.line_height * len(self.lines)

    def draw(self, draw: ImageDraw.ImageDraw, y: int, boxes: list[TextBox]) -> None:
        for i, line in enumerate(self.lines):
            left, top, right, bottom = self.font.getbbox(line, anchor="la")
            x = self.x - right if self.right else self.x - min(0, left)
            ly = y + i * self.line_height
            draw.text((x, ly), line, font=self.font, fill=self.fill, anchor="la")
            box = (
                math.floor(x + left),
                math.floor(ly + top),
                math.ceil(x + right),
                math.ceil(ly + bottom),
            )
            boxes.append(TextBox(field=self.field, text=line, box=box, size=int(self.font.size)))


@dataclass(slots=True)
class _Row:
    """Columns of runs side by side (each stacked `inner` apart); a chart row adds its bar."""

    columns: list[list[_Run]]
    inner: int = 0
    bar: float | None = None  # the share relative to the longest bar
    bar_height: int = 0

    def tiers(self) -> list[int]:
        """Return the height of each tier: the k-th runs of all columns share a top edge."""
        depth = max(len(c) for c in self.columns)
        return [
            max((c[k].height for c in self.columns if k < len(c)), default=0) for k in range(depth)
        ]

    @property
    def height(self) -> int:
        tiers = self.tiers()
        text = sum(tiers) + self.inner * (len(tiers) - 1)
        return text + (self.inner + self.bar_height if self.bar is not None else 0)


@dataclass(frozen=True, slots=True)
class _Fit:
    """Fits the fields of one spec on one template, every size scaled by `scale`."""

    tpl: Template
    assets: Assets
    scale: float

    def run(
        self,
        field: str,
        text: str,
        style: str,
        fill: str,
        x: int,
        width: int,
        *,
        bold: bool = False,
        right: bool = False,
        cap: int | None = None,
    ) -> _Run:
        """Return `text` at the largest size that fits; InputError naming it when none does."""
        st = self.tpl.text[style]
        size = cap or max(st.smallest, round(st.largest * self.scale))
        path = str(self.assets.bold if bold else self.assets.regular)
        while (lines := _wrap(text, font := _font(path, size), width, st.lines)) is None:
            if size <= st.smallest:
                raise self._too_long(field, text, font, width * st.lines)
            size = max(st.smallest, min(size - 1, int(size * 0.95)))
        return _Run(
            field=field, text=text, font=font, lines=lines, fill=fill, x=x, width=width, right=right
        )

    def same(
        self,
        style: str,
        items: list[tuple[str, str, int]],
        fill: str,
        width: int,
        *,
        bold: bool = False,
        right: bool = False,
    ) -> list[_Run]:
        """Return runs (field, text, x) of one size: the largest at which all of them fit."""
        runs = [self.run(f, t, style, fill, x, width, bold=bold, right=right) for f, t, x in items]
        cap = min(int(r.font.size) for r in runs)
        return [
            self.run(f, t, style, fill, x, width, bold=bold, right=right, cap=cap)
            for f, t, x in items
        ]

    def _too_long(
        self, field: str, text: str, font: ImageFont.FreeTypeFont, room: int
    ) -> InputError:
        fits, name, size = _chars(font, text, room), _field_name(field).capitalize(), self.tpl.size
        if fits >= len(" ".join(text.split())):
            word = max(text.split(), key=len)
            return InputError(f"{name} has a word too long for {size}: shorten '{word}'.")
        return InputError(f"{name} is too long for {size}: shorten it to about {fits} characters.")


def _rows(
    spec: InfographicSpec | ChartSpec, fit: _Fit, s: ColourScheme
) -> tuple[list[_Row], _Row | None]:
    """Return the fitted middle rows (title to body) and the bottom block (hashtags, source)."""
    tpl = fit.tpl
    left, _, right, _ = tpl.safe_box
    width = right - left
    rows = [_Row([[fit.run("title", spec.title, "title", s.text, left, width, bold=True)]])]
    if spec.subtitle:
        rows.append(_Row([[fit.run("subtitle", spec.subtitle, "subtitle", s.muted, left, width)]]))
    if isinstance(spec, ChartSpec):
        if len(spec.bars) > tpl.max_bars:
            raise InputError(
                f"At most {tpl.max_bars} bars fit on {tpl.size}; group the smallest into 'Lainnya'."
            )
        shown = [(f"bar{i}.value", b.display, right) for i, b in enumerate(spec.bars, 1)]
        values = fit.same("bar_label", shown, s.text, width // 3, bold=True, right=True)
        room = width - tpl.gap - math.ceil(max(_ink(v.font, v.lines[0]) for v in values))
        named = [(f"bar{i}.label", b.label, left) for i, b in enumerate(spec.bars, 1)]
        labels = fit.same("bar_label", named, s.text, room)
        longest, bar_height = (
            max(b.share for b in spec.bars) or 1.0,
            max(8, round(labels[0].font.size / 2)),
        )
        rows += [
            _Row([[lab], [v]], tpl.gap // 4, b.share / longest, bar_height)
            for lab, v, b in zip(labels, values, spec.bars, strict=True)
        ]
    elif spec.figures:
        n = len(spec.figures)
        col = (width - tpl.gap * (n - 1)) // n
        at = [(i, f, left + (i - 1) * (col + tpl.gap)) for i, f in enumerate(spec.figures, 1)]
        values = fit.same(
            "figure_value",
            [(f"figure{i}.value", f.display, x) for i, f, x in at],
            s.accent,
            col,
            bold=True,
        )
        labels = fit.same(
            "figure_label", [(f"figure{i}.label", f.label, x) for i, f, x in at], s.text, col
        )
        rows.append(_Row([[v, lab] for v, lab in zip(values, labels, strict=True)], tpl.gap // 3))
    if isinstance(spec, InfographicSpec) and spec.body:
        rows.append(_Row([[fit.run("body", spec.body, "body", s.text, left, width)]]))
    tags = " ".join("#" + t for t in spec.hashtags)
    bottom = (
        [fit.run("hashtags", tags, "hashtags", s.accent, left, width, bold=True)] if tags else []
    )
    if spec.footer:
        bottom.append(fit.run("footer", spec.footer, "footer", s.muted, left, width))
    return rows, (_Row([bottom], tpl.gap // 3) if bottom else None)


def _crowded(tpl: Template, rows: list[_Row], over: int) -> InputError:
    runs = {r.field: r for row in rows if row.bar is None for col in row.columns for r in col}
    labels = sorted((f for f in runs if f.endswith(".label")), key=lambda f: -len(runs[f].text))
    for field in ("body", "subtitle", *labels, "title"):
        if (run := runs.get(field)) is not None:
            keep, name = len(run.lines) - math.ceil(over / run.line_height), _field_name(field)
            if keep <= 0:
                return InputError(
                    f"There is too much text for {tpl.size}: remove {name} or shorten the rest."
                )
            n = _chars(run.font, run.text, run.width * keep)
            return InputError(
                f"There is too much text for {tpl.size}: shorten {name} to about {n} characters."
            )
    raise AssertionError("every layout has a title")


def _layout(
    spec: InfographicSpec | ChartSpec, tpl: Template, assets: Assets, scheme: ColourScheme
) -> tuple[list[_Row], _Row | None, int]:
    """Return the rows, the bottom block and the spare height, shrinking all until they fit."""
    _, top, _, bottom_edge = tpl.safe_box
    floor = min(st.smallest / st.largest for st in tpl.text.values())
    scale = 1.0
    while True:
        rows, bottom = _rows(spec, _Fit(tpl, assets, scale), scheme)
        middle = sum(row.height for row in rows) + tpl.gap * (len(rows) - 1)
        foot = bottom.height + tpl.gap if bottom else 0
        room = bottom_edge - top - tpl.logo_height - tpl.gap - foot
        if middle <= room:
            return rows, bottom, room - middle
        if scale <= floor:
            if isinstance(spec, ChartSpec) and not spec.subtitle:
                raise InputError(
                    f"There is too much for {tpl.size}: use fewer bars or a taller template."
                )
            raise _crowded(tpl, rows, middle - room)
        scale = max(floor, scale * _SHRINK)


def _blend(a: str, b: str, t: float) -> str:
    return "#" + "".join(
        f"{round(x + (y - x) * t):02x}" for x, y in zip(_rgb(a), _rgb(b), strict=True)
    )


class _Canvas:
    """The image being drawn, and the text boxes and bars drawn on it so far."""

    def __init__(self, tpl: Template, scheme: ColourScheme) -> None:
        self.tpl, self.scheme = tpl, scheme
        self.image = Image.new("RGB", (tpl.width, tpl.height), scheme.background)
        self.draw = ImageDraw.Draw(self.image)
        self.boxes: list[TextBox] = []
        self.bars: list[Box] = []
        self.draw.rectangle((0, 0, tpl.width - 1, max(6, tpl.margin // 6) - 1), fill=scheme.band)

    def logo(self, assets: Assets) -> None:
        left, top, right, _ = self.tpl.safe_box
        height = self.tpl.logo_height
        if assets.logo is not None:
            logo = _logo(str(assets.logo), assets.logo.stat().st_mtime, height, (right - left) // 2)
            self.image.paste(logo, (left, top), logo)
            return
        font = _font(str(assets.bold), self.tpl.text["wordmark"].largest)
        x0, y0, x1, y1 = font.getbbox("LAPOR!", anchor="lm")
        pad = height // 3
        badge = (left, top, left + 2 * pad + math.ceil(x1 - x0), top + height)
        self.draw.rounded_rectangle(badge, radius=height // 5, fill=self.scheme.accent)
        x, y = left + pad - x0, top + height // 2
        self.draw.text((x, y), "LAPOR!", font=font, fill=self.scheme.on_accent, anchor="lm")
        box = (math.floor(x + x0), math.floor(y + y0), math.ceil(x + x1), math.ceil(y + y1))
        self.boxes.append(TextBox(field="wordmark", text="LAPOR!", box=box, size=int(font.size)))

    def row(self, row: _Row, y: int) -> None:
        top = y
        for k, tier in enumerate(row.tiers()):
            for column in row.columns:
                if k < len(column):
                    column[k].draw(self.draw, top, self.boxes)
            top += tier + row.inner
        if row.bar is not None:
            left, _, right, _ = self.tpl.safe_box
            y0, y1 = y + row.height - row.bar_height, y + row.height - 1
            track = _blend(self.scheme.background, self.scheme.text, 0.15)
            self.draw.rectangle((left, y0, right - 1, y1), fill=track)
            filled = max(1, round((right - left) * row.bar)) if row.bar > 0 else 0
            if filled:
                self.draw.rectangle((left, y0, left + filled - 1, y1), fill=self.scheme.accent)
            self.bars.append((left, y0, left + filled, y1 + 1))


def render(
    spec: InfographicSpec | ChartSpec,
    template: str = "square",
    *,
    assets: Assets | None = None,
    schemes: Mapping[str, ColourScheme] | None = None,
    templates: Mapping[str, Template] | None = None,
) -> Rendered:
    """Return the infographic drawn on `template` as PNG bytes, with its alt text and text boxes.

    Text wraps to its box and shrinks down to the template's smallest size. Raises InputError
    naming the field that does not fit ("The title is too long for 1200×675: shorten it to
    about 45 characters."), for an unknown template or scheme, or an unreadable font or logo.
    """
    templates, schemes = templates or load_templates(), schemes or load_schemes()
    if template not in templates:
        raise InputError(
            f"There is no template '{template}'; choose one of {', '.join(templates)}."
        )
    if spec.scheme not in schemes:
        raise InputError(
            f"There is no colour scheme '{spec.scheme}'; choose one of {', '.join(schemes)}."
        )
    tpl, scheme, assets = templates[template], schemes[spec.scheme], assets or default_assets()
    rows, bottom, spare = _layout(spec, tpl, assets, scheme)
    canvas = _Canvas(tpl, scheme)
    canvas.logo(assets)
    y = tpl.safe_box[1] + tpl.logo_height + tpl.gap + spare // 2  # centred below the logo
    for row in rows:
        canvas.row(row, y)
        y += row.height + tpl.gap
    if bottom is not None:
        canvas.row(bottom, tpl.safe_box[3] - bottom.height)
    buffer = io.BytesIO()
    canvas.image.save(buffer, "PNG", compress_level=6)
    return Rendered(
        png=buffer.getvalue(),
        width=tpl.width,
        height=tpl.height,
        template=tpl.name,
        scheme=scheme.name,
        alt_text=alt_text(spec),
        spec=spec_to_dict(spec),
        safe_box=tpl.safe_box,
        boxes=tuple(canvas.boxes),
        bars=tuple(canvas.bars),
    )
