// What the service worker does with a push and a click, as plain functions over the few browser
// objects they touch: the worker (sw.ts) only wires events to them, and tests call them directly.
// The page imports the message names from here too; nothing here needs the DOM or worker types.

import type { MessagePush } from "../lib/generated/frames";

/** The Web Push payload the server sends for a new message (docs/API.md, "Push notifications"). */
export type { MessagePush };

/** The page URL parameter that opens a conversation: /?conversation=<id>. */
export const CONVERSATION_PARAM = "conversation";

/** What the worker tells the app's windows. */
export type WorkerMessage =
  /** A notification was clicked: show this conversation. */
  | { type: "openConversation"; conversationId: string }
  /** The browser replaced the push subscription: the app registers the new one with the server. */
  | { type: "pushSubscriptionChanged" };

/** What a shown notification carries, read back from `notification.data`. */
export interface NotificationData {
  conversationId: string | null;
  /**
   * The messages already counted, oldest first, at most COUNTED_IDS_KEPT of them: a push delivered
   * again (a retry, any of the burst's) is not counted twice.
   */
  messageIds: string[];
  /** Messages collapsed into this notification (a burst in one conversation shows once). */
  count: number;
}

/** The options this worker gives showNotification (`renotify` is missing from TypeScript's DOM types). */
export interface NotificationSpec {
  body: string;
  tag: string;
  renotify: boolean;
  icon: string;
  badge: string;
  data: NotificationData;
}

export interface MessageNotification {
  title: string;
  options: NotificationSpec;
}

/** A notification the browser is showing. */
export interface ShownNotification {
  readonly data: unknown;
  close(): void;
}

/** The worker's registration, as far as notifications go. */
export interface NotificationRegistration {
  readonly scope: string;
  showNotification(title: string, options: NotificationSpec): Promise<void>;
  getNotifications(filter?: { tag: string }): Promise<readonly ShownNotification[]>;
}

/** The installed app's icon badge (Badging API), where the browser has one. */
export interface AppBadge {
  setAppBadge?(count: number): Promise<void>;
  clearAppBadge?(): Promise<void>;
}

/** A window of the app, as the worker's Clients API lists it. */
export interface AppWindow {
  readonly url: string;
  readonly focused: boolean;
  readonly visibilityState: string;
  focus(): Promise<unknown>;
  postMessage(message: WorkerMessage): void;
}

export interface AppWindows {
  /** Every window of this origin, the most recently focused first (the Clients API's order). */
  matchAll(): Promise<readonly AppWindow[]>;
  openWindow(url: string): Promise<unknown>;
}

const APP_NAME = "Chat";
const ICON = "/icons/icon-192.png";
/** Android's status bar draws only this image's alpha: a white glyph on transparent. */
const BADGE = "/icons/badge-96.png";
/** Pushes the worker cannot read share one notification, as one conversation's do. */
const UNKNOWN_TAG = "chat";
/**
 * How many message ids a notification remembers: far more than a push service redelivers across
 * (a retry comes within minutes), few enough to keep its data small (about 3 KB).
 */
export const COUNTED_IDS_KEPT = 100;

function text(value: unknown): string | null {
  return typeof value === "string" && value.trim() !== "" ? value : null;
}

/** The payload as a message push, or null when it is not one (an older server, a test push, garbage). */
export function readMessagePush(payload: unknown): MessagePush | null {
  if (typeof payload !== "object" || payload === null) return null;
  const p = payload as Record<string, unknown>;
  const conversationId = text(p.conversationId);
  if (p.type !== "message" || !conversationId) return null;
  return {
    type: "message",
    conversationId,
    messageId: text(p.messageId) ?? "",
    seq: typeof p.seq === "number" ? p.seq : 0,
    title: text(p.title) ?? APP_NAME,
    body: text(p.body) ?? "New message",
    conversationType: p.conversationType === "group" ? "group" : "direct",
    senderId: text(p.senderId) ?? "",
    mention: p.mention === true,
  };
}

/** Reads back what an earlier notification of the same conversation carried. */
export function notificationData(data: unknown): NotificationData | null {
  if (typeof data !== "object" || data === null) return null;
  const d = data as Record<string, unknown>;
  // A notification shown by an earlier version of this worker has only the latest `messageId`.
  const ids = Array.isArray(d.messageIds) ? d.messageIds : [d.messageId];
  return {
    conversationId: text(d.conversationId),
    messageIds: ids.map(text).filter((id): id is string => id !== null),
    count: typeof d.count === "number" && d.count > 0 ? d.count : 1,
  };
}

