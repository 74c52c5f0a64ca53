//! What crosses repos through SSM besides a topic's ARN: a topic's event schema and its
//! contract (`{ssm_prefix}/{stage}/{domain}/topics/{topic}/schema`, `.../contract`),
//! published by the producer's stack, and each consumer domain's registration on the topics
//! it subscribes to (`.../subscribers/{consumer}`), published by the consumer's stack.

use super::Synth;
use crate::contract::published::{SubscriberRecord, TopicContract};
use crate::model::Topic;
use crate::name::{Name, TopicRef};
use crate::naming;
use crate::template::{Resource, json};

impl Synth<'_> {
    pub(super) fn schema_parameter(&mut self, name: &Name, topic: &Topic) {
        let Some(value) = topic.schema.as_ref().and_then(|schema| schema.to_compact_json()) else { return };
        self.resource(naming::logical_id::topic_schema_parameter(name), |s| {
            let topic_ref = TopicRef::new(s.domain.name.clone(), name.clone());
            let ssm_name = naming::topic_schema_parameter(s.project.ssm_prefix(), s.stage, &topic_ref);
            s.string_parameter(ssm_name, value, format!("JSON Schema of the events of topic {topic_ref}"))
        });
    }

    /// The topic's contract: its kind, attributes and schema digest, for consumers in any repo.
    pub(super) fn contract_parameter(&mut self, name: &Name, topic: &Topic) {
        self.resource(naming::logical_id::topic_contract_parameter(name), |s| {
            let topic_ref = TopicRef::new(s.domain.name.clone(), name.clone());
            let ssm_name = naming::topic_contract_parameter(s.project.ssm_prefix(), s.stage, &topic_ref);
            let description = format!("Contract of topic {topic_ref}: kind, message attributes, schema digest");
            s.string_parameter(ssm_name, TopicContract::of(topic).to_json(), description)
        });
    }

    /// The domain's registration on every topic its queues subscribe to, in this repo or not,
    /// so each producer can see its consumers.
    pub(super) fn subscriber_parameters(&mut self) {
        let mut topics: Vec<&TopicRef> =
            self.domain.queues.values().flat_map(|queue| queue.subscriptions.iter().map(|s| &s.topic)).collect();
        topics.sort();
        topics.dedup();
        for topic in topics {
            self.resource(naming::logical_id::topic_subscriber_parameter(topic), |s| {
                let record = SubscriberRecord::of(s.domain, topic).map(|record| record.to_json()).unwrap_or_default();
                let ssm_name =
                    naming::topic_subscriber_parameter(s.project.ssm_prefix(), s.stage, topic, &s.domain.name);
                let description =
                    format!("Queues of domain {} subscribed to topic {topic}, for its producer", s.domain.name);
                s.string_parameter(ssm_name, record, description)
            });
        }
    }

    /// A standard-tier `String` parameter with the domain's tags.
    fn string_parameter(&self, name: String, value: String, description: String) -> Resource {
        let parameter = json!({
            "Name": name,
            "Type": "String",
            "Tier": "Standard",
            "Value": value,
            "Description": description,
            "Tags": self.parameter_tags(),
        });
        Resource::new("AWS::SSM::Parameter", parameter)
    }
}
