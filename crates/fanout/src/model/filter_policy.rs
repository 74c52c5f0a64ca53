//! The SNS subscription filter policy grammar, checked before SNS would refuse a policy at
//! deploy: the shape for attribute and body scope, every operator with its operands, and
//! SNS's limits on keys, value combinations (counting `$or` expansion) and size.
//!
//! What SNS accepts (its developer guide, "Amazon SNS message filtering"):
//! - a policy is an object of keys; under attribute scope each key holds a non-empty list of
//!   conditions, under body scope a key may also hold an object of nested keys;
//! - `$or` holds a list of at least two policies, one of which must match;
//! - a condition is an exact string, an exact number (within ±10⁹, five decimals), `true`,
//!   `false` or `null`, or an object of one operator: `prefix`, `suffix` and
//!   `equals-ignore-case` (a string), `anything-but` (a value, a list of strings or numbers,
//!   or `{prefix: ...}` / `{suffix: ...}`), `numeric` (`[op, n]` or a range
//!   `[">"|">=", n, "<"|"<=", m]`), `exists` (`true` or `false`) and `cidr` (an IP prefix);
//! - at most 5 keys, at most 150 value combinations (the product of each key's number of
//!   values; the branches of `$or` add up), at most 256 KB.

use serde_json::{Map, Value};

use super::FilterScope;
use crate::diagnostic::{DiagnosticKind, FieldPath, did_you_mean, quote_list};
use crate::limits;

/// The operators a condition object may hold.
const OPERATORS: &[&str] = &["anything-but", "cidr", "equals-ignore-case", "exists", "numeric", "prefix", "suffix"];
/// How deeply keys of a body policy may nest: SNS documents no bound, and fanout keeps one
/// so a policy stays readable and its checks stay shallow.
pub const MAX_DEPTH: usize = 16;
/// Numeric values SNS compares: from -10⁹ to 10⁹.
const NUMERIC_BOUND: f64 = 1e9;
/// Digits after the decimal point SNS keeps.
const NUMERIC_DECIMALS: usize = 5;

/// One problem of a policy: where, what and how to fix it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Problem {
    /// Which rule it breaks.
    pub kind: DiagnosticKind,
    /// The field, below the policy's own path.
    pub path: FieldPath,
    /// What is wrong.
    pub message: String,
    /// How to fix it.
    pub hint: String,
}

/// Every problem of `policy` under `scope`; `path` is the policy's field.
pub fn check(policy: &Map<String, Value>, scope: FilterScope, path: &FieldPath) -> Vec<Problem> {
    let mut checker = Checker { scope, problems: Vec::new() };
    if policy.is_empty() {
        checker.problem(
            DiagnosticKind::EmptyFilterPolicy,
            path.clone(),
            "the filter policy is empty",
            "name at least one key, or remove `filter`",
        );
        return checker.problems;
    }
    let shape = checker.policy(policy, path, 1);
    if checker.problems.is_empty() {
        if shape.keys > limits::FILTER_KEYS {
            checker.problem(
                DiagnosticKind::FilterTooManyKeys,
                path.clone(),
                format!("the filter policy has {} keys; SNS allows at most {}", shape.keys, limits::FILTER_KEYS),
                "filter on fewer keys, or split the subscription across queues",
            );
        }
        if shape.combinations > limits::FILTER_COMBINATIONS {
            checker.problem(DiagnosticKind::FilterTooManyCombinations,
                path.clone(),
                format!(
                    "the filter policy has {} value combinations; SNS allows at most {}",
                    shape.combinations,
                    limits::FILTER_COMBINATIONS
                ),
                "the count is the product of the number of values of each key, and the branches of `$or` add up; list fewer values",
            );
        }
    }
    let size = Value::Object(policy.clone()).to_string().len();
    if size > limits::FILTER_POLICY_BYTES {
        checker.problem(
            DiagnosticKind::FilterPolicyTooLarge,
            path.clone(),
            format!("the filter policy is {size} bytes; SNS allows {}", limits::FILTER_POLICY_BYTES),
            "make it smaller",
        );
    }
    checker.problems
}

