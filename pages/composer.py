"""Composer page: a post's text per channel with live copy checks, its time, its image, review."""

from __future__ import annotations

import functools
from collections.abc import Callable
from datetime import UTC, datetime, time
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import streamlit as st

from campaigns import post_views, posts
from campaigns.service import list_campaigns
from content import copy, media
from content import infographic as ig
from content.figures import sector_shares
from content.numbers import format_number
from core.clock import local, utcnow
from core.errors import InputError
from core.outreach import PUBLISH_CHANNELS
from pages.common import (
    acting_as_sidebar,
    actor,
    flash,
    label,
    md,
    read_factory,
    reading,
    settings,
    show_flash,
    wib,
    write_factory,
)

NEW = 0  # the post pick that opens an empty post
LEVEL_COLOURS = {"error": "red", "warning": "orange", "info": "gray"}
# Badge colours of post states; a draft or cancelled post is gray.
STATE_COLOURS = {"in_review": "blue", "approved": "green", "scheduled": "green", "failed": "red",
                 "publishing": "violet", "published": "violet"}  # fmt: skip
BACK_TO_REVIEW = ("approved", "scheduled", "failed")  # campaigns.posts.edit_post sends these back
LOCKED = ("publishing", "published", "cancelled")
IMAGE_MODES = {"library": "From the media library", "upload": "Upload an image",
               "infographic": "Make an infographic"}  # fmt: skip
CONTENTS = {"figures": "Key figures", "sectors": "Data-driven: top sectors this week"}
DEFAULT_TIME = time(9, 0)  # a morning slot, when people read their feeds


def key(pid: int, name: str) -> str:
    """Return the session key of one field of post `pid`'s form (0 is the new post)."""
    return f"cp{pid}_{name}"


def form_keys(pid: int) -> list[str]:
    """Return the session keys of post `pid`'s form."""
    return [str(k) for k in st.session_state if str(k).startswith(key(pid, ""))]


def forget(pid: int) -> None:
    """Drop post `pid`'s unsaved form, so it is filled from the store again."""
    for name in form_keys(pid):
        del st.session_state[name]


def seed(pid: int, detail: post_views.PostDetail | None, facts: post_views.CampaignFacts) -> None:
    """Fill the form of post `pid` from the store, once; later runs keep what the person typed."""
    when = detail and detail.scheduled_at and local(detail.scheduled_at, settings().timezone)
    texts = detail.texts if detail else {}
    values: dict[str, Any] = {
        "title": detail.title if detail else "",
        **{f"text_{ch}": texts.get(ch, "") for ch in PUBLISH_CHANNELS},
        "date": when.date() if when else None,
        "time": when.time() if when else DEFAULT_TIME,
        "media": detail.media.id if detail and detail.media else None,
        "ig_hashtags": " ".join(f"#{t}" for t in facts.hashtags[:1]) or "#BeraniLAPOR",
        "ig_footer": "Sumber: SP4N-LAPOR!",
    }
    for name, value in values.items():
        st.session_state.setdefault(key(pid, name), value)


def planned_at(pid: int) -> datetime | None:
    """Return the form's planned date and time (WIB) as aware UTC, or None without a date."""
    day, clock = st.session_state.get(key(pid, "date")), st.session_state.get(key(pid, "time"))
    if day is None:
        return None
    zone = ZoneInfo(settings().timezone)
    return datetime.combine(day, clock or DEFAULT_TIME, zone).astimezone(UTC)


def form(pid: int) -> dict[str, Any]:
    """Return the form of post `pid` as create_post / edit_post take it."""
    get = st.session_state.get
    return {
        "title": get(key(pid, "title")) or "",
        "versions": {ch: get(key(pid, f"text_{ch}")) or "" for ch in PUBLISH_CHANNELS},
        "scheduled_at": planned_at(pid),
        "media_id": get(key(pid, "media")),
    }


def stored(pid: int) -> post_views.PostDetail:
    """Return post `pid` as the store has it. Raises InputError when it is gone."""
    with reading() as session:
        detail = post_views.post_detail(session, pid)
    if detail is None:
        raise InputError(f"There is no post {pid}.")
    return detail


def content_changed(f: dict[str, Any], detail: post_views.PostDetail) -> bool:
    """True when the title, a channel's text or the image differ from the stored post."""
    texts = {ch: t.strip() for ch, t in f["versions"].items() if t.strip()}
    media_id = detail.media.id if detail.media else None
    return f["title"].strip() != detail.title or texts != detail.texts or f["media_id"] != media_id


