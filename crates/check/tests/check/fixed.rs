//! A fixed plan and outcome: a Gmail login refused over STARTTLS, with a certificate chain, a
//! warning, and a server that echoes the password back (the reports must scrub it).

use scanrelay_check::{CheckRequest, Lang, Outcome, Plan, Secret, TlsMode};
use scanrelay_client::{CertInfo, ClientError, Facts, StepName, StepRecord, TlsInfo};
use scanrelay_diagnose::{Cause, Situation, advise_in, provider};
use scanrelay_proto::{EhloInfo, Reply};

/// The password of the fixed plan.
pub const PASSWORD: &str = "hunter2-secret";

/// The plan: gmail preset on 127.0.0.1:587, STARTTLS, a password login.
pub fn plan(lang: Lang) -> Plan {
    CheckRequest {
        provider: Some("gmail".into()),
        server: Some("127.0.0.1".into()),
        port: Some(587),
        tls: Some(TlsMode::StartTls),
        user: Some("office@gmail.com".into()),
        secret: Some(Secret::Password(PASSWORD.into())),
        helo: Some("mfp.example.test".into()),
        to: Some("boss@example.test".into()),
        lang,
        ..CheckRequest::default()
    }
    .plan()
    .expect("the fixed plan is valid")
}

fn step(step: StepName, ok: bool, ms: f64, note: Option<&str>, lines: &[&str]) -> StepRecord {
    let pick = |prefix: &str| -> Vec<String> {
        lines
            .iter()
            .filter_map(|l| l.strip_prefix(prefix).map(str::to_string))
            .collect()
    };
    StepRecord {
        step,
        ok,
        ms,
        sent: pick("C: "),
        received: pick("S: "),
        exchange: lines.iter().map(|l| l.to_string()).collect(),
        note: note.map(str::to_string),
    }
}

fn steps() -> Vec<StepRecord> {
    vec![
        step(
            StepName::Dns,
            true,
            0.1,
            Some("127.0.0.1 -> 127.0.0.1"),
            &[],
        ),
        step(
            StepName::Connect,
            true,
            0.3,
            Some("connected to 127.0.0.1:587"),
            &[],
        ),
        step(
            StepName::Banner,
            true,
            12.5,
            None,
            &["S: 220 smtp.gmail.com ESMTP ready"],
        ),
        step(
            StepName::Ehlo,
            true,
            1.0,
            None,
            &[
                "C: EHLO mfp.example.test",
                "S: 250-smtp.gmail.com",
                "S: 250 STARTTLS",
            ],
        ),
        step(
            StepName::Starttls,
            true,
            0.8,
            None,
            &["C: STARTTLS", "S: 220 2.0.0 Ready to start TLS"],
        ),
        step(
            StepName::Tls,
            true,
            25.4,
            Some("TLSv1.3 TLS13_AES_256_GCM_SHA384"),
            &[],
        ),
        step(
            StepName::EhloAgain,
            true,
            1.2,
            None,
            &[
                "C: EHLO mfp.example.test",
                "S: 250-smtp.gmail.com",
                "S: 250 AUTH PLAIN LOGIN",
            ],
        ),
        step(
            StepName::Auth,
            false,
            501.9,
            Some("the server refused auth: 535 5.7.8 Username and Password not accepted"),
            &[
                "C: AUTH PLAIN <redacted>",
                "S: 535-5.7.8 Username and Password not accepted. You said hunter2-secret",
                "S: 535 5.7.8 Username and Password not accepted",
            ],
        ),
        step(
            StepName::Quit,
            true,
            0.4,
            None,
            &["C: QUIT", "S: 221 2.0.0 closing connection"],
        ),
    ]
}

fn tls() -> TlsInfo {
    TlsInfo {
        version: Some("TLSv1.3".into()),
        cipher: Some("TLS13_AES_256_GCM_SHA384".into()),
        server_name: "127.0.0.1".into(),
        chain: vec![CertInfo {
            subject: "CN=smtp.gmail.com".into(),
            issuer: "CN=WR2, O=Google Trust Services, C=US".into(),
            sans: vec!["DNS:smtp.gmail.com".into()],
            not_before: "Nov  3 08:37:37 2026 +00:00".into(),
            not_after: "Jan 26 08:37:36 2027 +00:00".into(),
        }],
        verified: true,
        verify_error: None,
    }
}

/// The outcome of the fixed plan in `lang`.
pub fn outcome(plan: &Plan) -> Outcome {
    let mut facts = Facts::default();
    facts.steps = steps();
    facts.banner = Some(Reply::new(220, "smtp.gmail.com ESMTP ready"));
    let ehlo = Reply::multi(250, ["smtp.gmail.com", "AUTH PLAIN LOGIN"]);
    facts.ehlo = Some(EhloInfo::parse(&ehlo));
    facts.tls = Some(tls());
    let reply = Reply::multi(
        535,
        [
            "5.7.8 Username and Password not accepted. You said hunter2-secret",
            "5.7.8 Username and Password not accepted",
        ],
    );
    facts.last_reply = Some(reply.clone());
    let gmail = provider("gmail");
    let cause = Cause::AuthAppPasswordRequired;
    let situation = Situation { encrypted: true };
    Outcome {
        facts,
        error: Some(ClientError::Rejected {
            step: StepName::Auth,
            reply,
        }),
        cause,
        provider: gmail,
        advice: advise_in(cause, gmail, plan.lang, situation),
        warnings: plan.warnings.clone(),
        sent_test: false,
        http_answer: None,
        trusted_only_with_ca_file: None,
    }
}

/// A passing outcome with every optional line: a test message sent, a certificate trusted
/// only thanks to the CA file.
pub fn passing(plan: &Plan) -> Outcome {
    let mut o = outcome(plan);
    o.facts.steps.retain(|s| s.step != StepName::Auth);
    o.facts.last_reply = None;
    o.error = None;
    o.cause = Cause::Ok;
    o.advice = scanrelay_diagnose::Advice {
        summary: match plan.lang {
            Lang::En => "Every step passed: a device with these settings can send mail.",
            Lang::Ko => "모든 단계가 성공했습니다. 이 설정으로 복합기에서 메일을 보낼 수 있습니다.",
        }
        .into(),
        fix: String::new(),
    };
    o.sent_test = true;
    o.trusted_only_with_ca_file = Some(true);
    o
}
