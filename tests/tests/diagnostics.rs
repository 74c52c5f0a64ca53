//! Diagnostics are whole and exact: every error of every file in one run, each at the line
//! and column of what is wrong, in the manifest's words. One test per way they were not.

// Test support: a scratch folder that cannot be made fails the test.
#![allow(clippy::expect_used, clippy::panic)]

use std::path::{Path, PathBuf};
use std::sync::mpsc;
use std::time::Duration;

use fanout::{DiagnosticKind, Diagnostics, Project, Source};

/// Each diagnostic as `kind file:line:column field`.
fn summary(diagnostics: &Diagnostics) -> Vec<String> {
    diagnostics
        .iter()
        .map(|d| {
            let at = d.location.as_ref().map(ToString::to_string).unwrap_or_default();
            format!("{} {at} {}", d.kind, d.path).trim_end().to_string()
        })
        .collect()
}

fn check(manifests: &[(&str, &str)]) -> Diagnostics {
    let sources: Vec<Source> =
        manifests.iter().map(|(path, text)| Source { path: PathBuf::from(path), text: (*text).to_string() }).collect();
    Project::from_sources(None, &sources).1
}

/// A scratch folder for one test, emptied first.
fn scratch(test: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("fanout-diagnostics-{}-{test}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).expect("create a scratch folder");
    dir
}

/// Loads the manifests folder `dir`, failing the test instead of hanging on it.
fn load(dir: &Path) -> (Option<Project>, Diagnostics) {
    let (send, receive) = mpsc::channel();
    let dir = dir.to_path_buf();
    std::thread::spawn(move || {
        let _ = send.send(fanout::load::load_project(None, &dir).expect("the folder is readable"));
    });
    receive.recv_timeout(Duration::from_secs(120)).expect("loading finishes instead of hanging")
}

const INGESTION: &str = "domain: ingestion\ntopics:\n  raw-events:\n";

#[test]
fn a_duplicate_key_is_reported_at_its_second_occurrence_with_its_field() {
    let diagnostics =
        check(&[("domains/shop.yaml", "domain: shop\nqueues:\n  inbox:\n  outbox:\n  inbox:\n    fifo: true\n")]);
    assert_eq!(summary(&diagnostics), ["duplicate-key domains/shop.yaml:5:3 queues.inbox"]);
    let hint = diagnostics.iter().next().and_then(|d| d.hint.clone());
    assert_eq!(hint.as_deref(), Some("the first `inbox` is on line 3; keep one, or merge the two"));
}

#[test]
fn an_unknown_top_level_key_hides_no_other_error_of_its_file() {
    let shop = "domain: shop\ntopic:\n  orders:\nqueues:\n  inbox:\n    visibility_timeout: 13h\n    fifo: maybe\n";
    assert_eq!(
        summary(&check(&[("domains/shop.yaml", shop)])),
        [
            "unknown-field domains/shop.yaml:2:1 topic",
            "duration-out-of-range domains/shop.yaml:6:5 queues.inbox.visibility_timeout",
            "wrong-type domains/shop.yaml:7:11 queues.inbox.fifo",
        ]
    );
}

#[test]
fn an_invalid_subscription_does_not_shift_the_next_ones_index_or_line() {
    let shop = "domain: shop\nqueues:\n  inbox:\n    subscriptions:\n      - topic: Not/valid\n      - topic: ingestion/no-such-topic\n";
    assert_eq!(
        summary(&check(&[("domains/ingestion.yaml", INGESTION), ("domains/shop.yaml", shop)])),
        [
            "invalid-topic-reference domains/shop.yaml:5:9 queues.inbox.subscriptions[0].topic",
            "unknown-topic domains/shop.yaml:6:9 queues.inbox.subscriptions[1].topic",
        ]
    );
    // The same through the Rust door: the path names the subscription as written.
    let (_, diagnostics) = Project::from_builders(
        fanout::Settings::default(),
        [
            fanout::build::DomainBuilder::new("ingestion").topic(fanout::build::TopicBuilder::standard("raw-events")),
            fanout::build::DomainBuilder::new("shop").queue(
                fanout::build::QueueBuilder::standard("inbox").subscribe("Not/valid").subscribe("ingestion/nope"),
            ),
        ],
    );
    let paths: Vec<String> = diagnostics.iter().map(|d| d.path.to_string()).collect();
    assert_eq!(paths, ["queues.inbox.subscriptions[0].topic", "queues.inbox.subscriptions[1].topic"]);
}

#[test]
fn a_byte_order_mark_is_read_as_nothing_in_every_file() {
    let diagnostics = check(&[("domains/ingestion.yaml", &format!("\u{feff}{INGESTION}"))]);
    assert!(diagnostics.is_empty(), "{diagnostics}");
    let dir = scratch("bom");
    std::fs::write(dir.join("ingestion.yaml"), format!("\u{feff}{INGESTION}")).expect("write");
    let (project, diagnostics) = load(&dir);
    assert!(project.is_some() && diagnostics.is_empty(), "{diagnostics}");
    let settings = fanout::parse_settings("\u{feff}stages: [dev, prod]\n", Path::new("fanout.yaml"));
    assert!(settings.1.is_empty() && settings.0.is_some_and(|s| s.stages.len() == 2));
    std::fs::remove_dir_all(&dir).ok();
}

#[test]
fn yaml_tags_are_refused_where_they_are_written() {
    let shop = "domain: shop\ndescription: !Sub \"${AWS::Region}\"\ntopics:\n  orders: !!python/object:os.system {}\n";
    assert_eq!(
        summary(&check(&[("domains/shop.yaml", shop)])),
        ["yaml-tag domains/shop.yaml:2:14 description", "yaml-tag domains/shop.yaml:4:11 topics.orders"]
    );
}

#[test]
fn a_manifest_that_is_not_utf8_is_an_error_with_its_line_and_byte() {
    let dir = scratch("utf8");
    std::fs::write(dir.join("shop.yaml"), b"domain: shop\ndescription: caf\xe9\n").expect("write");
    std::fs::write(dir.join("ingestion.yaml"), "domain: ingestion\ntopics: [x]\n").expect("write");
    let (project, diagnostics) = load(&dir);
    assert!(project.is_none());
    let shop = dir.join("shop.yaml");
    assert_eq!(
        summary(&diagnostics),
        [
            format!("wrong-type {}:2:9 topics", dir.join("ingestion.yaml").display()),
            format!("not-utf8 {}:2:17", shop.display())
        ]
    );
    let message = &diagnostics.iter().nth(1).expect("two").message;
    assert_eq!(
        message,
        &format!("`{}` is not UTF-8 text: byte 0xe9 at line 2, column 17 is not valid UTF-8", shop.display())
    );
    std::fs::remove_dir_all(&dir).ok();
}

#[test]
fn an_oversized_or_unreadable_manifest_hides_no_other_files_errors() {
    let dir = scratch("unreadable");
    let size = usize::try_from(fanout::load::MAX_MANIFEST_BYTES).expect("fits") + 1;
    std::fs::write(dir.join("huge.yaml"), "#".repeat(size)).expect("write");
    std::fs::create_dir(dir.join("folder.yaml")).expect("mkdir");
    std::fs::write(dir.join("shop.yaml"), "domain: shop\nowner: [x]\n").expect("write");
    #[cfg(unix)]
    std::os::unix::fs::symlink(dir.join("missing"), dir.join("broken.yml")).expect("symlink");
    let (project, diagnostics) = load(&dir);
    assert!(project.is_none());
    let kinds: Vec<DiagnosticKind> = diagnostics.iter().map(|d| d.kind).collect();
    let mut expected = vec![DiagnosticKind::NotAFile, DiagnosticKind::FileTooLarge, DiagnosticKind::WrongType];
    if cfg!(unix) {
        expected.insert(0, DiagnosticKind::NotAFile);
    }
    assert_eq!(kinds, expected, "{diagnostics}");
    std::fs::remove_dir_all(&dir).ok();
}

/// Reads are bounded by the limit and never wait on a pipe: a manifest linked to
/// `/dev/zero`, or a named pipe nobody writes to, is refused at once.
#[cfg(unix)]
#[test]
fn a_device_or_a_pipe_named_like_a_manifest_is_refused_without_reading_it() {
    let dir = scratch("devices");
    std::os::unix::fs::symlink("/dev/zero", dir.join("zero.yaml")).expect("symlink");
    let made = std::process::Command::new("mkfifo").arg(dir.join("pipe.yaml")).status();
    let pipe = made.is_ok_and(|status| status.success());
    let (_, diagnostics) = load(&dir);
    let messages: Vec<String> = diagnostics.iter().map(|d| d.message.clone()).collect();
    let mut expected = vec![format!("`{}` is a device, not a file", dir.join("zero.yaml").display())];
    if pipe {
        expected.insert(0, format!("`{}` is a named pipe, not a file", dir.join("pipe.yaml").display()));
    }
    assert_eq!(messages, expected);
    std::fs::remove_dir_all(&dir).ok();
}

#[test]
fn yml_and_upper_case_manifests_are_read_and_other_entries_are_warnings() {
    let dir = scratch("entries");
    std::fs::write(dir.join("ingestion.yml"), INGESTION).expect("write");
    std::fs::write(dir.join("shop.YAML"), "domain: shop\ntopics:\n  orders:\n    schema: schemas/orders.json\n")
        .expect("write");
    std::fs::create_dir(dir.join("schemas")).expect("mkdir");
    std::fs::write(dir.join("schemas/orders.json"), "{}").expect("write");
    std::fs::create_dir(dir.join("drafts")).expect("mkdir");
    std::fs::write(dir.join("notes.txt"), "").expect("write");
    std::fs::write(dir.join("README.md"), "").expect("write");
    std::fs::write(dir.join(".gitkeep"), "").expect("write");
    let (project, diagnostics) = load(&dir);
    let domains: Vec<String> = project.iter().flat_map(|p| p.domains.keys().map(ToString::to_string)).collect();
    assert_eq!(domains, ["ingestion", "shop"], "{diagnostics}");
    let warnings: Vec<String> =
        diagnostics.iter().map(|d| format!("{:?} {} {}", d.severity, d.kind, d.message)).collect();
    assert_eq!(
        warnings,
        [
            format!(
                "Warning stray-file `{}` is not a manifest, and no manifest names it",
                dir.join("drafts").display()
            ),
            format!(
                "Warning stray-file `{}` is not a manifest, and no manifest names it",
                dir.join("notes.txt").display()
            ),
        ]
    );
    std::fs::remove_dir_all(&dir).ok();
}

#[test]
fn wrong_values_are_pointed_at_and_described_in_yaml_words() {
    let shop = "domain: shop\ntags:\n  cost-center: 4711\nqueues:\n  inbox:\n    dead_letter:\n      max_receive_count: 70000\n";
    let diagnostics = check(&[("domains/shop.yaml", shop)]);
    let messages: Vec<String> = diagnostics
        .iter()
        .map(|d| format!("{} {}", d.location.as_ref().map(ToString::to_string).unwrap_or_default(), d.message))
        .collect();
    assert_eq!(
        messages,
        [
            "domains/shop.yaml:3:16 wrong type: expected a string, found the number `4711`",
            "domains/shop.yaml:7:7 `max_receive_count` is 70000, outside what AWS allows",
        ]
    );
}
