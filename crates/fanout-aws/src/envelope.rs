//! The SNS envelope, and what a queue's subscriptions deliver.
//!
//! SNS delivers to a queue either the message as published, with its message attributes as
//! SQS message attributes (raw message delivery), or a JSON envelope holding the message,
//! the topic and the attributes. What it cannot deliver it puts into the subscription's
//! dead-letter queue in the same form, raw or enveloped as the subscription was configured
//! then; what the consumer failed to process SQS moves there as it was received.
//!
//! A dead letter therefore has the form of the day it failed. When the fix was to change
//! the subscription (the most common one: a consumer that cannot read envelopes gets raw
//! message delivery), the dead letters must be converted before they go back, or the
//! consumer fails on them again. That conversion is decided here.

use std::collections::BTreeMap;

use base64::Engine as _;
use serde_json::Value;

use crate::message::{Attribute, AttributeValue};

/// How one of the queue's subscriptions delivers: from which topic, raw or enveloped.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct SubscriptionDelivery {
    /// The subscribed topic.
    pub topic_arn: String,
    /// Raw message delivery: the message as published, without the envelope.
    pub raw: bool,
}

/// The topic ARN within subscription ARN `arn`, which is the topic's ARN followed by
/// `:` and the subscription's ID.
pub(crate) fn topic_of_subscription(arn: &str) -> &str {
    arn.rsplit_once(':').map_or(arn, |(topic, _)| topic)
}

/// An SNS notification envelope, as SNS writes it into a queue.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Envelope {
    pub topic_arn: String,
    /// The message as published.
    pub message: String,
    /// The message attributes as published.
    pub attributes: BTreeMap<String, Attribute>,
}

/// The envelope `body` is, or `None` when it is not one (a raw message, or anything else a
/// queue can hold). An envelope is a JSON object with `"Type": "Notification"`, a
/// `MessageId`, a `TopicArn` and a `Message`; its `MessageAttributes` map names to
/// `{"Type", "Value"}`, binary values in base64.
pub(crate) fn parse(body: &str) -> Option<Envelope> {
    // Cheap test first: most raw messages are not envelopes, and bodies can be large.
    if !body.trim_start().starts_with('{') || !body.contains("\"Notification\"") {
        return None;
    }
    let Value::Object(object) = serde_json::from_str::<Value>(body).ok()? else { return None };
    let text = |key: &str| object.get(key).and_then(Value::as_str);
    if text("Type") != Some("Notification") || text("MessageId").is_none() {
        return None;
    }
    let mut attributes = BTreeMap::new();
    if let Some(declared) = object.get("MessageAttributes") {
        for (name, attribute) in declared.as_object()? {
            let data_type = attribute.get("Type")?.as_str()?.to_string();
            let value = attribute.get("Value")?.as_str()?;
            let value = if data_type == "Binary" || data_type.starts_with("Binary.") {
                AttributeValue::Binary(base64::engine::general_purpose::STANDARD.decode(value).ok()?)
            } else {
                AttributeValue::Text(value.to_string())
            };
            attributes.insert(name.clone(), Attribute { data_type, value });
        }
    }
    Some(Envelope { topic_arn: text("TopicArn")?.to_string(), message: text("Message")?.to_string(), attributes })
}

/// What became of a dead letter on its way back.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Conversion {
    /// Sent as it was: its form is what its subscription delivers, or it came from no
    /// subscription fanout knows of.
    Unchanged,
    /// An envelope from a topic whose subscription now has raw message delivery: sent as the
    /// message it holds, with its attributes as message attributes.
    Unwrapped,
}

