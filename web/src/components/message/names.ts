import type { ChatState } from "../../lib/store";

/** People named for a message's reactions or readers; the signed-in user is "You". */
export function names(ids: readonly string[], users: ChatState["users"], myId: string): string {
  return ids.map((id) => (id === myId ? "You" : (users[id]?.displayName ?? "Someone"))).join(", ");
}
