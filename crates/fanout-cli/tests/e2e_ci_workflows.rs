//! The CI examples' own commands, run as their runner would run them, against a scratch repo and
//! the emulator: every `run:` step of `examples/ci/github/*.yml` except the installs, and the
//! `script:` lines of the GitLab jobs (the test puts this build's `fanout` and the pinned
//! cfn-lint on `PATH` instead of installing them). What needs the CI service itself (checkout,
//! cache, OIDC, the comment or note) is not run here; the comment and note scripts have their own
//! test in `examples/ci/test_plan_comments.py`.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod emulator;
mod endpoints;
mod scratch;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::Command;

use emulator::{Account, Emulator};
use endpoints::set_api_log_role;
use scratch::{Repo, Run, repo_root};

/// A `run:` step of a workflow job, with its `env:`.
struct Step {
    name: String,
    run: String,
    env: BTreeMap<String, String>,
}

/// The `run:` steps of `job` in `examples/ci/github/<file>`, installs left out, with
/// `${{ … }}` expressions in their `env:` replaced from `context`.
fn steps(file: &str, job: &str, context: &[(&str, &str)]) -> Vec<Step> {
    let path = repo_root().join("examples/ci/github").join(file);
    let text = std::fs::read_to_string(&path).unwrap_or_else(|err| panic!("{}: {err}", path.display()));
    let workflow: serde_yaml::Value = serde_yaml::from_str(&text).unwrap_or_else(|err| panic!("{file}: {err}"));
    let mut globals = BTreeMap::new();
    for (key, value) in workflow["env"].as_mapping().into_iter().flatten() {
        globals.insert(key.as_str().unwrap().to_string(), value.as_str().unwrap().to_string());
    }
    let list = workflow["jobs"][job]["steps"].as_sequence().unwrap_or_else(|| panic!("{file}: no job `{job}`"));
    list.iter()
        .filter(|step| step["run"].is_string())
        .filter(|step| !step["id"].as_str().is_some_and(|id| id.starts_with("install")))
        .map(|step| {
            let mut env = globals.clone();
            for (key, value) in step["env"].as_mapping().into_iter().flatten() {
                let mut value = value.as_str().unwrap().to_string();
                for (expression, replacement) in context {
                    value = value.replace(&format!("${{{{ {expression} }}}}"), replacement);
                }
                assert!(!value.contains("${{"), "{file}: no value in the test for `{value}`");
                env.insert(key.as_str().unwrap().to_string(), value);
            }
            Step {
                name: step["name"].as_str().unwrap_or("(unnamed)").to_string(),
                run: step["run"].as_str().unwrap().to_string(),
                env,
            }
        })
        .collect()
}

/// Where `scripts/bootstrap-tools` put cfn-lint.
fn checkers_bin() -> PathBuf {
    let tools = std::env::var_os("FANOUT_TOOLS_DIR").map_or_else(|| repo_root().join(".tools"), PathBuf::from);
    let bin = tools.join("checkers/bin");
    assert!(bin.join("cfn-lint").exists(), "no cfn-lint in {}: run scripts/bootstrap-tools", bin.display());
    bin
}

/// Runs a step as GitHub's runner does (`bash -e`, `shell: bash` adds pipefail), in `repo`,
/// with `fanout` and cfn-lint on `PATH`, credentials for `account`, and `GITHUB_OUTPUT`.
fn run(step: &Step, repo: &Path, account: &Account, output: &Path) -> Run {
    let fanout = PathBuf::from(env!("CARGO_BIN_EXE_fanout"));
    let path = std::env::join_paths(
        [fanout.parent().unwrap().to_path_buf(), checkers_bin()]
            .into_iter()
            .chain(std::env::split_paths(&std::env::var_os("PATH").unwrap_or_default())),
    )
    .unwrap();
    // The account's environment, on a shell instead of on `fanout` itself.
    let base = account.command(repo, &[]);
    let mut command = Command::new("bash");
    command.args(["--noprofile", "--norc", "-eo", "pipefail", "-c", &step.run]).current_dir(repo);
    for (key, value) in base.get_envs() {
        match value {
            Some(value) => command.env(key, value),
            None => command.env_remove(key),
        };
    }
    command.env("PATH", path).env("GITHUB_OUTPUT", output).envs(&step.env);
    Run::of(command)
}

fn outputs(path: &Path) -> String {
    std::fs::read_to_string(path).unwrap_or_default()
}

