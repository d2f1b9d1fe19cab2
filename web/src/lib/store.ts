import { ApiClient, ApiError, type SessionKeeper } from "./api";
import { fileProblem, isImage, MAX_ATTACHMENTS, uploadWithTicket } from "./media";
import { lastSeq, mergeMessages, newClientMsgId, newestFromOthers, withinLoaded } from "./messages";
import { browserPush, type PushBrowser, PushNotifications, type PushStatus } from "./push";
import { ChatSocket, type ChatSocketOptions, type ConnectionStatus, type SocketPort } from "./socket";
import type {
  Attachment,
  ChangesPage,
  Conversation,
  Message,
  PendingMessage,
  Receipt,
  ServerFrame,
  Session,
  Upload,
  User,
} from "./types";

/** How long a send waits for its ack before it is shown as failed (it can then be retried). */
export const ACK_TIMEOUT_MS = 10_000;
/** Say "typing" at most this often while typing (the server forwards no more often). */
export const TYPING_REPEAT_MS = 2_000;
/** Show someone as typing for this long after their last "typing" unless they stop sooner. */
export const TYPING_SHOWN_MS = 6_000;
/** At most one link refresh per conversation in this long (links last an hour or more). */
const LINK_REFRESH_INTERVAL_MS = 30_000;
/** Messages arriving this close together share one markDelivered per conversation. */
export const DELIVERY_DELAY_MS = 300;
/**
 * How long a hole below a pushed message may stay open before the change feed is read: pushes from
 * parallel senders can arrive out of order, so most holes fill by themselves within it.
 */
export const GAP_WAIT_MS = 1_000;
/** Log-out waits at most this long for the server to forget this browser's push subscription. */
const PUSH_FORGET_WAIT_MS = 3_000;
/** The longest setTimeout the browser keeps (about 24.8 days); a longer mute is looked at again then. */
const MAX_TIMER_MS = 2 ** 31 - 1;
/** Error codes from the socket worth telling the reader about (e.g. editing a deleted message). */
const REPORTED_SOCKET_ERRORS = new Set(["conflict", "forbidden", "not_found", "rate_limited"]);

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
}

export interface Config {
  /** The HTTP API's base URL; "" means the page's own origin. */
  apiUrl: string;
  /** The WebSocket URL; a path ("/ws") means the page's own host. */
  wsUrl: string;
  /** The VAPID public key (base64url); absent or "" when the deployment sends no push notifications. */
  vapidPublicKey?: string;
}

export function resolveWsUrl(wsUrl: string, location: { protocol: string; host: string }): string {
  if (!wsUrl.startsWith("/")) return wsUrl;
  return `${location.protocol === "https:" ? "wss" : "ws"}://${location.host}${wsUrl}`;
}

const SESSION_KEY = "chat.session";
const DRAFTS_KEY = "chat.drafts";

function activity(conversation: Conversation): string {
  return conversation.lastMessage?.createdAt ?? conversation.createdAt;
}

export function sortConversations(conversations: Conversation[]): Conversation[] {
  return [...conversations].sort((a, b) => activity(b).localeCompare(activity(a)));
}

/** The other person in a direct conversation; undefined for a group. */
export function otherMember(
  conversation: { type: string; memberIds: string[] },
  myId: string,
): string | undefined {
  return conversation.type === "direct" ? conversation.memberIds.find((id) => id !== myId) : undefined;
}

/** A removed (or departed) member keeps the conversation, read-only. */
export function isMember(conversation: Pick<Conversation, "memberIds">, userId: string): boolean {
  return conversation.memberIds.includes(userId);
}

/** Archived by this user and no message since: listed under "Archived", not in the main list. */
export function isArchived(conversation: Pick<Conversation, "archived">): boolean {
  return conversation.archived === true;
}

/** The caller muted it and the mute has not ended: no notifications, a muted icon, a quiet count. */
export function isMuted(conversation: Pick<Conversation, "muted" | "mutedUntil">, now = Date.now()): boolean {
  if (conversation.muted !== true) return false;
  return conversation.mutedUntil === null || Date.parse(conversation.mutedUntil) > now;
}

/** Unread messages across the conversations given: the number in the tab title. */
export function unreadTotal(conversations: readonly Conversation[]): number {
  return conversations.reduce((sum, c) => sum + (c.unreadCount ?? 0), 0);
}

function higher(a: Receipt | undefined, b: Receipt | undefined): Receipt {
  return {
    deliveredSeq: Math.max(a?.deliveredSeq ?? 0, b?.deliveredSeq ?? 0),
    readSeq: Math.max(a?.readSeq ?? 0, b?.readSeq ?? 0),
  };
}

/**
 * Receipts from a copy, a push or the receipts route laid over those held: each user's marks only move
 * forward, and a user the incoming map leaves out keeps what is held (a group's copies carry only the
 * caller's own receipt, a pushed one none).
 */
function mergeReceipts(
  held: Conversation["receipts"],
  incoming: Conversation["receipts"],
): Conversation["receipts"] {
  const receipts = { ...held };
  for (const [id, receipt] of Object.entries(incoming)) receipts[id] = higher(receipts[id], receipt);
  return receipts;
}

/**
 * A newer server copy of a held conversation. Pushes race the copies fetched over HTTP, so receipts
 * never go back, nor does the preview; a copy older than the newest message held keeps the local count.
 */
function refreshed(held: Conversation, incoming: Conversation): Conversation {
  const receipts = mergeReceipts(held.receipts, incoming.receipts);
  const mine = held.lastMessage;
  const theirs = incoming.lastMessage;
  const heldNewer =
    !!mine && (mine.seq > (theirs?.seq ?? 0) || (mine.id === theirs?.id && mine.revision > theirs.revision));
  return {
    ...incoming,
    receipts,
    lastSeq: Math.max(held.lastSeq, incoming.lastSeq),
    lastMessage: heldNewer ? mine : theirs,
    unreadCount: incoming.unreadCount === null || heldNewer ? held.unreadCount : incoming.unreadCount,
    archived: archivedNow(held, incoming),
    // A pushed copy (null) says nothing about this user's mute: the one held stays.
    muted: incoming.muted ?? held.muted,
    mutedUntil:
      incoming.muted === null || incoming.muted === undefined ? held.mutedUntil : incoming.mutedUntil,
  };
}

/**
 * Whether a conversation is archived after a server copy: the copy says so (a pushed one, saying null,
 * keeps what is held), unless a message newer than the copy's last one is held: that message came after
 * the archiving and brought it back, as the server's list will show.
 */
function archivedNow(held: Conversation, incoming: Conversation): boolean {
  if (incoming.archived === null || incoming.archived === undefined) return held.archived ?? false;
  return incoming.archived && (held.lastMessage?.seq ?? 0) <= (incoming.lastMessage?.seq ?? 0);
}

/** The reader is looking: the tab is shown and the window has focus. */
function pageHasAttention(): boolean {
  return typeof document !== "undefined" && document.visibilityState === "visible" && document.hasFocus();
}

/** A pasted screenshot may come without a name; the server needs one to show. */
function uploadName(file: File): string {
  return file.name || "pasted file";
}

function load<T>(key: string, fallback: T): T {
  try {
    const raw = localStorage.getItem(key);
    return raw ? (JSON.parse(raw) as T) : fallback;
  } catch {
    return fallback;
  }
}

