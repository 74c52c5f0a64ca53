//! How each stack of a deploy or diff ended: error lines on stderr, or JSON objects.

use std::io::Write;

use fanout_aws::{Finding, StackOutcome, StackReport};

use crate::aws::progress::to_json;
use crate::render;
use crate::style::{ERROR, HINT};

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

/// `report` as one JSON object with `type: result`.
pub fn json(report: &StackReport) -> serde_json::Value {
    let mut value = serde_json::json!({ "type": "result", "domain": report.domain, "stack": report.stack });
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