/// What a policy adds up to: its keys (the most of any `$or` branch) and value combinations.
#[derive(Clone, Copy, Debug, Default)]
struct Shape {
    keys: usize,
    combinations: u64,
}

struct Checker {
    scope: FilterScope,
    problems: Vec<Problem>,
}

impl Checker {
    fn problem(&mut self, kind: DiagnosticKind, path: FieldPath, message: impl Into<String>, hint: impl Into<String>) {
        self.problems.push(Problem { kind, path, message: message.into(), hint: hint.into() });
    }

    fn policy(&mut self, policy: &Map<String, Value>, path: &FieldPath, depth: usize) -> Shape {
        let mut shape = Shape { keys: 0, combinations: 1 };
        if depth > MAX_DEPTH {
            self.problem(
                DiagnosticKind::FilterTooDeep,
                path.clone(),
                format!("the filter policy nests deeper than {MAX_DEPTH} levels"),
                "filter on fewer levels of the message body",
            );
            return shape;
        }
        for (key, value) in policy {
            let key_path = path.key(key.clone());
            let part = match value {
                Value::Array(branches) if key == "$or" => self.or(branches, &key_path, depth),
                Value::Array(conditions) if !conditions.is_empty() => {
                    for (index, condition) in conditions.iter().enumerate() {
                        self.condition(condition, &key_path.index(index));
                    }
                    Shape { keys: 1, combinations: conditions.len() as u64 }
                }
                Value::Object(nested) if self.scope == FilterScope::MessageBody && !key.starts_with('$') => {
                    if nested.is_empty() {
                        self.problem(
                            DiagnosticKind::FilterValuesNotAList,
                            key_path,
                            format!("filter key `{key}` holds an empty object"),
                            format!("list the accepted values: `{key}: [value]`"),
                        );
                        continue;
                    }
                    self.policy(nested, &key_path, depth + 1)
                }
                Value::Object(_) if OPERATORS.contains(&key.as_str()) => {
                    self.problem(
                        DiagnosticKind::FilterOperatorAsKey,
                        key_path,
                        format!("`{key}` is an operator, not a key: it goes inside a list of values"),
                        format!("write `<key>: [{{ {key}: ... }}]`"),
                    );
                    continue;
                }
                Value::Object(_) => {
                    self.problem(
                        DiagnosticKind::NestedAttributeFilter,
                        key_path,
                        format!("filter key `{key}` holds a nested object; attribute filter policies are flat"),
                        "list the accepted values (`[a, b]`), or filter on the message body with `body:`",
                    );
                    continue;
                }
                _ => {
                    self.problem(
                        DiagnosticKind::FilterValuesNotAList,
                        key_path,
                        format!("filter key `{key}` must hold a non-empty list of values"),
                        format!("write `{key}: [value]`"),
                    );
                    continue;
                }
            };
            shape.keys = shape.keys.saturating_add(part.keys);
            shape.combinations = shape.combinations.saturating_mul(part.combinations);
        }
        shape
    }

