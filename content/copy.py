"""Per-platform checks of a campaign post's copy before it is scheduled; messages in Indonesian."""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Literal
from urllib.parse import urlsplit

from twitter_text import extract_urls_with_indices, parse_tweet
from twitter_text.config import config as _twitter_config
from twitter_text.regexp.latin_accent_chars import latin_accent_chars

from core.errors import InputError

Level = Literal["error", "warning", "info"]
NAMES = {"x": "X", "facebook": "Facebook", "telegram": "Telegram"}

# X: 280 weighted characters. Every URL counts 23 whatever its length, even a bare
# "lapor.go.id"; code points outside a few Latin/punctuation ranges (emoji, CJK, symbols such
# as "•") weigh 2 (twitter-text v3 config; developer.x.com/en/docs/counting-characters).
# Attached media stopped counting in 2016, so has_media changes nothing for X.
X_LIMIT = 280
X_URL_LENGTH = 23
X_HANDLE_MAX = 15  # help.x.com "Username rules": 1-15 letters, digits or underscores
X_MAX_HASHTAGS = 3  # help.x.com "How to use hashtags" advises at most 2; we warn past 3
# X publishes no number for mass mentions (its spam policy names them); five leaves room to tag
# the partners of a joint post (KemenPANRB, Ombudsman, KSP, the pemda, @LAPOR1708).
X_MAX_MENTIONS = 5
# Facebook: 63,206 characters per post; the feed folds after about 477 behind "Lihat
# selengkapnya" (widely measured, not documented by Meta). Meta does not say how it counts
# either: we count UTF-16 code units (what a JavaScript composer reports), never fewer than
# code points, so a post we pass is not refused for length.
FACEBOOK_LIMIT = 63_206
FACEBOOK_FOLD = 477
# Telegram Bot API: sendMessage text 1-4096 and a sendPhoto caption 0-1024 characters "after
# entities parsing". The Bot API runs on TDLib, which checks a bot's text with utf8_length(),
# i.e. Unicode code points (td/telegram/MessageContent.cpp), after trimming surrounding
# whitespace; public live tests agree (4,096 astral emoji accepted; 1,024 caption runes accepted,
# 1,025 refused). Only MessageEntity offsets are UTF-16. We count code points of the trimmed
# plain text; parse_mode markup, if a publisher ever sends it, would not count.
TELEGRAM_TEXT_LIMIT = 4096
TELEGRAM_CAPTION_LIMIT = 1024

# Citizens cannot see where these lead, and scams that imitate agencies use them.
SHORTENERS = frozenset(
    "bit.ly bitly.com s.id tinyurl.com goo.gl ow.ly is.gd v.gd buff.ly rebrand.ly cutt.ly "
    "shorturl.at t.ly rb.gy tiny.cc lnkd.in t.co".split()
)
LAPOR_HOST = "lapor.go.id"

