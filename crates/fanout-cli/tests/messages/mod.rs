//! Messages in the end-to-end tests: publishing with attributes, finding a queue by name and
//! receiving what arrived.

// Each test target uses its own part of this module.
#![allow(dead_code)]
#![allow(clippy::panic, reason = "a failed call stops the test at the step that failed")]

use std::time::{Duration, Instant};

use aws_sdk_sns::types::MessageAttributeValue;

/// A string message attribute, as filter policies match them.
pub fn attribute(value: &str) -> MessageAttributeValue {
    MessageAttributeValue::builder()
        .data_type("String")
        .string_value(value)
        .build()
        .unwrap_or_else(|err| panic!("a string attribute: {err}"))
}

/// A `Number` message attribute of `value`.
pub fn number_attribute(value: &str) -> MessageAttributeValue {
    MessageAttributeValue::builder()
        .data_type("Number")
        .string_value(value)
        .build()
        .unwrap_or_else(|err| panic!("a number attribute: {err}"))
}

/// Receives from `queue_url` until `want` messages arrived or `timeout` passed, deleting
/// each; returns the bodies in arrival order.
pub async fn receive(sqs: &aws_sdk_sqs::Client, queue_url: &str, want: usize, timeout: Duration) -> Vec<String> {
    let deadline = Instant::now() + timeout;
    let mut bodies = Vec::new();
    while bodies.len() < want && Instant::now() < deadline {
        let output = sqs
            .receive_message()
            .queue_url(queue_url)
            .max_number_of_messages(10)
            .wait_time_seconds(1)
            .send()
            .await
            .unwrap_or_else(|err| panic!("ReceiveMessage {queue_url}: {err:?}"));
        for message in output.messages() {
            bodies.push(message.body().unwrap_or_default().to_string());
            let handle = message.receipt_handle().unwrap_or_else(|| panic!("a message without a receipt handle"));
            sqs.delete_message()
                .queue_url(queue_url)
                .receipt_handle(handle)
                .send()
                .await
                .unwrap_or_else(|err| panic!("DeleteMessage {queue_url}: {err:?}"));
        }
    }
    bodies
}

/// The URL of the queue named `name`.
pub async fn queue_url(sqs: &aws_sdk_sqs::Client, name: &str) -> String {
    let output = sqs.get_queue_url().queue_name(name).send().await.unwrap_or_else(|err| panic!("{name}: {err:?}"));
    output.queue_url().unwrap_or_else(|| panic!("{name}: no queue URL")).to_string()
}
