//! The health of a stage, as `fanout status` reports it, and what in it needs the user.
//!
//! `status.rs` fills a [`StatusReport`] from AWS; the verdict ([`StatusReport::problems`])
//! needs no AWS and is tested here.

use serde::Serialize;

use crate::message::Counts;

/// The health of the stacks of one stage.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct StatusReport {
    /// The stage.
    pub stage: String,
    /// One per domain asked for, in the order asked.
    pub stacks: Vec<StackHealth>,
}

/// One domain's stack and what it holds.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct StackHealth {
    /// The domain.
    pub domain: String,
    /// The stack's name.
    pub stack: String,
    /// Its status, like `UPDATE_COMPLETE`; `None` when the stack does not exist.
    pub status: Option<String>,
    /// CloudFormation's reason for the status, if it gave one.
    pub status_reason: Option<String>,
    /// When it was last updated (or created), RFC 3339.
    pub last_updated: Option<String>,
    /// Whether the last operation on the stack failed (`*_FAILED`, `ROLLBACK_COMPLETE`,
    /// `UPDATE_ROLLBACK_COMPLETE`).
    pub failed: bool,
    /// The domain's queues, in name order.
    pub queues: Vec<QueueHealth>,
    /// The stack's alarms that are in state `ALARM`.
    pub alarms: Vec<Alarm>,
    /// Drift detection's result, when asked for (`--drift`).
    pub drift: Option<Drift>,
}

/// A queue: its messages and those of its dead-letter queues.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct QueueHealth {
    /// The queue, as `domain/queue`.
    pub queue: String,
    /// Its physical name; `None` when the stack has no such queue.
    pub name: Option<String>,
    /// Its counts.
    pub counts: Option<Counts>,
    /// How many topics it subscribes to: what SNS cannot deliver goes to a dead-letter queue.
    pub subscriptions: usize,
    /// The age of its oldest message in seconds, from CloudWatch's
    /// `ApproximateAgeOfOldestMessage` of the last 15 minutes; `None` when CloudWatch has no
    /// data point.
    pub oldest_message_age: Option<u64>,
    /// Its dead-letter queues: one, or two for a standard queue subscribed to a FIFO topic.
    pub dead_letter_queues: Vec<DeadLetterQueueHealth>,
}

/// What a dead-letter queue receives.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum DeadLetterRole {
    /// What the consumer failed to process `max_receive_count` times, and what SNS could not
    /// deliver from the queue's standard topics (or from all its topics, for a FIFO queue).
    DeadLetters,
    /// What SNS could not deliver from the FIFO topics a standard queue subscribes to: SNS
    /// needs a FIFO dead-letter queue for those.
    FifoSubscriptionDeadLetters,
}

/// A dead-letter queue of a queue.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct DeadLetterQueueHealth {
    /// Its physical name.
    pub name: String,
    /// What it receives.
    pub role: DeadLetterRole,
    /// Its counts.
    pub counts: Counts,
}

/// An alarm in state `ALARM`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Alarm {
    /// Its name.
    pub name: String,
    /// CloudWatch's reason for the state.
    pub reason: String,
    /// When it entered the state, RFC 3339.
    pub since: Option<String>,
}

/// CloudFormation drift detection's result for a stack.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Drift {
    /// `IN_SYNC`, `DRIFTED`, `NOT_CHECKED` or `UNKNOWN`.
    pub status: String,
    /// Why detection failed, if it did.
    pub failure: Option<String>,
    /// The resources that were modified or deleted outside CloudFormation.
    pub resources: Vec<DriftedResource>,
}

/// A resource that drifted.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct DriftedResource {
    /// Its logical ID.
    pub logical_id: String,
    /// Its type.
    pub resource_type: String,
    /// `MODIFIED` or `DELETED`.
    pub status: String,
    /// The properties that differ.
    pub differences: Vec<PropertyDifference>,
}

/// A property whose value differs from the template's.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct PropertyDifference {
    /// The property's path, like `/VisibilityTimeout`.
    pub path: String,
    /// The template's value.
    pub expected: Option<String>,
    /// The value in the account.
    pub actual: Option<String>,
    /// `ADD`, `REMOVE` or `NOT_EQUAL`.
    pub kind: String,
}

