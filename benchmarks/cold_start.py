"""What a cold container pays before its first answer, per handler: importing the handler,
then its first event (the lazy imports made there, the clients built there: the Secrets
Manager reader, pymongo's MongoClient, boto3's SQS client, the Management API client), in a
fresh interpreter per run.

And the same container as SnapStart would resume it (prod): the handler's before-snapshot hook
(chat/handlers/cold_start.py: the first event's imports) is run before the timing, as Lambda
runs it when it publishes the version; the after-restore hook runs inside the timing, then the
first event; the credentials come from the container endpoint, as Lambda gives them to a
SnapStart function, through botocore's chain. Lambda's restore itself (resuming the microVM
from the cached snapshot, reported as "Restore Duration" in the REPORT line, typically some
hundreds of milliseconds) is NOT simulated: add it to those figures.

Each run is the real handler module and its real `lambda_handler`, given an API Gateway
event from tests/events/ and a deployed function's settings (the secrets by ARN, the queues,
the Management API endpoint). What is simulated, with nothing sent to AWS:
  - Secrets Manager, SQS, the Management API and the container credentials endpoint: one
    HTTP server on 127.0.0.1 (in this, the parent, process, so the child imports nothing for
    it) that answers as they do; the calls are really made, over HTTP, through the Secrets
    Manager reader, boto3 and the pusher;
  - MongoDB: the real MongoClient is built from the fetched URI (`connect=false`: nothing
    dials it), then the operations go to the embedded store (mongomock), seeded here.
    Building and seeding that store is left out of the figures (the store imports pymongo
    itself, so it is built only after the handler's own client has imported it).
Network latency, TLS (the handshakes, and loading the CA bundle once per container, about
25 ms here), MongoDB's connection handshake and SCRAM authentication, and a mongodb+srv URI's
DNS lookups (and dnspython's import, about 50 ms here) are NOT in the figures: `--mongo-ms`
adds a wait to each MongoDB operation, and the counts of calls are printed so a reader can add
their own.

    .venv/bin/python -m benchmarks.cold_start [--runs 7] [--mongo-ms 0]

The child is this file run as a script (`--child`): it imports nothing at module level but
what the interpreter has already loaded, so the handler pays for every import of its own.
"""

from __future__ import annotations

import os
import sys
import time

TYPE_CHECKING = False
if TYPE_CHECKING:
    from pathlib import Path
    from typing import Any

RESULT = "COLD_START_RESULT"
CREDENTIALS_PATH, CREDENTIALS_TOKEN = "/2018-06-01/credentials", "container-token"
EVENT_BEGIN, EVENT_END = "COLD_START_EVENT_BEGIN", "COLD_START_EVENT_END"
SETUP_BEGIN, SETUP_END = "COLD_START_SETUP_BEGIN", "COLD_START_SETUP_END"
JWT_ARN = "arn:aws:secretsmanager:us-east-1:123456789012:secret:chat-jwt-AbCdEf"
MONGODB_ARN = "arn:aws:secretsmanager:us-east-1:123456789012:secret:chat-mongodb-AbCdEf"
# What the fetched URI names: an address nothing listens on, never dialled (connect=false).
MONGODB_URI = "mongodb://127.0.0.1:9/?connect=false"
ALICE_SOCKET, BOB_SOCKET = "AliceSocket0=", "BobSocket00="

# handler label -> (module, reads the JWT key from Secrets Manager, reads MongoDB, SnapStart in
# prod), as infra/constructs/functions.py's SIZING deploys them (a test holds them equal).
HANDLERS = {
    "sendMessage": ("chat.handlers.ws_send_message", False, True, True),
    "authorizer": ("chat.handlers.ws_authorizer", True, True, True),
    "$connect": ("chat.handlers.ws_connect", False, True, True),
    "GET /api/conversations": ("chat.handlers.http_api", True, True, True),
    "ping": ("chat.handlers.ws_ping", False, False, False),
}