/** The app's state and everything that changes it. Components read it with useSyncExternalStore. */
export class ChatStore {
  private state: ChatState;
  private readonly listeners = new Set<() => void>();
  readonly api: ApiClient;
  private readonly socket: SocketPort;
  private readonly ackTimers = new Map<string, ReturnType<typeof setTimeout>>();
  private slowDownTimer: ReturnType<typeof setTimeout> | null = null;
  /** The held message released and not yet settled: the next waits for it. */
  private released: string | null = null;
  private readonly linksRefreshedAt = new Map<string, number>();
  /** When this client last said it was typing, per conversation. */
  private readonly typingSentAt = new Map<string, number>();
  private typingTimer: ReturnType<typeof setTimeout> | null = null;
  /** No typing frames before this (epoch ms): the server refused some as too many. */
  private typingPausedUntil = 0;
  /** Catch-up cursor per conversation: the version of the last copy taken from the server. */
  private readonly cursors = new Map<string, number>();
  /** The highest marks this device has sent, per conversation: never send one lower. */
  private readonly sentReceipts = new Map<string, Receipt>();
  /** markDelivered waiting to go out: conversation id → highest seq. */
  private readonly deliveries = new Map<string, number>();
  private deliveryTimer: ReturnType<typeof setTimeout> | null = null;
  /** The conversation on screen, and whether its newest message is in view. */
  private viewing: { conversationId: string; atBottom: boolean } | null = null;
  /** A group's receipts request in flight: callers close together share it. */
  private readonly receiptsLoading = new Map<string, Promise<void>>();
  /** Versions pushed above a conversation's cursor while a lower one has not come (its messages held). */
  private readonly pushedVersions = new Map<string, Set<number>>();
  /** Seq ranges [from, to) missing below pushed messages, per conversation, while GAP_WAIT_MS runs. */
  private readonly gaps = new Map<
    string,
    { missing: Array<[number, number]>; timer: ReturnType<typeof setTimeout> }
  >();
  private readonly webPush: PushNotifications;
  /** Ends the earliest timed mute held, so it shows as unmuted when its time is up. */
  private muteTimer: ReturnType<typeof setTimeout> | null = null;

  constructor(
    config: Config,
    makeSocket: (options: ChatSocketOptions) => SocketPort = (options) => new ChatSocket(options),
    pushBrowser: PushBrowser = browserPush(),
  ) {
    const keeper: SessionKeeper = {
      get: () => this.state.session,
      set: (session) => {
        this.update({ session });
        if (session) localStorage.setItem(SESSION_KEY, JSON.stringify(session));
        else localStorage.removeItem(SESSION_KEY);
      },
      saved: () => load<Session | null>(SESSION_KEY, null),
    };
    this.state = {
      session: load<Session | null>(SESSION_KEY, null),
      status: "connecting",
      conversations: [],
      messages: {},
      pending: {},
      hasOlder: {},
      users: {},
      drafts: load<Record<string, string>>(DRAFTS_KEY, {}),
      uploads: {},
      typing: {},
      notice: null,
      slowDownUntil: null,
      webPush: "checking",
    };
    this.api = new ApiClient(config.apiUrl, keeper, () => this.signedOut());
    this.webPush = new PushNotifications(this.api, pushBrowser, config.vapidPublicKey, localStorage);
    this.socket = makeSocket({
      url: async () => {
        const token = await this.api.accessToken();
        const base = resolveWsUrl(config.wsUrl, window.location);
        return token ? `${base}?token=${encodeURIComponent(token)}` : null;
      },
      onFrame: (frame) => this.onFrame(frame),
      onStatus: (status) => this.update({ status }),
      onReconnect: () => void this.catchUp(),
      // Ask the API whether the login still stands: if it ended (log-out everywhere, a reused
      // refresh token), the refresh is refused and the user is told, instead of "reconnecting".
      onRefused: () => void this.api.me().catch(() => {}),
    });
    // Another tab refreshed the tokens, or logged out: this one follows.
    window.addEventListener("storage", (event) => {
      if ((event as StorageEvent).key === SESSION_KEY) this.followOtherTab();
    });
    window.addEventListener("online", () => this.socket.reconnectNow());
    window.addEventListener("offline", () => this.socket.drop());
    // Coming back to the tab or the window is when the reader sees what arrived meanwhile.
    window.addEventListener("focus", () => this.noteAttention());
    window.addEventListener("visibilitychange", () => this.noteAttention());
  }

  subscribe = (listener: () => void): (() => void) => {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  };

  getState = (): ChatState => this.state;

  private update(patch: Partial<ChatState>): void {
    this.state = { ...this.state, ...patch };
    for (const listener of this.listeners) listener();
  }

  private get me(): string {
    return this.state.session?.user.id ?? "";
  }

  private find(conversationId: string): Conversation | undefined {
    return this.state.conversations.find((c) => c.id === conversationId);
  }

  /** Forgets what belonged to the previous account. */
  private forgetAccount(): void {
    this.cursors.clear();
    this.sentReceipts.clear();
    this.deliveries.clear();
    this.viewing = null;
    for (const gap of this.gaps.values()) clearTimeout(gap.timer);
    this.gaps.clear();
    this.pushedVersions.clear();
    if (this.slowDownTimer) clearTimeout(this.slowDownTimer);
    this.slowDownTimer = null;
    if (this.muteTimer) clearTimeout(this.muteTimer);
    this.muteTimer = null;
    this.released = null;
    this.update({ slowDownUntil: null, webPush: "checking" });
  }

  // --- session ---------------------------------------------------------------

  start(): void {
    if (this.state.session) {
      this.socket.start();
      void this.loadConversations();
      void this.checkNotifications();
    }
  }

  async signUp(username: string, password: string, displayName: string): Promise<void> {
    await this.api.signup(username, password, displayName || undefined);
    this.afterSignIn();
  }

  async logIn(username: string, password: string): Promise<void> {
    await this.api.login(username, password);
    this.afterSignIn();
  }

  private afterSignIn(): void {
    this.forgetAccount();
    this.update({ notice: null, conversations: [], messages: {}, pending: {}, hasOlder: {}, uploads: {} });
    this.socket.stop();
    this.socket.start();
    void this.loadConversations();
    void this.checkNotifications();
  }

  async logOut(): Promise<void> {
    this.socket.stop();
    await this.stopNotifications();
    await this.api.logout();
    this.forgetAccount();
    this.update({ conversations: [], messages: {}, pending: {}, hasOlder: {}, uploads: {}, notice: null });
  }

  /** Ends every login of this user (other devices' sockets close too), then this one. */
  async logOutEverywhere(): Promise<void> {
    // The server closes this tab's socket too: stopped first, it does not try to come back.
    this.socket.stop();
    // This browser's notifications end with the login, while its token can still tell the server.
    await this.stopNotifications();
    try {
      await this.api.logoutEverywhere();
    } catch (error) {
      this.socket.start();
      void this.checkNotifications();
      throw error;
    }
    this.forgetAccount();
    this.update({ conversations: [], messages: {}, pending: {}, hasOlder: {}, uploads: {}, notice: null });
  }

  // --- notifications -------------------------------------------------------------

