"""A fault-injecting proxy between fanout and the AWS emulator, on loopback only.

Run with the emulator's interpreter:

    .tools/ministack/bin/python tests/emulator/fault_proxy.py --upstream https://127.0.0.1:4566 \
        --ca ca.pem [--port 0] [--rules RULES_JSON] [--seed N] [--log FILE]

It prints `listening on PORT` on stdout once it accepts connections, then serves until SIGTERM.
fanout talks plain HTTP to it (`AWS_ENDPOINT_URL=http://127.0.0.1:PORT`); it forwards each
request over HTTPS to the emulator, headers (the SigV4 signature and its Host) unchanged. It
does not terminate fanout's TLS because it has to read every request to know its API action
and must be able to answer in place of AWS; a TLS hop between fanout and a proxy on the same
host tests nothing of fanout, while the emulator behind it keeps its TLS (its resource policies
deny requests without it).

What it does to a request is decided by rules, per API action (`X-Amz-Target` for JSON
services such as SSM, the `Action` form field for query services such as CloudFormation, the
method and path for REST services such as API Gateway), in JSON:

    [{"action": "*", "fault": "throttle", "share": 0.2},
     {"action": "ExecuteChangeSet", "fault": "reset-after", "nth": [1]},
     {"action": "*", "fault": "expired", "after": {"action": "ExecuteChangeSet", "count": 3}}]

- `action`: an action name, or `*` for every action.
- When: `share` (a probability; the shares of all rules that match a request are taken from
  one draw, so 0.2 and 0.05 make 25 % in all), `nth` (the action's Nth requests, from 1),
  `from` (every request from the Nth of the whole run on), or `after` (every request that
  arrives after the `count`-th request of `action`: "for the rest of the run").
  Rules with `nth`, `from` or `after` come before shares; the first that matches decides.
- `fault`: `throttle` (HTTP 400) and `throttle-429` (HTTP 429), in the wire shape of each
  protocol that the AWS SDKs classify as throttling (`Throttling` for query services,
  `ThrottlingException` for JSON ones, `TooManyRequestsException` for REST ones);
  `error-500`, `error-503`; `reset` (the connection is reset before the request is forwarded)
  and `reset-after` (forwarded, then reset instead of answered: the caller cannot know whether
  it happened); `delay` (`seconds`, then forwarded); `expired` (`ExpiredToken` /
  `ExpiredTokenException`) and `revoked` (`InvalidClientTokenId` /
  `UnrecognizedClientException`).

Random draws come from `--seed`, one draw per request in the order requests arrive; with
concurrent requests that order varies, so a seed replays the same sequence of faults, not
always on the same requests.

Control (answered by the proxy, never forwarded): `GET /_proxy/health`; `GET /_proxy/counts`
(requests received, forwarded and faulted per action, and the change sets forwarded to
`ExecuteChangeSet`, in order); `POST /_proxy/reset` (zero the counts); `POST /_proxy/rules`
(replace the rules with the JSON body).
"""

from __future__ import annotations

import argparse
import http.client
import http.server
import json
import random
import socket
import ssl
import struct
import sys
import threading
import time
import urllib.parse

FAULTS = {
    "throttle",
    "throttle-429",
    "error-500",
    "error-503",
    "reset",
    "reset-after",
    "delay",
    "expired",
    "revoked",
}
HOP_BY_HOP = {"connection", "keep-alive", "transfer-encoding", "proxy-connection", "te", "trailer", "upgrade"}


class Reset(Exception):
    """The connection was reset on purpose; nothing more is written to it."""


def parse_rules(rules: list) -> list[dict]:
    if not isinstance(rules, list):
        raise ValueError("rules must be a JSON list")
    for rule in rules:
        if not isinstance(rule, dict) or rule.get("fault") not in FAULTS:
            raise ValueError(f"rule {rule!r}: `fault` must be one of {sorted(FAULTS)}")
        if not any(key in rule for key in ("share", "nth", "from", "after")):
            raise ValueError(f"rule {rule!r}: give `share`, `nth`, `from` or `after`")
        if "share" in rule and not 0 <= float(rule["share"]) <= 1:
            raise ValueError(f"rule {rule!r}: `share` is a probability, 0 to 1")
        rule.setdefault("action", "*")
    return rules


