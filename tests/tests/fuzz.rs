//! Structure-aware fuzzing of loading and checking a repo, on stable Rust.
//!
//! Each execution starts from valid manifests (the seed domains and the good fixtures),
//! mutates them (hostile values in strings and names, deleted and duplicated keys, names
//! that meet through hyphen joins, subtrees moved between manifests, wrong types) and the
//! repo layout around them (schema files that are links out of the repo, devices, pipes,
//! folders), then loads the repo from disk as the CLI does and checks the invariants: no
//! panic, no hang, and a project that validates synthesizes templates with no dynamic
//! reference, no secret of the file beside the repo, no physical name shared by two
//! resources, and no template over CloudFormation's size limit.
//!
//! `FANOUT_FUZZ_SECONDS` (default 20) is the budget and `FANOUT_FUZZ_SEED` the first seed;
//! the figures (executions, time, findings) go to stderr. A longer run:
//! `FANOUT_FUZZ_SECONDS=600 FANOUT_FUZZ_SEED=$RANDOM cargo test -p fanout-tests --test fuzz -- --nocapture`

#![allow(clippy::print_stderr, reason = "the fuzz run reports its figures")]
#![allow(clippy::expect_used, clippy::panic)]
#![cfg(unix)]

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use serde_yaml::Value;

/// A small, seeded, reproducible generator (xorshift64*).
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }
    fn below(&mut self, n: usize) -> usize {
        (self.next() % n.max(1) as u64) as usize
    }
    fn pick<'a, T>(&mut self, items: &'a [T]) -> &'a T {
        &items[self.below(items.len())]
    }
}

/// Values an attacker or a careless author writes.
const HOSTILE: &[&str] = &[
    "{{resolve:ssm:/ci/secret}}",
    "{{resolve:secretsmanager:prod/db:SecretString:password}}",
    "x {{RESOLVE:ssm:/p}} y",
    "../../outside/secret.json",
    "/dev/zero",
    "schemas/link.json",
    "schemas/pipe.json",
    "schemas",
    "alias/aws/sqs",
    "arn:aws:kms:eu-west-1:111122223333:alias/aws/sns",
    "a-dlq",
    "dev-a",
    "b-c",
    "x-dead-letter",
    "",
    "-",
    "prefx",
    "numeric",
    "$or",
    "1e999",
    "-1000000001",
    "0.1234567",
    "999999999999999999999",
    "ünïcödé",
    "a\u{0}b",
    "10.0.0.0/33",
];

fn hostile_value(rng: &mut Rng) -> Value {
    match rng.below(10) {
        0 => Value::Number(serde_yaml::Number::from(rng.next() as i64)),
        1 => Value::Bool(rng.below(2) == 0),
        2 => Value::Null,
        3 => Value::Sequence(vec![Value::String(rng.pick(HOSTILE).to_string()); rng.below(20)]),
        4 => {
            let mut map = serde_yaml::Mapping::new();
            map.insert(Value::String(rng.pick(HOSTILE).to_string()), Value::Sequence(vec![]));
            Value::Mapping(map)
        }
        5 => Value::String("x".repeat(rng.below(70_000))),
        _ => Value::String(rng.pick(HOSTILE).to_string()),
    }
}

/// Every node of `value`, as a path of keys and indexes.
fn nodes(value: &Value, at: &mut Vec<Value>, out: &mut Vec<Vec<Value>>) {
    out.push(at.clone());
    match value {
        Value::Sequence(items) => {
            for (index, item) in items.iter().enumerate() {
                at.push(Value::Number(index.into()));
                nodes(item, at, out);
                at.pop();
            }
        }
        Value::Mapping(map) => {
            for (key, item) in map {
                at.push(key.clone());
                nodes(item, at, out);
                at.pop();
            }
        }
        _ => {}
    }
}

fn node_mut<'a>(value: &'a mut Value, path: &[Value]) -> Option<&'a mut Value> {
    let mut node = value;
    for step in path {
        node = match (node, step) {
            (Value::Sequence(items), Value::Number(index)) => items.get_mut(index.as_u64()? as usize)?,
            (Value::Mapping(map), key) => map.get_mut(key)?,
            _ => return None,
        };
    }
    Some(node)
}

