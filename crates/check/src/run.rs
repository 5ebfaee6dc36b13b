//! Running a plan: every step against the server (reported as it finishes), the envelope dry
//! run or test message, the extra looks, then the diagnosis.

use std::time::{SystemTime, UNIX_EPOCH};

use scanrelay_client::cause_of;
use scanrelay_client::{ClientError, Connection, Credentials, Facts, StepName, TlsMode, establish};
use scanrelay_diagnose::{Advice, Cause, Lang, Provider, Situation, advise_in, detect_provider};

use crate::event::{CheckEvent, Observer, Probe, step_observer};
use crate::outcome::Outcome;
use crate::request::Plan;
use crate::{probe, status};

/// Runs the check described by `plan`. `observer`, when given, hears of each step as it
/// finishes and of each extra look as it starts, in order, before this returns.
///
/// The future is `Send`: a server spawns it (`tokio::spawn(async move { run(&plan, obs).await
/// })`) and streams the events from a channel the observer feeds. The outcome keeps no
/// reference to the observer, so the channel closes once the check and its outcome are done
/// with the observer.
pub async fn run(plan: &Plan, observer: Option<Observer>) -> Outcome {
    let mut client = plan.client.clone();
    client.observer = observer
        .clone()
        .map(|o| step_observer(o, plan.lang, plan.secrets().to_vec()));
    let (mut facts, error, sent_test) = match establish(&client).await {
        Err(failure) => (failure.facts, Some(failure.error), false),
        Ok(session) => envelope_steps(plan, session).await,
    };
    drop(client);
    facts.set_observer(None);
    let tell = |probe: Probe| {
        if let Some(o) = &observer {
            o(CheckEvent::Probe { probe });
        }
    };
    let banner_text = facts
        .banner
        .as_ref()
        .map(|b| b.lines.join("\n"))
        .unwrap_or_default();
    let provider = plan
        .provider
        .or_else(|| detect_provider(Some(&plan.client.host), &banner_text));
    let (cause, http_answer) = diagnose(plan, &facts, error.as_ref(), provider, &tell).await;
    let trusted_only_with_ca_file = match cause {
        Cause::Ok if plan.client.ca_file.is_some() && plan.client.tls != TlsMode::None => {
            tell(Probe::WithoutCaFile);
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
        warnings: plan.warnings.clone(),
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
    tell: &(dyn Fn(Probe) + Send + Sync),
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
        tell(Probe::HttpAnswer);
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

/// The short message a test sends, like a device's test page.
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
