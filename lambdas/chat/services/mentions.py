"""@mentions: the members a group message names, resolved when it is sent and again when it is
edited. Only text that names a member becomes a mention; anything else stays plain text."""

import re

from chat.models.ports import UserStore

# "@" then a username's characters (models/api.py's Username), not inside a word or an e-mail
# address (me@example.com): the lookbehind refuses a word character or another "@" before it.
MENTION = re.compile(r"(?<![\w@])@([A-Za-z0-9_.-]+)")
# A username is 3 to 32 characters.
SHORTEST, LONGEST = 3, 32


def mention_candidates(text: str) -> list[tuple[str, ...]]:
    """Each `@name` of `text` in order, as the usernames it may stand for, lowercased: the name
    as written, then without the dots and dashes that end it ("thanks @bob." names bob unless
    someone is called "bob.")."""
    found = []
    for written in MENTION.findall(text):
        names = dict.fromkeys(
            name.lower() for name in (written, written.rstrip(".-")) if SHORTEST <= len(name) <= LONGEST
        )
        if names:
            found.append(tuple(names))
    return found


class Mentions:
    """Resolves the @names of a message to the ids of the members they name: one query, and
    only when the text has an @name in a group."""

    def __init__(self, users: UserStore, *, max_mentions: int) -> None:
        self._users = users
        self._max = max_mentions

    def resolve(self, text: str, conversation_type: str, member_ids: list[str], sender_id: str) -> list[str]:
        """The members `text` names, by id, in order of first appearance, each once, at most
        `max_mentions`; never the sender; [] in a direct chat."""
        if conversation_type != "group":
            return []
        candidates = mention_candidates(text)
        if not candidates:
            return []
        names = sorted({name for options in candidates for name in options})
        others = [member for member in member_ids if member != sender_id]
        named = self._users.members_named(names, others)
        mentioned: dict[str, None] = {}
        for options in candidates:
            user_id = next((named[name] for name in options if name in named), None)
            if user_id is not None:
                mentioned.setdefault(user_id)
                if len(mentioned) == self._max:
                    break
        return list(mentioned)
