import { readWorkerMessage, type WorkerMessage } from "../sw/notifications";
import { type ApiClient, ApiError } from "./api";
import type { Session } from "./types";

/**
 * Where notifications stand in this browser: "checking" until known; "unsupported" without service
 * workers, the Push API or notifications; "unconfigured" when the deployment has no VAPID key;
 * "blocked" when the browser denies notifications; "off"; "on" while this browser is subscribed.
 */
export type PushStatus = "checking" | "unsupported" | "unconfigured" | "blocked" | "off" | "on";

/** A push subscription, as much of it as the app uses (the browser's PushSubscription has it all). */
export type BrowserSubscription = Pick<PushSubscription, "endpoint" | "options" | "toJSON" | "unsubscribe">;

/** What the app needs from the browser's notifications, service worker and Push API. */
export interface PushBrowser {
  supported(): boolean;
  permission(): NotificationPermission;
  /** Shows the browser's prompt: call it only from a click. */
  requestPermission(): Promise<NotificationPermission>;
  subscription(): Promise<BrowserSubscription | null>;
  subscribe(applicationServerKey: Uint8Array<ArrayBuffer>): Promise<BrowserSubscription>;
  /** Closes the notifications shown for a conversation. */
  dismiss(conversationId: string): Promise<void>;
  clearBadge(): void;
}

/** The login notifications are for: the server ties each subscription to the login that registered it. */
export type PushLogin = Pick<Session, "user" | "loggedInAt">;

/** Where the user whose login made this browser's subscription is noted, across tabs and reloads. */
const OWNER_KEY = "chat.push.owner";
/** Where what the server last accepted from this browser is noted (a `Registration`), across tabs and reloads. */
const REGISTERED_KEY = "chat.push.registered";
/** How long to hold off after a 429 that gave no Retry-After. */
const RETRY_AFTER_DEFAULT_S = 60;
/**
 * How long the browser's subscribe may take. It asks the browser's push service (Google's, for
 * Chrome) for an endpoint, and without a way there (offline, say) Chrome's never settles.
 */
export const SUBSCRIBE_TIMEOUT_MS = 20_000;

/** What the user is told when the browser's subscribe does not answer in time. */
export const PUSH_SERVICE_UNREACHABLE =
  "Your browser could not reach its push service. Notifications need an internet connection; try again later.";
/**
 * What the user is told when the browser refuses a subscription although notifications are allowed:
 * Chrome's private windows have no push service, and say "permission denied".
 */
export const PUSH_REFUSED_HERE =
  "This window cannot receive notifications (private windows and some browser settings turn them off). " +
  "Use a normal window, or check the browser's notification settings.";

/** The browser's subscribe gave no answer within SUBSCRIBE_TIMEOUT_MS. */
class SubscribeTimeout extends Error {}

/**
 * Whether the browser refused to subscribe as not allowed: Chrome says so with a NotAllowedError, or
 * (in some versions) an AbortError "Registration failed - permission denied".
 */
function refused(error: unknown): boolean {
  if (!(error instanceof Error)) return false; // a DOMException is an Error too
  return (
    error.name === "NotAllowedError" ||
    (error.name === "AbortError" && /permission denied/i.test(error.message))
  );
}

/** Why the browser could not subscribe, as the user is told. */
function subscribeProblem(error: unknown): string {
  if (error instanceof SubscribeTimeout) return PUSH_SERVICE_UNREACHABLE;
  if (refused(error)) return PUSH_REFUSED_HERE;
  const reason = error instanceof Error ? ` (${error.message})` : "";
  return `This browser could not subscribe to notifications${reason}. Try again later.`;
}

/**
 * A subscription as the server last accepted it: which endpoint, for which user and login, made with
 * which server key. A start posts the subscription again only when one of them differs, since every
 * post spends one of the user's subscription requests (a few dozen an hour).
 */
interface Registration {
  endpoint: string;
  userId: string;
  /** The login's Session.loggedInAt; null for a session saved before logins were told apart. */
  loggedInAt: number | null;
  key: string;
}

function sameRegistration(a: Registration, b: Registration): boolean {
  return (
    a.endpoint === b.endpoint && a.userId === b.userId && a.loggedInAt === b.loggedInAt && a.key === b.key
  );
}

/** The VAPID public key as the bytes pushManager.subscribe takes (base64url, unpadded, in). */
export function applicationServerKey(base64url: string): Uint8Array<ArrayBuffer> {
  const base64 = base64url.replace(/-/g, "+").replace(/_/g, "/");
  const binary = atob(base64.padEnd(Math.ceil(base64.length / 4) * 4, "="));
  return Uint8Array.from(binary, (c) => c.charCodeAt(0));
}

/** False only when the subscription was made with a different key (the deployment's key changed). */
function madeWith(subscription: BrowserSubscription, key: Uint8Array): boolean {
  const used = subscription.options.applicationServerKey;
  if (!used) return true; // the browser does not say: take it as current
  const bytes = new Uint8Array(used);
  return bytes.length === key.length && bytes.every((b, i) => b === key[i]);
}

