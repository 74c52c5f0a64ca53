//! Synthesis: one domain, one stage → one CloudFormation template.
//!
//! Secure by default: a customer-managed key SNS may use only for the topics involved,
//! TLS-only topic and queue policies, queue policies scoped to the subscribed topics, a
//! dead-letter queue per queue that also catches what SNS cannot deliver, and `Retain` on
//! everything that holds messages.

use std::collections::BTreeMap;

use serde_json::Value;

use crate::compliance::{self, Justification};
use crate::model::{DeadLetter, Domain, Encryption, Queue, QueueKind, Subscription, TopicKind};
use crate::name::{Name, TopicRef};
use crate::naming::{self, logical_id};
use crate::template::{Output, Parameter, Resource, Template, get_att, json, reference, sub};

mod alerts;
mod contract;
mod http;

pub(crate) use http::has_api;

pub use http::{DEDUPLICATION_HEADER, GROUP_HEADER};

const POLICY_VERSION: &str = "2012-10-17";
const SNS_SERVICE: &str = "sns.amazonaws.com";

/// What synthesis needs to know beyond the domain itself: the repo's SSM prefix and the
/// kinds of the other domains' topics. A [`Project`](crate::Project) knows both.
pub trait Context {
    /// The prefix of every SSM parameter name, like `/fanout`.
    fn ssm_prefix(&self) -> &str;

    /// The kind of `topic` when its domain is known, or `None` when it is found through SSM
    /// at deploy time.
    fn topic_kind(&self, topic: &TopicRef) -> Option<TopicKind>;
}

/// A topic of another domain that a template reads from SSM at deploy time.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub struct TopicLookup {
    /// The topic looked up.
    pub topic: TopicRef,
    /// The template parameter that receives the ARN.
    pub parameter: String,
    /// The SSM parameter name the ARN is read from.
    pub ssm_name: String,
    /// Whether a FIFO queue subscribes to it, so the topic must be FIFO.
    pub requires_fifo: bool,
    /// Whether a standard queue with a standard dead-letter queue subscribes to it, so the
    /// topic must be standard (SNS wants a FIFO dead-letter queue for FIFO topics).
    pub requires_standard: bool,
}

/// The topics of other domains `domain` subscribes to, read from SSM at deploy.
pub fn topic_lookups(project: &dyn Context, domain: &Domain, stage: &Name) -> Vec<TopicLookup> {
    let mut lookups: BTreeMap<TopicRef, TopicLookup> = BTreeMap::new();
    for queue in domain.queues.values() {
        for subscription in &queue.subscriptions {
            if subscription.topic.domain == domain.name {
                continue;
            }
            let lookup = lookups.entry(subscription.topic.clone()).or_insert_with(|| TopicLookup {
                topic: subscription.topic.clone(),
                parameter: logical_id::topic_arn_lookup(&subscription.topic),
                ssm_name: naming::topic_arn_parameter(project.ssm_prefix(), stage, &subscription.topic),
                requires_fifo: false,
                requires_standard: false,
            });
            let known_kind = project.topic_kind(&subscription.topic);
            lookup.requires_fifo |= queue.kind.is_fifo();
            lookup.requires_standard |= !queue.kind.is_fifo() && queue.dead_letter.is_some() && known_kind.is_none();
        }
    }
    lookups.into_values().collect()
}

/// Synthesizes `domain`'s template for `stage`.
///
/// The project gives the settings (the SSM prefix) and the other domains, whose topics'
/// kinds decide some resources. Check the project first
/// ([`Project::validate`](crate::Project::validate)): synthesis itself never fails, but only a
/// valid project gives a template AWS accepts. [`Project::template`](crate::Project::template)
/// does the lookups by name.
///
/// ```
/// use fanout::build::{DomainBuilder, TopicBuilder};
/// use fanout::{Name, Project, Settings};
///
/// let domain = DomainBuilder::new("billing").topic(TopicBuilder::standard("invoices-issued")).build()?;
/// let project = Project::new(Settings::default());
/// let template = fanout::synth(&project, &domain, &Name::new("dev")?);
/// assert!(template.to_json().contains("dev-billing-invoices-issued"));
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub fn synth(project: &dyn Context, domain: &Domain, stage: &Name) -> Template {
    let mut synth = Synth::new(project, domain, stage, Detail::Full);
    synth.run();
    synth.template
}

