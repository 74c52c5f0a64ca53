//! The compliance packs fanout's templates pass, and the one table of deliberate exceptions.
//!
//! `scripts/check-templates` runs cfn-lint, checkov, the cdk-nag packs ([`CDK_NAG_PACKS`]) and
//! the AWS Control Tower proactive controls (cfn-guard) over every template. Where a template
//! deliberately differs from a rule (an opt-out the manifest asks for, or a rule that does
//! not apply to what the resource does), the resource carries a [`Justification`] from
//! [`JUSTIFICATIONS`], written in the form each checker reads:
//!
//! - cdk-nag: `Metadata.cdk_nag.rules_to_suppress` (`id`, `reason`), the form cdk-nag writes;
//! - cfn-guard: `Metadata.guard.SuppressedRules` (the Control Tower control and its rule name);
//! - checkov: `Metadata.checkov.skip` (`id`, `comment`);
//! - cfn-lint: `Metadata.cfn-lint.config.ignore_checks`.
//!
//! Nothing else accepts a finding: the repo's `.cfnlintrc.yaml` and `.checkov.yaml` accept
//! none, and the README's table of justifications is generated from this one.

use serde_json::{Map, Value};

use crate::template::{Resource, json};

/// The cdk-nag rule packs the templates pass, by the prefix of their rule IDs.
pub const CDK_NAG_PACKS: [&str; 5] = ["AwsSolutions", "NIST.800.53.R5", "HIPAA.Security", "PCI.DSS.321", "Serverless"];

/// An AWS Control Tower proactive control, as the cfn-guard rules that ship it name it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct GuardRule {
    /// The control ID, as Control Tower shows it: `CT.SQS.PR.1`.
    pub control: &'static str,
    /// The name of the cfn-guard rule that implements it: `sqs_dlq_check`.
    pub rule: &'static str,
}

/// Why a resource deliberately differs from some checkers' rules, and which rules.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Justification {
    /// The resources that carry it.
    pub applies_to: &'static str,
    /// Why the rules do not apply or the difference is wanted; written into the template.
    pub reason: &'static str,
    /// cdk-nag rule IDs, with the pack prefix (`AwsSolutions-SQS3`) and, for rules that report
    /// several findings per resource, the finding (`AwsSolutions-IAM5[Resource::...]`).
    pub cdk_nag: &'static [&'static str],
    /// Control Tower proactive controls.
    pub guard: &'static [GuardRule],
    /// checkov check IDs.
    pub checkov: &'static [&'static str],
    /// cfn-lint rule IDs.
    pub cfn_lint: &'static [&'static str],
}

const SQS_DEAD_LETTER_QUEUE: GuardRule = GuardRule { control: "CT.SQS.PR.1", rule: "sqs_dlq_check" };

/// A queue with `dead_letter: false`.
pub const QUEUE_WITHOUT_DEAD_LETTER: Justification = Justification {
    applies_to: "A queue with `dead_letter: false`",
    reason: "`dead_letter: false` in the manifest: the domain chose to drop what its consumer fails to process rather than keep it",
    cdk_nag: &["AwsSolutions-SQS3", "Serverless-SQSRedrivePolicy"],
    guard: &[SQS_DEAD_LETTER_QUEUE],
    checkov: &[],
    cfn_lint: &[],
};

/// The subscriptions of a queue with `dead_letter: false`.
pub const SUBSCRIPTION_WITHOUT_DEAD_LETTER: Justification = Justification {
    applies_to: "A subscription of a queue with `dead_letter: false`",
    reason: "`dead_letter: false` on the subscribed queue in the manifest: the domain chose to drop what SNS cannot deliver rather than keep it",
    cdk_nag: &["Serverless-SNSRedrivePolicy"],
    guard: &[],
    checkov: &[],
    cfn_lint: &[],
};