#[test]
fn pull_request_and_deploy_workflows_run_their_commands_end_to_end() {
    let emulator = Emulator::start();
    let account = Account::new(&emulator, "100000000151");
    let repo = Repo::seed();
    // The seed's REST APIs need API Gateway's CloudWatch Logs role in the account.
    set_api_log_role(&emulator, &account);
    // The templates a team commits beside its manifests.
    let synth = account.fanout(repo.path(), &["synth"]);
    assert_eq!(synth.code, 0, "{synth}");
    let output = repo.path().join("github-output");

    // A pull request: checks pass on a valid repo.
    for step in steps("pull-request.yml", "check", &[]) {
        let done = run(&step, repo.path(), &account, &output);
        assert_eq!(done.code, 0, "step `{}`:\n{done}", step.name);
    }
    // The merge: the deploy job of dev, its JSON Lines kept.
    for step in steps("deploy.yml", "dev", &[("github.job", "dev")]) {
        let done = run(&step, repo.path(), &account, &output);
        assert_eq!(done.code, 0, "step `{}`:\n{done}", step.name);
    }
    let record = std::fs::read_to_string(repo.path().join("deploy-dev.jsonl")).unwrap();
    assert!(record.lines().count() > 3, "{record}");
    for line in record.lines() {
        serde_json::from_str::<serde_json::Value>(line).unwrap_or_else(|err| panic!("not JSON Lines: {err}\n{line}"));
    }

    // The next pull request's plan, before any change: nothing to change (exit 0).
    let plan = steps("pull-request.yml", "plan", &[("matrix.stage", "dev")]);
    for step in &plan {
        let done = run(step, repo.path(), &account, &output);
        assert_eq!(done.code, 0, "step `{}`:\n{done}", step.name);
    }
    assert_eq!(outputs(&output), "changes=false\n");

    // A pull request that adds a queue: changes (exit 3), and the plan written for the comment.
    let reporting = std::fs::read_to_string(repo.path().join("domains/reporting.yaml")).unwrap();
    let queues = reporting.find("queues:\n").expect("reporting has queues");
    let (head, tail) = reporting.split_at(queues + "queues:\n".len());
    repo.write("reporting.yaml", &format!("{head}  audit-trail: {{}}\n{tail}"));
    assert_eq!(account.fanout(repo.path(), &["synth"]).code, 0);
    std::fs::remove_file(&output).unwrap();
    for step in &plan {
        let done = run(step, repo.path(), &account, &output);
        assert_eq!(done.code, 0, "step `{}`:\n{done}", step.name);
    }
    assert_eq!(outputs(&output), "changes=true\n");
    let markdown = std::fs::read_to_string(repo.path().join("plan.md")).unwrap();
    assert!(markdown.starts_with("## fanout diff: stage `dev`\n\n1 to change, 2 unchanged.\n\n"), "{markdown}");
    assert!(markdown.contains("<details><summary><code>dev-reporting</code>: "), "{markdown}");
}

#[test]
fn pull_request_checks_fail_with_annotations_on_a_broken_manifest() {
    let emulator = Emulator::start();
    let account = Account::new(&emulator, "100000000152");
    let repo = Repo::seed();
    // The seed's REST APIs need API Gateway's CloudWatch Logs role in the account.
    set_api_log_role(&emulator, &account);
    assert_eq!(account.fanout(repo.path(), &["synth"]).code, 0);
    repo.write("scoring.yaml", "domain: scoring\nqueues:\n  runs:\n    visibility_timeout: forever\n");
    let output = repo.path().join("github-output");

    let check = steps("pull-request.yml", "check", &[]);
    let validate = check.iter().find(|s| s.run.contains("fanout validate")).expect("a validate step");
    let done = run(validate, repo.path(), &account, &output);
    assert_eq!(done.code, 1, "{done}");
    assert!(done.stdout.lines().all(|line| line.starts_with("::error file=domains/")), "{done}");
    assert!(
        done.stdout.contains("::error file=domains/scoring.yaml,line=4,col=5,title=fanout invalid-duration::"),
        "{done}"
    );
}

/// The `script:` of a job of `examples/ci/gitlab/.gitlab-ci.yml` as one shell script, without
/// the `!reference` lines (the OIDC token file, which needs GitLab).
fn gitlab_script(job: &str) -> String {
    let path = repo_root().join("examples/ci/gitlab/.gitlab-ci.yml");
    let text = std::fs::read_to_string(&path).unwrap_or_else(|err| panic!("{}: {err}", path.display()));
    let pipeline: serde_yaml::Value = serde_yaml::from_str(&text).unwrap_or_else(|err| panic!("{err}"));
    let mut script = pipeline[job]["script"].clone();
    if script.is_null() {
        // A job that extends `.deploy` takes its script from there.
        let base = pipeline[job]["extends"].as_str().unwrap_or_else(|| panic!("job `{job}` has no script"));
        script = pipeline[base]["script"].clone();
    }
    let lines: Vec<&str> =
        script.as_sequence().expect("a script is a list").iter().filter_map(|l| l.as_str()).collect();
    assert!(!lines.is_empty(), "job `{job}` has no script lines");
    lines.join("\n")
}

#[test]
fn gitlab_jobs_run_their_commands_end_to_end() {
    let emulator = Emulator::start();
    let account = Account::new(&emulator, "100000000153");
    let repo = Repo::seed();
    // The seed's REST APIs need API Gateway's CloudWatch Logs role in the account.
    set_api_log_role(&emulator, &account);
    assert_eq!(account.fanout(repo.path(), &["synth"]).code, 0);
    let output = repo.path().join("unused");
    let job = |name: &str, env: &[(&str, &str)]| {
        let step = Step {
            name: name.to_string(),
            run: gitlab_script(name),
            env: env.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect(),
        };
        run(&step, repo.path(), &account, &output)
    };

    let validate = job("validate", &[]);
    assert_eq!(validate.code, 0, "{validate}");
    // The `cfn-lint` job is a pip install, then the command the GitHub test runs.
    let deploy = job("deploy-dev", &[("CI_ENVIRONMENT_NAME", "dev")]);
    assert_eq!(deploy.code, 0, "{deploy}");
    assert!(repo.path().join("deploy-dev.jsonl").exists());
    let plan = job("plan", &[("STAGE", "dev")]);
    assert_eq!(plan.code, 0, "a plan with nothing to change passes: {plan}");
    let markdown = std::fs::read_to_string(repo.path().join("plan-dev.md")).unwrap();
    assert!(markdown.starts_with("## fanout diff: stage `dev`\n\n0 to change, 3 unchanged."), "{markdown}");
}
