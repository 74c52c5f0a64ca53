//! Every name fanout derives: physical AWS names, stack names, SSM names, logical IDs.
//!
//! These are the contract between domains and repos: a consumer finds a producer's topic by
//! the SSM name alone, so changing a rule here breaks deployed consumers.

use crate::diagnostic::FieldPath;
use crate::name::{Name, TopicRef};

const FIFO_SUFFIX: &str = ".fifo";

/// `{stage}-{domain}`.
pub fn stack_name(stage: &Name, domain: &Name) -> String {
    format!("{stage}-{domain}")
}

/// `{stage}-{domain}-{topic}`, with `.fifo` for a FIFO topic.
pub fn topic_name(stage: &Name, domain: &Name, topic: &Name, fifo: bool) -> String {
    with_fifo(format!("{stage}-{domain}-{topic}"), fifo)
}

/// `{stage}-{domain}-{queue}`, with `.fifo` for a FIFO queue.
pub fn queue_name(stage: &Name, domain: &Name, queue: &Name, fifo: bool) -> String {
    with_fifo(format!("{stage}-{domain}-{queue}"), fifo)
}

/// `{stage}-{domain}-{queue}-dlq`, with `.fifo` for a FIFO dead-letter queue.
pub fn dead_letter_queue_name(stage: &Name, domain: &Name, queue: &Name, fifo: bool) -> String {
    with_fifo(format!("{stage}-{domain}-{queue}-dlq"), fifo)
}

/// `{ssm_prefix}/{stage}/{domain}/topics/{topic}/arn`: where a topic's stack publishes its ARN.
pub fn topic_arn_parameter(ssm_prefix: &str, stage: &Name, topic: &TopicRef) -> String {
    format!("{ssm_prefix}/{stage}/{}/topics/{}/arn", topic.domain, topic.topic)
}

/// `{stage}-{domain}--alerts`: the domain's alert topic. The double hyphen, which names
/// cannot hold, keeps it apart from a topic named `alerts`.
pub fn alert_topic_name(stage: &Name, domain: &Name) -> String {
    format!("{stage}-{domain}--alerts")
}

/// `{stage}-{domain}--alerts-dlq`: the dead-letter queue of the alert topic's e-mail
/// subscriptions.
pub fn alert_dead_letter_queue_name(stage: &Name, domain: &Name) -> String {
    format!("{stage}-{domain}--alerts-dlq")
}

/// `{ssm_prefix}/{stage}/{domain}/topics/{topic}/schema`: where a topic's stack publishes
/// the JSON Schema of its events.
pub fn topic_schema_parameter(ssm_prefix: &str, stage: &Name, topic: &TopicRef) -> String {
    format!("{ssm_prefix}/{stage}/{}/topics/{}/schema", topic.domain, topic.topic)
}

/// The most levels a parameter name of fanout has below the SSM prefix: a consumer's
/// registration, `{stage}/{producer}/topics/{topic}/subscribers/{consumer}`.
pub const SSM_LEVELS_BELOW_PREFIX: usize = 6;

/// `{ssm_prefix}/{stage}/{domain}/topics/{topic}/contract`: where a topic's stack publishes
/// what its consumers depend on (`fanout::contract::published::TopicContract`, as JSON).
pub fn topic_contract_parameter(ssm_prefix: &str, stage: &Name, topic: &TopicRef) -> String {
    format!("{ssm_prefix}/{stage}/{}/topics/{}/contract", topic.domain, topic.topic)
}

/// `{ssm_prefix}/{stage}/{domain}/topics/{topic}/subscribers`: the path under which every
/// consumer domain of a topic registers, in any repo.
pub fn topic_subscribers_path(ssm_prefix: &str, stage: &Name, topic: &TopicRef) -> String {
    format!("{ssm_prefix}/{stage}/{}/topics/{}/subscribers", topic.domain, topic.topic)
}

