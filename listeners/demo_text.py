"""The demo stream's Indonesian text: templates with slots, registers, slang, invented people."""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from functools import cache
from importlib.resources import files
from itertools import accumulate
from random import Random
from typing import Any

REPORT_INTENTS = ("pengaduan", "aspirasi", "permintaan_informasi")
_CHOICE = re.compile(r"\[([^\[\]]*\|[^\[\]]*)\]")  # [a|b|c]; "[INFO]" has no bar and stays
_SLOT = re.compile(r"\{(\w+)(?::(\d+)-(\d+))?\}")
X_LIMIT = 280


@cache
def load(name: str) -> dict[str, Any]:
    """Return one JSON file of listeners/demo_data (places, lexicon, templates, authors)."""
    text = files("listeners").joinpath("demo_data", f"{name}.json").read_text(encoding="utf-8")
    return json.loads(text)


def weighted(rng: Random, weights: Mapping[str, float]) -> str:
    """Return one key of `weights`, drawn in proportion to its weight."""
    keys = list(weights)
    return rng.choices(keys, weights=[weights[k] for k in keys])[0]


@dataclass(frozen=True, slots=True, kw_only=True)
class Person:
    """An invented author: platform id, handle (may be None), display name."""

    id: str
    handle: str | None
    name: str


@dataclass(frozen=True, slots=True, kw_only=True)
class Composed:
    """One composed text and what it is meant to be (the demo's ground truth)."""

    text: str
    intent: str
    sector: str | None
    urgent: bool
    city: str
    pii: tuple[str, ...]


def fake_phone(rng: Random) -> str:
    """Return an invented Indonesian mobile number; the middle block is always 1708."""
    lex = load("lexicon")
    prefix, tail = rng.choice(lex["hp_awalan"]), f"{rng.randrange(10000):04d}"
    return rng.choice(lex["hp_pola"]).format(p=prefix, q=prefix[1:], t=tail)


def fake_nik(rng: Random, place: Mapping[str, Any]) -> str:
    """Return an invented 16-digit NIK: real-looking region and birth date, serial 99xx."""
    day, month, year = rng.randint(1, 28), rng.randint(1, 12), rng.randint(55, 99)
    if rng.random() < 0.5:
        day += 40  # women's NIKs add 40 to the day of birth
    district = int(place["kec_no"])
    return f"{place['kode']}{district:02d}{day:02d}{month:02d}{year:02d}99{rng.randrange(100):02d}"


def fake_email(rng: Random, name: str) -> str:
    """Return an invented address on a reserved example domain."""
    first, _, last = name.lower().partition(" ")
    local = rng.choice([f"{first}.{last}", f"{first}{rng.randint(70, 99)}", f"{first}_{last}"])
    local = re.sub(r"[^a-z0-9._]", "", local)
    return f"{local}@{rng.choice(load('lexicon')['email_domain'])}"


def person_name(rng: Random) -> str:
    """Return an invented Indonesian full name."""
    names = load("lexicon")["nama"]
    return f"{rng.choice(names['depan'])} {rng.choice(names['belakang'])}"


def place(rng: Random) -> dict[str, Any]:
    """Return the fixed slots of one item's place: city, kecamatan, kelurahan, street, ..."""
    cities = load("places")["cities"]
    city = rng.choices(cities, weights=[c["weight"] for c in cities])[0]
    kec_no = rng.randrange(len(city["kec"]))
    kec, kels = city["kec"][kec_no]
    return {
        "kota": city["kota"],
        "kota_tag": city["kota"].replace(" ", ""),
        "prov": city["prov"],
        "kode": city["kode"],
        "kec_no": kec_no + 1,
        "kec": kec,
        "kel": rng.choice(kels),
        "kel_label": "Desa" if city["desa"] else "Kelurahan",
        "jalan": rng.choice(city["jalan"]),
        "pasar": rng.choice(city["pasar"]),
        "air": city["air"],
        "pimpinan": rng.choice(city["pimpinan"]),
        "plat": f"{city['plat']} {rng.randint(1000, 9999)} {rng.choice('ABCDEFGHJKLMNPRSTUVWXYZ')}"
        f"{rng.choice('ABCDEFGHJKLMNPRSTUVWXYZ')}",
        "rtrw": f"RT {rng.randint(1, 12):02d} RW {rng.randint(1, 9):02d}",
        "nama": person_name(rng),
        "dialek": city["dialek"],
    }