function registrationOf(subscription: BrowserSubscription, login: PushLogin, key: string): Registration {
  return {
    endpoint: subscription.endpoint,
    userId: login.user.id,
    loggedInAt: login.loggedInAt ?? null,
    key,
  };
}

/**
 * This browser's Web Push subscription for the signed-in user. It is made only when the user asks
 * (the permission prompt must come from a click), registered with the server, registered again when
 * the app starts and finds the endpoint, user, login or server key changed since (the browser may
 * replace a subscription; the server ties one to the login that posted it), and ended with the
 * login: a browser nobody is logged in on shows no one's messages.
 */
export class PushNotifications {
  private key: Promise<string | null> | null = null;
  /** After a 429, no post before this time (epoch ms); a new page load starts afresh. */
  private holdUntil = 0;
  /** Calls of the browser's subscribe so far: a late answer is undone only if no later call was made. */
  private subscribeCalls = 0;

  constructor(
    private readonly api: ApiClient,
    private readonly browser: PushBrowser,
    /** From config.json; when absent the server is asked (GET /api/push/config). */
    private readonly configuredKey: string | undefined,
    private readonly storage: Pick<Storage, "getItem" | "setItem" | "removeItem">,
    private readonly now: () => number = Date.now,
  ) {}

  /**
   * Where things stand for this login; a subscription this browser holds is posted to the server again
   * if it, the login or the key changed since the server last accepted it.
   */
  async check(login: PushLogin): Promise<PushStatus> {
    if (!this.browser.supported()) return "unsupported";
    const key = await this.publicKey();
    if (!key) return "unconfigured";
    const permission = this.browser.permission();
    if (permission === "denied") return "blocked";
    let subscription = await this.browser.subscription();
    if (!subscription) return "off";
    if (permission !== "granted" || this.storage.getItem(OWNER_KEY) !== login.user.id) {
      // Someone else's, left by a login that ended without logging out, or no longer allowed.
      await this.drop(subscription);
      return "off";
    }
    const bytes = applicationServerKey(key);
    if (!madeWith(subscription, bytes)) {
      await subscription.unsubscribe();
      try {
        subscription = await this.subscribe(bytes);
      } catch {
        // The old one is gone and no new one came: off, so the user can turn them on again.
        await this.drop();
        return "off";
      }
    }
    const registration = registrationOf(subscription, login, key);
    const registered = this.registered();
    if (registered && sameRegistration(registered, registration)) return "on";
    if (this.now() < this.holdUntil) return "on"; // told to wait: the server keeps what it had
    try {
      await this.api.addPushSubscription(subscription.toJSON());
      this.storage.setItem(REGISTERED_KEY, JSON.stringify(registration));
    } catch (error) {
      if (error instanceof ApiError && (error.status === 422 || error.status === 409)) {
        // The server will not push to it (refused, or the endpoint is held with other keys): say so
        // rather than show "on".
        await this.drop();
        return "off";
      }
      if (error instanceof ApiError && error.status === 429)
        this.holdUntil = this.now() + (error.retryAfter ?? RETRY_AFTER_DEFAULT_S) * 1000;
      // Offline or busy: the server still has it from before, and a later start posts it again.
    }
    return "on";
  }

  /** Asks the browser's permission (from a click), subscribes and registers the subscription with the server. */
  async enable(login: PushLogin): Promise<PushStatus> {
    const key = await this.publicKey();
    if (!key) return "unconfigured";
    const permission = await this.browser.requestPermission();
    if (permission === "denied") return "blocked";
    if (permission !== "granted") return "off"; // the prompt was dismissed: ask again next click
    const bytes = applicationServerKey(key);
    let subscription = await this.browser.subscription();
    if (subscription && !madeWith(subscription, bytes)) {
      await subscription.unsubscribe();
      subscription = null;
    }
    try {
      subscription ??= await this.subscribe(bytes);
    } catch (error) {
      // Refused because the user has since blocked notifications: "blocked" says what to do.
      if (refused(error) && this.browser.permission() === "denied") return "blocked";
      throw new Error(subscribeProblem(error));
    }
    try {
      await this.api.addPushSubscription(subscription.toJSON());
    } catch (error) {
      await subscription.unsubscribe().catch(() => false); // half on would be worse than off
      throw error;
    }
    this.storage.setItem(OWNER_KEY, login.user.id);
    this.storage.setItem(REGISTERED_KEY, JSON.stringify(registrationOf(subscription, login, key)));
    return "on";
  }

  /**
   * Stops this browser's notifications: the server forgets the endpoint (while the login is still good),
   * then the browser unsubscribes whatever the server said; were the server not told, the push service
   * refuses its next push and the server drops the endpoint then. Never throws: log-out relies on it.
   */
  async disable(): Promise<void> {
    if (!this.browser.supported()) return;
    const subscription = await this.browser.subscription().catch(() => null);
    if (!subscription) return;
    await this.api.removePushSubscription(subscription.endpoint).catch(() => {});
    await this.drop(subscription);
  }

