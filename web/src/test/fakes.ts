// Fakes for the store's tests: the HTTP API, the socket, the browser's push and the rest of the
// environment. Each implements what the real one does as far as the store uses it.
import type { Exclusive } from "../lib/api";
import type { PostForm } from "../lib/media";
import type { BrowserSubscription, PushBrowser } from "../lib/push";
import { words } from "../lib/searchWords";
import type { ChatSocketOptions, SocketPort } from "../lib/socket";
import { ChatStore } from "../lib/store/chatStore";
import type { ChatEnvironment, PageEvent, Timer } from "../lib/store/environment";
import type { ChangesPage, Conversation, Message, Receipt, User } from "../lib/types";

export const CREATED = "2026-11-24T12:00:00.000Z";

export function message(seq: number, conversationId = "c1", senderId = "u2"): Message {
  return {
    id: `m${seq}`,
    conversationId,
    senderId,
    text: `t${seq}`,
    clientMsgId: `k${seq}`,
    seq,
    createdAt: CREATED,
    attachments: [],
    editedAt: null,
    deletedAt: null,
    reactions: {},
    revision: 0,
    replyTo: null,
    mentions: [],
  };
}

export function conversation(id: string, patch: Partial<Conversation> = {}): Conversation {
  return {
    id,
    type: "direct",
    name: null,
    memberIds: ["u1", "u2"],
    createdBy: "u2",
    createdAt: "2026-11-24T11:00:00.000Z",
    lastSeq: 0,
    lastMessage: null,
    adminIds: [],
    receipts: {},
    unreadCount: 0,
    mentionCount: 0,
    archived: false,
    muted: false,
    mutedUntil: null,
    version: 1,
    ...patch,
  };
}

export function user(id: string, online = false): User {
  return { id, username: id, displayName: id.toUpperCase(), createdAt: CREATED, online, lastSeenAt: null };
}

export function json(body: unknown, status = 200): Response {
  return new Response(JSON.stringify(body), { status, headers: { "content-type": "application/json" } });
}

/** The HTTP API as far as the store uses it: what it holds is set by each test. */
export class FakeServer {
  conversations: Conversation[] = [];
  /** Every message per conversation, by seq. */
  messages: Record<string, Message[]> = {};
  changes: Record<string, ChangesPage | number> = {};
  /** Every member's receipts per conversation, as GET /api/conversations/{id}/receipts gives them. */
  receipts: Record<string, Record<string, Receipt>> = {};
  users: Record<string, User> = { u1: user("u1"), u2: user("u2") };
  /** Whom the caller blocked, the latest first (GET /api/users/me/blocks; PUT and DELETE …/block). */
  blocked: string[] = [];
  /** The caller's own profile setting (GET and PUT /api/users/me). */
  notificationPreviews = true;
  /** Push endpoints registered, and what /api/auth/refresh answers. */
  pushEndpoints = new Set<string>();
  refreshStatus = 200;
  requests: string[] = [];
  /** Each request's JSON body and Authorization header, in order. */
  sent: Array<{ request: string; body: unknown; auth: string | undefined }> = [];
  /** Requests whose answers wait: each until its gate opens. */
  private readonly gates: Array<{ prefix: string; opened: Promise<void> }> = [];

  /** Holds back the answers to requests starting with `prefix` (e.g. "GET /api/messages/c1") until `open()`. */
  holdAnswers(prefix: string): () => void {
    let open = () => {};
    const opened = new Promise<void>((resolve) => {
      open = resolve;
    });
    this.gates.push({ prefix, opened });
    return open;
  }