# --- the child: one cold container --------------------------------------------------------


def child(module: str, event_path: str, seed_path: str, mode: str, mongo_ms: float) -> None:
    """Imports `module`, then hands its `lambda_handler` the event at `event_path`; prints the
    import time, the first event's time (the embedded store's setup taken out), the MongoDB
    client's build time, the time spent collecting garbage during the event, the count of
    MongoDB operations and the modules imported on the event. In mode "restored", the
    before-snapshot hook runs between the two (timed apart), and the after-restore hook first
    thing in the event's time."""
    import gc

    excluded = [0.0]
    profiler: Any = None
    setup_modules: set[str] = set()

    started = time.perf_counter()
    handler = __import__(module, fromlist=["lambda_handler"])
    imported = time.perf_counter()
    snapshot_ms = 0.0
    cold_start: Any = None
    if "restored" in mode:
        from chat.handlers import cold_start

        cold_start.before_snapshot()
        snapshot_ms = (time.perf_counter() - imported) * 1000

    import json  # every handler has imported it by now

    with open(event_path) as file:
        event = json.load(file)
    built = {"mongo_client_ms": 0.0}
    counting: list[Any] = []

    class FirstUse:
        """The process's MongoDB client until the handler's first database(): then the
        handler's own code builds the real MongoClient, and the embedded store takes over."""

        def __getitem__(self, name: str) -> object:
            from chat.adapters.mongo import client as mongo

            mongo._client = None
            began = time.perf_counter()
            real = mongo.database()  # the handler's code: imports pymongo, builds MongoClient
            built["mongo_client_ms"] = (time.perf_counter() - began) * 1000
            setup = time.perf_counter()
            if profiler is not None:
                profiler.disable()
            loaded = set(sys.modules)
            print(SETUP_BEGIN, file=sys.stderr, flush=True)
            import pickle

            from local.embedded_store import embedded_client
            from tests.round_trips import CountingDatabase, SingleDatabaseClient

            db = embedded_client()["chat"]
            with open(seed_path, "rb") as seed_file:
                for collection, documents in pickle.load(seed_file).items():  # noqa: S301 - our own seed
                    if documents:
                        db[collection].insert_many(documents)
            counted = CountingDatabase(db, wait_s=mongo_ms / 1000)
            counting.append(counted)
            mongo._client = SingleDatabaseClient(counted)
            built["keep"] = id(real)  # the real client lives on, as it would in the container
            print(SETUP_END, file=sys.stderr, flush=True)
            setup_modules.update(set(sys.modules) - loaded)
            if profiler is not None:
                profiler.enable()
            excluded[0] += time.perf_counter() - setup
            return counted

    if "chat.handlers.composition" in sys.modules:  # a handler that may read MongoDB
        from chat.adapters.mongo import client as mongo_client

        mongo_client.use_client(FirstUse())
    from types import SimpleNamespace

    context = SimpleNamespace(
        function_name="chat-cold-start",
        function_version="$LATEST",
        memory_limit_in_mb=1024,
        invoked_function_arn="arn:aws:lambda:us-east-1:123456789012:function:chat-cold-start",
        aws_request_id="cold-start-request",
    )
    if "profile" in mode:
        import cProfile

        profiler = cProfile.Profile()
    collecting = {"ms": 0.0, "since": 0.0}

    def timed_collection(phase: str, _: object) -> None:
        if phase == "start":
            collecting["since"] = time.perf_counter()
        else:
            collecting["ms"] += (time.perf_counter() - collecting["since"]) * 1000

    modules_before = set(sys.modules)
    print(EVENT_BEGIN, file=sys.stderr, flush=True)
    gc.callbacks.append(timed_collection)
    begin = time.perf_counter()
    if profiler is not None:
        profiler.enable()
    if cold_start is not None:
        cold_start.after_restore()
    answer = handler.lambda_handler(event, context)
    if profiler is not None:
        profiler.disable()
    end = time.perf_counter()
    gc.callbacks.remove(timed_collection)
    print(EVENT_END, file=sys.stderr, flush=True)
    first_event_ms = (end - begin - excluded[0]) * 1000
    new_modules = set(sys.modules) - modules_before - setup_modules
    status = answer.get("statusCode", answer.get("policyDocument", {}).get("Statement", [{}])[0].get("Effect"))
    operations = sum(counting[0].calls.values()) if counting else 0
    print(
        RESULT,
        json.dumps(
            {
                "import_ms": (imported - started) * 1000,
                "event_ms": first_event_ms,
                "snapshot_ms": snapshot_ms,
                "mongo_client_ms": built["mongo_client_ms"],
                "gc_ms": collecting["ms"],
                "mongo_operations": operations,
                "modules": len(new_modules),
                # the product's modules and the packages (not their submodules) the event imported
                "imported": sorted(name for name in new_modules if name.startswith("chat.") or "." not in name),
                "status": str(status),
            }
        ),
        flush=True,
    )
    if profiler is not None:
        import pstats

        print(RESULT + "_PROFILE", json.dumps(top_cumulative(pstats.Stats(profiler))), flush=True)


