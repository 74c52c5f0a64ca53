//! The Rust API and the manifests are two doors into one model: the seed domains built in
//! Rust synthesize to the same bytes as `domains/`, misuse gets the manifest's diagnostics
//! (without positions), and no input makes the builder panic.

use std::path::{Path, PathBuf};

use fanout::build::{AlertsBuilder, AttributeBuilder, DomainBuilder, QueueBuilder, SubscriptionBuilder, TopicBuilder};
use fanout::model::DeadLetter;
use fanout::{Diagnostic, Diagnostics, Duration, Encryption, Project, Settings, Source};
use proptest::prelude::*;
use serde_json::json;

fn repo_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("..")
}

/// `domains/ingestion.yaml`, in Rust.
fn ingestion() -> DomainBuilder {
    DomainBuilder::new("ingestion")
        .description("Collects raw customer inputs and announces when a customer's inputs are complete")
        .owner("team-ingestion")
        .tag("cost-center", "4711")
        .alerts(AlertsBuilder::email("oncall-ingestion@example.com"))
        .topic(
            TopicBuilder::fifo("scoring-inputs-ready")
                .description("All inputs of a customer are stored and can be scored")
                .content_based_deduplication(true)
                .http(true)
                .schema("schemas/scoring-inputs-ready.json")
                .attribute("event_type", AttributeBuilder::string().values(["InputsReady"])),
        )
}

/// `domains/scoring.yaml`, in Rust.
fn scoring() -> DomainBuilder {
    DomainBuilder::new("scoring")
        .description("Scores customers once their inputs are ready")
        .owner("team-scoring")
        .tag("cost-center", "4712")
        .encryption(Encryption::CustomerKey)
        .alerts(AlertsBuilder::email("oncall-scoring@example.com"))
        .topic(
            TopicBuilder::fifo("scores-published")
                .description("A customer's new score is available")
                .content_based_deduplication(true)
                .schema("schemas/scores-published.json")
                .attribute("segment", AttributeBuilder::string().values(["premium", "enterprise", "standard"]))
                .attribute("score", AttributeBuilder::number()),
        )
        .queue(
            QueueBuilder::fifo("scoring-runs")
                .description("One message per customer whose inputs are ready")
                .visibility_timeout(Duration::from_mins(15))
                .retention(Duration::from_days(4))
                .dead_letter(DeadLetter { max_receive_count: 5, ..DeadLetter::default() })
                .http(true)
                .subscribe(
                    SubscriptionBuilder::from("ingestion/scoring-inputs-ready")
                        .raw_message_delivery(true)
                        .filter_attributes(json!({ "event_type": ["InputsReady"] })),
                ),
        )
}

/// `domains/reporting.yaml`, in Rust.
fn reporting() -> DomainBuilder {
    DomainBuilder::new("reporting")
        .description("Builds the daily reports from published scores")
        .owner("team-reporting")
        .alerts(AlertsBuilder::email("oncall-reporting@example.com"))
        .queue(
            QueueBuilder::fifo("score-updates")
                .description("High scores of the premium segments, for the daily report")
                .visibility_timeout(Duration::from_mins(5))
                .subscribe(
                    SubscriptionBuilder::from("scoring/scores-published").raw_message_delivery(true).filter_attributes(
                        json!({ "segment": ["premium", "enterprise"], "score": [{ "numeric": [">=", 700] }] }),
                    ),
                ),
        )
}

