//! The checks of `alerts`: recipients that look deliverable, thresholds in range, and the
//! encryption sharp edge (CloudWatch cannot publish to a topic under `alias/aws/sns`).

use super::Lower;
use crate::diagnostic::{Diagnostic, DiagnosticKind, FieldPath};
use crate::duration::Duration;
use crate::manifest::{AlertsManifest, QueueAlertsManifest};
use crate::model::{Alerts, Encryption};

/// `ApproximateAgeOfOldestMessage` thresholds worth alarming on: a minute (the metric's
/// resolution) up to the longest SQS retention.
pub(crate) const OLDEST_MESSAGE_AGE: (u32, u32) = (60, 1_209_600);

/// Whether `text` looks like an email address SNS can deliver to: one `@`, a local part,
/// and a domain with a dot, no spaces.
fn looks_like_email(text: &str) -> bool {
    let Some((local, domain)) = text.split_once('@') else { return false };
    !local.is_empty()
        && text.len() <= 254
        && !domain.contains('@')
        && domain.contains('.')
        && !domain.starts_with('.')
        && !domain.ends_with('.')
        && !text.chars().any(|c| c.is_whitespace() || c.is_control())
}

/// Whether `text` looks like an SNS topic ARN: `arn:<partition>:sns:<region>:<account>:<name>`.
fn looks_like_topic_arn(text: &str) -> bool {
    let parts: Vec<&str> = text.split(':').collect();
    let [arn, partition, service, region, account, name] = parts.as_slice() else { return false };
    *arn == "arn"
        && partition.starts_with("aws")
        && *service == "sns"
        && !region.is_empty()
        && region.chars().all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-')
        && account.len() == 12
        && account.chars().all(|c| c.is_ascii_digit())
        && !name.is_empty()
        && name.len() <= crate::limits::TOPIC_NAME
        && name.chars().all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_' || c == '.')
}

impl Lower {
    pub(super) fn alerts(&mut self, spec: Option<&AlertsManifest>, encryption: &Encryption) -> Option<Alerts> {
        let spec = spec?;
        let path = FieldPath::root().key("alerts");
        if spec.email.is_empty() && spec.topic_arn.is_none() {
            self.error(
                DiagnosticKind::AlertsWithoutRecipients,
                path.clone(),
                "`alerts` names no recipients",
                "add `email: [oncall@team.example]` or `topic_arn: arn:aws:sns:...`, or remove `alerts`",
            );
        }
        for (index, email) in spec.email.iter().enumerate() {
            if !looks_like_email(email) {
                self.error(
                    DiagnosticKind::InvalidEmail,
                    path.key("email").index(index),
                    format!("`{email}` is not an email address"),
                    "write an address like `oncall@team.example`",
                );
            }
            if spec.email[..index].contains(email) {
                self.error(
                    DiagnosticKind::DuplicateEmail,
                    path.key("email").index(index),
                    format!("`{email}` is listed twice"),
                    "remove the duplicate",
                );
            }
        }
        if let Some(arn) = &spec.topic_arn
            && !looks_like_topic_arn(arn)
        {
            self.error(
                DiagnosticKind::InvalidTopicArn,
                path.key("topic_arn"),
                format!("`{arn}` is not an SNS topic ARN"),
                "write `arn:aws:sns:<region>:<account>:<topic name>`",
            );
        }
        if !spec.email.is_empty() {
            match encryption {
                Encryption::ServiceManaged => self.error(DiagnosticKind::AlertsOnAwsManagedKey,
                    path.key("email"),
                    "CloudWatch cannot publish alarms to a topic encrypted with the AWS-managed key `alias/aws/sns`",
                    "use `encryption: customer-key`, or send alarms to a topic of your own with `topic_arn`",
                ),
                Encryption::ExistingKey(key) => self.diagnostics.push(
                    Diagnostic::warning(DiagnosticKind::AlertsKeyNeedsCloudwatchGrant,
                        path.key("email"),
                        format!("CloudWatch can publish alarms to the alert topic only if the policy of key `{key}` allows it"),
                    )
                    .with_hint("grant `cloudwatch.amazonaws.com` `kms:GenerateDataKey*` and `kms:Decrypt` in that key's policy, and `sns.amazonaws.com` the same for the dead-letter queue of the alert e-mails"),
                ),
                Encryption::CustomerKey => {}
            }
        }
        let oldest_message_age = self.duration(
            spec.oldest_message_age.as_deref(),
            path.key("oldest_message_age"),
            Alerts::DEFAULT_OLDEST_MESSAGE_AGE,
            OLDEST_MESSAGE_AGE,
        );
        Some(Alerts { email: spec.email.clone(), topic_arn: spec.topic_arn.clone(), oldest_message_age })
    }

    /// A queue's own threshold; it needs alerts on the domain to mean anything.
    pub(super) fn queue_alerts(
        &mut self,
        spec: Option<&QueueAlertsManifest>,
        path: &FieldPath,
        domain_alerts: bool,
    ) -> Option<Duration> {
        let spec = spec?;
        if !domain_alerts {
            self.error(
                DiagnosticKind::QueueAlertsWithoutDomainAlerts,
                path.clone(),
                "this queue sets `alerts`, but the domain has no `alerts` recipients",
                "add `alerts: { email: [...] }` at the top level, or remove the queue's `alerts`",
            );
        }
        let text = spec.oldest_message_age.as_deref()?;
        Some(self.duration(
            Some(text),
            path.key("oldest_message_age"),
            Alerts::DEFAULT_OLDEST_MESSAGE_AGE,
            OLDEST_MESSAGE_AGE,
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn email_addresses_are_checked_loosely() {
        assert!(looks_like_email("oncall@team.example"));
        assert!(!looks_like_email("oncall"));
        assert!(!looks_like_email("on call@team.example"));
        assert!(!looks_like_email("oncall@localhost"));
        assert!(!looks_like_email("a@b@c.example"));
    }

    #[test]
    fn topic_arns_are_checked() {
        assert!(looks_like_topic_arn("arn:aws:sns:eu-west-1:123456789012:oncall"));
        assert!(looks_like_topic_arn("arn:aws-us-gov:sns:us-gov-west-1:123456789012:oncall.fifo"));
        assert!(!looks_like_topic_arn("arn:aws:sqs:eu-west-1:123456789012:oncall"));
        assert!(!looks_like_topic_arn("arn:aws:sns:eu-west-1:1234:oncall"));
        assert!(!looks_like_topic_arn("oncall"));
    }
}
