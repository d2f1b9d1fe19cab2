"""Message search: the caller's messages by their words, newest first, only where the caller may
read (every conversation they are a member of, all of it; one they were removed from, up to
their removal). Two MongoDB round trips whatever the history's size: the conversations the
caller may read (one query), then one page of messages on the search index (adapters/mongo/
indexes.py, `search_terms`). Archived history (older than ARCHIVE_AFTER_DAYS, in S3) is not
searched."""

from typing import TYPE_CHECKING

from chat.models.api import MAX_SEARCH_WORDS, SearchPage
from chat.models.errors import InvalidRequest
from chat.models.ports import ConversationStore, MembershipCheck, MessageStore
from chat.services.search_terms import terms

if TYPE_CHECKING:
    from chat.services.media_links import MediaLinks


def query_words(q: str) -> list[str]:
    """The words a search looks for (normalized as messages' words are), or why it cannot."""
    words = terms(q, limit=MAX_SEARCH_WORDS + 1)
    if not words:
        raise InvalidRequest(
            "Search for at least one word (letters or digits).", details=[{"loc": ["query", "q"], "type": "no_words"}]
        )
    if len(words) > MAX_SEARCH_WORDS:
        raise InvalidRequest(
            f"Search for at most {MAX_SEARCH_WORDS} different words.",
            details=[{"loc": ["query", "q"], "type": "too_many_words", "limit": MAX_SEARCH_WORDS}],
        )
    return words


class SearchService:
    def __init__(
        self,
        conversations: ConversationStore,
        messages: MessageStore,
        links: "MediaLinks",
        *,
        members: MembershipCheck,
    ) -> None:
        self._conversations = conversations
        self._messages = messages
        self._links = links
        self._members = members

    def search(
        self, user_id: str, q: str, *, conversation_id: str | None, before: str | None, limit: int
    ) -> SearchPage:
        """Messages holding every word of `q` (whole words; any letter case or accents), not
        deleted, newest first, with ids below `before`; in `conversation_id` only, if given (as
        its history: NotFound, Forbidden). A full page says where the next one starts."""
        words = query_words(q)
        if conversation_id is not None:
            _, up_to = self._members.require_reader(conversation_id, user_id)
            readable = {conversation_id: up_to}
        else:
            readable = self._conversations.readable_by(user_id)
        found = self._messages.search(words, readable, before, limit)
        return SearchPage(
            items=[self._links.message(m) for m in found],
            nextBefore=found[-1].id if len(found) == limit else None,
        )
