"""The web client with a long history, in headless Chromium: typing and scrolling back.

    make bench        # or: .venv/bin/python -m benchmarks.web_client --messages 2000 --small 50 --keys 150
                      #     [--web-dist other/tree/web/dist]   (a build of another tree, e.g. a baseline)

The local stack runs in this process on the embedded store (in memory) and serves the
production build (`--web-dist`, by default web/dist, which `make bench` builds). Two
people, Alice and Bob, have a direct chat of `--messages` messages and another of
`--small`, taking turns, sent through the HTTP API before the browser opens (the rate
limits are raised above anything this sends); the texts are 12 to 200 characters.

For each chat, in a fresh browser context, Alice logs in, opens it, and scrolls back
with the mouse wheel over the message list until its oldest message is in view, so every
page of history comes in through the client's own loadOlder. Then she clicks the
Message box and types `--keys` characters, one `keyboard.type` per character.

What is measured, in the page (performance.now()):
  - keystroke: from the keydown event's timestamp to the task right after the next
    animation frame (a requestAnimationFrame callback posts a MessageChannel message),
    i.e. the key's handlers, React's render and commit, and the frame that shows it;
  - scroll-back frames: the intervals between consecutive requestAnimationFrame
    callbacks from the first wheel event until the oldest message is in view,
    including the renders of each page that loadOlder brings in (60 Hz is 16.7 ms);
  - message rows: elements with data-testid="message-row" in the DOM after scroll-back;
  - the bundle: every web/dist/assets/*.js, gzip level 9 in Python.

Simulated: the network (loopback, no latency), the database (the embedded store), and
the sender (the messages exist before the page opens, none arrive while measuring)."""

import argparse
import gzip
import os
import random
import statistics
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from playwright.sync_api import Browser, Page, Response, expect, sync_playwright

from benchmarks.harness import free_port, post
from chat.adapters.mongo import client as mongo
from chat.adapters.mongo.indexes import ensure_indexes
from local.background import gateway_in_background
from local.embedded_store import embedded_client
from local.environment import stack_environment
from local.media import LocalMedia
from tests.browser.pages import log_in, open_chat_with

ROOT = Path(__file__).resolve().parent.parent
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking", "--no-first-run"]
WHEEL_STEP_PX = 600
SCROLL_BACK_TIMEOUT_S = 300.0
TYPED = "The quick brown fox jumps over the lazy dog, twice; 0123456789! "

# Each keydown's time to the frame after it, and a frame-interval recorder switched on and off.
PROBES = """
(() => {
  window.__keystrokes = [];
  document.addEventListener('keydown', (event) => {
    const start = event.timeStamp;
    requestAnimationFrame(() => {
      const channel = new MessageChannel();
      channel.port1.onmessage = () => window.__keystrokes.push(performance.now() - start);
      channel.port2.postMessage(null);
    });
  }, true);
  window.__frames = { on: false, last: 0, intervals: [] };
  window.__startFrames = () => {
    const frames = window.__frames;
    frames.on = true; frames.last = 0; frames.intervals = [];
    const tick = (now) => {
      if (!frames.on) return;
      if (frames.last) frames.intervals.push(now - frames.last);
      frames.last = now;
      requestAnimationFrame(tick);
    };
    requestAnimationFrame(tick);
  };
  window.__stopFrames = () => { window.__frames.on = false; return window.__frames.intervals; };
})();
"""
NEXT_FRAME = "() => new Promise((resolve) => requestAnimationFrame(() => resolve(null)))"
OLDEST_SHOWN = """() => {
  const oldest = [...document.querySelectorAll('[data-testid="message-text"]')]
    .find((text) => text.textContent.startsWith('#0000 '));
  const list = document.querySelector('[role="log"]');
  if (!oldest || !list) return false;
  const shown = oldest.getBoundingClientRect(), within = list.getBoundingClientRect();
  return shown.top >= within.top - 1 && shown.bottom <= within.bottom + 1;
}"""
KEYSTROKES_AT_LEAST = """(count) => new Promise((resolve) => {
  const check = () => {
    if (window.__keystrokes.length >= count) resolve(window.__keystrokes.slice());
    else setTimeout(check, 2);
  };
  check();
})"""


