"""The Composer's image section: the media library, an upload, and the infographic maker."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import streamlit as st

from campaigns import post_views
from content import infographic as ig
from content import media
from content.figures import sector_shares
from core.clock import utcnow
from core.errors import InputError
from pages.common import actor, md, read_factory, reporting, settings, write_factory

IMAGE_MODES = {"library": "From the media library", "upload": "Upload an image",
               "infographic": "Make an infographic"}  # fmt: skip
CONTENTS = {"figures": "Key figures", "sectors": "Data-driven: top sectors this week"}


def key(pid: int, name: str) -> str:
    """Return the session key of one field of post `pid`'s form (0 is the new post)."""
    return f"cp{pid}_{name}"


def attach(pid: int, asset_id: int | None) -> None:
    st.session_state[key(pid, "media")] = asset_id


@reporting
def save_alt_text(asset_id: int) -> tuple[str, str]:
    text = st.session_state.get(f"lib_alt_{asset_id}") or ""
    media.edit_alt_text(write_factory(), asset_id, text, actor=actor(), now=utcnow())
    return "success", "Alt text saved."


@reporting
def upload(pid: int, cid: int) -> tuple[str, str]:
    get = st.session_state.get
    file = get(key(pid, "up_file"))
    if file is None:
        raise InputError("Choose an image file first.")
    title = (get(key(pid, "up_title")) or "").strip() or Path(file.name).stem
    asset = media.save_upload(write_factory(), Path(settings().media_dir), file.getvalue(),
                              title=title, alt_text=get(key(pid, "up_alt")) or "",
                              actor=actor(), now=utcnow(), campaign_id=cid)  # fmt: skip
    attach(pid, asset.id)
    return "success", f"'{asset.title}' is in the library and attached; save the post to keep it."


def spec(pid: int, region: str | None) -> ig.InfographicSpec | ig.ChartSpec:
    """Return what the infographic form describes. Raises InputError for a missing field."""
    get = st.session_state.get
    tags = tuple(get(key(pid, "ig_hashtags"), "").replace(",", " ").split())
    look = {"hashtags": tags, "footer": (get(key(pid, "ig_footer")) or "").strip() or None,
            "scheme": get(key(pid, "ig_scheme"))}  # fmt: skip
    title = (get(key(pid, "ig_title")) or "").strip()
    if get(key(pid, "ig_content")) == "sectors":
        shares = sector_shares(read_factory(), now=utcnow(), days=7, region_prefix=region)
        top = ig.load_templates()[get(key(pid, "ig_template"))].max_bars
        return shares.chart(title=title or shares.headline(), top=min(5, top), **look)
    figures = []
    for i in range(ig.MAX_FIGURES):
        value, what = get(key(pid, f"ig_value_{i}")), (get(key(pid, f"ig_label_{i}")) or "").strip()
        if value is None and not what:
            continue
        if value is None:
            raise InputError(f"Key figure {i + 1} ('{what}') needs a number.")
        kind = get(key(pid, f"ig_kind_{i}")) or "count"
        unit = (get(key(pid, f"ig_unit_{i}")) or "").strip()
        share = value / 100 if kind == "percent" else value  # typed as 42.5, kept as 0.425
        figures.append(ig.Figure(value=share, label=what, kind=kind, unit=unit))
    subtitle = (get(key(pid, "ig_subtitle")) or "").strip() or None
    return ig.InfographicSpec(title=title, subtitle=subtitle, figures=tuple(figures), **look)


@reporting
def preview(pid: int, region: str | None) -> None:
    rendered = ig.render(spec(pid, region), st.session_state.get(key(pid, "ig_template")),
                         assets=ig.assets_from_settings(settings()))  # fmt: skip
    st.session_state[key(pid, "ig_rendered")] = rendered
    st.session_state[key(pid, "ig_alt")] = rendered.alt_text


@reporting
def save_infographic(pid: int, cid: int) -> tuple[str, str]:
    rendered = st.session_state[key(pid, "ig_rendered")]
    alt = st.session_state.get(key(pid, "ig_alt")) or ""
    asset = media.save_rendered(write_factory(), Path(settings().media_dir), rendered, alt_text=alt,
                                actor=actor(), now=utcnow(), campaign_id=cid)  # fmt: skip
    st.session_state.pop(key(pid, "ig_rendered"))
    attach(pid, asset.id)
    return "success", (f"Infographic saved to the media library as '{asset.title}' and "
                       "attached; save the post to keep it.")  # fmt: skip


def thumbnail(asset: Any) -> None:
    """The image, small, with its alt text; a missing file is said, not raised."""
    try:
        path = media.asset_path(Path(settings().media_dir), asset)
    except InputError as exc:
        st.warning(str(exc))
    else:
        st.image(str(path), width=200)
    st.caption(f"Alt text: {md(asset.alt_text)}")


