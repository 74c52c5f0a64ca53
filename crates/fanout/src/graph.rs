//! The fan-out topology as a Mermaid or Graphviz graph, to paste into a pull request: of the
//! repo's domains ([`render`]), or of every repo as SSM shows it ([`render_organization`]).
//!
//! Both build one [`Drawing`] (clusters of nodes, and edges), which each language writes the
//! same way, so the two views look alike.

use std::collections::{BTreeMap, BTreeSet};
use std::fmt::Write;

use crate::contract::published::SubscriberRecord;
use crate::model::{FilterScope, TopicKind};
use crate::name::{Name, TopicRef};
use crate::organization::Organization;
use crate::project::Project;

/// The graph languages [`render`] writes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum GraphFormat {
    /// A Mermaid flowchart, which GitHub renders in Markdown.
    Mermaid,
    /// Graphviz `dot`.
    Dot,
}

/// A node id that cannot collide: parts joined by `__`, hyphens as `_` (names have no `_`).
fn node_id(kind: &str, domain: &Name, name: &Name) -> String {
    format!("{kind}__{}__{}", domain.as_str().replace('-', "_"), name.as_str().replace('-', "_"))
}

/// What a node stands for, which decides its shape.
#[derive(Clone, Copy)]
enum Shape {
    Topic,
    Queue,
    PublishEndpoint,
    PollEndpoint,
}

struct Node {
    id: String,
    shape: Shape,
    /// One or more lines.
    label: Vec<String>,
    /// Drawn dashed: something is missing (a topic whose producer is gone).
    dashed: bool,
}

/// A domain's box.
struct Cluster {
    domain: Name,
    label: String,
    dashed: bool,
    nodes: Vec<Node>,
}

struct Edge {
    from: String,
    to: String,
    label: String,
}

#[derive(Default)]
struct Drawing {
    clusters: Vec<Cluster>,
    edges: Vec<Edge>,
}

fn node(id: String, shape: Shape, label: String) -> Node {
    Node { id, shape, label: vec![label], dashed: false }
}

fn fifo_mark(fifo: bool) -> &'static str {
    if fifo { " (FIFO)" } else { "" }
}

fn publish_edge(domain: &Name, topic: &Name) -> Edge {
    Edge { from: node_id("e", domain, topic), to: node_id("t", domain, topic), label: "sns:Publish".to_string() }
}

fn publish_node(domain: &Name, topic: &Name) -> Node {
    node(node_id("e", domain, topic), Shape::PublishEndpoint, format!("POST /topics/{topic}"))
}

/// Renders every domain, topic, queue and subscription of `project`.
pub fn render(project: &Project, format: GraphFormat) -> String {
    // Domains outside the repo appear with the topics their subscribers name.
    let mut external: BTreeMap<&Name, BTreeSet<&Name>> = BTreeMap::new();
    let mut drawing = Drawing::default();
    for domain in project.domains.values() {
        for (name, topic) in &domain.topics {
            if topic.http {
                drawing.edges.push(publish_edge(&domain.name, name));
            }
        }
        for (queue_name, queue) in &domain.queues {
            if queue.http {
                drawing.edges.push(Edge {
                    from: node_id("q", &domain.name, queue_name),
                    to: node_id("p", &domain.name, queue_name),
                    label: "sqs:ReceiveMessage, sqs:DeleteMessage".to_string(),
                });
            }
            for subscription in &queue.subscriptions {
                let TopicRef { domain: topic_domain, topic } = &subscription.topic;
                if !project.domains.contains_key(topic_domain) {
                    external.entry(topic_domain).or_default().insert(topic);
                }
                let mut label = Vec::new();
                if let Some(filter) = &subscription.filter {
                    let keys: Vec<&str> = filter.policy.keys().map(String::as_str).collect();
                    let scope = match filter.scope {
                        FilterScope::MessageAttributes => "attributes",
                        FilterScope::MessageBody => "body",
                    };
                    label.push(format!("filter {scope}: {}", keys.join(", ")));
                }
                if subscription.raw_message_delivery {
                    label.push("raw".to_string());
                }
                drawing.edges.push(Edge {
                    from: node_id("t", topic_domain, topic),
                    to: node_id("q", &domain.name, queue_name),
                    label: label.join("; "),
                });
            }
        }
    }
    for domain in project.domains.values() {
        let mut nodes = Vec::new();
        for (name, topic) in &domain.topics {
            let fifo = matches!(topic.kind, TopicKind::Fifo(_));
            nodes.push(node(
                node_id("t", &domain.name, name),
                Shape::Topic,
                format!("topic {name}{}", fifo_mark(fifo)),
            ));
            if topic.http {
                nodes.push(publish_node(&domain.name, name));
            }
        }
        for (name, queue) in &domain.queues {
            let dlq = if queue.dead_letter.is_some() { " + DLQ" } else { "" };
            let label = format!("queue {name}{}{dlq}", fifo_mark(queue.kind.is_fifo()));
            nodes.push(node(node_id("q", &domain.name, name), Shape::Queue, label));
            if queue.http {
                let label = format!("GET, DELETE /queues/{name}/messages");
                nodes.push(node(node_id("p", &domain.name, name), Shape::PollEndpoint, label));
            }
        }
        drawing.clusters.push(Cluster {
            domain: domain.name.clone(),
            label: domain.name.to_string(),
            dashed: false,
            nodes,
        });
    }
    for (domain, topics) in external {
        let nodes = topics
            .into_iter()
            .map(|topic| node(node_id("t", domain, topic), Shape::Topic, format!("topic {topic}")))
            .collect();
        drawing.clusters.push(Cluster {
            domain: domain.clone(),
            label: format!("{domain} (other repo)"),
            dashed: true,
            nodes,
        });
    }
    write(&drawing, format)
}

