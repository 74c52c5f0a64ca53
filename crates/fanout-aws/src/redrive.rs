//! Putting dead letters back: which messages of a queue's dead-letter queues go back into the
//! queue, in which form, with which deduplication ID, and the loop that moves them without
//! losing or doubling any.
//!
//! The loop sends first and deletes after: a crash in between leaves the sent messages in the
//! dead-letter queue, to be sent again by the next run. For a FIFO queue that repeat is a
//! no-op, because each message is sent with a deduplication ID derived from the dead
//! letter's own message ID, which SQS remembers for five minutes; a standard queue has no
//! deduplication, so its consumer may see that one batch twice, as at-least-once delivery
//! allows. FIFO message groups keep their order: messages are sent in the order they were
//! received, and a message that is not moved holds back every later message of its group.
//!
//! The loop talks to queues through [`Queues`]; `sqs.rs` implements it with the SDK, the
//! tests below with queues in memory.

use std::collections::{BTreeMap, BTreeSet};
use std::time::{Duration, Instant};

use serde::Serialize;

use crate::envelope::{self, Conversion, SubscriptionDelivery};
use crate::error::Error;
use crate::message::{self, Counts, MAX_BATCH_BYTES, MAX_BATCH_ENTRIES, Outgoing, Received};

/// Which dead letters to move.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum RedriveFrom {
    /// What the consumer failed to process `max_receive_count` times: SQS moved it from the
    /// queue into its dead-letter queue.
    DeadLetters,
    /// What SNS could not deliver to the queue and put into the subscription's dead-letter
    /// queue instead.
    SubscriptionDeadLetters,
    /// Both.
    #[default]
    Both,
}

/// Where a dead letter came from.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub(crate) enum Origin {
    /// Moved by SQS after failed receives: the message carries `DeadLetterQueueSourceArn`.
    DeadLetters,
    /// Put there by SNS: it carries no source queue.
    SubscriptionDeadLetters,
}

impl RedriveFrom {
    fn includes(self, origin: Origin) -> bool {
        match self {
            Self::Both => true,
            Self::DeadLetters => origin == Origin::DeadLetters,
            Self::SubscriptionDeadLetters => origin == Origin::SubscriptionDeadLetters,
        }
    }
}

/// The queue dead letters go back to.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Target {
    /// `domain/queue`, for messages.
    pub name: String,
    pub url: String,
    pub arn: String,
    pub fifo: bool,
    /// How its subscriptions deliver, as deployed.
    pub subscriptions: Vec<SubscriptionDelivery>,
}

/// A dead-letter queue messages are taken from.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Source {
    /// Its physical name, for messages.
    pub name: String,
    pub url: String,
}

/// How a redrive runs.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Options {
    pub from: RedriveFrom,
    /// Move at most this many messages.
    pub max: Option<usize>,
    /// Receive and decide, but send and delete nothing.
    pub dry_run: bool,
    /// How long a received dead letter stays hidden: long enough to send and delete a batch.
    pub visibility: Duration,
    /// How long a receive waits for messages (long polling, so an empty answer means empty).
    pub receive_wait: Duration,
    /// How long to wait for dead letters that someone else holds in flight, typically a run
    /// that stopped between its receive and its delete; as long as such a run's visibility.
    pub in_flight_wait: Duration,
}

impl Options {
    /// `fanout redrive`'s settings: a batch is sent and deleted well within 30 seconds, and
    /// what an interrupted run held is visible again 30 seconds after it was received.
    pub(crate) fn new(from: RedriveFrom, max: Option<usize>, dry_run: bool) -> Self {
        Self {
            from,
            max,
            dry_run,
            visibility: Duration::from_secs(30),
            receive_wait: Duration::from_secs(2),
            in_flight_wait: Duration::from_secs(40),
        }
    }
}

/// The queue calls a redrive makes. Each batch call answers per entry: `Err` with the reason
/// for an entry the service refused.
pub(crate) trait Queues {
    /// Receives up to `max` messages (at most 10), hidden for `visibility`.
    async fn receive(
        &self,
        url: &str,
        max: usize,
        visibility: Duration,
        wait: Duration,
    ) -> Result<Vec<Received>, Error>;
    /// Sends the messages, in order, in one batch call.
    async fn send(&self, url: &str, messages: &[Outgoing]) -> Result<Vec<Result<(), String>>, Error>;
    /// Deletes the messages with these receipt handles, in one batch call.
    async fn delete(&self, url: &str, receipt_handles: &[String]) -> Result<Vec<Result<(), String>>, Error>;
    /// Makes the messages with these receipt handles visible again at once, in one batch call.
    async fn release(&self, url: &str, receipt_handles: &[String]) -> Result<Vec<Result<(), String>>, Error>;
    /// The queue's approximate counts.
    async fn counts(&self, url: &str) -> Result<Counts, Error>;
}

