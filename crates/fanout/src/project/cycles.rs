//! Subscription cycles between domains: a domain's stack holds its topics and its
//! subscriptions together, so each producer must be deployed before its subscribers, and
//! domains that subscribe to each other in a circle cannot be ordered. `fanout deploy`
//! orders domains by the same edges (`fanout-aws`'s `order.rs`: a domain depends on the
//! other domains whose topics its queues subscribe to) and refuses a cycle; validate reports
//! each cycle first, whole, so the two always agree.

use std::collections::{BTreeMap, BTreeSet};

use crate::diagnostic::{Diagnostic, DiagnosticKind, Diagnostics, FieldPath};
use crate::name::Name;
use crate::project::Project;

/// An edge: `domain`'s queue subscribes (at `path`) to a topic of `producer`.
struct Edge {
    producer: Name,
    path: FieldPath,
    topic: String,
}

/// Every subscription cycle between the domains of `project`, one diagnostic each.
pub(crate) fn cycles(project: &Project) -> Diagnostics {
    let mut edges: BTreeMap<&Name, Vec<Edge>> = BTreeMap::new();
    for (name, domain) in &project.domains {
        let out = edges.entry(name).or_default();
        for (queue_name, queue) in &domain.queues {
            for (index, subscription) in queue.subscriptions.iter().enumerate() {
                let producer = &subscription.topic.domain;
                if producer != name && project.domains.contains_key(producer) {
                    let path = project.subscription_path(name, queue_name, index).key("topic");
                    out.push(Edge { producer: producer.clone(), path, topic: subscription.topic.to_string() });
                }
            }
        }
    }
    let mut diagnostics = Diagnostics::default();
    let mut reported: BTreeSet<Name> = BTreeSet::new();
    for start in edges.keys() {
        if reported.contains(*start) {
            continue;
        }
        if let Some(cycle) = shortest_cycle(&edges, start) {
            reported.extend(cycle.iter().map(|(domain, _)| (*domain).clone()));
            diagnostics.push(cycle_diagnostic(&cycle));
        }
    }
    diagnostics
}

/// The shortest cycle through `start`, as (domain, its edge to the next) steps; breadth
/// first, so the cycle named is the simplest one.
fn shortest_cycle<'a>(edges: &'a BTreeMap<&'a Name, Vec<Edge>>, start: &'a Name) -> Option<Vec<(&'a Name, &'a Edge)>> {
    let mut came_from: BTreeMap<&Name, (&Name, &Edge)> = BTreeMap::new();
    let mut queue = std::collections::VecDeque::from([start]);
    while let Some(domain) = queue.pop_front() {
        for edge in edges.get(domain).into_iter().flatten() {
            if &edge.producer == start {
                let mut steps = vec![(domain, edge)];
                let mut at = domain;
                while at != start {
                    let (previous, previous_edge) = came_from[at];
                    steps.push((previous, previous_edge));
                    at = previous;
                }
                steps.reverse();
                return Some(steps);
            }
            if let Some((producer, _)) = edges.get_key_value(&edge.producer)
                && !came_from.contains_key(producer)
                && *producer != start
            {
                came_from.insert(producer, (domain, edge));
                queue.push_back(producer);
            }
        }
    }
    None
}

fn cycle_diagnostic(cycle: &[(&Name, &Edge)]) -> Diagnostic {
    let (first, first_edge) = cycle[0];
    let mut chain = format!("`{first}`");
    for (_, edge) in cycle {
        chain.push_str(&format!(" → `{}` (`{}`)", edge.producer, edge.topic));
    }
    Diagnostic::error(
        DiagnosticKind::SubscriptionCycle,
        first_edge.path.clone(),
        format!("domains subscribe to each other's topics in a cycle: {chain}; `fanout deploy` cannot deploy any of them first"),
    )
    .with_hint("each domain's stack creates its topics with its subscriptions, so producers deploy first: move one of these topics into a domain outside the cycle, or drop one subscription")
    .in_domain(first.as_str())
}