    /// `$or`: at least two policies; the keys of the largest branch, the combinations of all.
    fn or(&mut self, branches: &[Value], path: &FieldPath, depth: usize) -> Shape {
        if branches.len() < 2 {
            self.problem(
                DiagnosticKind::InvalidFilterOr,
                path.clone(),
                format!("`$or` holds {} {}; it needs at least 2", branches.len(), plural(branches.len(), "policy")),
                "list the alternatives: `$or: [{ a: [x] }, { b: [y] }]`",
            );
        }
        let mut shape = Shape { keys: 0, combinations: 0 };
        for (index, branch) in branches.iter().enumerate() {
            let branch_path = path.index(index);
            let Value::Object(branch) = branch else {
                self.problem(
                    DiagnosticKind::InvalidFilterOr,
                    branch_path,
                    "each alternative of `$or` is a policy object",
                    "write `{ key: [value] }`",
                );
                continue;
            };
            if let Some(operator) = branch.keys().find(|key| OPERATORS.contains(&key.as_str())) {
                self.problem(
                    DiagnosticKind::FilterOperatorAsKey,
                    branch_path,
                    format!("an alternative of `$or` names the operator `{operator}` as a key"),
                    format!("SNS then reads `$or` as a plain key; write `{{ <key>: [{{ {operator}: ... }}] }}`"),
                );
                continue;
            }
            if branch.is_empty() {
                self.problem(
                    DiagnosticKind::InvalidFilterOr,
                    branch_path,
                    "an alternative of `$or` is empty",
                    "name at least one key in it",
                );
                continue;
            }
            let part = self.policy(branch, &branch_path, depth + 1);
            shape.keys = shape.keys.max(part.keys);
            shape.combinations = shape.combinations.saturating_add(part.combinations);
        }
        shape
    }

    fn condition(&mut self, condition: &Value, path: &FieldPath) {
        match condition {
            Value::String(_) | Value::Bool(_) | Value::Null => {}
            Value::Number(number) => self.number(number, path),
            Value::Array(_) => self.problem(
                DiagnosticKind::InvalidFilterCondition,
                path.clone(),
                "a value is a list; lists of values do not nest",
                "write the values in one list: `[a, b]`",
            ),
            Value::Object(operator) => self.operator(operator, path),
        }
    }

    fn operator(&mut self, operator: &Map<String, Value>, path: &FieldPath) {
        let mut entries = operator.iter();
        let (Some((name, operand)), None) = (entries.next(), entries.next()) else {
            self.problem(
                DiagnosticKind::InvalidFilterCondition,
                path.clone(),
                format!("a condition holds {} operators; it takes exactly one", operator.len()),
                format!("use one of {}, each in its own value of the list", quote_list(OPERATORS)),
            );
            return;
        };
        let path = path.key(name.clone());
        match name.as_str() {
            "prefix" | "suffix" | "equals-ignore-case" => self.string_operand(name, operand, &path),
            "exists" if operand.is_boolean() => {}
            "exists" => self.problem(
                DiagnosticKind::InvalidFilterCondition,
                path,
                "`exists` takes `true` or `false`",
                "write `{ exists: true }`",
            ),
            "cidr" => self.cidr(operand, &path),
            "numeric" => self.numeric(operand, &path),
            "anything-but" => self.anything_but(operand, &path),
            unknown => {
                let hint = match did_you_mean(unknown, OPERATORS.iter().copied()) {
                    Some(close) => format!("did you mean `{close}`?"),
                    None => format!("the operators are {}", quote_list(OPERATORS)),
                };
                self.problem(
                    DiagnosticKind::InvalidFilterCondition,
                    path,
                    format!("`{unknown}` is not a filter policy operator"),
                    hint,
                );
            }
        }
    }

    fn string_operand(&mut self, name: &str, operand: &Value, path: &FieldPath) {
        match operand {
            Value::String(text) if !text.is_empty() || name == "equals-ignore-case" => {}
            Value::String(_) => self.problem(
                DiagnosticKind::InvalidFilterCondition,
                path.clone(),
                format!("`{name}` is empty"),
                format!("write `{{ {name}: <text> }}`"),
            ),
            _ => self.problem(
                DiagnosticKind::InvalidFilterCondition,
                path.clone(),
                format!("`{name}` takes a string"),
                format!("write `{{ {name}: <text> }}`"),
            ),
        }
    }

