//! Alerts: the domain's alert topic with its email subscriptions, and the CloudWatch alarms
//! on its queues and topics that notify it.
//!
//! The sharp edge: CloudWatch publishes to an encrypted topic only if the key policy lets
//! `cloudwatch.amazonaws.com` use the key, so the domain key grants it (scoped to the account).
//! An alarm e-mail SNS cannot deliver goes to the alert dead-letter queue, which has an alarm
//! of its own.

use serde_json::Value;

use super::{Synth, needs_fifo_dead_letter, queue_policy, topic_policy};
use crate::model::{Alerts, DeadLetter, Queue, QueueKind};
use crate::name::Name;
use crate::naming::{self, logical_id};
use crate::template::{Resource, get_att, json, reference, sub};

const CLOUDWATCH_SERVICE: &str = "cloudwatch.amazonaws.com";
/// SQS and SNS send their metrics every minute.
const PERIOD_SECS: u32 = 60;

impl Synth<'_> {
    /// The ARN of the domain's own alert topic, by its known name (the key policy names it).
    pub(super) fn alert_topic_arn(&self) -> Option<Value> {
        let alerts = self.domain.alerts.as_ref()?;
        if alerts.email.is_empty() {
            return None;
        }
        let name = naming::alert_topic_name(self.stage, &self.domain.name);
        Some(sub(&format!("arn:${{AWS::Partition}}:sns:${{AWS::Region}}:${{AWS::AccountId}}:{name}")))
    }

    /// The key policy statement that lets CloudWatch alarms publish to the encrypted alert topic.
    pub(super) fn alert_key_statement(&self) -> Option<Value> {
        self.alert_topic_arn()?;
        Some(json!({
            "Sid": "CloudWatchUsesKeyForAlarms",
            "Effect": "Allow",
            "Principal": { "Service": CLOUDWATCH_SERVICE },
            "Action": ["kms:Decrypt", "kms:GenerateDataKey*"],
            "Resource": "*",
            "Condition": { "StringEquals": { "aws:SourceAccount": sub("${AWS::AccountId}") } },
        }))
    }

    pub(super) fn alerts(&mut self) {
        let Some(alerts) = self.domain.alerts.as_ref() else { return };
        let mut targets = Vec::new();
        if !alerts.email.is_empty() {
            self.alert_topic(alerts);
            targets.push(reference(naming::logical_id::ALERT_TOPIC));
        }
        if let Some(arn) = &alerts.topic_arn {
            targets.push(json!(arn.as_str()));
        }
        let (stage, domain) = (self.stage, &self.domain.name);
        for (name, queue) in &self.domain.queues {
            self.queue_alarms(name, queue, alerts, &targets);
        }
        if !alerts.email.is_empty() {
            self.resource(logical_id::ALERT_DEAD_LETTER_ALARM.to_string(), |s| {
                let physical = naming::alert_dead_letter_queue_name(stage, domain);
                s.alarm(
                    format!("Alarm e-mails of domain {domain} ({stage}) could not be delivered: they are in the alert dead-letter queue"),
                    ("AWS/SQS", "ApproximateNumberOfMessagesVisible", "QueueName", &physical),
                    "Maximum",
                    0,
                    &targets,
                )
            });
        }
        for (name, topic) in &self.domain.topics {
            self.resource(naming::logical_id::failed_notifications_alarm(name), |s| {
                let physical = naming::topic_name(stage, domain, name, topic.kind.is_fifo());
                s.alarm(
                    format!("Notifications of topic {domain}/{name} ({stage}) failed to deliver"),
                    ("AWS/SNS", "NumberOfNotificationsFailed", "TopicName", &physical),
                    "Sum",
                    0,
                    &targets,
                )
            });
        }
    }

    fn alert_topic(&mut self, alerts: &Alerts) {
        let topic_id = naming::logical_id::ALERT_TOPIC;
        self.resource(topic_id.to_string(), |s| {
            let mut properties = json!({
                "TopicName": naming::alert_topic_name(s.stage, &s.domain.name),
                "Tags": s.tags.clone(),
            });
            if let Some(key) = s.kms_key(false) {
                properties["KmsMasterKeyId"] = key;
            }
            Resource::new("AWS::SNS::Topic", properties)
        });
        self.resource(naming::logical_id::ALERT_TOPIC_POLICY.to_string(), |_| {
            let alarm_arns = sub("arn:${AWS::Partition}:cloudwatch:${AWS::Region}:${AWS::AccountId}:alarm:*");
            let grant = json!({
                "Sid": "CloudWatchPublishesAlarms",
                "Effect": "Allow",
                "Principal": { "Service": CLOUDWATCH_SERVICE },
                "Action": "sns:Publish",
                "Resource": reference(topic_id),
                "Condition": { "ArnLike": { "aws:SourceArn": alarm_arns } },
            });
            Resource::new("AWS::SNS::TopicPolicy", topic_policy(topic_id, vec![grant]))
        });
        let dead_letter_id = logical_id::ALERT_DEAD_LETTER_QUEUE;
        self.resource(dead_letter_id.to_string(), |s| {
            let physical = naming::alert_dead_letter_queue_name(s.stage, &s.domain.name);
            s.subscription_dead_letter_queue(physical, QueueKind::Standard, DeadLetter::DEFAULT_RETENTION.as_secs())
        });
        let policy_id = logical_id::ALERT_DEAD_LETTER_QUEUE_POLICY;
        self.resource(policy_id.to_string(), |s| {
            let queues = [&dead_letter_id.to_string()];
            let topic_arn = s.alert_topic_arn().unwrap_or_else(|| reference(topic_id));
            queue_policy(&queues, vec![("AlertTopic".to_string(), topic_arn)])
        });
        for email in &alerts.email {
            self.resource(naming::logical_id::alert_email_subscription(email), |_| {
                let subscription = json!({
                    "TopicArn": reference(topic_id),
                    "Protocol": "email",
                    "Endpoint": email.as_str(),
                    "RedrivePolicy": { "deadLetterTargetArn": get_att(dead_letter_id, "Arn") },
                });
                // SNS can put an undeliverable e-mail into the queue only once its policy allows it.
                Resource::new("AWS::SNS::Subscription", subscription).depends_on(policy_id)
            });
        }
        let domain = &self.domain.name;
        self.output(format!("{topic_id}Arn"), || {
            (format!("ARN of the alert topic of domain {domain}"), reference(topic_id))
        });
        self.output(format!("{dead_letter_id}Url"), || {
            (format!("URL of the dead-letter queue of the alert e-mails of domain {domain}"), reference(dead_letter_id))
        });
    }

    fn queue_alarms(&mut self, name: &Name, queue: &Queue, alerts: &Alerts, targets: &[Value]) {
        let (stage, domain) = (self.stage, &self.domain.name);
        let fifo = queue.kind.is_fifo();
        let age = queue.oldest_message_age.unwrap_or(alerts.oldest_message_age);
        self.resource(naming::logical_id::oldest_message_alarm(name), |s| {
            let physical = naming::queue_name(stage, domain, name, fifo);
            s.alarm(
                format!("The oldest message in queue {domain}/{name} ({stage}) is older than {age}: is its consumer running?"),
                ("AWS/SQS", "ApproximateAgeOfOldestMessage", "QueueName", &physical),
                "Maximum",
                age.as_secs(),
                targets,
            )
        });
        if queue.dead_letter.is_none() {
            return;
        }
        self.resource(naming::logical_id::dead_letter_alarm(name), |s| {
            let physical = naming::dead_letter_queue_name(stage, domain, name, fifo);
            s.alarm(
                format!("Messages are in the dead-letter queue of queue {domain}/{name} ({stage}): they failed processing or delivery"),
                ("AWS/SQS", "ApproximateNumberOfMessagesVisible", "QueueName", &physical),
                "Maximum",
                0,
                targets,
            )
        });
        if needs_fifo_dead_letter(self.project, queue) {
            self.resource(naming::logical_id::fifo_dead_letter_alarm(name), |s| {
                let physical = naming::dead_letter_queue_name(stage, domain, name, true);
                s.alarm(
                    format!("Messages are in the FIFO dead-letter queue of queue {domain}/{name} ({stage}): SNS could not deliver them"),
                    ("AWS/SQS", "ApproximateNumberOfMessagesVisible", "QueueName", &physical),
                    "Maximum",
                    0,
                    targets,
                )
            });
        }
    }

    /// An alarm when the metric's statistic over a minute exceeds `threshold`; no data (an
    /// idle queue or topic) is not trouble.
    fn alarm(
        &self,
        description: String,
        metric: (&str, &str, &str, &str),
        statistic: &str,
        threshold: u32,
        targets: &[Value],
    ) -> Resource {
        let (namespace, metric_name, dimension, value) = metric;
        Resource::new(
            "AWS::CloudWatch::Alarm",
            json!({
                "AlarmDescription": description,
                "ActionsEnabled": true,
                "AlarmActions": targets,
                "OKActions": targets,
                "Namespace": namespace,
                "MetricName": metric_name,
                "Dimensions": [{ "Name": dimension, "Value": value }],
                "Statistic": statistic,
                "Period": PERIOD_SECS,
                "EvaluationPeriods": 1,
                "Threshold": threshold,
                "ComparisonOperator": "GreaterThanThreshold",
                "TreatMissingData": "notBreaching",
                "Tags": self.tags.clone(),
            }),
        )
    }
}
