import type { ApiClient } from "../api";
import type { SocketPort } from "../socket";
import type { Message, ServerFrame } from "../types";
import { Blocks } from "./blocks";
import { ConversationList } from "./conversations";
import { Drafts } from "./drafts";
import { browserEnvironment, type ChatEnvironment } from "./environment";
import { History } from "./history";
import { Outbox } from "./outbox";
import { Receipts } from "./receipts";
import { MessageSearch } from "./search";
import { Account, loadSession, SESSION_KEY } from "./session";
import { type ChatState, ChatStateCell, type Jump, NO_ACCOUNT } from "./state";
import { TypingIndicators } from "./typing";
import { Uploads } from "./uploads";

/** Error codes from the socket worth telling the reader about (e.g. editing a deleted message). */
const REPORTED_SOCKET_ERRORS = new Set(["conflict", "forbidden", "not_found", "rate_limited"]);

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

function initialState(env: ChatEnvironment): ChatState {
  return {
    session: loadSession(env.storage),
    status: "connecting",
    ...NO_ACCOUNT,
    users: {},
    drafts: {},
    typing: {},
    notice: null,
    slowDownUntil: null,
    webPush: "checking",
  };
}

/**
 * The app's state and everything that changes it, in parts (account, list, history, receipts, outbox,
 * uploads, typing) that share one state. Components read it through `subscribe` and `getState`
 * (useChatSelector) and call the methods here, which hand each job to its part.
 */
export class ChatStore {
  readonly api: ApiClient;
  private readonly cell: ChatStateCell;
  private readonly socket: SocketPort;
  private readonly account: Account;
  private readonly list: ConversationList;
  private readonly receipts: Receipts;
  private readonly history: History;
  private readonly outbox: Outbox;
  private readonly uploads: Uploads;
  private readonly typing: TypingIndicators;
  private readonly drafts: Drafts;
  private readonly finder: MessageSearch;
  private readonly blocks: Blocks;

  constructor(config: Config, env: ChatEnvironment = browserEnvironment()) {
    const cell = new ChatStateCell(initialState(env));
    this.cell = cell;
    this.account = new Account(cell, env, config, {
      connect: () => this.socket.start(),
      disconnect: () => this.socket.stop(),
      forget: (patch) => this.forgetAccount(patch),
      loadConversations: async () => {
        await Promise.all([this.list.load(), this.blocks.load()]);
      },
      noteReading: () => this.receipts.noteReading(),
    });
    const api = this.account.api;
    this.api = api;
    this.socket = env.openSocket({
      url: async () => {
        const token = await api.accessToken();
        const base = resolveWsUrl(config.wsUrl, env.location());
        return token ? `${base}?token=${encodeURIComponent(token)}` : null;
      },
      onFrame: (frame) => this.onFrame(frame),
      onStatus: (status) => cell.update({ status }),
      onReconnect: () => {
        void this.history.catchUp();
        void this.blocks.load();
      },
      // Ask the API whether the login still stands: if it ended (log-out everywhere, a reused
      // refresh token), the refresh is refused and the user is told, instead of "reconnecting".
      onRefused: () => void api.me().catch(() => {}),
    });
    this.list = new ConversationList(cell, env, api, {
      noteCopies: (incoming, moveCursors) => this.history.noteCopies(incoming, moveCursors),
      noteArrived: (conversation) => this.receipts.noteArrived(conversation),
    });
    this.receipts = new Receipts(cell, env, api, this.socket, this.list, this.account.notifications);
    this.history = new History(cell, env, api, this.list, this.receipts);
    this.uploads = new Uploads(cell, env, api);
    this.outbox = new Outbox(cell, env, api, this.socket, this.uploads, this.history);
    this.typing = new TypingIndicators(cell, env, this.socket);
    this.drafts = new Drafts(cell, env.storage);
    this.finder = new MessageSearch(cell, api, this.list);
    this.blocks = new Blocks(cell, api);
    env.onStorage((key) => {
      if (key === SESSION_KEY) this.account.followOtherTab();
      this.drafts.followOtherTab(key);
    });
    env.onPage("online", () => this.socket.reconnectNow());
    env.onPage("offline", () => this.socket.drop());
    // Coming back to the tab or the window is when the reader sees what arrived meanwhile.
    env.onPage("focus", () => this.account.noteAttention());
    env.onPage("visibilitychange", () => this.account.noteAttention());
  }

  subscribe = (listener: () => void): (() => void) => this.cell.subscribe(listener);

  getState = (): ChatState => this.cell.state;

  /** Forgets what belonged to the previous account, every part's and the state's. */
  private forgetAccount(patch: Partial<ChatState>): void {
    this.cell.nextAccount();
    this.list.forget();
    this.history.forget();
    this.receipts.forget();
    this.outbox.forget();
    this.uploads.forget();
    this.finder.clear();
    this.cell.update({ ...NO_ACCOUNT, slowDownUntil: null, webPush: "checking", ...patch });
    this.drafts.followAccount();
  }

  // --- session, profile and notifications ------------------------------------------

