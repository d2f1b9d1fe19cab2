import type {
  BlockedUsers,
  ChangesPage,
  Conversation,
  ConversationPage,
  ConversationReceipts,
  Message,
  MessagePage,
  PushConfig,
  PushSubscriptionRecord,
  Receipt,
  SearchPage,
  Session,
  TokenPair,
  UploadTicket,
  User,
  UserPage,
} from "./types";

export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    /** Seconds to wait before trying again (a 429's Retry-After). */
    readonly retryAfter?: number,
  ) {
    super(message);
  }
}

/** Refresh this long before the access token expires, so requests never race its expiry. */
export const REFRESH_MARGIN_MS = 60_000;

export interface SessionKeeper {
  get(): Session | null;
  set(session: Session | null): void;
  /** The session as saved for every tab (another tab may have refreshed it since). */
  saved(): Session | null;
}

/** Runs `task` holding the lock `name`, shared by every tab of this site, so tabs take turns. */
export type Exclusive = <T>(name: string, task: () => Promise<T>) => Promise<T>;

/** The browser's Web Locks; alone where there are none. */
export function webLocks<T>(name: string, task: () => Promise<T>): Promise<T> {
  const locks = (globalThis as { navigator?: { locks?: LockManager } }).navigator?.locks;
  return locks ? (locks.request(name, task) as Promise<T>) : task();
}

export type Fetch = (input: string, init?: RequestInit) => Promise<Response>;

/**
 * Talks to the HTTP API. Keeps the session fresh: the access token is renewed
 * before it expires and once more on a 401, with the rotating refresh token;
 * concurrent callers share one refresh. When refreshing fails the session ends.
 */
export class ApiClient {
  private refreshing: Promise<boolean> | null = null;

  constructor(
    private readonly baseUrl: string,
    private readonly sessions: SessionKeeper,
    private readonly onSignedOut: () => void,
    private readonly fetchImpl: Fetch = (input, init) => fetch(input, init),
    private readonly now: () => number = Date.now,
    private readonly exclusive: Exclusive = webLocks,
  ) {}

  signup(username: string, password: string, displayName?: string): Promise<Session> {
    const body = displayName ? { username, password, displayName } : { username, password };
    return this.startSession("/api/auth/signup", body);
  }

  login(username: string, password: string): Promise<Session> {
    return this.startSession("/api/auth/login", { username, password });
  }

  /** Ends every login of this user, on every device, this one included. */
  async logoutEverywhere(): Promise<void> {
    await this.send("POST", "/api/auth/logout-all", undefined, true);
    this.sessions.set(null);
  }

  async logout(): Promise<void> {
    const session = this.sessions.get();
    this.sessions.set(null);
    if (session) {
      await this.send("POST", "/api/auth/logout", { refreshToken: session.refreshToken }, false).catch(
        () => {},
      );
    }
  }

  searchUsers(q: string): Promise<UserPage> {
    return this.request("GET", `/api/users/?q=${encodeURIComponent(q)}&limit=20`);
  }

  /** The caller's own profile: also how to learn whether this login still stands (401 if not). */
  me(): Promise<User> {
    return this.request("GET", "/api/users/me");
  }

  user(id: string): Promise<User> {
    return this.request("GET", `/api/users/${encodeURIComponent(id)}`);
  }

  /** The main list (what the caller has not archived), or with `archived` only the archived ones. */
  conversations(cursor?: string, archived = false): Promise<ConversationPage> {
    return this.request(
      "GET",
      `/api/conversations?limit=50${archived ? "&archived=true" : ""}${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ""}`,
    );
  }

  /** Archives the conversation for the caller (until a new message), or unarchives it. */
  setArchived(id: string, archived: boolean): Promise<Conversation> {
    return this.request(archived ? "PUT" : "DELETE", `/api/conversations/${encodeURIComponent(id)}/archived`);
  }

  /**
   * Mutes the conversation's push notifications for the caller until `until` (ISO, in the future),
   * or until unmuted when null.
   */
  mute(id: string, until: string | null): Promise<Conversation> {
    return this.request("PUT", `/api/conversations/${encodeURIComponent(id)}/mute`, { until });
  }

  unmute(id: string): Promise<Conversation> {
    return this.request("DELETE", `/api/conversations/${encodeURIComponent(id)}/mute`);
  }

  /** The server's VAPID public key (base64url), or null when this deployment sends no push notifications. */
  async pushConfig(): Promise<PushConfig> {
    return (await this.send("GET", "/api/push/config", undefined, false)) as PushConfig;
  }

  /** Registers this browser's subscription for the caller (again is fine: it moves to the caller). */
  addPushSubscription(subscription: PushSubscriptionJSON): Promise<PushSubscriptionRecord> {
    return this.request("POST", "/api/push/subscriptions", subscription);
  }

