"""What goes on an infographic: key figures or bars, title, hashtags; stored as JSON-ready dicts."""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import asdict, dataclass
from typing import Any

from core.errors import InputError
from core.numbers import format_number, format_percent, format_rupiah

MAX_FIGURES = 3
FIGURE_KINDS = ("count", "percent", "rupiah")


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