def service_of(headers) -> str:
    """The signing service from the SigV4 credential scope: `.../us-east-1/ssm/aws4_request`."""
    authorization = headers.get("Authorization", "")
    for part in authorization.replace(",", " ").split():
        if part.startswith("Credential="):
            scope = part[len("Credential="):].split("/")
            if len(scope) >= 5:
                return scope[3]
    return "unknown"


def identify(method: str, path: str, headers, body: bytes) -> tuple[str, str, str]:
    """The protocol (`json`, `query`, `rest`), service and action of a request."""
    service = service_of(headers)
    target = headers.get("X-Amz-Target")
    if target:
        return "json", service, target.rsplit(".", 1)[-1]
    content_type = headers.get("Content-Type", "")
    if method == "POST" and content_type.startswith("application/x-www-form-urlencoded"):
        form = urllib.parse.parse_qs(body.decode("utf-8", "replace"))
        if "Action" in form:
            return "query", service, form["Action"][0]
    route = urllib.parse.urlsplit(path).path
    if service == "apigateway" and method == "GET" and route == "/account":
        return "rest", service, "GetAccount"
    return "rest", service, f"{method} {route}"


def error_answer(protocol: str, service: str, fault: str, request_id: str) -> tuple[int, dict, bytes]:
    """An error as the service's protocol puts it on the wire."""
    status, query_code, json_code, message = {
        "throttle": (400, "Throttling", "ThrottlingException", "Rate exceeded"),
        "throttle-429": (429, "Throttling", "ThrottlingException", "Rate exceeded"),
        "error-500": (500, "InternalFailure", "InternalServerError", "We encountered an internal error. Please try again."),
        "error-503": (503, "ServiceUnavailable", "ServiceUnavailable", "Service is unavailable. Please try again."),
        "expired": (403, "ExpiredToken", "ExpiredTokenException", "The security token included in the request is expired"),
        "revoked": (403, "InvalidClientTokenId", "UnrecognizedClientException", "The security token included in the request is invalid."),
    }[fault]
    if protocol == "query":
        namespace = f"http://{service}.amazonaws.com/doc/2010-05-15/" if service == "cloudformation" else ""
        body = (
            f'<ErrorResponse xmlns="{namespace}"><Error><Type>Sender</Type><Code>{query_code}</Code>'
            f"<Message>{message}</Message></Error><RequestId>{request_id}</RequestId></ErrorResponse>"
        )
        return status, {"Content-Type": "text/xml", "x-amzn-RequestId": request_id}, body.encode()
    if protocol == "json":
        # JSON services answer a refused token with 400, as they do throttling.
        if fault in ("expired", "revoked"):
            status = 400
        body = json.dumps({"__type": json_code, "message": message})
        return status, {"Content-Type": "application/x-amz-json-1.1", "x-amzn-RequestId": request_id}, body.encode()
    rest_code = {"throttle": "TooManyRequestsException", "throttle-429": "TooManyRequestsException"}.get(fault, json_code)
    if fault == "throttle":
        status = 429
    headers = {"Content-Type": "application/json", "x-amzn-ErrorType": rest_code, "x-amzn-RequestId": request_id}
    return status, headers, json.dumps({"message": message}).encode()


