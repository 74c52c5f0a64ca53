//! SQS calls, each turned into fanout's own types ([`crate::message`]): receiving, sending,
//! deleting and releasing messages, and a queue's counts and ARN.

use std::collections::BTreeMap;
use std::time::Duration;

use aws_sdk_sqs::error::{BuildError, SdkError};
use aws_sdk_sqs::primitives::{Blob, DateTime, DateTimeFormat};
use aws_sdk_sqs::types::{
    BatchResultErrorEntry, ChangeMessageVisibilityBatchRequestEntry, DeleteMessageBatchRequestEntry,
    MessageAttributeValue, MessageSystemAttributeName, MessageSystemAttributeNameForSends, MessageSystemAttributeValue,
    QueueAttributeName, SendMessageBatchRequestEntry,
};
use aws_smithy_runtime_api::client::orchestrator::HttpResponse;

use crate::client::Aws;
use crate::error::{Error, from_sdk};
use crate::message::{Attribute, AttributeValue, Counts, Outgoing, Received, per_entry};
use crate::redrive::Queues;

/// The SQS calls of [`Queues`], made with the SDK.
pub(crate) struct Sqs<'a> {
    pub aws: &'a Aws,
}

impl Sqs<'_> {
    fn failed<E>(&self, operation: &'static str, err: SdkError<E, HttpResponse>) -> Error
    where
        E: aws_sdk_sqs::error::ProvideErrorMetadata + std::error::Error + Send + Sync + 'static,
    {
        from_sdk(operation, &self.aws.service_endpoint("sqs"), err)
    }

    /// The queue's ARN.
    pub(crate) async fn arn(&self, url: &str) -> Result<String, Error> {
        let output = self
            .aws
            .sqs
            .get_queue_attributes()
            .queue_url(url)
            .attribute_names(QueueAttributeName::QueueArn)
            .send()
            .await
            .map_err(|err| self.failed("GetQueueAttributes", err))?;
        output.attributes().and_then(|a| a.get(&QueueAttributeName::QueueArn)).cloned().ok_or_else(|| Error::Aws {
            operation: "GetQueueAttributes",
            code: None,
            message: format!("SQS gave no `QueueArn` for `{url}`"),
            transient: false,
            source: None,
        })
    }
}

/// A required field was left out of a request: a bug here, reported as a failed call.
fn unbuilt(operation: &'static str, err: BuildError) -> Error {
    Error::Aws { operation, code: None, message: err.to_string(), transient: false, source: Some(Box::new(err)) }
}

fn seconds(duration: Duration) -> i32 {
    i32::try_from(duration.as_secs()).unwrap_or(i32::MAX)
}

fn received(message: &aws_sdk_sqs::types::Message) -> Received {
    let system = |name: MessageSystemAttributeName| message.attributes().and_then(|a| a.get(&name)).cloned();
    let attributes = message
        .message_attributes()
        .into_iter()
        .flatten()
        .map(|(name, value)| {
            let attribute = match value.binary_value() {
                Some(blob) => AttributeValue::Binary(blob.as_ref().to_vec()),
                None => AttributeValue::Text(value.string_value().unwrap_or_default().to_string()),
            };
            (name.clone(), Attribute { data_type: value.data_type().to_string(), value: attribute })
        })
        .collect();
    Received {
        message_id: message.message_id().unwrap_or_default().to_string(),
        receipt_handle: message.receipt_handle().unwrap_or_default().to_string(),
        body: message.body().unwrap_or_default().to_string(),
        attributes,
        group_id: system(MessageSystemAttributeName::MessageGroupId),
        deduplication_id: system(MessageSystemAttributeName::MessageDeduplicationId),
        receive_count: system(MessageSystemAttributeName::ApproximateReceiveCount)
            .and_then(|c| c.parse().ok())
            .unwrap_or_default(),
        sent_at: system(MessageSystemAttributeName::SentTimestamp)
            .and_then(|t| t.parse::<i64>().ok())
            .and_then(|millis| DateTime::from_millis(millis).fmt(DateTimeFormat::DateTime).ok()),
        dead_letter_source: system(MessageSystemAttributeName::DeadLetterQueueSourceArn),
        trace_header: system(MessageSystemAttributeName::AwsTraceHeader),
    }
}

fn attribute_value(attribute: &Attribute) -> Result<MessageAttributeValue, BuildError> {
    let builder = MessageAttributeValue::builder().data_type(&attribute.data_type);
    match &attribute.value {
        AttributeValue::Text(text) => builder.string_value(text),
        AttributeValue::Binary(bytes) => builder.binary_value(Blob::new(bytes.clone())),
    }
    .build()
}

fn entry(id: usize, message: &Outgoing) -> Result<SendMessageBatchRequestEntry, BuildError> {
    let mut entry = SendMessageBatchRequestEntry::builder()
        .id(id.to_string())
        .message_body(&message.body)
        .set_message_group_id(message.group_id.clone())
        .set_message_deduplication_id(message.deduplication_id.clone());
    for (name, attribute) in &message.attributes {
        entry = entry.message_attributes(name, attribute_value(attribute)?);
    }
    if let Some(trace) = &message.trace_header {
        let value = MessageSystemAttributeValue::builder().data_type("String").string_value(trace).build()?;
        entry = entry.message_system_attributes(MessageSystemAttributeNameForSends::AwsTraceHeader, value);
    }
    entry.build()
}

