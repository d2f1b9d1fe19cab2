import { readWorkerMessage, type WorkerMessage } from "../sw/notifications";
import { type ApiClient, ApiError } from "./api";

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

/** Where the user whose login made this browser's subscription is noted, across tabs and reloads. */
const OWNER_KEY = "chat.push.owner";

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

/**
 * This browser's Web Push subscription for the signed-in user. It is made only when the user asks
 * (the permission prompt must come from a click), registered with the server, kept registered when
 * the app starts (the server drops subscriptions that fail; the browser may replace one), and ended
 * with the login: a browser nobody is logged in on shows no one's messages.
 */
export class PushNotifications {
  private key: Promise<string | null> | null = null;
  /** The endpoint registered with the server since this page loaded: registered once per load. */
  private registered: string | null = null;

  constructor(
    private readonly api: ApiClient,
    private readonly browser: PushBrowser,
    /** From config.json; when absent the server is asked (GET /api/push/config). */
    private readonly configuredKey: string | undefined,
    private readonly storage: Pick<Storage, "getItem" | "setItem" | "removeItem">,
  ) {}

  /** Where things stand for `userId`; a subscription this browser holds is registered with the server again. */
  async check(userId: string): Promise<PushStatus> {
    if (!this.browser.supported()) return "unsupported";
    const key = await this.publicKey();
    if (!key) return "unconfigured";
    const permission = this.browser.permission();
    if (permission === "denied") return "blocked";
    let subscription = await this.browser.subscription();
    if (!subscription) return "off";
    if (permission !== "granted" || this.storage.getItem(OWNER_KEY) !== userId) {
      // Someone else's, left by a login that ended without logging out, or no longer allowed.
      await this.drop(subscription);
      return "off";
    }
    const bytes = applicationServerKey(key);
    if (!madeWith(subscription, bytes)) {
      await subscription.unsubscribe();
      subscription = await this.browser.subscribe(bytes);
      this.registered = null;
    }
    if (this.registered === subscription.endpoint) return "on";
    try {
      await this.api.addPushSubscription(subscription.toJSON());
      this.registered = subscription.endpoint;
    } catch (error) {
      if (error instanceof ApiError && error.status === 422) {
        await this.drop(); // the server will not push to it: say so rather than show "on"
        return "off";
      }
      // Offline or busy: the server still has it from before, and the next start registers it again.
    }
    return "on";
  }

  /** Asks the browser's permission (from a click), subscribes and registers the subscription with the server. */
  async enable(userId: string): Promise<PushStatus> {
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
      subscription ??= await this.browser.subscribe(bytes);
    } catch (error) {
      const reason = error instanceof Error ? ` (${error.message})` : "";
      throw new Error(`This browser could not subscribe to notifications${reason}. Try again later.`);
    }
    try {
      await this.api.addPushSubscription(subscription.toJSON());
    } catch (error) {
      await subscription.unsubscribe().catch(() => false); // half on would be worse than off
      throw error;
    }
    this.registered = subscription.endpoint;
    this.storage.setItem(OWNER_KEY, userId);
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
    this.registered = null;
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
