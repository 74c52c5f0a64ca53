//! The fan-out topology as a Mermaid or Graphviz graph, to paste into a pull request.

use std::collections::{BTreeMap, BTreeSet};
use std::fmt::Write;

use crate::model::{FilterScope, TopicKind};
use crate::name::{Name, TopicRef};
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

struct Edge {
    from: String,
    to: String,
    label: String,
}

/// Renders every domain, topic, queue and subscription of `project`.
pub fn render(project: &Project, format: GraphFormat) -> String {
    // Domains outside the repo appear with the topics their subscribers name.
    let mut external: BTreeMap<&Name, BTreeSet<&Name>> = BTreeMap::new();
    let mut edges = Vec::new();
    for domain in project.domains.values() {
        for (name, topic) in &domain.topics {
            if topic.http {
                edges.push(Edge {
                    from: node_id("e", &domain.name, name),
                    to: node_id("t", &domain.name, name),
                    label: "sns:Publish".to_string(),
                });
            }
        }
        for (queue_name, queue) in &domain.queues {
            if queue.http {
                edges.push(Edge {
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
                edges.push(Edge {
                    from: node_id("t", topic_domain, topic),
                    to: node_id("q", &domain.name, queue_name),
                    label: label.join("; "),
                });
            }
        }
    }
    match format {
        GraphFormat::Mermaid => mermaid(project, &external, &edges),
        GraphFormat::Dot => dot(project, &external, &edges),
    }
}

fn fifo_mark(fifo: bool) -> &'static str {
    if fifo { " (FIFO)" } else { "" }
}

fn mermaid(project: &Project, external: &BTreeMap<&Name, BTreeSet<&Name>>, edges: &[Edge]) -> String {
    let mut out = String::from("flowchart LR\n");
    for domain in project.domains.values() {
        let _ = writeln!(out, "  subgraph {}[\"{}\"]", domain.name.as_str().replace('-', "_"), domain.name);
        for (name, topic) in &domain.topics {
            let fifo = matches!(topic.kind, TopicKind::Fifo(_));
            let _ =
                writeln!(out, "    {}{{{{\"topic {name}{}\"}}}}", node_id("t", &domain.name, name), fifo_mark(fifo));
            if topic.http {
                let _ = writeln!(out, "    {}[/\"POST /topics/{name}\"/]", node_id("e", &domain.name, name));
            }
        }
        for (name, queue) in &domain.queues {
            let dlq = if queue.dead_letter.is_some() { " + DLQ" } else { "" };
            let _ = writeln!(
                out,
                "    {}[(\"queue {name}{}{dlq}\")]",
                node_id("q", &domain.name, name),
                fifo_mark(queue.kind.is_fifo())
            );
            if queue.http {
                let _ = writeln!(
                    out,
                    "    {}[\\\"GET, DELETE /queues/{name}/messages\"\\]",
                    node_id("p", &domain.name, name)
                );
            }
        }
        out.push_str("  end\n");
    }
    for (domain, topics) in external {
        let _ = writeln!(out, "  subgraph {}[\"{domain} (other repo)\"]", domain.as_str().replace('-', "_"));
        for topic in topics {
            let _ = writeln!(out, "    {}{{{{\"topic {topic}\"}}}}", node_id("t", domain, topic));
        }
        out.push_str("  end\n");
    }
    for edge in edges {
        if edge.label.is_empty() {
            let _ = writeln!(out, "  {} --> {}", edge.from, edge.to);
        } else {
            let _ = writeln!(out, "  {} -->|\"{}\"| {}", edge.from, edge.label.replace('"', "'"), edge.to);
        }
    }
    out
}

fn dot(project: &Project, external: &BTreeMap<&Name, BTreeSet<&Name>>, edges: &[Edge]) -> String {
    let mut out = String::from("digraph fanout {\n  rankdir=LR;\n");
    for domain in project.domains.values() {
        let _ = writeln!(out, "  subgraph \"cluster_{}\" {{\n    label=\"{}\";", domain.name, domain.name);
        for (name, topic) in &domain.topics {
            let fifo = matches!(topic.kind, TopicKind::Fifo(_));
            let _ = writeln!(
                out,
                "    {} [shape=hexagon, label=\"topic {name}{}\"];",
                node_id("t", &domain.name, name),
                fifo_mark(fifo)
            );
            if topic.http {
                let _ = writeln!(
                    out,
                    "    {} [shape=parallelogram, label=\"POST /topics/{name}\"];",
                    node_id("e", &domain.name, name)
                );
            }
        }
        for (name, queue) in &domain.queues {
            let dlq = if queue.dead_letter.is_some() { " + DLQ" } else { "" };
            let _ = writeln!(
                out,
                "    {} [shape=cylinder, label=\"queue {name}{}{dlq}\"];",
                node_id("q", &domain.name, name),
                fifo_mark(queue.kind.is_fifo())
            );
            if queue.http {
                let _ = writeln!(
                    out,
                    "    {} [shape=parallelogram, label=\"GET, DELETE /queues/{name}/messages\"];",
                    node_id("p", &domain.name, name)
                );
            }
        }
        out.push_str("  }\n");
    }
    for (domain, topics) in external {
        let _ = writeln!(
            out,
            "  subgraph \"cluster_{domain}\" {{\n    label=\"{domain} (other repo)\";\n    style=dashed;"
        );
        for topic in topics {
            let _ = writeln!(out, "    {} [shape=hexagon, label=\"topic {topic}\"];", node_id("t", domain, topic));
        }
        out.push_str("  }\n");
    }
    for edge in edges {
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
