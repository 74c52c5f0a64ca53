//! A change set's plan in words: text for the terminal and `diff`, Markdown for a
//! pull-request comment.

use fanout_aws::{Action, ContractChange, Finding, Plan, Replacement};

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

/// How much a stack's section of a pull-request comment matters: the comment lists the
/// stacks in this order, so what a reviewer must look at comes before what they may skip.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum Weight {
    /// The plan could not be made.
    Failed,
    /// A change the deploy refuses without `--allow-replacement`, or can never make.
    Refused,
    /// A resource would be replaced.
    Replaces,
    /// Changes, none replacing anything.
    Changes,
    /// Nothing would change.
    Unchanged,
}

/// The weight of a plan.
pub fn weight(plan: &Plan, findings: &[Finding]) -> Weight {
    if findings.iter().any(|f| f.blocks(false)) {
        Weight::Refused
    } else if plan.changes.iter().any(|c| c.replacement == Some(Replacement::Always) && c.action != Action::Add) {
        Weight::Replaces
    } else if plan.is_empty() {
        Weight::Unchanged
    } else {
        Weight::Changes
    }
}

/// A plan as a collapsed Markdown section of a pull-request comment: the summary line shows,
/// the table of resources (replacements first) opens on a click, findings stay visible.
pub fn markdown(stack: &str, plan: &Plan, findings: &[Finding], new_stack: bool) -> String {
    let new = if new_stack { " (new stack)" } else { "" };
    if plan.is_empty() {
        return format!("- `{stack}`{new}: no changes\n");
    }
    let flag = match weight(plan, findings) {
        Weight::Refused => " · **refused without `--allow-replacement`**",
        Weight::Replaces => " · **replaces resources**",
        _ => "",
    };
    let mut text = format!("<details><summary><code>{stack}</code>{new}: {}{flag}</summary>\n\n", summary(plan));
    text.push_str("| | Resource | Type | Replacement |\n|---|---|---|---|\n");
    let mut changes: Vec<_> = plan.changes.iter().collect();
    // Replacements first, then what may replace; the rest in the change set's order.
    changes.sort_by_key(|c| match c.replacement {
        Some(Replacement::Always) if c.action != Action::Add => 0,
        Some(Replacement::Conditional) => 1,
        _ => 2,
    });
    for c in changes {
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
    text.push_str("\n</details>\n\n");
    for finding in findings {
        let label = if finding.blocks(false) { "**Refused without `--allow-replacement`**" } else { "Warning" };
        text.push_str(&format!("- {label}: {finding} ({})\n", finding.hint()));
    }
    if !findings.is_empty() {
        text.push('\n');
    }
    text
}

/// The changes of a stack's topics' contracts in words, each with the consumers it affects;
/// a breaking one is an error unless `--allow-breaking` lets it through (`allow_breaking`),
/// and only `deploy` refuses (`refuses`).
pub fn contract_text(changes: &[ContractChange], refuses: bool, allow_breaking: bool) -> String {
    let mut text = String::new();
    for change in changes {
        let (label, style) = match (change.breaking, refuses && !allow_breaking) {
            (true, true) => ("error", ERROR),
            (true, false) => ("breaking", WARNING),
            (false, _) => ("compatible", HINT),
        };
        text.push_str(&format!(
            "  {style}{label}{style:#}: contract of topic `{}`: {} ({})
    affects: {}
",
            change.topic,
            change.what,
            change.reason,
            change.affected_list()
        ));
    }
    if changes.iter().any(|c| c.breaking) {
        let hint = if !refuses {
            "`deploy` refuses a breaking change unless `--allow-breaking` is given; tell the affected teams first"
        } else if allow_breaking {
            "let through by `--allow-breaking`: the affected consumers' next deploys stop in pre-flight until they run `fanout lock` and review the change"
        } else {
            "nothing was created; tell the affected teams, make the change compatible, or pass `--allow-breaking` to deploy it anyway"
        };
        text.push_str(&format!(
            "    {HINT}hint{HINT:#}: {hint}
"
        ));
    }
    text
}

/// The changes of a stack's topics' contracts as Markdown for a pull-request comment.
pub fn contract_markdown(changes: &[ContractChange]) -> String {
    let mut text = String::new();
    for change in changes {
        let label = if change.breaking { "**Breaking contract change**" } else { "Compatible contract change" };
        text.push_str(&format!(
            "- {label} of topic `{}`: {} ({}); affects: {}\n",
            change.topic,
            change.what,
            change.reason,
            change.affected_list()
        ));
    }
    if changes.iter().any(|c| c.breaking) {
        text.push_str("- `deploy` refuses it without `--allow-breaking`\n");
    }
    if !changes.is_empty() {
        text.push('\n');
    }
    text
}

/// The longest comment GitHub accepts is 65,536 characters; the CI examples put a marker line
/// in front of the plan, so the plan keeps well below.
pub const COMMENT_LIMIT: usize = 65_000;

/// A whole pull-request comment: a heading, then each stack's section, heaviest first (stable
/// within a weight), cut at a section boundary with a note when it would exceed `limit`
/// characters.
pub fn comment(stage: &str, mut sections: Vec<(Weight, String)>, limit: usize) -> String {
    sections.sort_by_key(|(weight, _)| *weight);
    let count = |weight: Weight| sections.iter().filter(|(w, _)| *w == weight).count();
    let changed = sections.len() - count(Weight::Unchanged) - count(Weight::Failed);
    let mut text =
        format!("## fanout diff: stage `{stage}`\n\n{} to change, {} unchanged", changed, count(Weight::Unchanged));
    for (weight, what) in [(Weight::Failed, "failed"), (Weight::Refused, "refused"), (Weight::Replaces, "replacing")] {
        if count(weight) > 0 {
            text.push_str(&format!(", {} {what}", count(weight)));
        }
    }
    text.push_str(".\n\n");
    let total = sections.len();
    for (shown, (_, section)) in sections.into_iter().enumerate() {
        let note = format!(
            "\n**Not shown: {}**, as the comment would be longer than GitHub allows. \
             Run `fanout diff --stage {stage}` for the whole plan.\n",
            crate::render::plural(total - shown, "more stack")
        );
        if text.chars().count() + section.chars().count() + note.chars().count() > limit {
            text.push_str(&note);
            return text;
        }
        text.push_str(&section);
    }
    text
}

#[cfg(test)]
mod tests {
    use fanout_aws::{Action, AffectedConsumer, ContractChange, Plan, ResourceChange};

    fn schema_changed() -> ContractChange {
        ContractChange {
            topic: "ingestion/scoring-inputs-ready".into(),
            breaking: true,
            what: "schema changed".into(),
            reason: "it accepts events the old one rejected".into(),
            attribute: None,
            affected: vec![AffectedConsumer { domain: "scoring".into(), queues: vec!["scoring-runs".into()] }],
        }
    }

    #[test]
    fn contract_changes_name_the_affected_consumers() {
        let plain = |text: String| anstream::adapter::strip_str(&text).to_string();
        let text = plain(super::contract_text(&[schema_changed()], true, false));
        assert!(
            text.starts_with("  error: contract of topic `ingestion/scoring-inputs-ready`: schema changed (it accepts events the old one rejected)\n    affects: `scoring` (queues `scoring-runs`)\n"),
            "{text}"
        );
        assert!(text.contains("--allow-breaking"), "{text}");
        assert!(plain(super::contract_text(&[schema_changed()], false, false)).starts_with("  breaking: "));
        let markdown = super::contract_markdown(&[schema_changed()]);
        assert!(
            markdown.starts_with("- **Breaking contract change** of topic `ingestion/scoring-inputs-ready`"),
            "{markdown}"
        );
        assert!(markdown.contains("affects: `scoring` (queues `scoring-runs`)"), "{markdown}");
    }

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
    fn comment_puts_the_heaviest_stacks_first_and_keeps_order_within_a_weight() {
        let sections = vec![
            (super::Weight::Unchanged, "- `dev-a`: no changes\n".to_string()),
            (super::Weight::Changes, "changes b\n".to_string()),
            (super::Weight::Refused, "refused c\n".to_string()),
            (super::Weight::Changes, "changes d\n".to_string()),
            (super::Weight::Failed, "failed e\n".to_string()),
        ];
        let comment = super::comment("dev", sections, super::COMMENT_LIMIT);
        assert_eq!(
            comment,
            "## fanout diff: stage `dev`\n\n3 to change, 1 unchanged, 1 failed, 1 refused.\n\n\
             failed e\nrefused c\nchanges b\nchanges d\n- `dev-a`: no changes\n"
        );
    }

    #[test]
    fn comment_is_cut_at_a_stack_with_a_note_when_over_the_limit() {
        let sections: Vec<_> = (0..100).map(|i| (super::Weight::Changes, format!("{i:0>99}\n"))).collect();
        let comment = super::comment("prod", sections, 5_000);
        assert!(comment.chars().count() <= 5_000, "{} characters", comment.chars().count());
        let shown = comment.lines().filter(|line| line.len() == 99).count();
        assert!(shown > 40 && shown < 50, "{shown} stacks shown");
        assert!(
            comment.ends_with(&format!(
                "**Not shown: {} more stacks**, as the comment would be longer than GitHub allows. \
                 Run `fanout diff --stage prod` for the whole plan.\n",
                100 - shown
            )),
            "{comment}"
        );
    }

    #[test]
    fn markdown_collapses_a_stack_and_lists_replacements_first() {
        let mut plan = new_stack_with_an_import();
        let mut replaced = change("InvoicesTopic", Action::Modify, None);
        replaced.replacement = Some(fanout_aws::Replacement::Always);
        plan.changes.push(replaced);
        let markdown = super::markdown("dev-billing", &plan, &[], false);
        assert!(
            markdown.starts_with(
                "<details><summary><code>dev-billing</code>: 1 to import, 1 to add, 1 to change, 0 to remove \
                 · **replaces resources**</summary>\n\n| | Resource | Type | Replacement |\n|---|---|---|---|\n\
                 | ± | `InvoicesTopic` |"
            ),
            "{markdown}"
        );
        assert_eq!(super::weight(&plan, &[]), super::Weight::Replaces);
    }

    #[test]
    fn markdown_counts_and_names_what_is_imported() {
        let markdown = super::markdown("dev-billing", &new_stack_with_an_import(), &[], true);
        assert!(
            markdown.contains(" (new stack): 1 to import, 1 to add, 0 to change, 0 to remove</summary>"),
            "{markdown}"
        );
        assert!(
            markdown.contains(
                "| ← | `InvoicesQueue` | `AWS::SQS::Queue` | no, imported from `https://sqs.eu-west-1.amazonaws.com/1/dev-billing-invoices` |\n"
            ),
            "{markdown}"
        );
    }
}
