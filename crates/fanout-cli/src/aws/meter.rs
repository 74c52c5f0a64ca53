//! Progress of the commands that move messages (`redrive`, `publish`): a bar on a terminal,
//! one plain line per step in CI logs and pipes, JSON Lines on stdout with `--format json`.

use std::io::Write;
use std::sync::Mutex;
use std::time::Duration;

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};

use crate::aws::progress::Display;

/// Shows how far a command has come.
pub struct Meter {
    display: Display,
    bar: Mutex<Option<ProgressBar>>,
}

/// A bar with the count and a message.
#[expect(clippy::expect_used, reason = "the template is a constant, and a test parses it")]
fn bar_style() -> ProgressStyle {
    ProgressStyle::with_template("{spinner} {prefix:.bold} [{bar:30}] {pos}/{len} {wide_msg}")
        .expect("a valid indicatif template")
        .progress_chars("=> ")
}

impl Meter {
    pub fn new(display: Display) -> Self {
        Self { display, bar: Mutex::new(None) }
    }

    /// Starts a bar of `total` steps named `prefix` on a terminal; a line elsewhere.
    pub fn start(&self, prefix: &str, total: u64, line: &str) {
        match self.display {
            Display::Live => {
                let bar = ProgressBar::with_draw_target(Some(total), ProgressDrawTarget::stderr());
                bar.set_style(bar_style());
                bar.set_prefix(prefix.to_string());
                bar.enable_steady_tick(Duration::from_millis(120));
                if let Ok(mut slot) = self.bar.lock()
                    && let Some(old) = slot.replace(bar)
                {
                    old.finish_and_clear();
                }
            }
            Display::Plain => self.line(line),
            Display::Json | Display::Silent => {}
        }
    }

    /// Moves the bar to `position`; a plain line says `line`.
    pub fn update(&self, position: u64, message: &str, line: &str) {
        match self.display {
            Display::Live => {
                if let Ok(slot) = self.bar.lock()
                    && let Some(bar) = slot.as_ref()
                {
                    if bar.length().is_some_and(|length| position > length) {
                        bar.set_length(position);
                    }
                    bar.set_position(position);
                    bar.set_message(message.to_string());
                }
            }
            Display::Plain => self.line(line),
            Display::Json | Display::Silent => {}
        }
    }

    /// A line above the bar, or on stderr; nothing in JSON or quiet mode.
    pub fn line(&self, text: &str) {
        match self.display {
            Display::Live => {
                if let Ok(slot) = self.bar.lock()
                    && let Some(bar) = slot.as_ref()
                {
                    bar.println(text);
                    return;
                }
                let _ = writeln!(anstream::stderr().lock(), "{text}");
            }
            Display::Plain => {
                let _ = writeln!(anstream::stderr().lock(), "{text}");
            }
            Display::Json | Display::Silent => {}
        }
    }

    /// One JSON line on stdout, in JSON mode.
    pub fn json(&self, value: &serde_json::Value) {
        if self.display == Display::Json {
            let _ = writeln!(std::io::stdout().lock(), "{value}");
        }
    }

    /// Ends the bar.
    pub fn finish(&self) {
        if let Ok(mut slot) = self.bar.lock()
            && let Some(bar) = slot.take()
        {
            bar.finish_and_clear();
        }
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn the_bar_template_parses() {
        super::bar_style();
    }
}
