"""Which files the chat takes, how large, and how to tell from the first bytes
that a file is what it says it is (a PNG is a PNG). Pure functions."""

import codecs
import struct
from dataclasses import dataclass

from chat.models.errors import PayloadTooLarge, UnsupportedMediaType

MIB = 1024 * 1024
# Enough for every signature below and for the image sizes most headers carry.
HEAD_BYTES = 8192


@dataclass(frozen=True)
class MediaKind:
    content_type: str
    label: str
    max_size: int
    is_image: bool
    extension: str


KINDS = {
    kind.content_type: kind
    for kind in (
        MediaKind("image/jpeg", "JPEG image", 10 * MIB, True, "jpg"),
        MediaKind("image/png", "PNG image", 10 * MIB, True, "png"),
        MediaKind("image/gif", "GIF image", 10 * MIB, True, "gif"),
        MediaKind("image/webp", "WebP image", 10 * MIB, True, "webp"),
        MediaKind("application/pdf", "PDF document", 25 * MIB, False, "pdf"),
        MediaKind("text/plain", "text file", 25 * MIB, False, "txt"),
    )
}
AVATAR_MAX_SIZE = 2 * MIB


def allowed_list(images_only: bool = False) -> str:
    return ", ".join(
        f"{k.content_type} (up to {k.max_size // MIB if not images_only else AVATAR_MAX_SIZE // MIB} MiB)"
        for k in KINDS.values()
        if k.is_image or not images_only
    )


def bare_type(content_type: str | None) -> str:
    """`Text/Plain; charset=utf-8` -> `text/plain`: the part that says what a file is."""
    return (content_type or "").split(";", 1)[0].strip().lower()


def kind_for(content_type: str, size: int, *, avatar: bool = False) -> MediaKind:
    """The kind a declared upload is, or the 415/413 that refuses it."""
    kind = KINDS.get(bare_type(content_type))
    if kind is None or (avatar and not kind.is_image):
        raise UnsupportedMediaType(
            f"{content_type!r} is not accepted. Allowed: {allowed_list(images_only=avatar)}.",
            details=[{"loc": ["body", "contentType"], "type": "unsupported_media_type"}],
        )
    limit = AVATAR_MAX_SIZE if avatar else kind.max_size
    if size > limit:
        what = "A profile picture" if avatar else f"A {kind.label}"
        raise PayloadTooLarge(
            f"{what} may be up to {limit // MIB} MiB; this one is {size:,} bytes.",
            details=[{"loc": ["body", "size"], "type": "too_large", "limit": limit}],
        )
    return kind


@dataclass(frozen=True)
class Sniffed:
    matches: bool
    width: int | None = None
    height: int | None = None


def sniff(content_type: str, head: bytes, complete: bool) -> Sniffed:
    """Whether `head` (a file's first bytes; the whole file when `complete`) starts
    the way `content_type` files do, and the image size when the header gives it."""
    if content_type == "text/plain":
        return Sniffed(_is_text(head, complete))
    sniffer = _SNIFFERS.get(content_type)
    return sniffer(head) if sniffer else Sniffed(False)


def _png(head: bytes) -> Sniffed:
    if head[:8] != b"\x89PNG\r\n\x1a\n" or head[12:16] != b"IHDR" or len(head) < 24:
        return Sniffed(False)
    width, height = struct.unpack(">II", head[16:24])
    return Sniffed(True, width, height)


def _gif(head: bytes) -> Sniffed:
    if head[:6] not in (b"GIF87a", b"GIF89a") or len(head) < 10:
        return Sniffed(False)
    width, height = struct.unpack("<HH", head[6:10])
    return Sniffed(True, width, height)


def _pdf(head: bytes) -> Sniffed:
    return Sniffed(head.startswith(b"%PDF-"))


def _webp(head: bytes) -> Sniffed:
    if head[:4] != b"RIFF" or head[8:12] != b"WEBP" or len(head) < 30:
        return Sniffed(False)
    chunk = head[12:16]
    if chunk == b"VP8 ":
        width, height = struct.unpack("<HH", head[26:30])
        return Sniffed(True, width & 0x3FFF, height & 0x3FFF)
    if chunk == b"VP8L":
        bits = int.from_bytes(head[21:25], "little")
        return Sniffed(True, (bits & 0x3FFF) + 1, ((bits >> 14) & 0x3FFF) + 1)
    if chunk == b"VP8X":
        return Sniffed(True, int.from_bytes(head[24:27], "little") + 1, int.from_bytes(head[27:30], "little") + 1)
    return Sniffed(False)


def _jpeg(head: bytes) -> Sniffed:
    if head[:3] != b"\xff\xd8\xff":
        return Sniffed(False)
    # Walk the marker segments to a start-of-frame; a large EXIF block may push it past `head`.
    at = 2
    while at + 9 <= len(head):
        if head[at] != 0xFF:
            break
        marker = head[at + 1]
        if 0xC0 <= marker <= 0xCF and marker not in (0xC4, 0xC8, 0xCC):
            height, width = struct.unpack(">HH", head[at + 5 : at + 9])
            return Sniffed(True, width, height)
        at += 2 + struct.unpack(">H", head[at + 2 : at + 4])[0]
    return Sniffed(True)


def _is_text(head: bytes, complete: bool) -> bool:
    if b"\x00" in head:
        return False
    try:
        # A cut-off multi-byte character at the end of the window is fine unless the file ends there.
        codecs.getincrementaldecoder("utf-8")().decode(head, final=complete)
    except UnicodeDecodeError:
        return False
    return True


_SNIFFERS = {"image/png": _png, "image/gif": _gif, "image/webp": _webp, "image/jpeg": _jpeg, "application/pdf": _pdf}