  /** Finds out where notifications stand in this browser (asked again each time the profile opens). */
  async checkNotifications(): Promise<void> {
    const session = this.state.session;
    if (!session) return;
    try {
      const status = await this.webPush.check(session);
      if (this.me === session.user.id) this.update({ webPush: status });
    } catch {
      // Offline: the status stays as it was until the next check.
    }
  }

  /** Turns notifications on for this browser: the permission prompt comes from the click calling this. */
  async enableNotifications(): Promise<void> {
    const session = this.state.session;
    if (session) this.update({ webPush: await this.webPush.enable(session) });
  }

  async disableNotifications(): Promise<void> {
    await this.webPush.disable();
    this.update({ webPush: "off" });
  }

  /** Log-out's first step: the server forgets this browser's subscription, waiting a little at most. */
  private async stopNotifications(): Promise<void> {
    let timer: ReturnType<typeof setTimeout> | undefined;
    const waited = new Promise<void>((resolve) => {
      timer = setTimeout(resolve, PUSH_FORGET_WAIT_MS);
    });
    try {
      await Promise.race([this.webPush.disable(), waited]);
    } finally {
      clearTimeout(timer);
    }
  }

  /** The reader is back: the badge has done its job, and what is on screen gets read. */
  private noteAttention(): void {
    if (pageHasAttention()) this.webPush.clearBadge();
    this.noteReading();
  }

  /** Loads the caller's own profile, which alone says whether notifications show previews. */
  async loadProfile(): Promise<void> {
    try {
      this.takeProfile(await this.api.me());
    } catch {
      // Offline: the previews switch waits (disabled) for the next opening.
    }
  }

  /** Whether this user's notifications (on every device) show what messages say. Errors go to the caller. */
  async setNotificationPreviews(on: boolean): Promise<void> {
    this.takeProfile(await this.api.updateProfile({ notificationPreviews: on }));
  }

  private takeProfile(user: User): void {
    const session = this.state.session;
    if (!session || session.user.id !== user.id) return;
    const updated = { ...session, user };
    localStorage.setItem(SESSION_KEY, JSON.stringify(updated));
    this.update({ session: updated, users: { ...this.state.users, [user.id]: user } });
  }

  /** The server said "too fast": hold sends for `seconds`, and say so until then. */
  private slowDown(seconds: number | undefined): void {
    const until = Date.now() + Math.max(1, seconds ?? 5) * 1000;
    if ((this.state.slowDownUntil ?? 0) >= until) return;
    if (this.slowDownTimer) clearTimeout(this.slowDownTimer);
    this.slowDownTimer = setTimeout(() => {
      this.slowDownTimer = null;
      this.update({ slowDownUntil: null });
      this.releaseNext();
    }, until - Date.now());
    this.update({ slowDownUntil: until });
  }

  /** A send held back (refused as too fast, or behind one that was): it goes by itself, in order. */
  private hold(pending: PendingMessage): void {
    if (pending.clientMsgId === this.released) this.released = null; // refused again: it waits in line
    this.clearAckTimer(pending.clientMsgId);
    this.markPending(pending.conversationId, pending.clientMsgId, "waiting");
  }

  private waiting(): PendingMessage[] {
    return Object.values(this.state.pending)
      .flat()
      .filter((p) => p.status === "waiting")
      .sort((a, b) => a.createdAt.localeCompare(b.createdAt));
  }

  /** Sends the oldest held message, one at a time: when it settles (acked, failed), the next
   * goes, so they arrive in the order written. */
  private releaseNext(settled?: string): void {
    if (settled !== undefined && settled === this.released) this.released = null;
    if (this.released !== null) return; // one released at a time
    if ((this.state.slowDownUntil ?? 0) > Date.now()) return;
    const [oldest] = this.waiting();
    if (!oldest) return;
    this.released = oldest.clientMsgId;
    this.markPending(oldest.conversationId, oldest.clientMsgId, "sending");
    this.sendNow(oldest);
  }

  private clearAckTimer(clientMsgId: string): void {
    const timer = this.ackTimers.get(clientMsgId);
    if (timer) clearTimeout(timer);
    this.ackTimers.delete(clientMsgId);
  }

  private followOtherTab(): void {
    const saved = load<Session | null>(SESSION_KEY, null);
    const mine = this.state.session;
    if (saved && mine && saved.user.id === mine.user.id) {
      this.update({ session: saved });
    } else if (!saved && mine) {
      this.socket.stop();
      this.forgetAccount();
      this.update({ session: null, conversations: [], messages: {}, pending: {}, hasOlder: {}, uploads: {} });
    }
  }

  private signedOut(): void {
    this.socket.stop();
    // The login is over, so the server cannot be told; unsubscribed, the push service refuses the
    // server's next push and the server forgets the endpoint then.
    void this.webPush.drop();
    // Drafts stay (they are saved per conversation), so nothing typed is lost.
    this.update({ notice: "Your session ended. Log in again to carry on; your unsent text is kept." });
  }

  setDraft(conversationId: string, text: string): void {
    const drafts = { ...this.state.drafts, [conversationId]: text };
    if (!text) delete drafts[conversationId];
    localStorage.setItem(DRAFTS_KEY, JSON.stringify(drafts));
    this.update({ drafts });
    this.noteTyping(conversationId, text.trim() !== "");
  }

  // --- typing ------------------------------------------------------------------

  /** Tells the others while the draft has text (every 2 s at most), and once when it empties. */
  private noteTyping(conversationId: string, typing: boolean): void {
    const sentAt = this.typingSentAt.get(conversationId);
    const now = Date.now();
    if (now < this.typingPausedUntil) return; // the server said too many: typing is only a hint
    if (typing && (sentAt === undefined || now - sentAt >= TYPING_REPEAT_MS)) {
      if (this.socket.send({ action: "typing", conversationId, isTyping: true })) {
        this.typingSentAt.set(conversationId, now);
      }
    } else if (!typing && sentAt !== undefined) {
      this.typingSentAt.delete(conversationId);
      this.socket.send({ action: "typing", conversationId, isTyping: false });
    }
  }

  private setTyping(conversationId: string, userId: string, until: number | null): void {
    const here = { ...(this.state.typing[conversationId] ?? {}) };
    if (until === null) delete here[userId];
    else here[userId] = until;
    this.update({ typing: { ...this.state.typing, [conversationId]: here } });
    this.scheduleTypingExpiry();
  }

  /** Drops indicators whose 6 seconds are up, then waits for the next one to end. */
  private scheduleTypingExpiry(): void {
    if (this.typingTimer) clearTimeout(this.typingTimer);
    const ends = Object.values(this.state.typing).flatMap((users) => Object.values(users));
    if (ends.length === 0) return;
    this.typingTimer = setTimeout(
      () => {
        const now = Date.now();
        const typing: ChatState["typing"] = {};
        for (const [conversationId, users] of Object.entries(this.state.typing)) {
          typing[conversationId] = Object.fromEntries(Object.entries(users).filter(([, end]) => end > now));
        }
        this.update({ typing });
        this.scheduleTypingExpiry();
      },
      Math.max(0, Math.min(...ends) - Date.now()) + 10,
    );
  }

  // --- conversations ---------------------------------------------------------

  async loadConversations(): Promise<void> {
    try {
      const items = await this.listConversations();
      this.takeConversations(items, true);
      for (const conversation of items) this.noteArrived(conversation);
      await this.ensureUsers(items.flatMap((c) => c.memberIds));
    } catch (error) {
      this.report(error);
    }
  }