# Message key -> (level, Indonesian template). The code is the key up to ':'.
MESSAGES: dict[str, tuple[Level, str]] = {
    "empty": ("error", "Teks untuk {name} kosong. Tulis isi unggahan sebelum menjadwalkan."),
    "too_long": ("error", "{what} untuk {name} terlalu panjang: {length} dari {limit} karakter"
                 "{note}. Pendekkan {over} karakter{tail}."),
    "placeholder": ("error", "Teks untuk {name} masih memuat penanda yang belum diisi: {found}. "
                    "Ganti dengan isi sebenarnya."),
    "invalid_characters": ("error", "Teks untuk X memuat karakter tak terlihat yang ditolak X "
                           "(U+FEFF/U+FFFE/U+FFFF). Ketik ulang bagian yang disalin dari dokumen."),
    "feed_truncated": ("warning", "Teks untuk Facebook {length} karakter: linimasa hanya "
                       "menampilkan sekitar {fold} karakter pertama, sisanya di balik \"Lihat "
                       "selengkapnya\". Taruh pesan utama dan tautan di awal."),
    "missing_hashtag": ("warning", "Belum ada tagar kampanye di teks untuk {name}. "
                        "Tambahkan {tags}."),
    "malformed_hashtag:space": ("warning", "Di teks untuk {name}, \"{written}\" tidak menjadi "
                                "tagar karena ada spasi setelah #. Tulis #{word}."),
    "malformed_hashtag:digits": ("warning", "Di teks untuk {name}, #{run} tidak menjadi tagar "
                                 "karena hanya berisi angka. Tambahkan huruf, misalnya #LAPOR{run}."),
    "malformed_hashtag:glued": ("warning", "Di teks untuk {name}, \"{written}\" tidak menjadi "
                                "tagar karena # menempel pada kata sebelumnya. Beri spasi "
                                "sebelum #{run}."),
    "malformed_hashtag:joined": ("warning", "Di teks untuk {name}, \"{written}\" tidak menjadi "
                                 "tagar karena tagarnya berdempetan. Pisahkan dengan spasi."),
    "malformed_hashtag:cut": ("warning", "Di teks untuk {name}, tagar {written} terpotong di "
                              "tanda \"{mark}\": yang menjadi tagar hanya #{run}. Tulis {fixed}."),
    "too_many_hashtags": ("warning", "Teks untuk X memakai {count} tagar. Lebih dari {most} tagar "
                          "menurunkan jangkauan (X menyarankan 1-2); pilih yang terpenting."),
    "invalid_mention:long": ("warning", "@{written} bukan nama pengguna X yang sah: paling "
                             "banyak {most} huruf, angka, atau garis bawah. Periksa nama akunnya."),
    "invalid_mention:cut": ("warning", "@{written} bukan nama pengguna X: yang ditautkan hanya "
                            "@{handle}. Nama pengguna X hanya berisi huruf, angka, dan garis bawah."),
    "too_many_mentions": ("warning", "Teks untuk X menyebut {count} akun. Menyebut banyak akun "
                          "sekaligus tampak seperti spam dan bisa dibatasi X; sebut paling banyak "
                          "{most}."),
    "malformed_link": ("warning", "Tautan \"{written}\" di teks untuk {name} salah tulis: {linked}. "
                       "Periksa penulisannya, misalnya https://www.lapor.go.id."),
    "insecure_link": ("warning", "Tautan {url} di teks untuk {name} memakai http, bukan https. "
                      "Ganti dengan https://{rest}."),
    "shortened_link": ("warning", "Tautan {url} di teks untuk {name} memakai pemendek tautan. "
                       "Warga tidak bisa melihat tujuannya dan akun pemerintah bisa dikira "
                       "penipuan; pakai alamat lengkap."),
    "no_lapor_link": ("info", "Teks untuk {name} belum memuat tautan ke lapor.go.id. Tambahkan "
                      "ajakan, misalnya \"Laporkan di https://www.lapor.go.id\"."),
}  # fmt: skip

_SEVERITY = {"error": 0, "warning": 1, "info": 2}
_X_LIGHT = [(r["start"], r["end"]) for r in _twitter_config["defaults"]["ranges"]]
_HASH = "#＃"
# twitter-text hashtagSpecialChars: allowed in a hashtag besides letters, marks and digits.
_TAG_SPECIAL = frozenset("_\u200c\u200d\ua67e\u05be\u05f3\u05f4\uff5e\u301c\u309b\u309c\u30a0\u30fb\u3003\u0f0b\u0f0c\xb7")  # fmt: skip
_TAG_CUT = "-\u2010"  # a hyphen ends a tag on X, Facebook and Telegram alike
# twitter-text validMentionOrList and endMentionMatch, ported: what X links as a mention.
_MENTION = re.compile(
    r"(?:^|[^a-zA-Z0-9_!#$%&*@＠]|(?:^|[^a-zA-Z0-9_+~.-])(?:rt|RT|rT|Rt):?)"
    r"[@＠]([a-zA-Z0-9_]{1,20})(?:/[a-zA-Z][a-zA-Z0-9_-]{0,24})?"
)
_MENTION_END = re.compile(rf"[@＠{latin_accent_chars.pattern}]|://")
_LINKISH = re.compile(r"(?i)^(?:[a-z]{2,7}:/+|[a-z]{2,7}//|www\.)|://")
_PLACEHOLDER = re.compile(
    r"\{\{?[^{}\n]{0,40}\}?\}"
    r"|[\[<]{1,2}\s*(?:link|tautan|url|nama|name|tanggal|date|jam|waktu|nomor|judul|lokasi"
    r"|tempat|isi|insert|placeholder)[^\]>\n]{0,30}[\]>]{1,2}"
    r"|\b(?:TODO|TBD|FIXME|lorem ipsum)\b|\bx{3,6}\b",
    re.IGNORECASE,
)


