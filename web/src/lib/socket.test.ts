import { describe, expect, it } from "vitest";
import { backoffDelay, ChatSocket, HEARTBEAT_MS, MAX_BACKOFF_MS, type Timers } from "./socket";

class FakeSocket {
  readyState = 0;
  sent: string[] = [];
  onopen: ((e: unknown) => void) | null = null;
  onclose: ((e: unknown) => void) | null = null;
  onmessage: ((e: { data: unknown }) => void) | null = null;
  onerror: ((e: unknown) => void) | null = null;
  send(data: string) {
    this.sent.push(data);
  }
  close() {
    this.readyState = 3;
    this.onclose?.({});
  }
  open() {
    this.readyState = 1;
    this.onopen?.({});
  }
}

class FakeTimers implements Timers {
  timeouts: Array<{ fn: () => void; ms: number }> = [];
  intervals: Array<{ fn: () => void; ms: number }> = [];
  setTimeout(fn: () => void, ms: number) {
    this.timeouts.push({ fn, ms });
    return this.timeouts.length;
  }
  clearTimeout() {}
  setInterval(fn: () => void, ms: number) {
    this.intervals.push({ fn, ms });
    return this.intervals.length;
  }
  clearInterval(handle: unknown) {
    this.intervals.splice(Number(handle) - 1, 1, { fn: () => {}, ms: 0 });
  }
}

const tick = () => new Promise((resolve) => setTimeout(resolve, 0));

describe("backoff", () => {
  it("grows exponentially with full jitter and a ceiling", () => {
    expect(backoffDelay(0, () => 0.999)).toBeLessThan(500);
    expect(backoffDelay(3, () => 0.999)).toBeLessThan(4000);
    expect(backoffDelay(3, () => 0.999)).toBeGreaterThan(3900);
    expect(backoffDelay(20, () => 0.999)).toBeLessThanOrEqual(MAX_BACKOFF_MS);
    expect(backoffDelay(5, () => 0)).toBe(0);
  });
});

describe("ChatSocket", () => {
  function setup() {
    const sockets: FakeSocket[] = [];
    const timers = new FakeTimers();
    const statuses: string[] = [];
    let reconnects = 0;
    let refusals = 0;
    const socket = new ChatSocket({
      url: async () => "ws://x/ws?token=t",
      onFrame: () => {},
      onStatus: (s) => statuses.push(s),
      onReconnect: () => (reconnects += 1),
      onRefused: () => (refusals += 1),
      createSocket: () => {
        const fake = new FakeSocket();
        sockets.push(fake);
        return fake;
      },
      timers,
      random: () => 0.5,
    });
    return { socket, sockets, timers, statuses, reconnects: () => reconnects, refusals: () => refusals };
  }

  it("reconnects after a drop with backoff, and asks to catch up only on reconnect", async () => {
    const { socket, sockets, timers, statuses, reconnects } = setup();
    socket.start();
    await tick();
    sockets[0]?.open();
    expect(reconnects()).toBe(0);
    sockets[0]?.close();
    expect(statuses.at(-1)).toBe("offline");
    expect(timers.timeouts).toHaveLength(1);
    timers.timeouts[0]?.fn();
    await tick();
    sockets[1]?.open();
    expect(statuses.at(-1)).toBe("online");
    expect(reconnects()).toBe(1);
  });

  it("says when a socket closes before it opened (a refused handshake), not when an open one drops", async () => {
    const { socket, sockets, timers, refusals } = setup();
    socket.start();
    await tick();
    sockets[0]?.open();
    sockets[0]?.close(); // dropped after it was open: just reconnect
    expect(refusals()).toBe(0);
    timers.timeouts[0]?.fn();
    await tick();
    sockets[1]?.close(); // never opened: the login may have ended
    expect(refusals()).toBe(1);
  });

  it("waits longer after each failed attempt", async () => {
    const { socket, sockets, timers } = setup();
    socket.start();
    await tick();
    for (let i = 0; i < 3; i++) {
      sockets[i]?.close();
      timers.timeouts[i]?.fn();
      await tick();
    }
    const delays = timers.timeouts.map((t) => t.ms);
    expect(delays).toEqual([250, 500, 1000]);
  });

  it("pings inside API Gateway's 10-minute idle limit", async () => {
    const { socket, sockets, timers } = setup();
    socket.start();
    await tick();
    sockets[0]?.open();
    expect(HEARTBEAT_MS).toBeLessThan(10 * 60_000);
    expect(timers.intervals[0]?.ms).toBe(HEARTBEAT_MS);
    timers.intervals[0]?.fn();
    expect(sockets[0]?.sent).toEqual([JSON.stringify({ action: "ping" })]);
  });

  it("refuses to send while not connected, so the caller can fall back", async () => {
    const { socket } = setup();
    expect(socket.send({ action: "ping" })).toBe(false);
  });
});
