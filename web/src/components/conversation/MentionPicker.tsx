import { type KeyboardEvent, useState } from "react";
import { mentionAt } from "../../lib/mentions";
import type { User } from "../../lib/types";
import { Avatar } from "../Avatar";
import { useChatSelector, useMyId } from "../useChat";

const MOST_OFFERED = 5;
const LIST_ID = "mention-options";

/**
 * In a group's composer, typing "@" offers the members whose username or name starts with what follows
 * (none once a username is typed in full); arrows move, Enter or Tab picks ("@username " goes in),
 * Escape declines. The Message box keeps focus
 * and points at the option chosen (aria-activedescendant).
 */
export function useMentionPicker(
  conversationId: string,
  text: string,
  replace: (text: string, caret: number) => void,
) {
  const me = useMyId();
  const [caret, setCaret] = useState(0);
  const [active, setActive] = useState(0);
  const [declinedAt, setDeclinedAt] = useState<number | null>(null);
  const typing = mentionAt(text, caret);
  const memberIds = useChatSelector((state) => {
    const conversation = state.conversations.find((c) => c.id === conversationId);
    return conversation?.type === "group" ? conversation.memberIds : null;
  });
  const open = !!typing && !!memberIds && typing.start !== declinedAt;
  // The profiles are read only while offering, so presence changes do not re-render the composer.
  const users = useChatSelector((state) => (open ? state.users : null));
  let offered: User[] = [];
  if (open && users) {
    const prefix = typing.prefix;
    for (const id of memberIds) {
      const user = users[id];
      if (!user || id === me || offered.length === MOST_OFFERED) continue;
      if (user.username.toLowerCase().startsWith(prefix) || user.displayName.toLowerCase().startsWith(prefix))
        offered.push(user);
    }
    // A name typed in full needs no completing: Enter sends.
    if (offered.some((user) => user.username.toLowerCase() === prefix)) offered = [];
  }
  const chosen = Math.min(active, offered.length - 1);

  function pick(user: User) {
    if (!typing) return;
    const before = `${text.slice(0, typing.start)}@${user.username} `;
    replace(before + text.slice(caret), before.length);
  }

  return {
    /** The caret moved or the text changed: what is being typed may be a mention. */
    follow(box: HTMLTextAreaElement, edited: boolean) {
      setCaret(box.selectionStart);
      if (edited) setActive(0);
    },
    /** The picker's keys; true when it took the key. */
    onKeyDown(event: KeyboardEvent<HTMLTextAreaElement>): boolean {
      const user = offered[chosen];
      if (!typing || !user) return false;
      if (event.key === "ArrowDown" || event.key === "ArrowUp") {
        const step = event.key === "ArrowDown" ? 1 : offered.length - 1;
        setActive((chosen + step) % offered.length);
      } else if (event.key === "Enter" || event.key === "Tab") {
        pick(user);
      } else if (event.key === "Escape") {
        setDeclinedAt(typing.start);
      } else {
        return false;
      }
      event.preventDefault();
      return true;
    },
    boxProps:
      offered.length > 0
        ? {
            "aria-controls": LIST_ID,
            "aria-autocomplete": "list" as const,
            "aria-activedescendant": `${LIST_ID}-${chosen}`,
          }
        : {},
    list:
      offered.length > 0 ? (
        <div
          id={LIST_ID}
          role="listbox"
          aria-label="Members to mention"
          className="mb-2 max-w-xs rounded border border-slate-200 bg-white py-1 text-sm shadow-lg"
        >
          {offered.map((user, index) => (
            <div
              key={user.id}
              id={`${LIST_ID}-${index}`}
              role="option"
              tabIndex={-1}
              aria-selected={index === chosen}
              // The Message box keeps focus: the pointer picks without taking it.
              onMouseDown={(event) => {
                event.preventDefault();
                pick(user);
              }}
              className={`flex cursor-pointer items-center gap-2 px-3 py-1 ${index === chosen ? "bg-teal-50" : ""}`}
            >
              <Avatar user={user} size="sm" />
              <span className="font-medium">{user.displayName}</span>
              <span className="text-slate-600">@{user.username}</span>
            </div>
          ))}
        </div>
      ) : null,
  };
}