/// The outline of `domain`'s template for `stage`: every parameter, resource and output it
/// has, under the logical ID [`synth`] gives it, but resources and outputs without contents;
/// and the logical IDs that two resources were given.
///
/// It runs the same code as [`synth`], so validation counts and compares exactly what
/// synthesis produces, at a fraction of the cost: building the contents is most of it.
pub(crate) fn outline(project: &dyn Context, domain: &Domain, stage: &Name) -> (Template, Vec<Collision>) {
    let mut synth = Synth::new(project, domain, stage, Detail::Outline);
    synth.run();
    (synth.template, synth.collisions)
}

/// How much of the template a synthesis builds.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Detail {
    /// Everything: the template to render.
    Full,
    /// Logical IDs only: resources and outputs get empty contents, which are never built.
    Outline,
}

struct Synth<'a> {
    project: &'a dyn Context,
    domain: &'a Domain,
    stage: &'a Name,
    detail: Detail,
    template: Template,
    tags: Vec<Value>,
    /// Logical IDs given to more than one resource.
    collisions: Vec<Collision>,
    /// What the resources being added belong to (``queue `inbox` ``), for collisions.
    owner: String,
    /// What each logical ID's resource belongs to.
    owners: BTreeMap<String, String>,
}

/// A logical ID given to two resources, with what each belongs to (``queue `inbox` ``).
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Collision {
    /// The logical ID.
    pub logical_id: String,
    /// What the first resource with it belongs to.
    pub first: String,
    /// What the second belongs to.
    pub second: String,
}

impl<'a> Synth<'a> {
    fn new(project: &'a dyn Context, domain: &'a Domain, stage: &'a Name, detail: Detail) -> Self {
        let mut tags: BTreeMap<&str, &str> = domain.tags.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
        tags.insert("domain", domain.name.as_str());
        tags.insert("stage", stage.as_str());
        if let Some(owner) = &domain.owner {
            tags.insert("owner", owner);
        }
        let tags = tags.into_iter().map(|(key, value)| json!({ "Key": key, "Value": value })).collect();
        Self {
            project,
            domain,
            stage,
            detail,
            template: Template {
                format_version: "2010-09-09",
                description: Some(
                    domain.description.clone().unwrap_or_else(|| format!("fanout domain {}", domain.name)),
                ),
                ..Template::default()
            },
            tags,
            collisions: Vec::new(),
            owner: "the domain".to_string(),
            owners: BTreeMap::new(),
        }
    }

    fn run(&mut self) {
        for lookup in topic_lookups(self.project, self.domain, self.stage) {
            self.template.parameters.insert(
                lookup.parameter,
                Parameter {
                    kind: "AWS::SSM::Parameter::Value<String>".to_string(),
                    default: Some(lookup.ssm_name),
                    description: Some(format!(
                        "ARN of topic {}, read from SSM Parameter Store at deploy",
                        lookup.topic
                    )),
                },
            );
        }
        if self.domain.encryption == Encryption::CustomerKey {
            self.key();
        }
        for (name, topic) in &self.domain.topics {
            self.owner = format!("topic `{name}`");
            self.topic(name, topic.kind, topic.description.as_deref());
            self.schema_parameter(name, topic);
            self.contract_parameter(name, topic);
        }
        for (name, queue) in &self.domain.queues {
            self.owner = format!("queue `{name}`");
            self.queue(name, queue);
        }
        self.owner = "the registrations on subscribed topics".to_string();
        self.subscriber_parameters();
        self.owner = "the alerts".to_string();
        self.alerts();
        self.owner = "the REST API".to_string();
        self.http_api();
    }

