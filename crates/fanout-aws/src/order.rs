//! The order of a multi-stack deploy: producers before the domains that subscribe to their
//! topics, independent domains side by side, and no dependents of a failed domain.
//!
//! Pure: a [`Schedule`] is driven by its caller (`deploy.rs`), which starts what is ready
//! and reports what finished.

use std::collections::{BTreeMap, BTreeSet};

use fanout::diagnostic::quote_list;
use fanout::{Name, Project};

/// A subscription cycle between domains: none of them can be deployed first.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("Domains {} subscribe to each other's topics, so none can be deployed first", quote_list(.domains))]
pub struct CycleError {
    pub(crate) domains: Vec<Name>,
}

#[derive(Clone, Debug, PartialEq, Eq)]
enum Status {
    Pending,
    Running,
    Succeeded,
    Failed,
    Skipped { because: Name },
}

/// Which domains of a deploy may start, given what has finished.
#[derive(Clone, Debug)]
pub(crate) struct Schedule {
    /// Each domain's producers within this deploy.
    depends_on: BTreeMap<Name, BTreeSet<Name>>,
    status: BTreeMap<Name, Status>,
}

impl Schedule {
    /// The schedule for deploying `selected` domains of `project`. Domains outside the
    /// selection are assumed deployed (their topics are checked in pre-flight).
    pub(crate) fn new(project: &Project, selected: &[Name]) -> Result<Self, CycleError> {
        let chosen: BTreeSet<&Name> = selected.iter().collect();
        let mut depends_on = BTreeMap::new();
        for name in &chosen {
            let mut producers = BTreeSet::new();
            if let Some(domain) = project.domains.get(*name) {
                for queue in domain.queues.values() {
                    for subscription in &queue.subscriptions {
                        let producer = &subscription.topic.domain;
                        if producer != *name && chosen.contains(producer) {
                            producers.insert(producer.clone());
                        }
                    }
                }
            }
            depends_on.insert((*name).clone(), producers);
        }
        let schedule =
            Self { status: depends_on.keys().map(|name| (name.clone(), Status::Pending)).collect(), depends_on };
        schedule.check_cycles()?;
        Ok(schedule)
    }

    fn check_cycles(&self) -> Result<(), CycleError> {
        // Kahn: whatever cannot be ordered sits on or behind a cycle.
        let mut done: BTreeSet<&Name> = BTreeSet::new();
        loop {
            let next: Vec<&Name> = self
                .depends_on
                .iter()
                .filter(|(name, deps)| !done.contains(name) && deps.iter().all(|d| done.contains(d)))
                .map(|(name, _)| name)
                .collect();
            if next.is_empty() {
                break;
            }
            done.extend(next);
        }
        let stuck: Vec<Name> = self.depends_on.keys().filter(|name| !done.contains(name)).cloned().collect();
        if stuck.is_empty() { Ok(()) } else { Err(CycleError { domains: stuck }) }
    }

    /// Domains whose producers have all succeeded and that have not started, by name.
    pub(crate) fn ready(&self) -> Vec<Name> {
        self.status
            .iter()
            .filter(|(name, status)| {
                **status == Status::Pending
                    && self
                        .depends_on
                        .get(*name)
                        .into_iter()
                        .flatten()
                        .all(|d| self.status.get(d) == Some(&Status::Succeeded))
            })
            .map(|(name, _)| name.clone())
            .collect()
    }

    pub(crate) fn start(&mut self, domain: &Name) {
        if let Some(status) = self.status.get_mut(domain) {
            *status = Status::Running;
        }
    }

    /// Records how `domain` ended. After a failure, returns every domain that now cannot be
    /// deployed, with the failed producer it waited for, in order.
    pub(crate) fn finish(&mut self, domain: &Name, succeeded: bool) -> Vec<(Name, Name)> {
        let status = if succeeded { Status::Succeeded } else { Status::Failed };
        self.status.insert(domain.clone(), status);
        let mut skipped = Vec::new();
        if succeeded {
            return skipped;
        }
        let mut blocked = vec![domain.clone()];
        while let Some(failed) = blocked.pop() {
            for (name, deps) in &self.depends_on {
                if deps.contains(&failed) && self.status.get(name) == Some(&Status::Pending) {
                    self.status.insert(name.clone(), Status::Skipped { because: domain.clone() });
                    skipped.push((name.clone(), domain.clone()));
                    blocked.push(name.clone());
                }
            }
        }
        skipped
    }

