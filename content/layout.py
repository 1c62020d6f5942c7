"""Fitting an infographic's text to a template: wrapped, shrunk, or refused with what to shorten."""

from __future__ import annotations

import math
from dataclasses import dataclass

from PIL import ImageFont

from content.look import Assets, ColourScheme, Template, load_font
from content.spec import ChartSpec, InfographicSpec
from core.errors import InputError

_SHRINK = 0.92  # one step of the whole layout when the text does not fit


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
class Run:
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
        """Return the height of one line in pixels: the font's ascent plus descent."""
        return sum(self.font.getmetrics())

    @property
    def height(self) -> int:
        """Return the height of all its lines in pixels."""
        return self.line_height * len(self.lines)


@dataclass(slots=True)
class Row:
    """Columns of runs side by side (each stacked `inner` apart); a chart row adds its bar."""

    columns: list[list[Run]]
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
        """Return the row's height in pixels: its tiers, and its bar below them."""
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
    ) -> Run:
        """Return `text` at the largest size that fits; InputError naming it when none does."""
        st = self.tpl.text[style]
        size = cap or max(st.smallest, round(st.largest * self.scale))
        path = str(self.assets.bold if bold else self.assets.regular)
        while (lines := _wrap(text, font := load_font(path, size), width, st.lines)) is None:
            if size <= st.smallest:
                raise self._too_long(field, text, font, width * st.lines)
            size = max(st.smallest, min(size - 1, int(size * 0.95)))
        return Run(
            field=field, text=text, font=font, lines=lines, fill=fill, x=x, width=width, right=right
        )

    def wide(self, field: str, text: str, fill: str, *, bold: bool = False) -> Run:
        """Return a field set in its own style across the whole safe width."""
        left, _, right, _ = self.tpl.safe_box
        return self.run(field, text, field, fill, left, right - left, bold=bold)

    def same(
        self,
        style: str,
        items: list[tuple[str, str, int]],
        fill: str,
        width: int,
        *,
        bold: bool = False,
        right: bool = False,
    ) -> list[Run]:
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
) -> tuple[list[Row], Row | None]:
    """Return the fitted middle rows (title to body) and the bottom block (hashtags, source)."""
    tpl = fit.tpl
    left, _, right, _ = tpl.safe_box
    width = right - left
    rows = [Row([[fit.wide("title", spec.title, s.text, bold=True)]])]
    if spec.subtitle:
        rows.append(Row([[fit.wide("subtitle", spec.subtitle, s.muted)]]))
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
            Row([[lab], [v]], tpl.gap // 4, b.share / longest, bar_height)
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
        rows.append(Row([[v, lab] for v, lab in zip(values, labels, strict=True)], tpl.gap // 3))
    if isinstance(spec, InfographicSpec) and spec.body:
        rows.append(Row([[fit.wide("body", spec.body, s.text)]]))
    tags = " ".join("#" + t for t in spec.hashtags)
    bottom = [fit.wide("hashtags", tags, s.accent, bold=True)] if tags else []
    if spec.footer:
        bottom.append(fit.wide("footer", spec.footer, s.muted))
    return rows, (Row([bottom], tpl.gap // 3) if bottom else None)


def _crowded(tpl: Template, rows: list[Row], over: int) -> InputError:
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


def fit(
    spec: InfographicSpec | ChartSpec, tpl: Template, assets: Assets, scheme: ColourScheme
) -> tuple[list[Row], Row | None, int]:
    """Return the rows, the bottom block and the spare height, shrinking all until they fit.

    Raises InputError naming the field to shorten when even the smallest sizes do not fit.
    """
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