    /// Adds the resource `build` makes, or in an outline an empty one.
    fn resource(&mut self, logical_id: String, build: impl FnOnce(&Self) -> Resource) {
        let resource = match self.detail {
            Detail::Full => build(self),
            Detail::Outline => Resource::new("", Value::Null),
        };
        if self.template.resources.insert(logical_id.clone(), resource).is_some() {
            let first = self.owners.get(&logical_id).cloned().unwrap_or_default();
            self.collisions.push(Collision { logical_id, first, second: self.owner.clone() });
        } else {
            self.owners.insert(logical_id, self.owner.clone());
        }
    }

    /// Adds the output `build` makes (description and value), or in an outline an empty one.
    fn output(&mut self, logical_id: String, build: impl FnOnce() -> (String, Value)) {
        let (description, value) = match self.detail {
            Detail::Full => build(),
            Detail::Outline => (String::new(), Value::Null),
        };
        self.template.outputs.insert(logical_id, Output { description, value });
    }

    /// The ARN of a topic, as the template can name it without creating a cycle: own topics
    /// by their known name (a key policy that `Ref`s a topic using the key is a cycle), other
    /// domains' topics through their SSM lookup parameter.
    fn topic_arn(&self, topic: &TopicRef) -> Value {
        if topic.domain == self.domain.name {
            let fifo = self.domain.topics.get(&topic.topic).is_some_and(|t| t.kind.is_fifo());
            let name = naming::topic_name(self.stage, &self.domain.name, &topic.topic, fifo);
            sub(&format!("arn:${{AWS::Partition}}:sns:${{AWS::Region}}:${{AWS::AccountId}}:{name}"))
        } else {
            reference(&logical_id::topic_arn_lookup(topic))
        }
    }

    /// Every topic SNS may use the domain key for: the domain's own and the subscribed ones.
    fn key_source_arns(&self) -> Vec<Value> {
        let mut topics: Vec<TopicRef> =
            self.domain.topics.keys().map(|topic| TopicRef::new(self.domain.name.clone(), topic.clone())).collect();
        for queue in self.domain.queues.values() {
            topics.extend(queue.subscriptions.iter().map(|s| s.topic.clone()));
        }
        topics.sort();
        topics.dedup();
        topics.iter().map(|topic| self.topic_arn(topic)).collect()
    }

    fn key(&mut self) {
        self.resource(logical_id::KEY.to_string(), Self::key_resource);
        let alias = |s: &Self| {
            Resource::new(
                "AWS::KMS::Alias",
                json!({
                    "AliasName": naming::key_alias(s.stage, &s.domain.name),
                    "TargetKeyId": reference(logical_id::KEY),
                }),
            )
        };
        self.resource(logical_id::KEY_ALIAS.to_string(), alias);
        let domain = &self.domain.name;
        self.output("KeyArn".to_string(), || {
            (format!("ARN of the KMS key of domain {domain}"), get_att(logical_id::KEY, "Arn"))
        });
    }

