//! Every physical name unique across the organization: two resources fanout creates in any
//! domain and stage of the repo never get the same name of one kind ([`Namespace`]), which
//! would make a deploy fail or, worse, two teams share one queue.
//!
//! Names join stage, domain and resource names with hyphens, so `a` + `b-c` and `a-b` + `c`
//! meet, and so do stages `dev` and `dev-a`. The names come from [`physical_names`], the one place
//! they are listed, each derived by [`naming`].

use std::collections::BTreeMap;

use crate::diagnostic::{Diagnostic, DiagnosticKind, Diagnostics, FieldPath};
use crate::model::{Domain, Encryption};
use crate::name::{Name, TopicRef};
use crate::naming::{self, Namespace, PhysicalName};
use crate::project::Project;

/// Every collision of physical names across the domains and stages of `project`, each
/// reported once, in the domain of the later one, naming both.
pub(crate) fn collisions(project: &Project) -> Diagnostics {
    let mut diagnostics = Diagnostics::default();
    let mut seen: BTreeMap<(Namespace, String), (String, String, PhysicalName)> = BTreeMap::new();
    for stage in &project.settings.stages {
        for domain in project.domains.values() {
            for name in physical_names(project, domain, stage) {
                let key = (name.namespace, name.name.clone());
                match seen.get(&key) {
                    Some((first_stage, first_domain, first)) => diagnostics.push(collision(
                        (stage.as_str(), domain.name.as_str(), &name),
                        (first_stage, first_domain, first),
                    )),
                    None => {
                        seen.insert(key, (stage.to_string(), domain.name.to_string(), name));
                    }
                }
            }
        }
    }
    diagnostics
}

/// Every physical name the template of `domain` in `stage` gives its resources (roles and
/// alarms are named by CloudFormation, so they have none to collide).
pub fn physical_names(project: &Project, domain: &Domain, stage: &Name) -> Vec<PhysicalName> {
    let d = &domain.name;
    let mut names = Vec::new();
    let mut add = |namespace, name, what: String, path: FieldPath| {
        names.push(PhysicalName { namespace, name, what, path });
    };
    let root = FieldPath::root().key("domain");
    add(Namespace::Stack, naming::stack_name(stage, d), "the stack".to_string(), root.clone());
    if domain.encryption == Encryption::CustomerKey {
        add(Namespace::KeyAlias, naming::key_alias(stage, d), "the key".to_string(), root.clone());
    }
    let prefix = &project.settings.ssm_prefix;
    for (name, topic) in &domain.topics {
        let path = FieldPath::root().key("topics").key(name.to_string());
        let what = format!("topic `{name}`");
        add(Namespace::Topic, naming::topic_name(stage, d, name, topic.kind.is_fifo()), what.clone(), path.clone());
        let topic_ref = TopicRef::new(d.clone(), name.clone());
        let arn = format!("the ARN parameter of {what}");
        add(Namespace::SsmParameter, naming::topic_arn_parameter(prefix, stage, &topic_ref), arn, path.clone());
        if topic.schema.is_some() {
            let schema = format!("the schema parameter of {what}");
            add(
                Namespace::SsmParameter,
                naming::topic_schema_parameter(prefix, stage, &topic_ref),
                schema,
                path.key("schema"),
            );
        }
        if topic.http {
            let url = format!("the URL parameter of {what}");
            add(Namespace::SsmParameter, naming::topic_url_parameter(prefix, stage, &topic_ref), url, path.key("http"));
        }
    }
    for (name, queue) in &domain.queues {
        let path = FieldPath::root().key("queues").key(name.to_string());
        let fifo = queue.kind.is_fifo();
        add(Namespace::Queue, naming::queue_name(stage, d, name, fifo), format!("queue `{name}`"), path.clone());
        if crate::synth::has_dead_letter_queue(project, queue) {
            let what = format!("the dead-letter queue of queue `{name}`");
            add(Namespace::Queue, naming::dead_letter_queue_name(stage, d, name, fifo), what, path.clone());
        }
        if crate::synth::needs_fifo_dead_letter(project, queue) {
            let what = format!("the FIFO dead-letter queue of the subscriptions of queue `{name}`");
            add(
                Namespace::Queue,
                naming::dead_letter_queue_name(stage, d, name, true),
                what,
                path.key("subscriptions"),
            );
        }
    }
    if let Some(alerts) = &domain.alerts
        && !alerts.email.is_empty()
    {
        let path = FieldPath::root().key("alerts").key("email");
        add(Namespace::Topic, naming::alert_topic_name(stage, d), "the alert topic".to_string(), path.clone());
        let what = "the dead-letter queue of the alert e-mails".to_string();
        add(Namespace::Queue, naming::alert_dead_letter_queue_name(stage, d), what, path);
    }
    if crate::synth::has_api(domain) {
        add(Namespace::RestApi, naming::api_name(stage, d), "the REST API".to_string(), root.clone());
        let what = "the access log group of the REST API".to_string();
        add(Namespace::LogGroup, naming::api_log_group(stage, d), what, root);
    }
    names
}

/// `later` gets the same name as `first`; each is (stage, domain, name).
fn collision(later: (&str, &str, &PhysicalName), first: (&str, &str, &PhysicalName)) -> Diagnostic {
    let (stage, domain, name) = later;
    let (first_stage, first_domain, first_name) = first;
    let kind = name.namespace.describe();
    Diagnostic::error(
        DiagnosticKind::PhysicalNameCollision,
        name.path.clone(),
        format!(
            "{kind} `{}` of {} of domain `{domain}` in stage `{stage}` is also the {kind} of {} of domain `{first_domain}` in stage `{first_stage}`",
            name.name, name.what, first_name.what
        ),
    )
    .with_hint(if domain == first_domain {
        "AWS names are unique in an account and Region, and fanout joins names with `-`: rename one of the two".to_string()
    } else {
        format!(
            "AWS names are unique in an account and Region, and fanout joins stage, domain and resource names with `-`: rename domain `{domain}` or `{first_domain}`, or the resource"
        )
    })
    .in_domain(domain)
}
