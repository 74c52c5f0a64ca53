"""Proves tests/emulator/launch_ministack.py: loopback start-up and the CloudFormation fixes.

Run with the emulator venv (scripts/bootstrap-tools builds it):

    .tools/ministack/bin/python -m unittest discover -s tests/emulator -v

Starts one launcher on a free loopback port for the whole module, with AUTH=true.
Each test uses its own 12-digit access key, which the emulator treats as its own isolated
account, so tests share the server but not state.
"""

from __future__ import annotations

import json
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import unittest
import urllib.error
import urllib.request

import boto3
from botocore.config import Config
from botocore.exceptions import ClientError

HERE = os.path.dirname(os.path.abspath(__file__))
LAUNCHER = os.path.join(HERE, "launch_ministack.py")
REGION = "us-east-1"
START_TIMEOUT_S = 30
STACK_TIMEOUT_S = 60

_server: subprocess.Popen | None = None
_endpoint = ""
_scratch = ""


def _free_loopback_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start_launcher(scratch: str, *extra_args: str) -> tuple[subprocess.Popen, str]:
    """Start a launcher in `scratch` on a free loopback port; returns it and its endpoint once healthy."""
    port = _free_loopback_port()
    endpoint = f"http://127.0.0.1:{port}"
    log_path = os.path.join(scratch, "ministack.log")
    log = open(log_path, "w")
    started = time.monotonic()
    server = subprocess.Popen(
        [sys.executable, LAUNCHER, "--port", str(port), "--state-dir", os.path.join(scratch, "state"), *extra_args],
        stdin=subprocess.DEVNULL,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    log.close()
    deadline = started + START_TIMEOUT_S
    while True:
        if server.poll() is not None:
            raise RuntimeError(f"launcher exited with {server.returncode}:\n{_log_tail(log_path)}")
        try:
            with urllib.request.urlopen(f"{endpoint}/_ministack/health", timeout=1) as response:
                if response.status == 200:
                    break
        except (urllib.error.URLError, ConnectionError, TimeoutError):
            pass
        if time.monotonic() > deadline:
            stop_launcher(server)
            raise RuntimeError(f"emulator not healthy after {START_TIMEOUT_S} s:\n{_log_tail(log_path)}")
        time.sleep(0.05)
    print(f"\nemulator healthy after {time.monotonic() - started:.2f} s on {endpoint}", file=sys.stderr)
    return server, endpoint


def stop_launcher(server: subprocess.Popen | None) -> None:
    # Stop exactly the process this module started, by its PID.
    if server is not None and server.poll() is None:
        server.terminate()
        try:
            server.wait(timeout=10)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait()


def _log_tail(path: str) -> str:
    try:
        with open(path, encoding="utf-8", errors="replace") as f:
            return f.read()[-4000:]
    except OSError:
        return "(no log)"


def setUpModule() -> None:
    global _server, _endpoint, _scratch
    _scratch = tempfile.mkdtemp(prefix="fanout-emulator-test-")
    try:
        _server, _endpoint = start_launcher(_scratch)
    except BaseException:
        shutil.rmtree(_scratch, ignore_errors=True)
        raise


def tearDownModule() -> None:
    stop_launcher(_server)
    if _scratch:
        shutil.rmtree(_scratch, ignore_errors=True)


def client(service: str, account: str, endpoint: str | None = None):
    """A client for one isolated emulator account (AUTH=true: the access key is the account)."""
    assert len(account) == 12 and account.isdigit()
    return boto3.session.Session(
        aws_access_key_id=account,
        aws_secret_access_key="test",
        region_name=REGION,
    ).client(
        service,
        endpoint_url=endpoint or _endpoint,
        config=Config(retries={"max_attempts": 1}, connect_timeout=5, read_timeout=30),
    )


def deploy(account: str, stack_name: str, template: dict) -> str:
    """Create a stack and wait for a terminal status; returns that status."""
    cfn = client("cloudformation", account)
    cfn.create_stack(StackName=stack_name, TemplateBody=json.dumps(template))
    return wait_for_stack(cfn, stack_name)


def update(account: str, stack_name: str, template: dict) -> str:
    cfn = client("cloudformation", account)
    cfn.update_stack(StackName=stack_name, TemplateBody=json.dumps(template))
    return wait_for_stack(cfn, stack_name)


def wait_for_stack(cfn, stack_name: str) -> str:
    deadline = time.monotonic() + STACK_TIMEOUT_S
    while True:
        status = cfn.describe_stacks(StackName=stack_name)["Stacks"][0]["StackStatus"]
        if not status.endswith("_IN_PROGRESS"):
            return status
        if time.monotonic() > deadline:
            raise AssertionError(f"stack {stack_name} still {status} after {STACK_TIMEOUT_S} s")
        time.sleep(0.2)


def outputs(account: str, stack_name: str) -> dict[str, str]:
    stack = client("cloudformation", account).describe_stacks(StackName=stack_name)["Stacks"][0]
    return {o["OutputKey"]: o["OutputValue"] for o in stack.get("Outputs", [])}


def failure_events(account: str, stack_name: str) -> list[str]:
    events = client("cloudformation", account).describe_stack_events(StackName=stack_name)["StackEvents"]
    return [
        f"{e['LogicalResourceId']} {e['ResourceStatus']}: {e.get('ResourceStatusReason', '')}"
        for e in events
        if e["ResourceStatus"].endswith("_FAILED")
    ]


def queue_with_sns_policy(queue_props: dict, topic_arn) -> dict:
    """Queue + the queue policy SNS needs to deliver (enforced under AUTH=true)."""
    return {
        "Queue": {"Type": "AWS::SQS::Queue", "Properties": queue_props},
        "QueuePolicy": {
            "Type": "AWS::SQS::QueuePolicy",
            "Properties": {
                "Queues": [{"Ref": "Queue"}],
                "PolicyDocument": {
                    "Version": "2012-10-17",
                    "Statement": [
                        {
                            "Effect": "Allow",
                            "Principal": {"Service": "sns.amazonaws.com"},
                            "Action": "sqs:SendMessage",
                            "Resource": {"Fn::GetAtt": ["Queue", "Arn"]},
                            "Condition": {"ArnEquals": {"aws:SourceArn": topic_arn}},
                        }
                    ],
                },
            },
        },
        "Subscription": {
            "Type": "AWS::SNS::Subscription",
            "DependsOn": "QueuePolicy",
            "Properties": {
                "Protocol": "sqs",
                "TopicArn": topic_arn,
                "Endpoint": {"Fn::GetAtt": ["Queue", "Arn"]},
                "RawMessageDelivery": True,
            },
        },
    }


def receive_all(sqs, queue_url: str) -> list[str]:
    """Receive, delete and return every message, until a receive comes back empty.
    Deleting matters: a FIFO queue holds back a group while a message of it is in flight."""
    bodies = []
    while True:
        messages = sqs.receive_message(
            QueueUrl=queue_url, MaxNumberOfMessages=10, WaitTimeSeconds=1, VisibilityTimeout=30
        ).get("Messages", [])
        if not messages:
            return bodies
        for m in messages:
            bodies.append(m["Body"])
            sqs.delete_message(QueueUrl=queue_url, ReceiptHandle=m["ReceiptHandle"])


class LauncherTest(unittest.TestCase):
    def test_health_answers_on_loopback(self):
        with urllib.request.urlopen(f"{_endpoint}/_ministack/health", timeout=5) as response:
            self.assertEqual(response.status, 200)
        self.assertTrue(_endpoint.startswith("http://127.0.0.1:"))

    def test_refuses_other_ministack_version(self):
        # Run the launcher in an interpreter where the installed version reads differently.
        code = (
            "import importlib.metadata, runpy, sys;"
            "importlib.metadata.version = lambda name: '0.0.1';"
            f"sys.argv = [{LAUNCHER!r}, '--port', '1'];"
            f"runpy.run_path({LAUNCHER!r}, run_name='__main__')"
        )
        result = subprocess.run(
            [sys.executable, "-c", code], capture_output=True, text=True, timeout=30, stdin=subprocess.DEVNULL
        )
        self.assertEqual(result.returncode, 2, result.stderr)
        self.assertIn("ministack 1.5.33 is required, found 0.0.1", result.stderr)

    def test_fifo_topic_from_stack_requires_group_and_deduplicates(self):
        account = "111111111111"
        template = {
            "Resources": {
                "Topic": {
                    "Type": "AWS::SNS::Topic",
                    "Properties": {"TopicName": "x.fifo", "FifoTopic": True, "ContentBasedDeduplication": True},
                },
                # KmsMasterKeyId must reach the topic's attributes like CreateTopic stores it.
                "EncryptedTopic": {
                    "Type": "AWS::SNS::Topic",
                    "Properties": {"TopicName": "encrypted", "KmsMasterKeyId": "alias/aws/sns"},
                },
                **queue_with_sns_policy(
                    {"QueueName": "inbox.fifo", "FifoQueue": True}, {"Ref": "Topic"}
                ),
            },
            "Outputs": {"TopicArn": {"Value": {"Ref": "Topic"}}, "QueueUrl": {"Value": {"Ref": "Queue"}}},
        }
        status = deploy(account, "fifo", template)
        self.assertEqual(status, "CREATE_COMPLETE", failure_events(account, "fifo"))
        out = outputs(account, "fifo")
        sns, sqs = client("sns", account), client("sqs", account)

        attributes = sns.get_topic_attributes(TopicArn=out["TopicArn"])["Attributes"]
        self.assertEqual(attributes.get("FifoTopic"), "true")
        self.assertEqual(attributes.get("ContentBasedDeduplication"), "true")
        encrypted = sns.get_topic_attributes(TopicArn=f"arn:aws:sns:{REGION}:{account}:encrypted")["Attributes"]
        self.assertEqual(encrypted.get("KmsMasterKeyId"), "alias/aws/sns")
        self.assertNotIn("FifoTopic", encrypted)

        with self.assertRaises(ClientError) as raised:
            sns.publish(TopicArn=out["TopicArn"], Message="no group")
        self.assertIn("MessageGroupId", str(raised.exception))

        first = sns.publish(TopicArn=out["TopicArn"], Message="hello", MessageGroupId="g1")
        second = sns.publish(TopicArn=out["TopicArn"], Message="hello", MessageGroupId="g1")
        self.assertIn("SequenceNumber", first)
        self.assertEqual(first["MessageId"], second["MessageId"], "the repeat was not deduplicated")
        self.assertEqual(receive_all(sqs, out["QueueUrl"]), ["hello"])

    def test_unnamed_fifo_topic_gets_fifo_name_and_updates_in_place(self):
        account = "121212121212"

        def template(cbd: bool) -> dict:
            return {
                "Resources": {
                    "Topic": {
                        "Type": "AWS::SNS::Topic",
                        "Properties": {"FifoTopic": True, "ContentBasedDeduplication": cbd},
                    }
                },
                "Outputs": {"TopicArn": {"Value": {"Ref": "Topic"}}},
            }

        self.assertEqual(deploy(account, "unnamed", template(True)), "CREATE_COMPLETE",
                         failure_events(account, "unnamed"))
        arn = outputs(account, "unnamed")["TopicArn"]
        self.assertTrue(arn.endswith(".fifo"), arn)

        self.assertEqual(update(account, "unnamed", template(False)), "UPDATE_COMPLETE",
                         failure_events(account, "unnamed"))
        self.assertEqual(outputs(account, "unnamed")["TopicArn"], arn, "the topic was replaced")
        sns = client("sns", account)
        self.assertEqual(sns.get_topic_attributes(TopicArn=arn)["Attributes"]["ContentBasedDeduplication"], "false")
        with self.assertRaises(ClientError) as raised:
            sns.publish(TopicArn=arn, Message="m", MessageGroupId="g")
        self.assertIn("MessageDeduplicationId", str(raised.exception))

    def test_fifo_topic_with_standard_name_fails_the_stack(self):
        account = "131313131313"
        template = {"Resources": {"Topic": {"Type": "AWS::SNS::Topic",
                                            "Properties": {"TopicName": "plain", "FifoTopic": True}}}}
        self.assertEqual(deploy(account, "badname", template), "ROLLBACK_COMPLETE")
        self.assertTrue(any("must end with .fifo" in e for e in failure_events(account, "badname")),
                        failure_events(account, "badname"))

    def test_subscription_to_missing_topic_fails_and_rolls_back(self):
        account = "222222222222"
        missing = f"arn:aws:sns:{REGION}:{account}:does-not-exist"
        template = {"Resources": queue_with_sns_policy({"QueueName": "orphan"}, missing)}
        self.assertEqual(deploy(account, "dangling", template), "ROLLBACK_COMPLETE")
        failures = failure_events(account, "dangling")
        self.assertTrue(
            any(e.startswith("Subscription CREATE_FAILED") and "does-not-exist" in e for e in failures), failures
        )
        self.assertEqual(client("sqs", account).list_queues().get("QueueUrls", []), [], "rollback left the queue")

    def test_subscription_with_invalid_endpoint_fails(self):
        account = "232323232323"
        template = {
            "Resources": {
                "Topic": {"Type": "AWS::SNS::Topic", "Properties": {"TopicName": "t"}},
                "Subscription": {
                    "Type": "AWS::SNS::Subscription",
                    "Properties": {"Protocol": "sqs", "TopicArn": {"Ref": "Topic"}, "Endpoint": "not-an-arn"},
                },
            }
        }
        self.assertEqual(deploy(account, "badendpoint", template), "ROLLBACK_COMPLETE")
        self.assertTrue(any("not-an-arn" in e for e in failure_events(account, "badendpoint")),
                        failure_events(account, "badendpoint"))

    def test_stack_topic_without_policy_is_closed_to_other_accounts(self):
        owner, other = "242424242424", "252525252525"
        topic_arn = f"arn:aws:sns:{REGION}:{owner}:private"
        template = {"Resources": {"Topic": {"Type": "AWS::SNS::Topic", "Properties": {"TopicName": "private"}}}}
        self.assertEqual(deploy(owner, "private", template), "CREATE_COMPLETE", failure_events(owner, "private"))
        # Like a topic from CreateTopic: the default policy admits the owner's account only.
        self.assertEqual(deploy(other, "intruder", {"Resources": queue_with_sns_policy({"QueueName": "q"}, topic_arn)}),
                         "ROLLBACK_COMPLETE")
        self.assertTrue(any("not authorized" in e for e in failure_events(other, "intruder")),
                        failure_events(other, "intruder"))
        with self.assertRaises(ClientError) as raised:
            client("sns", other).publish(TopicArn=topic_arn, Message="m")
        self.assertEqual(raised.exception.response["Error"]["Code"], "AuthorizationError")
        client("sns", owner).publish(TopicArn=topic_arn, Message="m")

    def test_cross_account_subscription_delivers_and_respects_topic_policy(self):
        producer, consumer, stranger = "333333333333", "444444444444", "555555555555"
        topic_arn = f"arn:aws:sns:{REGION}:{producer}:events"
        producer_template = {
            "Resources": {
                "Topic": {"Type": "AWS::SNS::Topic", "Properties": {"TopicName": "events"}},
                "TopicPolicy": {
                    "Type": "AWS::SNS::TopicPolicy",
                    "Properties": {
                        "Topics": [{"Ref": "Topic"}],
                        "PolicyDocument": {
                            "Version": "2012-10-17",
                            "Statement": [
                                {
                                    "Effect": "Allow",
                                    "Principal": {"AWS": f"arn:aws:iam::{consumer}:root"},
                                    "Action": "sns:Subscribe",
                                    "Resource": {"Ref": "Topic"},
                                }
                            ],
                        },
                    },
                },
            }
        }
        self.assertEqual(deploy(producer, "producer", producer_template), "CREATE_COMPLETE",
                         failure_events(producer, "producer"))

        consumer_template = {
            "Resources": queue_with_sns_policy({"QueueName": "inbox"}, topic_arn),
            "Outputs": {"QueueUrl": {"Value": {"Ref": "Queue"}}},
        }
        self.assertEqual(deploy(consumer, "consumer", consumer_template), "CREATE_COMPLETE",
                         failure_events(consumer, "consumer"))
        client("sns", producer).publish(TopicArn=topic_arn, Message="across")
        self.assertEqual(receive_all(client("sqs", consumer), outputs(consumer, "consumer")["QueueUrl"]), ["across"])

        # An account the topic policy does not name may not subscribe, as on AWS.
        self.assertEqual(deploy(stranger, "stranger", consumer_template), "ROLLBACK_COMPLETE")
        self.assertTrue(any("not authorized" in e for e in failure_events(stranger, "stranger")),
                        failure_events(stranger, "stranger"))

        # Deleting the consumer stack removes its subscription from the producer's topic.
        cfn = client("cloudformation", consumer)
        cfn.delete_stack(StackName="consumer")
        deadline = time.monotonic() + STACK_TIMEOUT_S
        while client("sns", producer).list_subscriptions_by_topic(TopicArn=topic_arn)["Subscriptions"]:
            self.assertLess(time.monotonic(), deadline, "subscription left on the producer's topic")
            time.sleep(0.2)


class UndeliverableTest(unittest.TestCase):
    """What SNS cannot deliver goes to the subscription's dead-letter queue, as delivered."""

    def test_undeliverable_messages_land_in_the_subscription_dead_letter_queue(self):
        account = "666666666666"
        sns, sqs = client("sns", account), client("sqs", account)
        topic_arn = sns.create_topic(
            Name="events.fifo", Attributes={"FifoTopic": "true", "ContentBasedDeduplication": "true"}
        )["TopicArn"]

        def queue(name: str) -> tuple[str, str]:
            url = sqs.create_queue(QueueName=name, Attributes={"FifoQueue": "true"})["QueueUrl"]
            arn = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
            return url, arn

        def allow_topic(url: str, arn: str) -> None:
            policy = {"Version": "2012-10-17", "Statement": [{
                "Effect": "Allow", "Principal": {"Service": "sns.amazonaws.com"}, "Action": "sqs:SendMessage",
                "Resource": arn, "Condition": {"ArnEquals": {"aws:SourceArn": topic_arn}},
            }]}
            sqs.set_queue_attributes(QueueUrl=url, Attributes={"Policy": json.dumps(policy)})

        (raw_url, raw_arn), (enveloped_url, enveloped_arn) = queue("raw.fifo"), queue("enveloped.fifo")
        dead_letter_queues = {}
        for name, endpoint, raw in (("raw", raw_arn, "true"), ("enveloped", enveloped_arn, "false")):
            dlq_url, dlq_arn = queue(f"{name}-dlq.fifo")
            allow_topic(dlq_url, dlq_arn)
            dead_letter_queues[name] = dlq_url
            sns.subscribe(TopicArn=topic_arn, Protocol="sqs", Endpoint=endpoint, Attributes={
                "RawMessageDelivery": raw, "RedrivePolicy": json.dumps({"deadLetterTargetArn": dlq_arn}),
            })
        # Neither queue lets the topic send: both deliveries fail.
        sns.publish(TopicArn=topic_arn, Message="m-1", MessageGroupId="g-1",
                    MessageAttributes={"kind": {"DataType": "String", "StringValue": "k"}})

        def dead_letters(name: str) -> list[dict]:
            return sqs.receive_message(QueueUrl=dead_letter_queues[name], MaxNumberOfMessages=10, WaitTimeSeconds=1,
                                       AttributeNames=["All"], MessageAttributeNames=["All"]).get("Messages", [])

        [raw_message] = dead_letters("raw")
        self.assertEqual(raw_message["Body"], "m-1")
        self.assertEqual(raw_message["MessageAttributes"]["kind"]["StringValue"], "k")
        self.assertEqual(raw_message["Attributes"]["MessageGroupId"], "g-1")
        [enveloped] = dead_letters("enveloped")
        envelope = json.loads(enveloped["Body"])
        self.assertEqual((envelope["Type"], envelope["TopicArn"], envelope["Message"]), ("Notification", topic_arn, "m-1"))
        self.assertEqual(envelope["MessageAttributes"]["kind"], {"Type": "String", "Value": "k"})
        self.assertNotIn("MessageAttributes", enveloped)
        self.assertNotIn("DeadLetterQueueSourceArn", enveloped["Attributes"])

        # A queue that lets the topic send gets the message, and the dead-letter queue nothing more.
        allow_topic(raw_url, raw_arn)
        sns.publish(TopicArn=topic_arn, Message="m-2", MessageGroupId="g-1")
        self.assertEqual(receive_all(sqs, raw_url), ["m-2"])
        self.assertEqual(dead_letters("raw"), [])


class StackOperationDelayTest(unittest.TestCase):
    """`--stack-operation-delay`: stacks stay `*_IN_PROGRESS` for the delay, without blocking the server."""

    DELAY_S = 1.5

    @classmethod
    def setUpClass(cls) -> None:
        cls.scratch = tempfile.mkdtemp(prefix="fanout-emulator-delay-test-")
        try:
            cls.server, cls.endpoint = start_launcher(cls.scratch, "--stack-operation-delay", str(cls.DELAY_S))
        except BaseException:
            shutil.rmtree(cls.scratch, ignore_errors=True)
            raise

    @classmethod
    def tearDownClass(cls) -> None:
        stop_launcher(cls.server)
        shutil.rmtree(cls.scratch, ignore_errors=True)

    def status(self, cfn, stack_name: str) -> str:
        return cfn.describe_stacks(StackName=stack_name)["Stacks"][0]["StackStatus"]

    def test_change_sets_of_several_stacks_are_held_side_by_side(self):
        account = "616161616161"
        cfn = client("cloudformation", account, self.endpoint)
        template = json.dumps({"Resources": {"Queue": {"Type": "AWS::SQS::Queue"}}})
        names = ["held-a", "held-b", "held-c"]
        for name in names:
            cfn.create_change_set(StackName=name, ChangeSetName="cs", ChangeSetType="CREATE", TemplateBody=template)
            cfn.get_waiter("change_set_create_complete").wait(
                StackName=name, ChangeSetName="cs", WaiterConfig={"Delay": 1, "MaxAttempts": 30}
            )
        started = time.monotonic()
        for name in names:
            cfn.execute_change_set(StackName=name, ChangeSetName="cs")

        # Held: in progress, nothing provisioned yet, and the server still answers at once.
        before = time.monotonic()
        self.assertEqual([self.status(cfn, n) for n in names], ["CREATE_IN_PROGRESS"] * 3)
        self.assertEqual(client("sqs", account, self.endpoint).list_queues().get("QueueUrls", []), [])
        self.assertLess(time.monotonic() - before, self.DELAY_S / 2, "the server blocked during the hold")

        statuses = [wait_for_stack(cfn, n) for n in names]
        elapsed = time.monotonic() - started
        self.assertEqual(statuses, ["CREATE_COMPLETE"] * 3)
        self.assertGreaterEqual(elapsed, self.DELAY_S)
        # One delay for all three, not three in a row: the holds overlap as on AWS.
        self.assertLess(elapsed, 2 * self.DELAY_S, f"the holds ran one after another ({elapsed:.2f} s)")
        self.assertEqual(len(client("sqs", account, self.endpoint).list_queues()["QueueUrls"]), 3)

    def test_delete_is_held_too(self):
        account = "626262626262"
        cfn = client("cloudformation", account, self.endpoint)
        cfn.create_stack(StackName="doomed", TemplateBody=json.dumps({"Resources": {"Queue": {"Type": "AWS::SQS::Queue"}}}))
        self.assertEqual(wait_for_stack(cfn, "doomed"), "CREATE_COMPLETE")
        stack_id = cfn.describe_stacks(StackName="doomed")["Stacks"][0]["StackId"]
        started = time.monotonic()
        cfn.delete_stack(StackName="doomed")
        self.assertEqual(self.status(cfn, stack_id), "DELETE_IN_PROGRESS")
        self.assertEqual(wait_for_stack(cfn, stack_id), "DELETE_COMPLETE")
        self.assertGreaterEqual(time.monotonic() - started, self.DELAY_S)

    def test_rejects_negative_and_non_finite_delays(self):
        for value in ["-1", "nan", "inf", "601"]:
            result = subprocess.run(
                [sys.executable, LAUNCHER, "--port", "1", "--stack-operation-delay", value],
                capture_output=True, text=True, timeout=30, stdin=subprocess.DEVNULL,
            )
            self.assertEqual(result.returncode, 2, (value, result.stderr))
            self.assertIn("--stack-operation-delay must be 0..600 seconds", result.stderr)


if __name__ == "__main__":
    unittest.main()
