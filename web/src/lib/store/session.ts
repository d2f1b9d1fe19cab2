import { ApiClient, type SessionKeeper } from "../api";
import { fileProblem, uploadWithTicket } from "../media";
import { PushNotifications } from "../push";
import type { Session, User } from "../types";
import type { ChatEnvironment, KeyValueStorage } from "./environment";
import { type ChatState, type ChatStateCell, loadSaved } from "./state";

/** Where the session is saved, for reloads and for every tab of this site. */
export const SESSION_KEY = "chat.session";
/** Log-out waits at most this long for the server to forget this browser's push subscription. */
const PUSH_FORGET_WAIT_MS = 3_000;

export function loadSession(storage: KeyValueStorage): Session | null {
  return loadSaved<Session | null>(storage, SESSION_KEY, null);
}

/** What the account needs from the rest of the store. */
export interface AccountHooks {
  connect(): void;
  disconnect(): void;
  /** Forgets everything the previous account held, then applies `patch`. */
  forget(patch: Partial<ChatState>): void;
  loadConversations(): Promise<void>;
  /** The reader is back: mark what is on screen read. */
  noteReading(): void;
}

/**
 * Who is signed in: signing up, in and out (here and everywhere), following another tab's, the
 * caller's own profile, and this browser's push notifications for them.
 */
export class Account {
  readonly api: ApiClient;
  readonly notifications: PushNotifications;

  constructor(
    private readonly cell: ChatStateCell,
    private readonly env: ChatEnvironment,
    config: { apiUrl: string; vapidPublicKey?: string },
    private readonly hooks: AccountHooks,
  ) {
    const keeper: SessionKeeper = {
      get: () => this.cell.state.session,
      set: (session) => {
        this.cell.update({ session });
        if (session) env.storage.setItem(SESSION_KEY, JSON.stringify(session));
        else env.storage.removeItem(SESSION_KEY);
      },
      saved: () => loadSession(env.storage),
    };
    this.api = new ApiClient(
      config.apiUrl,
      keeper,
      () => this.signedOut(),
      env.fetch,
      env.now,
      env.exclusive,
    );
    this.notifications = new PushNotifications(
      this.api,
      env.push,
      config.vapidPublicKey,
      env.storage,
      env.now,
    );
  }

  start(): void {
    if (!this.cell.state.session) return;
    this.hooks.connect();
    void this.hooks.loadConversations();
    void this.checkNotifications();
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
    this.hooks.forget({ notice: null });
    this.hooks.disconnect();
    this.hooks.connect();
    void this.hooks.loadConversations();
    void this.checkNotifications();
  }

  async logOut(): Promise<void> {
    this.hooks.disconnect();
    await this.stopNotifications();
    await this.api.logout();
    this.hooks.forget({ notice: null });
  }

  /** Ends every login of this user (other devices' sockets close too), then this one. */
  async logOutEverywhere(): Promise<void> {
    // The server closes this tab's socket too: stopped first, it does not try to come back.
    this.hooks.disconnect();
    // This browser's notifications end with the login, while its token can still tell the server.
    await this.stopNotifications();
    const same = this.cell.sameAccount();
    try {
      await this.api.logoutEverywhere();
    } catch (error) {
      // Still this login (no other tab ended it meanwhile): it carries on.
      if (same()) {
        this.hooks.connect();
        void this.checkNotifications();
      }
      throw error;
    }
    this.hooks.forget({ notice: null });
  }

  /** Another tab refreshed the tokens, or logged out: this one follows. */
  followOtherTab(): void {
    const saved = loadSession(this.env.storage);
    const mine = this.cell.state.session;
    if (saved && mine && saved.user.id === mine.user.id) {
      this.cell.update({ session: saved });
    } else if (!saved && mine) {
      this.hooks.disconnect();
      this.hooks.forget({ session: null });
    }
  }