  /** The first page of the main list and of the archived one: each copy says which it is in. */
  private async listConversations(): Promise<Conversation[]> {
    const [main, archived] = await Promise.all([
      this.api.conversations(),
      this.api.conversations(undefined, true),
    ]);
    return [...main.items, ...archived.items];
  }

  /** Archives a conversation for this user (until a new message comes), or unarchives it. */
  async setArchived(conversationId: string, archived: boolean): Promise<void> {
    try {
      this.takeArchived(await this.api.setArchived(conversationId, archived));
    } catch (error) {
      this.report(error);
    }
  }

  /**
   * A copy that says where this user's archiving stands (the answer to archiving, or its push to every
   * device of the user). It is no change of the conversation, so its version may be below the one held:
   * the state is taken all the same (the newest message held still wins, as in `refreshed`).
   */
  private takeArchived(conversation: Conversation): void {
    this.takeConversations([conversation]);
    const held = this.find(conversation.id);
    const archived = held ? archivedNow(held, conversation) : false;
    if (held && held.archived !== archived) this.patchConversation(conversation.id, { archived });
  }

  /** Mutes a conversation's notifications for this user for `forMs`, or until unmuted when null. */
  async mute(conversationId: string, forMs: number | null): Promise<void> {
    const until = forMs === null ? null : new Date(Date.now() + forMs).toISOString();
    try {
      this.takeMuted(await this.api.mute(conversationId, until));
    } catch (error) {
      this.report(error);
    }
  }

  async unmute(conversationId: string): Promise<void> {
    try {
      this.takeMuted(await this.api.unmute(conversationId));
    } catch (error) {
      this.report(error);
    }
  }

  /**
   * A copy that says where this user's mute stands (the answer to muting, or its push to every device of
   * the user). Like archiving, muting is no change of the conversation: its state is taken whatever the
   * copy's version.
   */
  private takeMuted(conversation: Conversation): void {
    this.takeConversations([conversation]);
    if (conversation.muted === null || conversation.muted === undefined) return;
    const held = this.find(conversation.id);
    if (held && (held.muted !== conversation.muted || held.mutedUntil !== conversation.mutedUntil)) {
      this.patchConversation(conversation.id, {
        muted: conversation.muted,
        mutedUntil: conversation.mutedUntil,
      });
    }
    this.scheduleMuteEnd();
  }

  /** Waits for the earliest timed mute held to end, then shows it (and any other ended) as unmuted. */
  private scheduleMuteEnd(): void {
    if (this.muteTimer) clearTimeout(this.muteTimer);
    this.muteTimer = null;
    const ends = this.state.conversations
      .filter((c) => c.muted === true && c.mutedUntil !== null)
      .map((c) => Date.parse(c.mutedUntil as string));
    if (ends.length === 0) return;
    const wait = Math.min(Math.max(0, Math.min(...ends) - Date.now()), MAX_TIMER_MS);
    this.muteTimer = setTimeout(() => {
      this.muteTimer = null;
      const now = Date.now();
      const conversations = this.state.conversations.map((c) =>
        c.muted === true && !isMuted(c, now) ? { ...c, muted: false, mutedUntil: null } : c,
      );
      this.update({ conversations });
      this.scheduleMuteEnd();
    }, wait);
  }

  private upsertConversation(conversation: Conversation): void {
    const others = this.state.conversations.filter((c) => c.id !== conversation.id);
    this.update({ conversations: sortConversations([conversation, ...others]) });
  }

  private patchConversation(conversationId: string, patch: Partial<Conversation>): void {
    const conversation = this.find(conversationId);
    if (conversation) this.upsertConversation({ ...conversation, ...patch });
  }

  /**
   * Takes server copies of conversations, each unless older than the one held; conversations held but
   * not given (past the first page, or left) stay. A conversation's cursor starts at its first copy and
   * moves with `moveCursors` (a list load or GET, as the spec says) or a catch-up; never with a push.
   * Once its messages are held, only the change feed moves it: a list copy may count a message whose
   * push never came, and a cursor past it would hide it from the next catch-up.
   */
  private takeConversations(incoming: readonly Conversation[], moveCursors = false): void {
    const held = new Map(this.state.conversations.map((c) => [c.id, c]));
    for (const conversation of incoming) {
      const cursor = this.cursors.get(conversation.id);
      const historyHeld = this.state.messages[conversation.id] !== undefined;
      if (cursor === undefined || (moveCursors && !historyHeld && conversation.version > cursor)) {
        this.cursors.set(conversation.id, conversation.version);
      }
      const before = held.get(conversation.id);
      if (!before)
        held.set(conversation.id, {
          ...conversation,
          unreadCount: conversation.unreadCount ?? 0,
          archived: conversation.archived ?? false,
          muted: conversation.muted ?? false,
          mutedUntil: conversation.mutedUntil ?? null,
        });
      else if (conversation.version >= before.version)
        held.set(conversation.id, refreshed(before, conversation));
    }
    this.update({ conversations: sortConversations([...held.values()]) });
    if (incoming.some((c) => c.muted)) this.scheduleMuteEnd();
  }

  /** Makes sure a conversation is held (one a notification opened may be past the list's first page). */
  async ensureConversation(conversationId: string): Promise<void> {
    if (!this.find(conversationId)) await this.refreshConversation(conversationId);
  }

  /** Asks the server for one conversation (e.g. for its unread count after reading on another device). */
  private async refreshConversation(conversationId: string): Promise<void> {
    try {
      this.takeConversations([await this.api.conversation(conversationId)], true);
    } catch {
      // the next list load or catch-up corrects the count
    }
  }

  async openDirect(userId: string): Promise<string | null> {
    try {
      const conversation = await this.api.openDirect(userId);
      this.takeConversations([conversation]);
      await this.ensureUsers(conversation.memberIds);
      return conversation.id;
    } catch (error) {
      this.report(error);
      return null;
    }
  }

  async createGroup(name: string, memberIds: string[]): Promise<string> {
    const conversation = await this.api.createGroup(name, memberIds);
    this.takeConversations([conversation]);
    await this.ensureUsers(conversation.memberIds);
    return conversation.id;
  }

  async ensureUsers(ids: string[]): Promise<void> {
    await this.fetchUsers([...new Set(ids)].filter((id) => !this.state.users[id]));
  }

  private async fetchUsers(ids: string[]): Promise<void> {
    const found = await Promise.all(ids.map((id) => this.api.user(id).catch(() => null)));
    const users = { ...this.state.users };
    for (const user of found) if (user) users[user.id] = user;
    if (ids.length) this.update({ users });
  }

  // --- groups ------------------------------------------------------------------
  // Admins add, remove and rename; anyone may remove themselves (leave). Errors go to the caller.

  addMembers(groupId: string, userIds: string[]): Promise<void> {
    return this.takeGroup(this.api.addMembers(groupId, userIds));
  }

  removeMember(groupId: string, userId: string): Promise<void> {
    return this.takeGroup(this.api.removeMember(groupId, userId));
  }

  leaveGroup(groupId: string): Promise<void> {
    return this.removeMember(groupId, this.me);
  }

  renameGroup(groupId: string, name: string): Promise<void> {
    return this.takeGroup(this.api.renameGroup(groupId, name));
  }