/// Why a dead letter was not moved.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(tag = "reason", rename_all = "snake_case")]
pub enum SkipReason {
    /// `--from` did not ask for messages of its origin.
    NotSelected {
        /// `dead-letters` or `subscription-dead-letters`.
        origin: String,
    },
    /// SQS moved it here from another queue than the one redriven.
    OtherSourceQueue {
        /// That queue's ARN.
        queue_arn: String,
    },
    /// It has no message group, which the FIFO queue needs.
    NoMessageGroup,
    /// An earlier message of its group was not moved, and FIFO order keeps it back too.
    GroupHeldBack {
        /// The group.
        group_id: String,
    },
}

impl SkipReason {
    /// Whether the user must act: everything but a message `--from` left out on purpose, and
    /// a message held back behind its group's first one, whose own skip or failure says what
    /// to do (if anything).
    pub fn needs_action(&self) -> bool {
        !matches!(self, Self::NotSelected { .. } | Self::GroupHeldBack { .. })
    }
}

impl std::fmt::Display for SkipReason {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::NotSelected { origin } => write!(f, "not selected by `--from` (it is one of the {origin})"),
            Self::OtherSourceQueue { queue_arn } => write!(f, "SQS moved it here from another queue, `{queue_arn}`"),
            Self::NoMessageGroup => write!(f, "it has no message group, which the FIFO queue needs"),
            Self::GroupHeldBack { group_id } => {
                write!(
                    f,
                    "an earlier message of group `{group_id}` was not moved, and FIFO order holds this one back too"
                )
            }
        }
    }
}

/// What to do with one dead letter.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) enum Decision {
    Move { message: Outgoing, conversion: Conversion },
    Skip(SkipReason),
}

/// The deduplication ID a dead letter is sent back with: derived from its message ID alone,
/// so sending it again (after a crash between send and delete) is a duplicate SQS drops
/// within its five-minute window. A message that fails again comes back to the dead-letter
/// queue under the message ID the redrive's send gave it, so its next redrive is not
/// mistaken for a duplicate.
pub(crate) fn deduplication_id(message_id: &str) -> String {
    const PREFIX: &str = "redrive-";
    // SQS message IDs are UUIDs; anything else is hashed into the 128 characters SQS allows.
    if !message_id.is_empty()
        && message_id.len() <= 128 - PREFIX.len()
        && message_id.chars().all(|c| c.is_ascii_alphanumeric() || c == '-')
    {
        format!("{PREFIX}{message_id}")
    } else {
        format!("{PREFIX}{:016x}-{}", fnv1a(message_id), message_id.len())
    }
}

/// FNV-1a: stable across Rust versions and platforms, unlike `DefaultHasher`.
fn fnv1a(text: &str) -> u64 {
    text.bytes().fold(0xcbf2_9ce4_8422_2325_u64, |hash, byte| (hash ^ u64::from(byte)).wrapping_mul(0x0100_0000_01b3))
}

/// What to do with `message`, received from one of `target`'s dead-letter queues.
pub(crate) fn decide(message: &Received, target: &Target, from: RedriveFrom) -> Decision {
    let origin = match &message.dead_letter_source {
        Some(source) if *source != target.arn => {
            return Decision::Skip(SkipReason::OtherSourceQueue { queue_arn: source.clone() });
        }
        Some(_) => Origin::DeadLetters,
        None => Origin::SubscriptionDeadLetters,
    };
    if !from.includes(origin) {
        let origin = match origin {
            Origin::DeadLetters => "dead-letters",
            Origin::SubscriptionDeadLetters => "subscription-dead-letters",
        };
        return Decision::Skip(SkipReason::NotSelected { origin: origin.to_string() });
    }
    let (body, attributes, conversion) =
        envelope::as_delivered(&message.body, &message.attributes, &target.subscriptions);
    // A standard queue takes no group: what a FIFO topic's subscription delivers to one
    // carries none either.
    let (group_id, deduplication_id) = if target.fifo {
        let Some(group) = &message.group_id else { return Decision::Skip(SkipReason::NoMessageGroup) };
        (Some(group.clone()), Some(deduplication_id(&message.message_id)))
    } else {
        (None, None)
    };
    let message = Outgoing { body, attributes, group_id, deduplication_id, trace_header: message.trace_header.clone() };
    Decision::Move { message, conversion }
}

/// What happens while a redrive runs.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum RedriveProgress {
    /// Work on a dead-letter queue starts.
    Source {
        /// Its name.
        source: String,
        /// About how many messages it holds.
        approximate_messages: u64,
    },
    /// A batch was moved (or, in a dry run, decided).
    Batch {
        /// The dead-letter queue.
        source: String,
        /// The batch's number, from 1, over the whole run.
        batch: usize,
        /// Messages moved so far.
        moved: usize,
        /// Messages skipped so far.
        skipped: usize,
        /// Messages that failed so far.
        failed: usize,
    },
    /// Dead letters are in flight, held by someone else; the redrive waits for them.
    Waiting {
        /// The dead-letter queue.
        source: String,
        /// About how many.
        in_flight: u64,
        /// How long it waits at most.
        seconds: u64,
    },
}

/// A dead letter that was not moved, and why.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Unmoved {
    /// The dead-letter queue it is in.
    pub source: String,
    /// Its message ID.
    pub message_id: String,
    /// Its message group, if any.
    pub group_id: Option<String>,
    /// Why it was not moved, in words.
    pub message: String,
    /// Why, as data; `None` for a failure.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub skip: Option<SkipReason>,
}