    fn anything_but(&mut self, operand: &Value, path: &FieldPath) {
        match operand {
            Value::String(_) => {}
            Value::Number(number) => self.number(number, path),
            Value::Array(values) if !values.is_empty() => {
                let strings = values.iter().all(Value::is_string);
                let numbers = values.iter().all(Value::is_number);
                if !(strings || numbers) {
                    self.problem(
                        DiagnosticKind::InvalidFilterCondition,
                        path.clone(),
                        "`anything-but` takes a list of strings or a list of numbers",
                        "do not mix strings, numbers and other values in one list",
                    );
                }
                for (index, value) in values.iter().enumerate() {
                    if let Value::Number(number) = value {
                        self.number(number, &path.index(index));
                    }
                }
            }
            Value::Object(nested) => {
                let mut entries = nested.iter();
                match (entries.next(), entries.next()) {
                    (Some((name, operand)), None) if name == "prefix" || name == "suffix" => {
                        self.string_operand(name, operand, &path.key(name.clone()));
                    }
                    _ => self.problem(
                        DiagnosticKind::InvalidFilterCondition,
                        path.clone(),
                        "`anything-but` takes a value, a list of values, or one of `prefix` and `suffix`",
                        "write `{ anything-but: [a, b] }` or `{ anything-but: { prefix: <text> } }`",
                    ),
                }
            }
            _ => self.problem(
                DiagnosticKind::InvalidFilterCondition,
                path.clone(),
                "`anything-but` takes a value, a list of values, or one of `prefix` and `suffix`",
                "write `{ anything-but: [a, b] }` or `{ anything-but: { prefix: <text> } }`",
            ),
        }
    }

    fn numeric(&mut self, operand: &Value, path: &FieldPath) {
        let hint = "write `{ numeric: [\">=\", 0] }` or a range `{ numeric: [\">\", 0, \"<=\", 100] }`";
        let Value::Array(items) = operand else {
            self.problem(
                DiagnosticKind::InvalidFilterCondition,
                path.clone(),
                "`numeric` takes a list: an operator and a number, or two of each",
                hint,
            );
            return;
        };
        let pair = |index: usize| -> Option<(&str, f64)> {
            Some((items.get(index)?.as_str()?, items.get(index + 1)?.as_f64()?))
        };
        for (index, item) in items.iter().enumerate() {
            if let Value::Number(number) = item {
                self.number(number, &path.index(index));
            }
        }
        match (items.len(), pair(0), pair(2)) {
            (2, Some((op, _)), _) if ["=", "<", "<=", ">", ">="].contains(&op) => {}
            (4, Some((low_op, low)), Some((high_op, high))) if [">", ">="].contains(&low_op) && ["<", "<="].contains(&high_op) => {
                if low >= high {
                    self.problem(DiagnosticKind::InvalidFilterCondition,
                        path.clone(),
                        format!("the range of `numeric` is empty: {low} is not below {high}"),
                        "write the lower bound first: `[\">\", 0, \"<=\", 100]`",
                    );
                }
            }
            _ => self.problem(DiagnosticKind::InvalidFilterCondition,
                path.clone(),
                format!("`numeric` takes `[op, number]` (op one of `=`, `<`, `<=`, `>`, `>=`) or a range `[\">\" or \">=\", number, \"<\" or \"<=\", number]`, not `{operand}`"),
                hint,
            ),
        }
    }

    /// A number SNS compares: within ±10⁹, at most five decimals.
    fn number(&mut self, number: &serde_json::Number, path: &FieldPath) {
        let text = number.to_string();
        let decimals =
            text.split_once('.').map_or(0, |(_, fraction)| fraction.split(['e', 'E']).next().unwrap_or_default().len());
        let in_range = number.as_f64().is_some_and(|value| value.abs() <= NUMERIC_BOUND);
        if !in_range || decimals > NUMERIC_DECIMALS || text.contains(['e', 'E']) {
            self.problem(DiagnosticKind::FilterNumberOutOfRange,
                path.clone(),
                format!("SNS compares numbers from -1000000000 to 1000000000 with at most {NUMERIC_DECIMALS} decimals, not `{text}`"),
                "write a number in that range, or match the value as a string (`\"...\"`)",
            );
        }
    }

