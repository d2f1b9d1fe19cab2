export interface User {
  id: string;
  username: string;
  displayName: string;
  createdAt: string;
  avatarUrl?: string | null;
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
}

export interface Session {
  user: User;
  accessToken: string;
  refreshToken: string;
  /** Epoch milliseconds when the access token expires. */
  expiresAt: number;
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
  status: "sending" | "failed";
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
  | { type: "messageAck"; clientMsgId: string; message: Message }
  | { type: "messageReceived"; message: Message }
  | { type: "typing"; conversationId: string; userId: string; isTyping: boolean }
  | { type: "error"; code: string; message: string; clientMsgId?: string }
  | { type: "pong" };

export const MAX_MESSAGE_LENGTH = 4000;