def reporting(action: Callable[..., tuple[str, str] | None]) -> Callable[..., None]:
    """Return a button callback that flashes what `action` says, or its InputError sentence."""

    @functools.wraps(action)
    def run(*args: Any) -> None:
        try:
            said = action(*args)
        except InputError as exc:
            flash("error", str(exc))
            return
        if said:
            flash(*said)

    return run


def store(cid: int, pid: int) -> tuple[str, str]:
    """Store the form; return the flash level and the sentence for the person.

    Raises InputError with the service's sentence when the post cannot be saved.
    """
    f = form(pid)
    if pid == NEW:
        post = posts.create_post(write_factory(), cid, actor=actor(), now=utcnow(), **f)
        # What was typed for the new post becomes the saved post's form (preview included);
        # a file uploader's value cannot be set, so a chosen file is chosen again if needed.
        for name in form_keys(NEW):
            value = st.session_state.pop(name)
            if name != key(NEW, "up_file"):
                st.session_state[key(post.id, name[len(key(NEW, "")) :])] = value
        st.session_state["composer_post"] = post.id
        return "success", f"Draft '{post.title}' saved."
    detail = stored(pid)
    if not content_changed(f, detail) and f["scheduled_at"] == detail.scheduled_at:
        return "info", "Nothing changed."
    post = posts.edit_post(write_factory(), pid, actor=actor(), now=utcnow(), **f)
    if detail.state != post.state and post.state == "in_review":
        return "warning", (f"Saved as version {post.version}. The post was {label(detail.state)}: "
                           "the change sent it back to review, and someone who did not write "
                           "it must approve it again.")  # fmt: skip
    return "success", f"Saved as version {post.version}."


save = reporting(store)


@reporting
def send_for_review(cid: int, pid: int) -> tuple[str, str]:
    store(cid, pid)
    pid = pid or st.session_state["composer_post"]  # a new post has its id now
    post = posts.submit(write_factory(), pid, actor=actor(), now=utcnow(), gate=copy.gate)
    return "success", (f"'{post.title}' is in review: another champion or the coordinator "
                       "approves it on the Approvals page.")  # fmt: skip


@reporting
def schedule_post(pid: int) -> tuple[str, str]:
    f = form(pid)
    if content_changed(f, stored(pid)):
        raise InputError("You changed the post: save it first (it goes back to review), or "
                         "discard the changes, before scheduling.")  # fmt: skip
    if f["scheduled_at"] is None:
        raise InputError("Choose the planned date and time first.")
    post = posts.schedule(write_factory(), pid, at=f["scheduled_at"], actor=actor(),
                          now=utcnow(), gate=copy.gate)  # fmt: skip
    return "success", f"'{post.title}' is scheduled for {wib(post.scheduled_at)} WIB."


@reporting
def unschedule_post(pid: int) -> tuple[str, str]:
    post = posts.unschedule(write_factory(), pid, actor=actor(), now=utcnow())
    return "info", f"'{post.title}' is off the schedule; it stays approved."


@reporting
def cancel_post(pid: int) -> tuple[str, str]:
    note = st.session_state.get(f"composer_cancel_note_{pid}") or ""
    post = posts.cancel(write_factory(), pid, actor=actor(), now=utcnow(), note=note)
    return "info", f"'{post.title}' is cancelled; it will not be published."


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


def show_check(result: copy.CopyCheck) -> None:
    """The channel's length against its limit, then each finding in its level's colour."""
    left = result.remaining
    status = f"{format_number(left)} left" if left >= 0 else f"{format_number(-left)} over"
    st.progress(min(result.length / result.limit, 1.0),
                text=f"{format_number(result.length)} / {format_number(result.limit)} "
                     f"characters · {status}")  # fmt: skip
    for issue in result.issues:
        st.markdown(f":{LEVEL_COLOURS[issue.level]}[{md(issue.message)}]")


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


def pick_label(picks: dict[int, post_views.PostPick], pid: int) -> str:
    """Return "New post", or a post's title, state and planned time."""
    p = picks.get(pid)
    when = f" · {wib(p.scheduled_at, '%a %d %b %H:%M')}" if p and p.scheduled_at else ""
    return f"{p.title} · {label(p.state)}{when}" if p else "New post"


