//! Messages as fanout reads them from queues and writes them to queues and topics: body,
//! attributes, message group, and how many go into one batch call.
//!
//! No SDK types: `sqs.rs` and `sns.rs` convert, so what is decided here is tested without
//! AWS.

use std::collections::BTreeMap;
use std::ops::Range;

use base64::Engine as _;
use serde::Serialize;

/// SQS and SNS take at most 10 entries in one batch call.
pub(crate) const MAX_BATCH_ENTRIES: usize = 10;

/// The most bytes one batch call carries, bodies and attributes together: 256 KiB, the
/// limit SNS's `PublishBatch` has and SQS's `SendMessageBatch` had before it grew to 1 MiB
/// (queues created before then, and other regions' rollout, may still enforce it).
pub(crate) const MAX_BATCH_BYTES: usize = 262_144;

/// A message attribute: its data type (`String`, `Number`, `Binary`, or one of those with a
/// custom suffix like `Number.float`) and its value.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Attribute {
    /// The data type, as SQS and SNS spell it.
    pub data_type: String,
    /// The value.
    #[serde(flatten)]
    pub value: AttributeValue,
}

/// The value of an [`Attribute`]: text for `String` and `Number` types, bytes for `Binary`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum AttributeValue {
    /// A `String` or `Number` value.
    #[serde(rename = "value")]
    Text(String),
    /// A `Binary` value, shown in base64.
    #[serde(rename = "base64", serialize_with = "as_base64")]
    Binary(Vec<u8>),
}

fn as_base64<S: serde::Serializer>(bytes: &[u8], serializer: S) -> Result<S::Ok, S::Error> {
    serializer.serialize_str(&base64::engine::general_purpose::STANDARD.encode(bytes))
}

impl Attribute {
    /// A `String` attribute.
    pub fn string(value: impl Into<String>) -> Self {
        Self { data_type: "String".to_string(), value: AttributeValue::Text(value.into()) }
    }

    /// The bytes SQS and SNS count for an attribute: its name, data type and value.
    pub(crate) fn size(&self, name: &str) -> usize {
        let value = match &self.value {
            AttributeValue::Text(text) => text.len(),
            AttributeValue::Binary(bytes) => bytes.len(),
        };
        name.len() + self.data_type.len() + value
    }

    /// The value as text, binary values in base64: for one line of output.
    pub fn display_value(&self) -> String {
        match &self.value {
            AttributeValue::Text(text) => text.clone(),
            AttributeValue::Binary(bytes) => base64::engine::general_purpose::STANDARD.encode(bytes),
        }
    }
}

/// A message as a queue handed it out.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Received {
    /// SQS's message ID: stays the same however often the message is received, and changes
    /// when the message is sent again.
    pub message_id: String,
    /// The handle to delete it or change its visibility with, until it is received again.
    #[serde(skip)]
    pub receipt_handle: String,
    /// The body.
    pub body: String,
    /// The message attributes, by name.
    pub attributes: BTreeMap<String, Attribute>,
    /// The message group, on FIFO queues.
    pub group_id: Option<String>,
    /// The deduplication ID, on FIFO queues.
    pub deduplication_id: Option<String>,
    /// How often it has been received, this receive included.
    pub receive_count: u32,
    /// When it was sent, RFC 3339.
    pub sent_at: Option<String>,
    /// The queue SQS moved it from, on a message in a dead-letter queue that failed its
    /// `max_receive_count` receives there (`DeadLetterQueueSourceArn`); `None` on what SNS
    /// put there because it could not deliver it.
    pub dead_letter_source: Option<String>,
    /// The X-Ray trace header, passed on when the message is sent again.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub trace_header: Option<String>,
}

/// A message to send to a queue.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Outgoing {
    pub body: String,
    pub attributes: BTreeMap<String, Attribute>,
    /// Required by FIFO queues, refused by standard ones.
    pub group_id: Option<String>,
    pub deduplication_id: Option<String>,
    pub trace_header: Option<String>,
}

impl Outgoing {
    /// The bytes the message counts for in a batch: body and attributes.
    pub(crate) fn size(&self) -> usize {
        self.body.len() + self.attributes.iter().map(|(name, attribute)| attribute.size(name)).sum::<usize>()
    }
}

/// Splits items, in order, into consecutive batches of at most [`MAX_BATCH_ENTRIES`] entries
/// and `max_bytes` bytes, and with at most one item of each message group: a service that
/// refuses one entry of a batch call still takes the others, so a later message of the same
/// group in that call would overtake the refused one. Items are `(size, group)`; an item
/// larger than `max_bytes` goes alone, for the service to accept or refuse.
pub(crate) fn batches(items: &[(usize, Option<&str>)], max_bytes: usize) -> Vec<Range<usize>> {
    let mut batches = Vec::new();
    let (mut start, mut bytes) = (0, 0);
    for (i, &(size, group)) in items.iter().enumerate() {
        let full = i - start == MAX_BATCH_ENTRIES
            || (i > start && bytes + size > max_bytes)
            || group.is_some_and(|g| items[start..i].iter().any(|(_, other)| *other == Some(g)));
        if full {
            batches.push(start..i);
            (start, bytes) = (i, 0);
        }
        bytes += size;
    }
    if start < items.len() {
        batches.push(start..items.len());
    }
    batches
}