/// The body and attributes that the queue's `subscriptions` deliver for a dead letter with
/// `body` and `attributes`.
///
/// An envelope whose topic the queue subscribes to with raw message delivery is unwrapped;
/// everything else goes back as it is: an envelope for an enveloped subscription, a raw
/// message (SNS never wrote it from an envelope, and fanout cannot sign a new one), and a
/// message from a topic the queue no longer subscribes to (it belongs to this queue, and
/// what it would be delivered as is no longer defined).
pub(crate) fn as_delivered(
    body: &str,
    attributes: &BTreeMap<String, Attribute>,
    subscriptions: &[SubscriptionDelivery],
) -> (String, BTreeMap<String, Attribute>, Conversion) {
    let unchanged = || (body.to_string(), attributes.clone(), Conversion::Unchanged);
    let Some(envelope) = parse(body) else { return unchanged() };
    let raw = subscriptions.iter().any(|s| s.topic_arn == envelope.topic_arn && s.raw);
    if !raw {
        return unchanged();
    }
    // Attributes SQS holds beside an envelope were not set by SNS; keep them, the
    // envelope's own win on a clash.
    let mut delivered = attributes.clone();
    delivered.extend(envelope.attributes);
    (envelope.message, delivered, Conversion::Unwrapped)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_subscription_arn_names_its_topic() {
        let arn = format!("{TOPIC}:0f6a9c4e-7a0b-4a55-8f51-5d1f5b2f3c11");
        assert_eq!(topic_of_subscription(&arn), TOPIC);
    }

    const TOPIC: &str = "arn:aws:sns:us-east-1:123456789012:dev-shop-orders.fifo";

    /// An envelope as SNS writes it (the fields AWS's own recorded responses show).
    fn envelope(message: &str) -> String {
        serde_json::json!({
            "Type": "Notification",
            "MessageId": "2d1f2a4c-5b7e-4c39-9f0e-9a6f3d3c1b11",
            "TopicArn": TOPIC,
            "Message": message,
            "Timestamp": "2026-11-30T02:44:00.000Z",
            "SignatureVersion": "1",
            "Signature": "c2lnbmF0dXJl",
            "SigningCertURL": "https://sns.us-east-1.amazonaws.com/SimpleNotificationService-0.pem",
            "UnsubscribeURL": "https://sns.us-east-1.amazonaws.com/?Action=Unsubscribe",
            "MessageAttributes": {
                "event_type": { "Type": "String", "Value": "OrderPlaced" },
                "amount": { "Type": "Number", "Value": "42" },
                "blob": { "Type": "Binary", "Value": "AgME" },
            },
        })
        .to_string()
    }

    fn subscription(raw: bool) -> SubscriptionDelivery {
        SubscriptionDelivery { topic_arn: TOPIC.to_string(), raw }
    }

    #[test]
    fn an_envelope_is_unwrapped_for_a_raw_subscription() {
        let body = envelope(r#"{"order":"o-1"}"#);
        let (delivered, attributes, conversion) = as_delivered(&body, &BTreeMap::new(), &[subscription(true)]);
        assert_eq!(conversion, Conversion::Unwrapped);
        assert_eq!(delivered, r#"{"order":"o-1"}"#);
        assert_eq!(attributes["event_type"], Attribute::string("OrderPlaced"));
        assert_eq!(
            attributes["amount"],
            Attribute { data_type: "Number".into(), value: AttributeValue::Text("42".into()) }
        );
        assert_eq!(
            attributes["blob"],
            Attribute { data_type: "Binary".into(), value: AttributeValue::Binary(vec![2, 3, 4]) }
        );
    }

    #[test]
    fn an_envelope_stays_one_for_an_enveloped_subscription() {
        let body = envelope("hello");
        let (delivered, attributes, conversion) = as_delivered(&body, &BTreeMap::new(), &[subscription(false)]);
        assert_eq!((delivered.as_str(), conversion), (body.as_str(), Conversion::Unchanged));
        assert!(attributes.is_empty());
    }

    #[test]
    fn a_raw_message_goes_back_as_it_is() {
        let mut attributes = BTreeMap::new();
        attributes.insert("event_type".to_string(), Attribute::string("OrderPlaced"));
        for subscriptions in [vec![subscription(true)], vec![subscription(false)], vec![]] {
            let (delivered, kept, conversion) = as_delivered(r#"{"order":"o-1"}"#, &attributes, &subscriptions);
            assert_eq!((delivered.as_str(), conversion), (r#"{"order":"o-1"}"#, Conversion::Unchanged));
            assert_eq!(kept, attributes);
        }
    }

    #[test]
    fn an_envelope_from_a_topic_not_subscribed_goes_back_as_it_is() {
        let other = SubscriptionDelivery { topic_arn: "arn:aws:sns:us-east-1:123456789012:other".into(), raw: true };
        let body = envelope("hello");
        assert_eq!(as_delivered(&body, &BTreeMap::new(), &[other]).2, Conversion::Unchanged);
    }

    #[test]
    fn lookalikes_are_not_envelopes() {
        for body in [
            r#"{"Type":"Notification","TopicArn":"t","Message":"m"}"#,
            r#"{"Type":"Order","MessageId":"1","TopicArn":"t","Message":"m"}"#,
            r#"{"Type":"Notification","MessageId":"1","TopicArn":"t","Message":{"nested":true}}"#,
            r#"{"Type":"Notification","MessageId":"1","TopicArn":"t","Message":"m","MessageAttributes":{"b":{"Type":"Binary","Value":"not base64!"}}}"#,
            r#"["Notification"]"#,
            "Notification",
            "",
        ] {
            assert_eq!(parse(body), None, "{body}");
        }
    }

    #[test]
    fn an_envelope_without_attributes_parses() {
        let body = r#"{"Type":"Notification","MessageId":"1","TopicArn":"t","Message":"m"}"#;
        assert_eq!(
            parse(body),
            Some(Envelope { topic_arn: "t".into(), message: "m".into(), attributes: BTreeMap::new() })
        );
    }
}