    fn cidr(&mut self, operand: &Value, path: &FieldPath) {
        let valid = operand.as_str().and_then(|text| text.split_once('/')).is_some_and(|(address, bits)| {
            let bits = bits.parse::<u8>().ok();
            match address.parse::<std::net::IpAddr>() {
                Ok(std::net::IpAddr::V4(_)) => bits.is_some_and(|bits| bits <= 32),
                Ok(std::net::IpAddr::V6(_)) => bits.is_some_and(|bits| bits <= 128),
                Err(_) => false,
            }
        });
        if !valid {
            self.problem(
                DiagnosticKind::InvalidFilterCondition,
                path.clone(),
                format!("`cidr` takes an IP prefix like `10.0.0.0/24`, not `{operand}`"),
                "write an IPv4 or IPv6 address, `/`, and the prefix length",
            );
        }
    }
}

/// One key a checked filter policy reads: its keys from the top of the policy (more than one
/// only in a nested body policy), where it is written, and its list of conditions.
#[derive(Clone, Debug, PartialEq)]
pub struct FilterKey<'a> {
    /// The keys from the top of the message attributes or body: `["customer", "tier"]`.
    pub keys: Vec<&'a str>,
    /// The field the key is written at, below the policy's own path (`$or` branches included).
    pub path: FieldPath,
    /// Its conditions.
    pub conditions: &'a [Value],
}

impl FilterKey<'_> {
    /// The key as a JSON Pointer into the message body: `/customer/tier`.
    pub fn pointer(&self) -> String {
        self.keys.iter().map(|key| format!("/{}", key.replace('~', "~0").replace('/', "~1"))).collect()
    }
}

/// Every key `policy` reads, in the order written, the keys of every `$or` branch included;
/// `path` is the policy's field. The policy is one [`check`] found no problem with.
pub fn keys<'a>(policy: &'a Map<String, Value>, path: &FieldPath) -> Vec<FilterKey<'a>> {
    let mut found = Vec::new();
    collect_keys(policy, path, &[], &mut found);
    found
}

fn collect_keys<'a>(
    policy: &'a Map<String, Value>,
    path: &FieldPath,
    above: &[&'a str],
    found: &mut Vec<FilterKey<'a>>,
) {
    for (key, value) in policy {
        let key_path = path.key(key.clone());
        match value {
            Value::Array(branches) if key == "$or" => {
                for (index, branch) in branches.iter().enumerate() {
                    if let Value::Object(branch) = branch {
                        collect_keys(branch, &key_path.index(index), above, found);
                    }
                }
            }
            Value::Array(conditions) => {
                let mut keys = above.to_vec();
                keys.push(key);
                found.push(FilterKey { keys, path: key_path, conditions });
            }
            Value::Object(nested) => {
                let mut keys = above.to_vec();
                keys.push(key);
                collect_keys(nested, &key_path, &keys, found);
            }
            _ => {}
        }
    }
}

