export interface User {
  id: string;
  username: string;
  displayName: string;
  createdAt: string;
}

export interface Message {
  id: string;
  conversationId: string;
  senderId: string;
  text: string;
  clientMsgId: string;
  seq: number;
  createdAt: string;
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
}

export type ServerFrame =
  | { type: "messageAck"; clientMsgId: string; message: Message }
  | { type: "messageReceived"; message: Message }
  | { type: "error"; code: string; message: string; clientMsgId?: string }
  | { type: "pong" };

export const MAX_MESSAGE_LENGTH = 4000;