/// How a redrive ended.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct RedriveSummary {
    /// Whether nothing was sent or deleted.
    pub dry_run: bool,
    /// Messages moved back (in a dry run: that would be).
    pub moved: usize,
    /// Of those, envelopes sent as the raw message their subscription now delivers.
    pub unwrapped: usize,
    /// Messages left in the dead-letter queues on purpose or for a reason, each once.
    pub skipped: Vec<Unmoved>,
    /// Messages that could not be moved.
    pub failed: Vec<Unmoved>,
    /// About how many dead letters others held in flight when the redrive stopped waiting.
    pub in_flight_left: u64,
    /// Whether `--max` stopped the redrive.
    pub reached_max: bool,
}

impl RedriveSummary {
    /// Whether the user must act: a failure, a skip for a reason, dead letters left in flight.
    pub fn needs_action(&self) -> bool {
        !self.failed.is_empty()
            || self.in_flight_left > 0
            || self.skipped.iter().any(|s| s.skip.as_ref().is_some_and(SkipReason::needs_action))
    }
}

/// Moves the dead letters of `sources` back into `target`, one source after the other.
///
/// Returns the summary, and the error that stopped the run early, if one did: what was
/// moved before it stays moved, and messages held back are released either way.
pub(crate) async fn run<Q: Queues>(
    queues: &Q,
    target: &Target,
    sources: &[Source],
    options: Options,
    progress: &(dyn Fn(RedriveProgress) + Sync),
) -> (RedriveSummary, Option<Error>) {
    let mut run = Run { queues, target, options, progress, summary: RedriveSummary::default(), batches: 0 };
    run.summary.dry_run = options.dry_run;
    for source in sources {
        if run.reached_max() {
            break;
        }
        let mut held = Held::default();
        let result = run.drain(source, &mut held).await;
        // Held messages go back whatever happened: a failed release only means they become
        // visible when their visibility timeout ends.
        for handles in held.handles().chunks(MAX_BATCH_ENTRIES) {
            let _ = queues.release(&source.url, handles).await;
        }
        if let Err(err) = result {
            return (run.summary, Some(err));
        }
    }
    run.summary.reached_max = run.reached_max();
    (run.summary, None)
}

/// The dead letters of one source a run keeps in flight, so it neither sees them twice nor
/// lets a later message of their group overtake them; released when the source is done.
#[derive(Default)]
struct Held {
    /// Receipt handle by message ID: the latest, as a message may be received again.
    messages: BTreeMap<String, String>,
    groups: BTreeSet<String>,
}

impl Held {
    fn hold(&mut self, message: &Received) {
        self.messages.insert(message.message_id.clone(), message.receipt_handle.clone());
        if let Some(group) = &message.group_id {
            self.groups.insert(group.clone());
        }
    }

    fn holds_group_of(&self, message: &Received) -> Option<String> {
        message.group_id.as_ref().filter(|g| self.groups.contains(*g)).cloned()
    }

    fn handles(&self) -> Vec<String> {
        self.messages.values().cloned().collect()
    }
}

struct Run<'a, Q> {
    queues: &'a Q,
    target: &'a Target,
    options: Options,
    progress: &'a (dyn Fn(RedriveProgress) + Sync),
    summary: RedriveSummary,
    batches: usize,
}