/// Something in a stage that needs the user.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Problem {
    /// The domain's stack does not exist.
    StackMissing {
        /// The domain.
        domain: String,
        /// The stack.
        stack: String,
    },
    /// The last operation on the stack failed.
    StackFailed {
        /// The stack.
        stack: String,
        /// Its status.
        status: String,
        /// CloudFormation's reason.
        reason: Option<String>,
    },
    /// A queue of the manifest is not in the stack.
    QueueMissing {
        /// The queue, `domain/queue`.
        queue: String,
        /// The stack.
        stack: String,
    },
    /// A dead-letter queue holds messages.
    DeadLetters {
        /// The queue, `domain/queue`.
        queue: String,
        /// The dead-letter queue's name.
        dead_letter_queue: String,
        /// How many messages it holds.
        messages: u64,
    },
    /// An alarm is in state `ALARM`.
    Alarm {
        /// The stack.
        stack: String,
        /// The alarm.
        alarm: String,
        /// CloudWatch's reason.
        reason: String,
    },
    /// Resources were changed outside CloudFormation.
    Drifted {
        /// The stack.
        stack: String,
        /// The resources, by logical ID.
        resources: Vec<String>,
    },
    /// Drift detection did not finish.
    DriftUnknown {
        /// The stack.
        stack: String,
        /// Why.
        reason: String,
    },
}

impl StatusReport {
    /// Everything that needs the user, stack by stack; empty when the stage is healthy.
    pub fn problems(&self) -> Vec<Problem> {
        let mut problems = Vec::new();
        for stack in &self.stacks {
            let Some(status) = &stack.status else {
                problems.push(Problem::StackMissing { domain: stack.domain.clone(), stack: stack.stack.clone() });
                continue;
            };
            if stack.failed {
                problems.push(Problem::StackFailed {
                    stack: stack.stack.clone(),
                    status: status.clone(),
                    reason: stack.status_reason.clone(),
                });
            }
            for queue in &stack.queues {
                if queue.name.is_none() {
                    problems.push(Problem::QueueMissing { queue: queue.queue.clone(), stack: stack.stack.clone() });
                }
                for dead_letters in &queue.dead_letter_queues {
                    let messages = dead_letters.counts.total();
                    if messages > 0 {
                        problems.push(Problem::DeadLetters {
                            queue: queue.queue.clone(),
                            dead_letter_queue: dead_letters.name.clone(),
                            messages,
                        });
                    }
                }
            }
            for alarm in &stack.alarms {
                problems.push(Problem::Alarm {
                    stack: stack.stack.clone(),
                    alarm: alarm.name.clone(),
                    reason: alarm.reason.clone(),
                });
            }
            if let Some(drift) = &stack.drift {
                if let Some(reason) = &drift.failure {
                    problems.push(Problem::DriftUnknown { stack: stack.stack.clone(), reason: reason.clone() });
                } else if drift.status == "DRIFTED" || !drift.resources.is_empty() {
                    problems.push(Problem::Drifted {
                        stack: stack.stack.clone(),
                        resources: drift.resources.iter().map(|r| r.logical_id.clone()).collect(),
                    });
                }
            }
        }
        problems
    }
}

impl Problem {
    /// What is wrong, in one sentence.
    pub fn message(&self) -> String {
        match self {
            Self::StackMissing { domain, stack } => {
                format!("stack `{stack}` of domain `{domain}` does not exist")
            }
            Self::StackFailed { stack, status, reason } => {
                let reason = reason.as_deref().map(|r| format!(": {r}")).unwrap_or_default();
                format!("stack `{stack}` is `{status}`{reason}")
            }
            Self::QueueMissing { queue, stack } => format!("queue `{queue}` is not in stack `{stack}`"),
            Self::DeadLetters { queue, dead_letter_queue, messages } => {
                let noun = if *messages == 1 { "message" } else { "messages" };
                format!("dead-letter queue `{dead_letter_queue}` of queue `{queue}` holds {messages} {noun}")
            }
            Self::Alarm { stack, alarm, reason } => format!("alarm `{alarm}` of stack `{stack}` is in ALARM: {reason}"),
            Self::Drifted { stack, resources } => {
                let list = resources.iter().map(|r| format!("`{r}`")).collect::<Vec<_>>().join(", ");
                format!("stack `{stack}` drifted: {list} changed outside CloudFormation")
            }
            Self::DriftUnknown { stack, reason } => format!("drift detection of stack `{stack}` failed: {reason}"),
        }
    }