  private async takeGroup(request: Promise<Conversation>): Promise<void> {
    const conversation = await request;
    this.takeConversations([conversation]);
    await this.ensureUsers(conversation.memberIds);
  }

  // --- messages --------------------------------------------------------------

  /**
   * Shows a conversation: loads its newest page unless its history is held. A group's copies carry only
   * this user's receipt, so every opening (and every history reload) also asks who has got how far.
   */
  async openConversation(conversationId: string): Promise<void> {
    await Promise.all([this.loadHistory(conversationId), this.loadReceipts(conversationId)]);
  }

  private async loadHistory(conversationId: string): Promise<void> {
    if (this.state.messages[conversationId]) return;
    try {
      const page = await this.api.history(conversationId, {});
      this.storeMessages(conversationId, page.items, page.nextBefore !== null);
    } catch (error) {
      this.report(error);
    }
  }

  /** A group's receipts, every member's: merged over those held (never moving a mark back). */
  private loadReceipts(conversationId: string): Promise<void> {
    const conversation = this.find(conversationId);
    if (conversation?.type !== "group" || !isMember(conversation, this.me)) return Promise.resolve();
    let loading = this.receiptsLoading.get(conversationId);
    if (!loading) {
      loading = this.api
        .receipts(conversationId)
        .then(({ receipts }) => this.takeReceipts(conversationId, receipts))
        .catch(() => {
          // the ticks keep what is held; the next opening or reconnect asks again
        })
        .finally(() => this.receiptsLoading.delete(conversationId));
      this.receiptsLoading.set(conversationId, loading);
    }
    return loading;
  }

  async loadOlder(conversationId: string): Promise<void> {
    const first = this.state.messages[conversationId]?.[0];
    if (!first || !this.state.hasOlder[conversationId]) return;
    const page = await this.api.history(conversationId, { before: first.seq });
    this.storeMessages(conversationId, page.items, page.nextBefore !== null);
  }

  private storeMessages(conversationId: string, incoming: Message[], hasOlder?: boolean): void {
    const messages = mergeMessages(this.state.messages[conversationId] ?? [], incoming);
    const patch: Partial<ChatState> = { messages: { ...this.state.messages, [conversationId]: messages } };
    if (hasOlder !== undefined) patch.hasOlder = { ...this.state.hasOlder, [conversationId]: hasOlder };
    this.update(patch);
    const newest = messages[messages.length - 1];
    if (newest) this.notePreview(newest);
    const fromOthers = newestFromOthers(incoming, this.me);
    if (fromOthers) this.noteDelivered(conversationId, fromOthers);
    if (this.viewing?.conversationId === conversationId) this.noteReading();
  }

  /** Shows `message` as its conversation's last one if it is newer; a conversation not yet listed is fetched. */
  private notePreview(message: Message): void {
    const conversation = this.find(message.conversationId);
    const last = conversation?.lastMessage;
    if (!conversation) {
      void this.loadConversations(); // someone started a chat with us
    } else if (
      (last?.seq ?? 0) < message.seq ||
      (last?.id === message.id && last.revision < message.revision)
    ) {
      this.upsertConversation({
        ...conversation,
        lastMessage: message,
        lastSeq: Math.max(conversation.lastSeq, message.seq),
        // A new message brings an archived conversation back to the main list, as on the server.
        archived: (last?.seq ?? 0) < message.seq ? false : conversation.archived,
      });
    }
  }

  /** An edit, a deletion or a reaction: kept only where it is newer than the copy held. */
  private applyMessageUpdate(message: Message): void {
    const conversationId = message.conversationId;
    const held = this.state.messages[conversationId];
    const conversation = this.find(conversationId);
    const before =
      held?.find((m) => m.id === message.id) ??
      (conversation?.lastMessage?.id === message.id ? conversation.lastMessage : undefined);
    if (before && before.revision >= message.revision) return;
    // The server stops counting a deleted message as unread; so does this client.
    if (
      conversation?.unreadCount &&
      before &&
      !before.deletedAt &&
      message.deletedAt &&
      message.senderId !== this.me &&
      message.seq > this.ownReceipt(conversationId).readSeq
    ) {
      this.patchConversation(conversationId, { unreadCount: conversation.unreadCount - 1 });
    }
    // Only a loaded history keeps messages; the others get it (current) when they are opened.
    if (held) {
      const messages = mergeMessages(held, withinLoaded(held, [message]));
      this.update({ messages: { ...this.state.messages, [conversationId]: messages } });
    }
    if (conversation?.lastMessage?.id === message.id)
      this.patchConversation(conversationId, { lastMessage: message });
  }

  /**
   * After a reconnect (the spec's catch-up): take the conversation list, then for each conversation
   * changed since its cursor apply what changed; then refresh the presence shown and mark what arrived.
   */
  async catchUp(): Promise<void> {
    let listed: Conversation[];
    try {
      // The archived list too: a conversation archived on another device meanwhile is absent from the main one.
      listed = await this.listConversations();
    } catch (error) {
      this.report(error);
      return;
    }
    const ids = new Set(listed.map((c) => c.id));
    // An open conversation past the first page (or one we were removed from) is asked too.
    const unlisted = this.state.conversations.filter(
      (c) => !ids.has(c.id) && this.state.messages[c.id] && isMember(c, this.me),
    );
    // Receipts are not in the feed: the group on screen asks for them again (the others when opened).
    const shown = this.viewing?.conversationId;
    await Promise.all([
      ...listed.map((c) => this.catchUpConversation(c.id, c)),
      ...unlisted.map((c) => this.catchUpConversation(c.id)),
      shown ? this.loadReceipts(shown) : undefined,
    ]);
    await this.ensureUsers(listed.flatMap((c) => c.memberIds));
    await this.refreshPresence();
    for (const conversation of this.state.conversations) this.noteArrived(conversation);
    this.noteReading();
  }

  private async catchUpConversation(conversationId: string, listed?: Conversation): Promise<void> {
    const cursor = this.cursors.get(conversationId);
    if (listed && (cursor === undefined || !this.state.messages[conversationId])) {
      // No history held: the list's copy is everything the feed would give.
      this.takeConversations([listed]);
      this.cursors.set(conversationId, listed.version);
      return;
    }
    if (listed && listed.version <= (cursor ?? 0)) {
      this.takeConversations([listed]);
      return;
    }
    try {
      await this.applyChanges(await this.api.changes(conversationId, cursor ?? 0));
    } catch (error) {
      if (error instanceof ApiError && error.status === 403) {
        // Removed while away: keep the conversation, read-only.
        const conversation = this.find(conversationId);
        if (conversation) {
          this.patchConversation(conversationId, {
            memberIds: conversation.memberIds.filter((id) => id !== this.me),
          });
        }
      } else {
        this.report(error);
      }
    }
  }

  private async applyChanges(page: ChangesPage): Promise<void> {
    const conversationId = page.conversation.id;
    this.takeConversations([page.conversation]);
    this.cursors.set(conversationId, page.cursor);
    this.followPushes(conversationId);
    if (page.resync) {
      // Too much changed to list: load the newest page again, as on first open.
      const messages = { ...this.state.messages };
      delete messages[conversationId];
      this.update({ messages });
      await this.openConversation(conversationId);
    } else {
      const held = this.state.messages[conversationId];
      if (held) this.storeMessages(conversationId, withinLoaded(held, page.messages));
    }
  }