/**
 * The notification for a pushed message. Tagged with its conversation, so a burst replaces one
 * notification (alerting again, `renotify`) that counts the messages; a message pushed again (a
 * retried delivery, of the latest or an earlier one) is not counted twice. A push that is not a
 * message still shows one: a push with userVisibleOnly must.
 */
export function messageNotification(
  message: MessagePush | null,
  previous: NotificationData | null = null,
): MessageNotification {
  if (!message) {
    return {
      title: APP_NAME,
      options: {
        body: "New message",
        tag: UNKNOWN_TAG,
        renotify: true,
        icon: ICON,
        badge: BADGE,
        data: { conversationId: null, messageIds: [], count: 1 },
      },
    };
  }
  // A push without a message id cannot be told from another: it counts.
  const repeated = message.messageId !== "" && (previous?.messageIds.includes(message.messageId) ?? false);
  const count = previous ? previous.count + (repeated ? 0 : 1) : 1;
  const counted = previous?.messageIds ?? [];
  const messageIds = repeated || message.messageId === "" ? counted : [...counted, message.messageId];
  return {
    title: count > 1 ? `${message.title} (${count} new messages)` : message.title,
    options: {
      body: message.body,
      tag: message.conversationId,
      renotify: true,
      icon: ICON,
      badge: BADGE,
      data: {
        conversationId: message.conversationId,
        messageIds: messageIds.slice(-COUNTED_IDS_KEPT),
        count,
      },
    },
  };
}

/** Shows the notification for a push, folding it into the one its conversation already shows. */
export async function showMessageNotification(
  registration: NotificationRegistration,
  payload: unknown,
  badge: AppBadge,
): Promise<void> {
  const message = readMessagePush(payload);
  const tag = message?.conversationId ?? UNKNOWN_TAG;
  const [shown] = await registration.getNotifications({ tag });
  const { title, options } = messageNotification(message, shown ? notificationData(shown.data) : null);
  await registration.showNotification(title, options);
  await updateBadge(registration, badge);
}

/** The installed app's badge counts the notifications showing; none clears it. */
export async function updateBadge(registration: NotificationRegistration, badge: AppBadge): Promise<void> {
  const count = (await registration.getNotifications()).length;
  try {
    if (count > 0) await badge.setAppBadge?.(count);
    else await badge.clearAppBadge?.();
  } catch {
    // Not installed, or the browser declines: the notifications themselves still show.
  }
}

/** The app's address that opens a conversation, for when no window of it is open. */
export function conversationUrl(scope: string, conversationId: string | null): string {
  const url = new URL(scope);
  if (conversationId) url.searchParams.set(CONVERSATION_PARAM, conversationId);
  return url.href;
}

/** The conversation a page address asks to open, if any. */
export function conversationFromUrl(href: string): string | null {
  return text(new URL(href).searchParams.get(CONVERSATION_PARAM));
}

/** The app window to bring forward: the focused one, else a visible one, else the last used. */
export function pickWindow(windows: readonly AppWindow[], scope: string): AppWindow | null {
  const app = windows.filter((w) => w.url.startsWith(scope));
  return app.find((w) => w.focused) ?? app.find((w) => w.visibilityState === "visible") ?? app[0] ?? null;
}

/**
 * A click on a notification: an open window of the app comes forward and shows the conversation
 * (it is told with a message, keeping its state and socket); with none open, the app opens on it.
 */
export async function openConversation(
  conversationId: string | null,
  windows: AppWindows,
  scope: string,
): Promise<void> {
  const app = pickWindow(await windows.matchAll(), scope);
  if (!app) {
    await windows.openWindow(conversationUrl(scope, conversationId));
    return;
  }
  if (conversationId) app.postMessage({ type: "openConversation", conversationId });
  await app.focus();
}

/** A message from the worker, checked: the page listens to anything posted to it. */
export function readWorkerMessage(data: unknown): WorkerMessage | null {
  if (typeof data !== "object" || data === null) return null;
  const d = data as Record<string, unknown>;
  if (d.type === "openConversation" && text(d.conversationId))
    return { type: "openConversation", conversationId: d.conversationId as string };
  if (d.type === "pushSubscriptionChanged") return { type: "pushSubscriptionChanged" };
  return null;
}