def choose(template: str, rng: Random) -> str:
    """Return `template` with every [a|b|c] replaced by one of its options."""
    return _CHOICE.sub(lambda m: rng.choice(m.group(1).split("|")), template)


def render(template: str, rng: Random, ctx: Mapping[str, Any], pii: list[str]) -> str:
    """Return `template` with choices made and slots filled; personal data kinds go to `pii`.

    Raises KeyError for a slot no list or generator knows (a bug in the demo data).
    """
    text = choose(template, rng)
    lex = load("lexicon")["slot"]

    def fill(m: re.Match[str]) -> str:
        name, low, high = m.group(1), m.group(2), m.group(3)
        if low is not None:
            return str(rng.randint(int(low), int(high)))
        if name in ctx:
            return str(ctx[name])
        if name in lex:
            return rng.choice(lex[name])
        if name in _MAKERS:
            kind, make = _MAKERS[name]
            pii.extend([kind] if kind else [])
            return make(rng, ctx)
        raise KeyError(f"demo template slot {{{name}}} is unknown")

    for _ in range(4):  # slot values may hold slots ({durasi} -> {n:2-9}, {sekolah} -> {kel})
        if not _SLOT.search(text):
            break
        text = _SLOT.sub(fill, text)
    return text


def informal(text: str, rng: Random, dialect: str) -> str:
    """Return `text` rewritten the way people type on social media: slang, no caps, 'tolonggg'."""
    slang: dict[str, list[str]] = load("lexicon")["slang"]
    local = load("places")["dialek"][dialect]["ganti"] if rng.random() < 0.3 else {}
    text = re.sub(r"\bsangat (\w+)", lambda m: f"{m.group(1)} bgt", text)

    def swap(m: re.Match[str]) -> str:
        word = m.group(0)
        if word.startswith("{"):
            return word
        low = word.lower()
        if low in local:
            return local[low]
        if low in slang and rng.random() < 0.55:
            return rng.choice(slang[low])
        return word

    # {slots} are left alone so that place names keep their spelling.
    text = re.sub(r"\{[^}]*\}|\b(?:terima kasih|sudah lama|[A-Za-z]+)\b", swap, text)
    if rng.random() < 0.15:
        text = re.sub(r"\b(tolong|parah|lama)\b", lambda m: m.group(1) + m.group(1)[-1] * 2, text)
    if rng.random() < 0.35:
        text = text.lower()
    if rng.random() < 0.4:
        text = text.rstrip(".")
    return text


def _contact(rng: Random, ctx: Mapping[str, Any], pii: list[str], chat: bool) -> str:
    """Return a sentence that gives away personal data, or '' (most items give none)."""
    roll = rng.random() / (2.0 if chat else 1.0)  # people tell a chatbot more
    for chance, line in load("lexicon")["kontak"]:
        if roll < chance:
            return render(line, rng, ctx, pii)
        roll -= chance
    return ""


def _letter(core: str, rng: Random, ctx: Mapping[str, Any], pii: list[str]) -> str:
    """Return `core` inside a formal letter: Yth. ..., Dengan hormat, ..., Hormat kami."""
    surat = load("lexicon")["surat"]
    parts = [
        render(rng.choice(surat["kepada"]), rng, ctx, pii),
        render(rng.choice(surat["buka"]), rng, ctx, pii),
        core,
    ]
    if rng.random() < 0.4 and not pii:
        parts.append(render("Nama: {nama}\nNIK: {nik}\nNo. HP: {hp}", rng, ctx, pii))
    parts.append(rng.choice(surat["tutup"]))
    parts.append(render(rng.choice(surat["salam"]), rng, ctx, pii))
    return "\n\n".join(parts)