class State:
    """Rules, counts and the seeded draw, shared by the handler threads."""

    def __init__(self, rules: list[dict], seed: int, log) -> None:
        self.lock = threading.Lock()
        self.rules = rules
        self.random = random.Random(seed)
        self.log = log
        self.reset()

    def reset(self) -> None:
        with self.lock:
            self.total = 0
            self.received: dict[str, int] = {}
            self.forwarded: dict[str, int] = {}
            self.faults: dict[str, dict[str, int]] = {}
            self.executed: list[str] = []

    def decide(self, action: str) -> tuple[dict | None, int]:
        """The rule that applies to this request, if any, and the action's count."""
        with self.lock:
            self.total += 1
            n = self.received[action] = self.received.get(action, 0) + 1
            matching = [r for r in self.rules if r["action"] in ("*", action)]
            for rule in matching:
                if n in rule.get("nth", ()):
                    return rule, n
                if "from" in rule and self.total >= int(rule["from"]):
                    return rule, n
                after = rule.get("after")
                if after:
                    before = self.received.get(after["action"], 0) - (1 if after["action"] == action else 0)
                    if before >= int(after["count"]):
                        return rule, n
            draw = self.random.random()
            floor = 0.0
            for rule in matching:
                if "share" in rule:
                    floor += float(rule["share"])
                    if draw < floor:
                        return rule, n
            return None, n

    def record(self, action: str, fault: str | None, forwarded: bool, change_set: str | None) -> None:
        with self.lock:
            if forwarded:
                self.forwarded[action] = self.forwarded.get(action, 0) + 1
                if action == "ExecuteChangeSet" and change_set:
                    self.executed.append(change_set)
            if fault:
                per_action = self.faults.setdefault(action, {})
                per_action[fault] = per_action.get(fault, 0) + 1
            if self.log:
                self.log.write(json.dumps({"at": time.time(), "action": action, "fault": fault, "forwarded": forwarded}) + "\n")
                self.log.flush()

    def counts(self) -> dict:
        with self.lock:
            return {
                "received": dict(self.received),
                "forwarded": dict(self.forwarded),
                "faults": {a: dict(f) for a, f in self.faults.items()},
                "executed": list(self.executed),
            }


