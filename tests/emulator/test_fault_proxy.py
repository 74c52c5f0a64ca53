"""Proves tests/emulator/fault_proxy.py's decisions and wire shapes, without a network.

Run with the emulator venv (scripts/bootstrap-tools builds it):

    .tools/ministack/bin/python -m unittest discover -s tests/emulator -v

The end-to-end tests of fanout (crates/fanout-cli/tests/e2e_faults.rs) drive the proxy for
real; these check what they rely on: which request is which action, which rule applies to it,
and that every error the proxy forges parses, with the SDKs' own parsers, into the error code
it names.
"""

from __future__ import annotations

import os
import sys
import unittest
from email.message import Message

from botocore import parsers
from botocore.awsrequest import HeadersDict

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import fault_proxy  # noqa: E402 - found through the path set above

AUTHORIZATION = (
    "AWS4-HMAC-SHA256 Credential=123456789012/20261130/us-east-1/{service}/aws4_request, "
    "SignedHeaders=host;x-amz-date, Signature=abc"
)


def headers(service: str, **extra: str) -> Message:
    message = Message()
    message["Authorization"] = AUTHORIZATION.format(service=service)
    for name, value in extra.items():
        message[name.replace("_", "-")] = value
    return message


class IdentifyTest(unittest.TestCase):
    def test_json_query_and_rest_requests_are_told_apart(self):
        ssm = headers("ssm", X_Amz_Target="AmazonSSM.GetParameters", Content_Type="application/x-amz-json-1.1")
        self.assertEqual(fault_proxy.identify("POST", "/", ssm, b"{}"), ("json", "ssm", "GetParameters"))
        cfn = headers("cloudformation", Content_Type="application/x-www-form-urlencoded; charset=utf-8")
        body = b"Action=ExecuteChangeSet&Version=2010-05-15&StackName=dev-a&ChangeSetName=fanout-1"
        self.assertEqual(fault_proxy.identify("POST", "/", cfn, body), ("query", "cloudformation", "ExecuteChangeSet"))
        self.assertEqual(fault_proxy.identify("GET", "/account", headers("apigateway"), b""), ("rest", "apigateway", "GetAccount"))
        self.assertEqual(fault_proxy.identify("PUT", "/bucket/key?x=1", headers("s3"), b""), ("rest", "s3", "PUT /bucket/key"))


class RulesTest(unittest.TestCase):
    def state(self, rules: list) -> fault_proxy.State:
        return fault_proxy.State(fault_proxy.parse_rules(rules), seed=7, log=None)

    def test_nth_applies_to_those_requests_of_the_action_only(self):
        state = self.state([{"action": "ExecuteChangeSet", "fault": "reset-after", "nth": [2]}])
        decided = [state.decide(a)[0] for a in ["ExecuteChangeSet", "DescribeStacks", "ExecuteChangeSet", "ExecuteChangeSet"]]
        self.assertEqual([r and r["fault"] for r in decided], [None, None, "reset-after", None])

    def test_after_applies_to_every_later_request_for_the_rest_of_the_run(self):
        state = self.state([{"action": "*", "fault": "expired", "after": {"action": "ExecuteChangeSet", "count": 2}}])
        actions = ["DescribeStacks", "ExecuteChangeSet", "DescribeStacks", "ExecuteChangeSet", "DescribeStacks", "ExecuteChangeSet", "GetParameters"]
        faults = [(state.decide(a)[0] or {}).get("fault") for a in actions]
        # The second execution itself passes; everything after it is refused.
        self.assertEqual(faults, [None, None, None, None, "expired", "expired", "expired"])

    def test_from_counts_every_request_of_the_run(self):
        state = self.state([{"action": "*", "fault": "revoked", "from": 3}])
        faults = [(state.decide(a)[0] or {}).get("fault") for a in ["A", "B", "A", "C"]]
        self.assertEqual(faults, [None, None, "revoked", "revoked"])

    def test_shares_come_from_one_seeded_draw_per_request(self):
        rules = [{"action": "*", "fault": "throttle", "share": 0.2}, {"action": "*", "fault": "error-503", "share": 0.05}]
        runs = []
        for _ in range(2):
            state = self.state(rules)
            runs.append([(state.decide("DescribeStacks")[0] or {}).get("fault") for _ in range(4000)])
        self.assertEqual(runs[0], runs[1], "the same seed gives the same faults")
        throttled, failed = runs[0].count("throttle") / 4000, runs[0].count("error-503") / 4000
        self.assertAlmostEqual(throttled, 0.2, delta=0.03)
        self.assertAlmostEqual(failed, 0.05, delta=0.02)

    def test_bad_rules_are_refused(self):
        for rules in [{"fault": "throttle"}, [{"fault": "explode", "share": 1}], [{"fault": "throttle"}], [{"fault": "throttle", "share": 2}]]:
            with self.assertRaises(ValueError, msg=rules):
                fault_proxy.parse_rules(rules)


class WireShapeTest(unittest.TestCase):
    """Each forged error, read back by botocore's parser for the service's protocol."""

    def parse(self, protocol: str, service: str, fault: str) -> tuple[int, str, str]:
        status, answer_headers, body = fault_proxy.error_answer(protocol, service, fault, "request-1")
        parser = {"query": parsers.QueryParser, "json": parsers.JSONParser, "rest": parsers.RestJSONParser}[protocol]()
        # Header names are case-insensitive on the wire, as in botocore's own responses.
        parsed = parser.parse({"status_code": status, "headers": HeadersDict(answer_headers), "body": body}, None)
        return status, parsed["Error"]["Code"], parsed["Error"]["Message"]

    def test_throttling_in_each_protocol(self):
        self.assertEqual(self.parse("query", "cloudformation", "throttle"), (400, "Throttling", "Rate exceeded"))
        self.assertEqual(self.parse("query", "cloudformation", "throttle-429"), (429, "Throttling", "Rate exceeded"))
        self.assertEqual(self.parse("json", "ssm", "throttle"), (400, "ThrottlingException", "Rate exceeded"))
        self.assertEqual(self.parse("json", "ssm", "throttle-429")[:2], (429, "ThrottlingException"))
        self.assertEqual(self.parse("rest", "apigateway", "throttle")[:2], (429, "TooManyRequestsException"))

    def test_server_errors_and_refused_credentials(self):
        self.assertEqual(self.parse("query", "cloudformation", "error-500")[:2], (500, "InternalFailure"))
        self.assertEqual(self.parse("json", "ssm", "error-503")[:2], (503, "ServiceUnavailable"))
        self.assertEqual(self.parse("query", "cloudformation", "expired")[:2], (403, "ExpiredToken"))
        self.assertEqual(self.parse("json", "ssm", "expired")[:2], (400, "ExpiredTokenException"))
        self.assertEqual(self.parse("query", "cloudformation", "revoked")[:2], (403, "InvalidClientTokenId"))
        self.assertEqual(self.parse("json", "ssm", "revoked")[:2], (400, "UnrecognizedClientException"))


if __name__ == "__main__":
    unittest.main()