    fn key_resource(&self) -> Resource {
        let mut statements = vec![
            json!({
                "Sid": "AccountAdministersKey",
                "Effect": "Allow",
                "Principal": { "AWS": sub("arn:${AWS::Partition}:iam::${AWS::AccountId}:root") },
                "Action": "kms:*",
                "Resource": "*",
            }),
            // Grants outlive the policy that allowed them: only AWS services may create them,
            // for the resources they encrypt on a caller's behalf (Control Tower CT.KMS.PR.3).
            // SNS, SQS, CloudWatch and CloudWatch Logs use the key through this policy, not
            // through grants.
            json!({
                "Sid": "OnlyAwsServicesCreateGrants",
                "Effect": "Deny",
                "Principal": "*",
                "Action": ["kms:CreateGrant"],
                "Resource": "*",
                "Condition": { "BoolIfExists": {
                    "kms:GrantIsForAWSResource": "false",
                    "aws:PrincipalIsAWSService": "false",
                } },
            }),
        ];
        let mut source_arns = self.key_source_arns();
        source_arns.extend(self.alert_topic_arn());
        statements.extend(self.alert_key_statement());
        statements.extend(self.api_key_statement());
        if !source_arns.is_empty() {
            statements.push(json!({
                "Sid": "SnsUsesKeyForDomainTopics",
                "Effect": "Allow",
                "Principal": { "Service": SNS_SERVICE },
                "Action": ["kms:Decrypt", "kms:GenerateDataKey*"],
                "Resource": "*",
                "Condition": { "ArnEquals": { "aws:SourceArn": source_arns } },
            }));
        }
        Resource::new(
            "AWS::KMS::Key",
            json!({
                "Description": format!("Encrypts the topics and queues of domain {} ({})", self.domain.name, self.stage),
                "EnableKeyRotation": true,
                "KeyPolicy": { "Version": POLICY_VERSION, "Statement": statements },
                "Tags": self.tags.clone(),
            }),
        )
        .retained()
    }

    /// `KmsMasterKeyId` for topics and queues, `None` for SSE-SQS.
    fn kms_key(&self, for_queue: bool) -> Option<Value> {
        match &self.domain.encryption {
            Encryption::CustomerKey => Some(get_att(logical_id::KEY, "Arn")),
            Encryption::ServiceManaged if for_queue => None,
            Encryption::ServiceManaged => Some(json!("alias/aws/sns")),
            Encryption::ExistingKey(key) => Some(json!(key.as_str())),
        }
    }

    fn topic(&mut self, name: &Name, kind: TopicKind, description: Option<&str>) {
        let topic_id = logical_id::topic(name);
        self.resource(topic_id.clone(), |s| {
            let physical = naming::topic_name(s.stage, &s.domain.name, name, kind.is_fifo());
            let mut properties = json!({ "TopicName": physical, "Tags": s.tags.clone() });
            if let TopicKind::Fifo(fifo) = kind {
                properties["FifoTopic"] = json!(true);
                properties["ContentBasedDeduplication"] = json!(fifo.content_based_deduplication);
            }
            if let Some(key) = s.kms_key(false) {
                properties["KmsMasterKeyId"] = key;
            }
            Resource::new("AWS::SNS::Topic", properties).retained()
        });

        self.resource(logical_id::topic_policy(name), |_| {
            Resource::new("AWS::SNS::TopicPolicy", topic_policy(&topic_id, Vec::new()))
        });

        let domain = &self.domain.name;
        let topic_ref = || TopicRef::new(domain.clone(), name.clone());
        self.resource(logical_id::topic_arn_parameter(name), |s| {
            let topic_ref = topic_ref();
            let ssm_name = naming::topic_arn_parameter(s.project.ssm_prefix(), s.stage, &topic_ref);
            let parameter_tags = s.parameter_tags();
            let mut parameter = json!({
                "Name": ssm_name,
                "Type": "String",
                "Value": reference(&topic_id),
                "Description": format!("ARN of topic {topic_ref}, for subscribers in other stacks"),
                "Tags": parameter_tags,
            });
            if let Some(description) = description {
                parameter["Description"] = json!(truncate(&format!("ARN of topic {topic_ref}: {description}"), 1024));
            }
            Resource::new("AWS::SSM::Parameter", parameter)
        });
        self.output(format!("{}Arn", topic_id), || (format!("ARN of topic {}", topic_ref()), reference(&topic_id)));
    }

    /// The tags as SSM parameters take them: a mapping, not a list.
    fn parameter_tags(&self) -> serde_json::Map<String, Value> {
        let mut parameter_tags = serde_json::Map::new();
        for tag in &self.tags {
            if let (Some(key), Some(value)) = (tag["Key"].as_str(), tag.get("Value")) {
                parameter_tags.insert(key.to_string(), value.clone());
            }
        }
        parameter_tags
    }

