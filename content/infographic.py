"""Infographics with Pillow: platform templates, checked colour schemes, fitted text, alt text."""

from __future__ import annotations

import io
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, TypeVar

from content.canvas import Canvas, TextBox
from content.layout import fit
from content.look import (
    MIN_CONTRAST,
    STYLES,
    TEMPLATES_DIR,
    Assets,
    Box,
    ColourScheme,
    Template,
    TextStyle,
    assets_from_settings,
    contrast_ratio,
    default_assets,
    load_schemes,
    load_templates,
)
from content.spec import (
    FIGURE_KINDS,
    MAX_FIGURES,
    Bar,
    ChartSpec,
    Figure,
    InfographicSpec,
    spec_from_dict,
    spec_to_dict,
)
from core.errors import InputError

# Everything callers import from here, wherever it is defined.
__all__ = [
    "ALT_TEXT_MAX", "FIGURE_KINDS", "MAX_FIGURES", "MIN_CONTRAST", "STYLES", "TEMPLATES_DIR",
    "Assets", "Bar", "Box", "ChartSpec", "ColourScheme", "Figure", "InfographicSpec", "Rendered",
    "Template", "TextBox", "TextStyle", "alt_text", "assets_from_settings", "contrast_ratio",
    "default_assets", "load_schemes", "load_templates", "render", "spec_from_dict",
    "spec_to_dict",
]  # fmt: skip

ALT_TEXT_MAX = 1000  # X's limit for an image description; Facebook and Telegram take more
_V = TypeVar("_V")


def _sentence(text: str) -> str:
    text = " ".join(text.split())
    first = text.split(" ", 1)[0]
    if "." not in first.rstrip(".") and "@" not in first:  # "lapor.go.id" stays as written
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


def _choose(options: Mapping[str, _V], name: str, what: str) -> _V:
    """Return options[name]. Raises InputError listing the choices when there is no such one."""
    if name not in options:
        raise InputError(f"There is no {what} '{name}'; choose one of {', '.join(options)}.")
    return options[name]


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
    tpl = _choose(templates, template, "template")
    scheme = _choose(schemes, spec.scheme, "colour scheme")
    assets = assets or default_assets()
    rows, bottom, spare = fit(spec, tpl, assets, scheme)
    canvas = Canvas(tpl, scheme)
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
