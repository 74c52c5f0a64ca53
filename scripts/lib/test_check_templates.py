"""Negative controls of scripts/check-templates: the checkers run, and fail on what they must.

A template of the seed domains (templates/dev/scoring.json, which passes) is changed the ways a
regression would change it, and scripts/check-templates, run once over all of them, must fail on
each change and name its rule:
- the TLS statement of a queue policy removed: cdk-nag AwsSolutions-SQS4;
- the key policy's deny of direct grants removed: Control Tower CT.KMS.PR.3;
- the justification of a dead-letter queue removed: Serverless-SQSRedrivePolicy, unjustified;
- a justification where no rule needs one: a stale justification;
- justifications without a reason (cdk-nag's, checkov's): they justify nothing.
The unchanged template is checked in the same run and passes, so each failure is its change's.

Run by scripts/test (`python -m unittest discover -s scripts/lib`); it needs .tools/ (bootstrap-tools).
"""

from __future__ import annotations

import copy
import json
import re
import subprocess
import tempfile
import unittest
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
TEMPLATE = ROOT / "templates" / "dev" / "scoring.json"


def without_statement(policy: dict, sid: str) -> None:
    statements = policy["Statement"]
    kept = [s for s in statements if s.get("Sid") != sid]
    assert len(kept) == len(statements) - 1, f"no statement `{sid}` to remove"
    policy["Statement"] = kept


def mutants(template: dict) -> dict[str, dict]:
    """The template unchanged, and changed one way each, by file stem."""
    resources = template["Resources"]
    found = {
        kind: next(logical_id for logical_id, r in resources.items() if r["Type"] == kind)
        for kind in ("AWS::SQS::QueuePolicy", "AWS::KMS::Key")
    }
    # A queue's own dead-letter queue (redrive from its queue only), not one only SNS
    # delivers to, such as the alert e-mails' (`denyAll`), which other rules also exempt.
    dead_letter = next(
        logical_id for logical_id, r in resources.items()
        if r["Type"] == "AWS::SQS::Queue"
        and r["Properties"].get("RedriveAllowPolicy", {}).get("redrivePermission") == "byQueue"
    )
    out = {"unchanged": template}

    no_tls = copy.deepcopy(template)
    without_statement(no_tls["Resources"][found["AWS::SQS::QueuePolicy"]]["Properties"]["PolicyDocument"], "DenyWithoutTls")
    out["no-tls"] = no_tls

    grants = copy.deepcopy(template)
    without_statement(grants["Resources"][found["AWS::KMS::Key"]]["Properties"]["KeyPolicy"], "OnlyAwsServicesCreateGrants")
    out["grants-allowed"] = grants

    unjustified = copy.deepcopy(template)
    del unjustified["Resources"][dead_letter]["Metadata"]
    out["unjustified"] = unjustified

    stale = copy.deepcopy(template)
    stale["Resources"][found["AWS::KMS::Key"]]["Metadata"] = {
        "cdk_nag": {"rules_to_suppress": [{"id": "AwsSolutions-SQS3", "reason": "a key is no queue to redrive"}]}
    }
    out["stale"] = stale

    no_reason = copy.deepcopy(template)
    for entry in no_reason["Resources"][dead_letter]["Metadata"]["cdk_nag"]["rules_to_suppress"]:
        del entry["reason"]
    # CKV_AWS_7 asks for key rotation, which the key has: checkov skips it unasked.
    no_reason["Resources"][found["AWS::KMS::Key"]]["Metadata"] = {"checkov": {"skip": [{"id": "CKV_AWS_7"}]}}
    out["no-reason"] = no_reason
    return out


class NegativeControls(unittest.TestCase):
    failures: dict[str, set[tuple[str, str]]]
    returncode: int
    output: str

    @classmethod
    def setUpClass(cls) -> None:
        template = json.loads(TEMPLATE.read_text(encoding="utf-8"))
        with tempfile.TemporaryDirectory(prefix="fanout-negative-control-") as tmp:
            for stem, body in mutants(template).items():
                (Path(tmp) / f"{stem}.json").write_text(json.dumps(body, indent=2) + "\n", encoding="utf-8")
            result = subprocess.run(
                [str(ROOT / "scripts" / "check-templates"), tmp],
                capture_output=True, text=True, stdin=subprocess.DEVNULL, cwd=ROOT,
            )
        cls.returncode, cls.output = result.returncode, result.stderr
        # `  FAIL <path>[:line...]  <rule> (<checker>)  <resource>`, as check_templates.py prints them.
        cls.failures = {}
        for match in re.finditer(r"^  FAIL (\S+?)(?::[\d:-]+)?  (\S+) \(([^)]+)\)  (\S+)$", cls.output, re.M):
            path, rule, _checker, resource = match.groups()
            cls.failures.setdefault(Path(path).stem, set()).add((rule, resource))

    def rules(self, stem: str) -> set[str]:
        return {rule for rule, _ in self.failures.get(stem, set())}

    def test_the_check_fails(self) -> None:
        self.assertEqual(self.returncode, 1, self.output)

    def test_the_unchanged_template_passes(self) -> None:
        self.assertNotIn("unchanged", self.failures, self.output)

    def test_a_queue_policy_without_tls_fails_cdk_nag(self) -> None:
        self.assertIn("AwsSolutions-SQS4", self.rules("no-tls"), self.output)

    def test_a_key_that_allows_direct_grants_fails_control_tower(self) -> None:
        self.assertIn("CT.KMS.PR.3", self.rules("grants-allowed"), self.output)

    def test_an_unjustified_exception_fails(self) -> None:
        self.assertIn("Serverless-SQSRedrivePolicy", self.rules("unjustified"), self.output)

    def test_a_stale_justification_fails(self) -> None:
        self.assertIn(("AwsSolutions-SQS3", "Key"), self.failures.get("stale", set()), self.output)

    def test_justifications_without_a_reason_fail(self) -> None:
        self.assertIn(("Serverless-SQSRedrivePolicy", "ScoringRunsDeadLetterQueue"), self.failures.get("no-reason", set()), self.output)
        self.assertIn("CKV_AWS_7", self.rules("no-reason"), self.output)

    def test_each_change_fails_only_its_own_rules(self) -> None:
        self.assertEqual(self.rules("unjustified"), {"Serverless-SQSRedrivePolicy"}, self.output)
        self.assertEqual(self.rules("grants-allowed"), {"CT.KMS.PR.3"}, self.output)
        self.assertEqual(self.rules("stale"), {"AwsSolutions-SQS3"}, self.output)
        self.assertEqual(self.rules("no-reason"), {"Serverless-SQSRedrivePolicy", "CKV_AWS_7"}, self.output)


if __name__ == "__main__":
    unittest.main()