/// `{ssm_prefix}/{stage}/{producer}/topics/{topic}/subscribers/{consumer}`: where a consumer
/// domain's stack registers its queues subscribed to a topic
/// (`fanout::contract::published::SubscriberRecord`, as JSON).
pub fn topic_subscriber_parameter(ssm_prefix: &str, stage: &Name, topic: &TopicRef, consumer: &Name) -> String {
    format!("{}/{consumer}", topic_subscribers_path(ssm_prefix, stage, topic))
}

/// `{ssm_prefix}/{stage}`: the path under which every parameter fanout publishes for a stage
/// lives, across all repos.
pub fn stage_parameters_path(ssm_prefix: &str, stage: &Name) -> String {
    format!("{ssm_prefix}/{stage}")
}

/// `{ssm_prefix}/{stage}/{domain}/topics/{topic}/url`: where a topic's stack publishes the
/// URL of its publish endpoint.
pub fn topic_url_parameter(ssm_prefix: &str, stage: &Name, topic: &TopicRef) -> String {
    format!("{ssm_prefix}/{stage}/{}/topics/{}/url", topic.domain, topic.topic)
}

/// `{stage}-{domain}`: the domain's REST API of publish and poll endpoints.
pub fn api_name(stage: &Name, domain: &Name) -> String {
    format!("{stage}-{domain}")
}

/// `/aws/apigateway/{stage}-{domain}`: the access log group of the domain's REST API.
pub fn api_log_group(stage: &Name, domain: &Name) -> String {
    format!("/aws/apigateway/{stage}-{domain}")
}

/// `alias/fanout/{stage}/{domain}`: the alias of a domain's KMS key.
pub fn key_alias(stage: &Name, domain: &Name) -> String {
    format!("alias/fanout/{stage}/{domain}")
}

/// A kind of AWS name: names of one kind are unique in an account and Region.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Namespace {
    /// CloudFormation stack names.
    Stack,
    /// SQS queue names.
    Queue,
    /// SNS topic names.
    Topic,
    /// API Gateway REST API names (not unique by AWS's rule, but by fanout's: a console or a
    /// script that finds an API by name must find one).
    RestApi,
    /// CloudWatch Logs log group names.
    LogGroup,
    /// SSM parameter names.
    SsmParameter,
    /// KMS alias names.
    KeyAlias,
}

impl Namespace {
    /// The kind of name, for messages: `queue name`.
    pub fn describe(self) -> &'static str {
        match self {
            Self::Stack => "stack name",
            Self::Queue => "queue name",
            Self::Topic => "topic name",
            Self::RestApi => "REST API name",
            Self::LogGroup => "log group name",
            Self::SsmParameter => "SSM parameter name",
            Self::KeyAlias => "KMS alias",
        }
    }
}

/// One physical name fanout gives a resource: its kind, the name, what it names and the
/// manifest field it comes from.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PhysicalName {
    /// The kind of name.
    pub namespace: Namespace,
    /// The name.
    pub name: String,
    /// What it names: ``the dead-letter queue of queue `inbox` ``.
    pub what: String,
    /// The manifest field it derives from.
    pub path: FieldPath,
}

fn with_fifo(mut name: String, fifo: bool) -> String {
    if fifo {
        name.push_str(FIFO_SUFFIX);
    }
    name
}

/// CloudFormation logical IDs, derived from names so they stay stable when unrelated
/// resources are added or removed.
pub mod logical_id {
    use super::{Name, TopicRef};

    /// The domain's KMS key.
    pub const KEY: &str = "Key";
    /// The alias of the domain's KMS key.
    pub const KEY_ALIAS: &str = "KeyAlias";

    /// The domain's alert topic.
    pub const ALERT_TOPIC: &str = "FanoutAlertTopic";
    /// The alert topic's policy.
    pub const ALERT_TOPIC_POLICY: &str = "FanoutAlertTopicPolicy";
    /// The dead-letter queue of the alert topic's e-mail subscriptions.
    pub const ALERT_DEAD_LETTER_QUEUE: &str = "FanoutAlertDeadLetterQueue";
    /// The policy of the alert dead-letter queue, which lets the alert topic deliver.
    pub const ALERT_DEAD_LETTER_QUEUE_POLICY: &str = "FanoutAlertDeadLetterQueuePolicy";
    /// The alarm on the alert dead-letter queue.
    pub const ALERT_DEAD_LETTER_ALARM: &str = "FanoutAlertDeadLetterAlarm";