/// One mutation of one manifest, with the others at hand to borrow subtrees from.
fn mutate(rng: &mut Rng, document: &mut Value, donors: &[Value]) {
    let mut all = Vec::new();
    nodes(document, &mut Vec::new(), &mut all);
    let path = rng.pick(&all).clone();
    let kind = rng.below(6);
    let Some(node) = node_mut(document, &path) else { return };
    match kind {
        // Replace with a hostile value.
        0 | 1 => *node = hostile_value(rng),
        // A subtree of another manifest.
        2 => {
            let donor = rng.pick(donors);
            let mut donor_nodes = Vec::new();
            nodes(donor, &mut Vec::new(), &mut donor_nodes);
            let from = rng.pick(&donor_nodes).clone();
            let mut donor = donor.clone();
            if let Some(subtree) = node_mut(&mut donor, &from) {
                *node = subtree.clone();
            }
        }
        // Delete or duplicate an entry of a mapping, under a name that meets another
        // through a hyphen join.
        3 | 4 => {
            if let Value::Mapping(map) = node {
                let keys: Vec<Value> = map.keys().cloned().collect();
                if keys.is_empty() {
                    return;
                }
                let key = rng.pick(&keys).clone();
                if kind == 3 {
                    map.remove(&key);
                } else if let (Some(text), Some(value)) = (key.as_str(), map.get(&key).cloned()) {
                    let suffix = rng.pick(&["-dlq", "-dead-letter", "-a", "1", "-alerts"]);
                    map.insert(Value::String(format!("{text}{suffix}")), value);
                }
            } else {
                *node = hostile_value(rng);
            }
        }
        // Wrap in a list or a mapping: a wrong type or deeper nesting.
        _ => {
            let inner = std::mem::replace(node, Value::Null);
            *node = if rng.below(2) == 0 {
                Value::Sequence(vec![inner])
            } else {
                let mut map = serde_yaml::Mapping::new();
                map.insert(Value::String("nested".to_string()), inner);
                Value::Mapping(map)
            };
        }
    }
}

fn seeds() -> Vec<(String, Value)> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
    let mut seeds = Vec::new();
    for dir in [root.join("domains"), root.join("tests/fixtures/good")] {
        for path in fanout::load::manifest_paths(&dir).expect("seed folder") {
            let text = std::fs::read_to_string(&path).expect("seed");
            let value: Value = serde_yaml::from_str(&text).expect("seed YAML");
            let name = path.file_stem().and_then(|s| s.to_str()).expect("a name").to_string();
            seeds.push((name, value));
        }
    }
    seeds
}