  /** The login ended on its own (its refresh was refused). */
  private signedOut(): void {
    this.hooks.disconnect();
    // The login is over, so the server cannot be told; unsubscribed, the push service refuses the
    // server's next push and the server forgets the endpoint then.
    void this.notifications.drop();
    // Like a log-out, the account's state goes (its image previews revoked); drafts stay saved for the
    // user's next sign-in, so nothing typed is lost.
    this.hooks.forget({ notice: "Your session ended. Log in again to carry on; your unsent text is kept." });
  }

  /** Finds out where notifications stand in this browser (asked again each time the profile opens). */
  async checkNotifications(): Promise<void> {
    const session = this.cell.state.session;
    if (!session) return;
    const same = this.cell.sameAccount();
    try {
      const status = await this.notifications.check(session);
      if (same()) this.cell.update({ webPush: status });
    } catch {
      // Offline: the status stays as it was until the next check.
    }
  }

  /** Turns notifications on for this browser: the permission prompt comes from the click calling this. */
  async enableNotifications(): Promise<void> {
    const session = this.cell.state.session;
    if (!session) return;
    const same = this.cell.sameAccount();
    const status = await this.notifications.enable(session);
    if (same()) this.cell.update({ webPush: status });
  }

  async disableNotifications(): Promise<void> {
    const same = this.cell.sameAccount();
    await this.notifications.disable();
    if (same()) this.cell.update({ webPush: "off" });
  }

  /** Log-out's first step: the server forgets this browser's subscription, waiting a little at most. */
  private async stopNotifications(): Promise<void> {
    let timer: ReturnType<ChatEnvironment["setTimeout"]> | undefined;
    const waited = new Promise<void>((resolve) => {
      timer = this.env.setTimeout(resolve, PUSH_FORGET_WAIT_MS);
    });
    try {
      await Promise.race([this.notifications.disable(), waited]);
    } finally {
      this.env.clearTimeout(timer);
    }
  }

  /** The reader is back: the badge has done its job, and what is on screen gets read. */
  noteAttention(): void {
    if (this.env.hasAttention()) this.notifications.clearBadge();
    this.hooks.noteReading();
  }

  /** Loads the caller's own profile, which alone says whether notifications show previews. */
  async loadProfile(): Promise<void> {
    const same = this.cell.sameAccount();
    try {
      const user = await this.api.me();
      if (same()) this.takeProfile(user);
    } catch {
      // Offline: the previews switch waits (disabled) for the next opening.
    }
  }

  /** Whether this user's notifications (on every device) show what messages say. Errors go to the caller. */
  async setNotificationPreviews(on: boolean): Promise<void> {
    const same = this.cell.sameAccount();
    const user = await this.api.updateProfile({ notificationPreviews: on });
    if (same()) this.takeProfile(user);
  }

  /** Changes the display name and, given an image, the profile picture (uploaded straight to S3). */
  async updateProfile(
    displayName: string,
    picture: Blob | null,
    onProgress: (f: number) => void,
  ): Promise<void> {
    const changes: { displayName?: string; avatarMediaId?: string } = {};
    const me = this.cell.state.session?.user;
    if (!me) return;
    const same = this.cell.sameAccount();
    if (displayName.trim() && displayName.trim() !== me.displayName) changes.displayName = displayName.trim();
    if (picture) {
      const problem = fileProblem({ name: "The picture", type: picture.type, size: picture.size }, true);
      if (problem) throw new Error(problem);
      const ticket = await this.api.avatarTicket(picture);
      await uploadWithTicket(ticket, picture, onProgress, this.env.postForm);
      changes.avatarMediaId = ticket.mediaId;
    }
    // Signed in as someone else by now, the change would be made to their profile.
    if (!Object.keys(changes).length || !same()) return;
    const user = await this.api.updateProfile(changes);
    if (same()) this.takeProfile(user);
  }

  private takeProfile(user: User): void {
    const session = this.cell.state.session;
    if (!session || session.user.id !== user.id) return;
    const updated = { ...session, user };
    this.env.storage.setItem(SESSION_KEY, JSON.stringify(updated));
    this.cell.update({ session: updated, users: { ...this.cell.state.users, [user.id]: user } });
  }
}
