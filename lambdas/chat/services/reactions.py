"""Which strings count as one reaction emoji."""

import unicodedata

MAX_EMOJI_PER_MESSAGE = 20

# Characters that join or modify an emoji rather than stand alone.
_ZERO_WIDTH_JOINER = 0x200D
_VARIATION_SELECTORS = range(0xFE00, 0xFE10)
_SKIN_TONES = range(0x1F3FB, 0x1F400)
_TAGS = range(0xE0020, 0xE0080)  # subdivision flags (🏴 + tags)
_KEYCAP = 0x20E3
_REGIONAL_INDICATORS = range(0x1F1E6, 0x1F200)  # two make a flag
_EMOJI_BLOCKS = (
    range(0x1F000, 0x1FB00),  # pictographs, emoticons, transport, flags' regional indicators, ...
    range(0x2600, 0x27C0),  # miscellaneous symbols and dingbats (❤ ☺ ✨)
    range(0x2300, 0x2400),  # technical (⌚ ⏰)
    range(0x2B00, 0x2C00),  # arrows and stars (⭐ ⬆)
)
_ALSO = {0x00A9, 0x00AE, 0x203C, 0x2049, 0x2122, 0x2139, 0x3030, 0x303D, 0x3297, 0x3299}


def is_emoji(text: str) -> bool:
    """True for exactly one emoji: a pictograph with its skin tone, variation selector,
    keycap or tags, or several joined by zero-width joiners, or a flag's two regional
    indicators; never letters, spaces, markup or two emoji side by side. (MongoDB keeps
    reactions under the emoji as a field name, so this also keeps out '.' and '$'.)"""
    if not text or not unicodedata.is_normalized("NFC", text):
        return False
    emoji = 0
    previous = 0
    flag_half = False
    for index, char in enumerate(text):
        point = ord(char)
        if point in _REGIONAL_INDICATORS:
            emoji += not flag_half  # the first half of a flag starts an emoji, the second completes it
            flag_half = not flag_half
        elif point in _SKIN_TONES:
            if index == 0:
                return False
        elif any(point in block for block in _EMOJI_BLOCKS) or point in _ALSO:
            emoji += previous != _ZERO_WIDTH_JOINER
        elif char in "0123456789#*" and text[index + 1 : index + 3] in ("\ufe0f\u20e3", "\u20e3"):
            emoji += 1  # a keycap: the digit, (FE0F), 20E3
        elif point == _ZERO_WIDTH_JOINER:
            # A joiner joins two pictographs: never first, last, or twice in a row.
            if previous in (0, _ZERO_WIDTH_JOINER) or index == len(text) - 1:
                return False
        elif point == _KEYCAP or point in _VARIATION_SELECTORS or point in _TAGS:
            if index == 0:
                return False
        else:
            return False
        previous = point
    return emoji == 1