def library(pid: int, assets: dict[int, Any]) -> None:
    """Choose an image from the media library; its alt text can be corrected here."""
    if not assets:
        st.info("The media library is empty: upload an image or make an infographic.")
        return
    picked = st.selectbox("Image", list(assets), key=key(pid, "lib_pick"), format_func=lambda i:
                          f"{assets[i].title} · {assets[i].width}×{assets[i].height}")  # fmt: skip
    asset = assets[picked]
    left, right = st.columns([1, 2])
    with left:
        thumbnail(asset)
    with right:
        st.text_area("Alt text", value=asset.alt_text, key=f"lib_alt_{picked}")
        bar = st.container(horizontal=True)
        bar.button("Save alt text", key=f"lib_alt_save_{picked}", on_click=save_alt_text,
                   args=(picked,))  # fmt: skip
        bar.button("Attach to the post", key=f"lib_attach_{picked}", type="primary",
                   on_click=attach, args=(pid, picked))  # fmt: skip


def uploader(pid: int, cid: int) -> None:
    """Upload an image to the library, with the alt text every image needs."""
    st.file_uploader("Image file (PNG, JPEG, GIF or WebP)", key=key(pid, "up_file"),
                     type=["png", "jpg", "jpeg", "gif", "webp"])  # fmt: skip
    st.text_input("Title", key=key(pid, "up_title"), placeholder="the file name when empty")
    st.text_area("Alt text (required)", key=key(pid, "up_alt"),
                 help="What the image shows, and any text in it, for screen readers.")  # fmt: skip
    st.button(
        "Save to the library and attach", key="composer_upload", on_click=upload, args=(pid, cid)
    )


def infographic_maker(pid: int, cid: int, facts: post_views.CampaignFacts) -> None:
    """Make an infographic: size, colours and content, a preview, alt text, then save it."""
    templates, schemes = ig.load_templates(), ig.load_schemes()
    a, b = st.columns(2)
    a.selectbox("Size", list(templates), key=key(pid, "ig_template"),
                format_func=lambda n: f"{templates[n].label} · {templates[n].size}")  # fmt: skip
    b.selectbox("Colour scheme", list(schemes), key=key(pid, "ig_scheme"),
                format_func=lambda n: schemes[n].label or n)  # fmt: skip
    content = st.radio("Content", list(CONTENTS), format_func=CONTENTS.get, horizontal=True,
                       key=key(pid, "ig_content"))  # fmt: skip
    region = None
    if content == "sectors":
        st.text_input("Title", key=key(pid, "ig_title"),
                      placeholder="empty: the top sector as a sentence")  # fmt: skip
        if facts.region_code and st.checkbox(f"Only reports from region {facts.region_code}",
                                             key=key(pid, "ig_region")):  # fmt: skip
            region = facts.region_code
        st.caption("Shares of the reports made in the last 7 days (WIB dates); with no reports "
                   "yet, of the complaints in the inbox.")  # fmt: skip
    else:
        st.text_input("Title", key=key(pid, "ig_title"))
        st.text_input("Subtitle", key=key(pid, "ig_subtitle"))
        for i in range(ig.MAX_FIGURES):
            c = st.columns([2, 2, 4, 2])
            c[0].number_input(f"Figure {i + 1}", value=None, step=1.0, help="A percent: 42.5",
                              key=key(pid, f"ig_value_{i}"))  # fmt: skip
            c[1].selectbox("Kind", ig.FIGURE_KINDS, key=key(pid, f"ig_kind_{i}"))
            c[2].text_input("What it counts", key=key(pid, f"ig_label_{i}"))
            c[3].text_input("Unit", key=key(pid, f"ig_unit_{i}"), placeholder="laporan")
    d, e = st.columns(2)
    d.text_input("Hashtags", key=key(pid, "ig_hashtags"))
    e.text_input("Footer (source)", key=key(pid, "ig_footer"))
    st.button("Preview", key="composer_preview", on_click=preview, args=(pid, region))
    rendered = st.session_state.get(key(pid, "ig_rendered"))
    if rendered is not None:
        st.image(rendered.png, width=480, caption=f"{rendered.width}×{rendered.height}")
        st.text_area("Alt text (edit before saving)", key=key(pid, "ig_alt"), height=120)
        st.button("Save to the library and attach", key="composer_save_infographic",
                  type="primary", on_click=save_infographic, args=(pid, cid))  # fmt: skip


def image_section(pid: int, cid: int, facts: post_views.CampaignFacts, locked: bool) -> None:
    """The attached image, and three ways to get one: library, upload, infographic."""
    st.markdown("**Image**")
    assets = {a.id: a for a in media.list_assets(read_factory())}
    current = st.session_state.get(key(pid, "media"))
    if current in assets:
        left, right = st.columns([1, 2])
        with left:
            thumbnail(assets[current])
        right.markdown(f"Attached: **{md(assets[current].title)}**")
        right.button("Remove the image", key="composer_detach", on_click=attach,
                     args=(pid, None), disabled=locked)  # fmt: skip
    else:  # an image older than the library's newest 200 is named by its number
        st.caption("No image attached." if current is None else f"Image {current} is attached.")
    if locked:
        return
    mode = st.radio("Add an image", list(IMAGE_MODES), format_func=IMAGE_MODES.get, index=None,
                    horizontal=True, key=key(pid, "img_mode"))  # fmt: skip
    if mode == "library":
        library(pid, assets)
    elif mode == "upload":
        uploader(pid, cid)
    elif mode == "infographic":
        infographic_maker(pid, cid, facts)