impl<Q: Queues> Run<'_, Q> {
    fn reached_max(&self) -> bool {
        self.options.max.is_some_and(|max| self.summary.moved >= max)
    }

    fn unmoved(source: &Source, message: &Received, text: String, skip: Option<SkipReason>) -> Unmoved {
        Unmoved {
            source: source.name.clone(),
            message_id: message.message_id.clone(),
            group_id: message.group_id.clone(),
            message: text,
            skip,
        }
    }

    fn skip(&mut self, source: &Source, held: &mut Held, message: &Received, reason: SkipReason) {
        held.hold(message);
        self.summary.skipped.push(Self::unmoved(source, message, reason.to_string(), Some(reason)));
    }

    fn fail(&mut self, source: &Source, held: &mut Held, message: &Received, reason: String) {
        held.hold(message);
        self.summary.failed.push(Self::unmoved(source, message, reason, None));
    }

    async fn drain(&mut self, source: &Source, held: &mut Held) -> Result<(), Error> {
        let counts = self.queues.counts(&source.url).await?;
        (self.progress)(RedriveProgress::Source { source: source.name.clone(), approximate_messages: counts.total() });
        let mut waiting_since: Option<Instant> = None;
        while !self.reached_max() {
            let want =
                self.options.max.map_or(MAX_BATCH_ENTRIES, |max| (max - self.summary.moved).min(MAX_BATCH_ENTRIES));
            let received =
                self.queues.receive(&source.url, want, self.options.visibility, self.options.receive_wait).await?;
            if received.is_empty() {
                // Nothing to receive. Dead letters in flight that this run does not hold
                // (an interrupted run's last batch, a consumer of the dead-letter queue)
                // come back when their visibility ends; wait for them that long.
                let counts = self.queues.counts(&source.url).await?;
                let others = counts.in_flight.saturating_sub(held.messages.len() as u64);
                if others == 0 {
                    return Ok(());
                }
                let since = *waiting_since.get_or_insert_with(|| {
                    (self.progress)(RedriveProgress::Waiting {
                        source: source.name.clone(),
                        in_flight: others,
                        seconds: self.options.in_flight_wait.as_secs(),
                    });
                    Instant::now()
                });
                if since.elapsed() >= self.options.in_flight_wait {
                    self.summary.in_flight_left += others;
                    return Ok(());
                }
                tokio::time::sleep(Duration::from_millis(500).min(self.options.in_flight_wait)).await;
                continue;
            }
            waiting_since = None;
            let moves = self.decide_all(source, held, received);
            if self.options.dry_run {
                for (message, _, conversion) in moves {
                    self.count_moved(conversion);
                    held.hold(&message);
                }
                self.report_batch(source);
                continue;
            }
            self.move_received(source, held, moves).await?;
            self.report_batch(source);
        }
        Ok(())
    }

    /// Decides each received message, in order; returns the moves.
    fn decide_all(
        &mut self,
        source: &Source,
        held: &mut Held,
        received: Vec<Received>,
    ) -> Vec<(Received, Outgoing, Conversion)> {
        let mut moves = Vec::new();
        for message in received {
            if held.messages.contains_key(&message.message_id) {
                // Seen before in this run (its visibility ended): keep holding it.
                held.hold(&message);
                continue;
            }
            let decision = match held.holds_group_of(&message) {
                Some(group_id) => Decision::Skip(SkipReason::GroupHeldBack { group_id }),
                None => decide(&message, self.target, self.options.from),
            };
            match decision {
                Decision::Move { message: outgoing, conversion } => moves.push((message, outgoing, conversion)),
                Decision::Skip(reason) => self.skip(source, held, &message, reason),
            }
        }
        moves
    }

    /// Moves the messages of one receive: sends them, in batches that hold one message of
    /// each group, then deletes what was sent in one call. A crash before the delete repeats
    /// only this receive's messages.
    async fn move_received(
        &mut self,
        source: &Source,
        held: &mut Held,
        moves: Vec<(Received, Outgoing, Conversion)>,
    ) -> Result<(), Error> {
        let items: Vec<(usize, Option<&str>)> =
            moves.iter().map(|(_, outgoing, _)| (outgoing.size(), outgoing.group_id.as_deref())).collect();
        let ranges = message::batches(&items, MAX_BATCH_BYTES);
        let mut moves = moves.into_iter();
        let mut delivered = Vec::new();
        for range in ranges {
            // A message refused in an earlier batch holds back the rest of its group.
            let mut ready = Vec::new();
            for (message, outgoing, conversion) in moves.by_ref().take(range.len()) {
                match held.holds_group_of(&message) {
                    Some(group_id) => self.skip(source, held, &message, SkipReason::GroupHeldBack { group_id }),
                    None => ready.push((message, outgoing, conversion)),
                }
            }
            if ready.is_empty() {
                continue;
            }
            let outgoing: Vec<Outgoing> = ready.iter().map(|(_, outgoing, _)| outgoing.clone()).collect();
            let sent = self.queues.send(&self.target.url, &outgoing).await?;
            for ((message, _, conversion), result) in ready.into_iter().zip(sent) {
                match result {
                    Ok(()) => delivered.push((message, conversion)),
                    Err(reason) => {
                        self.fail(source, held, &message, format!("`{}` refused it: {reason}", self.target.name));
                    }
                }
            }
        }
        if delivered.is_empty() {
            return Ok(());
        }
        let handles: Vec<String> = delivered.iter().map(|(message, _)| message.receipt_handle.clone()).collect();
        let deleted = self.queues.delete(&source.url, &handles).await?;
        for ((message, conversion), result) in delivered.into_iter().zip(deleted) {
            match result {
                Ok(()) => self.count_moved(conversion),
                Err(reason) => {
                    let text = if self.target.fifo {
                        format!(
                            "sent, but not deleted from the dead-letter queue ({reason}); a redrive within 5 minutes skips the copy as a duplicate"
                        )
                    } else {
                        format!("sent, but not deleted from the dead-letter queue ({reason}); a redrive sends it again")
                    };
                    self.fail(source, held, &message, text);
                }
            }
        }
        Ok(())
    }

    fn count_moved(&mut self, conversion: Conversion) {
        self.summary.moved += 1;
        if conversion == Conversion::Unwrapped {
            self.summary.unwrapped += 1;
        }
    }

    fn report_batch(&mut self, source: &Source) {
        self.batches += 1;
        (self.progress)(RedriveProgress::Batch {
            source: source.name.clone(),
            batch: self.batches,
            moved: self.summary.moved,
            skipped: self.summary.skipped.len(),
            failed: self.summary.failed.len(),
        });
    }
}

#[cfg(test)]
mod tests {
    use std::collections::HashSet;
    use std::sync::Mutex;

    use super::*;
    use crate::message::Attribute;

    const QUEUE_ARN: &str = "arn:aws:sqs:us-east-1:123456789012:dev-shop-orders.fifo";
    const TOPIC_ARN: &str = "arn:aws:sns:us-east-1:123456789012:dev-shop-events.fifo";

