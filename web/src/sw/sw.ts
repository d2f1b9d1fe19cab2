// The service worker, served as /sw.js: it shows push notifications and opens the conversation
// they are about when clicked. No fetch handler: the app loads from the network as before.
import {
  type AppWindows,
  notificationData,
  openConversation,
  showMessageNotification,
  updateBadge,
  type WorkerMessage,
} from "./notifications";

declare const self: ServiceWorkerGlobalScope;

/** Pushes with a payload that is not JSON still get a notification (the generic one). */
function payloadOf(data: PushMessageData | null): unknown {
  try {
    return data?.json() ?? null;
  } catch {
    return null;
  }
}

const windows: AppWindows = {
  // Uncontrolled too: a page loaded before this worker was installed is still the app.
  matchAll: () => self.clients.matchAll({ type: "window", includeUncontrolled: true }),
  openWindow: (url) => self.clients.openWindow(url),
};

// Nothing is cached, so a new version can take over at once.
self.addEventListener("install", () => void self.skipWaiting());
self.addEventListener("activate", (event) => event.waitUntil(self.clients.claim()));

self.addEventListener("push", (event) => {
  event.waitUntil(showMessageNotification(self.registration, payloadOf(event.data), self.navigator));
});

self.addEventListener("notificationclick", (event) => {
  event.notification.close();
  const conversationId = notificationData(event.notification.data)?.conversationId ?? null;
  event.waitUntil(
    openConversation(conversationId, windows, self.registration.scope).finally(() =>
      updateBadge(self.registration, self.navigator),
    ),
  );
});

self.addEventListener("notificationclose", (event) => {
  event.waitUntil(updateBadge(self.registration, self.navigator));
});

/** Not in TypeScript's worker types: fired (by Firefox) when the push service replaces a subscription. */
interface PushSubscriptionChangeEvent extends ExtendableEvent {
  readonly oldSubscription: PushSubscription | null;
  readonly newSubscription: PushSubscription | null;
}

self.addEventListener("pushsubscriptionchange", (event) => {
  const change = event as PushSubscriptionChangeEvent;
  change.waitUntil(
    (async () => {
      const options = change.oldSubscription?.options;
      if (!change.newSubscription && options) await self.registration.pushManager.subscribe(options);
      // Only a page holds the login the server wants: an open one registers the new subscription now,
      // otherwise the app does when it next starts.
      const message: WorkerMessage = { type: "pushSubscriptionChanged" };
      for (const client of await windows.matchAll()) client.postMessage(message);
    })(),
  );
});