/// Renders every topic and every registered consumer of `organization`: producers' topics
/// with their kind and attributes, consumers' queues with the filter keys they read, and, dashed,
/// topics whose producer is gone (no ARN parameter) that consumers still register on.
pub fn render_organization(organization: &Organization, format: GraphFormat) -> String {
    let mut drawing = Drawing::default();
    let mut domains: BTreeMap<&Name, Vec<Node>> = BTreeMap::new();
    let mut queues: BTreeMap<(&Name, &str), bool> = BTreeMap::new();
    for (topic_ref, topic) in &organization.topics {
        let TopicRef { domain, topic: name } = topic_ref;
        let mut label = vec![format!("topic {name}{}", fifo_mark(topic.fifo().unwrap_or(false)))];
        if let Some(contract) = &topic.contract
            && !contract.attributes.is_empty()
        {
            let names: Vec<String> = contract.attributes.keys().map(|name| plain(name)).collect();
            label.push(format!("attributes: {}", names.join(", ")));
        }
        let gone = topic.arn.is_none();
        if gone {
            label.push("no producer: no ARN parameter".to_string());
        }
        let nodes = domains.entry(domain).or_default();
        nodes.push(Node { id: node_id("t", domain, name), shape: Shape::Topic, label, dashed: gone });
        if topic.publish_endpoint {
            nodes.push(publish_node(domain, name));
            drawing.edges.push(publish_edge(domain, name));
        }
        for (consumer, record) in &topic.subscribers {
            for (queue, subscribed) in &record.queues {
                queues.entry((consumer, queue.as_str())).or_insert(subscribed.fifo);
                drawing.edges.push(Edge {
                    from: node_id("t", domain, name),
                    to: queue_id(consumer, queue),
                    label: subscription_label(record, queue),
                });
            }
        }
    }
    for ((consumer, queue), fifo) in queues {
        let label = format!("queue {queue}{}", fifo_mark(fifo));
        domains.entry(consumer).or_default().push(node(queue_id(consumer, queue), Shape::Queue, label));
    }
    for (domain, nodes) in domains {
        drawing.clusters.push(Cluster { domain: domain.clone(), label: domain.to_string(), dashed: false, nodes });
    }
    write(&drawing, format)
}

/// The id of a queue named in a registration: queue names there are checked to be valid names.
fn queue_id(domain: &Name, queue: &str) -> String {
    format!("q__{}__{}", domain.as_str().replace('-', "_"), queue.replace('-', "_"))
}

fn subscription_label(record: &SubscriberRecord, queue: &str) -> String {
    let Some(subscribed) = record.queues.get(queue) else { return String::new() };
    let mut label = Vec::new();
    for (scope, keys) in [("attributes", &subscribed.attribute_keys), ("body", &subscribed.body_keys)] {
        if !keys.is_empty() {
            let keys: Vec<String> = keys.iter().map(|key| plain(key)).collect();
            label.push(format!("filter {scope}: {}", keys.join(", ")));
        }
    }
    label.join("; ")
}

/// Text read from SSM, written by any repo, as a label: characters that Mermaid or DOT give
/// a meaning (quotes, brackets, pipes, backslashes, line breaks) become `?`.
fn plain(text: &str) -> String {
    text.chars().map(|c| if c.is_alphanumeric() || "-_./~:*@ ".contains(c) { c } else { '?' }).collect()
}

fn write(drawing: &Drawing, format: GraphFormat) -> String {
    match format {
        GraphFormat::Mermaid => mermaid(drawing),
        GraphFormat::Dot => dot(drawing),
    }
}