#[test]
fn seed_domains_built_in_rust_synthesize_to_the_same_bytes_as_the_manifests() {
    let root = repo_root();
    let (loaded, diagnostics) = fanout::load::load_project(Some(&root.join("fanout.yaml")), &root.join("domains"))
        .expect("domains/ is readable");
    assert!(!diagnostics.has_errors(), "domains/ has errors:\n{diagnostics}");
    let loaded = loaded.expect("no errors, so a project");

    // The schemas are read as a manifest's are: beside the manifests, inside the repo.
    let (built, diagnostics) = Project::from_builders_with_schemas(
        Settings::new("/fanout", ["dev", "prod"]).expect("valid settings"),
        [ingestion(), scoring(), reporting()],
        &root.join("domains"),
        &fanout::load::schema_reader(&root),
    );
    let built = built.unwrap_or_else(|| panic!("{diagnostics}"));
    assert_eq!(built.settings, loaded.settings, "the settings in Rust are `fanout.yaml`'s");
    assert!(!built.validate().has_errors(), "{}", built.validate());

    let names: Vec<&str> = loaded.domains.keys().map(|name| name.as_str()).collect();
    assert_eq!(names, ["ingestion", "reporting", "scoring"], "a seed domain without a Rust twin");
    for (name, domain) in &loaded.domains {
        assert_eq!(built.domains.get(name), Some(domain), "domain `{name}` differs in the model");
    }
    for stage in &loaded.settings.stages {
        for name in &names {
            let from_manifest = loaded.template(name, stage.as_str()).expect("known domain and stage").to_json();
            let from_rust = built.template(name, stage.as_str()).expect("known domain and stage").to_json();
            assert!(from_rust == from_manifest, "templates of `{name}` for `{stage}` differ");
        }
    }
}

/// `tests/fixtures/good/alerts.yaml`, in Rust.
fn alerts() -> DomainBuilder {
    DomainBuilder::new("alerts")
        .alerts(
            AlertsBuilder::email("oncall@team.example")
                .and_email("lead@team.example")
                .oldest_message_age(Duration::from_mins(30)),
        )
        .topic(TopicBuilder::standard("results-ready"))
        .queue(QueueBuilder::standard("inbox").subscribe("results-ready"))
        .queue(
            QueueBuilder::standard("slow-batch")
                .oldest_message_age_alarm(Duration::from_hours(2))
                .subscribe("fifo-producer/events"),
        )
}

/// `tests/fixtures/good/alerts-existing-topic.yaml`, in Rust.
fn alerts_existing_topic() -> DomainBuilder {
    DomainBuilder::new("alerts-existing-topic")
        .encryption(Encryption::ServiceManaged)
        .alerts(AlertsBuilder::topic_arn("arn:aws:sns:eu-west-1:123456789012:platform-oncall"))
        .queue(QueueBuilder::standard("audit").without_dead_letter().subscribe("minimal/orders-placed"))
}

/// `tests/fixtures/good/contract.yaml`, in Rust.
fn contract() -> DomainBuilder {
    DomainBuilder::new("contract").topic(TopicBuilder::standard("orders").schema("schemas/contract-orders.json"))
}

/// `tests/fixtures/good/http.yaml`, in Rust.
fn http() -> DomainBuilder {
    DomainBuilder::new("http")
        .topic(TopicBuilder::standard("orders").http(true).schema("schemas/http-orders.json"))
        .topic(TopicBuilder::fifo("payments").http(true))
        .topic(TopicBuilder::fifo("shipments").content_based_deduplication(true).http(true))
        .topic(TopicBuilder::standard("internal"))
}

