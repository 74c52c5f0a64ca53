//! Gathering a stage's health for `fanout status`: each domain's stack, its queues and their
//! dead-letter queues, the age of their oldest messages from CloudWatch, the stack's alarms
//! in `ALARM` and, when asked, CloudFormation drift detection. What it means is decided in
//! [`crate::health`].

use std::time::{Duration, SystemTime};

use aws_sdk_cloudformation::primitives::DateTimeFormat;
use aws_sdk_cloudformation::types::{StackDriftDetectionStatus, StackResourceDriftStatus};
use aws_sdk_cloudwatch::primitives::DateTime;
use aws_sdk_cloudwatch::types::{Dimension, Metric, MetricDataQuery, MetricStat, StateValue};
use fanout::{Name, Project, naming};

use crate::backoff::Backoff;
use crate::client::Aws;
use crate::error::{Error, from_sdk};
use crate::health::{
    Alarm, DeadLetterQueueHealth, DeadLetterRole, Drift, DriftedResource, PropertyDifference, QueueHealth, StackHealth,
    StatusReport,
};
use crate::locate;
use crate::redrive::Queues;
use crate::sqs::Sqs;
use crate::stack::{self, StackResource};
use crate::state::{self, Settled};

/// How far back CloudWatch is asked for the age of the oldest message: SQS publishes the
/// metric every minute, and an idle queue not at all.
const METRIC_WINDOW: Duration = Duration::from_secs(15 * 60);

/// The health of `domains` (of `project`) in `stage`; with `drift`, after CloudFormation
/// drift detection of each stack.
pub async fn status(
    aws: &Aws,
    project: &Project,
    stage: &Name,
    domains: &[Name],
    drift: bool,
) -> Result<StatusReport, Error> {
    let mut stacks = Vec::new();
    for domain in domains {
        stacks.push(stack_health(aws, project, stage, domain, drift).await?);
    }
    Ok(StatusReport { stage: stage.to_string(), stacks })
}

async fn stack_health(
    aws: &Aws,
    project: &Project,
    stage: &Name,
    domain: &Name,
    drift: bool,
) -> Result<StackHealth, Error> {
    let stack_name = naming::stack_name(stage, domain);
    let mut health = StackHealth {
        domain: domain.to_string(),
        stack: stack_name.clone(),
        status: None,
        status_reason: None,
        last_updated: None,
        failed: false,
        queues: Vec::new(),
        alarms: Vec::new(),
        drift: None,
    };
    let Some(info) = stack::describe(aws, &stack_name).await? else { return Ok(health) };
    health.failed = state::settled(&info.status) == Settled::Failed;
    health.status_reason = info.status_reason.clone();
    health.last_updated = info.last_updated.clone();
    health.status = Some(info.status.clone());
    let resources = stack::resources(aws, &info.id).await?;
    let sqs = Sqs { aws };
    if let Some(declared) = project.domains.get(domain) {
        for (name, queue) in &declared.queues {
            let Ok(location) = locate::queue(&resources, stage, domain, name, queue) else {
                health.queues.push(QueueHealth {
                    queue: format!("{domain}/{name}"),
                    name: None,
                    counts: None,
                    subscriptions: queue.subscriptions.len(),
                    oldest_message_age: None,
                    dead_letter_queues: Vec::new(),
                });
                continue;
            };
            let mut dead_letter_queues = Vec::new();
            let roles = [
                (&location.dead_letter, DeadLetterRole::DeadLetters),
                (&location.fifo_dead_letter, DeadLetterRole::FifoSubscriptionDeadLetters),
            ];
            for (url, role) in roles {
                if let Some(url) = url {
                    let counts = sqs.counts(url).await?;
                    dead_letter_queues.push(DeadLetterQueueHealth {
                        name: locate::queue_name(url).to_string(),
                        role,
                        counts,
                    });
                }
            }
            health.queues.push(QueueHealth {
                queue: location.name.clone(),
                name: Some(locate::queue_name(&location.url).to_string()),
                counts: Some(sqs.counts(&location.url).await?),
                subscriptions: queue.subscriptions.len(),
                oldest_message_age: None,
                dead_letter_queues,
            });
        }
    }
    let names: Vec<String> = health.queues.iter().filter_map(|q| q.name.clone()).collect();
    let ages = oldest_message_ages(aws, &names).await?;
    for queue in &mut health.queues {
        queue.oldest_message_age =
            queue.name.as_ref().and_then(|name| ages.iter().find(|(n, _)| n == name)).map(|(_, age)| *age);
    }
    health.alarms = alarms_in_alarm(aws, &resources).await?;
    if drift {
        health.drift = Some(detect_drift(aws, &info.id, &info.status).await?);
    }
    Ok(health)
}