  /** Unsubscribes this browser without telling the server (the login that could tell it is over). */
  async drop(held?: BrowserSubscription): Promise<void> {
    this.storage.removeItem(OWNER_KEY);
    this.storage.removeItem(REGISTERED_KEY);
    const subscription = held ?? (await this.browser.subscription().catch(() => null));
    await subscription?.unsubscribe().catch(() => false);
  }

  /** Closes a conversation's notifications once it is read here. */
  dismiss(conversationId: string): void {
    if (this.browser.supported()) void this.browser.dismiss(conversationId).catch(() => {});
  }

  clearBadge(): void {
    if (this.browser.supported()) this.browser.clearBadge();
  }

  /**
   * The browser's subscribe, given up after SUBSCRIBE_TIMEOUT_MS (rejecting with a SubscribeTimeout).
   * A subscription the browser makes after that is unsubscribed: nobody is waiting for it, and the
   * server never heard of it. Unless a later call was made since: in Chrome it returns that same
   * subscription, and that call decides what becomes of it.
   */
  private async subscribe(key: Uint8Array<ArrayBuffer>): Promise<BrowserSubscription> {
    const call = ++this.subscribeCalls;
    const subscribing = this.browser.subscribe(key);
    let timer: ReturnType<typeof setTimeout> | undefined;
    const timeUp = new Promise<"time up">((resolve) => {
      timer = setTimeout(() => resolve("time up"), SUBSCRIBE_TIMEOUT_MS);
    });
    let answer: BrowserSubscription | "time up";
    try {
      answer = await Promise.race([subscribing, timeUp]);
    } finally {
      clearTimeout(timer);
    }
    if (answer !== "time up") return answer;
    void subscribing
      .then((late) => (call === this.subscribeCalls ? late.unsubscribe() : false))
      .catch(() => false);
    throw new SubscribeTimeout("The browser's push service did not answer in time.");
  }

  /** What the server last accepted, as noted; null when nothing (readable) is. */
  private registered(): Registration | null {
    try {
      const noted = JSON.parse(this.storage.getItem(REGISTERED_KEY) ?? "null") as Registration | null;
      return typeof noted?.endpoint === "string" ? noted : null;
    } catch {
      return null; // not JSON: post again, which notes it afresh
    }
  }

  private publicKey(): Promise<string | null> {
    if (this.configuredKey) return Promise.resolve(this.configuredKey);
    this.key ??= this.api
      .pushConfig()
      .then((config) => config.vapidPublicKey || null)
      .catch((error: unknown) => {
        this.key = null; // offline: ask again next time
        throw error;
      });
    return this.key;
  }
}

/** The service worker's registration, if one is registered (none until sw.js first loads). */
async function registration(): Promise<ServiceWorkerRegistration | undefined> {
  return navigator.serviceWorker.getRegistration("/");
}

/** The real browser. */
export function browserPush(): PushBrowser {
  return {
    supported: () =>
      typeof window !== "undefined" &&
      typeof navigator !== "undefined" &&
      "serviceWorker" in navigator &&
      "PushManager" in window &&
      "Notification" in window,
    permission: () => Notification.permission,
    requestPermission: () => Notification.requestPermission(),
    subscription: async () => (await registration())?.pushManager.getSubscription() ?? null,
    subscribe: async (key) => {
      // Ready waits for the worker to be active: subscribing needs one.
      const ready = await navigator.serviceWorker.ready;
      return ready.pushManager.subscribe({ userVisibleOnly: true, applicationServerKey: key });
    },
    dismiss: async (conversationId) => {
      const shown = (await (await registration())?.getNotifications({ tag: conversationId })) ?? [];
      for (const notification of shown) notification.close();
    },
    clearBadge: () => {
      if ("clearAppBadge" in navigator) void navigator.clearAppBadge().catch(() => {});
    },
  };
}

/** Registers the service worker (push notifications need it); the app works without one. */
export function registerServiceWorker(): void {
  if (!("serviceWorker" in navigator)) return;
  navigator.serviceWorker.register("/sw.js", { scope: "/" }).catch(() => {
    // Blocked (a private window, say) or offline: only notifications are missing.
  });
}

/** Calls `listener` with each message the service worker posts to this page; returns how to stop. */
export function onWorkerMessage(listener: (message: WorkerMessage) => void): () => void {
  if (typeof navigator === "undefined" || !("serviceWorker" in navigator)) return () => {};
  const receive = (event: MessageEvent) => {
    const message = readWorkerMessage(event.data);
    if (message) listener(message);
  };
  navigator.serviceWorker.addEventListener("message", receive);
  return () => navigator.serviceWorker.removeEventListener("message", receive);
}
