"""Start the ministack AWS emulator on loopback, with our fixes to its CloudFormation provisioner.

Run with the interpreter of the venv that scripts/bootstrap-tools builds:

    .tools/ministack/bin/python tests/emulator/launch_ministack.py --port 4599 [--state-dir DIR] [--no-auth]
        [--stack-operation-delay SECONDS]

It serves in the foreground until SIGTERM/SIGINT; stop it by the PID you started.
Readiness: GET http://127.0.0.1:PORT/_ministack/health answers 200.

Why a launcher instead of the `ministack` command:
- Loopback only, whatever the caller's environment says: ministack binds 0.0.0.0 by default and
  opens extra listeners (IoT mTLS, SFTP); all of that is forced off or onto 127.0.0.1 here.
- AUTH=true by default, so queue and topic policies are enforced on delivery as on AWS; with it,
  any 12-digit access key id is its own isolated account.
- ministack 1.5.33's CloudFormation provisioner deviates from AWS in ways that would let broken
  templates pass our end-to-end tests. The patches in apply_patches() make it behave like
  ministack's own SNS API (CreateTopic, Subscribe) and like CloudFormation:
  * AWS::SNS::Topic honours FifoTopic, ContentBasedDeduplication and KmsMasterKeyId (create and
    in-place update), names an unnamed FIFO topic `*.fifo`, and gets CreateTopic's default
    policy, which admits the owner's account only (the provisioner's admitted every account);
  * AWS::SNS::Subscription fails the resource (so the stack rolls back) when the topic does not
    exist, its policy denies sns:Subscribe, or the sqs/lambda Endpoint is not an ARN; a topic in
    another account gets the subscription attached (the provisioner left it dangling).
- ministack 1.5.33's SNS drops a message it cannot deliver to a subscribed queue (the queue is
  gone, or its policy does not let the topic send) even when the subscription has a
  RedrivePolicy. AWS puts it into the subscription's dead-letter queue; redirect_undeliverable()
  does the same (see its docstring).
  They reach into ministack internals, so the launcher refuses any other ministack version.

--stack-operation-delay (off by default, used only by the deploy benchmark in scripts/bench)
simulates CloudFormation's provisioning time: ministack provisions a stack within milliseconds of
the request, on its one event-loop thread, so the only thing a deploy tool's concurrency could
overlap is the emulator's own CPU time. With the option, every stack operation (create, update,
delete, rollback) waits that long in `*_IN_PROGRESS` before ministack provisions it. The wait is an
asyncio sleep, so the server keeps answering other requests, and waits of different stacks
overlap as they do on AWS.
"""

from __future__ import annotations

import argparse
import asyncio
import importlib.metadata
import json
import math
import os
import re
import shutil
import sys
import tempfile

REQUIRED_MINISTACK = "1.5.33"
# Longer than any benchmark would want; a larger value is more likely a unit mistake (ms for s).
MAX_STACK_OPERATION_DELAY_S = 600