def make_handler(state: State, upstream: urllib.parse.SplitResult, context: ssl.SSLContext):
    local = threading.local()

    class Handler(http.server.BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, format, *args):  # noqa: A002 - the base class's name
            pass

        def handle(self):
            try:
                super().handle()
            except (Reset, ConnectionError, OSError):
                pass

        def read_body(self) -> bytes:
            if self.headers.get("Transfer-Encoding", "").lower() == "chunked":
                body = b""
                while True:
                    size = int(self.rfile.readline().split(b";")[0].strip() or b"0", 16)
                    if size == 0:
                        self.rfile.readline()
                        return body
                    body += self.rfile.read(size)
                    self.rfile.readline()
            return self.rfile.read(int(self.headers.get("Content-Length") or 0))

        def answer(self, status: int, headers: dict, body: bytes) -> None:
            self.send_response(status)
            for name, value in headers.items():
                self.send_header(name, value)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)
            self.wfile.flush()

        def reset(self) -> None:
            self.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
            self.connection.close()
            self.close_connection = True
            raise Reset()

        def forward(self, body: bytes) -> tuple[int, list, bytes]:
            for attempt in range(2):
                connection = getattr(local, "connection", None)
                if connection is None:
                    connection = local.connection = http.client.HTTPSConnection(
                        upstream.hostname, upstream.port, context=context, timeout=120
                    )
                try:
                    connection.putrequest(self.command, self.path, skip_host=True, skip_accept_encoding=True)
                    for name, value in self.headers.items():
                        if name.lower() not in HOP_BY_HOP and name.lower() != "content-length":
                            connection.putheader(name, value)
                    connection.putheader("Content-Length", str(len(body)))
                    connection.endheaders(body)
                    response = connection.getresponse()
                    return response.status, response.getheaders(), response.read()
                except (http.client.HTTPException, OSError):
                    # A kept-alive connection the emulator closed: open a new one, once.
                    connection.close()
                    local.connection = None
                    if attempt == 1:
                        raise
            raise AssertionError("unreachable")

        def control(self) -> bool:
            route = urllib.parse.urlsplit(self.path).path
            if not route.startswith("/_proxy/"):
                return False
            body = self.read_body()
            if route == "/_proxy/health":
                self.answer(200, {"Content-Type": "text/plain"}, b"ok")
            elif route == "/_proxy/counts":
                self.answer(200, {"Content-Type": "application/json"}, json.dumps(state.counts()).encode())
            elif route == "/_proxy/reset" and self.command == "POST":
                state.reset()
                self.answer(200, {"Content-Type": "text/plain"}, b"ok")
            elif route == "/_proxy/rules" and self.command == "POST":
                try:
                    rules = parse_rules(json.loads(body or b"[]"))
                except ValueError as err:
                    self.answer(400, {"Content-Type": "text/plain"}, str(err).encode())
                    return True
                with state.lock:
                    state.rules = rules
                self.answer(200, {"Content-Type": "text/plain"}, b"ok")
            else:
                self.answer(404, {"Content-Type": "text/plain"}, b"no such control path")
            return True

        def serve(self) -> None:
            if self.control():
                return
            body = self.read_body()
            protocol, service, action = identify(self.command, self.path, self.headers, body)
            rule, n = state.decide(action)
            fault = rule["fault"] if rule else None
            change_set = None
            if action == "ExecuteChangeSet":
                # Stack and change set: two stacks may hold change sets of the same name.
                form = urllib.parse.parse_qs(body.decode("utf-8", "replace"))
                name = form.get("ChangeSetName", [None])[0]
                change_set = name and f"{form.get('StackName', [''])[0]}/{name}"
            request_id = f"fault-proxy-{action}-{n}"
            if fault == "reset":
                state.record(action, fault, forwarded=False, change_set=None)
                self.reset()
            if fault in ("throttle", "throttle-429", "error-500", "error-503", "expired", "revoked"):
                state.record(action, fault, forwarded=False, change_set=None)
                self.answer(*error_answer(protocol, service, fault, request_id))
                return
            if fault == "delay":
                time.sleep(float(rule.get("seconds", 1)))
            status, headers, payload = self.forward(body)
            state.record(action, fault, forwarded=True, change_set=change_set)
            if fault == "reset-after":
                self.reset()
            kept = {name: value for name, value in headers if name.lower() not in HOP_BY_HOP | {"content-length", "date", "server"}}
            self.answer(status, kept, payload)

        do_GET = do_POST = do_PUT = do_DELETE = do_HEAD = do_PATCH = serve

    return Handler


def parse_args(argv: list[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--port", type=int, default=0, help="TCP port on 127.0.0.1 (default 0: any free one)")
    parser.add_argument("--upstream", required=True, help="the emulator: https://127.0.0.1:PORT")
    parser.add_argument("--ca", required=True, help="the CA certificate the emulator's certificate is signed by")
    parser.add_argument("--rules", default="[]", help="the rules, as JSON (see above)")
    parser.add_argument("--seed", type=int, default=0, help="the seed of the random draws")
    parser.add_argument("--log", help="append one JSON line per request to this file")
    args = parser.parse_args(argv)
    upstream = urllib.parse.urlsplit(args.upstream)
    if upstream.scheme != "https" or upstream.hostname != "127.0.0.1" or not upstream.port:
        parser.error(f"--upstream must be https://127.0.0.1:PORT (loopback only), got {args.upstream}")
    try:
        args.rules = parse_rules(json.loads(args.rules))
    except ValueError as err:
        parser.error(f"--rules: {err}")
    return args


def main(argv: list[str]) -> int:
    args = parse_args(argv)
    context = ssl.create_default_context(cafile=args.ca)
    log = open(args.log, "a", encoding="utf-8") if args.log else None
    state = State(args.rules, args.seed, log)
    server = http.server.ThreadingHTTPServer(("127.0.0.1", args.port), make_handler(state, urllib.parse.urlsplit(args.upstream), context))
    server.daemon_threads = True
    print(f"listening on {server.server_address[1]}", flush=True)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        server.server_close()
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