    /// An SQS queue; `justifications` for the rules it deliberately differs from (the
    /// domain's encryption adds its own).
    pub(crate) fn queue_resource(
        &self,
        physical: String,
        kind: QueueKind,
        retention: u32,
        extra: Value,
        justifications: &[&Justification],
    ) -> Resource {
        let mut properties = json!({
            "QueueName": physical,
            "MessageRetentionPeriod": retention,
            "Tags": self.tags.clone(),
        });
        if let QueueKind::Fifo(fifo) = kind {
            properties["FifoQueue"] = json!(true);
            properties["ContentBasedDeduplication"] = json!(fifo.content_based_deduplication);
            if fifo.high_throughput {
                properties["DeduplicationScope"] = json!("messageGroup");
                properties["FifoThroughputLimit"] = json!("perMessageGroupId");
            }
        }
        match self.kms_key(true) {
            Some(key) => properties["KmsMasterKeyId"] = key,
            None => properties["SqsManagedSseEnabled"] = json!(true),
        }
        if let (Value::Object(properties), Value::Object(extra)) = (&mut properties, extra) {
            properties.extend(extra);
        }
        let mut justifications = justifications.to_vec();
        if self.domain.encryption == Encryption::ServiceManaged {
            justifications.push(&compliance::QUEUE_WITH_SERVICE_KEY);
        }
        Resource::new("AWS::SQS::Queue", properties).retained().justified(&justifications)
    }

    /// The ARN of a queue of this domain, by its known name: a dead-letter queue's
    /// `RedriveAllowPolicy` names its source queue, whose `RedrivePolicy` names the
    /// dead-letter queue, so a `GetAtt` either way would be a cycle.
    fn queue_arn(&self, physical: &str) -> Value {
        sub(&format!("arn:${{AWS::Partition}}:sqs:${{AWS::Region}}:${{AWS::AccountId}}:{physical}"))
    }