def compose(rng: Random, platform: str, intent: str, sector: str | None) -> Composed:
    """Return a new text for `intent` (and `sector` for reports) as posted on `platform`.

    Raises KeyError when the intent or sector has no templates.
    """
    templates, lex = load("templates"), load("lexicon")
    ctx = place(rng)
    pii: list[str] = []
    pool = templates[intent][sector] if intent in REPORT_INTENTS else templates[intent]
    template = rng.choice(pool)
    urgent = template.startswith("!")

    def done(text: str) -> Composed:
        return Composed(
            text=text, intent=intent, sector=sector, urgent=urgent, city=ctx["kota"], pii=tuple(pii)
        )

    if intent in ("berita", "kampanye", "promosi", "obrolan"):
        return done(render(template, rng, ctx, pii))
    chat = platform in ("telegram", "line", "messenger")
    register = weighted(rng, lex["register"][platform])
    if register == "formal" and intent not in ("pengaduan", "aspirasi"):
        register = "netral"
    core = choose(template.lstrip("!"), rng)
    if register == "santai":
        core = informal(core, rng, ctx["dialek"])
    core = render(core, rng, ctx, pii)
    contact = _contact(rng, ctx, pii, chat) if intent in ("pengaduan", "aspirasi") else ""
    if register == "formal" and platform == "x":  # a letter does not fit; its manners do
        core = core[0].lower() + core[1:] if core[:2].istitle() else core
        return done(clip(f"Yth. Admin @LAPOR1708, dengan hormat, {core} Terima kasih."))
    if register == "formal":
        return done(_letter(" ".join(p for p in (core, contact) if p), rng, ctx, pii))
    dialect = load("places")["dialek"][ctx["dialek"]]
    openers = lex["pembuka"]["pesan" if chat else platform]
    if intent != "pengaduan":
        openers = [o for o in openers if "tolong" not in o and "Mohon" not in o]
    opener = render(rng.choice(openers), rng, ctx, pii)
    if rng.random() < 0.25:
        sapa = rng.choice(dialect["sapa"])
        opener = f"@LAPOR1708 {sapa}" if "@LAPOR1708" in opener else sapa
    if opener.endswith(",") and core[:2].istitle():
        core = core[0].lower() + core[1:]  # "Min, jalan di ..." as people type it
    if contact and contact[-1] not in ".!?":
        contact += "."
    closing = lex["penutup"][
        "darurat" if urgent else "pengaduan" if intent == "pengaduan" else "umum"
    ]
    closer = rng.choice(dialect["penutup"]) if rng.random() < 0.15 else rng.choice(closing)
    if intent != "pengaduan" and rng.random() < 0.6:
        closer = ""
    tags = [t for t in lex["tag_lapor"] if "@LAPOR1708" not in opener or "@" not in t]
    tag = "" if chat else rng.choice(tags)
    if platform == "x" and "@LAPOR1708" not in opener + tag and rng.random() < 0.6:
        tag += " @LAPOR1708"
    text = (" ".join(p for p in (opener, core, contact, closer) if p) + tag).strip()
    if platform == "x" and len(text) > X_LIMIT:
        text = clip((" ".join(p for p in (opener, core) if p) + tag).strip())
    return done(text)


def clip(text: str) -> str:
    """Return `text` cut at a word to fit X's 280 characters, with '…' when it was cut."""
    return text if len(text) <= X_LIMIT else text[: X_LIMIT - 1].rsplit(" ", 1)[0] + "…"


def me_too(rng: Random) -> str:
    """Return a 'me too' reply: the same problem somewhere else."""
    return render(rng.choice(load("templates")["ikut"]), rng, place(rng), [])


def copy_paste(rng: Random, text: str, platform: str) -> str:
    """Return `text` pasted again by someone else, lightly changed (a near-duplicate)."""
    templates = load("templates")
    head = rng.choice(templates["copas_awalan"])
    tail = render(rng.choice(templates["copas_akhiran"]), rng, {}, [])
    body = text.upper() if rng.random() < 0.08 else text
    if rng.random() < 0.3:
        body = body.replace("!!", "!").replace(". ", ", ", 1)
    pasted = f"{head}{body}{tail}"
    return clip(pasted) if platform == "x" else pasted


@cache
def authors(kind: str, platform: str) -> tuple[tuple[Person, ...], tuple[float, ...]]:
    """Return the invented authors of `kind` on `platform` and Zipf-like cumulative weights.

    `kind` is 'warga' (citizens), 'akun_berita' or 'akun_promosi'; the first rows post most.
    """
    pool = tuple(Person(handle=h, id=i, name=n) for h, i, n in load("authors")[kind][platform])
    return pool, tuple(accumulate(1 / (rank + 3) for rank in range(len(pool))))


# Slots that make up personal data (kind for Composed.pii) or a tracking ID.
_MAKERS: dict[str, tuple[str | None, Callable[[Random, Mapping[str, Any]], str]]] = {
    "hp": ("phone", lambda rng, ctx: fake_phone(rng)),
    "nik": ("nik", fake_nik),
    "email": ("email", lambda rng, ctx: fake_email(rng, str(ctx["nama"]))),
    "bpjs": ("bpjs", lambda rng, ctx: f"0001{rng.randrange(10**9):09d}"),
    "idlapor": (None, lambda rng, ctx: str(rng.randint(1_000_000, 9_999_999))),
}