#[test]
fn alerts_schemas_and_publish_endpoints_built_in_rust_synthesize_to_the_same_bytes_as_the_fixtures() {
    let good = repo_root().join("tests/fixtures/good");
    let (loaded, diagnostics) =
        fanout::load::load_project(Some(&good.join("fanout.yaml")), &good).expect("fixtures are readable");
    let loaded = loaded.unwrap_or_else(|| panic!("the good fixtures have errors:\n{diagnostics}"));

    let (built, diagnostics) = Project::from_builders_with_schemas(
        loaded.settings.clone(),
        [alerts(), alerts_existing_topic(), contract(), http()],
        &good,
        &fanout::load::schema_reader(&good),
    );
    let built = built.unwrap_or_else(|| panic!("{diagnostics}"));
    for (name, domain) in &built.domains {
        assert_eq!(loaded.domains.get(name), Some(domain), "domain `{name}` differs in the model");
        // The same repo around it, so cross-domain lookups are the same too.
        let mut mixed = loaded.clone();
        mixed.add(domain.clone());
        for stage in &loaded.settings.stages {
            let from_manifest =
                loaded.template(name.as_str(), stage.as_str()).expect("known domain and stage").to_json();
            let from_rust = mixed.template(name.as_str(), stage.as_str()).expect("known domain and stage").to_json();
            assert!(from_rust == from_manifest, "templates of `{name}` for `{stage}` differ");
        }
    }
    assert_eq!(built.domains.len(), 4);
    assert!(built.template("contract", "dev").expect("known").resources.contains_key("OrdersTopicSchemaParameter"));
    assert!(built.template("http", "dev").expect("known").resources.contains_key("OrdersTopicPublishModel"));
}

#[test]
fn a_schema_without_a_reader_is_reported_not_dropped() {
    let (project, diagnostics) = Project::from_builders(Settings::default(), [contract()]);
    assert!(project.is_none());
    let messages: Vec<String> = diagnostics.iter().map(|d| format!("{}: {}", d.path, d.message)).collect();
    assert_eq!(messages, ["topics.orders.schema: schema `schemas/contract-orders.json` was not read"]);
}

