//! A change set's plan in words: text for the terminal and `diff`, Markdown for a
//! pull-request comment.

use fanout_aws::{Action, Finding, Plan, Replacement};

use crate::style::{ERROR, HINT, WARNING};

fn symbol(action: Action, replacement: Option<Replacement>) -> &'static str {
    match (action, replacement) {
        (Action::Add, _) => "+",
        (Action::Remove, _) => "-",
        (Action::Import, _) => "←",
        (_, Some(Replacement::Always)) => "±",
        _ => "~",
    }
}

/// The counts of a plan: "3 to add, 1 to change, 0 to remove", led by the imports if any.
fn summary(plan: &Plan) -> String {
    let (add, change, remove) = plan.counts();
    let imports = match plan.imports() {
        0 => String::new(),
        imports => format!("{imports} to import, "),
    };
    format!("{imports}{add} to add, {change} to change, {remove} to remove")
}

/// A plan, its guard findings included: the first line sums it up.
pub fn text(plan: &Plan, findings: &[Finding], allow_replacement: bool) -> String {
    let mut text = format!("plan: {}\n", summary(plan));
    for change in &plan.changes {
        let note = match (change.action, change.replacement, &change.physical_id) {
            (Action::Import, _, Some(id)) => format!(" from {id}"),
            (_, Some(Replacement::Always), _) => " (replace)".to_string(),
            (_, Some(Replacement::Conditional), _) => " (may replace)".to_string(),
            _ => String::new(),
        };
        let by = if change.recreated_by.is_empty() {
            String::new()
        } else {
            format!(" by {}", change.recreated_by.join(", "))
        };
        text.push_str(&format!(
            "  {} {} ({}){note}{by}\n",
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
    let mut text = format!("### `{stack}`{}\n\n", if new_stack { " (new stack)" } else { "" });
    if plan.is_empty() {
        text.push_str("No changes.\n\n");
        return text;
    }
    text.push_str(&format!("{}.\n\n", summary(plan)));
    text.push_str("| | Resource | Type | Replacement |\n|---|---|---|---|\n");
    for c in &plan.changes {
        let replacement = match (c.action, c.replacement, &c.physical_id) {
            (Action::Import, _, Some(id)) => format!("no, imported from `{id}`"),
            (_, Some(Replacement::Always), _) if c.recreated_by.is_empty() => "**yes**".to_string(),
            (_, Some(Replacement::Always), _) => format!("**yes** ({})", c.recreated_by.join(", ")),
            (_, Some(Replacement::Conditional), _) => "maybe".to_string(),
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

#[cfg(test)]
mod tests {
    use fanout_aws::{Action, Plan, ResourceChange};

    fn change(logical_id: &str, action: Action, physical_id: Option<&str>) -> ResourceChange {
        ResourceChange {
            logical_id: logical_id.into(),
            resource_type: "AWS::SQS::Queue".into(),
            action,
            replacement: None,
            physical_id: physical_id.map(str::to_string),
            recreated_by: Vec::new(),
        }
    }

    fn new_stack_with_an_import() -> Plan {
        Plan {
            changes: vec![
                change(
                    "InvoicesQueue",
                    Action::Import,
                    Some("https://sqs.eu-west-1.amazonaws.com/1/dev-billing-invoices"),
                ),
                change("InvoicesQueuePolicy", Action::Add, None),
            ],
        }
    }

    #[test]
    fn text_counts_and_names_what_is_imported() {
        assert_eq!(
            super::text(&new_stack_with_an_import(), &[], false),
            "plan: 1 to import, 1 to add, 0 to change, 0 to remove\n  ← InvoicesQueue (AWS::SQS::Queue) from https://sqs.eu-west-1.amazonaws.com/1/dev-billing-invoices\n  + InvoicesQueuePolicy (AWS::SQS::Queue)\n"
        );
        let plain = Plan { changes: vec![change("InvoicesQueuePolicy", Action::Add, None)] };
        assert!(super::text(&plain, &[], false).starts_with("plan: 1 to add, 0 to change, 0 to remove\n"));
    }

    #[test]
    fn markdown_counts_and_names_what_is_imported() {
        let markdown = super::markdown("dev-billing", &new_stack_with_an_import(), &[], true);
        assert!(markdown.contains("1 to import, 1 to add, 0 to change, 0 to remove.\n"), "{markdown}");
        assert!(
            markdown.contains(
                "| ← | `InvoicesQueue` | `AWS::SQS::Queue` | no, imported from `https://sqs.eu-west-1.amazonaws.com/1/dev-billing-invoices` |\n"
            ),
            "{markdown}"
        );
    }
}
