//! Ordered chains of system calls in a [`Trace`]: each step must have *returned* before the
//! next one *entered* the kernel, and, with [`Chain::before`], before a final call (the `250`
//! reply) entered it.

use std::fmt;

use super::parse::{Call, Trace, describe};

/// A chain of calls found in a trace, step by step. Each [`Chain::then`] finds a call that
/// entered the kernel after the previous step returned; a missing step is a [`ChainError`]
/// naming it.
#[derive(Debug, Clone)]
pub struct Chain<'t> {
    trace: &'t Trace,
    bound: Option<(String, &'t Call)>,
    /// Name, call (the last of its calls for [`Chain::then_all`]) and how many calls.
    steps: Vec<(String, &'t Call, usize)>,
}

/// A step of a [`Chain`] that the trace does not show in its place.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ChainError {
    /// 1-based number of the missing step.
    pub number: usize,
    /// The step's name as the test gave it.
    pub step: String,
    /// What the trace shows instead.
    pub detail: String,
    /// The steps found before it, numbered, with their log lines.
    pub found: String,
}

impl fmt::Display for ChainError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "step {} of the chain is missing: {}\n  {}\n  steps found before it:\n{}",
            self.number,
            self.step,
            self.detail,
            if self.found.is_empty() {
                "    (none)"
            } else {
                &self.found
            }
        )
    }
}

impl std::error::Error for ChainError {}

impl<'t> Chain<'t> {
    /// An empty chain over `trace`: its first step may be any call.
    pub fn new(trace: &'t Trace) -> Chain<'t> {
        Chain {
            trace,
            bound: None,
            steps: Vec::new(),
        }
    }

    /// Every step must also have returned before `call` entered the kernel: `call` is what
    /// the chain must happen before, `what` names it in messages (`the reply 250 ...`).
    pub fn before(mut self, what: impl Into<String>, call: &'t Call) -> Chain<'t> {
        self.bound = Some((what.into(), call));
        self
    }

    /// The calls of the steps found so far, in order (for [`Chain::then_all`] the one that
    /// returned last).
    pub fn calls(&self) -> Vec<&'t Call> {
        self.steps.iter().map(|(_, call, _)| *call).collect()
    }

    /// The next step: of the calls satisfying `pred` that entered after the previous step
    /// returned and returned before the bound entered, the one that returned first (if any
    /// such chain exists, this greedy choice finds it).
    pub fn then(
        &mut self,
        step: impl Into<String>,
        pred: impl Fn(&Call) -> bool,
    ) -> Result<&'t Call, ChainError> {
        let step = step.into();
        let after = self.after();
        let in_time = self
            .candidates(&pred)
            .filter(|c| c.end.is_some_and(|end| self.before_bound(end)))
            .min_by_key(|c| c.end);
        match in_time {
            Some(call) => {
                self.steps.push((step, call, 1));
                Ok(call)
            }
            None => Err(self.missing(step, &pred, after)),
        }
    }

    /// The next step when it may take several calls (a body written in 64 KiB pieces): every
    /// call satisfying `pred` that entered after the previous step returned and before the
    /// bound entered must have returned before the bound; there must be at least one. The
    /// step is the one that returned last, so the next step must follow all of them.
    pub fn then_all(
        &mut self,
        step: impl Into<String>,
        pred: impl Fn(&Call) -> bool,
    ) -> Result<&'t Call, ChainError> {
        let step = step.into();
        let after = self.after();
        let calls: Vec<&'t Call> = self
            .candidates(&pred)
            .filter(|c| self.before_bound(c.start))
            .collect();
        if calls.is_empty() {
            return Err(self.missing(step, &pred, after));
        }
        if let Some(late) = calls
            .iter()
            .find(|c| !c.end.is_some_and(|end| self.before_bound(end)))
        {
            let detail = format!("this one did not return in time: {}", self.late(late));
            return Err(self.error(step, detail));
        }
        let count = calls.len();
        let last = calls.into_iter().max_by_key(|c| c.end).expect("not empty");
        self.steps.push((step, last, count));
        Ok(last)
    }

    /// The line the previous step returned on (0 before the first step).
    fn after(&self) -> usize {
        self.steps
            .last()
            .and_then(|(_, c, _)| c.end)
            .unwrap_or_default()
    }

    fn before_bound(&self, line: usize) -> bool {
        self.bound.as_ref().is_none_or(|(_, b)| line < b.start)
    }

    fn candidates<'a>(
        &'a self,
        pred: &'a dyn Fn(&Call) -> bool,
    ) -> impl Iterator<Item = &'t Call> + 'a {
        let after = self.after();
        let trace: &'t Trace = self.trace;
        trace
            .calls()
            .iter()
            .filter(move |c| c.start > after && pred(c))
    }

    /// Why no call fits: none at all, one that came too late, or ones that came too early.
    fn missing(&self, step: String, pred: &dyn Fn(&Call) -> bool, after: usize) -> ChainError {
        let since = match self.steps.last() {
            Some((name, _, _)) => format!(
                "entered after step {} ({name}) returned on line {after}",
                self.steps.len()
            ),
            None => "in the trace".to_string(),
        };
        let mut detail = match self.candidates(pred).next() {
            Some(first) => format!("no such call {since} in time; {}", self.late(first)),
            None => format!("no such call {since}"),
        };
        let early: Vec<&Call> = self
            .trace
            .calls()
            .iter()
            .filter(|c| c.start <= after && pred(c))
            .collect();
        if let Some(first) = early.first() {
            detail.push_str(&format!(
                "; {} matching call(s) entered too early, the first: {}",
                early.len(),
                describe(first)
            ));
        }
        if let Some((what, call)) = &self.bound {
            detail.push_str(&format!(
                "; every step must return before {what} ({})",
                describe(call)
            ));
        }
        self.error(step, detail)
    }

    /// Describes a call that exists but returned too late (or never).
    fn late(&self, call: &Call) -> String {
        let when = match (call.end, &self.bound) {
            (None, _) => "it never returned".to_string(),
            (Some(end), Some((what, b))) if end >= b.start => {
                format!(
                    "it returned only on line {end}, after {what} entered on line {}",
                    b.start
                )
            }
            (Some(end), _) => format!("it returned on line {end}"),
        };
        format!("{} ({when})", describe(call))
    }

    fn error(&self, step: String, detail: String) -> ChainError {
        ChainError {
            number: self.steps.len() + 1,
            step,
            detail,
            found: self.render_steps(),
        }
    }

    /// The steps found, numbered, each with its call and log lines.
    fn render_steps(&self) -> String {
        self.steps
            .iter()
            .enumerate()
            .map(|(i, (name, call, count))| {
                let last = if *count > 1 {
                    format!(" (the last of {count} calls)")
                } else {
                    String::new()
                };
                format!("    {}. {name}{last}\n       {}", i + 1, describe(call))
            })
            .collect::<Vec<_>>()
            .join("\n")
    }
}

impl fmt::Display for Chain<'_> {
    /// The steps, numbered, one call each with its log lines; then the bound.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.render_steps())?;
        if let Some((what, call)) = &self.bound {
            write!(f, "\n    then {what}\n       {}", describe(call))?;
        }
        Ok(())
    }
}
