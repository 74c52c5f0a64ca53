//! CloudFormation template documents, and their one rendering to JSON.

use std::collections::BTreeMap;

use serde::Serialize;
use serde_json::Value;

/// A CloudFormation template. Maps are ordered, so rendering is deterministic.
#[derive(Clone, Debug, Default, PartialEq, Serialize)]
pub struct Template {
    /// `2010-09-09`, the only version there is.
    #[serde(rename = "AWSTemplateFormatVersion")]
    pub format_version: &'static str,
    /// The domain's description.
    #[serde(rename = "Description", skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    /// Parameters by logical ID: the ARNs of other domains' topics, read from SSM.
    #[serde(rename = "Parameters", skip_serializing_if = "BTreeMap::is_empty")]
    pub parameters: BTreeMap<String, Parameter>,
    /// Resources by logical ID.
    #[serde(rename = "Resources")]
    pub resources: BTreeMap<String, Resource>,
    /// Outputs by logical ID: ARNs and URLs for the domain's code.
    #[serde(rename = "Outputs", skip_serializing_if = "BTreeMap::is_empty")]
    pub outputs: BTreeMap<String, Output>,
}

/// A template parameter.
#[derive(Clone, Debug, PartialEq, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct Parameter {
    /// The parameter type, like `AWS::SSM::Parameter::Value<String>`.
    #[serde(rename = "Type")]
    pub kind: String,
    /// The default value.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub default: Option<String>,
    /// What it is for.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
}

/// A template resource.
#[derive(Clone, Debug, PartialEq, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct Resource {
    /// The resource type, like `AWS::SQS::Queue`.
    #[serde(rename = "Type")]
    pub kind: String,
    /// `Retain` for resources that hold messages.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub deletion_policy: Option<&'static str>,
    /// `Retain` for resources that hold messages.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub update_replace_policy: Option<&'static str>,
    /// Logical IDs created before this resource.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub depends_on: Vec<String>,
    /// Metadata for tools, such as checkov skips.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub metadata: Option<Value>,
    /// The resource's properties.
    pub properties: Value,
}

impl Resource {
    /// A resource of type `kind`.
    pub fn new(kind: &str, properties: Value) -> Self {
        Self {
            kind: kind.to_string(),
            deletion_policy: None,
            update_replace_policy: None,
            depends_on: Vec::new(),
            metadata: None,
            properties,
        }
    }

    /// Keeps the resource, and what it holds, when it is removed from the template or
    /// replaced: for queues, topics and keys, whose loss loses messages.
    #[must_use]
    pub fn retained(mut self) -> Self {
        self.deletion_policy = Some("Retain");
        self.update_replace_policy = Some("Retain");
        self
    }

    /// Creates the resource after `logical_id`.
    #[must_use]
    pub fn depends_on(mut self, logical_id: impl Into<String>) -> Self {
        self.depends_on.push(logical_id.into());
        self
    }

    /// Sets the metadata.
    #[must_use]
    pub fn with_metadata(mut self, metadata: Value) -> Self {
        self.metadata = Some(metadata);
        self
    }
}

/// A template output.
#[derive(Clone, Debug, PartialEq, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct Output {
    /// What it is.
    pub description: String,
    /// Its value, usually a `Ref` or `Fn::GetAtt`.
    pub value: Value,
}

impl Template {
    /// The template as pretty JSON with a final newline: the bytes `fanout synth` writes to
    /// `templates/<stage>/<domain>.json`.
    ///
    /// ```
    /// let template = fanout::Template { format_version: "2010-09-09", ..Default::default() };
    /// assert!(template.to_json().starts_with("{\n  \"AWSTemplateFormatVersion\": \"2010-09-09\""));
    /// ```
    #[expect(clippy::expect_used, reason = "rendering a template cannot fail: see the messages")]
    pub fn to_json(&self) -> String {
        // Rendered resources take about a kilobyte each: sized up front, the buffer is not
        // copied over and over as it grows.
        let mut bytes = Vec::with_capacity(2048 + 2048 * self.resources.len());
        self.serialize(&mut serde_json::Serializer::with_formatter(&mut bytes, Pretty::default())).expect(SERIALIZES);
        bytes.push(b'\n');
        String::from_utf8(bytes).expect("serde_json writes only UTF-8")
    }

    /// The template as YAML, for readers who prefer it; JSON stays the deployed form.
    ///
    /// ```
    /// let template = fanout::Template { format_version: "2010-09-09", ..Default::default() };
    /// assert!(template.to_yaml().starts_with("AWSTemplateFormatVersion: 2010-09-09"));
    /// ```
    #[expect(clippy::expect_used, reason = "rendering a template cannot fail: see the message")]
    pub fn to_yaml(&self) -> String {
        serde_yaml::to_string(self).expect(SERIALIZES)
    }

    /// The template as a JSON value.
    #[expect(clippy::expect_used, reason = "rendering a template cannot fail: see the message")]
    pub fn to_value(&self) -> Value {
        serde_json::to_value(self).expect(SERIALIZES)
    }
}