    /// A queue in memory, with SQS's visibility, FIFO group and deduplication rules.
    #[derive(Default)]
    struct Queue {
        fifo: bool,
        messages: Vec<Stored>,
        /// Deduplication IDs seen within the (never ending, in a test) five-minute window.
        seen: HashSet<String>,
    }

    #[derive(Clone)]
    struct Stored {
        id: String,
        body: String,
        attributes: BTreeMap<String, Attribute>,
        group: Option<String>,
        source: Option<String>,
        receipt: Option<String>,
    }

    /// Queues in memory, by URL, and the faults to inject.
    #[derive(Default)]
    struct Memory {
        queues: Mutex<BTreeMap<String, Queue>>,
        next: Mutex<usize>,
        /// The run "crashes" (its delete call fails) after this many send calls.
        crash_after_sends: Option<usize>,
        sends: Mutex<usize>,
        /// Send entries with these bodies are refused.
        refuse: Vec<String>,
    }

    impl Memory {
        fn new(queues: &[(&str, bool)]) -> Self {
            let memory = Self::default();
            for (url, fifo) in queues {
                memory.queues.lock().unwrap().insert(url.to_string(), Queue { fifo: *fifo, ..Queue::default() });
            }
            memory
        }

        fn id(&self) -> String {
            let mut next = self.next.lock().unwrap();
            *next += 1;
            format!("00000000-0000-4000-8000-{:012}", *next)
        }

        fn put(&self, url: &str, body: &str, group: Option<&str>, source: Option<&str>) {
            let id = self.id();
            let mut queues = self.queues.lock().unwrap();
            queues.get_mut(url).unwrap().messages.push(Stored {
                id,
                body: body.to_string(),
                attributes: BTreeMap::new(),
                group: group.map(str::to_string),
                source: source.map(str::to_string),
                receipt: None,
            });
        }

        /// Every visibility timeout ends.
        fn expire(&self) {
            for queue in self.queues.lock().unwrap().values_mut() {
                for message in &mut queue.messages {
                    message.receipt = None;
                }
            }
        }

        fn bodies(&self, url: &str) -> Vec<String> {
            self.queues.lock().unwrap()[url].messages.iter().map(|m| m.body.clone()).collect()
        }

        fn in_flight(&self, url: &str) -> usize {
            self.queues.lock().unwrap()[url].messages.iter().filter(|m| m.receipt.is_some()).count()
        }

        fn answer(
            &self,
            url: &str,
            handles: &[String],
            mut each: impl FnMut(&mut Vec<Stored>, usize),
        ) -> Vec<Result<(), String>> {
            let mut queues = self.queues.lock().unwrap();
            let queue = queues.get_mut(url).unwrap();
            handles
                .iter()
                .map(|handle| match queue.messages.iter().position(|m| m.receipt.as_deref() == Some(handle)) {
                    Some(i) => {
                        each(&mut queue.messages, i);
                        Ok(())
                    }
                    None => Err("ReceiptHandleIsInvalid".to_string()),
                })
                .collect()
        }
    }

    fn error(operation: &'static str) -> Error {
        Error::Aws { operation, code: None, message: "the process was killed".into(), transient: false, source: None }
    }

    impl Queues for Memory {
        async fn receive(&self, url: &str, max: usize, _: Duration, _: Duration) -> Result<Vec<Received>, Error> {
            let mut receipts = Vec::new();
            let mut queues = self.queues.lock().unwrap();
            let queue = queues.get_mut(url).unwrap();
            let blocked: HashSet<Option<String>> = if queue.fifo {
                queue.messages.iter().filter(|m| m.receipt.is_some()).map(|m| m.group.clone()).collect()
            } else {
                HashSet::new()
            };
            let mut received = Vec::new();
            for message in &mut queue.messages {
                if received.len() == max {
                    break;
                }
                if message.receipt.is_some() || blocked.contains(&message.group) {
                    continue;
                }
                receipts.push(());
                let handle = format!("{}-{}", message.id, receipts.len());
                message.receipt = Some(handle.clone());
                received.push(Received {
                    message_id: message.id.clone(),
                    receipt_handle: handle,
                    body: message.body.clone(),
                    attributes: message.attributes.clone(),
                    group_id: message.group.clone(),
                    deduplication_id: None,
                    receive_count: 1,
                    sent_at: None,
                    dead_letter_source: message.source.clone(),
                    trace_header: None,
                });
            }
            Ok(received)
        }

        async fn send(&self, url: &str, messages: &[Outgoing]) -> Result<Vec<Result<(), String>>, Error> {
            *self.sends.lock().unwrap() += 1;
            let mut results = Vec::new();
            for outgoing in messages {
                if self.refuse.contains(&outgoing.body) {
                    results.push(Err("InvalidParameterValue".to_string()));
                    continue;
                }
                let id = self.id();
                let mut queues = self.queues.lock().unwrap();
                let queue = queues.get_mut(url).unwrap();
                assert_eq!(queue.fifo, outgoing.group_id.is_some(), "a group exactly for FIFO queues");
                assert_eq!(queue.fifo, outgoing.deduplication_id.is_some());
                if let Some(dedup) = &outgoing.deduplication_id
                    && !queue.seen.insert(dedup.clone())
                {
                    results.push(Ok(()));
                    continue;
                }
                queue.messages.push(Stored {
                    id,
                    body: outgoing.body.clone(),
                    attributes: outgoing.attributes.clone(),
                    group: outgoing.group_id.clone(),
                    source: None,
                    receipt: None,
                });
                results.push(Ok(()));
            }
            Ok(results)
        }