@dataclass
class Chat:
    username: str  # who opens it
    with_name: str  # the other person's display name
    messages: int


@dataclass
class Run:
    messages: int
    keystrokes_ms: list[float]
    frames_ms: list[float]
    rows: int
    pages: int
    scroll_s: float


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(share * len(ordered)) - 1))]


def text_of(index: int, rng: random.Random) -> str:
    """`#0000 …`: the index first, so the oldest is easy to find, then 12 to 200 characters of words."""
    words = ["hello", "there", "when", "are", "we", "meeting", "tomorrow", "the", "photos", "from", "saturday"]
    body = " ".join(rng.choice(words) for _ in range(40))[: rng.randint(12, 200)].strip()
    return f"#{index:04d} {body}"


def seed_chat(base: str, alice: Any, bob: Any, count: int, rng: random.Random) -> None:
    """A direct chat of `count` messages, Alice and Bob taking turns, oldest first."""
    chat = post(base, "/api/conversations/direct", {"userId": bob["user"]["id"]}, alice["accessToken"])
    for index in range(count):
        sender = alice if index % 2 else bob
        post(base, "/api/messages", {"conversationId": chat["id"], "text": text_of(index, rng)}, sender["accessToken"])


def scroll_back(page: Page) -> tuple[list[float], int, float]:
    """Wheels up over the message list until the oldest message is in view: the frame
    intervals meanwhile, the history pages fetched, and how long it took."""
    pages = 0

    def count_history(response: Response) -> None:
        nonlocal pages
        if "/api/messages/" in response.url and "before=" in response.url:
            pages += 1

    page.on("response", count_history)
    messages = page.get_by_role("log", name="Messages")
    box = messages.bounding_box()
    assert box is not None, "the message list is not shown"
    page.mouse.move(box["x"] + box["width"] / 2, box["y"] + box["height"] / 2)
    started = time.perf_counter()
    page.evaluate("() => window.__startFrames()")
    while not page.evaluate(OLDEST_SHOWN):
        if time.perf_counter() - started > SCROLL_BACK_TIMEOUT_S:
            raise TimeoutError(f"the oldest message did not show after {SCROLL_BACK_TIMEOUT_S:.0f} s ({pages} pages)")
        page.mouse.wheel(0, -WHEEL_STEP_PX)
        page.evaluate(NEXT_FRAME)
    elapsed = time.perf_counter() - started
    page.evaluate(NEXT_FRAME)
    frames: list[float] = page.evaluate("() => window.__stopFrames()")
    page.remove_listener("response", count_history)
    return frames, pages, elapsed