/// A queue's own dead-letter queue.
pub const DEAD_LETTER_QUEUE: Justification = Justification {
    applies_to: "A queue's dead-letter queue",
    reason: "a dead-letter queue is where redrive ends: a dead-letter queue of its own would only move the same messages once more",
    cdk_nag: &["Serverless-SQSRedrivePolicy"],
    guard: &[],
    checkov: &[],
    cfn_lint: &[],
};

/// A dead-letter queue only SNS subscriptions deliver to: the FIFO one of a standard queue
/// subscribed to FIFO topics, and the one of the alert e-mails.
pub const SUBSCRIPTION_DEAD_LETTER_QUEUE: Justification = Justification {
    applies_to: "A dead-letter queue only SNS subscriptions deliver to (the FIFO one of a standard queue subscribed to FIFO topics, the one of the alert e-mails)",
    reason: "only SNS subscriptions deliver here, so no SQS queue may redrive into it (`RedriveAllowPolicy` `denyAll`), and as a dead-letter queue it ends redrive itself",
    cdk_nag: &["AwsSolutions-SQS3", "Serverless-SQSRedrivePolicy"],
    guard: &[SQS_DEAD_LETTER_QUEUE],
    checkov: &[],
    cfn_lint: &[],
};

/// A queue under `encryption: service-managed`.
pub const QUEUE_WITH_SERVICE_KEY: Justification = Justification {
    applies_to: "A queue with `encryption: service-managed`",
    reason: "`encryption: service-managed` in the manifest: SSE-SQS instead of a customer-managed key",
    cdk_nag: &[],
    guard: &[],
    checkov: &["CKV_AWS_27"],
    cfn_lint: &[],
};

/// The access log group of a domain whose encryption is not `customer-key`.
pub const LOG_GROUP_WITHOUT_DOMAIN_KEY: Justification = Justification {
    applies_to: "The access log group of the REST API when `encryption` is not `customer-key`",
    reason: "`encryption` is not `customer-key` in the manifest: there is no domain key, so CloudWatch Logs encrypts the access logs with its own key",
    cdk_nag: &[
        "HIPAA.Security-CloudWatchLogGroupEncrypted",
        "NIST.800.53.R5-CloudWatchLogGroupEncrypted",
        "PCI.DSS.321-CloudWatchLogGroupEncrypted",
    ],
    guard: &[GuardRule { control: "CT.CLOUDWATCH.PR.3", rule: "cloudwatch_log_group_encrypted_check" }],
    checkov: &["CKV_AWS_158"],
    cfn_lint: &[],
};

/// The REST API stage has no cache.
pub const STAGE_WITHOUT_CACHE: Justification = Justification {
    applies_to: "The REST API stage: no cache",
    reason: "every endpoint publishes, receives or deletes: a cache would answer without doing it",
    cdk_nag: &[
        "HIPAA.Security-APIGWCacheEnabledAndEncrypted",
        "NIST.800.53.R5-APIGWCacheEnabledAndEncrypted",
        "PCI.DSS.321-APIGWCacheEnabledAndEncrypted",
    ],
    guard: &[],
    checkov: &["CKV_AWS_120"],
    cfn_lint: &[],
};

/// The REST API stage has no client certificate.
pub const STAGE_WITHOUT_CLIENT_CERTIFICATE: Justification = Justification {
    applies_to: "The REST API stage: no client certificate",
    reason: "the endpoints call SNS and SQS through AWS service integrations, signed with each endpoint's role; a client certificate authenticates API Gateway to an HTTP back end, and there is none",
    cdk_nag: &["HIPAA.Security-APIGWSSLEnabled", "NIST.800.53.R5-APIGWSSLEnabled", "PCI.DSS.321-APIGWSSLEnabled"],
    guard: &[],
    checkov: &[],
    cfn_lint: &[],
};