def top_cumulative(stats: Any, count: int = 5) -> list[tuple[str, float]]:
    """The functions that took most of the first event, inclusive of what they called: the
    handler's own layers (its entry point, routes, composition, Powertools' logger and
    resolver) and the import machinery left out, and of a chain of calls that each took
    about the same (a wrapper and what it wraps), the innermost only."""
    wrappers = ("chat/handlers/", "chat/observability.py", "powertools/logging/", "powertools/event_handler/")
    rows = []
    for (file, line, name), (_, _, _, cumulative, _) in stats.stats.items():
        if file.startswith("<frozen") or file == "~" or any(part in file for part in wrappers):
            continue
        where = file.split("site-packages/")[-1].split("lambdas/")[-1].split(f"{os.sep}python3.")[-1]
        rows.append((f"{where}:{line}({name})", cumulative * 1000))
    rows.sort(key=lambda row: -row[1])
    kept = [row for row, inner in zip(rows, [*rows[1:], ("", 0.0)], strict=True) if inner[1] < 0.97 * row[1]]
    return kept[:count]


# --- the parent: seeds, serves the stand-ins, runs the children ---------------------------


def serve_aws(secrets: dict[str, str]) -> tuple[int, dict[str, int]]:
    """Secrets Manager, SQS, the Management API and the container credentials endpoint on one
    local port; the calls, counted by kind."""
    import hashlib
    import json
    import threading
    import uuid
    from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

    calls: dict[str, int] = {}

    class StandIn(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"
        # An answer's headers and body go out as two writes: with Nagle's algorithm the body would
        # wait for the client's delayed ACK of the headers (40 ms on Linux) on a kept-alive connection,
        # a wait AWS's endpoints do not make.
        disable_nagle_algorithm = True

        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
            if "/@connections/" in self.path:
                self._count("push")
                self._answer(200, b"", "application/json")
                return
            target = self.headers.get("X-Amz-Target", "")
            request = json.loads(body or b"{}")
            answer: dict[str, object]
            if target == "secretsmanager.GetSecretValue":
                self._count("secret")
                arn = request["SecretId"]
                answer = {"ARN": arn, "Name": arn.rsplit(":", 1)[-1], "SecretString": secrets[arn], "VersionId": "1"}
            elif target == "AmazonSQS.SendMessage":
                self._count("sqs")
                digest = hashlib.md5(request["MessageBody"].encode()).hexdigest()  # noqa: S324 - SQS's own checksum
                answer = {"MessageId": str(uuid.uuid4()), "MD5OfMessageBody": digest}
            elif target == "AmazonSQS.SendMessageBatch":
                self._count("sqs")
                answer = {
                    "Successful": [
                        {
                            "Id": entry["Id"],
                            "MessageId": str(uuid.uuid4()),
                            "MD5OfMessageBody": hashlib.md5(entry["MessageBody"].encode()).hexdigest(),  # noqa: S324
                        }
                        for entry in request["Entries"]
                    ],
                    "Failed": [],
                }
            else:
                self._count(f"unexpected {target or self.path}")
                self._answer(400, b'{"__type":"UnknownOperationException"}', "application/x-amz-json-1.0")
                return
            self._answer(200, json.dumps(answer).encode(), "application/x-amz-json-1.1")

        def do_DELETE(self) -> None:
            self._count("push")
            self._answer(204, b"", "application/json")

        def do_GET(self) -> None:
            # Lambda's container credentials endpoint, which a SnapStart function reads its role's keys from
            if self.path != CREDENTIALS_PATH or self.headers.get("Authorization") != CREDENTIALS_TOKEN:
                self._answer(403, b"{}", "application/json")
                return
            self._count("credentials")
            keys = {
                "AccessKeyId": "ASIASTANDIN",
                "SecretAccessKey": "stand-in-secret",
                "Token": "stand-in-session-token",
                "Expiration": "2099-01-01T00:00:00Z",
            }
            self._answer(200, json.dumps(keys).encode(), "application/json")

        def _count(self, kind: str) -> None:
            calls[kind] = calls.get(kind, 0) + 1

        def _answer(self, status: int, body: bytes, content_type: str) -> None:
            self.send_response(status)
            self.send_header("Content-Type", content_type)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, format: str, *args: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), StandIn)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return int(server.server_address[1]), calls


