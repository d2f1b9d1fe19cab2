"""The words a message is found by, and a search's words: one normalization for both, so a
search matches whatever the letter case and accents on either side (é = e, Straße = strasse).

Unicode's compatibility caseless match (NFKD, casefold, NFKD again), then every nonspacing
mark dropped (category Mn: accents, diaereses, cedillas), then the runs of word characters
(`\\w+`: letters, digits, underscore). Each word is cut to MAX_TERM_LENGTH characters; a text
gives each word once, at most MAX_TERMS of them (the first ones): the bound on a message's
index entries. Pure functions of the text, the standard library only."""

import re
import unicodedata

MAX_TERM_LENGTH = 64
MAX_TERMS = 200  # per message: its entries in the search index
WORD = re.compile(r"\w+")


def normalized(text: str) -> str:
    """`text` folded for matching: letter case and accents gone."""
    folded = unicodedata.normalize("NFKD", unicodedata.normalize("NFKD", text).casefold())
    return "".join(c for c in folded if unicodedata.category(c) != "Mn")


def terms(text: str, limit: int = MAX_TERMS) -> list[str]:
    """The distinct words of `text`, normalized, in order of first appearance, at most `limit`."""
    found: dict[str, None] = {}
    for word in WORD.findall(normalized(text)):
        found.setdefault(word[:MAX_TERM_LENGTH])
        if len(found) == limit:
            break
    return list(found)