def measure(browser: Browser, base: str, chat: Chat, keys: int) -> Run:
    """Alice opens `chat`, scrolls back to its oldest message and types `keys` characters."""
    count = chat.messages
    context = browser.new_context(base_url=base, viewport={"width": 1280, "height": 800})
    context.set_default_timeout(30_000)
    context.add_init_script(PROBES)
    try:
        page = context.new_page()
        page.goto("/")
        log_in(page, chat.username)
        open_chat_with(page, chat.with_name)
        expect(page.get_by_test_id("message-text").filter(has_text=f"#{count - 1:04d} ")).to_be_visible()
        frames, pages, scroll_s = scroll_back(page)
        rows = page.get_by_test_id("message-row").count()
        box = page.get_by_label("Message", exact=True)
        box.click()
        text = (TYPED * (keys // len(TYPED) + 1))[:keys]
        for index, character in enumerate(text, start=1):
            page.keyboard.type(character)
            page.evaluate(KEYSTROKES_AT_LEAST, index)
        keystrokes: list[float] = page.evaluate(KEYSTROKES_AT_LEAST, len(text))
        expect(box).to_have_value(text)
        return Run(count, keystrokes, frames, rows, pages, scroll_s)
    finally:
        context.close()


def bundle_gzip_bytes(dist: Path) -> tuple[int, int, int]:
    """(files, raw bytes, gzip bytes) of the production bundle's JavaScript."""
    scripts = sorted((dist / "assets").glob("*.js"))
    raw = [path.read_bytes() for path in scripts]
    return len(scripts), sum(map(len, raw)), sum(len(gzip.compress(body, compresslevel=9)) for body in raw)


@contextmanager
def local_stack(dist: Path) -> Iterator[str]:
    """What `make dev` serves, in this process, on the embedded store."""
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    media = LocalMedia([base]).start()
    os.environ.update({**stack_environment(base), **media.environment()})
    mongo.use_client(embedded_client())
    ensure_indexes(mongo.database())
    try:
        with gateway_in_background(port, media=media) as gateway:
            gateway.web_root = dist
            yield base
    finally:
        media.stop()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--messages", type=int, default=2000, help="the long chat's messages")
    parser.add_argument("--small", type=int, default=50, help="the short chat's messages")
    parser.add_argument("--keys", type=int, default=150, help="characters typed in each chat")
    parser.add_argument("--web-dist", type=Path, default=ROOT / "web" / "dist", help="the production build to serve")
    args = parser.parse_args()
    dist: Path = args.web_dist.resolve()
    if not (dist / "index.html").is_file():
        parser.error(f"no build at {dist}: run npm run --prefix web --silent build")
    rng = random.Random(16)
    with local_stack(dist) as base:
        seeded = time.perf_counter()
        alice = post(base, "/api/auth/signup", {"username": "wc_alice", "password": "password123"})
        chats = []
        for index, count in enumerate((args.small, args.messages)):
            bob_name = f"Bob {index}"
            bob = post(
                base,
                "/api/auth/signup",
                {"username": f"wc_bob_{index}", "password": "password123", "displayName": bob_name},
            )
            seed_chat(base, alice, bob, count, rng)
            chats.append(Chat("wc_alice", bob_name, count))
        seeded = time.perf_counter() - seeded
        with sync_playwright() as driver:
            browser = driver.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
            try:
                small, large = (measure(browser, base, chat, args.keys) for chat in chats)
            finally:
                browser.close()
    files, raw, gzipped = bundle_gzip_bytes(dist)
    print(f"Web client, {dist} in headless Chromium ({CHROMIUM}), the local stack on the embedded store")
    print(
        f"Seeded {args.small + args.messages} messages over the HTTP API in {seeded:.1f} s (simulated: loopback"
        " network, in-memory database, no messages arriving while measuring)"
    )
    print("keystroke = keydown's timestamp to the task after the next animation frame (handlers + render + frame)")
    print("frame = interval between requestAnimationFrame callbacks while wheeling back to the oldest message")
    print()
    print(
        "| loaded | keystroke p50 (ms) | keystroke p95 (ms) | frame p50 (ms) | frame p95 (ms) | frame max (ms)"
        " | message rows in DOM | history pages | scroll-back (s) |"
    )
    print("| --- | --- | --- | --- | --- | --- | --- | --- | --- |")
    for run in (small, large):
        print(
            f"| {run.messages} | {statistics.median(run.keystrokes_ms):.1f} | {percentile(run.keystrokes_ms, 0.95):.1f}"
            f" | {statistics.median(run.frames_ms):.1f} | {percentile(run.frames_ms, 0.95):.1f}"
            f" | {max(run.frames_ms):.1f} | {run.rows} | {run.pages} | {run.scroll_s:.1f} |"
        )
    ratio = statistics.median(large.keystrokes_ms) / statistics.median(small.keystrokes_ms)
    print()
    print(f"keystroke p50 with {args.messages} loaded / with {args.small}: {ratio:.2f}x (goal <= 1.5x)")
    print(f"message rows in the DOM with {args.messages} loaded: {large.rows} (goal: bounded, not ~{args.messages})")
    print(
        f"bundle: {files} JS file(s) in assets/, {raw:,} bytes, gzip -9 {gzipped:,} bytes"
        f" ({gzipped / 1000:.1f} kB, {gzipped / 1024:.1f} KiB; goal <= 120 KB)"
    )


if __name__ == "__main__":
    main()