  /** Stops pushes to this endpoint; the server answers 204 whether it knew it or not. */
  async removePushSubscription(endpoint: string): Promise<void> {
    await this.request("DELETE", "/api/push/subscriptions", { endpoint });
  }

  /** One conversation, with the caller's unreadCount. */
  conversation(id: string): Promise<Conversation> {
    return this.request("GET", `/api/conversations/${encodeURIComponent(id)}`);
  }

  /** What changed in a conversation after version `since` (the catch-up feed). */
  changes(id: string, since: number): Promise<ChangesPage> {
    return this.request("GET", `/api/conversations/${encodeURIComponent(id)}/changes?since=${since}`);
  }

  /** Every current member's delivered and read marks (members without a receipt at 0/0). */
  receipts(id: string): Promise<ConversationReceipts> {
    return this.request("GET", `/api/conversations/${encodeURIComponent(id)}/receipts`);
  }

  /** The HTTP twin of markDelivered/markRead, for when the socket is down. */
  markReceipts(id: string, seqs: Partial<Receipt>): Promise<Receipt> {
    return this.request("POST", `/api/conversations/${encodeURIComponent(id)}/receipts`, seqs);
  }

  openDirect(userId: string): Promise<Conversation> {
    return this.request("POST", "/api/conversations/direct", { userId });
  }

  createGroup(name: string, memberIds: string[]): Promise<Conversation> {
    return this.request("POST", "/api/groups/create", { name, memberIds });
  }

  /** `replyTo`: the id of the message (of the same conversation) it quotes. */
  sendMessage(
    conversationId: string,
    text: string,
    clientMsgId: string,
    mediaIds: string[] = [],
    replyTo?: string,
  ): Promise<Message> {
    const attachments = mediaIds.map((mediaId) => ({ mediaId }));
    const body = { conversationId, text, clientMsgId, attachments, ...(replyTo ? { replyTo } : {}) };
    return this.request("POST", "/api/messages/", body);
  }

  /**
   * The caller's messages holding every word of `q` (case and accents aside), newest first: in one
   * conversation, or in all they may read. `before`: the `nextBefore` of the page before.
   */
  search(
    q: string,
    query: { conversationId?: string | null; before?: string; limit?: number } = {},
  ): Promise<SearchPage> {
    const params = new URLSearchParams({ q, limit: String(query.limit ?? 20) });
    if (query.conversationId) params.set("conversationId", query.conversationId);
    if (query.before) params.set("before", query.before);
    return this.request("GET", `/api/search?${params}`);
  }

  /** The people the caller blocked, the latest first. */
  blocks(): Promise<BlockedUsers> {
    return this.request("GET", "/api/users/me/blocks");
  }

  /** Blocks (or unblocks) a user; doing what is already so is no change. */
  async setBlocked(userId: string, blocked: boolean): Promise<void> {
    await this.request(blocked ? "PUT" : "DELETE", `/api/users/${encodeURIComponent(userId)}/block`);
  }

  editMessage(messageId: string, text: string): Promise<Message> {
    return this.request("PATCH", `/api/messages/${encodeURIComponent(messageId)}`, { text });
  }

  /** Returns the tombstone. */
  deleteMessage(messageId: string): Promise<Message> {
    return this.request("DELETE", `/api/messages/${encodeURIComponent(messageId)}`);
  }

  react(messageId: string, emoji: string, on: boolean): Promise<Message> {
    return this.request("POST", `/api/messages/${encodeURIComponent(messageId)}/reactions`, { emoji, on });
  }

  addMembers(groupId: string, userIds: string[]): Promise<Conversation> {
    return this.request("POST", `/api/groups/${encodeURIComponent(groupId)}/members`, { userIds });
  }

  /** An admin removing someone, or anyone removing themselves (leaving). */
  removeMember(groupId: string, userId: string): Promise<Conversation> {
    return this.request(
      "DELETE",
      `/api/groups/${encodeURIComponent(groupId)}/members/${encodeURIComponent(userId)}`,
    );
  }

  renameGroup(groupId: string, name: string): Promise<Conversation> {
    return this.request("PATCH", `/api/groups/${encodeURIComponent(groupId)}`, { name });
  }

  uploadTicket(
    conversationId: string,
    file: { name: string; type: string; size: number },
  ): Promise<UploadTicket> {
    return this.request("POST", "/api/media/upload-url", {
      conversationId,
      fileName: file.name,
      contentType: file.type,
      size: file.size,
    });
  }

  avatarTicket(file: { type: string; size: number }): Promise<UploadTicket> {
    return this.request("POST", "/api/users/me/avatar", { contentType: file.type, size: file.size });
  }

  updateProfile(changes: {
    displayName?: string;
    avatarMediaId?: string | null;
    notificationPreviews?: boolean;
  }): Promise<User> {
    return this.request("PUT", "/api/users/me", changes);
  }

