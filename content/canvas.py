"""The infographic's canvas: band, logo or wordmark, fitted text and bars, with where each went."""

from __future__ import annotations

import math
from dataclasses import dataclass

from PIL import Image, ImageDraw, ImageFont

from content.layout import Row, Run
from content.look import Assets, Box, ColourScheme, Template, blend, load_font, load_logo


@dataclass(frozen=True, slots=True, kw_only=True)
class TextBox:
    """One line of text as drawn: which field, the words, and its ink box on the canvas."""

    field: str  # wordmark, title, subtitle, figure1.value, figure1.label, bar1.label, …
    text: str
    box: Box
    size: int  # font size in pixels


class Canvas:
    """The image being drawn, and the text boxes and bars drawn on it so far."""

    def __init__(self, tpl: Template, scheme: ColourScheme) -> None:
        self.tpl, self.scheme = tpl, scheme
        self.image = Image.new("RGB", (tpl.width, tpl.height), scheme.background)
        self.draw = ImageDraw.Draw(self.image)
        self.boxes: list[TextBox] = []
        self.bars: list[Box] = []
        self.draw.rectangle((0, 0, tpl.width - 1, max(6, tpl.margin // 6) - 1), fill=scheme.band)

    def logo(self, assets: Assets) -> None:
        """Draw the logo at the top left of the safe box, or a LAPOR! wordmark without one."""
        left, top, right, _ = self.tpl.safe_box
        height = self.tpl.logo_height
        if assets.logo is not None:
            logo = load_logo(
                str(assets.logo), assets.logo.stat().st_mtime, height, (right - left) // 2
            )
            self.image.paste(logo, (left, top), logo)
            return
        font = load_font(str(assets.bold), self.tpl.text["wordmark"].largest)
        ink = font.getbbox("LAPOR!", anchor="lm")
        pad = height // 3
        badge = (left, top, left + 2 * pad + math.ceil(ink[2] - ink[0]), top + height)
        self.draw.rounded_rectangle(badge, radius=height // 5, fill=self.scheme.accent)
        xy = (left + pad - ink[0], top + height // 2)
        self._text("wordmark", "LAPOR!", font, xy, self.scheme.on_accent, "lm", ink)

    def row(self, row: Row, y: int) -> None:
        """Draw a fitted row with its top edge at `y`: its text tier by tier, then its bar."""
        top = y
        for k, tier in enumerate(row.tiers()):
            for column in row.columns:
                if k < len(column):
                    self._run(column[k], top)
            top += tier + row.inner
        if row.bar is not None:
            left, _, right, _ = self.tpl.safe_box
            y0, y1 = y + row.height - row.bar_height, y + row.height - 1
            track = blend(self.scheme.background, self.scheme.text, 0.15)
            self.draw.rectangle((left, y0, right - 1, y1), fill=track)
            filled = max(1, round((right - left) * row.bar)) if row.bar > 0 else 0
            if filled:
                self.draw.rectangle((left, y0, left + filled - 1, y1), fill=self.scheme.accent)
            self.bars.append((left, y0, left + filled, y1 + 1))

    def _run(self, run: Run, y: int) -> None:
        for i, line in enumerate(run.lines):
            ink = run.font.getbbox(line, anchor="la")
            x = run.x - ink[2] if run.right else run.x - min(0, ink[0])
            xy = (x, y + i * run.line_height)
            self._text(run.field, line, run.font, xy, run.fill, "la", ink)

    def _text(
        self,
        field: str,
        text: str,
        font: ImageFont.FreeTypeFont,
        xy: tuple[float, float],
        fill: str,
        anchor: str,
        ink: tuple[float, float, float, float],
    ) -> None:
        """Draw one line at `xy` and record its ink box (`ink` is its bbox at that anchor)."""
        x, y = xy
        self.draw.text(xy, text, font=font, fill=fill, anchor=anchor)
        box = (
            math.floor(x + ink[0]),
            math.floor(y + ink[1]),
            math.ceil(x + ink[2]),
            math.ceil(y + ink[3]),
        )
        self.boxes.append(TextBox(field=field, text=text, box=box, size=int(font.size)))