@dataclass(frozen=True, slots=True, kw_only=True)
class Issue:
    """One finding: `code` is a stable English slug, `message` an Indonesian sentence."""

    level: Level
    code: str
    message: str


@dataclass(frozen=True, slots=True, kw_only=True)
class CopyCheck:
    """The result of checking one channel's text; `length` is the platform's own count."""

    channel: str
    length: int
    limit: int
    issues: tuple[Issue, ...]  # errors first, then warnings, then info
    hashtags: tuple[str, ...]  # without '#', as written
    mentions: tuple[str, ...]  # without '@'
    links: tuple[str, ...]  # as written

    @property
    def remaining(self) -> int:
        """Characters left before the limit; negative when over it."""
        return self.limit - self.length

    @property
    def errors(self) -> tuple[Issue, ...]:
        """The issues that block scheduling."""
        return tuple(i for i in self.issues if i.level == "error")

    @property
    def ok(self) -> bool:
        """True when nothing blocks scheduling (warnings and info do not)."""
        return not self.errors


def check(
    text: str, channel: str, *, hashtags: Sequence[str] = (), has_media: bool = False
) -> CopyCheck:
    """Check one channel's version of a post and return its CopyCheck.

    `hashtags` are the campaign's, with or without '#'; `has_media` means an image goes with
    the text (on Telegram the text is then a caption). Raises InputError for an unknown channel.
    """
    key = channel.strip().lower()
    if key not in NAMES:
        raise InputError(f"Saluran {channel!r} tidak dikenal; pilih x, facebook, atau telegram.")
    name = NAMES[key]
    if key == "x":
        length, limit = parse_tweet(text).weightedLength, X_LIMIT
    elif key == "facebook":
        length, limit = len(text.encode("utf-16-le")) // 2, FACEBOOK_LIMIT
    else:
        length = len(text.strip())
        limit = TELEGRAM_CAPTION_LIMIT if has_media else TELEGRAM_TEXT_LIMIT
    urls = extract_urls_with_indices(text)
    tags, tag_issues = _scan_hashtags(text, urls, name)
    mentions = [(m.group(1), m.end()) for m in _MENTION.finditer(text)
                if not _MENTION_END.match(text, m.end())]  # fmt: skip
    if not text.strip():
        issues = [_issue("empty", name=name)]
    else:
        issues = [*_length_issues(text, key, name, length, limit, has_media, bool(urls))]
        found = list(dict.fromkeys(m.group(0) for m in _PLACEHOLDER.finditer(text)))
        if found:
            issues.append(_issue("placeholder", name=name, found=", ".join(found)))
        issues += tag_issues
        issues += _hashtag_issues(tags, [hashtags] if isinstance(hashtags, str) else hashtags,
                                  key, name)  # fmt: skip
        if key == "x":
            issues += _mention_issues(text, mentions)
        issues += _link_issues(text, urls, name)
    issues = sorted(dict.fromkeys(issues), key=lambda i: _SEVERITY[i.level])
    return CopyCheck(channel=key, length=length, limit=limit, issues=tuple(issues),
                     hashtags=tuple(tags), mentions=tuple(m for m, _ in mentions),
                     links=tuple(u["url"] for u in urls))  # fmt: skip


