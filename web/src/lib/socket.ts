import type { ServerFrame } from "./types";

export type ConnectionStatus = "connecting" | "online" | "offline";

/** API Gateway drops a socket after 10 idle minutes: ping well inside that. */
export const HEARTBEAT_MS = 4 * 60_000;
export const MAX_BACKOFF_MS = 30_000;
const BASE_BACKOFF_MS = 500;

/** Full jitter: a random wait up to an exponentially growing cap, so clients don't reconnect in lockstep. */
export function backoffDelay(attempt: number, random: () => number = Math.random): number {
  return Math.floor(random() * Math.min(MAX_BACKOFF_MS, BASE_BACKOFF_MS * 2 ** attempt));
}

interface SocketLike {
  readyState: number;
  onopen: ((event: unknown) => void) | null;
  onclose: ((event: unknown) => void) | null;
  onmessage: ((event: { data: unknown }) => void) | null;
  onerror: ((event: unknown) => void) | null;
  send(data: string): void;
  close(): void;
}

export interface Timers {
  setTimeout(fn: () => void, ms: number): unknown;
  clearTimeout(handle: unknown): void;
  setInterval(fn: () => void, ms: number): unknown;
  clearInterval(handle: unknown): void;
}

export interface ChatSocketOptions {
  /** The URL to open, with a fresh token; null when signed out (then nothing connects). */
  url: () => Promise<string | null>;
  onFrame: (frame: ServerFrame) => void;
  onStatus: (status: ConnectionStatus) => void;
  /** Called after every reconnect (not the first connect): time to catch up on what was missed. */
  onReconnect: () => void;
  /**
   * A socket closed before it opened: the network, or a refused handshake (a browser is not told
   * which, nor the status), such as a token whose login was ended on another device.
   */
  onRefused?: () => void;
  createSocket?: (url: string) => SocketLike;
  timers?: Timers;
  random?: () => number;
}

const OPEN = 1;

/** What the store needs from the socket (tests hand it a fake). */
export interface SocketPort {
  start(): void;
  stop(): void;
  send(frame: object): boolean;
  drop(): void;
  reconnectNow(): void;
}

/** The WebSocket to the chat: reconnects with backoff and jitter, pings to stay alive. */
export class ChatSocket implements SocketPort {
  private socket: SocketLike | null = null;
  private attempt = 0;
  private everConnected = false;
  private stopped = false;
  private retryTimer: unknown = null;
  private heartbeat: unknown = null;
  private readonly timers: Timers;
  private readonly createSocket: (url: string) => SocketLike;

  constructor(private readonly options: ChatSocketOptions) {
    this.timers = options.timers ?? {
      setTimeout: (fn, ms) => globalThis.setTimeout(fn, ms),
      clearTimeout: (handle) => globalThis.clearTimeout(handle as number),
      setInterval: (fn, ms) => globalThis.setInterval(fn, ms),
      clearInterval: (handle) => globalThis.clearInterval(handle as number),
    };
    this.createSocket = options.createSocket ?? ((url) => new WebSocket(url) as unknown as SocketLike);
  }

  get isOpen(): boolean {
    return this.socket?.readyState === OPEN;
  }

  start(): void {
    this.stopped = false;
    void this.open();
  }

  stop(): void {
    this.stopped = true;
    this.timers.clearTimeout(this.retryTimer);
    this.stopHeartbeat();
    const socket = this.socket;
    this.socket = null;
    socket?.close();
  }

  /** Sends a frame; false when the socket is not open (the caller decides what to do). */
  send(frame: object): boolean {
    if (!this.isOpen || !this.socket) return false;
    this.socket.send(JSON.stringify(frame));
    return true;
  }

  /** Drops the connection (the browser says it is offline); the usual reconnect logic takes over. */
  drop(): void {
    this.socket?.close();
  }

  /** Reconnects now instead of waiting out the backoff (e.g. the browser came back online). */
  reconnectNow(): void {
    if (this.stopped || this.isOpen) return;
    this.timers.clearTimeout(this.retryTimer);
    this.attempt = 0;
    void this.open();
  }

  private async open(): Promise<void> {
    if (this.stopped) return;
    this.options.onStatus("connecting");
    let url: string | null;
    try {
      url = await this.options.url();
    } catch {
      url = null;
    }
    if (this.stopped) return;
    if (!url) {
      this.scheduleRetry();
      return;
    }
    const socket = this.createSocket(url);
    this.socket = socket;
    let opened = false;
    socket.onopen = () => {
      opened = true;
      const reconnected = this.everConnected;
      this.everConnected = true;
      this.attempt = 0;
      this.options.onStatus("online");
      this.startHeartbeat();
      if (reconnected) this.options.onReconnect();
    };
    socket.onmessage = (event) => {
      try {
        this.options.onFrame(JSON.parse(String(event.data)) as ServerFrame);
      } catch {
        // not JSON: nothing this client understands
      }
    };
    socket.onclose = () => {
      if (this.socket !== socket) return;
      this.socket = null;
      this.stopHeartbeat();
      if (this.stopped) return;
      this.scheduleRetry();
      if (!opened) this.options.onRefused?.();
    };
    socket.onerror = () => socket.close();
  }

  private scheduleRetry(): void {
    this.options.onStatus("offline");
    const delay = backoffDelay(this.attempt, this.options.random);
    this.attempt += 1;
    this.retryTimer = this.timers.setTimeout(() => void this.open(), delay);
  }

  private startHeartbeat(): void {
    this.stopHeartbeat();
    this.heartbeat = this.timers.setInterval(() => this.send({ action: "ping" }), HEARTBEAT_MS);
  }

  private stopHeartbeat(): void {
    if (this.heartbeat !== null) this.timers.clearInterval(this.heartbeat);
    this.heartbeat = null;
  }
}