        async fn delete(&self, url: &str, handles: &[String]) -> Result<Vec<Result<(), String>>, Error> {
            if self.crash_after_sends.is_some_and(|n| *self.sends.lock().unwrap() >= n) {
                return Err(error("DeleteMessageBatch"));
            }
            let mut doomed = Vec::new();
            let results = self.answer(url, handles, |messages, i| doomed.push(messages[i].id.clone()));
            self.queues.lock().unwrap().get_mut(url).unwrap().messages.retain(|m| !doomed.contains(&m.id));
            Ok(results)
        }

        async fn release(&self, url: &str, handles: &[String]) -> Result<Vec<Result<(), String>>, Error> {
            Ok(self.answer(url, handles, |messages, i| messages[i].receipt = None))
        }

        async fn counts(&self, url: &str) -> Result<Counts, Error> {
            let in_flight = self.in_flight(url) as u64;
            let total = self.queues.lock().unwrap()[url].messages.len() as u64;
            Ok(Counts { visible: total - in_flight, in_flight, delayed: 0 })
        }
    }

    const DLQ: &str = "https://sqs/dlq.fifo";
    const TARGET: &str = "https://sqs/orders.fifo";

    fn target(fifo: bool, raw: bool) -> Target {
        Target {
            name: "shop/orders".into(),
            url: TARGET.into(),
            arn: QUEUE_ARN.into(),
            fifo,
            subscriptions: vec![SubscriptionDelivery { topic_arn: TOPIC_ARN.into(), raw }],
        }
    }

    fn sources() -> Vec<Source> {
        vec![Source { name: "dev-shop-orders-dlq.fifo".into(), url: DLQ.into() }]
    }

    fn options() -> Options {
        Options {
            from: RedriveFrom::Both,
            max: None,
            dry_run: false,
            visibility: Duration::from_secs(30),
            receive_wait: Duration::ZERO,
            in_flight_wait: Duration::ZERO,
        }
    }

    /// 40 dead letters in 4 groups, interleaved; the body is `group:index`.
    fn fill(memory: &Memory) {
        for i in 0..40 {
            let group = format!("g{}", i % 4);
            memory.put(DLQ, &format!("{group}:{i}"), Some(&group), Some(QUEUE_ARN));
        }
    }

    fn ignore(_: RedriveProgress) {}

    /// The bodies of `url` by group, in queue order.
    fn by_group(bodies: &[String]) -> BTreeMap<String, Vec<u32>> {
        let mut groups: BTreeMap<String, Vec<u32>> = BTreeMap::new();
        for body in bodies {
            let (group, index) = body.split_once(':').unwrap();
            groups.entry(group.to_string()).or_default().push(index.parse().unwrap());
        }
        groups
    }

    fn expected_groups() -> BTreeMap<String, Vec<u32>> {
        (0..4).map(|g| (format!("g{g}"), (g..40).step_by(4).collect())).collect()
    }

    #[tokio::test]
    async fn every_dead_letter_goes_back_once_in_group_order() {
        let memory = Memory::new(&[(DLQ, true), (TARGET, true)]);
        fill(&memory);
        let batches = Mutex::new(Vec::new());
        let progress = |event: RedriveProgress| batches.lock().unwrap().push(event);
        let (summary, error) = run(&memory, &target(true, true), &sources(), options(), &progress).await;
        assert!(error.is_none());
        assert_eq!((summary.moved, summary.skipped.len(), summary.failed.len()), (40, 0, 0));
        assert!(!summary.needs_action());
        assert!(memory.bodies(DLQ).is_empty());
        assert_eq!(by_group(&memory.bodies(TARGET)), expected_groups());
        let moved: Vec<usize> = batches
            .lock()
            .unwrap()
            .iter()
            .filter_map(|e| match e {
                RedriveProgress::Batch { moved, .. } => Some(*moved),
                _ => None,
            })
            .collect();
        assert_eq!(moved, [10, 20, 30, 40], "one progress event per batch of ten");

        // A second run finds nothing.
        let (again, _) = run(&memory, &target(true, true), &sources(), options(), &ignore).await;
        assert_eq!(again.moved, 0);
        assert_eq!(memory.bodies(TARGET).len(), 40);
    }

