// The server's objects, answers and frames come from its own schemas (src/lib/generated, made by
// `npm run types`, never edited by hand); this module names them for the app and adds the client's
// own shapes.
import type { components } from "./generated/api";
import type { ServerFrame as SentFrame } from "./generated/frames";

type Schemas = components["schemas"];
/** `T` with the keys `K` optional. */
type Optional<T, K extends keyof T> = Omit<T, K> & Partial<Pick<T, K>>;

/**
 * A profile. Those the server sends have every field; one saved with a session by an earlier version
 * of this app may lack the later ones (notificationPreviews is only ever in the caller's own).
 */
export type User = Optional<Schemas["User"], "avatarUrl" | "online" | "lastSeenAt" | "notificationPreviews">;
/** A file a message carries. The server's copies give its size; a pending message's previews may not. */
export type Attachment = Optional<Schemas["Attachment"], "width" | "height">;
export type Message = Schemas["Message"];
/** The message a reply quotes: its id, seq, sender and a short excerpt, kept right by the server. */
export type ReplyTo = Schemas["ReplyQuote"];
export type TokenPair = Schemas["TokenPair"];
export type PushConfig = Schemas["PushConfig"];
/** How far a member has got in a conversation; a member without one is at 0/0. */
export type Receipt = Schemas["Receipt"];
export type Conversation = Schemas["Conversation"];
/** What changed in a conversation since a version: GET /api/conversations/{id}/changes. */
export type ChangesPage = Schemas["ChangesPage"];
/**
 * Every current member's receipt in a conversation: GET /api/conversations/{id}/receipts. A group's
 * copies carry only the caller's own receipt, so "read by whom" is asked for when a group is opened.
 */
export type ConversationReceipts = Schemas["ConversationReceipts"];
export type UserPage = Schemas["UserPage"];
export type ConversationPage = Schemas["ConversationPage"];
export type MessagePage = Schemas["MessagePage"];
export type UploadTicket = Schemas["UploadTicket"];
/** Messages found by words: GET /api/search. */
export type SearchPage = Schemas["SearchPage"];
/** The people the caller blocked: GET /api/users/me/blocks. */
export type BlockedUsers = Schemas["BlockedUsers"];
/** This browser's push subscription as the server keeps it: POST /api/push/subscriptions. */
export type PushSubscriptionRecord = Schemas["PushSubscriptionView"];
/**
 * A frame as the client takes it: as the server sends it, except that the client reads a message
 * frame's `version` only when it is there (a resend's ack has none), so any may lack it.
 */
export type ServerFrame = VersionOptional<SentFrame>;
type VersionOptional<F> = F extends { version: number } ? Optional<F, "version"> : F;

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
  /** The message it quotes, as the reply will carry it. */
  replyTo?: ReplyTo | null;
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

export const MAX_MESSAGE_LENGTH = 4000;

/** The reactions offered: a small fixed set, so no emoji picker is needed. */
export const REACTIONS = ["👍", "❤️", "😂", "😮", "😢", "🙏"] as const;