fn mermaid(drawing: &Drawing) -> String {
    let mut out = String::from("flowchart LR\n");
    let mut dashed = Vec::new();
    for cluster in &drawing.clusters {
        let _ = writeln!(out, "  subgraph {}[\"{}\"]", cluster.domain.as_str().replace('-', "_"), cluster.label);
        for node in &cluster.nodes {
            let label = node.label.join("<br/>");
            let id = &node.id;
            let _ = match node.shape {
                Shape::Topic => writeln!(out, "    {id}{{{{\"{label}\"}}}}"),
                Shape::Queue => writeln!(out, "    {id}[(\"{label}\")]"),
                Shape::PublishEndpoint => writeln!(out, "    {id}[/\"{label}\"/]"),
                Shape::PollEndpoint => writeln!(out, "    {id}[\\\"{label}\"\\]"),
            };
            if node.dashed {
                dashed.push(id);
            }
        }
        out.push_str("  end\n");
    }
    for id in dashed {
        let _ = writeln!(out, "  style {id} stroke-dasharray: 5 5");
    }
    for edge in &drawing.edges {
        if edge.label.is_empty() {
            let _ = writeln!(out, "  {} --> {}", edge.from, edge.to);
        } else {
            let _ = writeln!(out, "  {} -->|\"{}\"| {}", edge.from, edge.label.replace('"', "'"), edge.to);
        }
    }
    out
}