def check_all(
    versions: Mapping[str, str], *, hashtags: Sequence[str] = (), has_media: bool = False
) -> dict[str, CopyCheck]:
    """Check every channel's version; return the CopyChecks keyed as `versions` is.

    Raises InputError when a channel is unknown.
    """
    return {ch: check(t, ch, hashtags=hashtags, has_media=has_media) for ch, t in versions.items()}


def gate(versions: Mapping[str, str], hashtags: Sequence[str], has_media: bool) -> list[str]:
    """Return the sentences that block scheduling (campaigns' CopyGate); empty when none.

    Raises InputError when a channel is unknown.
    """
    checks = check_all(versions, hashtags=hashtags, has_media=has_media)
    return [issue.message for c in checks.values() for issue in c.errors]


def _issue(key: str, **values: Any) -> Issue:
    level, template = MESSAGES[key]
    return Issue(level=level, code=key.split(":")[0], message=template.format(**values))


def _n(number: int) -> str:
    return f"{number:,}".replace(",", ".")  # Indonesian thousands separator


def _length_issues(
    text: str, key: str, name: str, length: int, limit: int, has_media: bool, has_urls: bool
) -> Iterator[Issue]:
    if length > limit:
        notes = []
        if key == "x" and has_urls:
            notes.append(f"tautan dihitung {X_URL_LENGTH} karakter")
        if key == "x" and not all(any(a <= ord(c) <= b for a, b in _X_LIGHT) for c in text):
            notes.append("emoji, huruf CJK, dan simbol seperti • dihitung 2")
        caption = key == "telegram" and has_media
        yield _issue("too_long", what="Keterangan foto" if caption else "Teks", name=name,
                     length=_n(length), limit=_n(limit), over=_n(length - limit),
                     note=f" ({'; '.join(notes)})" if notes else "",
                     tail=", atau kirim sisanya sebagai pesan terpisah" if caption else "")  # fmt: skip
    elif key == "facebook" and length > FACEBOOK_FOLD:
        yield _issue("feed_truncated", length=_n(length), fold=FACEBOOK_FOLD)
    if key == "x" and re.search("[\ufffe\ufeff\uffff]", text):
        yield _issue("invalid_characters")


def _tag_char(char: str) -> bool:
    category = unicodedata.category(char)
    return char in _TAG_SPECIAL or category[0] in "LM" or category == "Nd"


def _letter(char: str) -> bool:
    return unicodedata.category(char)[0] in "LM"


def _scan_hashtags(text: str, urls: list[dict], name: str) -> tuple[list[str], list[Issue]]:
    """Hashtags as X links them, and warnings about the ones the writer got wrong.

    twitter-text-parser 3.0 ports only the URL and emoji extractors, so this follows
    twitter-text's validHashtag and endHashtagMatch: '#' not glued to a word, then letters,
    marks, digits or _ with at least one letter, not followed by '#' or '://', outside URLs.
    Telegram (TDLib match_hashtags) has the same rules save marks; Facebook publishes none and
    is held to X's.
    """
    in_url = {i for u in urls for i in range(*u["indices"])}
    tags: list[str] = []
    issues: list[Issue] = []
    n, i = len(text), 0
    while i < n:
        if text[i] not in _HASH or i in in_url or text[i + 1 : i + 2] in ("\ufe0f", "\u20e3"):
            i += 1  # not a hash, inside a URL, or the keycap emoji #️⃣
            continue
        j = i + 1
        while j < n and _tag_char(text[j]):
            j += 1
        run, prev = text[i + 1 : j], text[i - 1] if i else ""
        glued = prev not in ("", "\ufe0e", "\ufe0f") and (_tag_char(prev) or prev == "&")
        spaced = re.match(r"[ \t]+(\w+)", text[j:]) if not run and not glued else None
        if spaced and any(_letter(c) for c in spaced.group(1)):
            written, j = text[i : j + spaced.end()], j + spaced.end()
            issues.append(_issue("malformed_hashtag:space", name=name, written=written,
                                 word=spaced.group(1)))  # fmt: skip
        elif not run:
            pass
        elif not any(_letter(c) for c in run):
            if not glued:
                issues.append(_issue("malformed_hashtag:digits", name=name, run=run))
        elif glued:
            start = i
            while start > 0 and _tag_char(text[start - 1]):
                start -= 1
            issues.append(_issue("malformed_hashtag:glued", name=name, written=text[start:j],
                                 run=run))  # fmt: skip
        elif text.startswith(("#", "＃", "://"), j):
            while j < n and not text[j].isspace():
                j += 1
            issues.append(_issue("malformed_hashtag:joined", name=name, written=text[i:j]))
        else:
            tags.append(run)
            if j + 1 < n and text[j] in _TAG_CUT and _tag_char(text[j + 1]):
                end = j
                while end < n and (_tag_char(text[end]) or text[end] in _TAG_CUT):
                    end += 1
                written = text[i:end]
                fixed = "#" + "".join(c for c in written[1:] if c not in _TAG_CUT)
                issues.append(_issue("malformed_hashtag:cut", name=name, written=written,
                                     mark=text[j], run=run, fixed=fixed))  # fmt: skip
                j = end
        i = max(j, i + 1)
    return tags, issues