def seed(folder: Path) -> dict[str, str]:
    """Two users with a direct conversation, Bob online: the store's documents pickled for the
    children, and what the events need (Alice's token, login and the conversation)."""
    import pickle
    import secrets

    from chat.adapters.mongo import client as mongo
    from chat.adapters.mongo.indexes import ensure_indexes
    from chat.handlers import composition
    from chat.models.api import SignupRequest
    from chat.models.chat import Connection
    from local.embedded_store import embedded_client
    from tests.round_trips import SingleDatabaseClient

    db = embedded_client()["chat"]
    ensure_indexes(db)
    mongo.use_client(SingleDatabaseClient(db))
    auth = composition.auth_service()
    alice = auth.signup(SignupRequest(username="alice", password=secrets.token_urlsafe(16)))
    bob = auth.signup(SignupRequest(username="bob", password=secrets.token_urlsafe(16)))
    conversation, _ = composition.conversation_service().open_direct(alice.user.id, bob.user.id)
    bob_login = composition.access_tokens().verify_access_token(bob.accessToken).login_id
    composition.presence_service().connected(Connection(connectionId=BOB_SOCKET, userId=bob.user.id, loginId=bob_login))
    documents = {name: list(db[name].find()) for name in db.list_collection_names()}
    (folder / "seed.pickle").write_bytes(pickle.dumps(documents))
    return {
        "user_id": alice.user.id,
        "login_id": composition.access_tokens().verify_access_token(alice.accessToken).login_id,
        "token": alice.accessToken,
        "conversation_id": conversation.id,
    }


