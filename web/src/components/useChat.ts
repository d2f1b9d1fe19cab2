import {
  createContext,
  createElement,
  type ReactNode,
  useContext,
  useRef,
  useSyncExternalStore,
} from "react";
import { type ChatState, type ChatStore, otherMember } from "../lib/store";
import type { Conversation } from "../lib/types";

const StoreContext = createContext<ChatStore | null>(null);

/** Gives every component below it the one store, so none is handed it as a prop. */
export function ChatProvider({ store, children }: { store: ChatStore; children: ReactNode }) {
  return createElement(StoreContext.Provider, { value: store }, children);
}

/** The store, for its actions (send, open, react…): reading state goes through useChatSelector. */
export function useStore(): ChatStore {
  const store = useContext(StoreContext);
  if (!store) throw new Error("useStore needs a <ChatProvider> above it");
  return store;
}

/**
 * The part of the state a component shows: it re-renders only when that part changes (`Object.is`),
 * not on every change to the store. So a selector returns a primitive or something the state holds,
 * never an array or object it builds, which would be new, and re-render, on every change.
 */
export function useChatSelector<T>(selector: (state: ChatState) => T): T {
  const store = useStore();
  const last = useRef<{ state: ChatState; selector: (state: ChatState) => T; value: T } | null>(null);
  const select = (): T => {
    const state = store.getState();
    const previous = last.current;
    // A new selector (props it closes over may have changed) is asked again, even on the same state.
    if (previous && previous.state === state && previous.selector === selector) return previous.value;
    const value = selector(state);
    last.current = { state, selector, value };
    return value;
  };
  return useSyncExternalStore(store.subscribe, select, select);
}

/** The signed-in user's id ("" while signed out). */
export function useMyId(): string {
  return useChatSelector((state) => state.session?.user.id ?? "");
}

/** One conversation as the list holds it; undefined once it is gone from the list. */
export function useConversation(conversationId: string): Conversation | undefined {
  return useChatSelector((state) => state.conversations.find((c) => c.id === conversationId));
}

/** A user's display name, or `fallback` while their profile is unknown. */
export function useDisplayName(userId: string, fallback = "Someone"): string {
  return useChatSelector((state) => state.users[userId]?.displayName ?? fallback);
}

/** What a conversation is called here: a group's name, or the other person's in a direct chat. */
export function useConversationTitle(conversation: Conversation): string {
  const me = useMyId();
  return useChatSelector((state) => conversationTitle(conversation, state.users, me));
}

export function conversationTitle(
  conversation: { type: string; name: string | null; memberIds: string[] },
  users: ChatState["users"],
  myId: string,
): string {
  if (conversation.type === "group") return conversation.name ?? "Group";
  const other = otherMember(conversation, myId);
  return (other && users[other]?.displayName) || "Direct chat";
}

export function formatTime(iso: string): string {
  return new Date(iso).toLocaleTimeString([], { hour: "2-digit", minute: "2-digit" });
}

/**
 * A day heading in a conversation: "Today", "Yesterday", a weekday and date this year, with the
 * year before that. `day` is a `Date.toDateString()` ("Tue Dec 01 2026"), as messages are grouped by.
 */
export function dayLabel(day: string, now: Date = new Date()): string {
  const date = new Date(day);
  if (Number.isNaN(date.getTime())) return day;
  const yesterday = new Date(now);
  yesterday.setDate(now.getDate() - 1);
  if (day === now.toDateString()) return "Today";
  if (day === yesterday.toDateString()) return "Yesterday";
  const sameYear = date.getFullYear() === now.getFullYear();
  return date.toLocaleDateString([], {
    weekday: "long",
    day: "numeric",
    month: "long",
    ...(sameYear ? {} : { year: "numeric" }),
  });
}

/**
 * The day of a message in a one-line list (search results): "Today" and "Yesterday" as a conversation's
 * headings say them, else the short date ("24 Nov"), with the year when it is not this one.
 */
export function shortDay(iso: string, now: Date = new Date()): string {
  const date = new Date(iso);
  const label = dayLabel(date.toDateString(), now);
  if (label === "Today" || label === "Yesterday") return label;
  const sameYear = date.getFullYear() === now.getFullYear();
  return date.toLocaleDateString([], {
    day: "numeric",
    month: "short",
    ...(sameYear ? {} : { year: "numeric" }),
  });
}

/** "last seen …" for a header: recent times relative, older ones as a day and time. */
export function lastSeenText(iso: string, now: Date = new Date()): string {
  const seen = new Date(iso);
  const minutes = Math.floor((now.getTime() - seen.getTime()) / 60_000);
  if (minutes < 1) return "last seen just now";
  if (minutes < 60) return `last seen ${minutes} min ago`;
  const yesterday = new Date(now);
  yesterday.setDate(now.getDate() - 1);
  if (seen.toDateString() === now.toDateString()) return `last seen today at ${formatTime(iso)}`;
  if (seen.toDateString() === yesterday.toDateString()) return `last seen yesterday at ${formatTime(iso)}`;
  return `last seen ${seen.toLocaleDateString([], { day: "numeric", month: "short" })} at ${formatTime(iso)}`;
}

/** How long a conversation stays muted, for its menu: "until 18:00", "until Tue 14 Jan, 18:00". */
export function mutedUntilText(iso: string | null, now: Date = new Date()): string {
  if (iso === null) return "until you unmute";
  const until = new Date(iso);
  if (until.toDateString() === now.toDateString()) return `until ${formatTime(iso)}`;
  const day = until.toLocaleDateString([], { weekday: "short", day: "numeric", month: "short" });
  return `until ${day}, ${formatTime(iso)}`;
}