/// The REST API stage of a domain without `http.web_acl_arn`.
pub const STAGE_WITHOUT_WEB_ACL: Justification = Justification {
    applies_to: "The REST API stage when the manifest names no web ACL (`http.web_acl_arn`)",
    reason: "no web ACL named in the manifest (`http.web_acl_arn`): only SigV4-signed requests of IAM principals allowed `execute-api:Invoke` get through, at most at the stage's throttling limits",
    cdk_nag: &["AwsSolutions-APIG3", "NIST.800.53.R5-APIGWAssociatedWithWAF", "PCI.DSS.321-APIGWAssociatedWithWAF"],
    guard: &[],
    checkov: &[],
    cfn_lint: &[],
};

/// Every method of the REST API authorizes with IAM.
pub const METHOD_WITH_IAM_AUTHORIZATION: Justification = Justification {
    applies_to: "Every method of the REST API",
    reason: "IAM authorization (SigV4): the callers are the IAM principals of workflows, not users of a Cognito user pool",
    cdk_nag: &["AwsSolutions-COG4"],
    guard: &[],
    checkov: &[],
    cfn_lint: &[],
};

/// The execution role of each endpoint has its policy inline.
pub const ROLE_WITH_INLINE_POLICY: Justification = Justification {
    applies_to: "The execution role of each endpoint",
    reason: "the role's one policy, scoped to its one topic or queue, belongs to that role alone: a managed policy would be a second resource with the same lifetime that nothing else attaches",
    cdk_nag: &["HIPAA.Security-IAMNoInlinePolicy", "NIST.800.53.R5-IAMNoInlinePolicy", "PCI.DSS.321-IAMNoInlinePolicy"],
    guard: &[],
    checkov: &[],
    cfn_lint: &[],
};

/// The execution role of an endpoint when the domain's key is an alias of a key managed
/// elsewhere.
pub const ROLE_WITH_KEY_ALIAS: Justification = Justification {
    applies_to: "The execution role of each endpoint when `encryption.kms_key` is an alias",
    reason: "an alias names no key an IAM policy can grant: the role may use the account's keys, limited by the condition `kms:ResourceAliases` to the key behind that alias",
    cdk_nag: &["AwsSolutions-IAM5[Resource::arn:<AWS::Partition>:kms:<AWS::Region>:<AWS::AccountId>:key/*]"],
    guard: &[],
    checkov: &[],
    cfn_lint: &[],
};

/// Every justification, in the order the README lists them.
pub const JUSTIFICATIONS: [&Justification; 12] = [
    &QUEUE_WITHOUT_DEAD_LETTER,
    &SUBSCRIPTION_WITHOUT_DEAD_LETTER,
    &DEAD_LETTER_QUEUE,
    &SUBSCRIPTION_DEAD_LETTER_QUEUE,
    &QUEUE_WITH_SERVICE_KEY,
    &LOG_GROUP_WITHOUT_DOMAIN_KEY,
    &STAGE_WITHOUT_CACHE,
    &STAGE_WITHOUT_CLIENT_CERTIFICATE,
    &STAGE_WITHOUT_WEB_ACL,
    &METHOD_WITH_IAM_AUTHORIZATION,
    &ROLE_WITH_INLINE_POLICY,
    &ROLE_WITH_KEY_ALIAS,
];

/// The `Metadata` of a resource that carries `justifications`: each rule in the form its
/// checker reads, with the reason where the form has room for one.
pub fn metadata(justifications: &[&Justification]) -> Value {
    let mut cdk_nag = Vec::new();
    let mut guard = Vec::new();
    let mut checkov = Vec::new();
    let mut cfn_lint = Vec::new();
    for justification in justifications {
        let reason = justification.reason;
        cdk_nag.extend(justification.cdk_nag.iter().map(|&id| json!({ "id": id, "reason": reason })));
        for rule in justification.guard {
            guard.extend([json!(rule.control), json!(rule.rule)]);
        }
        checkov.extend(justification.checkov.iter().map(|&id| json!({ "id": id, "comment": reason })));
        cfn_lint.extend(justification.cfn_lint.iter().map(|&id| json!(id)));
    }
    let mut metadata = Map::new();
    if !cdk_nag.is_empty() {
        metadata.insert("cdk_nag".to_string(), json!({ "rules_to_suppress": cdk_nag }));
    }
    if !cfn_lint.is_empty() {
        metadata.insert("cfn-lint".to_string(), json!({ "config": { "ignore_checks": cfn_lint } }));
    }
    if !checkov.is_empty() {
        metadata.insert("checkov".to_string(), json!({ "skip": checkov }));
    }
    if !guard.is_empty() {
        metadata.insert("guard".to_string(), json!({ "SuppressedRules": guard }));
    }
    Value::Object(metadata)
}

