//! A topic's event schema, published through SSM beside its ARN so consumers in other repos
//! can fetch the contract by name: `{ssm_prefix}/{stage}/{domain}/topics/{topic}/schema`.

use super::Synth;
use crate::model::Topic;
use crate::name::{Name, TopicRef};
use crate::naming;
use crate::template::{Resource, json};

impl Synth<'_> {
    pub(super) fn schema_parameter(&mut self, name: &Name, topic: &Topic) {
        let Some(value) = topic.schema.as_ref().and_then(|schema| schema.to_compact_json()) else { return };
        self.resource(naming::logical_id::topic_schema_parameter(name), |s| {
            let topic_ref = TopicRef::new(s.domain.name.clone(), name.clone());
            let parameter = json!({
                "Name": naming::topic_schema_parameter(s.project.ssm_prefix(), s.stage, &topic_ref),
                "Type": "String",
                "Tier": "Standard",
                "Value": value,
                "Description": format!("JSON Schema of the events of topic {topic_ref}"),
                "Tags": s.parameter_tags(),
            });
            Resource::new("AWS::SSM::Parameter", parameter)
        });
    }
}