  history(
    conversationId: string,
    query: { before?: number; after?: number; limit?: number },
  ): Promise<MessagePage> {
    const params = new URLSearchParams({ limit: String(query.limit ?? 50) });
    if (query.before !== undefined) params.set("before", String(query.before));
    if (query.after !== undefined) params.set("after", String(query.after));
    return this.request("GET", `/api/messages/${encodeURIComponent(conversationId)}?${params}`);
  }

  /** A valid access token, refreshed first if it is about to expire; null when signed out. */
  async accessToken(): Promise<string | null> {
    const session = this.sessions.get();
    if (!session) return null;
    if (session.expiresAt - this.now() <= REFRESH_MARGIN_MS && !(await this.refresh())) {
      const kept = this.sessions.get();
      if (!kept) return null; // the refresh was refused: the login is over
      // Only unavailable (offline, busy, down): the token is good until it expires.
      if (kept.expiresAt > this.now()) return kept.accessToken;
      throw new ApiError(503, "service_unavailable", "Cannot renew your login right now; try again shortly.");
    }
    return this.sessions.get()?.accessToken ?? null;
  }

  async request<T>(method: string, path: string, body?: unknown): Promise<T> {
    return (await this.send(method, path, body, true)) as T;
  }

  private async startSession(path: string, body: unknown): Promise<Session> {
    const result = (await this.send("POST", path, body, false)) as TokenPair & { user: User };
    const session = this.toSession(result.user, result, this.now());
    this.sessions.set(session);
    return session;
  }

  private toSession(user: User, pair: TokenPair, loggedInAt: number | undefined): Session {
    return {
      user,
      accessToken: pair.accessToken,
      refreshToken: pair.refreshToken,
      expiresAt: this.now() + pair.expiresIn * 1000,
      ...(loggedInAt === undefined ? {} : { loggedInAt }),
    };
  }

  private async send(method: string, path: string, body: unknown, authenticated: boolean): Promise<unknown> {
    const attempt = async (): Promise<Response> => {
      const headers: Record<string, string> = {};
      if (body !== undefined) headers["content-type"] = "application/json";
      if (authenticated) {
        const token = await this.accessToken();
        if (!token) throw new ApiError(401, "not_authenticated", "Please log in again.");
        headers.authorization = `Bearer ${token}`;
      }
      return this.fetchImpl(this.baseUrl + path, {
        method,
        headers,
        body: body === undefined ? undefined : JSON.stringify(body),
      });
    };
    let response = await attempt();
    if (response.status === 401 && authenticated) {
      // The token may have been revoked or expired early: refresh once, then try once more.
      if (!(await this.refresh()))
        throw new ApiError(401, "not_authenticated", "Your session ended; log in again.");
      response = await attempt();
    }
    if (response.status === 204) return undefined;
    const payload = await response.json().catch(() => null);
    if (!response.ok) {
      const error = payload?.error;
      const retryAfter = Number(response.headers.get("retry-after") ?? error?.retryAfter);
      throw new ApiError(
        response.status,
        error?.code ?? "http_error",
        error?.message ?? `The server answered ${response.status}.`,
        Number.isFinite(retryAfter) && retryAfter > 0 ? retryAfter : undefined,
      );
    }
    return payload;
  }

  /** Trades the refresh token for a new pair; false (and signed out) if the server refuses it. */
  refresh(): Promise<boolean> {
    this.refreshing ??= this.doRefresh().finally(() => {
      this.refreshing = null;
    });
    return this.refreshing;
  }

  private doRefresh(): Promise<boolean> {
    // A refresh token works once: tabs refreshing at once would reuse it, and a reuse ends the
    // login everywhere. So one tab at a time refreshes, and a tab that finds a newer session
    // saved by another takes that instead of refreshing again.
    return this.exclusive("chat.refresh", async () => {
      const held = this.sessions.get();
      const saved = this.sessions.saved();
      if (held && saved && saved.refreshToken !== held.refreshToken && saved.user.id === held.user.id) {
        this.sessions.set(saved);
        return true;
      }
      return this.refreshNow(held);
    });
  }

  private async refreshNow(session: Session | null): Promise<boolean> {
    if (!session) return false;
    let response: Response;
    try {
      response = await this.fetchImpl(`${this.baseUrl}/api/auth/refresh`, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify({ refreshToken: session.refreshToken }),
      });
    } catch {
      return false; // offline: keep the session and try again later
    }
    if (response.status === 401) {
      // Refused: the login has ended (logged out, everywhere, or its token was reused).
      this.sessions.set(null);
      this.onSignedOut();
      return false;
    }
    if (!response.ok) return false; // busy (429) or down (5xx): keep the session, try again later
    this.sessions.set(this.toSession(session.user, (await response.json()) as TokenPair, session.loggedInAt));
    return true;
  }
}
