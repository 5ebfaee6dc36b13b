//! What `send` prints: the report (English or Korean) or one JSON object, the diagnosis of a
//! failure with the cause and fix `check` would give, and the exit status. Every text goes
//! through the plan's scrubber, so no secret is printed even if a server echoes one.

use scanrelay_check::{Lang, Outcome, Plan, step_label};
use scanrelay_client::{ClientError, Credentials, Facts, cause_of, failure_stage};
use scanrelay_compose::{ComposeError, Message};
use scanrelay_diagnose::{Advice, Situation, advise_in, detect_provider};
use serde_json::{Value, json};

use super::deliver::{Ending, LimitFrom};

/// Exit status: a file over the limit even alone.
const EXIT_FILE_TOO_LARGE: u8 = 20;
/// Exit status: the files together are over the limit without --split.
const EXIT_MESSAGE_TOO_LARGE: u8 = 21;
/// Exit status: a local error (a file that could not be read while sending).
const EXIT_LOCAL: u8 = 2;

/// The text to print and the exit status.
pub struct Report {
    /// The report or the JSON object (scrubbed).
    pub text: String,
    /// The exit status.
    pub status: u8,
}

fn tr(lang: Lang, en: &str, ko: &str) -> String {
    match lang {
        Lang::En => en.to_string(),
        Lang::Ko => ko.to_string(),
    }
}

/// Renders how the job ended.
pub fn render(plan: &Plan, ending: Ending, json: bool) -> Report {
    let (value, human, status) = match ending {
        Ending::Sent { sent, limit } => sent_report(plan, &sent, limit),
        Ending::TooLarge { error, from } => too_large_report(plan.lang, &error, from),
        Ending::Failed { sent, error, facts } => failed_report(plan, &sent, error, *facts),
    };
    let text = if json {
        let mut value = value;
        plan.scrub_json(&mut value);
        format!(
            "{}\n",
            serde_json::to_string_pretty(&value).unwrap_or_default()
        )
    } else {
        plan.scrub(&human)
    };
    Report { text, status }
}

fn messages_json(messages: &[Message]) -> Value {
    Value::Array(
        messages
            .iter()
            .map(|m| {
                let files: Vec<Value> = m
                    .attachments
                    .iter()
                    .map(|a| {
                        json!({"path": a.path.display().to_string(), "name": a.file_name,
                               "content_type": a.content_type, "size": a.size})
                    })
                    .collect();
                json!({"subject": m.subject, "message_id": format!("<{}>", m.message_id),
                       "size": m.size(), "files": files})
            })
            .collect(),
    )
}

fn messages_text(lang: Lang, messages: &[Message]) -> String {
    let mut out = String::new();
    let n = messages.len();
    for (i, m) in messages.iter().enumerate() {
        let bytes = tr(lang, "bytes", "바이트");
        out.push_str(&format!(
            "  {}/{n}  {}  ({} {bytes}, <{}>)\n",
            i + 1,
            m.subject,
            m.size(),
            m.message_id
        ));
        for a in &m.attachments {
            out.push_str(&format!(
                "         {} ({}, {} {bytes})\n",
                a.file_name, a.content_type, a.size
            ));
        }
    }
    out
}

fn sent_report(
    plan: &Plan,
    sent: &[Message],
    limit: Option<(u64, LimitFrom)>,
) -> (Value, String, u8) {
    let lang = plan.lang;
    let c = &plan.client;
    let from = limit.map(|(_, f)| match f {
        LimitFrom::Flag => "flag",
        LimitFrom::Server => "server",
    });
    let value = json!({"ok": true, "server": {"host": c.host, "port": c.port, "tls": c.tls.to_string()},
                       "max_size": limit.map(|(n, _)| n), "max_size_from": from,
                       "messages": messages_json(sent)});
    let head = match lang {
        Lang::En => format!(
            "Sent {} message(s) through {}:{}:\n",
            sent.len(),
            c.host,
            c.port
        ),
        Lang::Ko => format!(
            "{}:{} 서버로 메일 {}통을 보냈습니다:\n",
            c.host,
            c.port,
            sent.len()
        ),
    };
    (value, head + &messages_text(lang, sent), 0)
}

