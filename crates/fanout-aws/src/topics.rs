//! SNS calls: how a subscription delivers, and publishing checked events in batches.

use aws_sdk_sns::error::BuildError;
use aws_sdk_sns::primitives::Blob;
use aws_sdk_sns::types::{MessageAttributeValue, PublishBatchRequestEntry};
use serde::Serialize;

use crate::client::Aws;
use crate::envelope::SubscriptionDelivery;
use crate::error::{Error, from_sdk};
use crate::message::{self, AttributeValue, MAX_BATCH_BYTES, per_entry};
use crate::publish::Publication;

/// How the subscription `arn` delivers, as configured in SNS now.
pub(crate) async fn delivery(aws: &Aws, arn: &str) -> Result<SubscriptionDelivery, Error> {
    let output = aws
        .sns
        .get_subscription_attributes()
        .subscription_arn(arn)
        .send()
        .await
        .map_err(|err| from_sdk("GetSubscriptionAttributes", &aws.service_endpoint("sns"), err))?;
    let attribute = |name: &str| output.attributes().and_then(|a| a.get(name)).cloned();
    Ok(SubscriptionDelivery {
        // AWS returns `TopicArn`; where it is missing (the emulator) the ARN says it too.
        topic_arn: attribute("TopicArn").unwrap_or_else(|| crate::envelope::topic_of_subscription(arn).to_string()),
        raw: attribute("RawMessageDelivery").is_some_and(|raw| raw.eq_ignore_ascii_case("true")),
    })
}

/// Progress of a publish: after each batch.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
pub struct PublishProgress {
    /// Events published so far.
    pub published: usize,
    /// Events to publish in all.
    pub total: usize,
}

/// An event SNS refused.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct PublishFailure {
    /// Its line in the file.
    pub line: usize,
    /// SNS's reason.
    pub reason: String,
}

/// How a publish ended.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct Published {
    /// Events SNS took.
    pub published: usize,
    /// Events SNS refused; publishing stops after the batch that held the first.
    pub failed: Vec<PublishFailure>,
    /// Events not sent because publishing stopped, from the first line not sent.
    pub not_sent: usize,
    /// The line of the first event not sent, if any was not.
    pub first_not_sent: Option<usize>,
}

fn entry(id: usize, publication: &Publication) -> Result<PublishBatchRequestEntry, BuildError> {
    let mut entry = PublishBatchRequestEntry::builder()
        .id(id.to_string())
        .message(&publication.body)
        .set_message_group_id(publication.group_id.clone())
        .set_message_deduplication_id(publication.deduplication_id.clone());
    for (name, attribute) in &publication.attributes {
        let value = MessageAttributeValue::builder().data_type(&attribute.data_type);
        let value = match &attribute.value {
            AttributeValue::Text(text) => value.string_value(text),
            AttributeValue::Binary(bytes) => value.binary_value(Blob::new(bytes.clone())),
        };
        entry = entry.message_attributes(name, value.build()?);
    }
    entry.build()
}

/// Publishes `publications` to the topic `arn`, in order, in batches of up to ten, and
/// stops after a batch in which SNS refused an event. Returns what was published, and the
/// error that stopped publishing early, if one did.
pub async fn publish(
    aws: &Aws,
    arn: &str,
    publications: &[Publication],
    progress: &(dyn Fn(PublishProgress) + Sync),
) -> (Published, Option<Error>) {
    let mut published = Published::default();
    let items: Vec<(usize, Option<&str>)> = publications.iter().map(|p| (p.size(), None)).collect();
    for range in message::batches(&items, MAX_BATCH_BYTES) {
        let batch = &publications[range.clone()];
        let stop = |published: &mut Published| {
            published.not_sent = publications.len() - range.start;
            published.first_not_sent = Some(batch[0].line);
        };
        let entries = match batch.iter().enumerate().map(|(i, p)| entry(i, p)).collect::<Result<Vec<_>, _>>() {
            Ok(entries) => entries,
            Err(err) => {
                stop(&mut published);
                let error = Error::Aws {
                    operation: "PublishBatch",
                    code: None,
                    message: err.to_string(),
                    transient: false,
                    source: Some(Box::new(err)),
                };
                return (published, Some(error));
            }
        };
        let output = match aws
            .sns
            .publish_batch()
            .topic_arn(arn)
            .set_publish_batch_request_entries(Some(entries))
            .send()
            .await
        {
            Ok(output) => output,
            Err(err) => {
                stop(&mut published);
                return (published, Some(from_sdk("PublishBatch", &aws.service_endpoint("sns"), err)));
            }
        };
        let refused = output.failed().iter().map(|f| {
            let reason = match f.message() {
                Some(message) => format!("{}: {message}", f.code()),
                None => f.code().to_string(),
            };
            (f.id(), reason)
        });
        let results = per_entry(batch.len(), output.successful().iter().filter_map(|s| s.id()), refused);
        for (publication, result) in batch.iter().zip(results) {
            match result {
                Ok(()) => published.published += 1,
                Err(reason) => published.failed.push(PublishFailure { line: publication.line, reason }),
            }
        }
        progress(PublishProgress { published: published.published, total: publications.len() });
        if !published.failed.is_empty() {
            published.not_sent = publications.len() - range.end;
            published.first_not_sent = publications.get(range.end).map(|p| p.line);
            break;
        }
    }
    (published, None)
}
