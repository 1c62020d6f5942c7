"""The campaign report a coordinator sends upward: PDF, HTML with PNG charts, and CSV."""

from __future__ import annotations

import base64
import csv
import html
import io
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from pathlib import Path

import matplotlib

matplotlib.use("Agg")  # no screen: render to files only
from fpdf import FPDF  # noqa: E402
from fpdf.fonts import FontFace  # noqa: E402
from matplotlib import pyplot as plt  # noqa: E402
from matplotlib.dates import date2num  # noqa: E402
from matplotlib.figure import Figure  # noqa: E402

from campaigns.evaluate import CampaignEvaluation  # noqa: E402
from campaigns.figures import WindowFigures  # noqa: E402
from campaigns.windows import DayCount  # noqa: E402
from core.numbers import format_number  # noqa: E402

FONTS = Path(matplotlib.get_data_path()) / "fonts" / "ttf"  # DejaVu: Indonesian and "–", "×"
LIGHT_RGB = {"green": (46, 160, 67), "amber": (230, 150, 0), "red": (200, 40, 40),
             "grey": (150, 150, 150)}  # fmt: skip
WINDOW_COLOURS = {"baseline": "#9aa5b1", "campaign": "#c8102e", "after": "#3b6fb6"}


@dataclass(frozen=True, slots=True, kw_only=True)
class Chart:
    """One chart as a PNG, with its title."""

    name: str
    title: str
    png: bytes


def number(value: float | None, decimals: int = 0) -> str:
    """Return a figure in Indonesian notation with `decimals` places (1.607; 42,5), "–" if unknown."""
    return "–" if value is None else format_number(value, decimals, trim=False)


def _windows(e: CampaignEvaluation) -> list[tuple[str, WindowFigures]]:
    f = e.figures
    return [("baseline", f.baseline), ("campaign", f.campaign), *([("after", f.after)] if f.after else [])]  # fmt: skip


def daily_rows(e: CampaignEvaluation) -> list[dict[str, object]]:
    """Return one row per Asia/Jakarta day: window, hashtag uses and authors, leads, reports,
    and the impressions of our posts by that day."""
    impressions = {d.day: d.count for d in e.figures.performance.impressions_per_day}
    rows = []
    for name, w in _windows(e):
        authors = {d.day: d.count for d in w.uptake.authors_per_day}
        leads = {d.day: d.count for d in w.leads.per_day}
        reports = {d.day: d.count for d in w.reports.per_day}
        for d in w.uptake.uses_per_day:
            rows.append({"date": d.day.isoformat(), "window": name, "hashtag_uses": d.count,
                         "hashtag_authors": authors.get(d.day, 0), "leads": leads.get(d.day, 0),
                         "reports": reports.get(d.day, 0),
                         "impressions": impressions.get(d.day, "")})  # fmt: skip
    return rows


def uplift_rows(e: CampaignEvaluation) -> list[dict[str, object]]:
    """Return the uplift table: measure, group, key, counts, days, ratio, CI, p, verdict."""
    out = []
    for row in e.figures.uplift:
        r = row.ratio
        out.append({"window": row.window, "measure": row.measure, "group": row.group,
                    "key": row.key,
                    "campaign_count": r.a, "campaign_days": r.t1, "baseline_count": r.b,
                    "baseline_days": r.t0, "rate_ratio": r.estimate, "ci_low": r.low,
                    "ci_high": r.high, "p_value": r.p_value, "verdict": r.verdict})  # fmt: skip
    return out


def kpi_rows(e: CampaignEvaluation) -> list[dict[str, object]]:
    """Return the KPIs: metric, label, target, actual, light, note."""
    return [{"metric": k.metric, "label": k.label, "unit": k.unit, "target": k.target,
             "actual": k.actual, "light": k.light, "note": k.note} for k in e.kpis]  # fmt: skip