def parse_args(argv: list[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--port", type=int, required=True, help="TCP port on 127.0.0.1")
    parser.add_argument(
        "--state-dir",
        help="scratch directory for the emulator (TMPDIR); default: a fresh temp dir, removed on exit",
    )
    parser.add_argument(
        "--no-auth",
        action="store_true",
        help="do not enforce credentials and resource policies (AUTH=false)",
    )
    parser.add_argument(
        "--stack-operation-delay",
        type=float,
        default=0.0,
        metavar="SECONDS",
        help="hold every stack operation in *_IN_PROGRESS this long before provisioning it, to "
        "simulate CloudFormation's provisioning time (for the deploy benchmark; default 0: off)",
    )
    args = parser.parse_args(argv)
    if not 1 <= args.port <= 65535:
        parser.error(f"--port must be 1..65535, got {args.port}")
    if not (math.isfinite(args.stack_operation_delay) and 0 <= args.stack_operation_delay <= MAX_STACK_OPERATION_DELAY_S):
        parser.error(
            f"--stack-operation-delay must be 0..{MAX_STACK_OPERATION_DELAY_S} seconds, got {args.stack_operation_delay}"
        )
    return args


def check_version() -> None:
    try:
        found = importlib.metadata.version("ministack")
    except importlib.metadata.PackageNotFoundError:
        found = None
    if found != REQUIRED_MINISTACK:
        print(
            f"launch_ministack: error: ministack {REQUIRED_MINISTACK} is required, found "
            f"{found or 'none'} in {sys.executable}\n"
            f"  hint: run scripts/bootstrap-tools and use .tools/ministack/bin/python; the patches in "
            f"this launcher are written against {REQUIRED_MINISTACK}'s internals",
            file=sys.stderr,
        )
        sys.exit(2)


def configure_environment(port: int, state_dir: str, auth: bool) -> None:
    """Set before ministack is imported: its modules read these at import time."""
    os.environ.update(
        {
            "BIND_HOST": "127.0.0.1",
            "GATEWAY_PORT": str(port),
            "MINISTACK_HOST": "127.0.0.1",
            "IOT_MTLS_ENABLED": "0",
            "SFTP_ENABLED": "0",
            "TMPDIR": state_dir,
            "AUTH": "true" if auth else "false",
            # Some services default to fixed /tmp paths instead of TMPDIR; keep every
            # write inside the scratch directory, and never load or save state from a
            # previous run (each test run starts empty).
            "STATE_DIR": os.path.join(state_dir, "state"),
            "S3_DATA_DIR": os.path.join(state_dir, "s3"),
            "PERSIST_STATE": "0",
            "S3_PERSIST": "0",
            "LOCALSTACK_PERSISTENCE": "0",
        }
    )
    os.environ.pop("EDGE_PORT", None)
    # tempfile caches its directory on first use; make it see the new TMPDIR.
    tempfile.tempdir = state_dir


def _truthy(value) -> bool:
    """A CloudFormation boolean: JSON true or the string "true" (any case)."""
    return value is True or str(value).lower() == "true"


def apply_patches() -> None:
    """Correct ministack 1.5.33's CloudFormation provisioning of SNS topics and subscriptions."""
    from ministack.services import sns
    from ministack.services.cloudformation import provisioners as prov

    original_topic_create = prov._sns_create
    original_topic_update = prov._sns_update
    original_sub_create = prov._sns_sub_create

    fifo_suffix = ".fifo"

    def with_generated_fifo_name(props, stack_name, logical_id):
        # CloudFormation names an unnamed FIFO topic `<generated>.fifo` (the SNS resource
        # provider's CreateHandler appends the suffix). ministack generates a plain name, which
        # SNS would refuse for a FIFO topic. The update path derives the name again to decide
        # on replacement, so both paths must see the same explicit name.
        if props.get("TopicName") or not _truthy(props.get("FifoTopic")):
            return props
        name = prov._physical_name(stack_name, logical_id, max_len=256 - len(fifo_suffix))
        return {**props, "TopicName": name + fifo_suffix}

    def apply_topic_attributes(topic, props, creating):
        # Deviation 1 (EMULATOR.md): the provisioner ignored FifoTopic, ContentBasedDeduplication
        # and KmsMasterKeyId, so a `.fifo` topic made by a stack accepted publishes without a
        # message group and never deduplicated. Mirror what ministack's CreateTopic /
        # SetTopicAttributes do with the same attributes (sns._create_topic): a `.fifo` name or
        # FifoTopic=true makes a FIFO topic, whose ContentBasedDeduplication defaults to "false"
        # and which carries the dedup cache and sequence counter that Publish relies on.
        attributes = topic["attributes"]
        is_fifo = attributes.get("FifoTopic") == "true" if not creating else (
            _truthy(props.get("FifoTopic")) or topic["name"].endswith(fifo_suffix)
        )
        if is_fifo:
            attributes["FifoTopic"] = "true"
            attributes["ContentBasedDeduplication"] = (
                "true" if _truthy(props.get("ContentBasedDeduplication")) else "false"
            )
            topic.setdefault("dedup_cache", {})
            topic.setdefault("fifo_seq", 0)
        elif "ContentBasedDeduplication" in props:
            # CreateTopic stores the attribute on a standard topic too (without effect).
            attributes["ContentBasedDeduplication"] = (
                "true" if _truthy(props["ContentBasedDeduplication"]) else "false"
            )
        else:
            attributes.pop("ContentBasedDeduplication", None)
        if props.get("KmsMasterKeyId"):
            attributes["KmsMasterKeyId"] = str(props["KmsMasterKeyId"])
        else:
            attributes.pop("KmsMasterKeyId", None)

    def restrict_default_policy(topic):
        # The provisioner's default topic policy allows SNS:Publish/Subscribe to Principal "*"
        # without the AWS:SourceOwner condition that CreateTopic (and AWS) put on it, so under
        # AUTH=true any account could subscribe to or publish on a stack's topic that has no
        # AWS::SNS::TopicPolicy, and a missing cross-account grant would go unnoticed.
        try:
            policy = json.loads(topic["attributes"].get("Policy") or "")
        except ValueError:
            return
        if policy.get("Id") != "__default_policy_ID":
            return
        for statement in policy.get("Statement", []):
            statement.setdefault("Condition", {"StringEquals": {"AWS:SourceOwner": prov.get_account_id()}})
        topic["attributes"]["Policy"] = json.dumps(policy)

    def topic_create(logical_id, props, stack_name):
        props = with_generated_fifo_name(props, stack_name, logical_id)
        name = props.get("TopicName") or ""
        if _truthy(props.get("FifoTopic")) and not name.endswith(fifo_suffix):
            # Same check and message as ministack's CreateTopic; raising fails the resource.
            raise ValueError(
                "Invalid parameter: Topic names with FIFO attribute must end with .fifo suffix"
            )
        arn, attrs = original_topic_create(logical_id, props, stack_name)
        topic = sns._topics[arn]
        apply_topic_attributes(topic, props, creating=True)
        restrict_default_policy(topic)
        return arn, attrs

    def topic_update(physical_id, old_props, new_props, stack_name, logical_id=None):
        new_props = with_generated_fifo_name(new_props, stack_name, logical_id or physical_id)
        arn, attrs = original_topic_update(physical_id, old_props, new_props, stack_name, logical_id)
        # FifoTopic and TopicName are create-only: when they change, the engine (or the original
        # handler) replaces the topic through topic_create. In place, only
        # ContentBasedDeduplication and KmsMasterKeyId change, as SetTopicAttributes would.
        if arn == physical_id and arn in sns._topics:
            apply_topic_attributes(sns._topics[arn], new_props, creating=False)
        return arn, attrs

    def error_message(response) -> str:
        body = response[2].decode("utf-8", "replace") if isinstance(response[2], bytes) else str(response[2])
        code = re.search(r"<Code>(.*?)</Code>", body)
        message = re.search(r"<Message>(.*?)</Message>", body)
        return f"{message.group(1) if message else body} (Service: Sns, Error Code: {code.group(1) if code else '?'})"

    def subscription_create(logical_id, props, stack_name):
        # Deviation 2 (EMULATOR.md): a subscription to a topic ARN that does not exist was
        # "created" as a dangling record, so the stack completed and nothing was ever delivered.
        # AWS fails the resource, and the stack rolls back. Resolve the topic the way
        # ministack's Subscribe API does (sns._get_topic), which also finds a topic owned by
        # another account in this region and checks that its policy allows sns:Subscribe.
        topic_arn = props.get("TopicArn", "")
        topic, error = sns._get_topic(str(topic_arn), "sns:Subscribe")
        # Subscribe also rejects an sqs/lambda Endpoint that is not an ARN of that service; the
        # provisioner stored it, and delivery then dropped every message.
        error = error or sns._validate_subscription_endpoint(props.get("Protocol", ""), props.get("Endpoint", ""))
        if error is not None:
            raise ValueError(f"Resource handler returned message: {error_message(error)}")
        if topic["arn"] == topic_arn and topic_arn in sns._topics:
            return original_sub_create(logical_id, props, stack_name)
        # A topic in another account: the original handler looks the topic up in the stack's
        # own account only and would again create a dangling record (the cross-account
        # fan-out we need to test would silently deliver nothing). Attach the subscription to
        # the owner's topic as the Subscribe API does; the subscription ARN is under the topic.
        sub_arn = f"{topic['arn']}:{prov.new_uuid()}"
        attributes = {"FilterPolicyScope": "MessageAttributes", "FilterPolicy": "", "RawMessageDelivery": "false"}
        attributes.update(prov._sns_sub_attributes(props))
        protocol = props.get("Protocol", "")
        topic["subscriptions"].append(
            {
                "arn": sub_arn,
                "topic_arn": topic["arn"],
                "protocol": protocol,
                "endpoint": props.get("Endpoint", ""),
                "confirmed": protocol not in ("http", "https"),
                "owner": prov.get_account_id(),
                "attributes": attributes,
            }
        )
        sns._sub_arn_to_topic[sub_arn] = topic["arn"]
        return sub_arn, {"Arn": sub_arn}

    original_sub_delete = prov._sns_sub_delete

    def subscription_delete(physical_id, props):
        # Counterpart of the cross-account create above: the original delete only looks in the
        # stack's own account, which would leave the subscription on the other account's topic.
        topic_arn = sns._sub_arn_to_topic.get(physical_id)
        topic = sns._topic_by_arn_any_scope(topic_arn) if topic_arn else None
        if topic is not None and topic_arn not in sns._topics:
            topic["subscriptions"] = [s for s in topic["subscriptions"] if s["arn"] != physical_id]
        original_sub_delete(physical_id, props)

    # Module globals first (the update handlers call the create/delete handlers by name for
    # replacements), then the dispatch table, which holds its own references.
    prov._sns_create = topic_create
    prov._sns_update = topic_update
    prov._sns_sub_create = subscription_create
    prov._sns_sub_delete = subscription_delete
    handlers = prov._RESOURCE_HANDLERS
    handlers["AWS::SNS::Topic"]["create"] = topic_create
    handlers["AWS::SNS::Topic"]["update"] = topic_update
    handlers["AWS::SNS::Subscription"]["create"] = subscription_create
    handlers["AWS::SNS::Subscription"]["delete"] = subscription_delete


def redirect_undeliverable() -> None:
    """Put what SNS cannot deliver to a queue into the subscription's dead-letter queue, as AWS does.

    ministack's SNS delivers to a queue through `sns._deliver_to_sqs`, which logs and drops the
    message when the queue does not exist or its policy does not let the topic send. On AWS a
    subscription with a RedrivePolicy gets the message in its dead-letter queue instead, in the
    form the subscription delivers: the raw message with its attributes as message attributes
    when raw message delivery is on, else the JSON envelope; on a FIFO topic with its message
    group and deduplication ID. (AWS's own recorded responses, in LocalStack's AWS-validated test
    `test_redrive_policy_sqs_queue_subscription`, show both forms, with no attributes added.)
    The dead-letter queue's policy must let the topic send, as on AWS.
    """
    from ministack.core.arn import ArnParseError, parse_arn
    from ministack.services import sns, sqs

    original_deliver = sns._deliver_to_sqs

    def deliverable(queue_arn: str, topic_arn: str) -> bool:
        # The same two checks the original makes before it appends the message.
        if sqs._queue_by_arn(queue_arn) is None:
            return False
        try:
            source_account = parse_arn(topic_arn).account_id if topic_arn else ""
        except ArnParseError:
            source_account = ""
        return sqs.queue_policy_allows(queue_arn, "sns.amazonaws.com", topic_arn, source_account or sns.get_account_id())

    def dead_letter_queue(topic_arn: str, queue_arn: str) -> str | None:
        topic = sns._topic_by_arn_any_scope(topic_arn) if topic_arn else None
        for subscription in (topic or {}).get("subscriptions", []):
            if subscription.get("protocol") == "sqs" and subscription.get("endpoint") == queue_arn:
                try:
                    policy = json.loads(subscription.get("attributes", {}).get("RedrivePolicy") or "{}")
                except ValueError:
                    return None
                return policy.get("deadLetterTargetArn") if isinstance(policy, dict) else None
        return None

    def deliver_or_redirect(endpoint, envelope, raw, raw_message, message_group_id="", message_dedup_id="",
                            message_attributes=None, topic_arn=""):
        target = endpoint
        if not deliverable(endpoint, topic_arn):
            target = dead_letter_queue(topic_arn, endpoint) or endpoint
        return original_deliver(target, envelope, raw, raw_message, message_group_id=message_group_id,
                                message_dedup_id=message_dedup_id, message_attributes=message_attributes,
                                topic_arn=topic_arn)

    sns._deliver_to_sqs = deliver_or_redirect


def delay_stack_operations(seconds: float) -> None:
    """Hold every stack operation in `*_IN_PROGRESS` for `seconds` before ministack runs it.

    ministack starts each stack lifecycle coroutine (create, update, delete, rollback, change set
    execution) through `stacks._create_stack_task_in_region`; `changesets` and `handlers` import
    that function by name, so all three references are replaced. The coroutine is wrapped, not the
    scheduling: the task still starts in the stack's region and account context. Most request
    handlers set the `*_IN_PROGRESS` status before scheduling; the two coroutines that set it
    themselves get it set before the hold (their first event is written after it), or a poller
    would see the previous, settled status during the hold and stop waiting.
    """
    from ministack.services.cloudformation import changesets, handlers, stacks

    original = stacks._create_stack_task_in_region
    status_set_inside = {
        stacks._delete_stack_async.__code__: "DELETE_IN_PROGRESS",
        stacks._continue_update_rollback_async.__code__: "UPDATE_ROLLBACK_IN_PROGRESS",
    }

    async def after_delay(coro):
        try:
            await asyncio.sleep(seconds)
        except BaseException:
            coro.close()
            raise
        await coro

    def create_task_after_delay(coro, stack=None, stack_id=None):
        status = status_set_inside.get(getattr(coro, "cr_code", None))
        if status and stack is not None:
            stack["StackStatus"] = status
        original(after_delay(coro), stack, stack_id)

    for module in (stacks, changesets, handlers):
        module._create_stack_task_in_region = create_task_after_delay


def main(argv: list[str]) -> int:
    args = parse_args(argv)
    check_version()
    owned_state_dir = args.state_dir is None
    state_dir = os.path.abspath(args.state_dir or tempfile.mkdtemp(prefix="ministack-"))
    os.makedirs(state_dir, exist_ok=True)
    configure_environment(args.port, state_dir, auth=not args.no_auth)
    try:
        apply_patches()
        redirect_undeliverable()
        if args.stack_operation_delay > 0:
            delay_stack_operations(args.stack_operation_delay)
        from ministack.app import main as ministack_main

        # ministack parses sys.argv itself; give it none of ours.
        sys.argv = [sys.argv[0]]
        print(
            f"launch_ministack: ministack {REQUIRED_MINISTACK} on http://127.0.0.1:{args.port} "
            f"(AUTH={'true' if not args.no_auth else 'false'}, "
            f"simulated stack operation time {args.stack_operation_delay:g} s, state in {state_dir}, pid {os.getpid()})",
            file=sys.stderr,
            flush=True,
        )
        ministack_main()
    except KeyboardInterrupt:
        pass
    finally:
        if owned_state_dir:
            shutil.rmtree(state_dir, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