#[test]
fn bad_schemas_built_in_rust_get_the_manifest_diagnostics() {
    let manifest =
        "domain: billing\ntopics:\n  a: { schema: a.json }\n  b: { schema: b.json }\n  c: { schema: /abs.json }\n";
    let read = |path: &Path| match path.file_name().and_then(|name| name.to_str()) {
        Some("a.json") => Some(Ok("{ not json".to_string())),
        Some("b.json") => Some(Ok(r#"{ "type": 12 }"#.to_string())),
        _ => Some(Err("missing".to_string())),
    };
    let source = Source { path: PathBuf::from("domains/billing.yaml"), text: manifest.to_string() };
    let (_, from_manifest) = Project::from_sources_with_schemas(None, &[source], &read);
    let rust = DomainBuilder::new("billing")
        .topics(["a", "b"].map(|t| TopicBuilder::standard(t).schema(format!("{t}.json"))))
        .topic(TopicBuilder::standard("c").schema("/abs.json"));
    let (_, from_rust) = Project::from_builders_with_schemas(Settings::default(), [rust], Path::new("domains"), &read);
    assert_same_diagnostics(from_manifest, from_rust);
}

#[test]
fn alerts_misuse_gets_the_manifest_diagnostics() {
    let manifest = "domain: billing
encryption: service-managed
alerts:
  email: [oncall, oncall]
  topic_arn: arn:aws:sqs:eu-west-1:123456789012:oncall
  oldest_message_age: 30s
queues:
  inbox:
    alerts: { oldest_message_age: 15d }
";
    let rust = DomainBuilder::new("billing")
        .encryption(Encryption::ServiceManaged)
        .alerts(
            AlertsBuilder::email("oncall")
                .and_email("oncall")
                .and_topic_arn("arn:aws:sqs:eu-west-1:123456789012:oncall")
                .oldest_message_age(Duration::from_secs(30)),
        )
        .queue(QueueBuilder::standard("inbox").oldest_message_age_alarm(Duration::from_days(15)));
    assert_same_diagnostics(
        through_manifests(None, &[("billing", manifest)]),
        through_rust(Settings::default(), vec![rust]),
    );

    // A queue threshold without recipients on the domain.
    let manifest = "domain: billing\nqueues:\n  inbox:\n    alerts: { oldest_message_age: 30m }\n";
    let rust = DomainBuilder::new("billing")
        .queue(QueueBuilder::standard("inbox").oldest_message_age_alarm(Duration::from_mins(30)));
    assert_same_diagnostics(
        through_manifests(None, &[("billing", manifest)]),
        through_rust(Settings::default(), vec![rust]),
    );
}

/// A diagnostic as both doors must agree on it: no position, and no domain (a manifest's
/// parse errors have none; the builder names it, see `api_diagnostics_have_no_positions`).
fn comparable(diagnostics: Diagnostics) -> Vec<Diagnostic> {
    let mut diagnostics: Diagnostics = diagnostics
        .into_iter()
        .map(|mut diagnostic| {
            diagnostic.location = None;
            diagnostic.domain = None;
            diagnostic
        })
        .collect();
    diagnostics.sort();
    diagnostics.into_iter().collect()
}

/// What `fanout validate` reports for these manifest files.
fn through_manifests(settings: Option<&str>, files: &[(&str, &str)]) -> Diagnostics {
    let settings = settings.map(|text| Source { path: PathBuf::from("fanout.yaml"), text: text.to_string() });
    let sources: Vec<Source> = files
        .iter()
        .map(|(name, text)| Source { path: PathBuf::from(format!("domains/{name}.yaml")), text: text.to_string() })
        .collect();
    Project::from_sources(settings.as_ref(), &sources).1
}

/// What the Rust API reports for the same domains.
fn through_rust(settings: Settings, domains: Vec<DomainBuilder>) -> Diagnostics {
    let (_, diagnostics) = Project::from_builders(settings, domains);
    for diagnostic in &diagnostics {
        assert!(diagnostic.location.is_none(), "a Rust-built domain has no file: {diagnostic}");
        assert!(diagnostic.domain.is_some(), "a diagnostic names no domain: {diagnostic}");
    }
    diagnostics
}

#[track_caller]
fn assert_same_diagnostics(manifest: Diagnostics, rust: Diagnostics) {
    assert!(!manifest.is_empty(), "the case reports nothing, so it proves nothing");
    let (manifest, rust) = (comparable(manifest), comparable(rust));
    let render = |d: &[Diagnostic]| d.iter().map(|d| format!("{d}\n")).collect::<String>();
    assert!(manifest == rust, "manifest:\n{}\nRust:\n{}", render(&manifest), render(&rust));
}

#[test]
fn invalid_names_get_the_manifest_diagnostics() {
    let manifest = "domain: Billing\ntopics:\n  Invoices_Issued: {}\nqueues:\n  inbox--x: {}\n";
    let rust = DomainBuilder::new("Billing")
        .topic(TopicBuilder::standard("Invoices_Issued"))
        .queue(QueueBuilder::standard("inbox--x"));
    assert_same_diagnostics(
        through_manifests(None, &[("Billing", manifest)]),
        through_rust(Settings::default(), vec![rust]),
    );
}

#[test]
fn out_of_range_settings_get_the_manifest_diagnostics() {
    let manifest = "domain: billing
description: x
queues:
  inbox:
    fifo: true
    visibility_timeout: 13h
    retention: 30s
    receive_wait: 21s
    delay: 16m
    dead_letter: { max_receive_count: 0, retention: 15d }
  other:
    dead_letter: { max_receive_count: 1001 }
";
    let rust = DomainBuilder::new("billing")
        .description("x")
        .queue(
            QueueBuilder::fifo("inbox")
                .visibility_timeout(Duration::from_hours(13))
                .retention(Duration::from_secs(30))
                .receive_wait(Duration::from_secs(21))
                .delay(Duration::from_mins(16))
                .dead_letter(DeadLetter { max_receive_count: 0, retention: Duration::from_days(15) }),
        )
        .queue(
            QueueBuilder::standard("other")
                .dead_letter(DeadLetter { max_receive_count: 1001, ..DeadLetter::default() }),
        );
    assert_same_diagnostics(
        through_manifests(None, &[("billing", manifest)]),
        through_rust(Settings::default(), vec![rust]),
    );
}

#[test]
fn bad_filters_and_topic_references_get_the_manifest_diagnostics() {
    let manifest = "domain: billing
queues:
  inbox:
    subscriptions:
      - topic: ingestion/a
        filter: { attributes: {} }
      - topic: ingestion/b
        filter: { attributes: { kind: { nested: [x] } } }
      - topic: ingestion/c
        filter: { body: { a: [1], b: [1], c: [1], d: [1], e: [1], f: [1] } }
      - topic: ingestion/d
        filter: { attributes: { kind: x } }
      - topic: ingestion/a
      - topic: Ingestion/e
      - topic: a/b/c
      - topic: invoices
";
    let rust = DomainBuilder::new("billing").queue(
        QueueBuilder::standard("inbox")
            .subscribe(SubscriptionBuilder::from("ingestion/a").filter_attributes(json!({})))
            .subscribe(
                SubscriptionBuilder::from("ingestion/b").filter_attributes(json!({ "kind": { "nested": ["x"] } })),
            )
            .subscribe(
                SubscriptionBuilder::from("ingestion/c")
                    .filter_body(json!({ "a": [1], "b": [1], "c": [1], "d": [1], "e": [1], "f": [1] })),
            )
            .subscribe(SubscriptionBuilder::from("ingestion/d").filter_attributes(json!({ "kind": "x" })))
            .subscribe("ingestion/a")
            .subscribe("Ingestion/e")
            .subscribe("a/b/c")
            .subscribe("invoices"),
    );
    assert_same_diagnostics(
        through_manifests(None, &[("billing", manifest)]),
        through_rust(Settings::default(), vec![rust]),
    );
}

#[test]
fn a_filter_policy_that_is_not_a_mapping_gets_the_manifest_diagnostic() {
    let manifest = "domain: billing
queues:
  inbox:
    subscriptions:
      - topic: ingestion/a
        filter: { attributes: [x] }
";
    let rust = DomainBuilder::new("billing").queue(
        QueueBuilder::standard("inbox")
            .subscribe(SubscriptionBuilder::from("ingestion/a").filter_attributes(json!(["x"]))),
    );
    assert_same_diagnostics(
        through_manifests(None, &[("billing", manifest)]),
        through_rust(Settings::default(), vec![rust]),
    );
}

#[test]
fn tags_owner_and_keys_get_the_manifest_diagnostics() {
    let manifest = "domain: billing
owner: \"team billing!\"
tags: { owner: x, \"aws:team\": y }
encryption: { kms_key: alias/aws/sqs }
queues:
  inbox:
    subscriptions: [{ topic: ingestion/a }]
";
    let rust = DomainBuilder::new("billing")
        .owner("team billing!")
        .tags([("owner", "x"), ("aws:team", "y")])
        .encryption(Encryption::ExistingKey("alias/aws/sqs".to_string()))
        .queue(QueueBuilder::standard("inbox").subscribe("ingestion/a"));
    assert_same_diagnostics(
        through_manifests(None, &[("billing", manifest)]),
        through_rust(Settings::default(), vec![rust]),
    );

    // A key managed elsewhere is only a warning, and the domain is built.
    let manifest = "domain: billing\nencryption: { kms_key: alias/team }\nqueues:\n  inbox:\n    subscriptions: [{ topic: ingestion/a }]\n";
    let rust = DomainBuilder::new("billing")
        .encryption(Encryption::ExistingKey("alias/team".to_string()))
        .queue(QueueBuilder::standard("inbox").subscribe("ingestion/a"));
    assert!(rust.build().is_ok());
    assert_same_diagnostics(
        through_manifests(None, &[("billing", manifest)]),
        through_rust(Settings::default(), vec![rust]),
    );
}

#[test]
fn limits_and_collisions_get_the_manifest_diagnostics() {
    let long = "q".repeat(70);
    let subscriptions: String = (0..20).map(|i| format!("      - topic: ingestion/t{i}\n")).collect();
    let manifest = format!(
        "domain: billing\ndescription: {}\ntopics:\n  a-1b: {{}}\n  a1b: {{}}\nqueues:\n  {long}: {{}}\n  wide:\n    subscriptions:\n{subscriptions}",
        "d".repeat(1025)
    );
    let rust = DomainBuilder::new("billing")
        .description("d".repeat(1025))
        .topics([TopicBuilder::standard("a-1b"), TopicBuilder::standard("a1b")])
        .queue(QueueBuilder::standard(long.clone()))
        .queue((0..20).fold(QueueBuilder::standard("wide"), |queue, i| queue.subscribe(format!("ingestion/t{i}"))));
    assert_same_diagnostics(
        through_manifests(None, &[("billing", &manifest)]),
        through_rust(Settings::default(), vec![rust]),
    );

    // Names fit in `dev` but not in the longest stage.
    let settings = "stages: [dev, production-eu-central]\n";
    let manifest = format!("domain: billing\nqueues:\n  {}: {{}}\n", "q".repeat(50));
    let rust = DomainBuilder::new("billing").queue(QueueBuilder::standard("q".repeat(50)));
    let rust_settings = Settings::new("/fanout", ["dev", "production-eu-central"]).expect("valid settings");
    assert_same_diagnostics(
        through_manifests(Some(settings), &[("billing", &manifest)]),
        through_rust(rust_settings, vec![rust]),
    );
}

#[test]
fn cross_domain_checks_run_for_domains_built_in_rust() {
    let ingestion_yaml = "domain: ingestion\ntopics:\n  raw-events: {}\n  ordered: { fifo: true }\n";
    let scoring_yaml = "domain: scoring
queues:
  inbox:
    fifo: true
    subscriptions: [{ topic: ingestion/raw-events }]
  audit:
    subscriptions: [{ topic: ingestion/raw-event }, { topic: ingestion/ordered }]
";
    let rust = vec![
        DomainBuilder::new("ingestion")
            .topic(TopicBuilder::standard("raw-events"))
            .topic(TopicBuilder::fifo("ordered")),
        DomainBuilder::new("scoring")
            .queue(QueueBuilder::fifo("inbox").subscribe("ingestion/raw-events"))
            .queue(QueueBuilder::standard("audit").subscribe("ingestion/raw-event").subscribe("ingestion/ordered")),
    ];
    let manifest = through_manifests(None, &[("ingestion", ingestion_yaml), ("scoring", scoring_yaml)]);
    assert!(manifest.iter().any(|d| d.message.contains("is FIFO but subscribes to standard topic")), "{manifest}");
    assert!(manifest.iter().any(|d| d.hint.as_deref() == Some("did you mean `ingestion/raw-events`?")), "{manifest}");
    assert_same_diagnostics(manifest, through_rust(Settings::default(), rust));
}

#[test]
fn settings_built_in_rust_get_the_manifest_diagnostics() {
    let manifest = through_manifests(Some("ssm_prefix: fanout/\nstages: [dev, Prod, dev]\n"), &[]);
    let rust = Settings::new("fanout/", ["dev", "Prod", "dev"]).expect_err("invalid settings");
    assert_same_diagnostics(manifest, rust);
}

#[test]
fn adding_a_topic_or_queue_twice_is_reported_not_merged() {
    let diagnostics = DomainBuilder::new("billing")
        .topic(TopicBuilder::standard("invoices"))
        .topic(TopicBuilder::fifo("invoices"))
        .queue(QueueBuilder::standard("inbox"))
        .queue(QueueBuilder::fifo("inbox"))
        .build()
        .expect_err("names added twice");
    let messages: Vec<String> = diagnostics.iter().map(|d| format!("{}: {}", d.path, d.message)).collect();
    assert_eq!(
        messages,
        ["topics.invoices: topic `invoices` is added twice", "queues.inbox: queue `inbox` is added twice"]
    );
}

#[test]
fn api_diagnostics_have_no_positions() {
    let diagnostics =
        DomainBuilder::new("billing").queue(QueueBuilder::standard("Inbox")).build().expect_err("bad name");
    insta::assert_snapshot!(diagnostics.to_string(), @r"
    error: invalid queue name `Inbox`: name `Inbox` must start with a lowercase letter
      --> domain `billing`
      = field: queues.Inbox
      hint: use lowercase letters, digits and single hyphens, starting with a letter: `scoring-runs`
    ");
}

#[test]
fn project_template_names_what_is_missing() {
    let mut project = Project::new(Settings::default());
    project.add(ingestion().build().expect("valid"));
    let err = project.template("billing", "dev").expect_err("no such domain");
    assert_eq!(err.to_string(), "Domain `billing` is not in the project; it has `ingestion`");
    let err = project.template("ingestion", "prod").expect_err("no such stage");
    assert_eq!(err.to_string(), "Stage `prod` is not configured; the stages are `dev`");
}

#[test]
fn to_manifest_round_trips_through_a_manifest_file() {
    for builder in [ingestion(), scoring(), reporting()] {
        // JSON is YAML, and the tests package has no YAML writer.
        let yaml = serde_json::to_string_pretty(&builder.to_manifest()).expect("serializable");
        let (manifest, diagnostics) = fanout::parse_manifest(&yaml, Path::new("x.yaml"));
        assert!(diagnostics.is_empty(), "{diagnostics}");
        let (domain, _) = fanout::Domain::from_manifest(&manifest.expect("parsed"));
        assert_eq!(domain, builder.build().ok());
    }
}

fn text() -> impl Strategy<Value = String> {
    prop_oneof![any::<String>(), "[a-z][a-z0-9-]{0,70}", "[a-zA-Z0-9/_:. -]{0,90}"]
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    /// Whatever the builder is given, it reports diagnostics; it never panics, and what it
    /// accepts synthesizes.
    #[test]
    fn the_builder_never_panics(
        domain in text(), topic in text(), queue in text(), subscription in text(),
        tag in (text(), text()), owner in text(), key in text(),
        secs in any::<u32>(), count in any::<u16>(), fifo in any::<bool>(),
    ) {
        let mut builder = DomainBuilder::new(domain)
            .owner(owner)
            .tag(tag.0, tag.1)
            .topic(TopicBuilder::fifo(topic.clone()).content_based_deduplication(fifo).http(!fifo))
            .topic(TopicBuilder::standard(topic).http(fifo));
        if fifo {
            builder = builder.encryption(Encryption::ExistingKey(key));
        }
        let subscription = SubscriptionBuilder::from(subscription).filter_body(json!({ "n": [secs] }));
        builder = builder.queue(
            QueueBuilder::standard(queue)
                .visibility_timeout(Duration::from_secs(secs))
                .retention(Duration::from_days(secs))
                .receive_wait(Duration::from_hours(secs))
                .delay(Duration::from_mins(secs))
                .dead_letter(DeadLetter { max_receive_count: count, retention: Duration::from_secs(secs) })
                .subscribe(subscription),
        );
        match builder.build() {
            Ok(domain) => {
                let mut project = Project::new(Settings::new("/fanout", ["dev", "prod"]).expect("valid settings"));
                let name = domain.name.to_string();
                project.add(domain);
                let _ = project.validate();
                let template = project.template(&name, "prod").expect("known domain and stage");
                prop_assert!(template.to_json().ends_with('\n'));
            }
            Err(diagnostics) => {
                prop_assert!(diagnostics.has_errors());
                for diagnostic in &diagnostics {
                    prop_assert!(diagnostic.location.is_none(), "{}", diagnostic);
                }
            }
        }
    }
}