def _hashtag_issues(tags: list[str], wanted: Sequence[str], key: str, name: str) -> list[Issue]:
    have = {t.casefold() for t in tags}
    issues = []
    # A campaign may have several hashtags; a post carries one or two of them, not all.
    bare = [b for tag in wanted if (b := tag.strip().lstrip(_HASH))]
    if bare and not any(b.casefold() in have for b in bare):
        listed = " atau ".join(f"#{b}" for b in bare)
        issues.append(_issue("missing_hashtag", name=name, tags=listed))
    if key == "x" and len(have) > X_MAX_HASHTAGS:
        issues.append(_issue("too_many_hashtags", count=len(have), most=X_MAX_HASHTAGS))
    return issues


def _mention_issues(text: str, mentions: list[tuple[str, int]]) -> Iterator[Issue]:
    for handle, end in mentions:
        longer = re.match(r"[A-Za-z0-9_]*", text[end:])
        written = handle + (longer.group(0) if longer else "")
        cut = re.match(r"[-.][A-Za-z0-9_]+", text[end:])
        if len(written) > X_HANDLE_MAX:
            yield _issue("invalid_mention:long", written=written, most=X_HANDLE_MAX)
        elif cut:  # e.g. an Instagram handle with a dot: X links only the part before it
            yield _issue("invalid_mention:cut", written=handle + cut.group(0), handle=handle)
    distinct = {m.casefold() for m, _ in mentions}
    if len(distinct) > X_MAX_MENTIONS:
        yield _issue("too_many_mentions", count=len(distinct), most=X_MAX_MENTIONS)


def _link_issues(text: str, urls: list[dict], name: str) -> Iterator[Issue]:
    for token in re.finditer(r"\S+", text):
        written = token.group(0).lstrip("([{\"'«“").rstrip(".,;:!?)]}\"'»”…")
        if not _LINKISH.search(written):
            continue
        inside = [u["url"] for u in urls if token.start() <= u["indices"][0] < token.end()]
        if written not in inside:
            linked = f"yang ditautkan hanya {inside[0]}" if inside else "tidak akan menjadi tautan"
            yield _issue("malformed_link", written=written, name=name, linked=linked)
    hosts = []
    for url in (u["url"] for u in urls):
        host = (urlsplit(url if "://" in url else f"https://{url}").hostname or "").lower()
        hosts.append(host)
        if url.lower().startswith("http://"):
            yield _issue("insecure_link", url=url, name=name, rest=url[len("http://") :])
        if host.removeprefix("www.") in SHORTENERS:
            yield _issue("shortened_link", url=url, name=name)
    if not any(h == LAPOR_HOST or h.endswith("." + LAPOR_HOST) for h in hosts):
        yield _issue("no_lapor_link", name=name)