  fetch = async (input: string, init?: RequestInit): Promise<Response> => {
    const url = new URL(input);
    const method = init?.method ?? "GET";
    this.requests.push(`${method} ${url.pathname}${url.search}`);
    const body = init?.body ? JSON.parse(String(init.body)) : undefined;
    const auth = (init?.headers as Record<string, string> | undefined)?.authorization;
    this.sent.push({ request: `${method} ${url.pathname}`, body, auth });
    const gate = this.gates.find((g) => `${method} ${url.pathname}${url.search}`.startsWith(g.prefix));
    if (gate) await gate.opened;
    const path = url.pathname.split("/").slice(2); // after /api
    if (path[0] === "auth") {
      if (path[1] === "login")
        return json({ user: user(body.username), accessToken: "t3", refreshToken: "r3", expiresIn: 900 });
      if (path[1] !== "refresh") return new Response(null, { status: 204 });
      if (this.refreshStatus !== 200) return json({ error: { code: "unauthorized", message: "No." } }, 401);
      return json({ accessToken: "t2", refreshToken: "r2", expiresIn: 900 });
    }
    if (path[0] === "push" && path[1] === "config") return json({ vapidPublicKey: VAPID_KEY });
    if (path[0] === "push" && method === "POST") {
      this.pushEndpoints.add(body.endpoint);
      return json({ id: "s1", endpoint: body.endpoint, expirationTime: null, createdAt: CREATED }, 201);
    }
    if (path[0] === "push") {
      this.pushEndpoints.delete(body.endpoint);
      return new Response(null, { status: 204 });
    }
    if (path[0] === "users" && path[1] === "me" && path[2] === "blocks") {
      return json({ items: this.blocked.map((id) => this.users[id]) });
    }
    if (path[0] === "users" && path[2] === "block") {
      const id = path[1] ?? "";
      if (!this.users[id])
        return json({ error: { code: "not_found", message: "No user has that id." } }, 404);
      this.blocked = [...(method === "PUT" ? [id] : []), ...this.blocked.filter((b) => b !== id)];
      return new Response(null, { status: 204 });
    }
    if (path[0] === "search") return json(this.search(url.searchParams));
    if (path[0] === "users" && path[1] === "me") {
      if (method === "PUT") this.notificationPreviews = body.notificationPreviews;
      return json({ ...this.users.u1, notificationPreviews: this.notificationPreviews });
    }
    if (path[0] === "conversations" && path[2] === "mute") {
      const found = this.conversations.find((c) => c.id === path[1]);
      if (!found) return json({ error: { code: "not_found", message: "No conversation has that id." } }, 404);
      found.muted = method === "PUT";
      found.mutedUntil = method === "PUT" ? body.until : null;
      return json(found);
    }
    if (path[0] === "conversations" && path.length === 1) {
      const archived = url.searchParams.get("archived") === "true";
      return json({ items: this.conversations.filter((c) => !!c.archived === archived), nextCursor: null });
    }
    if (path[0] === "conversations" && path[2] === "archived") {
      const found = this.conversations.find((c) => c.id === path[1]);
      if (!found) return json({ error: { code: "not_found", message: "No conversation has that id." } }, 404);
      found.archived = method === "PUT";
      return json(found);
    }
    if (path[0] === "conversations" && path[2] === "changes") {
      const answer = this.changes[path[1] ?? ""];
      return typeof answer === "number"
        ? json({ error: { code: "forbidden", message: "Not a member." } }, answer)
        : json(answer);
    }
    if (path[0] === "conversations" && path[2] === "receipts") {
      return method === "GET"
        ? json({ receipts: this.receipts[path[1] ?? ""] ?? {} })
        : json(JSON.parse(String(init?.body)));
    }
    if (path[0] === "conversations") return json(this.conversations.find((c) => c.id === path[1]));
    if (path[0] === "users") return json(this.users[path[1] ?? ""]);
    if (path[0] === "media") {
      const upload = { url: "https://s3.example/bucket", fields: { key: `m/${body.fileName}` } };
      return json({ mediaId: `media-${body.fileName}`, upload, expiresIn: 600 });
    }
    if (path[0] === "messages" && method !== "GET") return json({ ...message(2), revision: 5 });
    // History: with after=, the oldest `limit` above it; otherwise the newest `limit` (below before=),
    // and where older ones are left, the seq to page back from.
    const held = this.messages[path[1] ?? ""] ?? [];
    const limit = Number(url.searchParams.get("limit"));
    const after = url.searchParams.get("after");
    if (after !== null)
      return json({ items: held.filter((m) => m.seq > Number(after)).slice(0, limit), nextBefore: null });
    const before = Number(url.searchParams.get("before") ?? Number.POSITIVE_INFINITY);
    const below = held.filter((m) => m.seq < before);
    const items = below.slice(-limit);
    return json({ items, nextBefore: below.length > limit ? (items[0]?.seq ?? null) : null });
  };