/// The reason SQS gave for refusing a batch entry, with the entry's ID.
fn refusal(failure: &BatchResultErrorEntry) -> (&str, String) {
    let reason = match failure.message() {
        Some(message) => format!("{}: {message}", failure.code()),
        None => failure.code().to_string(),
    };
    (failure.id(), reason)
}

impl Queues for Sqs<'_> {
    async fn receive(
        &self,
        url: &str,
        max: usize,
        visibility: Duration,
        wait: Duration,
    ) -> Result<Vec<Received>, Error> {
        let output = self
            .aws
            .sqs
            .receive_message()
            .queue_url(url)
            .max_number_of_messages(i32::try_from(max.clamp(1, 10)).unwrap_or(10))
            .visibility_timeout(seconds(visibility))
            .wait_time_seconds(seconds(wait))
            .message_system_attribute_names(MessageSystemAttributeName::All)
            .message_attribute_names("All")
            .send()
            .await
            .map_err(|err| self.failed("ReceiveMessage", err))?;
        Ok(output.messages().iter().map(received).collect())
    }

    async fn send(&self, url: &str, messages: &[Outgoing]) -> Result<Vec<Result<(), String>>, Error> {
        let entries = messages
            .iter()
            .enumerate()
            .map(|(i, message)| entry(i, message))
            .collect::<Result<Vec<_>, _>>()
            .map_err(|err| unbuilt("SendMessageBatch", err))?;
        let output = self
            .aws
            .sqs
            .send_message_batch()
            .queue_url(url)
            .set_entries(Some(entries))
            .send()
            .await
            .map_err(|err| self.failed("SendMessageBatch", err))?;
        Ok(per_entry(messages.len(), output.successful().iter().map(|e| e.id()), output.failed().iter().map(refusal)))
    }

    async fn delete(&self, url: &str, receipt_handles: &[String]) -> Result<Vec<Result<(), String>>, Error> {
        let entries = receipt_handles
            .iter()
            .enumerate()
            .map(|(i, handle)| {
                DeleteMessageBatchRequestEntry::builder().id(i.to_string()).receipt_handle(handle).build()
            })
            .collect::<Result<Vec<_>, _>>()
            .map_err(|err| unbuilt("DeleteMessageBatch", err))?;
        let output = self
            .aws
            .sqs
            .delete_message_batch()
            .queue_url(url)
            .set_entries(Some(entries))
            .send()
            .await
            .map_err(|err| self.failed("DeleteMessageBatch", err))?;
        Ok(per_entry(
            receipt_handles.len(),
            output.successful().iter().map(|e| e.id()),
            output.failed().iter().map(refusal),
        ))
    }

    async fn release(&self, url: &str, receipt_handles: &[String]) -> Result<Vec<Result<(), String>>, Error> {
        if receipt_handles.is_empty() {
            return Ok(Vec::new());
        }
        let entries = receipt_handles
            .iter()
            .enumerate()
            .map(|(i, handle)| {
                ChangeMessageVisibilityBatchRequestEntry::builder()
                    .id(i.to_string())
                    .receipt_handle(handle)
                    .visibility_timeout(0)
                    .build()
            })
            .collect::<Result<Vec<_>, _>>()
            .map_err(|err| unbuilt("ChangeMessageVisibilityBatch", err))?;
        let output = self
            .aws
            .sqs
            .change_message_visibility_batch()
            .queue_url(url)
            .set_entries(Some(entries))
            .send()
            .await
            .map_err(|err| self.failed("ChangeMessageVisibilityBatch", err))?;
        Ok(per_entry(
            receipt_handles.len(),
            output.successful().iter().map(|e| e.id()),
            output.failed().iter().map(refusal),
        ))
    }

    async fn counts(&self, url: &str) -> Result<Counts, Error> {
        let output = self
            .aws
            .sqs
            .get_queue_attributes()
            .queue_url(url)
            .attribute_names(QueueAttributeName::ApproximateNumberOfMessages)
            .attribute_names(QueueAttributeName::ApproximateNumberOfMessagesNotVisible)
            .attribute_names(QueueAttributeName::ApproximateNumberOfMessagesDelayed)
            .send()
            .await
            .map_err(|err| self.failed("GetQueueAttributes", err))?;
        let attributes: BTreeMap<&str, u64> = output
            .attributes()
            .into_iter()
            .flatten()
            .filter_map(|(name, value)| Some((name.as_str(), value.parse().ok()?)))
            .collect();
        let count = |name: QueueAttributeName| attributes.get(name.as_str()).copied().unwrap_or_default();
        Ok(Counts {
            visible: count(QueueAttributeName::ApproximateNumberOfMessages),
            in_flight: count(QueueAttributeName::ApproximateNumberOfMessagesNotVisible),
            delayed: count(QueueAttributeName::ApproximateNumberOfMessagesDelayed),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn refusals_carry_code_and_message() {
        let failed = BatchResultErrorEntry::builder()
            .id("1")
            .code("InvalidParameterValue")
            .message("Message too long")
            .sender_fault(true)
            .build()
            .unwrap();
        assert_eq!(refusal(&failed), ("1", "InvalidParameterValue: Message too long".to_string()));
    }
}