  /**
   * A pushed message above the newest one held leaves a hole. Pushes can arrive out of order, so wait
   * GAP_WAIT_MS, then read the conversation's change feed once if the hole is still open. Holes found
   * during the wait share that one read; a seq that never fills (a resend skipped it) is not asked again,
   * as it lies below the newest held from then on.
   */
  private noteGap(message: Message): void {
    const conversationId = message.conversationId;
    const held = this.state.messages[conversationId];
    if (!held) return; // no history held: the list shows the newest message, opening loads the rest
    const newest = lastSeq(held);
    if (message.seq <= newest + 1) return;
    this.openGap(conversationId, [newest + 1, message.seq]);
  }

  /** Starts the wait for a hole (seqs [from, to), or a version hole when no range is given). */
  private openGap(conversationId: string, range?: [number, number]): void {
    const gap = this.gaps.get(conversationId);
    if (gap) {
      if (range) gap.missing.push(range);
    } else {
      const timer = setTimeout(() => void this.closeGap(conversationId), GAP_WAIT_MS);
      this.gaps.set(conversationId, { missing: range ? [range] : [], timer });
    }
  }

  private async closeGap(conversationId: string): Promise<void> {
    const gap = this.gaps.get(conversationId);
    this.gaps.delete(conversationId);
    const held = this.state.messages[conversationId];
    if (!gap || !held) return;
    const seqs = new Set(held.map((m) => m.seq));
    const open = gap.missing.some(([from, to]) => {
      for (let seq = from; seq < to; seq++) if (!seqs.has(seq)) return true;
      return false;
    });
    if (open || this.pushedVersions.has(conversationId)) await this.catchUpConversation(conversationId);
  }

  /**
   * A pushed change's version. While pushes come without a hole the cursor follows them, so a
   * reconnect reads the feed from where this client really is (not from when it opened the
   * conversation, which in a busy group would soon be past what the feed keeps). A hole — a push late,
   * lost, or a change that pushes nothing of its own — waits GAP_WAIT_MS like a seq gap, then the feed
   * is read once.
   */
  private noteVersion(conversationId: string, version: number | undefined): void {
    const cursor = this.cursors.get(conversationId);
    if (version === undefined || cursor === undefined || version <= cursor) return;
    if (!this.state.messages[conversationId]) return; // no history held: the feed is read on opening
    const seen = this.pushedVersions.get(conversationId) ?? new Set<number>();
    seen.add(version);
    this.pushedVersions.set(conversationId, seen);
    this.followPushes(conversationId);
    if (this.pushedVersions.has(conversationId)) this.openGap(conversationId);
  }

  /** Moves the cursor over the pushed versions that follow it without a hole. */
  private followPushes(conversationId: string): void {
    const seen = this.pushedVersions.get(conversationId);
    let cursor = this.cursors.get(conversationId);
    if (!seen || cursor === undefined) return;
    for (const version of seen) if (version <= cursor) seen.delete(version);
    while (seen.delete(cursor + 1)) cursor += 1;
    this.cursors.set(conversationId, cursor);
    if (seen.size === 0) this.pushedVersions.delete(conversationId);
  }

  /** Presence is not in the catch-up feed: fetch again the people whose status is shown (direct chats). */
  private async refreshPresence(): Promise<void> {
    const shown = new Set<string>();
    for (const conversation of this.state.conversations) {
      const other = otherMember(conversation, this.me);
      if (other) shown.add(other);
    }
    await this.fetchUsers([...shown]);
  }

  // --- receipts and unread counts ------------------------------------------------

  /** The view says which conversation is on screen and whether its newest message is in view. */
  viewConversation(conversationId: string | null, atBottom = true): void {
    this.viewing = conversationId ? { conversationId, atBottom } : null;
    if (conversationId && pageHasAttention()) this.webPush.dismiss(conversationId);
    this.noteReading();
  }

  /** True while the reader can see the newest message of a conversation. */
  private isReading(conversationId: string): boolean {
    return this.viewing?.conversationId === conversationId && this.viewing.atBottom && pageHasAttention();
  }

  /** Marks the conversation on screen read up to its newest message from others, if the reader sees it. */
  private noteReading(): void {
    const conversationId = this.viewing?.conversationId;
    if (!conversationId || !this.isReading(conversationId)) return;
    const messages = this.state.messages[conversationId];
    const conversation = this.find(conversationId);
    if (!messages || !conversation || !isMember(conversation, this.me)) return;
    const seq = newestFromOthers(messages, this.me);
    if (seq > this.ownReceipt(conversationId).readSeq) {
      this.sendReceipt(conversationId, "readSeq", seq);
      this.webPush.dismiss(conversationId); // read here: its notification has nothing left to say
    }
    // Holding the newest message means nothing from others is left unread.
    if (lastSeq(messages) >= conversation.lastSeq && conversation.unreadCount) {
      this.patchConversation(conversationId, { unreadCount: 0 });
    }
  }

  /** A conversation's newest message reached this device with the list: say it was delivered. */
  private noteArrived(conversation: Conversation): void {
    const last = conversation.lastMessage;
    if (last && last.senderId !== this.me) this.noteDelivered(conversation.id, last.seq);
  }

  /** Queues a markDelivered: what arrives within DELIVERY_DELAY_MS shares one per conversation. */
  private noteDelivered(conversationId: string, seq: number): void {
    if (seq <= this.ownReceipt(conversationId).deliveredSeq) return;
    if (seq <= (this.deliveries.get(conversationId) ?? 0)) return;
    this.deliveries.set(conversationId, seq);
    this.deliveryTimer ??= setTimeout(() => this.sendDeliveries(), DELIVERY_DELAY_MS);
  }

  private sendDeliveries(): void {
    this.deliveryTimer = null;
    const due = [...this.deliveries];
    this.deliveries.clear();
    for (const [conversationId, seq] of due) {
      const conversation = this.find(conversationId);
      if (!conversation || !isMember(conversation, this.me)) continue;
      if (seq > this.ownReceipt(conversationId).deliveredSeq)
        this.sendReceipt(conversationId, "deliveredSeq", seq);
    }
  }

  /** How far this user has got in a conversation: what this device sent, or another device's receipt. */
  private ownReceipt(conversationId: string): Receipt {
    const known = higher(this.sentReceipts.get(conversationId), this.find(conversationId)?.receipts[this.me]);
    return { readSeq: known.readSeq, deliveredSeq: Math.max(known.deliveredSeq, known.readSeq) };
  }

  /** Moves this device's delivered or read mark forward: over the socket, else over HTTP. */
  private sendReceipt(conversationId: string, mark: keyof Receipt, seq: number): void {
    const before = this.sentReceipts.get(conversationId);
    const after = higher(
      before,
      mark === "readSeq" ? { deliveredSeq: seq, readSeq: seq } : { deliveredSeq: seq, readSeq: 0 },
    );
    this.sentReceipts.set(conversationId, after);
    const action = mark === "readSeq" ? "markRead" : "markDelivered";
    if (this.socket.send({ action, conversationId, seq })) return;
    this.api.markReceipts(conversationId, { [mark]: seq }).catch(() => {
      // Forget it, so the next arrival, focus or reconnect sends it again.
      if (this.sentReceipts.get(conversationId) !== after) return;
      if (before) this.sentReceipts.set(conversationId, before);
      else this.sentReceipts.delete(conversationId);
    });
  }

