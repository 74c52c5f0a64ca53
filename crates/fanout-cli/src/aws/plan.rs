//! A change set's plan in words: text for the terminal and `diff`, Markdown for a
//! pull-request comment.

use fanout_aws::{Action, Finding, Plan, Replacement};

use crate::style::{ERROR, HINT, WARNING};

fn symbol(action: Action, replacement: Option<Replacement>) -> &'static str {
    match (action, replacement) {
        (Action::Add, _) => "+",
        (Action::Remove, _) => "-",
        (_, Some(Replacement::Always)) => "±",
        _ => "~",
    }
}

/// A plan, its guard findings included: the first line sums it up.
pub fn text(plan: &Plan, findings: &[Finding], allow_replacement: bool) -> String {
    let (add, change, remove) = plan.counts();
    let mut text = format!("plan: {add} to add, {change} to change, {remove} to remove\n");
    for change in &plan.changes {
        let replacement = match change.replacement {
            Some(Replacement::Always) => " (replace)".to_string(),
            Some(Replacement::Conditional) => " (may replace)".to_string(),
            _ => String::new(),
        };
        let by = if change.recreated_by.is_empty() {
            String::new()
        } else {
            format!(" by {}", change.recreated_by.join(", "))
        };
        text.push_str(&format!(
            "  {} {} ({}){replacement}{by}\n",
            symbol(change.action, change.replacement),
            change.logical_id,
            change.resource_type
        ));
    }
    for finding in findings {
        let (label, style) = if finding.blocks(allow_replacement) { ("error", ERROR) } else { ("warning", WARNING) };
        text.push_str(&format!("  {style}{label}{style:#}: {finding}\n    {HINT}hint{HINT:#}: {}\n", finding.hint()));
    }
    text
}

/// A plan as a Markdown section, for a pull-request comment.
pub fn markdown(stack: &str, plan: &Plan, findings: &[Finding], new_stack: bool) -> String {
    let (add, change, remove) = plan.counts();
    let mut text = format!("### `{stack}`{}\n\n", if new_stack { " (new stack)" } else { "" });
    if plan.is_empty() {
        text.push_str("No changes.\n\n");
        return text;
    }
    text.push_str(&format!("{add} to add, {change} to change, {remove} to remove.\n\n"));
    text.push_str("| | Resource | Type | Replacement |\n|---|---|---|---|\n");
    for c in &plan.changes {
        let replacement = match c.replacement {
            Some(Replacement::Always) if c.recreated_by.is_empty() => "**yes**".to_string(),
            Some(Replacement::Always) => format!("**yes** ({})", c.recreated_by.join(", ")),
            Some(Replacement::Conditional) => "maybe".to_string(),
            _ => String::new(),
        };
        text.push_str(&format!(
            "| {} | `{}` | `{}` | {replacement} |\n",
            symbol(c.action, c.replacement),
            c.logical_id,
            c.resource_type
        ));
    }
    text.push('\n');
    for finding in findings {
        let label = if finding.blocks(false) { "**Refused without `--allow-replacement`**" } else { "Warning" };
        text.push_str(&format!("- {label}: {finding} ({})\n", finding.hint()));
    }
    if !findings.is_empty() {
        text.push('\n');
    }
    text
}