/// The latest `ApproximateAgeOfOldestMessage` of each queue named, where CloudWatch has one.
async fn oldest_message_ages(aws: &Aws, queues: &[String]) -> Result<Vec<(String, u64)>, Error> {
    if queues.is_empty() {
        return Ok(Vec::new());
    }
    let now = SystemTime::now().duration_since(SystemTime::UNIX_EPOCH).unwrap_or_default().as_secs();
    let start = now.saturating_sub(METRIC_WINDOW.as_secs());
    let mut ages = Vec::new();
    // GetMetricData takes 500 queries a call.
    for (chunk_index, chunk) in queues.chunks(500).enumerate() {
        let queries = chunk.iter().enumerate().map(|(i, queue)| {
            let metric = Metric::builder()
                .namespace("AWS/SQS")
                .metric_name("ApproximateAgeOfOldestMessage")
                .dimensions(Dimension::builder().name("QueueName").value(queue).build())
                .build();
            MetricDataQuery::builder()
                .id(format!("q{}", chunk_index * 500 + i))
                .metric_stat(MetricStat::builder().metric(metric).period(60).stat("Maximum").build())
                .return_data(true)
                .build()
        });
        let output = aws
            .cloudwatch
            .get_metric_data()
            .start_time(DateTime::from_secs(i64::try_from(start).unwrap_or(i64::MAX)))
            .end_time(DateTime::from_secs(i64::try_from(now).unwrap_or(i64::MAX)))
            .set_metric_data_queries(Some(queries.collect()))
            .send()
            .await
            .map_err(|err| from_sdk("GetMetricData", &aws.service_endpoint("monitoring"), err))?;
        for result in output.metric_data_results() {
            let index = result.id().and_then(|id| id.strip_prefix('q')).and_then(|i| i.parse::<usize>().ok());
            let latest = result
                .timestamps()
                .iter()
                .zip(result.values())
                .max_by_key(|(timestamp, _)| timestamp.secs())
                .map(|(_, value)| *value);
            if let (Some(queue), Some(age)) = (index.and_then(|i| queues.get(i)), latest)
                && age.is_finite()
                && age >= 0.0
            {
                #[allow(
                    clippy::cast_possible_truncation,
                    clippy::cast_sign_loss,
                    reason = "a non-negative age in seconds"
                )]
                ages.push((queue.clone(), age.round() as u64));
            }
        }
    }
    Ok(ages)
}

/// The stack's alarms that are in state `ALARM`.
async fn alarms_in_alarm(aws: &Aws, resources: &[StackResource]) -> Result<Vec<Alarm>, Error> {
    let names: Vec<String> = resources
        .iter()
        .filter(|r| r.resource_type == "AWS::CloudWatch::Alarm")
        .filter_map(|r| r.physical_id.clone())
        .collect();
    let mut alarms = Vec::new();
    // DescribeAlarms takes 100 names a call.
    for chunk in names.chunks(100) {
        let output = aws
            .cloudwatch
            .describe_alarms()
            .set_alarm_names(Some(chunk.to_vec()))
            .state_value(StateValue::Alarm)
            .send()
            .await
            .map_err(|err| from_sdk("DescribeAlarms", &aws.service_endpoint("monitoring"), err))?;
        for alarm in output.metric_alarms() {
            if alarm.state_value() != Some(&StateValue::Alarm) {
                continue;
            }
            alarms.push(Alarm {
                name: alarm.alarm_name().unwrap_or_default().to_string(),
                reason: alarm.state_reason().unwrap_or_default().to_string(),
                since: alarm.state_updated_timestamp().and_then(|t| t.fmt(DateTimeFormat::DateTime).ok()),
            });
        }
    }
    alarms.sort_by(|a, b| a.name.cmp(&b.name));
    Ok(alarms)
}

