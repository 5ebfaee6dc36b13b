//! `scanrelay check`: run every step against the server, then diagnose.

mod labels;
pub mod plan;
mod probe;
mod report;
mod status;
mod translate;

use std::time::{SystemTime, UNIX_EPOCH};

use scanrelay_client::{ClientError, Connection, Credentials, Facts, StepName, TlsMode, establish};
use scanrelay_diagnose::{
    Advice, Cause, Lang, Provider, Situation, advise_in, cause_of, detect_provider,
};

pub use plan::Plan;
pub use report::{render_human, render_json};
pub use status::exit_status;

/// What a check found.
pub struct Outcome {
    /// Everything observed.
    pub facts: Facts,
    /// The error that ended the check, if any.
    pub error: Option<ClientError>,
    /// The diagnosis.
    pub cause: Cause,
    /// The provider whose rules were applied (given or recognised).
    pub provider: Option<&'static Provider>,
    /// Summary and fix.
    pub advice: Advice,
    /// Whether a test message was sent and accepted.
    pub sent_test: bool,
    /// The status line a silent port answered an HTTP request with (a web server).
    pub http_answer: Option<String>,
    /// After a pass with `--ca-file`: whether the certificate is trusted only because of it
    /// (`None`: not asked, or a second connection could not tell).
    pub trusted_only_with_ca_file: Option<bool>,
}

/// Runs the check described by `plan`.
pub async fn run(plan: &Plan) -> Outcome {
    let (facts, error, sent_test) = match establish(&plan.client).await {
        Err(failure) => (failure.facts, Some(failure.error), false),
        Ok(session) => envelope_steps(plan, session).await,
    };
    let banner_text = facts
        .banner
        .as_ref()
        .map(|b| b.lines.join("\n"))
        .unwrap_or_default();
    let provider = plan
        .provider
        .or_else(|| detect_provider(Some(&plan.client.host), &banner_text));
    let (cause, http_answer) = diagnose(plan, &facts, error.as_ref(), provider).await;
    let trusted_only_with_ca_file = match cause {
        Cause::Ok if plan.client.ca_file.is_some() && plan.client.tls != TlsMode::None => {
            probe::trusted_only_with_ca_file(&plan.client).await
        }
        _ => None,
    };
    let situation = Situation {
        encrypted: facts.tls.as_ref().is_some_and(|t| t.version.is_some()),
    };
    let advice = match cause {
        Cause::Ok => all_passed(plan.lang),
        _ => advise_in(cause, provider, plan.lang, situation),
    };
    Outcome {
        facts,
        error,
        cause,
        provider,
        advice,
        sent_test,
        http_answer,
        trusted_only_with_ca_file,
    }
}

/// The cause of what the session saw, and the status line of a web server's answer when the
/// port sent no greeting (then the cause is `connect.not_smtp`).
async fn diagnose(
    plan: &Plan,
    facts: &Facts,
    error: Option<&ClientError>,
    provider: Option<&'static Provider>,
) -> (Cause, Option<String>) {
    let Some(e) = error else {
        // Every step must pass: a server that drops the connection at QUIT is not "ok".
        let cause = if status::quit_failed(facts) {
            Cause::ServerTemporary
        } else {
            Cause::Ok
        };
        return (cause, None);
    };
    if no_greeting(e) {
        let c = &plan.client;
        if let Some(answer) = probe::http_answer(&c.host, c.port, c.timeout).await {
            return (Cause::ConnectNotSmtp, Some(answer));
        }
    }
    let token = matches!(plan.client.credentials, Some(Credentials::Token { .. }));
    (cause_of(e, Some(facts), token, provider), None)
}

/// The port accepted the connection but sent no greeting (silence or a close): a web
/// server waits for the client's request like that.
fn no_greeting(error: &ClientError) -> bool {
    matches!(
        error,
        ClientError::Timeout {
            step: StepName::Banner,
            ..
        } | ClientError::Closed {
            step: StepName::Banner
        }
    )
}

/// The verdict when every step passed.
fn all_passed(lang: Lang) -> Advice {
    let summary = match lang {
        Lang::En => "Every step passed: a device with these settings can send mail.",
        Lang::Ko => "모든 단계가 성공했습니다. 이 설정으로 복합기에서 메일을 보낼 수 있습니다.",
    };
    Advice {
        summary: summary.to_string(),
        fix: String::new(),
    }
}

/// MAIL / RCPT dry run (then RSET), or a real test message; then QUIT.
async fn envelope_steps(
    plan: &Plan,
    mut session: Connection,
) -> (Facts, Option<ClientError>, bool) {
    if plan.from.is_none() && plan.to.is_none() {
        return (session.quit().await, None, false);
    }
    let from = plan
        .from
        .clone()
        .unwrap_or_else(|| match &plan.client.credentials {
            Some(c) if c.user().contains('@') => c.user().to_string(),
            _ => format!("postmaster@{}", plan.client.helo),
        });
    let result = async {
        session.mail(&from, &[]).await?;
        if let Some(to) = &plan.to {
            session.rcpt(to).await?;
            if plan.send_test {
                let message = test_message(&from, to, &plan.client.helo);
                session.data(message.as_slice()).await?;
                return Ok(true);
            }
        }
        session.rset().await?;
        Ok::<bool, ClientError>(false)
    }
    .await;
    let facts = session.quit().await;
    match result {
        Ok(sent) => (facts, None, sent),
        Err(e) => (facts, Some(e), false),
    }
}

/// The short message `--send-test` sends, like a device's test page.
fn test_message(from: &str, to: &str, helo: &str) -> Vec<u8> {
    let now = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or(0);
    let id = format!("scanrelay-check-{now}-{}@{helo}", std::process::id());
    mail_builder::MessageBuilder::new()
        .from(from)
        .to(to)
        .subject("scanrelay test message / 연결 확인 테스트 메일")
        .message_id(id)
        .date(now as i64)
        .text_body(
            "This is a test message sent by `scanrelay check --send-test`.\r\n\
             If you can read it, the SMTP settings work.\r\n\r\n\
             scanrelay check --send-test 로 보낸 테스트 메일입니다.\r\n\
             이 메일이 보이면 SMTP 설정이 올바릅니다.\r\n",
        )
        .write_to_vec()
        .unwrap_or_default()
}