    /// The email subscription of `email` to the alert topic: named by a hash of the address,
    /// so reordering the list replaces nothing.
    pub fn alert_email_subscription(email: &str) -> String {
        format!("FanoutAlertEmail{:016X}Subscription", stable_hash(email))
    }

    /// FNV-1a: stable across Rust versions and platforms, unlike `DefaultHasher`.
    pub(crate) fn stable_hash(text: &str) -> u64 {
        text.bytes()
            .fold(0xcbf2_9ce4_8422_2325_u64, |hash, byte| (hash ^ u64::from(byte)).wrapping_mul(0x0100_0000_01b3))
    }

    /// The alarm on a queue's dead-letter queue.
    pub fn dead_letter_alarm(queue: &Name) -> String {
        format!("{}DeadLetterAlarm", queue.pascal_case())
    }

    /// The alarm on a queue's FIFO dead-letter queue.
    pub fn fifo_dead_letter_alarm(queue: &Name) -> String {
        format!("{}FifoDeadLetterAlarm", queue.pascal_case())
    }

    /// The alarm on the age of a queue's oldest message.
    pub fn oldest_message_alarm(queue: &Name) -> String {
        format!("{}OldestMessageAlarm", queue.pascal_case())
    }

    /// The alarm on a topic's failed notifications.
    pub fn failed_notifications_alarm(topic: &Name) -> String {
        format!("{}FailedNotificationsAlarm", topic.pascal_case())
    }

    /// A topic: `ScoresPublishedTopic`.
    pub fn topic(topic: &Name) -> String {
        format!("{}Topic", topic.pascal_case())
    }

    /// A topic's policy.
    pub fn topic_policy(topic: &Name) -> String {
        format!("{}TopicPolicy", topic.pascal_case())
    }

    /// The SSM parameter that publishes a topic's ARN.
    pub fn topic_arn_parameter(topic: &Name) -> String {
        format!("{}TopicArnParameter", topic.pascal_case())
    }

    /// The SSM parameter that publishes a topic's event schema.
    pub fn topic_schema_parameter(topic: &Name) -> String {
        format!("{}TopicSchemaParameter", topic.pascal_case())
    }

    /// The SSM parameter that publishes a topic's contract.
    pub fn topic_contract_parameter(topic: &Name) -> String {
        format!("{}TopicContractParameter", topic.pascal_case())
    }

    /// The SSM parameter that registers the domain's queues subscribed to `topic`, of any
    /// domain, with its producer.
    pub fn topic_subscriber_parameter(topic: &TopicRef) -> String {
        format!("{}{}TopicSubscriberParameter", topic.domain.pascal_case(), topic.topic.pascal_case())
    }

    /// The domain's REST API of publish and poll endpoints.
    pub const API: &str = "HttpApi";
    /// The `/topics` resource of the REST API.
    pub const API_TOPICS: &str = "HttpApiTopicsResource";
    /// The `/queues` resource of the REST API.
    pub const API_QUEUES: &str = "HttpApiQueuesResource";
    /// The stage of the REST API.
    pub const API_STAGE: &str = "HttpApiStage";
    /// The access log group of the REST API's stage.
    pub const API_LOG_GROUP: &str = "HttpApiLogGroup";
    /// The request validator every method uses: required headers and query parameters, and
    /// the body against the method's model.
    pub const API_VALIDATOR: &str = "HttpApiRequestValidator";
    /// The association of the REST API's stage with a WAFv2 web ACL.
    pub const API_WEB_ACL_ASSOCIATION: &str = "HttpApiWebAclAssociation";

    /// The deployment of the REST API; `hash` is of the API's definition, so a changed API
    /// gets a new deployment (CloudFormation never redeploys a deployment in place).
    pub fn api_deployment(hash: u64) -> String {
        format!("HttpApiDeployment{hash:016X}")
    }

