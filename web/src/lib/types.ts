export interface User {
  id: string;
  username: string;
  displayName: string;
  createdAt: string;
  avatarUrl?: string | null;
  /** True while any of the user's sockets is open (absent on copies from before presence existed). */
  online?: boolean;
  lastSeenAt?: string | null;
  /** Whether push notifications show what a message says; only on the caller's own profile (GET /api/users/me). */
  notificationPreviews?: boolean;
}

export interface Attachment {
  mediaId: string;
  name: string;
  contentType: string;
  size: number;
  /** A signed link, valid for an hour or two; reloading history gives fresh ones. */
  url: string | null;
  width?: number | null;
  height?: number | null;
}

export interface Message {
  id: string;
  conversationId: string;
  senderId: string;
  text: string;
  clientMsgId: string;
  seq: number;
  createdAt: string;
  attachments?: Attachment[];
  editedAt: string | null;
  /** Set on a tombstone: text, attachments and reactions are gone, the seq stays. */
  deletedAt: string | null;
  /** User ids per emoji, in the order they reacted. */
  reactions: Record<string, string[]>;
  /** +1 for every edit, deletion or reaction change: of two copies, keep the higher. */
  revision: number;
}

/** How far a member has got in a conversation; a member without one is at 0/0. */
export interface Receipt {
  deliveredSeq: number;
  readSeq: number;
}

export interface Conversation {
  id: string;
  type: "direct" | "group";
  name: string | null;
  memberIds: string[];
  createdBy: string;
  createdAt: string;
  lastSeq: number;
  lastMessage: Message | null;
  /** Group admins, the creator first; [] for direct conversations. */
  adminIds: string[];
  /** Direct chats: both members'. Groups: only the caller's own ({} when pushed); ConversationReceipts has all. */
  receipts: Record<string, Receipt>;
  /** The caller's unread messages; null in pushed frames (the client keeps its own count then). */
  unreadCount: number | null;
  /**
   * The caller archived it and no message came since: out of the main list. Only the caller's own state;
   * null in frames pushed to every member alike (the client keeps what it holds then).
   */
  archived: boolean | null;
  /** The caller muted its notifications; like `archived`, only the caller's own (null in frames pushed to all). */
  muted: boolean | null;
  /** When the mute ends (ISO); null while muted means until unmuted. A time passed means unmuted. */
  mutedUntil: string | null;
  /** Bumped by every change in the conversation except receipts: the catch-up cursor. */
  version: number;
}

/** What changed in a conversation since a version: GET /api/conversations/{id}/changes. */
export interface ChangesPage {
  conversation: Conversation;
  /** Every message created or changed since, in its current state, by seq. */
  messages: Message[];
  cursor: number;
  /** Too much changed to list: drop the loaded history and load the newest page again. */
  resync: boolean;
}

/**
 * Every current member's receipt in a conversation: GET /api/conversations/{id}/receipts. A group's
 * copies carry only the caller's own receipt, so "read by whom" is asked for when a group is opened.
 */
export interface ConversationReceipts {
  receipts: Record<string, Receipt>;
}

export interface Session {
  user: User;
  accessToken: string;
  refreshToken: string;
  /** Epoch milliseconds when the access token expires. */
  expiresAt: number;
  /**
   * Epoch milliseconds of the log-in or sign-up this session comes from, kept through refreshes: a new
   * value is a new login. Made here (the access token is opaque to clients); absent on sessions saved
   * before it was kept.
   */
  loggedInAt?: number;
}

export interface Page<T> {
  items: T[];
  nextCursor: string | null;
}

export interface MessagePage {
  items: Message[];
  nextBefore: number | null;
}

/** A message this client sent that the server has not acknowledged yet. */
export interface PendingMessage {
  clientMsgId: string;
  conversationId: string;
  text: string;
  createdAt: string;
  /** "waiting": refused as too fast (rate_limited); it goes again by itself when the wait is over. */
  status: "sending" | "waiting" | "failed";
  /** Uploaded files this message carries; `url` is a local preview until the server's copy arrives. */
  attachments: Attachment[];
}

/** A file being uploaded from the composer, before the message that carries it is sent. */
export interface Upload {
  id: string;
  name: string;
  contentType: string;
  size: number;
  /** 0 to 1. */
  progress: number;
  status: "uploading" | "done" | "failed";
  mediaId?: string;
  error?: string;
  /** An object URL for image previews. */
  previewUrl?: string;
}

export interface UploadTicket {
  mediaId: string;
  upload: { url: string; fields: Record<string, string> };
  expiresIn: number;
}

export type ServerFrame =
  // `version`: the conversation's version the change was given (a resend's ack has none).
  | { type: "messageAck"; clientMsgId: string; message: Message; version?: number }
  | { type: "messageReceived"; message: Message; version?: number }
  | { type: "typing"; conversationId: string; userId: string; isTyping: boolean }
  | ({ type: "receipt"; conversationId: string; userId: string } & Receipt)
  | { type: "presence"; userId: string; online: boolean; lastSeenAt: string | null }
  | { type: "messageUpdated"; message: Message; version?: number }
  | { type: "conversationUpdated"; conversation: Conversation }
  // This user archived or unarchived it (on any device): no change of the conversation, so no cursor moves.
  | { type: "archivedChanged"; conversation: Conversation }
  // This user muted or unmuted it (on any device): like archivedChanged, no change of the conversation.
  | { type: "mutedChanged"; conversation: Conversation }
  | {
      type: "error";
      code: string;
      message: string;
      /** The client frame's action this answers, when it had one the server knows. */
      action?: string;
      clientMsgId?: string;
      retryAfter?: number;
    }
  | { type: "pong" };

/** This browser's push subscription as the server keeps it: POST /api/push/subscriptions. */
export interface PushSubscriptionRecord {
  id: string;
  endpoint: string;
  expirationTime: number | null;
  createdAt: string;
}

export const MAX_MESSAGE_LENGTH = 4000;

/** The reactions offered: a small fixed set, so no emoji picker is needed. */
export const REACTIONS = ["👍", "❤️", "😂", "😮", "😢", "🙏"] as const;