def events(folder: Path, seeded: dict[str, str]) -> dict[str, Path]:
    """Each handler's first event, from tests/events/, written to `folder`."""
    import copy
    import json
    from pathlib import Path

    templates = Path(__file__).resolve().parent.parent / "tests" / "events"

    def load(name: str) -> Any:
        return copy.deepcopy(json.loads((templates / f"{name}.json").read_text()))

    caller = {"userId": seeded["user_id"], "principalId": seeded["user_id"], "loginId": seeded["login_id"]}
    send = load("ws_message")
    send["requestContext"]["authorizer"].update(caller)
    send["requestContext"]["connectionId"] = ALICE_SOCKET
    send["body"] = json.dumps(
        {"action": "sendMessage", "conversationId": seeded["conversation_id"], "text": "hi", "clientMsgId": "c1"}
    )
    authorize = load("ws_authorizer_request")
    authorize["queryStringParameters"]["token"] = seeded["token"]
    connect = load("ws_connect")
    connect["queryStringParameters"]["token"] = seeded["token"]
    connect["requestContext"]["authorizer"].update(caller)
    connect["requestContext"]["connectionId"] = ALICE_SOCKET
    http = load("http_api_request")
    http["rawPath"] = http["requestContext"]["http"]["path"] = "/api/conversations"
    http["headers"]["authorization"] = f"Bearer {seeded['token']}"
    ping = load("ws_message")
    ping["requestContext"]["authorizer"].update(caller)
    ping["requestContext"]["routeKey"] = "ping"
    ping["requestContext"]["connectionId"] = ALICE_SOCKET
    by_label = {"sendMessage": send, "authorizer": authorize, "$connect": connect}
    by_label |= {"GET /api/conversations": http, "ping": ping}
    paths: dict[str, Path] = {}
    for label, event in by_label.items():
        paths[label] = folder / f"{len(paths)}.json"
        paths[label].write_text(json.dumps(event))
    return paths


def child_environment(
    port: int, reads_jwt_key: bool, reads_mongodb: bool, *, snapstart: bool = False
) -> dict[str, str]:
    """A deployed function's settings: secrets by ARN, fetched from the stand-in on the first event;
    with `snapstart`, no keys in the environment but the container credentials endpoint, as Lambda
    gives a SnapStart function."""
    root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    local = f"http://127.0.0.1:{port}"
    environment = {
        name: value
        for name, value in os.environ.items()
        if name not in {"JWT_SECRET", "MONGODB_URI", "POWERTOOLS_METRICS_DISABLED", "PYTHONPATH"}
    }
    environment |= {
        "PYTHONPATH": os.pathsep.join([os.path.join(root, "lambdas"), root]),
        "POWERTOOLS_LOG_LEVEL": "INFO",  # metrics on (EMF to stdout), as deployed
        "AWS_ENDPOINT_URL_SECRETS_MANAGER": local,
        "AWS_ENDPOINT_URL_SQS": local,
        "WS_MANAGEMENT_ENDPOINT": f"{local}/live",
        "FAN_OUT_QUEUE_URL": f"{local}/123456789012/chat-fan-out",
        "NOTIFY_QUEUE_URL": f"{local}/123456789012/chat-notify",
    }
    if reads_jwt_key:
        environment["JWT_SECRET_ARN"] = JWT_ARN
    if reads_mongodb:
        environment["MONGODB_URI_SECRET_ARN"] = MONGODB_ARN
    if snapstart:
        for name in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN", "AWS_PROFILE"):
            environment.pop(name, None)
        environment["AWS_CONTAINER_CREDENTIALS_FULL_URI"] = local + CREDENTIALS_PATH
        environment["AWS_CONTAINER_AUTHORIZATION_TOKEN"] = CREDENTIALS_TOKEN
    return environment


def run_child(
    module: str, event: Path, seed_file: Path, environment: dict[str, str], *, mode: str, mongo_ms: float
) -> tuple[dict[str, Any], str, str]:
    import subprocess

    flags = ["-X", "importtime"] if mode == "importtime" else []
    command = [sys.executable, *flags, os.path.abspath(__file__), "--child", module, str(event), str(seed_file)]
    result = subprocess.run(  # noqa: S603 - our own interpreter and this file
        [*command, mode, str(mongo_ms)], env=environment, capture_output=True, text=True, check=False
    )
    if result.returncode != 0:
        raise RuntimeError(f"{module} failed:\n{result.stderr[-3000:]}")
    import json

    figures: dict[str, Any] = {}
    for line in result.stdout.splitlines():
        if line.startswith(RESULT + "_PROFILE "):
            figures["profile"] = json.loads(line.split(" ", 1)[1])
        elif line.startswith(RESULT + " "):
            figures |= json.loads(line.split(" ", 1)[1])
    return figures, result.stdout, result.stderr


