//! The colours of what the CLI writes, in one place. Every line reads the same without them
//! (`--color never`, `NO_COLOR`, a pipe).

use anstyle::{AnsiColor, Style};

/// `error` labels and failed statuses.
pub const ERROR: Style = AnsiColor::Red.on_default().bold();
/// `warning` labels.
pub const WARNING: Style = AnsiColor::Yellow.on_default().bold();
/// `hint` labels.
pub const HINT: Style = AnsiColor::Cyan.on_default().bold();
/// `ok` labels and completed statuses.
pub const GOOD: Style = AnsiColor::Green.on_default().bold();
/// What frames a line: `-->`, `=`, `caused by`, the stack name before a progress line.
pub const DIM: Style = AnsiColor::Blue.on_default().bold();
/// A diagnostic's message.
pub const BOLD: Style = Style::new().bold();
