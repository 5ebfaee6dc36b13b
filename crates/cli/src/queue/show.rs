//! `scanrelay queue show ID` as text: envelope (with the device's TLS version and cipher),
//! state, times (local, with the UTC offset, and relative), the last cause with its summary
//! and fix, and each recipient's last reply once.

use std::fmt::Write as _;

use scanrelay_spool::{Entry, State};

use scanrelay_gateway::queue::{NextTry, Viewer, is_bounce, recipients, sender, shown};

/// Label column width (the label, then a space, then the value).
const LABEL: usize = 12;

fn line(out: &mut String, label: &str, value: &str) {
    let _ = writeln!(out, "{label:<LABEL$} {value}");
}

/// The whole text of `queue show`.
pub fn render(entry: &Entry, v: &Viewer) -> String {
    let mut out = String::new();
    envelope(&mut out, entry);
    timing(&mut out, entry, v);
    diagnosis(&mut out, entry, v);
    recipient_lines(&mut out, entry);
    out
}

fn envelope(out: &mut String, e: &Entry) {
    line(out, "id:", e.id.as_str());
    let mut state = e.delivery.state.as_str().to_string();
    if is_bounce(e) {
        state.push_str(" (a failure notice from this gateway; never bounced itself)");
    }
    line(out, "state:", &state);
    line(out, "from:", &shown(sender(e)));
    line(out, "to:", &shown(&e.envelope.rcpt_to.join(", ")));
    line(out, "size:", &format!("{} bytes", e.body_len));
    let client = format!(
        "{} (HELO {})",
        e.envelope.client_addr,
        shown(&e.envelope.helo)
    );
    line(out, "client:", &client);
    if let Some(tls) = &e.envelope.tls {
        line(out, "tls:", &shown(&tls.to_string()));
    }
    if let Some(user) = &e.envelope.auth_user {
        line(out, "device user:", &shown(user));
    }
}

fn timing(out: &mut String, e: &Entry, v: &Viewer) {
    let d = &e.delivery;
    let clock = &v.clock;
    line(
        out,
        "received:",
        &clock.local_and_relative(e.envelope.received_at),
    );
    let attempts = match d.last_attempt {
        Some(at) => format!("{}, last {}", d.attempts, clock.local_and_relative(at)),
        None => d.attempts.to_string(),
    };
    line(out, "attempts:", &attempts);
    if let Some(at) = d.retried_at {
        line(out, "retried:", &clock.local_and_relative(at));
    }
    line(out, "next try:", &NextTry::of(e).long(clock));
}

fn diagnosis(out: &mut String, e: &Entry, v: &Viewer) {
    let d = &e.delivery;
    match (v.advice(e), &d.last_cause) {
        (Some((cause, advice)), _) => {
            line(out, "cause:", &format!("{cause}: {}", advice.summary));
            line(out, "fix:", &advice.fix);
        }
        (None, Some(code)) => line(out, "cause:", &shown(code)),
        (None, None) => {}
    }
    let replies: Vec<&str> = recipients(e).into_iter().filter_map(|r| r.2).collect();
    if let Some(error) = d.last_error.as_deref().and_then(|e| without(e, &replies)) {
        let label = if d.state == State::Waiting {
            "note:"
        } else {
            "error:"
        };
        line(out, label, &shown(&error));
    }
    if let Some(reply) = d.last_reply.as_deref()
        && !replies.contains(&reply)
    {
        reply_lines(out, &format!("{:<LABEL$}", "last reply:"), reply);
    }
}

/// `error` without the replies shown per recipient (errors quote the reply with its lines
/// joined by ` / `), or `None` when nothing else is left.
fn without(error: &str, replies: &[&str]) -> Option<String> {
    let mut text = error.to_string();
    for reply in replies {
        text = text.replace(&reply.replace('\n', " / "), "");
    }
    let text = text.trim().trim_end_matches(':').trim_end();
    (!text.is_empty()).then(|| text.to_string())
}

fn recipient_lines(out: &mut String, e: &Entry) {
    let _ = writeln!(out, "recipients:");
    let rcpts = recipients(e);
    let width = rcpts.iter().map(|r| r.0.chars().count()).max().unwrap_or(0);
    for (rcpt, state, reply) in rcpts {
        let head = format!("  {:<width$}  {:<9}", shown(rcpt), state.as_str());
        match reply {
            Some(reply) => reply_lines(out, &head, reply),
            None => {
                let _ = writeln!(out, "{}", head.trim_end());
            }
        }
    }
}

/// `head`, a space, then the reply's first line; further lines of a multi-line reply are
/// indented below it.
fn reply_lines(out: &mut String, head: &str, reply: &str) {
    let indent = head.chars().count();
    for (i, text) in reply.lines().enumerate() {
        let text = shown(text);
        if i == 0 {
            let _ = writeln!(out, "{head} {text}");
        } else {
            let _ = writeln!(out, "{:indent$} {text}", "");
        }
    }
}