/// Per entry of a batch call of `count` entries with IDs `0..count`: `Ok`, or the reason
/// the service gave for refusing it. An entry the answer does not mention failed.
pub(crate) fn per_entry<'a>(
    count: usize,
    successful: impl IntoIterator<Item = &'a str>,
    refused: impl IntoIterator<Item = (&'a str, String)>,
) -> Vec<Result<(), String>> {
    let mut results: Vec<Result<(), String>> = vec![Err("no answer for this entry".to_string()); count];
    let mut set = |id: &str, result| {
        if let Some(slot) = id.parse::<usize>().ok().and_then(|i| results.get_mut(i)) {
            *slot = result;
        }
    };
    for id in successful {
        set(id, Ok(()));
    }
    for (id, reason) in refused {
        set(id, Err(reason));
    }
    results
}

/// How many messages a queue holds, as `GetQueueAttributes` approximates them.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize)]
pub struct Counts {
    /// Ready to be received (`ApproximateNumberOfMessages`).
    pub visible: u64,
    /// Received and not yet deleted or visible again (`ApproximateNumberOfMessagesNotVisible`).
    pub in_flight: u64,
    /// Not yet visible because of a delay (`ApproximateNumberOfMessagesDelayed`).
    pub delayed: u64,
}

impl Counts {
    /// Every message the queue holds.
    pub fn total(&self) -> u64 {
        self.visible + self.in_flight + self.delayed
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sized(sizes: &[usize]) -> Vec<(usize, Option<&'static str>)> {
        sizes.iter().map(|&size| (size, None)).collect()
    }

    #[test]
    fn batches_hold_ten_entries_at_most() {
        assert_eq!(batches(&sized(&[1; 25]), MAX_BATCH_BYTES), [0..10, 10..20, 20..25]);
        assert_eq!(batches(&sized(&[1; 10]), MAX_BATCH_BYTES), vec![0..10usize]);
        assert!(batches(&[], MAX_BATCH_BYTES).is_empty());
    }

    #[test]
    fn batches_stay_under_the_byte_limit_and_keep_the_order() {
        assert_eq!(batches(&sized(&[40, 40, 30, 60, 100, 1]), 100), [0..2, 2..4, 4..5, 5..6]);
        // A batch that reaches the limit exactly is full, not over.
        assert_eq!(batches(&sized(&[50, 50, 1]), 100), [0..2, 2..3]);
    }

    #[test]
    fn an_item_over_the_limit_goes_alone() {
        assert_eq!(batches(&sized(&[10, 300, 10]), 100), [0..1, 1..2, 2..3]);
    }

    #[test]
    fn a_batch_holds_one_message_of_each_group() {
        let groups = ["a", "b", "c", "a", "b", "a", "a"];
        let items: Vec<_> = groups.iter().map(|g| (1, Some(*g))).collect();
        assert_eq!(batches(&items, MAX_BATCH_BYTES), [0..3, 3..5, 5..6, 6..7]);
        // Messages without a group (standard queues) are never split for it.
        let mixed = [(1, None), (1, None), (1, Some("a")), (1, None)];
        assert_eq!(batches(&mixed, MAX_BATCH_BYTES), vec![0..4usize]);
    }

    #[test]
    fn sizes_count_body_and_attributes() {
        let mut attributes = BTreeMap::new();
        attributes.insert("event_type".to_string(), Attribute::string("Ready"));
        attributes.insert(
            "raw".to_string(),
            Attribute { data_type: "Binary".to_string(), value: AttributeValue::Binary(vec![1, 2, 3]) },
        );
        let message = Outgoing {
            body: "{}".to_string(),
            attributes,
            group_id: Some("g".to_string()),
            deduplication_id: None,
            trace_header: None,
        };
        assert_eq!(message.size(), 2 + (10 + 6 + 5) + (3 + 6 + 3));
    }

    #[test]
    fn batch_answers_are_matched_to_entries_by_id() {
        let results = per_entry(3, ["2", "0"], [("1", "InvalidParameterValue: too long".to_string())]);
        assert_eq!(results, [Ok(()), Err("InvalidParameterValue: too long".to_string()), Ok(())]);
        // An entry the answer does not mention counts as failed, never as done.
        assert!(per_entry(1, [], [])[0].is_err());
    }

    #[test]
    fn binary_attributes_serialize_in_base64() {
        let attribute = Attribute { data_type: "Binary".to_string(), value: AttributeValue::Binary(vec![2, 3, 4]) };
        assert_eq!(
            serde_json::to_value(&attribute).unwrap(),
            serde_json::json!({ "data_type": "Binary", "base64": "AgME" })
        );
        assert_eq!(
            serde_json::to_value(Attribute::string("x")).unwrap(),
            serde_json::json!({ "data_type": "String", "value": "x" })
        );
    }
}