    fn queue(&mut self, name: &Name, queue: &Queue) {
        let queue_id = logical_id::queue(name);
        let domain = &self.domain.name;
        let fifo = queue.kind.is_fifo();

        // The queue's own redrive target (with its settings), and the dead-letter queues
        // SNS redrives to: with `dead_letter: false` the consumer's failures are dropped, as
        // the manifest chose, but what SNS cannot deliver is still kept.
        let mut dead_letter_id = None;
        let mut subscription_dead_letter_id = None;
        let mut fifo_dead_letter_id = None;
        let retention = queue.dead_letter.map_or(DeadLetter::DEFAULT_RETENTION, |d| d.retention).as_secs();
        if let Some(dead_letter) = queue.dead_letter {
            let dlq_id = logical_id::dead_letter_queue(name);
            self.resource(dlq_id.clone(), |s| {
                let physical = naming::dead_letter_queue_name(s.stage, domain, name, fifo);
                // Only the queue it serves may redrive into it (Control Tower CT.SQS.PR.1).
                let source = s.queue_arn(&naming::queue_name(s.stage, domain, name, fifo));
                let redrive_allow = json!({
                    "RedriveAllowPolicy": { "redrivePermission": "byQueue", "sourceQueueArns": [source] },
                });
                s.queue_resource(physical, queue.kind, retention, redrive_allow, &[&compliance::DEAD_LETTER_QUEUE])
            });
            self.dead_letter_outputs(&dlq_id, format!("the dead-letter queue of queue {domain}/{name}"));
            subscription_dead_letter_id = Some(dlq_id.clone());
            dead_letter_id = Some((dlq_id, dead_letter));
        } else if needs_subscription_dead_letter(self.project, queue) {
            let dlq_id = logical_id::dead_letter_queue(name);
            self.resource(dlq_id.clone(), |s| {
                let physical = naming::dead_letter_queue_name(s.stage, domain, name, fifo);
                s.subscription_dead_letter_queue(physical, queue.kind, retention)
            });
            let what = format!("the dead-letter queue of the subscriptions of queue {domain}/{name}");
            self.dead_letter_outputs(&dlq_id, what);
            subscription_dead_letter_id = Some(dlq_id);
        }
        // SNS puts what it cannot deliver from a FIFO topic only into a FIFO queue.
        if needs_fifo_dead_letter(self.project, queue) {
            let fifo_id = logical_id::fifo_dead_letter_queue(name);
            self.resource(fifo_id.clone(), |s| {
                let physical = naming::dead_letter_queue_name(s.stage, domain, name, true);
                let kind = QueueKind::Fifo(Default::default());
                s.subscription_dead_letter_queue(physical, kind, retention)
            });
            self.output(format!("{fifo_id}Arn"), || {
                (
                    format!(
                        "ARN of the FIFO dead-letter queue of the FIFO-topic subscriptions of queue {domain}/{name}"
                    ),
                    get_att(&fifo_id, "Arn"),
                )
            });
            fifo_dead_letter_id = Some(fifo_id);
        }
        self.resource(queue_id.clone(), |s| {
            let mut extra = json!({
                "VisibilityTimeout": queue.visibility_timeout.as_secs(),
                "ReceiveMessageWaitTimeSeconds": queue.receive_wait.as_secs(),
                "DelaySeconds": queue.delay.as_secs(),
            });
            if let Some((dlq_id, dead_letter)) = &dead_letter_id {
                extra["RedrivePolicy"] = json!({
                    "deadLetterTargetArn": get_att(dlq_id, "Arn"),
                    "maxReceiveCount": dead_letter.max_receive_count,
                });
            }
            let physical = naming::queue_name(s.stage, domain, name, fifo);
            let justifications: &[&Justification] =
                if queue.dead_letter.is_none() { &[&compliance::QUEUE_WITHOUT_DEAD_LETTER] } else { &[] };
            s.queue_resource(physical, queue.kind, queue.retention.as_secs(), extra, justifications)
        });
        self.output(format!("{queue_id}Url"), || (format!("URL of queue {domain}/{name}"), reference(&queue_id)));
        self.output(format!("{queue_id}Arn"), || (format!("ARN of queue {domain}/{name}"), get_att(&queue_id, "Arn")));

        let dead_letter_id = subscription_dead_letter_id;
        // The queues the policy covers: this one and its dead-letter queues.
        let covered: Vec<&String> =
            [Some(&queue_id), dead_letter_id.as_ref(), fifo_dead_letter_id.as_ref()].into_iter().flatten().collect();
        let policy_id = logical_id::queue_policy(name);
        self.resource(policy_id.clone(), |s| {
            let topics = queue.subscriptions.iter().map(|subscription| {
                let topic = &subscription.topic;
                (format!("{}{}", topic.domain.pascal_case(), topic.topic.pascal_case()), s.topic_arn(topic))
            });
            queue_policy(&covered, topics.collect())
        });

        for subscription in &queue.subscriptions {
            self.resource(logical_id::subscription(name, &subscription.topic), |s| {
                let topic_arn = if subscription.topic.domain == *domain {
                    reference(&logical_id::topic(&subscription.topic.topic))
                } else {
                    reference(&logical_id::topic_arn_lookup(&subscription.topic))
                };
                let mut properties = json!({
                    "TopicArn": topic_arn,
                    "Protocol": "sqs",
                    "Endpoint": get_att(&queue_id, "Arn"),
                    "RawMessageDelivery": subscription.raw_message_delivery,
                });
                if let Some(filter) = &subscription.filter {
                    properties["FilterPolicy"] = Value::Object(filter.policy.clone());
                    properties["FilterPolicyScope"] = json!(filter.scope.as_cfn());
                }
                let redrive_target = match subscription_redrive(s.project, queue, subscription) {
                    Redrive::Fifo => &fifo_dead_letter_id,
                    Redrive::OwnKind => &dead_letter_id,
                    Redrive::None => &None,
                };
                let justifications: &[&Justification] = match redrive_target {
                    Some(target) => {
                        properties["RedrivePolicy"] = json!({ "deadLetterTargetArn": get_att(target, "Arn") });
                        &[]
                    }
                    None => &[&compliance::SUBSCRIPTION_WITHOUT_DEAD_LETTER],
                };
                // Delivery works only once the queue policy lets SNS in.
                Resource::new("AWS::SNS::Subscription", properties)
                    .depends_on(policy_id.clone())
                    .justified(justifications)
            });
        }
    }
}