def lazy_imports(stderr: str, count: int = 5) -> tuple[float, list[tuple[str, float]]]:
    """From `-X importtime`'s lines between the event's markers (the store's setup left out):
    the total of the imports made on the first event, and the heaviest, in ms."""
    import re

    line_format = re.compile(r"import time:\s+(\d+) \|\s+(\d+) \|(\s*)(\S+)")
    inside, skipping, total, roots = False, False, 0.0, list[tuple[str, float]]()
    for line in stderr.splitlines():
        if line in {EVENT_BEGIN, EVENT_END}:
            inside = line == EVENT_BEGIN
        elif line in {SETUP_BEGIN, SETUP_END}:
            skipping = line == SETUP_BEGIN
        elif inside and not skipping and (match := line_format.search(line)) and len(match.group(3)) == 1:
            ms = int(match.group(2)) / 1000
            total += ms
            roots.append((match.group(4), ms))
    return total, sorted(roots, key=lambda root: -root[1])[:count]


def print_restored(restored: list[tuple[str, float, float, float, dict[str, Any]]]) -> None:
    """The SnapStart table: per handler, its before-snapshot hook, the restored first event (the
    after-restore hook in it) and the product's modules that event still imported."""
    print()
    print("SnapStart (prod), simulated: the handler imported and its before-snapshot hook run, as when Lambda")
    print("  publishes the version (not timed as a cold start: the snapshot keeps it); then, timed, the")
    print("  after-restore hook and the first event, with the credentials from the container endpoint.")
    print("  NOT simulated: Lambda's restore itself (resuming the microVM from the snapshot, the REPORT line's")
    print("  Restore Duration, typically some hundreds of ms): add it to 'restored 1st event'.")
    print()
    print(f"{'handler':24} {'hook':>7} {'restored 1st event':>18} {'cold total':>10}   imported on the restored event")
    for label, hook_ms, event_ms, cold_total, last in restored:
        product = [name for name in last["imported"] if name.startswith("chat.")]
        print(
            f"{label:24} {hook_ms:7.1f} {event_ms:18.1f} {cold_total:10.1f}   "
            f"{', '.join(product) or 'none of the product'}; {last['modules']} modules in all"
        )


