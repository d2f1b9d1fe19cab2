"""Direct and group conversations, and each member's list of them."""

from datetime import datetime
from typing import TYPE_CHECKING

from chat.clock import utc_now
from chat.models.api import MAX_GROUP_MEMBERS, ConversationPage, CreateGroupRequest
from chat.models.chat import Conversation, Receipt
from chat.models.errors import Forbidden, InvalidRequest, NotFound
from chat.models.ports import (
    BlockStore,
    ConversationCursor,
    ConversationStore,
    MembershipCheck,
    MessageStore,
    ReceiptStore,
    Unread,
    UserStore,
)
from chat.services.cursors import decode_cursor, encode_cursor
from chat.services.ids import new_id

if TYPE_CHECKING:
    from chat.services.media_links import MediaLinks
    from chat.services.rate_limits import RateLimits


def direct_key(user_a: str, user_b: str) -> str:
    """The one key a pair of users shares, whoever starts the chat."""
    return ":".join(sorted((user_a, user_b)))


class ConversationService:
    def __init__(
        self,
        conversations: ConversationStore,
        users: UserStore,
        messages: MessageStore,
        receipts: ReceiptStore,
        links: "MediaLinks",
        *,
        members: MembershipCheck,
        limits: "RateLimits",
        blocks: BlockStore,
    ) -> None:
        self._conversations = conversations
        self._blocks = blocks
        self._users = users
        self._messages = messages
        self._receipts = receipts
        self._limits = limits
        self._links = links
        self._members = members

    def create_group(self, creator_id: str, request: CreateGroupRequest) -> Conversation:
        member_ids = list(dict.fromkeys([creator_id, *request.memberIds]))
        if not 2 <= len(member_ids) <= MAX_GROUP_MEMBERS:
            raise InvalidRequest(
                f"A group has 2 to {MAX_GROUP_MEMBERS} members including you.",
                details=[{"loc": ["body", "memberIds"], "type": "group_size"}],
            )
        unknown = set(member_ids) - self._users.existing_user_ids(member_ids)
        if unknown:
            raise NotFound(f"No user has the id(s): {', '.join(sorted(unknown))}.")
        conversation = Conversation(
            id=new_id(),
            type="group",
            name=request.name.strip(),
            memberIds=member_ids,
            createdBy=creator_id,
            createdAt=utc_now(),
            lastSeq=0,
            lastMessage=None,
            adminIds=[creator_id],
        )
        return self._conversations.create(conversation).model_copy(
            update={"unreadCount": 0, "mentionCount": 0, "archived": False, "muted": False}
        )

    def open_direct(self, caller_id: str, other_id: str) -> tuple[Conversation, bool]:
        """The direct conversation between the two users, created on first use. True if created now."""
        if other_id == caller_id:
            raise InvalidRequest(
                "A direct conversation needs another user.", details=[{"loc": ["body", "userId"], "type": "self"}]
            )
        key = direct_key(caller_id, other_id)
        existing = self._conversations.find_direct(key)
        if existing is not None:
            return self.for_reader(existing, caller_id), False
        if self._users.get_user(other_id) is None:
            raise NotFound("No user has that id.")
        blockers = self._blocks.between(caller_id, other_id)
        if other_id in blockers:
            raise Forbidden("You cannot start a chat with this user.")  # never says why: the block stays private
        if caller_id in blockers:
            raise Forbidden("You blocked this user: unblock them to start a chat.")
        # Limited here, where a chat is made (opened, or by a first message): each one lets the
        # caller see the other's presence, so a script must not open one with everyone.
        self._limits.check("direct", caller_id)
        fresh = Conversation(
            id=new_id(),
            type="direct",
            name=None,
            memberIds=[caller_id, other_id],
            createdBy=caller_id,
            createdAt=utc_now(),
            lastSeq=0,
            lastMessage=None,
        )
        stored = self._conversations.create(fresh, direct_key=key)
        # A block made while the chat was being made found no chat to close: close it now, then
        # look once more, in case the block was undone meanwhile (its unblock found nothing to open).
        blockers = self._blocks.between(caller_id, other_id)
        for blocker in blockers:
            self._conversations.set_direct_block(key, blocker, True)
        for blocker in blockers - self._blocks.between(caller_id, other_id) if blockers else ():
            self._conversations.set_direct_block(key, blocker, False)
        return self.for_reader(stored, caller_id), stored.id == fresh.id

    def get(self, user_id: str, conversation_id: str) -> Conversation:
        return self.for_reader(self._members.require_member(conversation_id, user_id), user_id)

    def for_reader(self, conversation: Conversation, reader_id: str) -> Conversation:
        """The conversation as `reader_id` sees it: media linked, with their unread count and
        whether they archived or muted it."""
        return self._for_reader([conversation], reader_id)[0]

    def for_push(self, conversation: Conversation) -> Conversation:
        """The conversation as pushed to every member alike: no one's unread count, archived or
        muted state, and no receipts (clients keep the cursors they hold; see `receipts`)."""
        return self._links.conversation(
            conversation.model_copy(
                update={
                    "unreadCount": None,
                    "mentionCount": None,
                    "receipts": {},
                    "archived": None,
                    "muted": None,
                    "mutedUntil": None,
                }
            )
        )

    def receipts(self, user_id: str, conversation_id: str) -> dict[str, Receipt]:
        """Every current member's cursors, a member who never sent a receipt at 0: "read by
        whom", asked for on demand. Two reads, the second O(members)."""
        conversation = self._members.require_member(conversation_id, user_id)
        stored = self._receipts.of_conversation(conversation_id)
        return _merged(conversation, stored, conversation.memberIds)

    def list_for(self, user_id: str, limit: int, cursor: str | None, *, archived: bool = False) -> ConversationPage:
        """The user's main list, or with `archived` the conversations they archived (until a
        message comes: then it is back in the main list)."""
        after = self._decode(cursor) if cursor else None
        found = self._conversations.list_for_member(user_id, limit + 1, after, archived=archived)
        page, more = found[:limit], len(found) > limit
        next_cursor = None
        if more:
            last = page[-1]
            activity = last.lastMessage.createdAt if last.lastMessage else last.createdAt
            next_cursor = encode_cursor([activity.isoformat(), last.id])
        return ConversationPage(items=self._for_reader(page, user_id), nextCursor=next_cursor)

    def _for_reader(self, conversations: list[Conversation], reader_id: str) -> list[Conversation]:
        """Two round trips for a whole page: the receipts the reader sees, and unread counts (with
        the mentions among them)."""
        stored = self._receipts.visible_to(reader_id, conversations)
        read_seqs = {}
        views = []
        now = utc_now()
        for conversation in conversations:
            receipts = _visible_receipts(conversation, reader_id, stored.get(conversation.id, {}))
            read = receipts[reader_id].readSeq if reader_id in receipts else 0
            if conversation.lastSeq > read:  # otherwise nothing can be unread: no query
                read_seqs[conversation.id] = read
            own = {"receipts": receipts, "archived": conversation.archived_for(reader_id)}
            views.append(conversation.model_copy(update={**own, **conversation.mute_of(reader_id, now)}))
        unread = self._messages.unread_counts(reader_id, read_seqs)
        counted = []
        for view in views:
            counts = unread.get(view.id, Unread(0, 0))
            counted.append(view.model_copy(update={"unreadCount": counts.messages, "mentionCount": counts.mentions}))
        return [self._links.conversation(c) for c in counted]

    @staticmethod
    def _decode(cursor: str) -> ConversationCursor:
        value = decode_cursor(cursor)
        try:
            activity, conversation_id = value
            return ConversationCursor(datetime.fromisoformat(activity), str(conversation_id))
        except (TypeError, ValueError) as error:
            raise InvalidRequest("The cursor is not valid; pass back a nextCursor exactly as received.") from error


def higher(*receipts: Receipt | None) -> Receipt:
    """Each cursor at the highest the receipts give (cursors only move forward)."""
    held = [r for r in receipts if r is not None]
    return Receipt(
        deliveredSeq=max((r.deliveredSeq for r in held), default=0), readSeq=max((r.readSeq for r in held), default=0)
    )


def _visible_receipts(conversation: Conversation, reader_id: str, stored: dict[str, Receipt]) -> dict[str, Receipt]:
    """Every member's cursors in a direct chat, only the reader's own in a group (the rest are
    asked for on demand). Receipts from before they had their own records ride on the
    conversation document; the higher of the two wins, so an upgrade moves no cursor back."""
    users = [reader_id] if conversation.type == "group" else conversation.memberIds
    return _merged(conversation, stored, [u for u in users if u in conversation.receipts or u in stored])


def _merged(conversation: Conversation, stored: dict[str, Receipt], users: list[str]) -> dict[str, Receipt]:
    """These users' cursors: their own records, or those on the conversation document from
    before the records existed, whichever is higher."""
    return {user: higher(conversation.receipts.get(user), stored.get(user)) for user in users}