  private takeReceipts(conversationId: string, receipts: Conversation["receipts"]): void {
    const held = this.find(conversationId);
    if (held) this.patchConversation(conversationId, { receipts: mergeReceipts(held.receipts, receipts) });
  }

  /** Someone's receipt moved; this user's own one (read on another device) also settles the unread count. */
  private noteReceipt(frame: Extract<ServerFrame, { type: "receipt" }>): void {
    const conversation = this.find(frame.conversationId);
    if (!conversation) return;
    const before = conversation.receipts[frame.userId];
    const receipt = higher(before, frame);
    this.takeReceipts(conversation.id, { [frame.userId]: receipt });
    if (frame.userId !== this.me || receipt.readSeq <= (before?.readSeq ?? 0)) return;
    if (receipt.readSeq >= conversation.lastSeq) this.patchConversation(conversation.id, { unreadCount: 0 });
    else void this.refreshConversation(conversation.id); // read part of it: the server counts the rest
  }

  // --- editing, deleting and reacting ---------------------------------------------
  // The answer is a messageUpdated push to every member's sockets (this one included).

  editMessage(messageId: string, text: string): void {
    this.changeMessage({ action: "editMessage", messageId, text }, () =>
      this.api.editMessage(messageId, text),
    );
  }

  deleteMessage(messageId: string): void {
    this.changeMessage({ action: "deleteMessage", messageId }, () => this.api.deleteMessage(messageId));
  }

  react(messageId: string, emoji: string, on: boolean): void {
    this.changeMessage({ action: "react", messageId, emoji, on }, () => this.api.react(messageId, emoji, on));
  }

  private changeMessage(frame: object, overHttp: () => Promise<Message>): void {
    if (this.socket.send(frame)) return;
    overHttp()
      .then((message) => this.applyMessageUpdate(message))
      .catch((error) => this.report(error));
  }

  /** Sends the draft with every finished upload; false when there is nothing to send yet. */
  send(conversationId: string, text: string): boolean {
    const uploads = this.state.uploads[conversationId] ?? [];
    if (uploads.some((u) => u.status === "uploading")) return false;
    const ready = uploads.filter((u) => u.status === "done" && u.mediaId);
    if (!text.trim() && ready.length === 0) return false;
    const attachments: Attachment[] = ready.map((u) => ({
      mediaId: u.mediaId as string,
      name: u.name,
      contentType: u.contentType,
      size: u.size,
      url: u.previewUrl ?? null,
    }));
    const pending: PendingMessage = {
      clientMsgId: newClientMsgId(),
      conversationId,
      text,
      createdAt: new Date().toISOString(),
      status: "sending",
      attachments,
    };
    this.setUploads(
      conversationId,
      uploads.filter((u) => u.status === "failed"),
    );
    this.setPending(conversationId, [...(this.state.pending[conversationId] ?? []), pending]);
    this.transmit(pending);
    return true;
  }

  // --- media -------------------------------------------------------------------

  /** Checks each file, then uploads the good ones straight to S3 with a progress bar each. */
  attach(conversationId: string, files: File[]): void {
    const current = this.state.uploads[conversationId] ?? [];
    let room = MAX_ATTACHMENTS - current.filter((u) => u.status !== "failed").length;
    const added: Upload[] = [];
    const started: Array<[Upload, File]> = [];
    for (const file of files) {
      const upload: Upload = {
        id: newClientMsgId(),
        name: uploadName(file),
        contentType: file.type,
        size: file.size,
        progress: 0,
        status: "uploading",
      };
      const problem =
        room <= 0
          ? `${upload.name}: a message carries at most ${MAX_ATTACHMENTS} files.`
          : fileProblem({ name: upload.name, type: file.type, size: file.size });
      if (problem) {
        added.push({ ...upload, status: "failed", error: problem });
        continue;
      }
      room -= 1;
      if (isImage(file.type)) upload.previewUrl = URL.createObjectURL(file);
      added.push(upload);
      started.push([upload, file]);
    }
    this.setUploads(conversationId, [...current, ...added]);
    for (const [upload, file] of started) void this.upload(conversationId, upload.id, file);
  }

  private async upload(conversationId: string, uploadId: string, file: File): Promise<void> {
    try {
      const ticket = await this.api.uploadTicket(conversationId, {
        name: uploadName(file),
        type: file.type,
        size: file.size,
      });
      await uploadWithTicket(ticket, file, (progress) =>
        this.patchUpload(conversationId, uploadId, { progress }),
      );
      this.patchUpload(conversationId, uploadId, { status: "done", progress: 1, mediaId: ticket.mediaId });
    } catch (error) {
      const message = error instanceof Error ? error.message : "The upload failed.";
      this.patchUpload(conversationId, uploadId, { status: "failed", error: message });
    }
  }

  removeUpload(conversationId: string, uploadId: string): void {
    const uploads = this.state.uploads[conversationId] ?? [];
    const removed = uploads.find((u) => u.id === uploadId);
    if (removed?.previewUrl) URL.revokeObjectURL(removed.previewUrl);
    this.setUploads(
      conversationId,
      uploads.filter((u) => u.id !== uploadId),
    );
  }

  private setUploads(conversationId: string, uploads: Upload[]): void {
    this.update({ uploads: { ...this.state.uploads, [conversationId]: uploads } });
  }

  private patchUpload(conversationId: string, uploadId: string, patch: Partial<Upload>): void {
    const uploads = this.state.uploads[conversationId] ?? [];
    this.setUploads(
      conversationId,
      uploads.map((u) => (u.id === uploadId ? { ...u, ...patch } : u)),
    );
  }

  /** Media links expire: when one fails to load, reload the loaded history to get fresh ones. */
  async refreshLinks(conversationId: string): Promise<void> {
    const now = Date.now();
    if (now - (this.linksRefreshedAt.get(conversationId) ?? 0) < LINK_REFRESH_INTERVAL_MS) return;
    this.linksRefreshedAt.set(conversationId, now);
    const loaded = this.state.messages[conversationId] ?? [];
    let after = (loaded[0]?.seq ?? 1) - 1;
    try {
      for (;;) {
        const page = await this.api.history(conversationId, { after, limit: 100 });
        this.storeMessages(conversationId, page.items);
        if (page.items.length < 100) break;
        after = lastSeq(page.items);
      }
    } catch (error) {
      this.report(error);
    }
  }

  /** Changes the display name and, given an image, the profile picture (uploaded straight to S3). */
  async updateProfile(
    displayName: string,
    picture: Blob | null,
    onProgress: (f: number) => void,
  ): Promise<void> {
    const changes: { displayName?: string; avatarMediaId?: string } = {};
    const me = this.state.session?.user;
    if (!me) return;
    if (displayName.trim() && displayName.trim() !== me.displayName) changes.displayName = displayName.trim();
    if (picture) {
      const problem = fileProblem({ name: "The picture", type: picture.type, size: picture.size }, true);
      if (problem) throw new Error(problem);
      const ticket = await this.api.avatarTicket(picture);
      await uploadWithTicket(ticket, picture, onProgress);
      changes.avatarMediaId = ticket.mediaId;
    }
    if (!Object.keys(changes).length) return;
    this.takeProfile(await this.api.updateProfile(changes));
  }