impl Synth<'_> {
    /// The ARN and URL outputs of the dead-letter queue `id`, which is `what`.
    fn dead_letter_outputs(&mut self, id: &str, what: String) {
        self.output(format!("{id}Arn"), || (format!("ARN of {what}"), get_att(id, "Arn")));
        self.output(format!("{id}Url"), || (format!("URL of {what}"), reference(id)));
    }

    /// A dead-letter queue only SNS subscriptions deliver to: no SQS queue may redrive into it.
    pub(crate) fn subscription_dead_letter_queue(&self, physical: String, kind: QueueKind, retention: u32) -> Resource {
        let redrive_allow = json!({ "RedriveAllowPolicy": { "redrivePermission": "denyAll" } });
        self.queue_resource(physical, kind, retention, redrive_allow, &[&compliance::SUBSCRIPTION_DEAD_LETTER_QUEUE])
    }
}

/// Whether a standard queue subscribes to a FIFO topic: SNS puts what it cannot deliver
/// from a FIFO topic only into a FIFO queue, so the queue gets a FIFO dead-letter queue.
pub(crate) fn needs_fifo_dead_letter(project: &dyn Context, queue: &Queue) -> bool {
    !queue.kind.is_fifo()
        && queue.subscriptions.iter().any(|s| project.topic_kind(&s.topic).is_some_and(TopicKind::is_fifo))
}

/// Where SNS puts what it cannot deliver through a subscription.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Redrive {
    /// The dead-letter queue of the queue's own kind.
    OwnKind,
    /// The FIFO dead-letter queue of a standard queue, for a FIFO topic.
    Fifo,
    /// Nowhere: a standard queue with `dead_letter: false` subscribed to a topic of another
    /// repo, whose kind (and so the dead-letter queue's) is unknown until deploy.
    None,
}

/// Where SNS puts what it cannot deliver through `subscription` of `queue`.
pub(crate) fn subscription_redrive(project: &dyn Context, queue: &Queue, subscription: &Subscription) -> Redrive {
    match (queue.kind.is_fifo(), project.topic_kind(&subscription.topic)) {
        (true, _) => Redrive::OwnKind,
        (false, Some(kind)) if kind.is_fifo() => Redrive::Fifo,
        (false, Some(_)) => Redrive::OwnKind,
        // With a dead-letter queue, the topic must then be standard (checked at deploy).
        (false, None) if queue.dead_letter.is_some() => Redrive::OwnKind,
        (false, None) => Redrive::None,
    }
}

/// Whether a queue with `dead_letter: false` needs a dead-letter queue of its own kind for
/// what SNS cannot deliver.
pub(crate) fn needs_subscription_dead_letter(project: &dyn Context, queue: &Queue) -> bool {
    queue.dead_letter.is_none()
        && queue.subscriptions.iter().any(|s| subscription_redrive(project, queue, s) == Redrive::OwnKind)
}

/// Whether a queue has a dead-letter queue of its own kind: its redrive target, or with
/// `dead_letter: false` the one of its subscriptions.
pub(crate) fn has_dead_letter_queue(project: &dyn Context, queue: &Queue) -> bool {
    queue.dead_letter.is_some() || needs_subscription_dead_letter(project, queue)
}

fn truncate(text: &str, max: usize) -> String {
    let mut end = text.len().min(max);
    while !text.is_char_boundary(end) {
        end -= 1;
    }
    text[..end].to_string()
}