/// Why serializing a [`Template`] cannot fail: every map in it has string keys, it holds no
/// float that is not finite (a `serde_json::Value` cannot), and its writers write to memory.
const SERIALIZES: &str = "a template serializes: string keys, finite numbers, written to memory";

/// The output of `serde_json::ser::PrettyFormatter` (two spaces per level), which writes a
/// line break and then its indentation two bytes at a time: most of rendering was such
/// tiny writes. This one writes a line break with its indentation at once.
#[derive(Default)]
struct Pretty {
    depth: usize,
    has_value: bool,
}

/// `,` and a line break, then the indentation of the deepest level written at once.
const LINE_BREAK: [u8; 2 + 2 * 64] = {
    let mut bytes = [b' '; 2 + 2 * 64];
    bytes[0] = b',';
    bytes[1] = b'\n';
    bytes
};

impl Pretty {
    /// A line break (after a comma if `comma`), indented to the current depth.
    fn line_break<W: ?Sized + std::io::Write>(&self, writer: &mut W, comma: bool) -> std::io::Result<()> {
        let start = if comma { 0 } else { 1 };
        match LINE_BREAK.get(start..2 + 2 * self.depth) {
            Some(bytes) => writer.write_all(bytes),
            None => {
                writer.write_all(&LINE_BREAK[start..2])?;
                (0..self.depth).try_for_each(|_| writer.write_all(b"  "))
            }
        }
    }
}

impl Pretty {
    /// Opens an array or object with `bracket`, one level deeper.
    fn open<W: ?Sized + std::io::Write>(&mut self, writer: &mut W, bracket: &[u8]) -> std::io::Result<()> {
        self.depth += 1;
        self.has_value = false;
        writer.write_all(bracket)
    }

    /// Closes an array or object with `bracket`, on its own line unless it is empty.
    fn close<W: ?Sized + std::io::Write>(&mut self, writer: &mut W, bracket: &[u8]) -> std::io::Result<()> {
        self.depth -= 1;
        if self.has_value {
            self.line_break(writer, false)?;
        }
        writer.write_all(bracket)
    }
}

impl serde_json::ser::Formatter for Pretty {
    fn begin_array<W: ?Sized + std::io::Write>(&mut self, writer: &mut W) -> std::io::Result<()> {
        self.open(writer, b"[")
    }

    fn end_array<W: ?Sized + std::io::Write>(&mut self, writer: &mut W) -> std::io::Result<()> {
        self.close(writer, b"]")
    }

    fn begin_array_value<W: ?Sized + std::io::Write>(&mut self, writer: &mut W, first: bool) -> std::io::Result<()> {
        self.line_break(writer, !first)
    }

    fn end_array_value<W: ?Sized + std::io::Write>(&mut self, _writer: &mut W) -> std::io::Result<()> {
        self.has_value = true;
        Ok(())
    }

    fn begin_object<W: ?Sized + std::io::Write>(&mut self, writer: &mut W) -> std::io::Result<()> {
        self.open(writer, b"{")
    }

    fn end_object<W: ?Sized + std::io::Write>(&mut self, writer: &mut W) -> std::io::Result<()> {
        self.close(writer, b"}")
    }

    fn begin_object_key<W: ?Sized + std::io::Write>(&mut self, writer: &mut W, first: bool) -> std::io::Result<()> {
        self.line_break(writer, !first)
    }

    fn begin_object_value<W: ?Sized + std::io::Write>(&mut self, writer: &mut W) -> std::io::Result<()> {
        writer.write_all(b": ")
    }

    fn end_object_value<W: ?Sized + std::io::Write>(&mut self, _writer: &mut W) -> std::io::Result<()> {
        self.has_value = true;
        Ok(())
    }
}

/// `{"Ref": id}`.
pub fn reference(logical_id: &str) -> Value {
    json!({ "Ref": logical_id })
}

/// `{"Fn::GetAtt": [id, attribute]}`.
pub fn get_att(logical_id: &str, attribute: &str) -> Value {
    json!({ "Fn::GetAtt": [logical_id, attribute] })
}

/// `{"Fn::Sub": text}`.
pub fn sub(text: &str) -> Value {
    json!({ "Fn::Sub": text })
}