    /// Whether nothing is pending or running any more.
    pub(crate) fn is_finished(&self) -> bool {
        self.status.values().all(|s| !matches!(s, Status::Pending | Status::Running))
    }

    /// The domains in one valid deploy order, for display.
    pub(crate) fn order(&self) -> Vec<Name> {
        let mut sim = self.clone();
        let mut order = Vec::new();
        loop {
            let ready = sim.ready();
            if ready.is_empty() {
                return order;
            }
            for name in ready {
                sim.finish(&name, true);
                order.push(name);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use fanout::{Queue, Subscription, TopicRef};

    fn name(text: &str) -> Name {
        Name::new(text).unwrap()
    }

    /// A project where each `(consumer, producer)` pair is a subscription.
    fn project(domains: &[&str], edges: &[(&str, &str)]) -> Project {
        let mut project = Project::default();
        for domain in domains {
            let mut queues = std::collections::BTreeMap::new();
            let subscriptions: Vec<Subscription> = edges
                .iter()
                .filter(|(consumer, _)| consumer == domain)
                .map(|(_, producer)| Subscription {
                    topic: TopicRef::new(name(producer), name("events")),
                    raw_message_delivery: false,
                    filter: None,
                })
                .collect();
            if !subscriptions.is_empty() {
                queues.insert(name("inbox"), Queue { subscriptions, ..Queue::default() });
            }
            project.add(fanout::Domain {
                name: name(domain),
                description: None,
                owner: None,
                tags: Default::default(),
                encryption: Default::default(),
                alerts: None,
                http: Default::default(),
                topics: Default::default(),
                queues,
            });
        }
        project
    }

    fn names(list: &[&str]) -> Vec<Name> {
        list.iter().map(|n| name(n)).collect()
    }

    #[test]
    fn seed_domains_deploy_producers_first() {
        let project =
            project(&["ingestion", "reporting", "scoring"], &[("scoring", "ingestion"), ("reporting", "scoring")]);
        let schedule = Schedule::new(&project, &names(&["ingestion", "reporting", "scoring"])).unwrap();
        assert_eq!(schedule.order(), names(&["ingestion", "scoring", "reporting"]));
        assert_eq!(schedule.ready(), names(&["ingestion"]));
    }

    #[test]
    fn independent_domains_are_ready_together() {
        let project = project(&["a", "b", "c"], &[("c", "a")]);
        let mut schedule = Schedule::new(&project, &names(&["a", "b", "c"])).unwrap();
        assert_eq!(schedule.ready(), names(&["a", "b"]));
        schedule.start(&name("a"));
        schedule.start(&name("b"));
        assert_eq!(schedule.ready(), names(&[]));
        schedule.finish(&name("a"), true);
        assert_eq!(schedule.ready(), names(&["c"]));
    }

    #[test]
    fn failure_skips_dependents_not_unrelated_domains() {
        let project = project(&["a", "b", "c", "d"], &[("c", "a"), ("d", "c")]);
        let mut schedule = Schedule::new(&project, &names(&["a", "b", "c", "d"])).unwrap();
        schedule.start(&name("a"));
        schedule.start(&name("b"));
        let skipped = schedule.finish(&name("a"), false);
        assert_eq!(skipped, [(name("c"), name("a")), (name("d"), name("a"))]);
        assert!(!schedule.is_finished());
        schedule.finish(&name("b"), true);
        assert!(schedule.is_finished());
    }

    #[test]
    fn producers_outside_the_selection_do_not_order() {
        let project = project(&["ingestion", "scoring"], &[("scoring", "ingestion")]);
        let schedule = Schedule::new(&project, &names(&["scoring"])).unwrap();
        assert_eq!(schedule.ready(), names(&["scoring"]));
    }

    #[test]
    fn cycles_are_reported() {
        let project = project(&["a", "b", "c"], &[("a", "b"), ("b", "a")]);
        let err = Schedule::new(&project, &names(&["a", "b", "c"])).unwrap_err();
        assert_eq!(err.to_string(), "Domains `a`, `b` subscribe to each other's topics, so none can be deployed first");
    }
}
