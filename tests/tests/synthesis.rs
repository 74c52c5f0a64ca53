//! Properties of synthesis that reviewers rely on: byte-identical output for the same
//! input, and logical IDs that do not move when unrelated things are added.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::path::PathBuf;

use fanout::{Project, Source};

fn project(manifests: &[&str]) -> Project {
    let sources: Vec<Source> = manifests
        .iter()
        .map(|text| {
            let domain = text.lines().next().and_then(|l| l.strip_prefix("domain: ")).expect("domain line");
            Source { path: PathBuf::from(format!("domains/{domain}.yaml")), text: (*text).to_string() }
        })
        .collect();
    let (project, diagnostics) = Project::from_sources(None, &sources);
    project.unwrap_or_else(|| panic!("invalid: {diagnostics:?}"))
}

fn template(project: &Project, domain: &str) -> serde_json::Value {
    let domain = &project.domains[&fanout::Name::new(domain).expect("name")];
    fanout::synth(project, domain, &project.settings.stages[0]).to_value()
}

const SCORING: &str = "domain: scoring\ntopics:\n  scores:\n    fifo: true\nqueues:\n  runs:\n    fifo: true\n    subscriptions:\n      - topic: ingestion/ready\n";

#[test]
fn same_manifests_give_byte_identical_templates() {
    let render = || {
        let project = project(&[SCORING]);
        let domain = project.domains.values().next().expect("a domain");
        fanout::synth(&project, domain, &project.settings.stages[0]).to_json()
    };
    let first = render();
    for _ in 0..5 {
        assert_eq!(render(), first);
    }
}

#[test]
fn adding_a_queue_and_a_topic_leaves_existing_resources_untouched() {
    let before = template(&project(&[SCORING]), "scoring");
    let more = format!("{SCORING}  audit:\n    subscriptions:\n      - topic: scores\n")
        .replace("topics:\n", "topics:\n  alerts:\n");
    let after = template(&project(&[&more]), "scoring");
    for (id, resource) in before["Resources"].as_object().expect("resources") {
        // The key policy lists the topics SNS may use the key for, so it grows; the
        // resource's identity does not.
        if id == "Key" {
            assert!(after["Resources"].get(id).is_some());
            continue;
        }
        assert_eq!(after["Resources"].get(id), Some(resource), "{id} changed");
    }
    for id in ["AlertsTopic", "AuditQueue", "AuditToScoringScoresSubscription"] {
        assert!(after["Resources"].get(id).is_some(), "{id} missing");
    }
}

#[test]
fn templates_hold_no_account_ids_regions_or_exports() {
    let text = serde_json::to_string(&template(&project(&[SCORING]), "scoring")).expect("json");
    assert!(!text.contains("Fn::ImportValue"));
    assert!(!text.contains("\"Export\""));
    assert!(!text.contains("us-east-1"));
    assert!(!text.chars().collect::<Vec<_>>().windows(12).any(|w| w.iter().all(char::is_ascii_digit)));
}

#[test]
fn other_domains_topics_are_read_from_ssm_parameters() {
    let project = project(&[SCORING]);
    let template = template(&project, "scoring");
    let parameter = &template["Parameters"]["IngestionReadyTopicArn"];
    assert_eq!(parameter["Type"], "AWS::SSM::Parameter::Value<String>");
    assert_eq!(parameter["Default"], "/fanout/dev/ingestion/topics/ready/arn");
    let subscription = &template["Resources"]["RunsToIngestionReadySubscription"]["Properties"];
    assert_eq!(subscription["TopicArn"], serde_json::json!({ "Ref": "IngestionReadyTopicArn" }));
    assert_eq!(
        template["Resources"]["ScoresTopicArnParameter"]["Properties"]["Name"],
        "/fanout/dev/scoring/topics/scores/arn"
    );
}

#[test]
fn no_policy_allows_a_wildcard_principal_or_action() {
    let template = template(&project(&[SCORING]), "scoring");
    let mut statements = Vec::new();
    for resource in template["Resources"].as_object().expect("resources").values() {
        for key in ["PolicyDocument", "KeyPolicy"] {
            if let Some(statement) = resource["Properties"][key]["Statement"].as_array() {
                statements.extend(statement.iter().cloned());
            }
        }
    }
    assert!(statements.len() >= 5);
    for statement in statements.iter().filter(|s| s["Effect"] == "Allow") {
        assert_ne!(statement["Principal"], "*", "{statement}");
        assert_ne!(statement["Principal"]["AWS"], "*", "{statement}");
        let action = statement["Action"].to_string();
        assert!(!action.contains("\"*\"") && !action.contains("sqs:*") && !action.contains("sns:*"), "{statement}");
    }
}