fn plural(count: usize, word: &'static str) -> &'static str {
    match (count, word) {
        (1, word) => word,
        (_, "policy") => "policies",
        (_, word) => word,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn problems(scope: FilterScope, policy: Value) -> Vec<String> {
        let Value::Object(policy) = policy else { return vec!["not an object".to_string()] };
        check(&policy, scope, &FieldPath::root().key("body"))
            .into_iter()
            .map(|p| format!("{}: {}", p.path, p.message))
            .collect()
    }

    #[test]
    fn every_operator_in_its_valid_forms_passes() {
        let policies = [
            serde_json::json!({
                "a": ["x", 1, 2.5, true, null, {"prefix": "ord-"}, {"suffix": ".png"}, {"equals-ignore-case": "EU"}],
                "$or": [{"d": [{"cidr": "10.0.0.0/24"}]}, {"e": [{"cidr": "2001:db8::/32"}]}],
            }),
            serde_json::json!({
                "b": [{"anything-but": "x"}, {"anything-but": [1, 2]}, {"anything-but": {"prefix": "t"}}, {"anything-but": {"suffix": "z"}}],
                "c": [{"numeric": ["=", 0]}, {"numeric": [">", 0, "<=", 1000000000]}, {"exists": false}],
            }),
        ];
        for policy in policies {
            assert_eq!(problems(FilterScope::MessageAttributes, policy), Vec::<String>::new());
        }
    }

    #[test]
    fn operator_typos_and_bad_operands_are_found() {
        let policy = serde_json::json!({
            "a": [{"prefx": "x"}, {"numeric": [">", "ten"]}, {"numeric": ["<", 5, ">", 1]}, {"exists": "yes"}],
            "b": [{"cidr": "10.0.0.0/33"}, {"anything-but": {"exists": true}}, 1.123456, {"prefix": "a", "suffix": "b"}],
        });
        assert_eq!(
            problems(FilterScope::MessageBody, policy),
            [
                "body.a[0].prefx: `prefx` is not a filter policy operator",
                "body.a[1].numeric: `numeric` takes `[op, number]` (op one of `=`, `<`, `<=`, `>`, `>=`) or a range `[\">\" or \">=\", number, \"<\" or \"<=\", number]`, not `[\">\",\"ten\"]`",
                "body.a[2].numeric: `numeric` takes `[op, number]` (op one of `=`, `<`, `<=`, `>`, `>=`) or a range `[\">\" or \">=\", number, \"<\" or \"<=\", number]`, not `[\"<\",5,\">\",1]`",
                "body.a[3].exists: `exists` takes `true` or `false`",
                "body.b[0].cidr: `cidr` takes an IP prefix like `10.0.0.0/24`, not `\"10.0.0.0/33\"`",
                "body.b[1].anything-but: `anything-but` takes a value, a list of values, or one of `prefix` and `suffix`",
                "body.b[2]: SNS compares numbers from -1000000000 to 1000000000 with at most 5 decimals, not `1.123456`",
                "body.b[3]: a condition holds 2 operators; it takes exactly one",
            ]
        );
    }

    #[test]
    fn or_branches_add_combinations_and_keys_count_per_branch() {
        // 2 × (3 × 2 + 10 × 10) = 212 combinations, over 150.
        let ten: Vec<i32> = (0..10).collect();
        let policy = serde_json::json!({
            "a": [1, 2],
            "$or": [{"b": [1, 2, 3], "c": [1, 2]}, {"d": ten, "e": ten}],
        });
        assert_eq!(
            problems(FilterScope::MessageAttributes, policy),
            ["body: the filter policy has 212 value combinations; SNS allows at most 150"]
        );
        let single = serde_json::json!({"$or": [{"a": [1]}]});
        assert_eq!(
            problems(FilterScope::MessageAttributes, single),
            ["body.$or: `$or` holds 1 policy; it needs at least 2"]
        );
    }

    #[test]
    fn keys_are_found_in_or_branches_and_nested_objects() {
        let policy = serde_json::json!({
            "customer": {"tier": ["gold"], "a/b": {"c~d": [1]}},
            "$or": [{"kind": ["x"]}, {"customer": {"region": ["eu"]}}],
        });
        let Value::Object(policy) = policy else { unreachable!() };
        let found: Vec<(String, String)> = keys(&policy, &FieldPath::root().key("body"))
            .iter()
            .map(|key| (key.pointer(), key.path.to_string()))
            .collect();
        assert_eq!(
            found,
            [
                ("/kind".to_string(), "body.$or[0].kind".to_string()),
                ("/customer/region".to_string(), "body.$or[1].customer.region".to_string()),
                ("/customer/a~1b/c~0d".to_string(), "body.customer.a/b.c~d".to_string()),
                ("/customer/tier".to_string(), "body.customer.tier".to_string()),
            ]
        );
    }

    #[test]
    fn nesting_is_bounded() {
        let mut policy = serde_json::json!({"leaf": ["x"]});
        for _ in 0..MAX_DEPTH {
            policy = serde_json::json!({ "k": policy });
        }
        let found = problems(FilterScope::MessageBody, policy);
        assert_eq!(found.len(), 1, "{found:?}");
        assert!(found[0].ends_with("the filter policy nests deeper than 16 levels"), "{found:?}");
    }
}
