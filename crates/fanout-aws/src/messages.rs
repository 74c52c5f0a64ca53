//! Looking into a domain's queues and putting dead letters back: `fanout peek` and
//! `fanout redrive`, with the queues found through the domain's stack.

use std::collections::BTreeSet;
use std::time::Duration;

use fanout::{Name, Queue};
use serde::Serialize;

use crate::client::Aws;
use crate::error::Error;
use crate::locate::{self, QueueLocation};
use crate::message::{Counts, MAX_BATCH_ENTRIES, Received};
use crate::redrive::{self, Options, Queues, RedriveFrom, RedriveProgress, RedriveSummary, Source, Target};
use crate::sqs::Sqs;
use crate::topics;

/// What a peek saw in one queue.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Peeked {
    /// The queue's physical name.
    pub queue: String,
    /// `queue`, `dead-letter queue` or `FIFO dead-letter queue`.
    pub role: &'static str,
    /// Whether it is a FIFO queue (peeking held its message groups for a moment).
    pub fifo: bool,
    /// Its counts before the peek.
    pub counts: Counts,
    /// The messages, in the order received.
    pub messages: Vec<Received>,
    /// Messages that could not be made visible again: they are visible when their
    /// visibility timeout ends.
    pub not_released: usize,
}

/// How long a peeked message stays hidden at most: while the peek collects, so no message is
/// shown twice. The peek makes each visible again as soon as it has collected them.
const PEEK_VISIBILITY: Duration = Duration::from_secs(30);

/// How long a peek's receive waits: long polling asks every SQS server, so an empty answer
/// means there is nothing (more) to see.
const PEEK_WAIT: Duration = Duration::from_secs(1);

/// The queues a peek or redrive works on, with their roles.
fn dead_letter_queues(location: &QueueLocation) -> Vec<(&'static str, String)> {
    let mut queues = Vec::new();
    if let Some(url) = &location.dead_letter {
        queues.push(("dead-letter queue", url.clone()));
    }
    if let Some(url) = &location.fifo_dead_letter {
        queues.push(("FIFO dead-letter queue", url.clone()));
    }
    queues
}

/// Shows up to `max` messages of queue `name` of `domain` in `stage`, or of its dead-letter
/// queues, and makes every one visible again at once.
pub async fn peek(
    aws: &Aws,
    stage: &Name,
    domain: &Name,
    name: &Name,
    queue: &Queue,
    dead_letters: bool,
    max: usize,
) -> Result<Vec<Peeked>, Error> {
    let (_, resources) = locate::stack_of(aws, stage, domain).await?;
    let location = locate::queue(&resources, stage, domain, name, queue)?;
    let queues = if dead_letters { dead_letter_queues(&location) } else { vec![("queue", location.url.clone())] };
    let sqs = Sqs { aws };
    let mut peeked = Vec::new();
    for (role, url) in queues {
        let counts = sqs.counts(&url).await?;
        let mut messages: Vec<Received> = Vec::new();
        let collected = collect(&sqs, &url, max, &mut messages).await;
        // Every message collected goes back, whatever stopped the collecting.
        let mut not_released = 0;
        let handles: Vec<String> = messages.iter().map(|m| m.receipt_handle.clone()).collect();
        for chunk in handles.chunks(MAX_BATCH_ENTRIES) {
            match sqs.release(&url, chunk).await {
                Ok(results) => not_released += results.iter().filter(|r| r.is_err()).count(),
                Err(_) => not_released += chunk.len(),
            }
        }
        collected?;
        peeked.push(Peeked {
            queue: locate::queue_name(&url).to_string(),
            role,
            fifo: url.ends_with(".fifo"),
            counts,
            messages,
            not_released,
        });
    }
    Ok(peeked)
}

async fn collect(sqs: &Sqs<'_>, url: &str, max: usize, messages: &mut Vec<Received>) -> Result<(), Error> {
    let mut seen = BTreeSet::new();
    while messages.len() < max {
        let want = (max - messages.len()).min(MAX_BATCH_ENTRIES);
        let batch = sqs.receive(url, want, PEEK_VISIBILITY, PEEK_WAIT).await?;
        if batch.is_empty() {
            break;
        }
        for message in batch {
            if seen.insert(message.message_id.clone()) {
                messages.push(message);
            }
        }
    }
    Ok(())
}

/// How a redrive ended.
#[derive(Debug)]
pub struct Redriven {
    /// The queue, `domain/queue`.
    pub queue: String,
    /// What was moved, skipped and failed.
    pub summary: RedriveSummary,
    /// The error that stopped the redrive early, if one did.
    pub error: Option<Error>,
    /// The dead-letter queues and what they hold after the redrive.
    pub left: Vec<(String, Counts)>,
}

/// Moves the dead letters of queue `name` of `domain` in `stage` back into it.
#[allow(clippy::too_many_arguments, reason = "the flags of `fanout redrive`, each a plain value")]
pub async fn redrive(
    aws: &Aws,
    stage: &Name,
    domain: &Name,
    name: &Name,
    queue: &Queue,
    from: RedriveFrom,
    max: Option<usize>,
    dry_run: bool,
    progress: &(dyn Fn(RedriveProgress) + Sync),
) -> Result<Redriven, Error> {
    let (_, resources) = locate::stack_of(aws, stage, domain).await?;
    let location = locate::queue(&resources, stage, domain, name, queue)?;
    let sqs = Sqs { aws };
    let mut subscriptions = Vec::new();
    for arn in &location.subscriptions {
        subscriptions.push(topics::delivery(aws, arn).await?);
    }
    let target = Target {
        name: location.name.clone(),
        url: location.url.clone(),
        arn: sqs.arn(&location.url).await?,
        fifo: location.url.ends_with(".fifo"),
        subscriptions,
    };
    let sources: Vec<Source> = dead_letter_queues(&location)
        .into_iter()
        .map(|(_, url)| Source { name: locate::queue_name(&url).to_string(), url })
        .collect();
    let (summary, error) = redrive::run(&sqs, &target, &sources, Options::new(from, max, dry_run), progress).await;
    let mut left = Vec::new();
    for source in &sources {
        if let Ok(counts) = sqs.counts(&source.url).await {
            left.push((source.name.clone(), counts));
        }
    }
    Ok(Redriven { queue: location.name, summary, error, left })
}
