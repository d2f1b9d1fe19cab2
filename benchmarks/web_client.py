"""The web client with a long history, in headless Chromium: typing and scrolling back.

    make bench        # or: .venv/bin/python -m benchmarks.web_client --messages 2000 --small 50 --keys 150
                      #     [--web-dist other/tree/web/dist]   (a build of another tree, e.g. a baseline)

The local stack runs in this process on the embedded store (in memory), with its media
stand-ins (S3 endpoint and CloudFront, local/media.py), and serves the production build
(`--web-dist`, by default web/dist, which `make bench` builds). Before the browser opens,
three chats of Alice's are seeded through the HTTP API (the rate limits are raised above
anything this sends), each by one thread sending in order, the three at once:
  - a direct chat with Dave of `--small` messages, taking turns;
  - a direct chat with Bob of `--messages` messages, taking turns;
  - a group, Alice, Bob and Carol, of `--messages` messages in turn, every 50th with a
    640x480 PNG (uploaded with the presigned POST, as the apps do) besides its text; Bob
    has read all of it and Carol half, so Alice's messages show both kinds of tick.
The texts are `#NNNN ` and 12 to 200 characters of words.

For each chat, in a fresh browser context, Alice logs in, opens it from her list, and
scrolls back with the mouse wheel over the message list until its oldest message is in
view, so every page of history comes in through the client's own loadOlder. Then she
clicks the Message box and types:
  - `--keys` characters as fast as the page takes them: each key is pressed once the
    previous one's frame is out, so the composer's draft save (debounced, 500 ms after the
    last change) never fires during this pass;
  - then 10 more with 600 ms after each, so the draft is saved after every one of them
    (the write to storage, the store update, selectors and any render they cause).

What is measured, in the page (performance.now()):
  - keystroke: from the keydown event's timestamp to the task right after the next
    animation frame (a requestAnimationFrame callback posts a MessageChannel message),
    i.e. the key's handlers, React's render and commit, and the frame that shows it;
  - draft save: from the localStorage.setItem of the drafts (a wrapper records it; the
    store is updated right after the write) to the task right after the next animation
    frame: the write, the store update, the selectors and renders it causes, and the
    frame; and "save's frame": the requestAnimationFrame interval the write fell in;
  - frames: the intervals between consecutive requestAnimationFrame callbacks, while
    wheeling back (from the first wheel event until the oldest message is in view,
    including the renders of each page loadOlder brings in) and while typing each pass;
    60 Hz is 16.7 ms, so p50 is the display's pace and the share over 33 ms (two frames
    or more, i.e. at least one missed) says how often it stutters;
  - long tasks: PerformanceObserver 'longtask' entries (main-thread tasks over 50 ms)
    that started in that span;
  - message rows: elements with data-testid="message-row" in the DOM after scroll-back;
  - the bundle: every web/dist/assets/*.js, gzip level 9 in Python.

Simulated: the network (loopback, no latency), the database (the embedded store), and
the senders (the messages exist before the page opens, none arrive while measuring).

The goals (issue 16) are printed, met or not; nothing here fails on them.

The steps Alice takes (log in, open a chat from her list) are written out here rather than
imported from tests/browser/pages.py: a benchmark should not depend on the tests, the
tests should not depend on a benchmark, and two steps of a few lines each do not justify a
third top-level package beside the product's. They drive the same labels the tests do;
if those change, the browser tests fail first and say where."""

import argparse
import gzip
import os
import random
import re
import statistics
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from playwright.sync_api import Browser, Page, Response, expect, sync_playwright

from benchmarks.harness import free_port, png, post, upload
from chat.adapters.mongo import client as mongo
from chat.adapters.mongo.indexes import ensure_indexes
from local.background import gateway_in_background
from local.embedded_store import embedded_client
from local.environment import stack_environment
from local.media import LocalMedia

ROOT = Path(__file__).resolve().parent.parent
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking", "--no-first-run"]
WHEEL_STEP_PX = 600
SCROLL_BACK_TIMEOUT_S = 300.0
TYPED = "The quick brown fox jumps over the lazy dog, twice; 0123456789! "
PAUSED_KEYS = 10
PAUSE_MS = 600  # more than the composer's DRAFT_SAVE_MS (500)
IMAGE_EVERY = 50
GROUP_NAME = "Weekend plans"
SLOW_FRAME_MS = 33.4  # two 60 Hz frames: one missed at least
GOAL_KEYSTROKE_RATIO = 1.5
GOAL_ROWS = 60
GOAL_BUNDLE_BYTES = 120_000

