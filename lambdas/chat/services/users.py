"""Profiles and contact search."""

from chat.models.api import UserPage
from chat.models.chat import User
from chat.models.errors import InvalidRequest, NotFound
from chat.models.ports import UserStore
from chat.services.cursors import decode_cursor, encode_cursor


class UserService:
    def __init__(self, users: UserStore) -> None:
        self._users = users

    def get(self, user_id: str) -> User:
        user = self._users.get_user(user_id)
        if user is None:
            raise NotFound("No user has that id.")
        return user

    def search(self, caller_id: str, prefix: str | None, limit: int, cursor: str | None) -> UserPage:
        """Everyone but the caller whose username or display name starts with `prefix`, by username."""
        after = decode_cursor(cursor) if cursor else None
        if after is not None and not isinstance(after, str):
            raise InvalidRequest("The cursor is not valid; pass back a nextCursor exactly as received.")
        users = self._users.search_users(prefix or None, caller_id, limit + 1, after)
        page, more = users[:limit], len(users) > limit
        return UserPage(items=page, nextCursor=encode_cursor(page[-1].username.lower()) if more else None)