/// `serde_json::json!`, except that each interpolated value moves in through
/// `Value::from` instead of being serialized into a new `Value`.
///
/// `serde_json::json!` copies every interpolated value through its serializer, so
/// `"Tags": tags` rebuilt the whole list for each resource, and `"Statement": statements`
/// a whole policy: most of synthesis was such copies. Here a value must be something a
/// `Value` is made from (`&str`, `String`, numbers, `bool`, `Vec` of values, `Value`), and
/// a shared one is cloned where it is used, which is visible at the call.
///
/// Object and array syntax as in `serde_json::json!` (from which the rules are adapted,
/// MIT or Apache-2.0), without its error messages for malformed input.
macro_rules! json {
    (@array [$($elems:expr,)*]) => { vec![$($elems,)*] };
    (@array [$($elems:expr),*]) => { vec![$($elems),*] };
    (@array [$($elems:expr,)*] [$($array:tt)*] $($rest:tt)*) => {
        $crate::template::json!(@array [$($elems,)* $crate::template::json!([$($array)*])] $($rest)*)
    };
    (@array [$($elems:expr,)*] {$($map:tt)*} $($rest:tt)*) => {
        $crate::template::json!(@array [$($elems,)* $crate::template::json!({$($map)*})] $($rest)*)
    };
    (@array [$($elems:expr,)*] $next:expr, $($rest:tt)*) => {
        $crate::template::json!(@array [$($elems,)* $crate::template::json!($next),] $($rest)*)
    };
    (@array [$($elems:expr,)*] $last:expr) => {
        $crate::template::json!(@array [$($elems,)* $crate::template::json!($last)])
    };
    (@array [$($elems:expr),*] , $($rest:tt)*) => {
        $crate::template::json!(@array [$($elems,)*] $($rest)*)
    };

    (@object $object:ident () () ()) => {};
    (@object $object:ident [$($key:tt)+] ($value:expr) , $($rest:tt)*) => {
        let _ = $object.insert(($($key)+).into(), $value);
        $crate::template::json!(@object $object () ($($rest)*) ($($rest)*));
    };
    (@object $object:ident [$($key:tt)+] ($value:expr)) => {
        let _ = $object.insert(($($key)+).into(), $value);
    };
    (@object $object:ident ($($key:tt)+) (: [$($array:tt)*] $($rest:tt)*) $copy:tt) => {
        $crate::template::json!(@object $object [$($key)+] ($crate::template::json!([$($array)*])) $($rest)*);
    };
    (@object $object:ident ($($key:tt)+) (: {$($map:tt)*} $($rest:tt)*) $copy:tt) => {
        $crate::template::json!(@object $object [$($key)+] ($crate::template::json!({$($map)*})) $($rest)*);
    };
    (@object $object:ident ($($key:tt)+) (: $value:expr , $($rest:tt)*) $copy:tt) => {
        $crate::template::json!(@object $object [$($key)+] ($crate::template::json!($value)) , $($rest)*);
    };
    (@object $object:ident ($($key:tt)+) (: $value:expr) $copy:tt) => {
        $crate::template::json!(@object $object [$($key)+] ($crate::template::json!($value)));
    };
    (@object $object:ident ($($key:tt)*) ($tt:tt $($rest:tt)*) $copy:tt) => {
        $crate::template::json!(@object $object ($($key)* $tt) ($($rest)*) ($($rest)*));
    };

    ([]) => { serde_json::Value::Array(vec![]) };
    ([ $($tt:tt)+ ]) => { serde_json::Value::Array($crate::template::json!(@array [] $($tt)+)) };
    ({}) => { serde_json::Value::Object(serde_json::Map::new()) };
    ({ $($tt:tt)+ }) => {
        serde_json::Value::Object({
            let mut object = serde_json::Map::new();
            $crate::template::json!(@object object () ($($tt)+) ($($tt)+));
            object
        })
    };
    ($other:expr) => { serde_json::Value::from($other) };
}
pub(crate) use json;

#[cfg(test)]
mod tests {
    use super::{Output, Parameter, Resource, Template};

    /// Deeper than the indentation written at once, so the fallback is covered too.
    fn nested(depth: usize) -> serde_json::Value {
        (0..depth).fold(serde_json::json!("bottom"), |inner, level| match level % 2 {
            0 => serde_json::json!([inner, level]),
            _ => serde_json::json!({ "level": inner }),
        })
    }

    #[test]
    fn renders_as_serde_json_pretty_prints() {
        let properties = serde_json::json!({
            "Empty": {}, "None": [], "Null": null, "Flags": [true, false],
            "Numbers": [0, -1, 1.5, u64::MAX, i64::MIN],
            "Text": "quote \" backslash \\ slash / tab \t line \n bell \u{7} é 😀",
            "Deep": nested(80),
        });
        let mut template =
            Template { format_version: "2010-09-09", description: Some("a \"b\"".into()), ..Template::default() };
        template
            .resources
            .insert("Thing".into(), Resource::new("AWS::X::Y", properties).retained().depends_on("Other"));
        template.resources.insert("Other".into(), Resource::new("AWS::X::Z", serde_json::json!({})));
        template
            .parameters
            .insert("P".into(), Parameter { kind: "String".into(), default: None, description: Some("p".into()) });
        template
            .outputs
            .insert("O".into(), Output { description: "o".into(), value: serde_json::json!({ "Ref": "Thing" }) });
        for template in [template, Template::default()] {
            let expected = serde_json::to_string_pretty(&template).unwrap() + "\n";
            assert_eq!(template.to_json(), expected);
        }
    }
}
