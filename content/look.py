"""How an infographic looks: colour schemes with checked contrast, size templates, fonts, logo."""

from __future__ import annotations

import importlib.util
import math
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from types import MappingProxyType
from typing import Any, TypeVar

import yaml
from PIL import Image, ImageFont

from core.errors import InputError
from core.settings import Settings

TEMPLATES_DIR = Path(__file__).parent / "templates"
MIN_CONTRAST = 4.5  # WCAG 2 AA for normal-size text
STYLES = ("title", "subtitle", "figure_value", "figure_label", "body", "bar_label", "hashtags",
          "footer", "wordmark")  # fmt: skip
# (text colour, the colour it sits on): each pair must reach MIN_CONTRAST.
_CONTRAST_PAIRS = (
    ("text", "background"), ("muted", "background"), ("accent", "background"),
    ("on_accent", "accent"),
)  # fmt: skip
Box = tuple[int, int, int, int]  # left, top, right, bottom in canvas pixels
_T = TypeVar("_T")


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


def blend(a: str, b: str, t: float) -> str:
    """Return the colour `t` of the way from `a` to `b` as #rrggbb. Raises InputError as above."""
    return "#" + "".join(
        f"{round(x + (y - x) * t):02x}" for x, y in zip(_rgb(a), _rgb(b), strict=True)
    )


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


def _load(path: Path, key: str, what: str, build: Callable[[str, Any], _T]) -> Mapping[str, _T]:
    """Return build(name, raw) for each entry of the file's top-level `key:` mapping, read-only."""
    try:
        doc = yaml.safe_load(path.read_text(encoding="utf-8"))
    except (OSError, yaml.YAMLError) as exc:
        raise InputError(f"{path} cannot be read as YAML: {exc}") from None
    if not isinstance(doc, dict) or not isinstance(doc.get(key), dict):
        raise InputError(f"{path} needs a top-level '{key}:' mapping.")
    out = {}
    for name, raw in doc[key].items():
        try:
            out[name] = build(name, raw)
        except (KeyError, TypeError, ValueError) as exc:
            raise InputError(f"{what} '{name}' in {path} is incomplete: {exc}.") from None
    return MappingProxyType(out)  # cached by the callers: nobody may change it


def _template(name: str, raw: dict[str, Any]) -> Template:
    text = {k: TextStyle(largest=a, smallest=b, lines=n) for k, (a, b, n) in raw["text"].items()}
    return Template(name=name, **{**raw, "text": text})


@lru_cache(maxsize=8)
def load_templates(path: Path = TEMPLATES_DIR / "sizes.yaml") -> Mapping[str, Template]:
    """Return the templates of a sizes file by name. Raises InputError for a malformed file."""
    return _load(path, "templates", "Template", _template)


@lru_cache(maxsize=8)
def load_schemes(path: Path = TEMPLATES_DIR / "schemes.yaml") -> Mapping[str, ColourScheme]:
    """Return the colour schemes of a file by name.

    Raises InputError for a malformed file or a scheme whose text contrast is under 4.5:1.
    """
    return _load(path, "schemes", "Colour scheme", lambda name, raw: ColourScheme(name=name, **raw))


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


@lru_cache(maxsize=512)
def load_font(path: str, size: int) -> ImageFont.FreeTypeFont:
    """Return the font file at `size` pixels. Raises InputError when it is not a font."""
    try:
        # Basic layout: Indonesian is plain Latin script, and Raqm shaping costs time per call.
        return ImageFont.truetype(path, size, layout_engine=ImageFont.Layout.BASIC)
    except OSError as exc:
        raise InputError(f"{path} cannot be read as a font ({exc}); use a .ttf or .otf.") from None


@lru_cache(maxsize=16)
def load_logo(path: str, mtime: float, height: int, max_width: int) -> Image.Image:
    """Return the PNG logo scaled to `height`, narrower when wider than `max_width`.

    Raises InputError when the file is not a PNG image we can read.
    """
    # mtime is part of the cache key, so a logo replaced on disk is read again.
    try:
        with Image.open(path, formats=["PNG"]) as src:
            image = src.convert("RGBA")
    except (OSError, ValueError) as exc:
        raise InputError(f"The logo {path} is not a PNG image we can read ({exc}).") from None
    width = min(max_width, round(image.width * height / image.height))
    size = (width, round(image.height * width / image.width))
    return image.resize(size, Image.Resampling.LANCZOS)
