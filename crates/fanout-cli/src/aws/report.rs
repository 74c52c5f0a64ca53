//! How each stack of a deploy or diff ended: error lines on stderr, or JSON objects; and,
//! for a deploy that stopped part-way, where every stack stands.

use std::io::Write;

use fanout_aws::{DeployRun, Finding, StackOutcome, StackReport, StopReason};

use crate::aws::progress::to_json;
use crate::render;
use crate::style::{ERROR, HINT, WARNING};

/// The error lines for a stack that did not deploy, on stderr.
pub fn problem(report: &StackReport, allow_replacement: bool) {
    let mut err = anstream::stderr().lock();
    let stack = &report.stack;
    match &report.result {
        Err(e) => {
            let _ = writeln!(err, "{ERROR}error{ERROR:#}: stack `{stack}`: {e}");
            if let Some(hint) = e.hint() {
                let _ = writeln!(err, "  {HINT}hint{HINT:#}: {hint}");
            }
        }
        Ok(StackOutcome::Refused { findings, .. }) => {
            let blocking: Vec<&Finding> = findings.iter().filter(|f| f.blocks(allow_replacement)).collect();
            let _ = writeln!(
                err,
                "{ERROR}error{ERROR:#}: refused to deploy stack `{stack}`: {}",
                render::plural(blocking.len(), "resource change")
            );
            for finding in blocking {
                let _ = writeln!(err, "  {finding}");
            }
            let _ = writeln!(
                err,
                "  {HINT}hint{HINT:#}: the change set was deleted and nothing changed; pass `--allow-replacement` to replace them (queues and topics are retained, their messages are not moved)"
            );
        }
        Ok(StackOutcome::BreakingRefused { changes }) => {
            let breaking = changes.iter().filter(|c| c.breaking).count();
            let _ = writeln!(
                err,
                "{ERROR}error{ERROR:#}: refused to deploy stack `{stack}`: {} of a topic's contract would break its consumers",
                render::plural(breaking, "change")
            );
            let _ = write!(err, "{}", crate::aws::plan::contract_text(changes, true, false));
        }
        Ok(StackOutcome::Failed { status, failure }) => {
            let _ = writeln!(err, "{ERROR}error{ERROR:#}: stack `{stack}` failed and was rolled back ({status})");
            if let Some(f) = failure {
                let _ = writeln!(err, "  resource `{}` ({}) {}: {}", f.logical_id, f.resource_type, f.status, f.reason);
            }
        }
        Ok(StackOutcome::Skipped { because }) => {
            let _ = writeln!(
                err,
                "{ERROR}error{ERROR:#}: skipped stack `{stack}`: it subscribes to domain `{because}`, which did not deploy"
            );
        }
        Ok(_) => {}
    }
}

/// `stacks` as a `` `a`, `b` `` list.
fn names<'a>(stacks: impl Iterator<Item = &'a StackReport>) -> String {
    stacks.map(|r| format!("`{}`", r.stack)).collect::<Vec<_>>().join(", ")
}

/// Where each stack stands after a deploy that stopped part-way, one line per kind with
/// stacks of that kind: done, left running in CloudFormation, stopped before changing
/// anything, not started. Failures have their own lines.
pub fn standing(stacks: &[StackReport]) -> Vec<String> {
    let done = stacks.iter().filter(|r| {
        r.in_progress.is_none()
            && matches!(
                r.result,
                Ok(StackOutcome::Deployed { .. } | StackOutcome::NoChanges { .. } | StackOutcome::Planned { .. })
            )
    });
    let running: Vec<String> = stacks
        .iter()
        .filter_map(|r| r.in_progress.as_ref().map(|status| format!("`{}` ({status})", r.stack)))
        .collect();
    let withdrawn =
        stacks.iter().filter(|r| r.in_progress.is_none() && matches!(r.result, Ok(StackOutcome::Interrupted)));
    let not_started = stacks.iter().filter(|r| matches!(r.result, Ok(StackOutcome::NotStarted)));
    let mut lines = Vec::new();
    let mut add = |label: &str, list: String| {
        if !list.is_empty() {
            lines.push(format!("{label}: {list}"));
        }
    };
    add("done", names(done));
    add("in progress in CloudFormation, not cancelled", running.join(", "));
    add("stopped before changing anything", names(withdrawn));
    add("not started", names(not_started));
    lines
}

/// What an interrupted deploy or diff says at the end, on stderr.
pub fn interrupted(run: &DeployRun) {
    let Some(StopReason::Signal(signal)) = &run.stopped else { return };
    let mut err = anstream::stderr().lock();
    let _ = writeln!(err, "{WARNING}interrupted{WARNING:#} by {signal}: no new stack was started");
    for line in standing(&run.stacks) {
        let _ = writeln!(err, "  {line}");
    }
    let _ = writeln!(
        err,
        "  {HINT}hint{HINT:#}: run the same command again: it waits for the stacks in progress, then carries on"
    );
}

/// The line about throttling, when AWS throttled any request.
pub fn throttling(run: &DeployRun, concurrency: usize) -> Option<String> {
    (run.throttled > 0).then(|| {
        format!(
            "AWS throttled {}, each retried; fanout lowered the stacks it runs at once to {} at the lowest (of up to {concurrency})",
            render::plural(run.throttled, "request"),
            run.lowest_concurrency
        )
    })
}

/// `report` as one JSON object with `type: result`.
pub fn json(report: &StackReport) -> serde_json::Value {
    let mut value = serde_json::json!({ "type": "result", "domain": report.domain, "stack": report.stack });
    if let Some(status) = &report.in_progress {
        value["in_progress"] = status.clone().into();
    }
    if !report.contract_changes.is_empty() {
        value["contract_changes"] = to_json(&report.contract_changes);
    }
    match &report.result {
        Ok(outcome) => {
            // An outcome is an object tagged with `outcome`, its fields beside the tag.
            if let (serde_json::Value::Object(fields), Some(object)) = (to_json(outcome), value.as_object_mut()) {
                object.extend(fields);
            }
        }
        Err(e) => {
            value["outcome"] = "error".into();
            value["message"] = e.to_string().into();
            value["hint"] = e.hint().into();
        }
    }
    value
}
