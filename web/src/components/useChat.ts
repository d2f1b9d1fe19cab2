import { useSyncExternalStore } from "react";
import type { ChatState, ChatStore } from "../lib/store";

export function useChat(store: ChatStore): ChatState {
  return useSyncExternalStore(store.subscribe, store.getState);
}

/** The other person in a direct conversation; undefined for a group. */
export function otherMember(
  conversation: { type: string; memberIds: string[] },
  myId: string,
): string | undefined {
  return conversation.type === "direct" ? conversation.memberIds.find((id) => id !== myId) : undefined;
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
