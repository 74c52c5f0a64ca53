//! fanout on repos written by someone it must not trust: reads stay inside the repo and are
//! bounded, writes stay inside the output folder, nothing hangs.

#![allow(clippy::expect_used)]
#![cfg(unix)]

mod scratch;

use std::os::unix::fs::symlink;
use std::path::Path;

use scratch::{Repo, fanout_limited};

const INGESTION: &str = "domain: ingestion\ntopics:\n  raw-events:\n    fifo: true\n";

fn fanout(dir: &Path, args: &[&str]) -> String {
    fanout_limited(dir, args, b"")
}

fn mkfifo(path: &Path) {
    let status = std::process::Command::new("mkfifo").arg(path).status().expect("run mkfifo");
    assert!(status.success(), "mkfifo {}", path.display());
}

#[test]
fn synth_refuses_a_template_that_is_a_link_and_leaves_its_target_alone() {
    let dir = Repo::new(&[("ingestion.yaml", INGESTION)]);
    let outside = tempfile::tempdir().expect("temp dir");
    std::fs::write(outside.path().join("victim"), "precious").expect("write");
    std::fs::create_dir_all(dir.path().join("templates/dev")).expect("mkdir");
    symlink(outside.path().join("victim"), dir.path().join("templates/dev/ingestion.json")).expect("link");
    let out = fanout(dir.path(), &["synth"]);
    insta::assert_snapshot!(out, @r"
    exit: 2
    --- stdout
    --- stderr
    error: `templates/dev/ingestion.json` is a link; fanout does not write through links
      hint: remove the link; fanout then writes a file there
    ");
    assert_eq!(fanout(dir.path(), &["synth", "--check"]), out, "`--check` reads no link either");
    assert_eq!(std::fs::read_to_string(outside.path().join("victim")).expect("read"), "precious");
    assert!(dir.path().join("templates/dev/ingestion.json").is_symlink(), "the link itself stays");
}

#[test]
fn synth_refuses_an_output_or_stage_folder_that_is_a_link() {
    let outside = tempfile::tempdir().expect("temp dir");
    // The output folder itself, then a stage folder in it.
    for (link, shown) in [("templates", "templates"), ("templates/dev", "templates/dev")] {
        let dir = Repo::new(&[("ingestion.yaml", INGESTION)]);
        std::fs::create_dir_all(dir.path().join("templates")).expect("mkdir");
        if link == "templates" {
            std::fs::remove_dir(dir.path().join("templates")).expect("rmdir");
        }
        symlink(outside.path(), dir.path().join(link)).expect("link");
        let out = fanout(dir.path(), &["synth"]);
        assert_eq!(
            out,
            format!(
                "exit: 2\n--- stdout\n--- stderr\nerror: `{shown}` is a link; fanout does not write through links\n  hint: remove the link; fanout then writes a folder there\n"
            )
        );
        assert_eq!(std::fs::read_dir(outside.path()).expect("list").count(), 0, "nothing written through `{link}`");
    }
}

#[test]
fn synth_writes_through_a_temporary_file_never_through_a_planted_one() {
    let dir = Repo::new(&[("ingestion.yaml", INGESTION)]);
    let outside = tempfile::tempdir().expect("temp dir");
    std::fs::write(outside.path().join("victim"), "precious").expect("write");
    std::fs::create_dir_all(dir.path().join("templates/dev")).expect("mkdir");
    symlink(outside.path().join("victim"), dir.path().join("templates/dev/.ingestion.json.fanout-tmp")).expect("link");
    let out = fanout(dir.path(), &["synth"]);
    assert!(out.starts_with("exit: 0"), "{out}");
    assert_eq!(std::fs::read_to_string(outside.path().join("victim")).expect("read"), "precious");
    let names: Vec<String> = std::fs::read_dir(dir.path().join("templates/dev"))
        .expect("list")
        .map(|entry| entry.expect("entry").file_name().to_string_lossy().into_owned())
        .collect();
    assert_eq!(names, ["ingestion.json"], "only the template, no temporary file left");
}

#[test]
fn synth_removes_only_the_templates_it_owns() {
    let dir = Repo::new(&[("ingestion.yaml", INGESTION)]);
    let template = "{\n  \"AWSTemplateFormatVersion\": \"2010-09-09\",\n  \"Resources\": {}\n}\n";
    let files = [
        ("templates/dev/gone.json", template),      // a removed domain: owned, stale
        ("templates/qa/ingestion.json", template),  // a removed stage: owned, stale
        ("templates/dev/notes.json", "{\"a\": 1}"), // not a template fanout writes
        ("templates/dev/README.md", "# templates"),
        ("templates/Shared/x.json", template),  // not a stage name
        ("templates/dev/Upper.json", template), // not a domain name
    ];
    for (path, text) in files {
        let path = dir.path().join(path);
        std::fs::create_dir_all(path.parent().expect("parent")).expect("mkdir");
        std::fs::write(path, text).expect("write");
    }
    let outside = tempfile::tempdir().expect("temp dir");
    std::fs::write(outside.path().join("linked.json"), template).expect("write");
    symlink(outside.path().join("linked.json"), dir.path().join("templates/dev/linked.json")).expect("link");
    insta::assert_snapshot!(fanout(dir.path(), &["synth", "--check"]), @r"
    exit: 1
    --- stdout
    --- stderr
    missing: templates/dev/ingestion.json
    extra: templates/dev/gone.json
    extra: templates/qa/ingestion.json
    error: 3 templates in `templates` do not match the manifests
      hint: run `fanout synth` and commit the result
    ");
    insta::assert_snapshot!(fanout(dir.path(), &["synth"]), @r"
    exit: 0
    --- stdout
    --- stderr
    created templates/dev/ingestion.json
    removed templates/dev/gone.json
    removed templates/qa/ingestion.json
    Synthesized 1 template into `templates` (3 changed)
    ");
    for (path, text) in &files[2..] {
        assert_eq!(&std::fs::read_to_string(dir.path().join(path)).expect("kept"), text, "{path}");
    }
    assert!(dir.path().join("templates/dev/linked.json").is_symlink());
    assert!(outside.path().join("linked.json").exists());
}

#[test]
fn synth_out_leaves_other_json_files_alone() {
    let dir = Repo::new(&[("ingestion.yaml", INGESTION)]);
    let out = dir.path().join("build");
    std::fs::create_dir_all(out.join("dev")).expect("mkdir");
    std::fs::write(out.join("dev/package.json"), "{}").expect("write");
    std::fs::write(out.join("config.json"), "{}").expect("write");
    let run = fanout(dir.path(), &["synth", "--out", "build"]);
    assert!(run.starts_with("exit: 0"), "{run}");
    assert!(out.join("dev/package.json").exists() && out.join("config.json").exists());
    assert!(out.join("dev/ingestion.json").exists());
}

/// A repo whose `orders/placed` topic names `schema`, with the files `setup` makes.
fn schema_repo(schema: &str, setup: impl FnOnce(&Path)) -> Repo {
    let manifest = format!("domain: orders\ntopics:\n  placed:\n    schema: {schema}\n");
    let dir = Repo::new(&[("orders.yaml", &manifest)]);
    std::fs::create_dir(dir.path().join("domains/schemas")).expect("mkdir");
    setup(dir.path());
    dir
}

#[test]
fn a_schema_outside_the_repo_is_not_read() {
    let outside = tempfile::tempdir().expect("temp dir");
    std::fs::write(outside.path().join("credentials.json"), r#"{"secret": "hunter2"}"#).expect("write");
    let secret = outside.path().join("credentials.json");
    // Up and out by `..`, and by a link inside the repo.
    let name = outside.path().file_name().and_then(|name| name.to_str()).expect("a name");
    let up = schema_repo(&format!("../../{name}/credentials.json"), |root| {
        assert_eq!(root.parent(), outside.path().parent(), "both in the temp folder");
    });
    let out = fanout(up.path(), &["validate"]);
    assert!(out.starts_with("exit: 1") && out.contains("is outside the repo"), "{out}");
    let linked = schema_repo("schemas/placed.json", |root| {
        symlink(&secret, root.join("domains/schemas/placed.json")).expect("link");
    });
    insta::assert_snapshot!(fanout(linked.path(), &["validate"]), @r"
    exit: 1
    --- stdout
    --- stderr
    error: cannot read schema `schemas/placed.json`: `domains/schemas/placed.json` is outside the repo
      --> domains/orders.yaml:4:5
      = field: topics.placed.schema
      hint: name a regular JSON file inside the repo, relative to this manifest's folder
    error: found 1 error
    ");
    let synth = fanout(linked.path(), &["synth"]);
    assert!(synth.starts_with("exit: 1") && !linked.path().join("templates").exists(), "{synth}");
}

#[test]
fn a_schema_that_is_a_device_pipe_or_endless_is_refused_without_hanging() {
    let device = schema_repo("schemas/placed.json", |root| {
        symlink("/dev/zero", root.join("domains/schemas/placed.json")).expect("link");
    });
    let out = fanout(device.path(), &["validate"]);
    assert!(out.starts_with("exit: 1") && out.contains("is outside the repo"), "{out}");
    let pipe = schema_repo("schemas/placed.json", |root| mkfifo(&root.join("domains/schemas/placed.json")));
    let out = fanout(pipe.path(), &["validate"]);
    assert!(out.starts_with("exit: 1") && out.contains("is a named pipe, not a file"), "{out}");
    let folder = schema_repo("schemas", |_| {});
    let out = fanout(folder.path(), &["validate"]);
    assert!(out.starts_with("exit: 1") && out.contains("is a folder, not a file"), "{out}");
    let large = schema_repo("schemas/placed.json", |root| {
        let big = format!("{{\"description\": \"{}\"}}", "x".repeat(2 * 1024 * 1024));
        std::fs::write(root.join("domains/schemas/placed.json"), big).expect("write");
    });
    let out = fanout(large.path(), &["validate"]);
    assert!(out.starts_with("exit: 1") && out.contains("is larger than 1048576 bytes"), "{out}");
}

fn event_repo() -> Repo {
    schema_repo("schemas/placed.json", |root| {
        std::fs::write(root.join("domains/schemas/placed.json"), r#"{"type":"object","required":["id"]}"#)
            .expect("write");
    })
}

#[test]
fn event_check_reads_standard_input_bounded() {
    let dir = event_repo();
    let out = fanout_limited(dir.path(), &["event", "check", "orders/placed", "-"], br#"{"id": 1}"#);
    assert!(out.starts_with("exit: 0"), "{out}");
    let huge = vec![b' '; 300 * 1024];
    insta::assert_snapshot!(fanout_limited(dir.path(), &["event", "check", "orders/placed", "-"], &huge), @r"
    exit: 1
    --- stdout
    --- stderr
    error: `-` is larger than 262144 bytes
      hint: SNS takes messages of at most 256 KiB; an event is one JSON document
    ");
}

#[test]
fn event_check_refuses_a_pipe_or_device_without_hanging() {
    let dir = event_repo();
    mkfifo(&dir.path().join("event.json"));
    insta::assert_snapshot!(fanout(dir.path(), &["event", "check", "orders/placed", "event.json"]), @r"
    exit: 2
    --- stdout
    --- stderr
    error: Cannot read the event
      caused by: `event.json` is a named pipe, not a file
    ");
    let out = fanout(dir.path(), &["event", "check", "orders/placed", "/dev/zero"]);
    assert!(out.starts_with("exit: 2") && out.contains("`/dev/zero` is a device"), "{out}");
}

#[test]
fn validate_and_deploy_agree_on_a_subscription_cycle() {
    let a = "domain: a\ntopics:\n  made:\nqueues:\n  inbox:\n    subscriptions:\n      - topic: b/made\n";
    let b = "domain: b\ntopics:\n  made:\nqueues:\n  inbox:\n    subscriptions:\n      - topic: a/made\n";
    let dir = Repo::new(&[("a.yaml", a), ("b.yaml", b)]);
    let validate = fanout(dir.path(), &["validate"]);
    insta::assert_snapshot!(validate, @r"
    exit: 1
    --- stdout
    --- stderr
    error: domains subscribe to each other's topics in a cycle: `a` → `b` (`b/made`) → `a` (`a/made`); `fanout deploy` cannot deploy any of them first
      --> domains/a.yaml:7:9
      = field: queues.inbox.subscriptions[0].topic
      hint: each domain's stack creates its topics with its subscriptions, so producers deploy first: move one of these topics into a domain outside the cycle, or drop one subscription
    error: found 1 error
    ");
    // Deploy refuses the same cycle with the same words, before it connects to anything.
    let deploy = fanout(dir.path(), &["deploy", "--stage", "dev"]);
    assert!(
        deploy.starts_with("exit: 1") && deploy.contains("in a cycle: `a` → `b` (`b/made`) → `a` (`a/made`)"),
        "{deploy}"
    );
}

/// The hostile corpus: `tests/fixtures/hostile/<case>/`, each a repo (`repo/`), the command
/// to run in it (`command`), links, pipes and files to make first (`setup`: `link <path> <target>`,
/// `fifo <path>`, `large <path> <bytes>`, `$OUTSIDE` naming a folder beside the repo that holds
/// `victim.json`), and
/// the paths that must survive the run (`kept`). Each case runs with a time limit (a hang
/// fails it), must exit 1 for a manifest problem (0 when it only warns) or 2 for an
/// environment one, must leave the folder outside the repo as it was, and is snapshotted.
#[test]
fn hostile_corpus() {
    let corpus = scratch::repo_root().join("tests/fixtures/hostile");
    let mut cases: Vec<_> = std::fs::read_dir(&corpus).expect("corpus").map(|e| e.expect("entry").path()).collect();
    cases.sort();
    assert!(cases.len() >= 15, "the corpus has {} cases", cases.len());
    for case in cases {
        let name = case.file_name().and_then(|n| n.to_str()).expect("a name").to_string();
        let root = tempfile::tempdir().expect("temp dir");
        let (repo, outside) = (root.path().join("repo"), root.path().join("outside"));
        copy_tree(&case.join("repo"), &repo);
        std::fs::create_dir(&outside).expect("mkdir");
        std::fs::write(outside.join("victim.json"), r#"{"secret": "hunter2"}"#).expect("write");
        let setup = std::fs::read_to_string(case.join("setup")).unwrap_or_default();
        for line in setup.lines() {
            let words: Vec<String> =
                line.split_whitespace().map(|w| w.replace("$OUTSIDE", &outside.display().to_string())).collect();
            let path = repo.join(&words[1]);
            std::fs::create_dir_all(path.parent().expect("parent")).expect("mkdir");
            match words[0].as_str() {
                "link" => symlink(&words[2], &path).expect("link"),
                "fifo" => mkfifo(&path),
                // A sparse file: as large as it says, without taking the disk.
                "large" => {
                    let size: u64 = words[2].parse().expect("a size in bytes");
                    std::fs::File::create(&path).and_then(|file| file.set_len(size)).expect("a large file");
                }
                other => panic!("{name}: unknown setup `{other}`"),
            }
        }
        let command = std::fs::read_to_string(case.join("command")).expect("command");
        let args: Vec<&str> = command.split_whitespace().collect();
        let out = fanout_limited(&repo, &args, b"").replace(&outside.display().to_string(), "[OUTSIDE]");
        let code = out.lines().next().unwrap_or_default().to_string();
        assert!(["exit: 0", "exit: 1", "exit: 2"].contains(&code.as_str()), "{name}: {out}");
        assert!(!out.contains("panicked"), "{name}: {out}");
        let outside_now: Vec<_> =
            std::fs::read_dir(&outside).expect("list").map(|e| e.expect("entry").path()).collect();
        assert_eq!(outside_now, [outside.join("victim.json")], "{name}: something was written outside the repo");
        let victim = std::fs::read_to_string(outside.join("victim.json")).expect("read");
        assert_eq!(victim, r#"{"secret": "hunter2"}"#, "{name}: the file outside the repo changed");
        assert!(!out.contains("hunter2"), "{name}: the file outside the repo leaked: {out}");
        for kept in std::fs::read_to_string(case.join("kept")).unwrap_or_default().lines() {
            assert!(repo.join(kept).exists(), "{name}: `{kept}` was removed");
        }
        insta::with_settings!({ snapshot_suffix => name.clone(), prepend_module_to_snapshot => true }, {
            insta::assert_snapshot!("hostile", out);
        });
    }
}

fn copy_tree(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).expect("mkdir");
    for entry in std::fs::read_dir(from).expect("list") {
        let entry = entry.expect("entry");
        let target = to.join(entry.file_name());
        if entry.file_type().expect("type").is_dir() {
            copy_tree(&entry.path(), &target);
        } else {
            std::fs::copy(entry.path(), &target).expect("copy");
        }
    }
}

#[test]
fn publish_refuses_a_pipe_or_device_without_hanging() {
    let dir = Repo::new(&[("orders.yaml", "domain: orders\ntopics:\n  placed:\n")]);
    mkfifo(&dir.path().join("events.jsonl"));
    for file in ["events.jsonl", "/dev/zero"] {
        let out = fanout(dir.path(), &["publish", "--stage", "dev", "orders/placed", file]);
        assert!(out.starts_with("exit: 2") && out.contains("not a file"), "{out}");
    }
}
