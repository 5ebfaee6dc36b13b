//! Captures the events the code under test logs (on the test's thread, which is where a
//! `#[tokio::test]` runs its tasks), for tests about what must or must not be logged. Each
//! event becomes one line: its fields as `name=value` (values in `Debug` form, so strings are
//! quoted), the message last.

use std::fmt::{self, Write as _};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};

use tracing::field::{Field, Visit};
use tracing::span::{Attributes, Id, Record};
use tracing::subscriber::DefaultGuard;
use tracing::{Event, Metadata, Subscriber};

/// Log lines written while this is alive.
pub struct Logs {
    lines: Arc<Mutex<Vec<String>>>,
    _guard: DefaultGuard,
}

struct Capture {
    lines: Arc<Mutex<Vec<String>>>,
    next_span: AtomicU64,
}

struct Line(String);

impl Visit for Line {
    fn record_debug(&mut self, field: &Field, value: &dyn fmt::Debug) {
        let _ = write!(self.0, "{}={value:?} ", field.name());
    }
}

impl Subscriber for Capture {
    fn enabled(&self, _: &Metadata<'_>) -> bool {
        true
    }

    fn new_span(&self, _: &Attributes<'_>) -> Id {
        Id::from_u64(self.next_span.fetch_add(1, Ordering::Relaxed))
    }

    fn record(&self, _: &Id, _: &Record<'_>) {}

    fn record_follows_from(&self, _: &Id, _: &Id) {}

    fn event(&self, event: &Event<'_>) {
        let mut line = Line(format!("{} ", event.metadata().level()));
        event.record(&mut line);
        self.lines.lock().unwrap().push(line.0);
    }

    fn enter(&self, _: &Id) {}

    fn exit(&self, _: &Id) {}
}

impl Logs {
    /// Starts capturing every level on this thread.
    pub fn start() -> Logs {
        let lines = Arc::new(Mutex::new(Vec::new()));
        let capture = Capture {
            lines: lines.clone(),
            next_span: AtomicU64::new(1),
        };
        let guard = tracing::subscriber::set_default(capture);
        Logs {
            lines,
            _guard: guard,
        }
    }

    /// Everything logged so far, one event a line.
    pub fn text(&self) -> String {
        self.lines.lock().unwrap().join("\n")
    }

    /// How many events mention `needle`.
    pub fn count(&self, needle: &str) -> usize {
        let lines = self.lines.lock().unwrap();
        lines.iter().filter(|l| l.contains(needle)).count()
    }
}