fn too_large_report(lang: Lang, error: &ComposeError, from: LimitFrom) -> (Value, String, u8) {
    let (cause, status, fix) = match error {
        ComposeError::MessageTooLarge { .. } => (
            "send.message_too_large",
            EXIT_MESSAGE_TOO_LARGE,
            tr(
                lang,
                "Add --split to spread the files over several messages, each under the limit.",
                "--split 을 붙이면 파일을 한도 이하의 여러 메일로 나누어 보냅니다.",
            ),
        ),
        ComposeError::FileTooLarge { .. } => (
            "send.file_too_large",
            EXIT_FILE_TOO_LARGE,
            tr(
                lang,
                "Scan at a lower resolution or in black and white, compress the file, or split the document into several files.",
                "해상도를 낮추거나 흑백으로 스캔하거나, 파일을 압축하거나 여러 파일로 나누십시오.",
            ),
        ),
        // Addresses and files were checked before; a file that vanished since lands here.
        ComposeError::InvalidAddress(_) | ComposeError::Io { .. } => {
            ("send.local_error", EXIT_LOCAL, String::new())
        }
    };
    let source = match from {
        LimitFrom::Flag => "--max-size".to_string(),
        LimitFrom::Server => tr(lang, "the server's SIZE", "서버의 SIZE"),
    };
    let error_text = format!("{} ({source})", too_large_text(lang, error));
    let mut value = json!({"ok": false, "cause": cause, "error": error_text, "fix": fix,
                           "limit_from": if from == LimitFrom::Flag { "flag" } else { "server" },
                           "messages": []});
    if let ComposeError::FileTooLarge {
        file,
        size,
        message_size,
        limit,
    } = error
    {
        value["file"] = json!(file);
        value["size"] = json!(size);
        value["message_size"] = json!(message_size);
        value["limit"] = json!(limit);
    } else if let ComposeError::MessageTooLarge {
        message_size,
        limit,
    } = error
    {
        value["message_size"] = json!(message_size);
        value["limit"] = json!(limit);
    }
    let nothing = tr(lang, "Nothing was sent.", "아무것도 보내지 않았습니다.");
    let human = format!("scanrelay send: {error_text}\n{nothing}\n{fix}\n");
    (value, human, status)
}

/// The size error in the report's language.
fn too_large_text(lang: Lang, error: &ComposeError) -> String {
    match (lang, error) {
        (
            Lang::Ko,
            ComposeError::FileTooLarge {
                file,
                size,
                message_size,
                limit,
            },
        ) => format!(
            "`{file}` 파일은 {size}바이트(인코딩 후 메일 크기 {message_size}바이트)로 크기 한도 {limit}바이트를 넘습니다"
        ),
        (
            Lang::Ko,
            ComposeError::MessageTooLarge {
                message_size,
                limit,
            },
        ) => format!("메일이 인코딩 후 {message_size}바이트로 크기 한도 {limit}바이트를 넘습니다"),
        _ => error.to_string(),
    }
}

/// The diagnosis of a failure, as `check` would give it.
fn diagnose(plan: &Plan, error: ClientError, facts: Facts) -> Outcome {
    let banner = facts
        .banner
        .as_ref()
        .map(|b| b.lines.join("\n"))
        .unwrap_or_default();
    let provider = plan
        .provider
        .or_else(|| detect_provider(Some(&plan.client.host), &banner));
    let token = matches!(plan.client.credentials, Some(Credentials::Token { .. }));
    let cause = cause_of(&error, Some(&facts), token, provider);
    let situation = Situation {
        encrypted: facts.tls.as_ref().is_some_and(|t| t.version.is_some()),
    };
    let advice: Advice = advise_in(cause, provider, plan.lang, situation);
    Outcome {
        facts,
        error: Some(error),
        cause,
        provider,
        advice,
        warnings: plan.warnings.clone(),
        sent_test: false,
        http_answer: None,
        trusted_only_with_ca_file: None,
    }
}

fn failed_report(
    plan: &Plan,
    sent: &[Message],
    error: ClientError,
    facts: Facts,
) -> (Value, String, u8) {
    let lang = plan.lang;
    let local = matches!(error, ClientError::Body(_));
    let outcome = diagnose(plan, error, facts);
    let Some(error) = outcome.error.as_ref() else {
        unreachable!("diagnose keeps the error");
    };
    let stage = failure_stage(error).map(|s| s.to_string());
    let step = outcome
        .facts
        .failed_step()
        .map(|s| step_label(s.step, lang));
    let reply = error.reply().map(|r| r.to_string().trim_end().to_string());
    let status = if local {
        EXIT_LOCAL
    } else {
        outcome.exit_status()
    };
    let value = json!({"ok": false, "cause": outcome.cause.as_str(), "summary": outcome.advice.summary,
                       "fix": outcome.advice.fix, "error": error.to_string(), "stage": stage,
                       "reply": reply, "messages": messages_json(sent)});
    let mut human = format!("scanrelay send: {error}\n");
    if let Some(step) = step {
        human.push_str(&format!(
            "{}: {step}\n",
            tr(lang, "Failed at", "실패한 단계")
        ));
    }
    human.push_str(&format!(
        "{}: {} ({})\n",
        tr(lang, "Cause", "원인"),
        outcome.advice.summary,
        outcome.cause.as_str()
    ));
    if !outcome.advice.fix.is_empty() {
        human.push_str(&format!(
            "{}: {}\n",
            tr(lang, "Fix", "해결 방법"),
            outcome.advice.fix
        ));
    }
    if !sent.is_empty() {
        human.push_str(&tr(
            lang,
            "Sent before the failure (these stay sent):\n",
            "실패 전에 보낸 메일 (이미 발송됨):\n",
        ));
        human.push_str(&messages_text(lang, sent));
    }
    (value, human, status)
}