  start(): void {
    this.account.start();
  }

  signUp(username: string, password: string, displayName: string): Promise<void> {
    return this.account.signUp(username, password, displayName);
  }

  logIn(username: string, password: string): Promise<void> {
    return this.account.logIn(username, password);
  }

  logOut(): Promise<void> {
    return this.account.logOut();
  }

  /** Ends every login of this user (other devices' sockets close too), then this one. */
  logOutEverywhere(): Promise<void> {
    return this.account.logOutEverywhere();
  }

  checkNotifications(): Promise<void> {
    return this.account.checkNotifications();
  }

  /** The permission prompt comes from the click calling this. */
  enableNotifications(): Promise<void> {
    return this.account.enableNotifications();
  }

  disableNotifications(): Promise<void> {
    return this.account.disableNotifications();
  }

  loadProfile(): Promise<void> {
    return this.account.loadProfile();
  }

  /** Errors go to the caller. */
  setNotificationPreviews(on: boolean): Promise<void> {
    return this.account.setNotificationPreviews(on);
  }

  updateProfile(displayName: string, picture: Blob | null, onProgress: (f: number) => void): Promise<void> {
    return this.account.updateProfile(displayName, picture, onProgress);
  }

  // --- the composer ------------------------------------------------------------------

  /** The composer's text changed: only the typing indicator hears of it (no state change, no storage). */
  typed(conversationId: string, text: string): void {
    this.typing.typed(conversationId, text);
  }

  /** Keeps the draft in the state and in storage: the composer calls it debounced, on send and on unmount. */
  saveDraft(conversationId: string, text: string): void {
    this.drafts.save(conversationId, text);
  }

  /** The next message sent in `message`'s conversation quotes it. */
  replyTo(message: Message): void {
    this.outbox.replyTo(message);
  }

  cancelReply(conversationId: string): void {
    this.outbox.cancelReply(conversationId);
  }

  /** Sends the text with every finished upload (quoting the message replied to); false when there is nothing to send yet. */
  send(conversationId: string, text: string): boolean {
    return this.outbox.send(conversationId, text);
  }

  /** Sends a failed message again with the same clientMsgId, so it can never arrive twice. */
  retry(conversationId: string, clientMsgId: string): void {
    this.outbox.retry(conversationId, clientMsgId);
  }

  /** Checks each file, then uploads the good ones straight to S3 with a progress bar each. */
  attach(conversationId: string, files: File[]): void {
    this.uploads.attach(conversationId, files);
  }

  removeUpload(conversationId: string, uploadId: string): void {
    this.uploads.remove(conversationId, uploadId);
  }

  // --- conversations, groups and people ------------------------------------------------

  loadConversations(): Promise<void> {
    return this.list.load();
  }

  /** Archives a conversation for this user (until a new message comes), or unarchives it. */
  setArchived(conversationId: string, archived: boolean): Promise<void> {
    return this.list.setArchived(conversationId, archived);
  }

  /** Mutes a conversation's notifications for this user for `forMs`, or until unmuted when null. */
  mute(conversationId: string, forMs: number | null): Promise<void> {
    return this.list.mute(conversationId, forMs);
  }

  unmute(conversationId: string): Promise<void> {
    return this.list.unmute(conversationId);
  }

  /** Makes sure a conversation is held (one a notification opened may be past the list's first page). */
  ensureConversation(conversationId: string): Promise<void> {
    return this.list.ensureConversation(conversationId);
  }

  openDirect(userId: string): Promise<string | null> {
    return this.list.openDirect(userId);
  }

  createGroup(name: string, memberIds: string[]): Promise<string> {
    return this.list.createGroup(name, memberIds);
  }

  ensureUsers(ids: string[]): Promise<void> {
    return this.list.ensureUsers(ids);
  }

  // Admins add, remove and rename; anyone may remove themselves (leave). Errors go to the caller.

  addMembers(groupId: string, userIds: string[]): Promise<void> {
    return this.list.takeGroup(this.api.addMembers(groupId, userIds));
  }

  removeMember(groupId: string, userId: string): Promise<void> {
    return this.list.takeGroup(this.api.removeMember(groupId, userId));
  }

  leaveGroup(groupId: string): Promise<void> {
    return this.removeMember(groupId, this.cell.me);
  }

  renameGroup(groupId: string, name: string): Promise<void> {
    return this.list.takeGroup(this.api.renameGroup(groupId, name));
  }

  // --- history, catch-up and receipts ----------------------------------------------------

  /**
   * Shows a conversation: loads its newest page unless its history is held. A group's copies carry only
   * this user's receipt, so every opening (and every history reload) also asks who has got how far.
   */
  openConversation(conversationId: string): Promise<void> {
    return this.history.open(conversationId);
  }

  /** Loads the page before the oldest message held; a failure is shown as a notice. */
  loadOlder(conversationId: string): Promise<boolean> {
    return this.history.loadOlder(conversationId);
  }