/// Runs CloudFormation drift detection on the stack and waits for its result.
async fn detect_drift(aws: &Aws, stack: &str, status: &str) -> Result<Drift, Error> {
    let endpoint = aws.endpoint();
    if state::settled(status) == Settled::Running {
        return Ok(Drift {
            status: "UNKNOWN".to_string(),
            failure: Some(format!("the stack is `{status}`; drift is detected on a settled stack")),
            resources: Vec::new(),
        });
    }
    let started = aws
        .cfn
        .detect_stack_drift()
        .stack_name(stack)
        .send()
        .await
        .map_err(|err| from_sdk("DetectStackDrift", &endpoint, err))?;
    let id = started.stack_drift_detection_id().unwrap_or_default().to_string();
    let mut delays = Backoff::CHANGE_SET.delays();
    let (drift_status, failure) = loop {
        let detection = aws
            .cfn
            .describe_stack_drift_detection_status()
            .stack_drift_detection_id(&id)
            .send()
            .await
            .map_err(|err| from_sdk("DescribeStackDriftDetectionStatus", &endpoint, err))?;
        let drift_status = detection.stack_drift_status().map(|s| s.as_str().to_string()).unwrap_or_default();
        match detection.detection_status() {
            Some(StackDriftDetectionStatus::DetectionInProgress) => {}
            Some(StackDriftDetectionStatus::DetectionFailed) => {
                // Detection that failed for some resources still reports the others.
                let reason = detection.detection_status_reason().unwrap_or("no reason given").to_string();
                break (drift_status, Some(reason));
            }
            _ => break (drift_status, None),
        }
        let Some(delay) = delays.next() else {
            return Err(Error::Timeout { stack: stack.to_string(), what: "drift detection", waited: delays.waited() });
        };
        tokio::time::sleep(delay).await;
    };
    let mut resources = Vec::new();
    let mut token = None;
    loop {
        let output = aws
            .cfn
            .describe_stack_resource_drifts()
            .stack_name(stack)
            .stack_resource_drift_status_filters(StackResourceDriftStatus::Modified)
            .stack_resource_drift_status_filters(StackResourceDriftStatus::Deleted)
            .set_next_token(token)
            .send()
            .await
            .map_err(|err| from_sdk("DescribeStackResourceDrifts", &endpoint, err))?;
        resources.extend(output.stack_resource_drifts().iter().map(|drift| {
            DriftedResource {
                logical_id: drift.logical_resource_id().unwrap_or_default().to_string(),
                resource_type: drift.resource_type().unwrap_or_default().to_string(),
                status: drift.stack_resource_drift_status().map(|s| s.as_str().to_string()).unwrap_or_default(),
                differences: drift
                    .property_differences()
                    .iter()
                    .map(|d| PropertyDifference {
                        path: d.property_path().unwrap_or_default().to_string(),
                        expected: d.expected_value().map(str::to_string),
                        actual: d.actual_value().map(str::to_string),
                        kind: d.difference_type().map(|t| t.as_str().to_string()).unwrap_or_default(),
                    })
                    .collect(),
            }
        }));
        token = output.next_token().map(str::to_string);
        if token.is_none() {
            break;
        }
    }
    resources.sort_by(|a, b| a.logical_id.cmp(&b.logical_id));
    Ok(Drift { status: drift_status, failure, resources })
}