def status(detail: post_views.PostDetail) -> None:
    """Where the post stands, and what saving it now would do."""
    parts = [f":{STATE_COLOURS.get(detail.state, 'gray')}-badge[{label(detail.state)}]",
             f"version {detail.version}", f"by {md(detail.author)}"]  # fmt: skip
    if detail.edited_by != detail.author:
        parts.append(f"last edited by {md(detail.edited_by)}")
    if detail.approved_by:
        parts.append(f"approved by {md(detail.approved_by)} {wib(detail.approved_at)}")
    if detail.scheduled_at:
        parts.append(f"planned {wib(detail.scheduled_at)} WIB")
    st.markdown(" · ".join(parts))
    if detail.problem:
        st.error(md(detail.problem))
    if detail.state == "draft" and detail.review_note:
        st.warning(f"Sent back by the reviewer: {md(detail.review_note)}")
    if detail.state in BACK_TO_REVIEW:
        st.warning(f"This post is {label(detail.state)}. Saving any change sends it back to "
                   "review: it will not be published until someone who did not write it "
                   "approves it again.")  # fmt: skip
    elif detail.state in LOCKED:
        st.info(f"This post is {label(detail.state)}; it can no longer be changed.")


def actions(cid: int, pid: int, state: str | None) -> None:
    """The buttons that fit the post's state."""
    if state in LOCKED:
        return
    bar = st.container(horizontal=True, vertical_alignment="center")
    save_label = {None: "Save draft", "draft": "Save draft", "in_review": "Save changes"}
    bar.button(save_label.get(state, "Save changes (back to review)"), key="composer_save",
               on_click=save, args=(cid, pid))  # fmt: skip
    if state in (None, "draft"):
        bar.button("Send for review", key="composer_submit", type="primary",
                   on_click=send_for_review, args=(cid, pid))  # fmt: skip
    if state == "approved":
        bar.button("Schedule", key="composer_schedule", type="primary", on_click=schedule_post,
                   args=(pid,), help="At the planned time; a past time publishes now.")  # fmt: skip
    if state == "scheduled":
        bar.button("Unschedule", key="composer_unschedule", on_click=unschedule_post, args=(pid,))
    if pid != NEW:
        bar.button("Discard changes", key="composer_discard", on_click=forget, args=(pid,))
    if pid != NEW and state in posts.CANCELLABLE:
        with bar.popover("Cancel post"):
            st.text_input("Why (optional)", key=f"composer_cancel_note_{pid}")
            st.button("Cancel this post", key="composer_cancel", on_click=cancel_post, args=(pid,))


acting_as_sidebar()
st.title("Composer")
show_flash()
with reading() as session:
    campaigns = list_campaigns(session, local(utcnow(), settings().timezone).date())
if not campaigns:
    st.info("There is no campaign yet: plan one on the Campaigns page first.")
    st.stop()
names = {c.id: c.name + (" (template)" if c.is_template else "") for c in campaigns}
top = st.columns([2, 3])
cid = top[0].selectbox("Campaign", list(names), format_func=names.get, key="composer_campaign")
with reading() as session:
    facts = post_views.campaign_facts(session, cid)
    picks = {p.post_id: p for p in post_views.campaign_posts(session, cid)}
if facts is None:
    st.warning("That campaign no longer exists.")
    st.stop()
pid = top[1].selectbox("Post", [NEW, *picks], format_func=lambda i: pick_label(picks, i),
                       key="composer_post")  # fmt: skip
detail = stored(pid) if pid != NEW else None
state = detail.state if detail else None
locked = state in LOCKED
seed(pid, detail, facts)
if detail:
    status(detail)
if facts.hashtags:
    st.caption(f"Campaign hashtags: {md(' '.join('#' + t for t in facts.hashtags))}")

st.text_input("Title", key=key(pid, "title"), max_chars=300, disabled=locked,
              help="The calendar and the reviewers' queue show it.")  # fmt: skip
has_media = st.session_state.get(key(pid, "media")) is not None
variants = {v.channel: v for v in detail.versions} if detail else {}
for column, channel in zip(st.columns(len(PUBLISH_CHANNELS)), PUBLISH_CHANNELS, strict=True):
    name = copy.NAMES[channel]
    with column:
        text = st.text_area(name, key=key(pid, f"text_{channel}"), height=200, disabled=locked,
                            help=f"Leave it empty and it is not published on {name}.")  # fmt: skip
        if text.strip():
            show_check(copy.check(text, channel, hashtags=facts.hashtags, has_media=has_media))
        else:
            st.caption(f"Empty: not published on {name}.")
        variant = variants.get(channel)
        if variant is not None and variant.state != "pending":
            why = f" — {md(variant.last_error)}" if variant.last_error else ""
            st.caption(f"On {name}: {label(variant.state)}{why}")

st.markdown("**Planned time (WIB)**")
a, b, _ = st.columns([2, 2, 3])
a.date_input("Date", value=None, format="DD/MM/YYYY", key=key(pid, "date"), disabled=locked)
b.time_input("Time (WIB)", value=None, step=300, key=key(pid, "time"), disabled=locked)
st.caption("No date: the post stays unplanned. Approving it with a future time schedules it.")

image_section(pid, cid, facts, locked)
st.divider()
actions(cid, pid, state)
