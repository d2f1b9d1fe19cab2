import { ApiError } from "../api";
import type { PushStatus } from "../push";
import type { ConnectionStatus } from "../socket";
import type { Conversation, Message, PendingMessage, ReplyTo, Session, Upload, User } from "../types";
import type { KeyValueStorage } from "./environment";
import type { SearchState } from "./search";

/** A message to bring into view (a quote or a search result was clicked): the list shows it once it is loaded. */
export interface Jump {
  conversationId: string;
  messageId: string;
  seq: number;
  /** Tells one jump from the next, to the same message too. */
  id: number;
}

export interface ChatState {
  session: Session | null;
  status: ConnectionStatus;
  conversations: Conversation[];
  messages: Record<string, Message[]>;
  pending: Record<string, PendingMessage[]>;
  /** True while older history may exist for a conversation. */
  hasOlder: Record<string, boolean>;
  users: Record<string, User>;
  drafts: Record<string, string>;
  /** Files attached in each conversation's composer, uploading or ready to send. */
  uploads: Record<string, Upload[]>;
  /** Who is typing where: conversation id → user id → when to stop showing it (epoch ms). */
  typing: Record<string, Record<string, number>>;
  notice: string | null;
  /** Until when the server asked this user to slow down (epoch ms): sends wait until then. */
  slowDownUntil: number | null;
  /** Web Push notifications in this browser, for this user. */
  webPush: PushStatus;
  /** The message each conversation's composer replies to, by conversation id. */
  replyingTo: Record<string, ReplyTo>;
  jump: Jump | null;
  /** The message search and its results; null when none is shown. */
  search: SearchState | null;
  /** The people this user blocked, the latest first (their profiles are in `users`); null until known. */
  blocked: string[] | null;
}

/** What belongs to one account: emptied when another signs in, or this one signs out. */
export const NO_ACCOUNT = {
  conversations: [],
  messages: {},
  pending: {},
  hasOlder: {},
  uploads: {},
  replyingTo: {},
  jump: null,
  search: null,
  blocked: null,
} satisfies Partial<ChatState>;

/**
 * The one state every part reads and changes. A change replaces only what it changes, so a
 * component selecting an untouched part (another conversation's messages, the users) skips its render.
 */
export class ChatStateCell {
  private current: ChatState;
  private readonly listeners = new Set<() => void>();
  /** Goes up each time the account changes (sign-in, sign-out): see `sameAccount`. */
  private account = 0;

  constructor(initial: ChatState) {
    this.current = initial;
  }

  get state(): ChatState {
    return this.current;
  }

  /** This user's id; "" when signed out. */
  get me(): string {
    return this.current.session?.user.id ?? "";
  }

  /** The account changed: answers to what the previous one asked for must not land in this one's state. */
  nextAccount(): void {
    this.account += 1;
  }

  /**
   * Whether the account is still the one of the moment this was called. A part calls it before an await
   * and drops what comes back when it says no.
   */
  sameAccount(): () => boolean {
    const account = this.account;
    return () => this.account === account;
  }

  subscribe = (listener: () => void): (() => void) => {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  };

  /** Applies `patch`; a patch that changes nothing keeps the state and tells no one. */
  update(patch: Partial<ChatState>): void {
    const keys = Object.keys(patch) as Array<keyof ChatState>;
    if (keys.every((key) => Object.is(patch[key], this.current[key]))) return;
    this.current = { ...this.current, ...patch };
    for (const listener of this.listeners) listener();
  }

  /** Tells the user why something failed; a 401 has already said the session ended. */
  report(error: unknown): void {
    if (error instanceof ApiError && error.status === 401) return;
    this.update({ notice: error instanceof Error ? error.message : "Something went wrong." });
  }
}

/** `record` with `key` set to `value`: the same record when it already holds that value. */
export function withEntry<T>(record: Record<string, T>, key: string, value: T): Record<string, T> {
  return key in record && Object.is(record[key], value) ? record : { ...record, [key]: value };
}

/** `record` without `key`: the same record when it has none. */
export function withoutEntry<T>(record: Record<string, T>, key: string): Record<string, T> {
  if (!(key in record)) return record;
  const { [key]: _gone, ...rest } = record;
  return rest;
}

export function loadSaved<T>(storage: KeyValueStorage, key: string, fallback: T): T {
  try {
    const raw = storage.getItem(key);
    return raw ? (JSON.parse(raw) as T) : fallback;
  } catch {
    return fallback;
  }
}