    /// What to do about it; `stage` completes the commands it names.
    pub fn hint(&self, stage: &str) -> String {
        match self {
            Self::StackMissing { domain, .. } => format!("deploy it: `fanout deploy --stage {stage} {domain}`"),
            Self::StackFailed { .. } => {
                "inspect the stack events, fix the cause and deploy again (`fanout deploy` says what the stack needs first)"
                    .to_string()
            }
            Self::QueueMissing { queue, .. } => {
                let domain = queue.split('/').next().unwrap_or(queue);
                format!("deploy the manifest: `fanout deploy --stage {stage} {domain}`")
            }
            Self::DeadLetters { queue, .. } => format!(
                "look at them with `fanout peek --stage {stage} {queue} --dead-letters`; once the cause is fixed, put them back with `fanout redrive --stage {stage} {queue}`"
            ),
            Self::Alarm { .. } => "the alarm's reason names the metric; `fanout status` above shows the queues".to_string(),
            Self::Drifted { stack, .. } => format!(
                "deploy again to put the template's values back (`fanout diff` shows nothing for drift: change sets compare templates), or change the manifest to the values wanted; `aws cloudformation describe-stack-resource-drifts --stack-name {stack}` has every detail"
            ),
            Self::DriftUnknown { .. } => "run `fanout status --drift` again; a stack in progress cannot be checked".to_string(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn healthy() -> StatusReport {
        StatusReport {
            stage: "dev".into(),
            stacks: vec![StackHealth {
                domain: "shop".into(),
                stack: "dev-shop".into(),
                status: Some("UPDATE_COMPLETE".into()),
                status_reason: None,
                last_updated: Some("2026-11-30T02:44:00Z".into()),
                failed: false,
                queues: vec![QueueHealth {
                    queue: "shop/orders".into(),
                    name: Some("dev-shop-orders.fifo".into()),
                    counts: Some(Counts { visible: 12, in_flight: 3, delayed: 0 }),
                    subscriptions: 1,
                    oldest_message_age: Some(40),
                    dead_letter_queues: vec![DeadLetterQueueHealth {
                        name: "dev-shop-orders-dlq.fifo".into(),
                        role: DeadLetterRole::DeadLetters,
                        counts: Counts::default(),
                    }],
                }],
                alarms: Vec::new(),
                drift: Some(Drift { status: "IN_SYNC".into(), failure: None, resources: Vec::new() }),
            }],
        }
    }

    #[test]
    fn a_busy_queue_with_empty_dead_letter_queues_is_healthy() {
        assert_eq!(healthy().problems(), []);
    }

    #[test]
    fn dead_letters_in_flight_or_delayed_count_too() {
        for counts in [
            Counts { visible: 2, ..Counts::default() },
            Counts { in_flight: 1, ..Counts::default() },
            Counts { delayed: 1, ..Counts::default() },
        ] {
            let mut report = healthy();
            report.stacks[0].queues[0].dead_letter_queues[0].counts = counts;
            let problems = report.problems();
            assert_eq!(problems.len(), 1, "{counts:?}");
            assert!(matches!(&problems[0], Problem::DeadLetters { queue, .. } if queue == "shop/orders"));
        }
        let mut report = healthy();
        report.stacks[0].queues[0].dead_letter_queues[0].counts.visible = 200;
        assert_eq!(
            report.problems()[0].message(),
            "dead-letter queue `dev-shop-orders-dlq.fifo` of queue `shop/orders` holds 200 messages"
        );
        assert_eq!(
            report.problems()[0].hint("dev"),
            "look at them with `fanout peek --stage dev shop/orders --dead-letters`; once the cause is fixed, put them back with `fanout redrive --stage dev shop/orders`"
        );
    }

    #[test]
    fn failed_missing_alarmed_and_drifted_stacks_need_the_user() {
        let mut report = healthy();
        let stack = &mut report.stacks[0];
        stack.failed = true;
        stack.status = Some("UPDATE_ROLLBACK_COMPLETE".into());
        stack.alarms.push(Alarm {
            name: "OrdersDeadLetterAlarm".into(),
            reason: "Threshold Crossed".into(),
            since: None,
        });
        stack.drift = Some(Drift {
            status: "DRIFTED".into(),
            failure: None,
            resources: vec![DriftedResource {
                logical_id: "OrdersQueue".into(),
                resource_type: "AWS::SQS::Queue".into(),
                status: "MODIFIED".into(),
                differences: Vec::new(),
            }],
        });
        stack.queues.push(QueueHealth {
            queue: "shop/returns".into(),
            name: None,
            counts: None,
            subscriptions: 0,
            oldest_message_age: None,
            dead_letter_queues: Vec::new(),
        });
        report.stacks.push(StackHealth {
            status: None,
            domain: "billing".into(),
            stack: "dev-billing".into(),
            ..report.stacks[0].clone()
        });
        let kinds: Vec<String> = report
            .problems()
            .iter()
            .map(|p| serde_json::to_value(p).unwrap()["kind"].as_str().unwrap().to_string())
            .collect();
        assert_eq!(kinds, ["stack_failed", "queue_missing", "alarm", "drifted", "stack_missing"]);
    }

    #[test]
    fn a_failed_drift_detection_is_reported_not_hidden() {
        let mut report = healthy();
        report.stacks[0].drift =
            Some(Drift { status: "UNKNOWN".into(), failure: Some("Throttled".into()), resources: Vec::new() });
        assert!(matches!(&report.problems()[..], [Problem::DriftUnknown { reason, .. }] if reason == "Throttled"));
    }
}
