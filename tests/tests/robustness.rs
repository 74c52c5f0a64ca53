//! Whatever bytes a manifest holds, loading it reports diagnostics and never panics.

use std::path::PathBuf;

use fanout::{Project, Source};
use proptest::prelude::*;

fn load(text: String) -> fanout::Diagnostics {
    let source = Source { path: PathBuf::from("domains/fuzz.yaml"), text };
    let (_, diagnostics) = Project::from_sources(None, &[source]);
    diagnostics
}

/// YAML-ish text built from manifest fragments, so the cases reach past the parser into
/// the checks: real field names with wrong types, odd nesting and broken indentation.
fn yamlish() -> impl Strategy<Value = String> {
    let key = prop::sample::select(vec![
        "domain",
        "topics",
        "queues",
        "fifo",
        "subscriptions",
        "topic",
        "filter",
        "attributes",
        "body",
        "dead_letter",
        "max_receive_count",
        "visibility_timeout",
        "retention",
        "encryption",
        "kms_key",
        "tags",
        "owner",
        "- topic",
        "content_based_deduplication",
        "high_throughput",
        "raw_message_delivery",
        "fuzz",
    ]);
    let value = prop::sample::select(vec![
        "",
        "fuzz",
        "true",
        "no",
        "~",
        "[]",
        "{}",
        "-1",
        "99999999999999999999",
        "15m",
        "0s",
        "4d",
        "[a, 1]",
        "{ a: [1] }",
        "alias/aws/sqs",
        "a/b",
        "a/b/c",
        "\"x\"",
        "&anchor x",
        "*anchor",
        "!!binary aGk=",
        "|",
        "customer-key",
        "[[[[",
        "{{",
        "'",
        "\t",
    ]);
    let line =
        (0usize..8, key, value).prop_map(|(indent, key, value)| format!("{}{key}: {value}", "  ".repeat(indent)));
    prop::collection::vec(line, 0..40).prop_map(|lines| lines.join("\n"))
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    #[test]
    fn arbitrary_text_never_panics(text in any::<String>()) {
        load(text);
    }

    #[test]
    fn manifest_shaped_text_never_panics(text in yamlish()) {
        let text = format!("domain: fuzz\n{text}");
        let diagnostics = load(text);
        for diagnostic in &diagnostics {
            prop_assert!(diagnostic.location.is_some(), "{diagnostic}");
        }
    }

    #[test]
    fn arbitrary_bytes_read_from_disk_never_panic(bytes in prop::collection::vec(any::<u8>(), 0..512)) {
        let dir = std::env::temp_dir().join(format!("fanout-fuzz-{}", std::process::id()));
        std::fs::create_dir_all(&dir).expect("temp dir");
        std::fs::write(dir.join("fuzz.yaml"), &bytes).expect("write");
        // Invalid UTF-8 is a load error; anything else gives diagnostics.
        let _ = fanout::load::load_project(None, &dir);
    }
}

#[test]
fn an_empty_file_is_an_error_not_a_panic() {
    assert!(load(String::new()).has_errors());
}

#[test]
fn deep_nesting_is_an_error_not_a_stack_overflow() {
    for (open, close) in [("[", "]"), ("{a: ", "}"), ("- ", "")] {
        let depth = 100_000;
        let text = format!("domain: fuzz\ntags: {}x{}", open.repeat(depth), close.repeat(depth));
        assert!(load(text).has_errors());
    }
    let block: String = (0..1_000).map(|i| format!("{}a:\n", " ".repeat(i))).collect();
    assert!(load(format!("domain: fuzz\ntopics:\n{block}")).has_errors());
}

#[test]
fn a_huge_manifest_is_read_or_refused_cleanly() {
    // Many queues: every one is checked, and the diagnostics stay correct.
    let mut text = String::from("domain: fuzz\nqueues:\n");
    for i in 0..20_000 {
        text.push_str(&format!("  q{i}:\n    visibility_timeout: 99h\n"));
    }
    let diagnostics = load(text);
    let timeouts = diagnostics.iter().filter(|d| d.path.field() == Some("visibility_timeout")).count();
    assert_eq!(timeouts, 20_000);
    // The template would also be far over CloudFormation's resource and output limits.
    assert!(diagnostics.iter().any(|d| d.message.contains("resources; CloudFormation allows 500")));

    // Past the size limit, the file is refused before it is parsed.
    let dir = std::env::temp_dir().join(format!("fanout-huge-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("temp dir");
    let size = usize::try_from(fanout::load::MAX_MANIFEST_BYTES).expect("fits") + 1;
    std::fs::write(dir.join("huge.yaml"), "#".repeat(size)).expect("write");
    let (project, diagnostics) = fanout::load::load_project(None, &dir).expect("the folder is readable");
    assert!(project.is_none());
    let messages: Vec<&str> = diagnostics.iter().map(|d| d.message.as_str()).collect();
    assert_eq!(messages.len(), 1, "{messages:?}");
    assert!(messages[0].ends_with("huge.yaml` is larger than 4194304 bytes"), "{messages:?}");
    std::fs::remove_dir_all(&dir).ok();
}