  /** Media links expire: when one fails to load, reload the loaded history to get fresh ones. */
  refreshLinks(conversationId: string): Promise<void> {
    return this.history.refreshLinks(conversationId);
  }

  /** After a reconnect: what changed in each conversation since its cursor. */
  catchUp(): Promise<void> {
    return this.history.catchUp();
  }

  /** The view says which conversation is on screen and whether its newest message is in view. */
  viewConversation(conversationId: string | null, atBottom = true): void {
    this.receipts.view(conversationId, atBottom);
  }

  /**
   * Shows a message of a conversation (a quote or a search result was clicked): its history is loaded
   * back to it, and the list scrolls to it. The conversation itself may have to be fetched first.
   */
  async jumpTo(conversationId: string, messageId: string, seq: number): Promise<void> {
    const same = this.cell.sameAccount();
    await this.list.ensureConversation(conversationId);
    if (!same()) return; // signed out (or in as someone else) meanwhile: nothing of this is theirs
    if (this.list.find(conversationId)) await this.history.jumpTo(conversationId, messageId, seq);
    else this.cell.update({ notice: "That chat can no longer be opened." });
  }

  /** The list has shown the message `jump` asked for. */
  jumped(jump: Jump): void {
    this.history.jumped(jump);
  }

  // --- search --------------------------------------------------------------------------

  /** Finds messages holding every word of `query`: in one conversation, or (null) in every chat. */
  searchMessages(query: string, conversationId: string | null): Promise<void> {
    return this.finder.search(query, conversationId);
  }

  /** The next page of results. */
  searchMore(): Promise<void> {
    return this.finder.more();
  }

  closeSearch(): void {
    this.finder.clear();
  }

  // --- blocking ------------------------------------------------------------------------

  /** Asks again whom this user blocked (another device may have blocked someone since). */
  loadBlocks(): Promise<void> {
    return this.blocks.load();
  }

  /** Blocks someone: they can no longer send to this user's direct chat with them. False if it failed. */
  block(userId: string): Promise<boolean> {
    return this.blocks.set(userId, true);
  }

  unblock(userId: string): Promise<boolean> {
    return this.blocks.set(userId, false);
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
    const same = this.cell.sameAccount();
    overHttp()
      .then((message) => {
        if (!same()) return;
        this.history.takeUpdate(message);
        this.finder.takeUpdate(message);
      })
      .catch((error: unknown) => {
        if (same()) this.cell.report(error);
      });
  }

  // --- what the server pushes --------------------------------------------------------

  onFrame(frame: ServerFrame): void {
    switch (frame.type) {
      case "messageAck":
        // Someone else's message pushed before this one may still be on its way (or lost).
        this.history.noteGap(frame.message);
        this.outbox.acknowledge(frame.message);
        this.history.noteVersion(frame.message.conversationId, frame.version);
        break;
      case "typing":
        this.typing.show(frame.conversationId, frame.userId, frame.isTyping);
        break;
      case "messageReceived":
        this.typing.stopShowing(frame.message.conversationId, frame.message.senderId);
        this.history.takePushed(frame.message, frame.version);
        break;
      case "receipt":
        this.receipts.noteReceipt(frame);
        break;
      case "presence":
        this.list.takePresence(frame);
        break;
      case "messageUpdated":
        this.history.takeUpdate(frame.message);
        this.finder.takeUpdate(frame.message);
        this.history.noteVersion(frame.message.conversationId, frame.version);
        break;
      case "archivedChanged":
        // Archived or unarchived on one of this user's devices: its version moves no cursor.
        this.list.takeArchived(frame.conversation);
        break;
      case "mutedChanged":
        // Muted or unmuted on one of this user's devices: likewise.
        this.list.takeMuted(frame.conversation);
        break;
      case "conversationUpdated":
        // unreadCount is null here: the held count stays. The copy itself moves no cursor (it only
        // starts one for a conversation seen for the first time, e.g. a group we were just added to);
        // its version does, like any pushed change's.
        this.list.take([frame.conversation]);
        this.history.noteVersion(frame.conversation.id, frame.conversation.version);
        void this.list.ensureUsers(frame.conversation.memberIds);
        break;
      case "error":
        this.onError(frame);
        break;
      case "pong":
        break;
    }
  }

  private onError(frame: Extract<ServerFrame, { type: "error" }>): void {
    if (this.outbox.refused(frame)) return;
    const tooMany = frame.code === "rate_limited";
    if (
      tooMany &&
      (frame.action === "typing" || frame.action === "markDelivered" || frame.action === "markRead")
    ) {
      // Nothing the user asked for: typing pauses; receipts are forgotten as sent and go again once
      // the wait is over (the server keeps the highest, so nothing goes back).
      const wait = (frame.retryAfter ?? 5) * 1000;
      if (frame.action === "typing") this.typing.pause(wait);
      else this.receipts.refusedAsTooMany(wait);
    } else if (REPORTED_SOCKET_ERRORS.has(frame.code)) {
      this.cell.update({ notice: frame.message });
    }
  }

  dismissNotice(): void {
    this.cell.update({ notice: null });
  }
}