# In every page before its scripts: each keydown's time to the frame after it; each write to
# localStorage and its time to the frame after it; frame times, recorded between start and stop;
# and long tasks.
PROBES = """
(() => {
  const probe = window.__probe = { keystrokes: [], writes: [], frames: [], longTasks: [], longTaskSupported: false };
  const afterNextFrame = (done) => requestAnimationFrame(() => {
    const channel = new MessageChannel();
    channel.port1.onmessage = () => done(performance.now());
    channel.port2.postMessage(null);
  });
  document.addEventListener('keydown', (event) => {
    const start = event.timeStamp;
    afterNextFrame((now) => probe.keystrokes.push(now - start));
  }, true);
  const setItem = Storage.prototype.setItem;
  Storage.prototype.setItem = function (key, value) {
    const write = { key: String(key), at: performance.now(), took: null };
    probe.writes.push(write);
    afterNextFrame((now) => { write.took = now - write.at; });
    return setItem.call(this, key, value);
  };
  let generation = 0;
  window.__startFrames = () => {
    const mine = ++generation;
    probe.frames = [];
    const tick = (now) => {
      if (mine !== generation) return;
      probe.frames.push(now);
      requestAnimationFrame(tick);
    };
    requestAnimationFrame(tick);
    return performance.now();
  };
  window.__stopFrames = () => { generation++; return { frames: probe.frames, end: performance.now() }; };
  try {
    new PerformanceObserver((list) => {
      for (const entry of list.getEntries()) probe.longTasks.push([entry.startTime, entry.duration]);
    }).observe({ type: 'longtask', buffered: true });
    probe.longTaskSupported = PerformanceObserver.supportedEntryTypes.includes('longtask');
  } catch (error) {
    probe.longTaskSupported = false;
  }
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
    if (window.__probe.keystrokes.length >= count) resolve(window.__probe.keystrokes.slice());
    else setTimeout(check, 2);
  };
  check();
})"""
# The drafts' writes since `since`, once `count` of them have their frame (or after 2 s: the
# client may have stopped saving this way, and then the table says so).
DRAFT_WRITES = """([since, count]) => new Promise((resolve) => {
  const started = performance.now();
  const check = () => {
    const writes = window.__probe.writes.filter((w) => w.at >= since && /draft/i.test(w.key));
    const done = writes.filter((w) => w.took !== null);
    if (done.length >= count || performance.now() - started > 2000) resolve(done.map((w) => [w.at, w.took]));
    else setTimeout(check, 10);
  };
  check();
})"""
IMAGE_DRAWN = """() => [...document.querySelectorAll('[data-testid="attachment-image"]')]
  .some((image) => image.complete && image.naturalWidth > 0)"""


@dataclass
class Chat:
    title: str  # as Alice's list names it
    messages: int
    group: bool = False


@dataclass
class Span:
    """Frame times (performance.now(), ms) from `start` to `end`, and the long tasks begun in it."""

    start: float
    end: float
    frames: list[float]
    long_tasks: int = 0

    @property
    def intervals(self) -> list[float]:
        return [later - earlier for earlier, later in zip(self.frames, self.frames[1:], strict=False)]

    def slow_share(self) -> float:
        intervals = self.intervals
        return sum(interval > SLOW_FRAME_MS for interval in intervals) / max(1, len(intervals))

    def interval_around(self, moment: float) -> float | None:
        for earlier, later in zip(self.frames, self.frames[1:], strict=False):
            if earlier <= moment < later:
                return later - earlier
        return None


@dataclass
class Run:
    chat: Chat
    keystrokes_ms: list[float]
    paused_keystrokes_ms: list[float]
    saves_ms: list[float]
    save_frames_ms: list[float]
    scroll: Span
    typing: Span
    paused: Span
    rows: int
    pages: int
    scroll_s: float
    long_tasks_supported: bool = field(default=False)


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(share * len(ordered)) - 1))]


def text_of(index: int, rng: random.Random) -> str:
    """`#0000 …`: the index first, so the oldest is easy to find, then 12 to 200 characters of words."""
    words = ["hello", "there", "when", "are", "we", "meeting", "tomorrow", "the", "photos", "from", "saturday"]
    body = " ".join(rng.choice(words) for _ in range(40))[: rng.randint(12, 200)].strip()
    return f"#{index:04d} {body}"