fn dot(drawing: &Drawing) -> String {
    let mut out = String::from("digraph fanout {\n  rankdir=LR;\n");
    for cluster in &drawing.clusters {
        let _ = writeln!(out, "  subgraph \"cluster_{}\" {{\n    label=\"{}\";", cluster.domain, cluster.label);
        if cluster.dashed {
            out.push_str("    style=dashed;\n");
        }
        for node in &cluster.nodes {
            let shape = match node.shape {
                Shape::Topic => "hexagon",
                Shape::Queue => "cylinder",
                Shape::PublishEndpoint | Shape::PollEndpoint => "parallelogram",
            };
            let style = if node.dashed { ", style=dashed" } else { "" };
            let _ = writeln!(out, "    {} [shape={shape}, label=\"{}\"{style}];", node.id, node.label.join("\\n"));
        }
        out.push_str("  }\n");
    }
    for edge in &drawing.edges {
        let _ = writeln!(out, "  {} -> {} [label=\"{}\"];", edge.from, edge.to, edge.label.replace('"', "'"));
    }
    out.push_str("}\n");
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::build::{DomainBuilder, QueueBuilder, TopicBuilder};
    use crate::project::Settings;

    #[test]
    fn publish_endpoints_are_drawn_before_their_topics() {
        let mut project = Project::new(Settings::default());
        project.add(DomainBuilder::new("shop").topic(TopicBuilder::fifo("orders").http(true)).build().expect("valid"));
        insta::assert_snapshot!(render(&project, GraphFormat::Mermaid), @r#"
        flowchart LR
          subgraph shop["shop"]
            t__shop__orders{{"topic orders (FIFO)"}}
            e__shop__orders[/"POST /topics/orders"/]
          end
          e__shop__orders -->|"sns:Publish"| t__shop__orders
        "#);
        assert!(
            render(&project, GraphFormat::Dot).contains("e__shop__orders -> t__shop__orders [label=\"sns:Publish\"];")
        );
    }

    #[test]
    fn poll_endpoints_are_drawn_after_their_queues() {
        let mut project = Project::new(Settings::default());
        let domain = DomainBuilder::new("shop")
            .topic(TopicBuilder::standard("orders"))
            .queue(QueueBuilder::standard("fulfilment").subscribe("orders").http(true))
            .build()
            .expect("valid");
        project.add(domain);
        insta::assert_snapshot!(render(&project, GraphFormat::Mermaid), @r#"
        flowchart LR
          subgraph shop["shop"]
            t__shop__orders{{"topic orders"}}
            q__shop__fulfilment[("queue fulfilment + DLQ")]
            p__shop__fulfilment[\"GET, DELETE /queues/fulfilment/messages"\]
          end
          q__shop__fulfilment -->|"sqs:ReceiveMessage, sqs:DeleteMessage"| p__shop__fulfilment
          t__shop__orders --> q__shop__fulfilment
        "#);
        assert!(
            render(&project, GraphFormat::Dot).contains(
                "q__shop__fulfilment -> p__shop__fulfilment [label=\"sqs:ReceiveMessage, sqs:DeleteMessage\"];"
            )
        );
    }
}

#[cfg(test)]
mod organization_tests {
    use super::*;
    use crate::organization::from_parameters;

    const READY_CONTRACT: &str =
        r#"{"version":1,"fifo":true,"content_based_deduplication":false,"attributes":{"segment":{"type":"String"}}}"#;
    const SCORING: &str = r#"{"version":1,"domain":"scoring","queues":{"inbox":{"fifo":true,"attribute_keys":["segment"]},"audit":{"fifo":false,"body_keys":["/customer/tier"]}}}"#;

    fn organization() -> Organization {
        from_parameters(
            "/fanout",
            &Name::new("dev").expect("valid"),
            [
                ("/fanout/dev/ingestion/topics/ready/arn", "arn:aws:sns:r:1:dev-ingestion-ready.fifo"),
                ("/fanout/dev/ingestion/topics/ready/contract", READY_CONTRACT),
                ("/fanout/dev/ingestion/topics/ready/url", "https://api/topics/ready"),
                ("/fanout/dev/ingestion/topics/ready/subscribers/scoring", SCORING),
                ("/fanout/dev/ingestion/topics/raw/arn", "arn:aws:sns:r:1:dev-ingestion-raw"),
                (
                    "/fanout/dev/legacy/topics/feed/subscribers/scoring",
                    r#"{"version":1,"domain":"scoring","queues":{"audit":{"fifo":false}}}"#,
                ),
            ],
        )
    }

    #[test]
    fn every_topic_and_consumer_is_drawn_and_a_gone_producer_is_marked() {
        insta::assert_snapshot!(render_organization(&organization(), GraphFormat::Mermaid), @r#"
        flowchart LR
          subgraph ingestion["ingestion"]
            t__ingestion__raw{{"topic raw"}}
            t__ingestion__ready{{"topic ready (FIFO)<br/>attributes: segment"}}
            e__ingestion__ready[/"POST /topics/ready"/]
          end
          subgraph legacy["legacy"]
            t__legacy__feed{{"topic feed<br/>no producer: no ARN parameter"}}
          end
          subgraph scoring["scoring"]
            q__scoring__audit[("queue audit")]
            q__scoring__inbox[("queue inbox (FIFO)")]
          end
          style t__legacy__feed stroke-dasharray: 5 5
          e__ingestion__ready -->|"sns:Publish"| t__ingestion__ready
          t__ingestion__ready -->|"filter body: /customer/tier"| q__scoring__audit
          t__ingestion__ready -->|"filter attributes: segment"| q__scoring__inbox
          t__legacy__feed --> q__scoring__audit
        "#);
    }

    #[test]
    fn the_dot_graph_has_the_same_nodes_and_edges() {
        insta::assert_snapshot!(render_organization(&organization(), GraphFormat::Dot), @r#"
        digraph fanout {
          rankdir=LR;
          subgraph "cluster_ingestion" {
            label="ingestion";
            t__ingestion__raw [shape=hexagon, label="topic raw"];
            t__ingestion__ready [shape=hexagon, label="topic ready (FIFO)\nattributes: segment"];
            e__ingestion__ready [shape=parallelogram, label="POST /topics/ready"];
          }
          subgraph "cluster_legacy" {
            label="legacy";
            t__legacy__feed [shape=hexagon, label="topic feed\nno producer: no ARN parameter", style=dashed];
          }
          subgraph "cluster_scoring" {
            label="scoring";
            q__scoring__audit [shape=cylinder, label="queue audit"];
            q__scoring__inbox [shape=cylinder, label="queue inbox (FIFO)"];
          }
          e__ingestion__ready -> t__ingestion__ready [label="sns:Publish"];
          t__ingestion__ready -> q__scoring__audit [label="filter body: /customer/tier"];
          t__ingestion__ready -> q__scoring__inbox [label="filter attributes: segment"];
          t__legacy__feed -> q__scoring__audit [label=""];
        }
        "#);
    }

    #[test]
    fn text_from_other_repos_cannot_break_the_graph() {
        let contract = r#"{"version":1,"fifo":false,"content_based_deduplication":false,"attributes":{"a\"]|x\n":{"type":"String"}}}"#;
        let organization = from_parameters(
            "/fanout",
            &Name::new("dev").expect("valid"),
            [("/fanout/dev/a/topics/t/arn", "arn"), ("/fanout/dev/a/topics/t/contract", contract)],
        );
        let graph = render_organization(&organization, GraphFormat::Mermaid);
        assert!(graph.contains("attributes: a???x?"), "{graph}");
    }

    #[test]
    fn nothing_found_is_an_empty_graph() {
        assert_eq!(render_organization(&Organization::default(), GraphFormat::Mermaid), "flowchart LR\n");
    }
}