    /// The `/topics/{topic}` resource of a topic's publish endpoint.
    pub fn topic_publish_resource(topic: &Name) -> String {
        format!("{}TopicPublishResource", topic.pascal_case())
    }

    /// The `POST` method of a topic's publish endpoint.
    pub fn topic_publish_method(topic: &Name) -> String {
        format!("{}TopicPublishMethod", topic.pascal_case())
    }

    /// The role API Gateway publishes to a topic with.
    pub fn topic_publish_role(topic: &Name) -> String {
        format!("{}TopicPublishRole", topic.pascal_case())
    }

    /// The body model (the event schema) of a topic's publish endpoint.
    pub fn topic_publish_model(topic: &Name) -> String {
        format!("{}TopicPublishModel", topic.pascal_case())
    }

    /// The SSM parameter that publishes the URL of a topic's publish endpoint.
    pub fn topic_url_parameter(topic: &Name) -> String {
        format!("{}TopicUrlParameter", topic.pascal_case())
    }

    /// The `/queues/{queue}` resource of a queue's poll endpoints.
    pub fn queue_http_resource(queue: &Name) -> String {
        format!("{}QueueHttpResource", queue.pascal_case())
    }

    /// The `/queues/{queue}/messages` resource of a queue's poll endpoints.
    pub fn queue_messages_resource(queue: &Name) -> String {
        format!("{}QueueMessagesResource", queue.pascal_case())
    }

    /// The `GET` (receive) method of a queue's poll endpoints.
    pub fn queue_receive_method(queue: &Name) -> String {
        format!("{}QueueReceiveMethod", queue.pascal_case())
    }

    /// The `DELETE` method of a queue's poll endpoints.
    pub fn queue_delete_method(queue: &Name) -> String {
        format!("{}QueueDeleteMethod", queue.pascal_case())
    }

    /// The role API Gateway receives from and deletes in a queue with.
    pub fn queue_poll_role(queue: &Name) -> String {
        format!("{}QueuePollRole", queue.pascal_case())
    }

    /// A queue: `ScoringRunsQueue`.
    pub fn queue(queue: &Name) -> String {
        format!("{}Queue", queue.pascal_case())
    }

    /// A queue's dead-letter queue.
    pub fn dead_letter_queue(queue: &Name) -> String {
        format!("{}DeadLetterQueue", queue.pascal_case())
    }

    /// The FIFO dead-letter queue SNS needs when a standard queue subscribes to a FIFO topic.
    pub fn fifo_dead_letter_queue(queue: &Name) -> String {
        format!("{}FifoDeadLetterQueue", queue.pascal_case())
    }

    /// A queue's policy, which lets the subscribed topics deliver.
    pub fn queue_policy(queue: &Name) -> String {
        format!("{}QueuePolicy", queue.pascal_case())
    }

    /// The subscription of `queue` to `topic`.
    pub fn subscription(queue: &Name, topic: &TopicRef) -> String {
        format!("{}To{}{}Subscription", queue.pascal_case(), topic.domain.pascal_case(), topic.topic.pascal_case())
    }

    /// The template parameter through which a topic of another domain is read from SSM.
    pub fn topic_arn_lookup(topic: &TopicRef) -> String {
        format!("{}{}TopicArn", topic.domain.pascal_case(), topic.topic.pascal_case())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn name(text: &str) -> Name {
        Name::new(text).unwrap()
    }

    #[test]
    fn physical_names_follow_the_contract() {
        let (stage, domain) = (name("dev"), name("scoring"));
        assert_eq!(stack_name(&stage, &domain), "dev-scoring");
        assert_eq!(topic_name(&stage, &domain, &name("scores"), true), "dev-scoring-scores.fifo");
        assert_eq!(queue_name(&stage, &domain, &name("runs"), false), "dev-scoring-runs");
        assert_eq!(dead_letter_queue_name(&stage, &domain, &name("runs"), true), "dev-scoring-runs-dlq.fifo");
        let topic = TopicRef::new(name("ingestion"), name("ready"));
        assert_eq!(topic_arn_parameter("/fanout", &stage, &topic), "/fanout/dev/ingestion/topics/ready/arn");
    }
}
