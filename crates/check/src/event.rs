//! What a running check reports as it goes: each SMTP step the moment it finishes, and the
//! start of each extra look (which makes another connection and can take seconds). A web page
//! shows the steps appearing; the [`Outcome`](crate::Outcome) remains the whole story.

use std::sync::Arc;

use serde::Serialize;

use scanrelay_client::{StepName, StepObserver, StepRecord};
use scanrelay_diagnose::Lang;

use crate::render::labels::step_label;
use crate::render::scrub::scrub;
use crate::render::translate::translate;

/// Receives the events of a running check. It is called on the check's task, in order: it
/// must return quickly (send the event to a channel) and must not block.
///
/// ```
/// # use std::sync::Arc;
/// let (tx, _rx) = tokio::sync::mpsc::unbounded_channel();
/// let observer: scanrelay_check::Observer = Arc::new(move |event| {
///     let _ = tx.send(event);
/// });
/// ```
pub type Observer = Arc<dyn Fn(CheckEvent) + Send + Sync>;

/// One event of a running check.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
#[non_exhaustive]
pub enum CheckEvent {
    /// A step of the SMTP session finished.
    Step(StepEvent),
    /// An extra look at the server started.
    Probe {
        /// Which one.
        probe: Probe,
    },
}

/// A finished step, as the transcript keeps it, ready to show.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct StepEvent {
    /// Its position in the transcript (`Outcome::facts.steps[index]`), from 0.
    pub index: usize,
    /// Which step (`dns`, `connect`, `tls`, `banner`, `ehlo`, ...).
    pub step: StepName,
    /// The step's name in the plan's language.
    pub label: String,
    /// Whether it passed.
    pub ok: bool,
    /// How long it took, in milliseconds.
    pub ms: f64,
    /// The step's note (addresses, TLS version, the error) in the plan's language.
    pub note: Option<String>,
    /// The lines exchanged, in order: `C: ...` sent (AUTH payloads `<redacted>`), `S: ...`
    /// received.
    pub exchange: Vec<String>,
}

/// An extra look a check takes after its SMTP steps.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Probe {
    /// The port sent no SMTP greeting: is it a web server? (one `HEAD /` request)
    HttpAnswer,
    /// The certificate passed with the CA file: is it trusted without it? (one more
    /// connection, without logging in)
    WithoutCaFile,
}

impl StepEvent {
    /// The event for the record at `index`, in `lang`, with `secrets` scrubbed.
    pub(crate) fn new(index: usize, record: &StepRecord, lang: Lang, secrets: &[String]) -> Self {
        let clean = |text: &str| scrub(text.to_string(), secrets);
        StepEvent {
            index,
            step: record.step,
            label: step_label(record.step, lang).to_string(),
            ok: record.ok,
            ms: record.ms,
            note: record.note.as_deref().map(|n| clean(&translate(n, lang))),
            exchange: record.exchange.iter().map(|l| clean(l)).collect(),
        }
    }
}

/// The client's step observer that turns each finished step into a [`CheckEvent::Step`].
pub(crate) fn step_observer(observer: Observer, lang: Lang, secrets: Vec<String>) -> StepObserver {
    StepObserver::new(move |index, record| {
        observer(CheckEvent::Step(StepEvent::new(
            index, record, lang, &secrets,
        )));
    })
}
