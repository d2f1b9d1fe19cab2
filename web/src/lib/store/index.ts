// The store in parts: chatStore.ts is the facade the components use; each part owns one concern.
export { isBlocked } from "./blocks";
export { ChatStore, type Config, resolveWsUrl } from "./chatStore";
export {
  isArchived,
  isMember,
  isMuted,
  otherMember,
  sortConversations,
  unreadTotal,
} from "./conversations";
export { browserEnvironment, type ChatEnvironment, type PageEvent } from "./environment";
export { GAP_WAIT_MS } from "./history";
export { ACK_TIMEOUT_MS } from "./outbox";
export { DELIVERY_DELAY_MS } from "./receipts";
export { SEARCH_PAGE_SIZE, type SearchState } from "./search";
export type { ChatState, Jump } from "./state";
export { TYPING_REPEAT_MS, TYPING_SHOWN_MS } from "./typing";