  /**
   * GET /api/search: messages not deleted holding every word of q, newest first (here: by seq, then
   * conversation, both descending), after the message `before`.
   */
  private search(params: URLSearchParams): { items: Message[]; nextBefore: string | null } {
    const wanted = words(params.get("q") ?? "");
    const conversationId = params.get("conversationId");
    const limit = Number(params.get("limit") ?? 20);
    const all = Object.values(this.messages)
      .flat()
      .filter((m) => !m.deletedAt && (!conversationId || m.conversationId === conversationId))
      .filter((m) => {
        const have = new Set(words(m.text));
        return wanted.every((w) => have.has(w));
      })
      .sort((a, b) => b.seq - a.seq || b.conversationId.localeCompare(a.conversationId));
    const before = params.get("before");
    const from = before ? all.findIndex((m) => m.id === before) + 1 : 0;
    const items = all.slice(from, from + limit);
    return { items, nextBefore: items.length === limit ? (items[items.length - 1]?.id ?? null) : null };
  }

  asked(prefix: string): string[] {
    return this.requests.filter((r) => r.startsWith(prefix));
  }
}

/** A socket that is open unless told otherwise, and remembers what was sent. */
export class FakeSocket implements SocketPort {
  open = true;
  frames: Array<Record<string, unknown>> = [];
  reconnects = 0;
  start(): void {}
  stop(): void {}
  drop(): void {
    this.reconnects += 1;
  }
  reconnectNow(): void {
    this.reconnects += 1;
  }
  send(frame: object): boolean {
    if (this.open) this.frames.push(frame as Record<string, unknown>);
    return this.open;
  }
  sent(action: string): Array<Record<string, unknown>> {
    return this.frames.filter((f) => f.action === action);
  }
}

export const VAPID_KEY = `BA${"E".repeat(85)}`;

/** This browser's notifications: permission already granted, and a subscription when `subscribed`. */
export class FakePushBrowser implements PushBrowser {
  current: (BrowserSubscription & { unsubscribed: boolean }) | null = null;
  dismissed: string[] = [];
  subscribed(endpoint = "https://push.example/1"): this {
    const subscription = {
      endpoint,
      unsubscribed: false,
      options: { applicationServerKey: null, userVisibleOnly: true },
      toJSON: () => ({ endpoint, expirationTime: null, keys: { p256dh: "p", auth: "a" } }),
      unsubscribe: async () => {
        subscription.unsubscribed = true;
        return true;
      },
    };
    this.current = subscription;
    return this;
  }
  supported = () => true;
  permission = (): NotificationPermission => "granted";
  requestPermission = async (): Promise<NotificationPermission> => "granted";
  subscription = async () => (this.current?.unsubscribed ? null : this.current);
  subscribe = async () => this.subscribed().current as BrowserSubscription;
  dismiss = async (conversationId: string) => {
    this.dismissed.push(conversationId);
  };
  clearBadge = () => {};
}

/** Web Locks within one process: tasks under one name run one after another. */
export function fakeLocks(): Exclusive {
  const tails = new Map<string, Promise<unknown>>();
  return (name, task) => {
    const run = (tails.get(name) ?? Promise.resolve()).then(task);
    tails.set(
      name,
      run.catch(() => {}),
    );
    return run;
  };
}

/**
 * The browser as the store sees it. Storage is a Map (shared by the stores made with it, like tabs);
 * time and timers are the global ones, so vitest's fake timers drive them.
 */
export class FakeEnvironment implements ChatEnvironment {
  /** Whether the tab is shown and the window has focus. */
  attention = true;
  /** Object URLs made, and those revoked since. */
  readonly objectUrls: string[] = [];
  readonly revoked: string[] = [];
  private readonly pageListeners = new Map<PageEvent, Set<() => void>>();
  private readonly storageListeners = new Set<(key: string | null) => void>();

