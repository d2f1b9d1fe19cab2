import { useSyncExternalStore } from "react";
import { type ChatState, type ChatStore, otherMember } from "../lib/store";

export function useChat(store: ChatStore): ChatState {
  return useSyncExternalStore(store.subscribe, store.getState);
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