/// The policy of the queues `queues` (logical IDs): nobody may use them without TLS, and SNS
/// may deliver to them from each of `topics` (a name for the statement, the topic ARN).
pub(crate) fn queue_policy(queues: &[&String], topics: Vec<(String, Value)>) -> Resource {
    let targets: Vec<Value> = queues.iter().map(|id| get_att(id, "Arn")).collect();
    let queue_refs: Vec<Value> = queues.iter().map(|id| reference(id)).collect();
    let mut statements = vec![json!({
        "Sid": "DenyWithoutTls",
        "Effect": "Deny",
        "Principal": "*",
        "Action": "sqs:*",
        "Resource": targets.clone(),
        "Condition": { "Bool": { "aws:SecureTransport": "false" } },
    })];
    for (name, topic_arn) in topics {
        statements.push(json!({
            "Sid": format!("SnsDeliversFrom{name}"),
            "Effect": "Allow",
            "Principal": { "Service": SNS_SERVICE },
            "Action": "sqs:SendMessage",
            "Resource": targets.clone(),
            "Condition": { "ArnEquals": { "aws:SourceArn": topic_arn } },
        }));
    }
    let policy = json!({
        "Queues": queue_refs,
        "PolicyDocument": { "Version": POLICY_VERSION, "Statement": statements },
    });
    Resource::new("AWS::SQS::QueuePolicy", policy)
}

/// A topic's policy: the account may use the topic, nobody may publish without TLS, plus
/// `grants` for services that publish to it.
pub(crate) fn topic_policy(topic_id: &str, grants: Vec<Value>) -> Value {
    let mut statements = vec![json!({
        "Sid": "AccountUsesTopic",
        "Effect": "Allow",
        "Principal": { "AWS": sub("arn:${AWS::Partition}:iam::${AWS::AccountId}:root") },
        "Action": ["sns:GetTopicAttributes", "sns:ListSubscriptionsByTopic", "sns:Publish", "sns:Subscribe"],
        "Resource": reference(topic_id),
    })];
    statements.extend(grants);
    statements.push(json!({
        "Sid": "DenyPublishWithoutTls",
        "Effect": "Deny",
        "Principal": "*",
        "Action": "sns:Publish",
        "Resource": reference(topic_id),
        "Condition": { "Bool": { "aws:SecureTransport": "false" } },
    }));
    json!({
        "Topics": [reference(topic_id)],
        "PolicyDocument": { "Version": POLICY_VERSION, "Statement": statements },
    })
}

#[cfg(test)]
mod tests {
    use std::path::Path;

    use super::{outline, synth};
    use crate::load::load_project;
    use crate::template::Template;

    fn logical_ids(template: &Template) -> [Vec<&String>; 3] {
        [template.parameters.keys().collect(), template.resources.keys().collect(), template.outputs.keys().collect()]
    }

    /// Validation counts and compares outlines in place of templates: they must agree on
    /// every feature, which the good fixtures and the seed domains cover between them.
    #[test]
    fn outlines_have_the_logical_ids_of_templates() {
        let repo = Path::new(env!("CARGO_MANIFEST_DIR")).join("../..");
        let good = repo.join("tests/fixtures/good");
        for (settings, manifests) in
            [(repo.join("fanout.yaml"), repo.join("domains")), (good.join("fanout.yaml"), good)]
        {
            let (project, diagnostics) = load_project(Some(&settings), &manifests).expect("fixtures are readable");
            let project = project.unwrap_or_else(|| panic!("{diagnostics}"));
            for stage in &project.settings.stages {
                for domain in project.domains.values() {
                    let template = synth(&project, domain, stage);
                    let (outline, collisions) = outline(&project, domain, stage);
                    assert_eq!(
                        logical_ids(&outline),
                        logical_ids(&template),
                        "domain `{}`, stage `{stage}`",
                        domain.name
                    );
                    assert_eq!(outline.description, template.description);
                    assert!(collisions.is_empty());
                }
            }
        }
    }
}