def to_csv(rows: Sequence[dict[str, object]]) -> bytes:
    """Return `rows` as CSV (UTF-8 with a BOM, so spreadsheet programs read Indonesian right)."""
    buffer = io.StringIO()
    if rows:
        writer = csv.DictWriter(buffer, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(rows)
    return ("\ufeff" + buffer.getvalue()).encode("utf-8")


def _png(fig: Figure) -> bytes:
    out = io.BytesIO()
    fig.savefig(out, format="png", dpi=110, bbox_inches="tight")
    plt.close(fig)
    return out.getvalue()


def _per_day(w: WindowFigures, pick: str) -> tuple[DayCount, ...]:
    return w.uptake.uses_per_day if pick == "uptake" else getattr(w, pick).per_day


def charts(e: CampaignEvaluation) -> list[Chart]:
    """Return the report's charts: hashtag uses, reports and leads per day, impressions."""
    made = []
    for name, title, pick in (
        ("hashtag_uses", "Uses of the campaign hashtags per day", "uptake"),
        ("reports", "Reports per day (campaign region)", "reports"),
        ("leads", "Complaint leads from social media per day", "leads"),
    ):
        fig, ax = plt.subplots(figsize=(8, 2.6))
        for window, w in _windows(e):
            counts = _per_day(w, pick)
            ax.bar(date2num([c.day for c in counts]), [c.count for c in counts],
                   color=WINDOW_COLOURS[window], label=window)  # fmt: skip
        ax.xaxis_date()
        ax.set_title(title, fontsize=10)
        ax.legend(fontsize=7, loc="upper left")
        fig.autofmt_xdate()
        made.append(Chart(name=name, title=title, png=_png(fig)))
    per_day = e.figures.performance.impressions_per_day
    fig, ax = plt.subplots(figsize=(8, 2.6))
    ax.plot(date2num([d.day for d in per_day]), [d.count for d in per_day], color="#c8102e")
    ax.xaxis_date()
    ax.set_title("Impressions of our posts (latest figures by day)", fontsize=10)
    fig.autofmt_xdate()
    made.append(Chart(name="impressions", title="Impressions of our posts", png=_png(fig)))
    return made


def _period(start: date, end: date) -> str:
    return f"{start:%d %b %Y} – {end:%d %b %Y}"


def to_html(e: CampaignEvaluation, made: Sequence[Chart] | None = None) -> str:
    """Return the report as one HTML page with its charts embedded as PNG images."""
    made = charts(e) if made is None else made
    esc = html.escape
    f = e.figures
    kpis = "".join(
        f"<tr><td>{esc(k.label)}</td><td>{number(k.target, 1 if k.unit == '%' else 0)} {esc(k.unit)}</td>"
        f"<td>{number(k.actual, 1 if k.unit == '%' else 0)}</td>"
        f"<td style='background:rgb{LIGHT_RGB[k.light]};color:white'>{k.light}</td>"
        f"<td>{esc(k.note)}</td></tr>"
        for k in e.kpis
    )
    posts = "".join(
        f"<tr><td>{esc(p.title)}</td><td>{p.channel}</td><td>{number(p.impressions)}</td>"
        f"<td>{number(p.engagements)}</td></tr>"
        for p in f.performance.posts[:10]
    )
    images = "".join(
        f"<h3>{esc(c.title)}</h3><img alt='{esc(c.title)}' "
        f"src='data:image/png;base64,{base64.b64encode(c.png).decode()}'>"
        for c in made
    )
    return f"""<!doctype html><html lang="en"><meta charset="utf-8">
<title>{esc(e.name)}: campaign report</title>
<style>body{{font-family:DejaVu Sans,Arial,sans-serif;max-width:60em;margin:2em auto}}
td,th{{border:1px solid #ccc;padding:.3em .6em}}table{{border-collapse:collapse}}</style>
<h1>{esc(e.name)}</h1>
<p>Campaign window {_period(f.campaign.window.start, f.campaign.window.end)}; baseline
{_period(f.baseline.window.start, f.baseline.window.end)}; figures as of {e.today:%d %b %Y}
({e.elapsed:.0%} of the campaign behind us). Region: {esc(f.region or "all")}.</p>
<h2>Verdict</h2><p>{esc(e.verdict)}</p>
<h2>Objectives</h2><table><tr><th>KPI</th><th>Target</th><th>Actual</th><th>Light</th><th>Note</th></tr>{kpis}</table>
<h2>Best posts</h2><table><tr><th>Post</th><th>Channel</th><th>Impressions</th><th>Engagements</th></tr>{posts}</table>
{images}
<p><small>Rate ratios with exact 95% confidence intervals (Poisson, conditional on the total).
With many sectors and regions, about one in twenty reads "larger than chance" by chance alone.</small></p>
</html>"""


def to_pdf(e: CampaignEvaluation, made: Sequence[Chart] | None = None) -> bytes:
    """Return the report as a PDF (A4): verdict, KPI table with lights, best posts, charts."""
    made = charts(e) if made is None else made
    f = e.figures
    pdf = FPDF(format="A4")
    pdf.add_font("DejaVu", "", str(FONTS / "DejaVuSans.ttf"))
    pdf.add_font("DejaVu", "B", str(FONTS / "DejaVuSans-Bold.ttf"))
    pdf.set_auto_page_break(True, margin=15)
    pdf.add_page()
    pdf.set_font("DejaVu", "B", 16)
    pdf.multi_cell(0, 8, e.name, new_x="LMARGIN", new_y="NEXT")
    pdf.set_font("DejaVu", "", 9)
    pdf.multi_cell(0, 5, f"Campaign window {_period(f.campaign.window.start, f.campaign.window.end)}; "
                         f"baseline {_period(f.baseline.window.start, f.baseline.window.end)}; "
                         f"figures as of {e.today:%d %b %Y} ({e.elapsed:.0%} of the campaign "
                         f"behind us). Region: {f.region or 'all'}.", new_x="LMARGIN", new_y="NEXT")  # fmt: skip
    pdf.ln(2)
    pdf.set_font("DejaVu", "B", 12)
    pdf.cell(0, 7, "Verdict", new_x="LMARGIN", new_y="NEXT")
    pdf.set_font("DejaVu", "", 10)
    pdf.multi_cell(0, 5, e.verdict, new_x="LMARGIN", new_y="NEXT")
    pdf.ln(2)
    pdf.set_font("DejaVu", "B", 12)
    pdf.cell(0, 7, "Objectives", new_x="LMARGIN", new_y="NEXT")
    pdf.set_font("DejaVu", "", 9)
    with pdf.table(col_widths=(60, 28, 28, 18, 56)) as table:
        table.row(["KPI", "Target", "Actual", "Light", "Note"])
        for k in e.kpis:
            places = 1 if k.unit == "%" else 0
            row = table.row()
            row.cell(k.label)
            row.cell(f"{number(k.target, places)} {k.unit}")
            row.cell(number(k.actual, places))
            row.cell(k.light, style=FontFace(color=(255, 255, 255), fill_color=LIGHT_RGB[k.light]))
            row.cell(k.note)
    if f.performance.posts:
        pdf.ln(3)
        pdf.set_font("DejaVu", "B", 12)
        pdf.cell(0, 7, "Best posts", new_x="LMARGIN", new_y="NEXT")
        pdf.set_font("DejaVu", "", 9)
        with pdf.table(col_widths=(100, 25, 32, 33)) as table:
            table.row(["Post", "Channel", "Impressions", "Engagements"])
            for p in f.performance.posts[:10]:
                table.row([p.title, p.channel, number(p.impressions), number(p.engagements)])
    for chart in made:
        pdf.ln(3)
        pdf.image(io.BytesIO(chart.png), w=180)
    return bytes(pdf.output())


def write_all(e: CampaignEvaluation, folder: Path) -> list[Path]:
    """Write report.pdf, report.html, the chart PNGs and daily/kpis/uplift CSVs; return paths."""
    folder.mkdir(parents=True, exist_ok=True)
    made = charts(e)
    files = {
        "report.pdf": to_pdf(e, made),
        "report.html": to_html(e, made).encode("utf-8"),
        "daily.csv": to_csv(daily_rows(e)),
        "kpis.csv": to_csv(kpi_rows(e)),
        "uplift.csv": to_csv(uplift_rows(e)),
        **{f"{c.name}.png": c.png for c in made},
    }
    written = []
    for name, data in files.items():
        path = folder / name
        path.write_bytes(data)
        written.append(path)
    return written