def seed(
    base: str, conversation_id: str, senders: list[Any], count: int, rng: random.Random, *, images: bool
) -> list[int]:
    """`count` messages, the senders in turn, oldest first; with `images`, every IMAGE_EVERY-th
    (#0049, #0099, …) also carries a 640x480 PNG. Their seqs."""
    seqs = []
    for index in range(count):
        sender = senders[index % len(senders)]
        body: dict[str, Any] = {"conversationId": conversation_id, "text": text_of(index, rng)}
        if images and index % IMAGE_EVERY == IMAGE_EVERY - 1:
            picture = png(640, 480, (index % 256, 120, 200))
            media_id = upload(
                base,
                sender["accessToken"],
                conversation_id,
                picture,
                file_name=f"photo-{index}.png",
                content_type="image/png",
            )
            body["attachments"] = [{"mediaId": media_id}]
        seqs.append(int(post(base, "/api/messages", body, sender["accessToken"])["seq"]))
    return seqs


def seed_chats(base: str, small: int, large: int) -> list[Chat]:
    """Alice's three chats (see the top of this file), seeded at once, one thread each."""

    def sign_up(username: str, name: str) -> Any:
        body = {"username": username, "password": "password123", "displayName": name}
        return post(base, "/api/auth/signup", body)

    alice, bob, carol, dave = (sign_up(f"wc_{name.lower()}", name) for name in ("Alice", "Bob", "Carol", "Dave"))
    token = alice["accessToken"]
    with_dave = post(base, "/api/conversations/direct", {"userId": dave["user"]["id"]}, token)["id"]
    with_bob = post(base, "/api/conversations/direct", {"userId": bob["user"]["id"]}, token)["id"]
    members = [bob["user"]["id"], carol["user"]["id"]]
    group = post(base, "/api/groups/create", {"name": GROUP_NAME, "memberIds": members}, token)["id"]
    with ThreadPoolExecutor(3) as pool:
        seeding = [
            pool.submit(seed, base, with_dave, [dave, alice], small, random.Random(1), images=False),
            pool.submit(seed, base, with_bob, [bob, alice], large, random.Random(2), images=False),
            pool.submit(seed, base, group, [bob, carol, alice], large, random.Random(3), images=True),
        ]
        group_seqs = seeding[2].result()
        for done in seeding[:2]:
            done.result()
    if group_seqs:
        receipts = f"/api/conversations/{group}/receipts"
        post(base, receipts, {"readSeq": group_seqs[-1]}, bob["accessToken"])
        post(base, receipts, {"readSeq": group_seqs[len(group_seqs) // 2]}, carol["accessToken"])
    return [Chat("Dave", small), Chat("Bob", large), Chat(GROUP_NAME, large, group=True)]


def log_in(page: Page, username: str) -> None:
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password").fill("password123")
    page.get_by_role("button", name="Log in").click()
    expect(page.get_by_role("button", name="Log out")).to_be_visible()


def open_from_list(page: Page, title: str) -> None:
    """Opens a chat from the list of conversations (its button says any unread count after the title)."""
    chats = page.get_by_role("navigation", name="Conversations")
    chats.get_by_role("button", name=re.compile(rf"^Open {re.escape(title)}(,|$)")).click()
    expect(page.get_by_role("heading", name=title)).to_be_visible()


def start_frames(page: Page) -> float:
    return float(page.evaluate("() => window.__startFrames()"))


def stop_frames(page: Page, start: float) -> Span:
    page.evaluate(NEXT_FRAME)
    stopped: Any = page.evaluate("() => window.__stopFrames()")
    return Span(start, float(stopped["end"]), [float(moment) for moment in stopped["frames"]])


def scroll_back(page: Page) -> tuple[Span, int, float]:
    """Wheels up over the message list until the oldest message is in view: the frames
    meanwhile, the history pages fetched, and how long it took."""
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
    start = start_frames(page)
    while not page.evaluate(OLDEST_SHOWN):
        if time.perf_counter() - started > SCROLL_BACK_TIMEOUT_S:
            raise TimeoutError(f"the oldest message did not show after {SCROLL_BACK_TIMEOUT_S:.0f} s ({pages} pages)")
        page.mouse.wheel(0, -WHEEL_STEP_PX)
        page.evaluate(NEXT_FRAME)
    elapsed = time.perf_counter() - started
    span = stop_frames(page, start)
    page.remove_listener("response", count_history)
    return span, pages, elapsed


def measure(browser: Browser, base: str, chat: Chat, keys: int) -> Run:
    """Alice opens `chat`, scrolls back to its oldest message and types: `keys` characters
    as fast as the page takes them, then PAUSED_KEYS with PAUSE_MS after each."""
    count = chat.messages
    context = browser.new_context(base_url=base, viewport={"width": 1280, "height": 800})
    context.set_default_timeout(30_000)
    context.add_init_script(PROBES)
    try:
        page = context.new_page()
        page.goto("/")
        log_in(page, "wc_alice")
        open_from_list(page, chat.title)
        expect(page.get_by_test_id("message-text").filter(has_text=f"#{count - 1:04d} ")).to_be_visible()
        if chat.group and count % IMAGE_EVERY == 0:  # the newest message has a photo: it is drawn
            expect(page.get_by_test_id("attachment-image").first).to_be_visible()
            page.wait_for_function(IMAGE_DRAWN)
        scroll, pages, scroll_s = scroll_back(page)
        rows = page.get_by_test_id("message-row").count()
        box = page.get_by_label("Message", exact=True)
        box.click()
        text = (TYPED * ((keys + PAUSED_KEYS) // len(TYPED) + 1))[: keys + PAUSED_KEYS]

        start = start_frames(page)
        for index, character in enumerate(text[:keys], start=1):
            page.keyboard.type(character)
            page.evaluate(KEYSTROKES_AT_LEAST, index)
        typing = stop_frames(page, start)

        start = start_frames(page)
        for index, character in enumerate(text[keys:], start=keys + 1):
            page.keyboard.type(character)
            page.evaluate(KEYSTROKES_AT_LEAST, index)
            page.wait_for_timeout(PAUSE_MS)  # a person pausing: the draft is saved meanwhile
        writes: list[list[float]] = page.evaluate(DRAFT_WRITES, [start, PAUSED_KEYS])
        paused = stop_frames(page, start)

        keystrokes: list[float] = page.evaluate(KEYSTROKES_AT_LEAST, len(text))
        expect(box).to_have_value(text)
        page.evaluate(NEXT_FRAME)
        long_tasks: list[list[float]] = page.evaluate("() => window.__probe.longTasks")
        supported = bool(page.evaluate("() => window.__probe.longTaskSupported"))
        for span in (scroll, typing, paused):
            span.long_tasks = sum(span.start <= begun <= span.end for begun, _ in long_tasks)
        save_frames = [frame for at, _ in writes if (frame := paused.interval_around(at)) is not None]
        return Run(
            chat,
            keystrokes[:keys],
            keystrokes[keys:],
            [took for _, took in writes],
            save_frames,
            scroll,
            typing,
            paused,
            rows,
            pages,
            scroll_s,
            supported,
        )
    finally:
        context.close()


def bundle_gzip_bytes(dist: Path) -> tuple[int, int, int]:
    """(files, raw bytes, gzip bytes) of the production bundle's JavaScript."""
    scripts = sorted((dist / "assets").glob("*.js"))
    raw = [path.read_bytes() for path in scripts]
    return len(scripts), sum(map(len, raw)), sum(len(gzip.compress(body, compresslevel=9)) for body in raw)


@contextmanager
def local_stack(dist: Path) -> Iterator[str]:
    """What `make dev` serves, in this process, on the embedded store, less its indexes: the
    caller makes them once the chats are seeded. The embedded store (mongomock) checks a unique
    index on each insert by scanning the whole collection, so seeding with them made each send
    slower than the last (4,050 messages took 84 s, the last ones 30 ms each); made afterwards,
    they check the same documents once. It uses no index to answer a query, so what the browser
    is served is the same either way."""
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    media = LocalMedia([base]).start()
    os.environ.update({**stack_environment(base), **media.environment()})
    mongo.use_client(embedded_client())
    try:
        with gateway_in_background(port, media=media) as gateway:
            gateway.web_root = dist
            yield base
    finally:
        media.stop()


def figures(values: list[float], *shares: float) -> str:
    if not values:
        return " | ".join("-" for _ in shares)
    return " | ".join(
        f"{statistics.median(values) if share == 0.5 else percentile(values, share):.1f}" for share in shares
    )


def met(ok: bool) -> str:
    return "met" if ok else "NOT met"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--messages", type=int, default=2000, help="the long chats' messages (direct and group)")
    parser.add_argument("--small", type=int, default=50, help="the short chat's messages")
    parser.add_argument("--keys", type=int, default=150, help="characters typed fast in each chat")
    parser.add_argument("--web-dist", type=Path, default=ROOT / "web" / "dist", help="the production build to serve")
    args = parser.parse_args()
    dist: Path = args.web_dist.resolve()
    if not (dist / "index.html").is_file():
        parser.error(f"no build at {dist}: run npm run --prefix web --silent build")
    with local_stack(dist) as base:
        seeded = time.perf_counter()
        chats = seed_chats(base, args.small, args.messages)
        ensure_indexes(mongo.database())  # after seeding: see local_stack
        seeded = time.perf_counter() - seeded
        with sync_playwright() as driver:
            browser = driver.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
            try:
                runs = [measure(browser, base, chat, args.keys) for chat in chats]
            finally:
                browser.close()
    files, raw, gzipped = bundle_gzip_bytes(dist)
    images = args.messages // IMAGE_EVERY
    print(f"Web client, {dist} in headless Chromium ({CHROMIUM}), the local stack on the embedded store")
    print(
        f"Seeded {args.small + 2 * args.messages} messages ({images} with a photo) over the HTTP API in {seeded:.1f} s,"
        " one thread per chat, the three at once, the store's indexes made afterwards"
        " (simulated: loopback network, in-memory database,"
        " no messages arriving while measuring)"
    )
    print("keystroke = keydown's timestamp to the task after the next animation frame (handlers + render + frame)")
    print(
        "draft save = localStorage.setItem of the drafts to the task after the next animation frame (write + store"
        " update + selectors + render + frame); save's frame = the rAF interval the write fell in"
    )
    print(f"frame = interval between requestAnimationFrame callbacks; slow = over {SLOW_FRAME_MS} ms (a frame missed)")
    supported = all(run.long_tasks_supported for run in runs)
    print(f"long tasks = PerformanceObserver 'longtask' entries (over 50 ms){'' if supported else ': NOT supported'}")
    print()
    print(
        f"Typing: {args.keys} keys, each once the previous one's frame is out (no draft save fires), then"
        f" {PAUSED_KEYS} keys {PAUSE_MS} ms apart (a draft save after each)"
    )
    print()
    print(
        "| chat | messages | keystroke p50 (ms) | keystroke p95 (ms) | slow frames typing | long tasks typing"
        " | paused keystroke p50 (ms) | paused keystroke p95 (ms) | draft saves | save p50 (ms) | save p95 (ms)"
        " | save max (ms) | save's frame max (ms) | long tasks paused |"
    )
    print("| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |")
    for run in runs:
        print(
            f"| {run.chat.title} | {run.chat.messages} | {figures(run.keystrokes_ms, 0.5, 0.95)}"
            f" | {run.typing.slow_share():.1%} | {run.typing.long_tasks}"
            f" | {figures(run.paused_keystrokes_ms, 0.5, 0.95)} | {len(run.saves_ms)}/{PAUSED_KEYS}"
            f" | {figures(run.saves_ms, 0.5, 0.95, 1.0)} | {figures(run.save_frames_ms, 1.0)}"
            f" | {run.paused.long_tasks} |"
        )
    print()
    print("Scrolling back to the oldest message with the mouse wheel:")
    print()
    print(
        "| chat | messages | frame p50 (ms) | frame p95 (ms) | frame max (ms) | slow frames | long tasks"
        " | message rows in DOM | history pages | scroll-back (s) |"
    )
    print("| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |")
    for run in runs:
        print(
            f"| {run.chat.title} | {run.chat.messages} | {figures(run.scroll.intervals, 0.5, 0.95, 1.0)}"
            f" | {run.scroll.slow_share():.1%} | {run.scroll.long_tasks} | {run.rows} | {run.pages}"
            f" | {run.scroll_s:.1f} |"
        )
    small, *large = runs
    print()
    print("Goals (issue 16):")
    for run in large:
        ratio = statistics.median(run.keystrokes_ms) / statistics.median(small.keystrokes_ms)
        print(
            f"  keystroke p50, {run.chat.title} ({run.chat.messages}) / {small.chat.title} ({small.chat.messages}):"
            f" {ratio:.2f}x (goal <= {GOAL_KEYSTROKE_RATIO}x): {met(ratio <= GOAL_KEYSTROKE_RATIO)}"
        )
    for run in large:
        print(
            f"  message rows in the DOM, {run.chat.title} ({run.chat.messages}): {run.rows}"
            f" (goal <= {GOAL_ROWS}): {met(run.rows <= GOAL_ROWS)}"
        )
    print(
        f"  bundle: {files} JS file(s) in assets/, {raw:,} bytes, gzip -9 {gzipped:,} bytes"
        f" ({gzipped / 1000:.1f} kB, {gzipped / 1024:.1f} KiB; goal <= {GOAL_BUNDLE_BYTES // 1000} kB):"
        f" {met(gzipped <= GOAL_BUNDLE_BYTES)}"
    )


if __name__ == "__main__":
    main()