/// Writes one mutated repo into `dir` and returns the manifests folder.
fn write_repo(rng: &mut Rng, dir: &Path, seeds: &[(String, Value)]) -> PathBuf {
    let repo = dir.join("repo");
    let domains = repo.join("domains");
    let schemas = domains.join("schemas");
    std::fs::create_dir_all(&schemas).expect("mkdir");
    std::fs::create_dir_all(dir.join("outside")).expect("mkdir");
    std::fs::write(dir.join("outside/secret.json"), r#"{"type": "object", "description": "SECRET-7f3a"}"#)
        .expect("write");
    let stages = rng.pick(&["[dev]", "[dev, prod]", "[dev, dev-a]", "[a, a-b]"]);
    std::fs::write(repo.join("fanout.yaml"), format!("ssm_prefix: /fanout\nstages: {stages}\n")).expect("write");
    // The schema files the good fixtures name, and hostile ones beside them.
    for schema in ["contract-orders.json", "http-orders.json"] {
        std::fs::write(schemas.join(schema), r#"{"type": "object"}"#).expect("write");
    }
    std::os::unix::fs::symlink(dir.join("outside/secret.json"), schemas.join("link.json")).expect("link");
    std::os::unix::fs::symlink("/dev/zero", schemas.join("zero.json")).expect("link");
    let status = std::process::Command::new("mkfifo").arg(schemas.join("pipe.json")).status().expect("mkfifo");
    assert!(status.success());
    let donors: Vec<Value> = seeds.iter().map(|(_, value)| value.clone()).collect();
    let count = 1 + rng.below(4);
    for _ in 0..count {
        let (name, seed) = rng.pick(seeds);
        let mut document = seed.clone();
        // Some manifests stay valid, so that repos get past validation into synthesis.
        for _ in 0..rng.below(3) {
            mutate(rng, &mut document, &donors);
        }
        let text = serde_yaml::to_string(&document).expect("YAML");
        std::fs::write(domains.join(format!("{name}.yaml")), text).expect("write");
    }
    domains
}

/// Checks one repo: whether it validated, or a finding.
fn check(domains: &Path) -> Result<bool, String> {
    let repo = domains.parent().expect("repo");
    let (project, diagnostics) =
        fanout::load::load_project(Some(&repo.join("fanout.yaml")), domains).map_err(|err| format!("load: {err}"))?;
    let Some(project) = project else { return Ok(false) };
    if diagnostics.has_errors() {
        return Err("a project came back with errors".to_string());
    }
    let mut names = BTreeSet::new();
    for stage in &project.settings.stages {
        for domain in project.domains.values() {
            let json = fanout::synth(&project, domain, stage).to_json();
            if json.to_ascii_lowercase().contains("{{resolve:") {
                return Err(format!("a dynamic reference reached the template of `{}`", domain.name));
            }
            if json.contains("SECRET-7f3a") {
                return Err(format!("a file outside the repo reached the template of `{}`", domain.name));
            }
            if json.len() > fanout::limits::TEMPLATE_BODY {
                return Err(format!("the template of `{}` is {} bytes", domain.name, json.len()));
            }
            for name in fanout::project::physical_names(&project, domain, stage) {
                if !names.insert((name.namespace, name.name.clone())) {
                    return Err(format!("physical name `{}` is given twice", name.name));
                }
            }
        }
    }
    Ok(true)
}

#[test]
fn loading_and_checking_mutated_repos_never_panics_hangs_or_lets_an_attack_through() {
    let budget =
        Duration::from_secs(std::env::var("FANOUT_FUZZ_SECONDS").ok().and_then(|s| s.parse().ok()).unwrap_or(20));
    let first_seed: u64 = std::env::var("FANOUT_FUZZ_SEED").ok().and_then(|s| s.parse().ok()).unwrap_or(1);
    let seeds = seeds();
    let start = Instant::now();
    let (mut executions, mut valid) = (0u64, 0u64);
    let mut findings = Vec::new();
    while start.elapsed() < budget {
        let seed = first_seed.wrapping_add(executions);
        let mut rng = Rng(seed.wrapping_mul(0x9e37_79b9_7f4a_7c15) | 1);
        let dir = tempfile::tempdir().expect("temp dir");
        let domains = write_repo(&mut rng, dir.path(), &seeds);
        let run = Instant::now();
        let outcome = std::panic::catch_unwind(|| check(&domains));
        // A single execution taking this long is a hang in the making.
        if run.elapsed() > Duration::from_secs(30) {
            findings.push(format!("seed {seed}: took {:?}", run.elapsed()));
        }
        match outcome {
            Ok(Ok(validated)) => valid += u64::from(validated),
            Ok(Err(finding)) => findings.push(format!("seed {seed}: {finding}")),
            Err(_) => findings.push(format!("seed {seed}: panic")),
        }
        executions += 1;
    }
    eprintln!(
        "fuzz: {executions} executions ({valid} valid repos) in {:.1} s from seed {first_seed}, {} findings",
        start.elapsed().as_secs_f64(),
        findings.len()
    );
    assert!(executions > 0);
    assert!(findings.is_empty(), "findings (rerun with FANOUT_FUZZ_SEED=<seed>):\n{}", findings.join("\n"));
}