  constructor(
    readonly server: FakeServer,
    readonly socket: FakeSocket,
    public push: PushBrowser = new FakePushBrowser(),
    /** What localStorage holds: shared with the other tabs. */
    readonly saved = new Map<string, string>(),
    private readonly tabs = new Set<FakeEnvironment>(),
  ) {
    tabs.add(this);
  }

  /** Another tab of the same site: the same server and storage, whose writes each tab hears of from the other. */
  newTab(): FakeEnvironment {
    return new FakeEnvironment(this.server, new FakeSocket(), new FakePushBrowser(), this.saved, this.tabs);
  }

  storage = {
    getItem: (key: string) => this.saved.get(key) ?? null,
    setItem: (key: string, value: string) => {
      this.saved.set(key, value);
      this.tellOtherTabs(key);
    },
    removeItem: (key: string) => {
      this.saved.delete(key);
      this.tellOtherTabs(key);
    },
  };

  /** Like the browser's storage event, which only the other tabs get. */
  private tellOtherTabs(key: string): void {
    for (const tab of this.tabs) {
      if (tab === this) continue;
      for (const listener of tab.storageListeners) listener(key);
    }
  }
  now = () => Date.now();
  setTimeout = (run: () => void, ms: number): Timer => setTimeout(run, ms);
  clearTimeout = (timer: Timer | null | undefined) => clearTimeout(timer ?? undefined);
  hasAttention = () => this.attention;
  onPage = (event: PageEvent, listener: () => void) => {
    const listeners = this.pageListeners.get(event) ?? new Set();
    listeners.add(listener);
    this.pageListeners.set(event, listeners);
    return () => listeners.delete(listener);
  };
  onStorage = (listener: (key: string | null) => void) => {
    this.storageListeners.add(listener);
    return () => this.storageListeners.delete(listener);
  };
  location = () => ({ protocol: "http:", host: "x" });
  fetch = (input: string, init?: RequestInit) => this.server.fetch(input, init);
  exclusive = fakeLocks();
  /** S3 takes every form at once. */
  postForm: PostForm = async (_url, _form, onProgress) => {
    onProgress(1);
    return 204;
  };
  createObjectURL = (_blob: Blob) => {
    const url = `blob:http://x/${this.objectUrls.length + 1}`;
    this.objectUrls.push(url);
    return url;
  };
  revokeObjectURL = (url: string) => void this.revoked.push(url);
  openSocket = (_options: ChatSocketOptions): SocketPort => this.socket;

  /** The page fires `event` (the window gets focus, the network comes back…). */
  fire(event: PageEvent): void {
    for (const listener of this.pageListeners.get(event) ?? []) listener();
  }

  /** Another tab writes `key` (or removes it, given null). */
  otherTabSaves(key: string, value: string | null): void {
    if (value === null) this.saved.delete(key);
    else this.saved.set(key, value);
    for (const listener of this.storageListeners) listener(key);
  }

  /** The object URLs made and not revoked. */
  liveObjectUrls(): string[] {
    return this.objectUrls.filter((url) => !this.revoked.includes(url));
  }
}

/** A fresh server and socket, and an environment whose storage holds u1's session. */
export function signedInEnvironment(): FakeEnvironment {
  const env = new FakeEnvironment(new FakeServer(), new FakeSocket());
  const session = { user: user("u1"), accessToken: "t", refreshToken: "r", expiresAt: Date.now() + 600_000 };
  env.saved.set("chat.session", JSON.stringify(session));
  return env;
}

export function newStore(env: FakeEnvironment, push?: PushBrowser): ChatStore {
  if (push) env.push = push;
  return new ChatStore({ apiUrl: "http://x", wsUrl: "ws://x/ws" }, env);
}

export function held(store: ChatStore, id = "c1"): Conversation | undefined {
  return store.getState().conversations.find((c) => c.id === id);
}

/** Lets pending fetches and their follow-ups settle. */
export async function settle(): Promise<void> {
  for (let i = 0; i < 10; i++) await Promise.resolve();
  await new Promise((resolve) => setTimeout(resolve, 0));
}
