import { useSyncExternalStore } from "react";
import type { ChatState, ChatStore } from "../lib/store";

export function useChat(store: ChatStore): ChatState {
  return useSyncExternalStore(store.subscribe, store.getState);
}

export function conversationTitle(
  conversation: { type: string; name: string | null; memberIds: string[] },
  users: ChatState["users"],
  myId: string,
): string {
  if (conversation.type === "group") return conversation.name ?? "Group";
  const other = conversation.memberIds.find((id) => id !== myId);
  return (other && users[other]?.displayName) || "Direct chat";
}

export function formatTime(iso: string): string {
  return new Date(iso).toLocaleTimeString([], { hour: "2-digit", minute: "2-digit" });
}