    #[tokio::test]
    async fn a_crash_between_send_and_delete_repeats_only_that_batch_and_fifo_drops_the_repeat() {
        let mut memory = Memory::new(&[(DLQ, true), (TARGET, true)]);
        memory.crash_after_sends = Some(4);
        fill(&memory);
        let (summary, error) = run(&memory, &target(true, true), &sources(), options(), &ignore).await;
        assert!(error.is_some(), "the run stopped");
        // The first receive's 10 messages went in 3 sends (one message of each group per
        // send) and one delete; the second receive's were sent, and the run died before the
        // delete: they are in the queue and still in the dead-letter queue, in flight.
        assert_eq!(summary.moved, 10);
        assert_eq!(memory.bodies(TARGET).len(), 20);
        assert_eq!(memory.bodies(DLQ).len(), 30);

        // The interrupted run's batch becomes visible again; the next run sends it again.
        memory.expire();
        memory.crash_after_sends = None;
        let (summary, error) = run(&memory, &target(true, true), &sources(), options(), &ignore).await;
        assert!(error.is_none());
        assert_eq!(summary.moved, 30);
        assert!(memory.bodies(DLQ).is_empty());
        assert_eq!(by_group(&memory.bodies(TARGET)), expected_groups(), "no duplicate, no reordering");
    }

    #[tokio::test]
    async fn an_interrupted_runs_batch_is_waited_for() {
        let memory = Memory::new(&[(DLQ, true), (TARGET, true)]);
        fill(&memory);
        // Someone holds the first messages of every group.
        memory.receive(DLQ, 10, Duration::ZERO, Duration::ZERO).await.unwrap();
        let events = Mutex::new(Vec::new());
        let progress = |event: RedriveProgress| events.lock().unwrap().push(event);
        let (summary, _) = run(&memory, &target(true, true), &sources(), options(), &progress).await;
        assert_eq!(summary.moved, 0, "every group is blocked behind a message in flight");
        assert_eq!(summary.in_flight_left, 10);
        assert!(summary.needs_action());
        assert!(events.lock().unwrap().iter().any(|e| matches!(e, RedriveProgress::Waiting { in_flight: 10, .. })));

        let mut waiting = options();
        waiting.in_flight_wait = Duration::from_secs(5);
        let expire = async {
            tokio::time::sleep(Duration::from_millis(700)).await;
            memory.expire();
        };
        let (target, sources) = (target(true, true), sources());
        let ((summary, _), ()) = tokio::join!(run(&memory, &target, &sources, waiting, &ignore), expire);
        assert_eq!((summary.moved, summary.in_flight_left), (40, 0));
        assert_eq!(by_group(&memory.bodies(TARGET)), expected_groups());
    }

    #[tokio::test]
    async fn a_refused_message_holds_back_its_group_and_the_others_move() {
        let mut memory = Memory::new(&[(DLQ, true), (TARGET, true)]);
        memory.refuse = vec!["g1:5".to_string()];
        fill(&memory);
        let (summary, error) = run(&memory, &target(true, true), &sources(), options(), &ignore).await;
        assert!(error.is_none());
        assert_eq!(summary.failed.len(), 1);
        assert_eq!(summary.failed[0].group_id.as_deref(), Some("g1"));
        assert!(summary.failed[0].message.contains("`shop/orders` refused it: InvalidParameterValue"));
        // g1:1 went before the failure; g1:9 ... g1:37 stayed, in order, behind g1:5.
        let moved = by_group(&memory.bodies(TARGET));
        assert_eq!(moved["g1"], [1]);
        for group in ["g0", "g2", "g3"] {
            assert_eq!(moved[group], expected_groups()[group]);
        }
        assert_eq!(by_group(&memory.bodies(DLQ))["g1"], (5..40).step_by(4).collect::<Vec<u32>>());
        // g1:9 came in the same receive as g1:5 and was held back; the queue gave out no later
        // message of g1 while those two were held.
        let skipped: Vec<(&str, Option<&SkipReason>)> =
            summary.skipped.iter().map(|s| (s.group_id.as_deref().unwrap_or_default(), s.skip.as_ref())).collect();
        assert_eq!(skipped, [("g1", Some(&SkipReason::GroupHeldBack { group_id: "g1".into() }))]);
        assert_eq!(memory.in_flight(DLQ), 0, "what was held back is visible again");
        assert!(summary.needs_action());
    }

    #[test]
    fn only_skips_with_a_cause_of_their_own_need_the_user() {
        assert!(!SkipReason::NotSelected { origin: "dead-letters".into() }.needs_action());
        // Held back behind its group's first message, whose own skip or failure is counted.
        assert!(!SkipReason::GroupHeldBack { group_id: "g1".into() }.needs_action());
        assert!(SkipReason::NoMessageGroup.needs_action());
        assert!(SkipReason::OtherSourceQueue { queue_arn: QUEUE_ARN.into() }.needs_action());
    }

    #[tokio::test]
    async fn from_selects_by_origin_and_keeps_the_other_in_place() {
        let memory = Memory::new(&[(DLQ, false), (TARGET, false)]);
        for i in 0..12 {
            let source = (i % 3 == 0).then_some(QUEUE_ARN);
            memory.put(DLQ, &format!("m:{i}"), None, source);
        }
        let mut only_failed = options();
        only_failed.from = RedriveFrom::DeadLetters;
        let (summary, _) = run(&memory, &target(false, true), &sources(), only_failed, &ignore).await;
        assert_eq!(summary.moved, 4);
        assert_eq!(summary.skipped.len(), 8);
        assert!(!summary.needs_action(), "leaving out what `--from` did not ask for is no problem");
        assert_eq!(memory.bodies(TARGET), ["m:0", "m:3", "m:6", "m:9"]);
        assert_eq!(memory.in_flight(DLQ), 0);

        let mut undeliverable = options();
        undeliverable.from = RedriveFrom::SubscriptionDeadLetters;
        let (summary, _) = run(&memory, &target(false, true), &sources(), undeliverable, &ignore).await;
        assert_eq!((summary.moved, summary.skipped.len()), (8, 0));
        assert!(memory.bodies(DLQ).is_empty());
    }