impl Resource {
    /// Records that the resource deliberately differs from the rules of `justifications`,
    /// in its `Metadata`; replaces earlier metadata.
    #[must_use]
    pub fn justified(self, justifications: &[&Justification]) -> Self {
        if justifications.is_empty() { self } else { self.with_metadata(metadata(justifications)) }
    }
}

/// The README's table of justifications, as Markdown: one row per [`Justification`], with
/// the rules of every checker it answers.
pub fn justifications_markdown() -> String {
    let mut table = String::from(
        "| Where | Why | cdk-nag | Control Tower (cfn-guard) | checkov |\n| --- | --- | --- | --- | --- |\n",
    );
    let code = |ids: Vec<&str>| {
        if ids.is_empty() {
            "-".to_string()
        } else {
            ids.iter().map(|id| format!("`{id}`")).collect::<Vec<_>>().join("<br>")
        }
    };
    for justification in JUSTIFICATIONS {
        let mut checkov: Vec<&str> = justification.checkov.to_vec();
        checkov.extend(justification.cfn_lint.iter().copied());
        table.push_str(&format!(
            "| {} | {} | {} | {} | {} |\n",
            justification.applies_to,
            justification.reason.replace('|', "\\|"),
            code(justification.cdk_nag.to_vec()),
            code(justification.guard.iter().map(|rule| rule.control).collect()),
            code(checkov),
        ));
    }
    table
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_rule_is_written_in_its_checkers_form_with_the_reason() {
        let metadata = metadata(&[&QUEUE_WITHOUT_DEAD_LETTER, &QUEUE_WITH_SERVICE_KEY]);
        assert_eq!(
            metadata,
            serde_json::json!({
                "cdk_nag": { "rules_to_suppress": [
                    { "id": "AwsSolutions-SQS3", "reason": QUEUE_WITHOUT_DEAD_LETTER.reason },
                    { "id": "Serverless-SQSRedrivePolicy", "reason": QUEUE_WITHOUT_DEAD_LETTER.reason },
                ] },
                "checkov": { "skip": [{ "id": "CKV_AWS_27", "comment": QUEUE_WITH_SERVICE_KEY.reason }] },
                "guard": { "SuppressedRules": ["CT.SQS.PR.1", "sqs_dlq_check"] },
            })
        );
    }

    #[test]
    fn cdk_nag_rules_belong_to_the_packs_checked() {
        for justification in JUSTIFICATIONS {
            for id in justification.cdk_nag {
                assert!(
                    CDK_NAG_PACKS.iter().any(|pack| id.strip_prefix(pack).is_some_and(|rest| rest.starts_with('-'))),
                    "`{id}` is in no pack of {CDK_NAG_PACKS:?}"
                );
            }
        }
    }

    #[test]
    fn every_justification_answers_a_rule_and_gives_a_reason() {
        for justification in JUSTIFICATIONS {
            let rules = justification.cdk_nag.len()
                + justification.guard.len()
                + justification.checkov.len()
                + justification.cfn_lint.len();
            assert!(rules > 0, "{} answers no rule", justification.applies_to);
            // cdk-nag asks for a reason of at least ten characters.
            assert!(justification.reason.len() >= 10, "{}", justification.applies_to);
        }
    }
}