def main() -> None:
    import argparse
    import secrets
    import statistics
    import tempfile
    from pathlib import Path

    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0] if __doc__ else None)
    parser.add_argument("--runs", type=int, default=7, help="fresh interpreters per handler (the median is shown)")
    parser.add_argument("--mongo-ms", type=float, default=0.0, help="a wait added to each MongoDB operation")
    parser.add_argument("--cold-only", action="store_true", help="leave out the SnapStart simulation")
    args = parser.parse_args()

    from local.environment import developer_defaults, set_defaults, stand_ins

    jwt_secret = secrets.token_urlsafe(48)
    port, calls = serve_aws({JWT_ARN: jwt_secret, MONGODB_ARN: MONGODB_URI})
    set_defaults({"JWT_SECRET": jwt_secret, "WS_MANAGEMENT_ENDPOINT": f"http://127.0.0.1:{port}/live"})
    set_defaults(developer_defaults() | stand_ins() | {"POWERTOOLS_LOG_LEVEL": "ERROR"})

    print(f"Cold start per handler: median of {args.runs} fresh interpreters (python {sys.version.split()[0]})")
    print("  import: the handler module; first event: inside its first invocation (lazy imports, secrets")
    print("  fetched, clients built, the work); gc: of which collecting garbage; client: building pymongo's")
    print("  MongoClient (with pymongo's import when no store module has made it already); modules: imported")
    print("  on the first event. Simulated on 127.0.0.1: Secrets Manager, SQS, the Management API and the")
    print("  container credentials endpoint (calls really made over HTTP); MongoDB is the embedded store behind")
    print("  the real, never-connected MongoClient.")
    latency = f"{args.mongo_ms:g} ms added per MongoDB operation" if args.mongo_ms else "NOT included (--mongo-ms)"
    print(f"  Network latency, TLS, MongoDB's handshake and auth: {latency}. Shared, busy machines are noisy.")
    with tempfile.TemporaryDirectory() as directory:
        folder = Path(directory)
        seeded = seed(folder)
        event_files = events(folder, seeded)
        seed_file = folder / "seed.pickle"
        print()
        print(
            f"{'handler':24} {'import':>7} {'1st event':>9} {'total':>7} {'gc':>5} {'client':>7} {'modules':>7}   calls"
        )
        details, restored = [], []
        for label, (module, reads_jwt_key, reads_mongodb, snapstart) in HANDLERS.items():
            environment = child_environment(port, reads_jwt_key, reads_mongodb)
            in_snapstart = child_environment(port, reads_jwt_key, reads_mongodb, snapstart=True)
            event = event_files[label]
            run_child(module, event, seed_file, environment, mode="plain", mongo_ms=args.mongo_ms)  # bytecode cache
            runs, resumed, made = [], [], dict[str, int]()
            for _ in range(args.runs):  # cold and restored in turns, so both see the same load
                calls.clear()
                runs.append(run_child(module, event, seed_file, environment, mode="plain", mongo_ms=args.mongo_ms)[0])
                made = dict(calls)
                if snapstart and not args.cold_only:
                    resumed.append(
                        run_child(module, event, seed_file, in_snapstart, mode="restored", mongo_ms=args.mongo_ms)[0]
                    )

            def median(key: str, of: list[dict[str, Any]] = runs) -> float:
                return float(statistics.median(run[key] for run in of))

            total = statistics.median(run["import_ms"] + run["event_ms"] for run in runs)
            said = ", ".join(
                [f"{count} {kind}" for kind, count in sorted(made.items())]
                + [f"{runs[-1]['mongo_operations']} MongoDB ops; answer {runs[-1]['status']}"]
            )
            print(
                f"{label:24} {median('import_ms'):7.1f} {median('event_ms'):9.1f} {total:7.1f} {median('gc_ms'):5.1f} "
                f"{median('mongo_client_ms'):7.1f} {median('modules'):7.0f}   {said}"
            )
            if resumed:
                restored.append(
                    (label, median("snapshot_ms", resumed), median("event_ms", resumed), total, resumed[-1])
                )
            _, _, stderr = run_child(module, event, seed_file, environment, mode="importtime", mongo_ms=args.mongo_ms)
            profiled, _, _ = run_child(module, event, seed_file, environment, mode="profile", mongo_ms=args.mongo_ms)
            details.append((label, lazy_imports(stderr), profiled.get("profile", [])))
    if restored:
        print_restored(restored)
    print()
    print("Biggest contributors to each cold first event (one more run each; both tools slow what they watch)")
    for label, (imports_ms, heaviest), profile in details:
        print(f"  {label}")
        if heaviest:
            roots = ", ".join(f"{name} {ms:.0f}" for name, ms in heaviest)
            print(f"    lazy imports (-X importtime): {imports_ms:.0f} ms in all; heaviest: {roots}")
        else:
            print("    lazy imports (-X importtime): none")
        for name, ms in profile:
            print(f"    {ms:7.1f} ms  {name}")


if __name__ == "__main__":
    if sys.argv[1:2] == ["--child"]:
        del sys.path[0]  # benchmarks/ itself: the handler sees lambdas/ and the project, as PYTHONPATH says
        child(sys.argv[2], sys.argv[3], sys.argv[4], sys.argv[5], float(sys.argv[6]))
    else:
        main()
