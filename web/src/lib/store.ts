import { ApiClient, ApiError, type SessionKeeper } from "./api";
import { fileProblem, isImage, MAX_ATTACHMENTS, uploadWithTicket } from "./media";
import { lastSeq, mergeMessages, newClientMsgId } from "./messages";
import { ChatSocket, type ConnectionStatus } from "./socket";
import type {
  Attachment,
  Conversation,
  Message,
  PendingMessage,
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
}

export interface Config {
  /** The HTTP API's base URL; "" means the page's own origin. */
  apiUrl: string;
  /** The WebSocket URL; a path ("/ws") means the page's own host. */
  wsUrl: string;
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
  private readonly socket: ChatSocket;
  private readonly ackTimers = new Map<string, ReturnType<typeof setTimeout>>();
  private readonly linksRefreshedAt = new Map<string, number>();
  /** When this client last said it was typing, per conversation. */
  private readonly typingSentAt = new Map<string, number>();
  private typingTimer: ReturnType<typeof setTimeout> | null = null;

  constructor(config: Config) {
    const keeper: SessionKeeper = {
      get: () => this.state.session,
      set: (session) => {
        this.update({ session });
        if (session) localStorage.setItem(SESSION_KEY, JSON.stringify(session));
        else localStorage.removeItem(SESSION_KEY);
      },
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
    };
    this.api = new ApiClient(config.apiUrl, keeper, () => this.signedOut());
    this.socket = new ChatSocket({
      url: async () => {
        const token = await this.api.accessToken();
        const base = resolveWsUrl(config.wsUrl, window.location);
        return token ? `${base}?token=${encodeURIComponent(token)}` : null;
      },
      onFrame: (frame) => this.onFrame(frame),
      onStatus: (status) => this.update({ status }),
      onReconnect: () => void this.catchUp(),
    });
    window.addEventListener("online", () => this.socket.reconnectNow());
    window.addEventListener("offline", () => this.socket.drop());
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

  // --- session ---------------------------------------------------------------

  start(): void {
    if (this.state.session) {
      this.socket.start();
      void this.loadConversations();
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
    this.update({ notice: null, conversations: [], messages: {}, pending: {}, hasOlder: {}, uploads: {} });
    this.socket.stop();
    this.socket.start();
    void this.loadConversations();
  }

  async logOut(): Promise<void> {
    this.socket.stop();
    await this.api.logout();
    this.update({ conversations: [], messages: {}, pending: {}, hasOlder: {}, uploads: {}, notice: null });
  }

  private signedOut(): void {
    this.socket.stop();
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
      const page = await this.api.conversations();
      this.update({ conversations: sortConversations(page.items) });
      await this.ensureUsers(page.items.flatMap((c) => c.memberIds));
    } catch (error) {
      this.report(error);
    }
  }

  private upsertConversation(conversation: Conversation): void {
    const others = this.state.conversations.filter((c) => c.id !== conversation.id);
    this.update({ conversations: sortConversations([conversation, ...others]) });
  }

  async openDirect(userId: string): Promise<string | null> {
    try {
      const conversation = await this.api.openDirect(userId);
      this.upsertConversation(conversation);
      await this.ensureUsers(conversation.memberIds);
      return conversation.id;
    } catch (error) {
      this.report(error);
      return null;
    }
  }

  async createGroup(name: string, memberIds: string[]): Promise<string> {
    const conversation = await this.api.createGroup(name, memberIds);
    this.upsertConversation(conversation);
    await this.ensureUsers(conversation.memberIds);
    return conversation.id;
  }

  async ensureUsers(ids: string[]): Promise<void> {
    const missing = [...new Set(ids)].filter((id) => !this.state.users[id]);
    const found = await Promise.all(missing.map((id) => this.api.user(id).catch(() => null)));
    const users = { ...this.state.users };
    for (const user of found) if (user) users[user.id] = user;
    if (missing.length) this.update({ users });
  }

  // --- messages --------------------------------------------------------------

  async openConversation(conversationId: string): Promise<void> {
    if (this.state.messages[conversationId]) return;
    try {
      const page = await this.api.history(conversationId, {});
      this.storeMessages(conversationId, page.items, page.nextBefore !== null);
    } catch (error) {
      this.report(error);
    }
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
  }

  /** Shows `message` as its conversation's last one if it is newer; a conversation not yet listed is fetched. */
  private notePreview(message: Message): void {
    const conversation = this.state.conversations.find((c) => c.id === message.conversationId);
    if (!conversation) {
      void this.loadConversations(); // someone started a chat with us
    } else if ((conversation.lastMessage?.seq ?? 0) < message.seq) {
      this.upsertConversation({
        ...conversation,
        lastMessage: message,
        lastSeq: Math.max(conversation.lastSeq, message.seq),
      });
    }
  }

  /** After a reconnect: fetch what each open conversation missed, then the conversation list. */
  async catchUp(): Promise<void> {
    for (const conversationId of Object.keys(this.state.messages)) {
      try {
        for (;;) {
          const page = await this.api.history(conversationId, {
            after: lastSeq(this.state.messages[conversationId] ?? []),
            limit: 100,
          });
          this.storeMessages(conversationId, page.items);
          if (page.items.length < 100) break;
        }
      } catch (error) {
        this.report(error);
      }
    }
    await this.loadConversations();
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
    const user = await this.api.updateProfile(changes);
    const session = this.state.session;
    if (session) {
      const updated = { ...session, user };
      localStorage.setItem(SESSION_KEY, JSON.stringify(updated));
      this.update({ session: updated, users: { ...this.state.users, [user.id]: user } });
    }
  }

  /** Sends a failed message again with the same clientMsgId, so it can never arrive twice. */
  retry(conversationId: string, clientMsgId: string): void {
    const pending = this.state.pending[conversationId]?.find((p) => p.clientMsgId === clientMsgId);
    if (!pending) return;
    this.markPending(conversationId, clientMsgId, "sending");
    this.transmit(pending);
  }

  private transmit(pending: PendingMessage): void {
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
        setTimeout(
          () => this.markPending(pending.conversationId, pending.clientMsgId, "failed"),
          ACK_TIMEOUT_MS,
        ),
      );
      return;
    }
    // No socket right now: the HTTP API stores it just the same (and is idempotent on clientMsgId).
    this.api
      .sendMessage(pending.conversationId, pending.text, pending.clientMsgId, mediaIds)
      .then((message) => this.acknowledge(message))
      .catch(() => this.markPending(pending.conversationId, pending.clientMsgId, "failed"));
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
    const timer = this.ackTimers.get(message.clientMsgId);
    if (timer) clearTimeout(timer);
    this.ackTimers.delete(message.clientMsgId);
    const list = this.state.pending[message.conversationId] ?? [];
    this.setPending(
      message.conversationId,
      list.filter((p) => p.clientMsgId !== message.clientMsgId),
    );
    this.storeMessages(message.conversationId, [message]);
  }

  onFrame(frame: ServerFrame): void {
    switch (frame.type) {
      case "messageAck":
        this.acknowledge(frame.message);
        break;
      case "typing":
        this.setTyping(
          frame.conversationId,
          frame.userId,
          frame.isTyping ? Date.now() + TYPING_SHOWN_MS : null,
        );
        break;
      case "messageReceived":
        // A message from someone ends their "typing".
        if (this.state.typing[frame.message.conversationId]?.[frame.message.senderId]) {
          this.setTyping(frame.message.conversationId, frame.message.senderId, null);
        }
        // Only a conversation whose history is loaded keeps messages; for the others the push
        // updates the list, and opening them loads their history.
        if (this.state.messages[frame.message.conversationId]) {
          this.storeMessages(frame.message.conversationId, [frame.message]);
        } else {
          this.notePreview(frame.message);
        }
        break;
      case "error":
        if (frame.clientMsgId) {
          for (const conversationId of Object.keys(this.state.pending)) {
            this.markPending(conversationId, frame.clientMsgId, "failed");
          }
        }
        break;
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