  /** Sends a failed message again with the same clientMsgId, so it can never arrive twice. */
  retry(conversationId: string, clientMsgId: string): void {
    const pending = this.state.pending[conversationId]?.find((p) => p.clientMsgId === clientMsgId);
    if (!pending) return;
    this.markPending(conversationId, clientMsgId, "sending");
    this.transmit(pending);
  }

  private transmit(pending: PendingMessage): void {
    // Asked to slow down, or others are held: this one queues behind them.
    if ((this.state.slowDownUntil ?? 0) > Date.now() || this.waiting().length > 0) {
      this.hold(pending);
      return;
    }
    this.sendNow(pending);
  }

  private sendNow(pending: PendingMessage): void {
    const mediaIds = pending.attachments.map((a) => a.mediaId);
    const frame = {
      action: "sendMessage",
      conversationId: pending.conversationId,
      text: pending.text,
      clientMsgId: pending.clientMsgId,
      attachments: mediaIds.map((mediaId) => ({ mediaId })),
    };
    if (this.socket.send(frame)) {
      this.ackTimers.set(
        pending.clientMsgId,
        setTimeout(() => {
          this.markPending(pending.conversationId, pending.clientMsgId, "failed");
          this.releaseNext(pending.clientMsgId); // those held behind it are not stuck
        }, ACK_TIMEOUT_MS),
      );
      return;
    }
    // No socket right now: the HTTP API stores it just the same (and is idempotent on clientMsgId).
    this.api
      .sendMessage(pending.conversationId, pending.text, pending.clientMsgId, mediaIds)
      .then((message) => this.acknowledge(message))
      .catch((error: unknown) => {
        if (error instanceof ApiError && error.status === 429) {
          this.slowDown(error.retryAfter);
          this.hold(pending);
        } else {
          this.markPending(pending.conversationId, pending.clientMsgId, "failed");
          this.releaseNext(pending.clientMsgId);
        }
      });
  }

  private setPending(conversationId: string, list: PendingMessage[]): void {
    this.update({ pending: { ...this.state.pending, [conversationId]: list } });
  }

  private markPending(conversationId: string, clientMsgId: string, status: PendingMessage["status"]): void {
    const list = this.state.pending[conversationId] ?? [];
    if (!list.some((p) => p.clientMsgId === clientMsgId)) return;
    this.setPending(
      conversationId,
      list.map((p) => (p.clientMsgId === clientMsgId ? { ...p, status } : p)),
    );
  }

  private acknowledge(message: Message): void {
    this.clearAckTimer(message.clientMsgId);
    const list = this.state.pending[message.conversationId] ?? [];
    this.setPending(
      message.conversationId,
      list.filter((p) => p.clientMsgId !== message.clientMsgId),
    );
    this.storeMessages(message.conversationId, [message]);
    this.releaseNext(message.clientMsgId);
  }

  onFrame(frame: ServerFrame): void {
    switch (frame.type) {
      case "messageAck":
        // Someone else's message pushed before this one may still be on its way (or lost).
        this.noteGap(frame.message);
        this.acknowledge(frame.message);
        this.noteVersion(frame.message.conversationId, frame.version);
        break;
      case "typing":
        this.setTyping(
          frame.conversationId,
          frame.userId,
          frame.isTyping ? Date.now() + TYPING_SHOWN_MS : null,
        );
        break;
      case "messageReceived": {
        const message = frame.message;
        const conversationId = message.conversationId;
        // A message from someone ends their "typing".
        if (this.state.typing[conversationId]?.[message.senderId]) {
          this.setTyping(conversationId, message.senderId, null);
        }
        // Counted once, by seq (a catch-up may bring it too), unless the reader sees it arrive.
        const conversation = this.find(conversationId);
        const unread =
          !!conversation &&
          message.senderId !== this.me &&
          message.seq > conversation.lastSeq &&
          !this.isReading(conversationId);
        // Only a conversation whose history is loaded keeps messages; for the others the push
        // updates the list, and opening them loads their history.
        if (this.state.messages[conversationId]) {
          this.noteGap(message);
          this.storeMessages(conversationId, [message]);
          this.noteVersion(conversationId, frame.version);
        } else {
          this.notePreview(message);
          if (message.senderId !== this.me) this.noteDelivered(conversationId, message.seq);
        }
        if (unread) {
          this.patchConversation(conversationId, {
            unreadCount: (this.find(conversationId)?.unreadCount ?? 0) + 1,
          });
        }
        break;
      }
      case "receipt":
        this.noteReceipt(frame);
        break;
      case "presence": {
        const user = this.state.users[frame.userId];
        if (user) {
          const seen = { ...user, online: frame.online, lastSeenAt: frame.lastSeenAt };
          this.update({ users: { ...this.state.users, [user.id]: seen } });
        }
        break;
      }
      case "messageUpdated":
        this.applyMessageUpdate(frame.message);
        this.noteVersion(frame.message.conversationId, frame.version);
        break;
      case "archivedChanged":
        // Archived or unarchived on one of this user's devices: its version moves no cursor.
        this.takeArchived(frame.conversation);
        break;
      case "mutedChanged":
        // Muted or unmuted on one of this user's devices: likewise.
        this.takeMuted(frame.conversation);
        break;
      case "conversationUpdated":
        // unreadCount is null here: the held count stays. The copy itself moves no cursor (it only
        // starts one for a conversation seen for the first time, e.g. a group we were just added to);
        // its version does, like any pushed change's.
        this.takeConversations([frame.conversation]);
        this.noteVersion(frame.conversation.id, frame.conversation.version);
        void this.ensureUsers(frame.conversation.memberIds);
        break;
      case "error": {
        const refused = frame.clientMsgId
          ? Object.values(this.state.pending)
              .flat()
              .find((p) => p.clientMsgId === frame.clientMsgId)
          : undefined;
        if (refused && frame.code === "rate_limited") {
          // Only a refused send slows sending down; it goes again, in order, after the wait.
          this.slowDown(frame.retryAfter);
          this.hold(refused);
        } else if (refused) {
          this.clearAckTimer(refused.clientMsgId);
          this.markPending(refused.conversationId, refused.clientMsgId, "failed");
          this.update({ notice: frame.message }); // why, e.g. "The file … is not a PNG image."
          this.releaseNext(refused.clientMsgId); // those held behind it go on
        } else if (
          frame.code === "rate_limited" &&
          (frame.action === "typing" || frame.action === "markDelivered" || frame.action === "markRead")
        ) {
          // Nothing the user asked for: typing pauses; receipts are forgotten as sent and go
          // again once the wait is over (the server keeps the highest, so nothing goes back).
          const wait = (frame.retryAfter ?? 5) * 1000;
          if (frame.action === "typing") this.typingPausedUntil = Date.now() + wait;
          else {
            this.sentReceipts.clear();
            setTimeout(() => this.noteReading(), wait);
          }
        } else if (REPORTED_SOCKET_ERRORS.has(frame.code)) {
          this.update({ notice: frame.message });
        }
        break;
      }
      case "pong":
        break;
    }
  }

  private report(error: unknown): void {
    if (error instanceof ApiError && error.status === 401) return; // signedOut() already says so
    this.update({ notice: error instanceof Error ? error.message : "Something went wrong." });
  }

  dismissNotice(): void {
    this.update({ notice: null });
  }
}
