import { type Exclusive, type Fetch, webLocks } from "../api";
import { type PostForm, postForm } from "../media";
import { browserPush, type PushBrowser } from "../push";
import { ChatSocket, type ChatSocketOptions, type SocketPort } from "../socket";

export type Timer = ReturnType<typeof setTimeout>;

/** Page events the store follows: the reader coming back, and the network coming and going. */
export type PageEvent = "focus" | "visibilitychange" | "online" | "offline";

export type KeyValueStorage = Pick<Storage, "getItem" | "setItem" | "removeItem">;

/**
 * Everything the store takes from the browser. The browser's own is `browserEnvironment()`; tests
 * hand the store a fake, so none of them patches a global.
 */
export interface ChatEnvironment {
  /** Saved across reloads and shared by this site's tabs (localStorage). */
  storage: KeyValueStorage;
  now(): number;
  setTimeout(run: () => void, ms: number): Timer;
  clearTimeout(timer: Timer | null | undefined): void;
  /** The reader is looking: the tab is shown and the window has focus. */
  hasAttention(): boolean;
  /** Follows a page event; returns how to stop. */
  onPage(event: PageEvent, listener: () => void): () => void;
  /** Follows changes another tab makes to `storage` (the key changed, null when it was cleared). */
  onStorage(listener: (key: string | null) => void): () => void;
  /** Where the page was loaded from: a WebSocket path is on its host. */
  location(): { protocol: string; host: string };
  fetch: Fetch;
  /** Cross-tab locks (Web Locks): one tab at a time spends the single-use refresh token. */
  exclusive: Exclusive;
  /** The presigned S3 form POST, with progress. */
  postForm: PostForm;
  /** Object URLs for the previews of images being sent; each is revoked once nothing shows it. */
  createObjectURL(blob: Blob): string;
  revokeObjectURL(url: string): void;
  openSocket(options: ChatSocketOptions): SocketPort;
  push: PushBrowser;
}

/** The real browser. Globals are read when used, so this may be built before the page has them all. */
export function browserEnvironment(): ChatEnvironment {
  return {
    storage: {
      getItem: (key) => localStorage.getItem(key),
      setItem: (key, value) => localStorage.setItem(key, value),
      removeItem: (key) => localStorage.removeItem(key),
    },
    now: () => Date.now(),
    setTimeout: (run, ms) => setTimeout(run, ms),
    clearTimeout: (timer) => clearTimeout(timer ?? undefined),
    hasAttention: () => document.visibilityState === "visible" && document.hasFocus(),
    onPage: (event, listener) => {
      const target: EventTarget = event === "visibilitychange" ? document : window;
      target.addEventListener(event, listener);
      return () => target.removeEventListener(event, listener);
    },
    onStorage: (listener) => {
      const follow = (event: StorageEvent) => listener(event.key);
      window.addEventListener("storage", follow);
      return () => window.removeEventListener("storage", follow);
    },
    location: () => window.location,
    fetch: (input, init) => fetch(input, init),
    exclusive: webLocks,
    postForm,
    createObjectURL: (blob) => URL.createObjectURL(blob),
    revokeObjectURL: (url) => URL.revokeObjectURL(url),
    openSocket: (options) => new ChatSocket(options),
    push: browserPush(),
  };
}
