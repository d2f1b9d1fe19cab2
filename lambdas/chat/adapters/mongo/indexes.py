"""Every index the product relies on, created idempotently by the one function
that deploy and the local stack both call (never on a cold start)."""

from typing import Any

from pymongo import ASCENDING, DESCENDING, IndexModel

from chat.adapters.mongo.client import translate_driver_errors

INDEXES: dict[str, list[IndexModel]] = {
    "users": [
        IndexModel([("usernameLower", ASCENDING)], unique=True, name="username_unique"),
        IndexModel([("displayNameLower", ASCENDING)], name="display_name_prefix"),
    ],
    "conversations": [
        IndexModel(
            [("memberIds", ASCENDING), ("lastActivityAt", DESCENDING), ("_id", DESCENDING)],
            name="member_recent_activity",
        ),
        IndexModel(
            [("directKey", ASCENDING)],
            unique=True,
            sparse=True,  # only direct conversations carry a directKey
            name="direct_pair_unique",
        ),
        # Groups someone was removed from, by them: what they may still search (up to their removal).
        IndexModel([("formerMemberIds", ASCENDING)], sparse=True, name="former_members"),
    ],
    "messages": [
        IndexModel([("conversationId", ASCENDING), ("seq", ASCENDING)], unique=True, name="conversation_seq"),
        IndexModel(
            [("conversationId", ASCENDING), ("senderId", ASCENDING), ("clientMsgId", ASCENDING)],
            unique=True,
            name="idempotent_send",
        ),
        # Search: the words of each message (multikey: one entry per distinct word), within a
        # conversation, newest first. The conversation leads, so a search reads only the caller's
        # conversations (one range each, merged newest first), never everyone's messages with
        # that word. A message with no terms (deleted, a skipped seq) has one entry, for null.
        IndexModel([("conversationId", ASCENDING), ("terms", ASCENDING), ("_id", DESCENDING)], name="search_terms"),
        # Replies by the message they quote: an edit or deletion rewrites their quotes. Sparse:
        # only replies carry it.
        IndexModel([("replyTo.messageId", ASCENDING)], sparse=True, name="replies_to"),
    ],
    "archive_chunks": [
        # _id is the chunk's S3 key. Reading back and catching up find chunks by seq range;
        # an edit or reaction finds an archived message's chunk by its id.
        # Unique: two runs at once can never both record a chunk for the same seqs.
        IndexModel([("conversationId", ASCENDING), ("firstSeq", DESCENDING)], unique=True, name="first_seq_unique"),
        IndexModel([("conversationId", ASCENDING), ("lastSeq", ASCENDING)], name="by_last_seq"),
        IndexModel([("messageIds", ASCENDING)], name="by_message"),
        IndexModel([("newestAt", ASCENDING)], name="oldest_first"),  # retention
    ],
    "receipts": [
        # _id is "<conversationId>:<userId>"; this one serves "every receipt of a conversation".
        IndexModel([("conversationId", ASCENDING), ("userId", ASCENDING)], name="by_conversation"),
    ],
    "connections": [
        # Serves "a user's sockets" and "their oldest ones" (the socket cap).
        IndexModel([("userId", ASCENDING), ("connectedAt", DESCENDING)], name="by_user_newest_first"),
        IndexModel([("expiresAt", ASCENDING)], expireAfterSeconds=0, name="expire_stale"),
    ],
    "rate_limits": [
        IndexModel([("expiresAt", ASCENDING)], expireAfterSeconds=0, name="expire_full"),
    ],
    "login_failures": [
        IndexModel([("expiresAt", ASCENDING)], expireAfterSeconds=0, name="expire_window"),
    ],
    "media": [
        # Upload records nobody used expire with their bytes; published ones have no expiresAt.
        IndexModel([("expiresAt", ASCENDING)], expireAfterSeconds=0, name="expire_unused"),
    ],
    "blocks": [
        # _id is "<blocker>:<blocked>" (is X blocked by Y: a point read); this one serves "whom I
        # blocked", the latest first, and the cap's count.
        IndexModel([("blockerId", ASCENDING), ("createdAt", DESCENDING)], name="by_blocker_latest_first"),
    ],
    "typing_windows": [
        IndexModel([("expiresAt", ASCENDING)], expireAfterSeconds=0, name="expire_closed"),
    ],
    "refresh_tokens": [
        IndexModel([("expiresAt", ASCENDING)], expireAfterSeconds=0, name="expire_old"),
    ],
    "logins": [
        # _id is the login (the access token's sid); this one serves "log out everywhere".
        IndexModel([("userId", ASCENDING)], name="by_user"),
        # A login lasts 30 days at most: its record, going on or ended, goes then.
        IndexModel([("expiresAt", ASCENDING)], expireAfterSeconds=0, name="expire_with_login"),
    ],
    "push_subscriptions": [
        # _id derives from the endpoint; this one serves "a user's subscriptions", oldest first (the cap).
        IndexModel([("userId", ASCENDING), ("createdAt", ASCENDING)], name="by_user_oldest_first"),
        # The browser said when its subscription ends: the record goes then (none if it did not say).
        IndexModel([("expiresAt", ASCENDING)], expireAfterSeconds=0, name="expire_with_subscription"),
    ],
    "push_deliveries": [
        # _id is "<messageId>:<subscriptionId>": a claim, kept while SQS could still deliver its job again.
        IndexModel([("expiresAt", ASCENDING)], expireAfterSeconds=0, name="expire_claims"),
    ],
}


# Indexes an earlier version made that a newer one replaced: each costs every write to keep.
RETIRED: dict[str, list[str]] = {
    "connections": ["by_user"],  # replaced by by_user_newest_first
    "refresh_tokens": ["by_login"],  # nothing asks for a login's tokens: logins are on record
    "messages": ["old_first"],  # the archiver walks the _id index instead
    "archive_chunks": ["by_first_seq"],  # replaced by first_seq_unique
}


@translate_driver_errors
def ensure_indexes(db: Any) -> dict[str, list[str]]:
    """Creates any missing index and drops retired ones; returns the names per collection.
    Safe to run on every deploy."""
    for collection, names in RETIRED.items():
        for name in set(names) & set(db[collection].index_information()):
            db[collection].drop_index(name)
    return {name: db[name].create_indexes(models) for name, models in INDEXES.items()}