    #[tokio::test]
    async fn max_stops_after_that_many_and_a_dry_run_moves_nothing() {
        let memory = Memory::new(&[(DLQ, true), (TARGET, true)]);
        fill(&memory);
        let mut dry = options();
        dry.dry_run = true;
        let (summary, _) = run(&memory, &target(true, true), &sources(), dry, &ignore).await;
        assert!(summary.dry_run);
        assert_eq!(summary.moved, 10, "a FIFO queue shows no more of a group while its first are held");
        assert!(memory.bodies(TARGET).is_empty());
        assert_eq!((memory.bodies(DLQ).len(), memory.in_flight(DLQ)), (40, 0));

        let mut some = options();
        some.max = Some(13);
        let (summary, _) = run(&memory, &target(true, true), &sources(), some, &ignore).await;
        assert_eq!(summary.moved, 13);
        assert!(summary.reached_max);
        assert_eq!(memory.bodies(TARGET), (0..13).map(|i| format!("g{}:{i}", i % 4)).collect::<Vec<_>>());
    }

    #[tokio::test]
    async fn envelopes_are_unwrapped_for_a_raw_subscription() {
        let memory = Memory::new(&[(DLQ, false), (TARGET, false)]);
        let envelope = serde_json::json!({
            "Type": "Notification", "MessageId": "m-1", "TopicArn": TOPIC_ARN, "Message": "{\"order\":1}",
            "MessageAttributes": { "event_type": { "Type": "String", "Value": "OrderPlaced" } },
        });
        memory.put(DLQ, &envelope.to_string(), None, None);
        let (summary, _) = run(&memory, &target(false, true), &sources(), options(), &ignore).await;
        assert_eq!((summary.moved, summary.unwrapped), (1, 1));
        let queues = memory.queues.lock().unwrap();
        let sent = &queues[TARGET].messages[0];
        assert_eq!(sent.body, "{\"order\":1}");
        assert_eq!(sent.attributes["event_type"], Attribute::string("OrderPlaced"));
    }

    fn received(id: &str, group: Option<&str>, source: Option<&str>) -> Received {
        Received {
            message_id: id.into(),
            receipt_handle: "h".into(),
            body: "b".into(),
            attributes: BTreeMap::new(),
            group_id: group.map(str::to_string),
            deduplication_id: None,
            receive_count: 1,
            sent_at: None,
            dead_letter_source: source.map(str::to_string),
            trace_header: Some("Root=1-abc".into()),
        }
    }

    #[test]
    fn decisions_follow_origin_queue_kind_and_group() {
        let fifo = target(true, false);
        let Decision::Move { message, .. } = decide(&received("m-1", Some("g"), None), &fifo, RedriveFrom::Both) else {
            panic!("moved")
        };
        assert_eq!(message.group_id.as_deref(), Some("g"));
        assert_eq!(message.deduplication_id.as_deref(), Some("redrive-m-1"));
        assert_eq!(message.trace_header.as_deref(), Some("Root=1-abc"));
        assert_eq!(
            decide(&received("m-1", None, None), &fifo, RedriveFrom::Both),
            Decision::Skip(SkipReason::NoMessageGroup)
        );
        assert_eq!(
            decide(
                &received("m-1", Some("g"), Some("arn:aws:sqs:us-east-1:123456789012:other")),
                &fifo,
                RedriveFrom::Both
            ),
            Decision::Skip(SkipReason::OtherSourceQueue {
                queue_arn: "arn:aws:sqs:us-east-1:123456789012:other".into()
            })
        );
        // A FIFO topic's undeliverable message goes to a standard queue without its group.
        let standard = target(false, false);
        let Decision::Move { message, .. } = decide(&received("m-1", Some("g"), None), &standard, RedriveFrom::Both)
        else {
            panic!("moved")
        };
        assert_eq!((message.group_id, message.deduplication_id), (None, None));
    }

    #[test]
    fn deduplication_ids_are_stable_and_valid() {
        let uuid = "0b7a2c4e-1f3d-4a5b-9c8d-7e6f5a4b3c2d";
        assert_eq!(deduplication_id(uuid), format!("redrive-{uuid}"));
        assert_eq!(deduplication_id(uuid), deduplication_id(uuid));
        for odd in ["", "a b", &"x".repeat(200), "ü"] {
            let id = deduplication_id(odd);
            assert!(id.len() <= 128 && id.chars().all(|c| c.is_ascii_graphic()), "{id}");
        }
        assert_ne!(deduplication_id("a b"), deduplication_id("a c"));
    }
}
