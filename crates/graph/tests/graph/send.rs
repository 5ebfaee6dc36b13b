//! The client against the contract-enforcing fake Graph: scans of every size arrive with each
//! attachment byte-identical and its name intact, no request over 4 MiB, no token on upload
//! `PUT`s; throttling, Mail.Send-only apps, refused tokens and failures after the draft.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use futures_util::future::BoxFuture;
use scanrelay_graph::{
    BearerError, BearerSource, BytesSource, FileSource, GraphClient, GraphError, HttpSettings,
    SendPath, Stage, StaticBearer,
};
use scanrelay_test_support::graph_server::{
    Fault, FaultReply, FaultStage, GraphServer, GraphServerConfig, SentMessage,
};

use crate::oracle::{Seen, python_attachments, sha256};
use crate::scans::{Att, NameForm, scan};

const MAILBOX: &str = "scanner@contoso.example";
const TOKEN: &str = "token-full-access";
const BOTH: &[&str] = &["Mail.Send", "Mail.ReadWrite"];
const MIB: usize = 1024 * 1024;

fn server(permissions: &[&str]) -> GraphServer {
    GraphServer::start(GraphServerConfig::with_token(TOKEN, permissions))
}

fn client(server: &GraphServer) -> GraphClient {
    GraphClient::new(
        &server.base_url(),
        &HttpSettings::default(),
        Arc::new(StaticBearer::new(TOKEN)),
    )
    .expect("client")
}

fn envelope(list: &[&str]) -> Vec<String> {
    list.iter().map(|s| s.to_string()).collect()
}

fn stored(message: &SentMessage) -> Vec<Seen> {
    let mut seen: Vec<Seen> = message
        .attachments
        .iter()
        .map(|a| Seen {
            name: a.name.clone(),
            content_type: a.content_type.clone(),
            size: a.bytes.len() as u64,
            sha256: sha256(&a.bytes),
        })
        .collect();
    seen.sort();
    seen
}

/// Checks every request the server saw against the contract.
fn assert_contract(server: &GraphServer) {
    for r in server.requests() {
        assert!(r.body_len <= 4 * MIB, "request over 4 MiB: {r:?}");
        let upload = r.path.starts_with("/upload/");
        assert_eq!(
            r.authorization, !upload,
            "Authorization on {} {}",
            r.method, r.path
        );
    }
    assert_eq!(server.open_drafts(), 0, "a draft was left behind");
}

struct Case {
    label: &'static str,
    atts: Vec<Att>,
    alternative: bool,
    path: SendPath,
}

fn cases() -> Vec<Case> {
    use NameForm::*;
    vec![
        Case {
            label: "100 KB: one sendMail",
            atts: vec![Att::new(
                "스캔 문서 001.pdf",
                "application/pdf",
                100_000,
                1,
                Rfc2231Utf8,
            )],
            alternative: false,
            path: SendPath::SendMail,
        },
        Case {
            label: "3 MB: draft, one attachment posted, one kept in the skeleton",
            atts: vec![
                Att::new(
                    "견적서 2026.pdf",
                    "application/pdf",
                    1_600_000,
                    2,
                    Rfc2231EucKrSplit,
                ),
                Att::new("사진 앞면.jpg", "image/jpeg", 1_400_000, 3, Rfc2047),
            ],
            alternative: true,
            path: SendPath::Draft {
                uploaded: 0,
                posted: 1,
            },
        },
        Case {
            label: "12 MB: two upload sessions, a small JPEG in the skeleton",
            atts: vec![
                Att::new(
                    "계약서 전체 스캔.pdf",
                    "application/pdf",
                    8 * MIB,
                    4,
                    Rfc2231EucKrSplit,
                ),
                Att::new("도면 A3.tif", "image/tiff", 3_500_000, 5, Rfc2231Utf8),
                Att::new("receipt.jpg", "image/jpeg", 200_000, 6, Plain),
            ],
            alternative: true,
            path: SendPath::Draft {
                uploaded: 2,
                posted: 0,
            },
        },
        Case {
            label: "30 MB: three upload sessions",
            atts: vec![
                Att::new(
                    "회의록 1부.pdf",
                    "application/pdf",
                    10 * MIB,
                    7,
                    Rfc2231EucKrSplit,
                ),
                Att::new(
                    "회의록 2부.pdf",
                    "application/pdf",
                    10 * MIB,
                    8,
                    Rfc2231Utf8,
                ),
                Att::new("첨부 사진.jpg", "image/jpeg", 10 * MIB, 9, Rfc2047),
                Att::new("메모.txt", "text/plain", 2_000, 10, Rfc2231Utf8),
            ],
            alternative: false,
            path: SendPath::Draft {
                uploaded: 3,
                posted: 0,
            },
        },
    ]
}

#[tokio::test]
async fn scans_of_every_size_arrive_intact_with_their_names() {
    let server = server(BOTH);
    let client = client(&server);
    let dir = tempfile::tempdir().expect("temp dir");
    for (i, case) in cases().into_iter().enumerate() {
        let message = scan(
            &["kim@contoso.example"],
            case.label,
            &case.atts,
            case.alternative,
        );
        let expected = python_attachments(&message);
        assert_eq!(
            expected.len(),
            case.atts.len(),
            "{}: oracle sees every attachment",
            case.label
        );
        for att in &case.atts {
            assert!(
                expected
                    .iter()
                    .any(|s| s.name == att.name && s.sha256 == sha256(&att.bytes)),
                "{}: oracle reads {:?} as written",
                case.label,
                att.name
            );
        }
        let path = dir.path().join(format!("scan-{i}.eml"));
        std::fs::write(&path, &message).expect("write scan");
        let source = FileSource::new(&path).await.expect("source");
        let report = client
            .send(MAILBOX, &envelope(&["kim@contoso.example"]), &source)
            .await
            .unwrap_or_else(|e| panic!("{}: {e}", case.label));
        assert_eq!(report.path, case.path, "{}", case.label);
        assert!(report.largest_body <= 4 * MIB as u64, "{}", case.label);
        let sent = server.sent(MAILBOX);
        let got = sent.last().expect("a sent message");
        assert_eq!(sent.len(), i + 1, "{}", case.label);
        assert_eq!(got.subject.as_deref(), Some(case.label));
        assert_eq!(
            got.recipients(),
            vec!["kim@contoso.example".to_string()],
            "{}",
            case.label
        );
        assert_eq!(
            stored(got),
            expected,
            "{}: attachments as Python reads the original",
            case.label
        );
    }
    assert_contract(&server);
}

#[tokio::test]
async fn throttling_surfaces_retry_after_as_transient() {
    let server = server(BOTH);
    let client = client(&server);
    let cases = [
        ("7", Duration::from_secs(7)),
        ("Wed, 21 Oct 2015 07:28:00 GMT", Duration::ZERO),
    ];
    for (header, expected) in cases {
        server.add_fault(Fault {
            stage: FaultStage::SendMail,
            times: 1,
            reply: FaultReply::Throttle(header.to_string()),
        });
        let message = scan(&["kim@contoso.example"], "t", &[], false);
        let err = client
            .send(
                MAILBOX,
                &envelope(&["kim@contoso.example"]),
                &BytesSource::new(message),
            )
            .await
            .expect_err("throttled");
        assert_eq!(err.status(), Some(429), "{err}");
        assert_eq!(err.code(), Some("ApplicationThrottled"));
        assert_eq!(err.retry_after(), Some(expected), "{header}");
        assert_eq!(err.stage(), Some(Stage::SendMail));
        assert!(err.is_transient());
    }
    assert!(server.sent(MAILBOX).is_empty());
}

#[tokio::test]
async fn mail_send_only_sends_small_scans_and_holds_large_ones() {
    let server = server(&["Mail.Send"]);
    let client = client(&server);
    let rcpt = envelope(&["kim@contoso.example"]);
    let small = scan(
        &["kim@contoso.example"],
        "small",
        &[Att::new(
            "a.pdf",
            "application/pdf",
            50_000,
            1,
            NameForm::Plain,
        )],
        false,
    );
    client
        .send(MAILBOX, &rcpt, &BytesSource::new(small))
        .await
        .expect("small goes by sendMail");
    let large = scan(
        &["kim@contoso.example"],
        "large",
        &[Att::new(
            "큰 파일.pdf",
            "application/pdf",
            5 * MIB,
            2,
            NameForm::Rfc2231Utf8,
        )],
        false,
    );
    let err = client
        .send(MAILBOX, &rcpt, &BytesSource::new(large))
        .await
        .expect_err("held");
    assert!(
        matches!(err, GraphError::DraftsNotAllowed { status: 403, .. }),
        "{err:?}"
    );
    assert!(err.is_transient(), "held, not bounced");
    assert!(err.to_string().contains("Mail.ReadWrite"), "{err}");
    assert_eq!(server.sent(MAILBOX).len(), 1);
    assert_contract(&server);
}

/// A token source that hands out tokens in order and records rejections.
struct Rotating {
    tokens: Mutex<Vec<String>>,
    rejected: Mutex<Vec<String>>,
}

impl BearerSource for Rotating {
    fn bearer(&self) -> BoxFuture<'_, Result<String, BearerError>> {
        Box::pin(async move {
            let tokens = self.tokens.lock().expect("lock");
            Ok(tokens.first().cloned().unwrap_or_default())
        })
    }

    fn rejected(&self, token: &str) -> BoxFuture<'_, ()> {
        let token = token.to_string();
        Box::pin(async move {
            self.rejected.lock().expect("lock").push(token.clone());
            self.tokens.lock().expect("lock").retain(|t| *t != token);
        })
    }
}

#[tokio::test]
async fn a_refused_token_is_replaced_once() {
    // (tokens handed out in order, expected outcome, rejected tokens, sendMail requests)
    let cases: &[(&[&str], bool, &[&str], usize)] = &[
        (&["expired-token", TOKEN], true, &["expired-token"], 2),
        (
            &["expired-token", "also-bad", TOKEN],
            false,
            &["expired-token", "also-bad"],
            2,
        ),
        (&[TOKEN], true, &[], 1),
    ];
    for (tokens, ok, rejected, requests) in cases {
        let server = server(BOTH);
        let bearer = Arc::new(Rotating {
            tokens: Mutex::new(tokens.iter().map(|t| t.to_string()).collect()),
            rejected: Mutex::new(Vec::new()),
        });
        let client = GraphClient::new(&server.base_url(), &HttpSettings::default(), bearer.clone())
            .expect("client");
        let message = scan(&["kim@contoso.example"], "t", &[], false);
        let result = client
            .send(
                MAILBOX,
                &envelope(&["kim@contoso.example"]),
                &BytesSource::new(message),
            )
            .await;
        assert_eq!(result.is_ok(), *ok, "{tokens:?}: {result:?}");
        if let Err(e) = &result {
            assert_eq!(e.status(), Some(401));
            assert!(
                !e.to_string().contains("also-bad"),
                "token in error text: {e}"
            );
        }
        assert_eq!(
            *bearer.rejected.lock().expect("lock"),
            *rejected,
            "{tokens:?}"
        );
        assert_eq!(server.requests().len(), *requests, "{tokens:?}");
    }
}

#[tokio::test]
async fn a_failure_after_the_draft_deletes_it_and_leaks_no_upload_url() {
    let stages = [
        FaultStage::Recipients,
        FaultStage::CreateUploadSession,
        FaultStage::Upload,
        FaultStage::Send,
    ];
    for stage in stages {
        let server = server(BOTH);
        let client = client(&server);
        server.add_fault(Fault {
            stage,
            times: 1,
            reply: FaultReply::Error {
                status: 500,
                code: "ErrorInternalServerError".into(),
                message: "boom".into(),
            },
        });
        let message = scan(
            &["kim@contoso.example"],
            "t",
            &[Att::new(
                "big.pdf",
                "application/pdf",
                5 * MIB,
                3,
                NameForm::Plain,
            )],
            false,
        );
        let err = client
            .send(
                MAILBOX,
                &envelope(&["kim@contoso.example"]),
                &BytesSource::new(message),
            )
            .await
            .expect_err("fault");
        assert_eq!(err.status(), Some(500), "{stage:?}: {err}");
        assert!(err.is_transient());
        assert!(
            !format!("{err} {err:?}").contains("secret-upload-token"),
            "{stage:?}: {err:?}"
        );
        assert_eq!(server.open_drafts(), 0, "{stage:?}: draft left");
        assert!(
            server.requests().iter().any(|r| r.method == "DELETE"),
            "{stage:?}"
        );
        assert!(server.sent(MAILBOX).is_empty());
    }
}

#[tokio::test]
async fn graph_error_bodies_keep_code_and_message() {
    let server = server(BOTH);
    server.disable_mailbox(MAILBOX);
    let client = client(&server);
    let message = scan(&["kim@contoso.example"], "t", &[], false);
    let err = client
        .send(
            MAILBOX,
            &envelope(&["kim@contoso.example"]),
            &BytesSource::new(message),
        )
        .await
        .expect_err("not enabled");
    assert_eq!(err.status(), Some(404));
    assert_eq!(err.code(), Some("MailboxNotEnabledForRESTAPI"));
    assert!(err.message().is_some_and(|m| m.contains("inactive")));
    assert!(!err.is_transient());
}

#[tokio::test]
async fn recipients_graph_sees_are_the_envelope() {
    let server = server(BOTH);
    let client = client(&server);
    // (To header, envelope, expected path)
    let cases: &[(&[&str], &[&str], bool)] = &[
        // Envelope recipient missing from the headers: a Bcc is added, sendMail.
        (
            &["kim@contoso.example"],
            &["kim@contoso.example", "lee@contoso.example"],
            true,
        ),
        // The header names someone the envelope does not: the draft path sets them exactly.
        (
            &["kim@contoso.example", "\"Park, J\" <park@contoso.example>"],
            &["KIM@contoso.example"],
            false,
        ),
    ];
    for (i, (to, rcpt, via_sendmail)) in cases.iter().enumerate() {
        let message = scan(to, "r", &[], false);
        let report = client
            .send(MAILBOX, &envelope(rcpt), &BytesSource::new(message))
            .await
            .expect("send");
        assert_eq!(report.path == SendPath::SendMail, *via_sendmail, "case {i}");
        let sent = server.sent(MAILBOX);
        let mut want: Vec<String> = rcpt.iter().map(|r| r.to_ascii_lowercase()).collect();
        want.sort();
        assert_eq!(sent[i].recipients(), want, "case {i}");
    }
    assert_contract(&server);
}

#[test]
fn plain_http_only_for_loopback() {
    let bearer = Arc::new(StaticBearer::new("t"));
    for (url, ok) in [
        ("http://127.0.0.1:8080", true),
        ("http://[::1]:8080", true),
        ("http://localhost", true),
        ("https://graph.microsoft.com", true),
        ("http://graph.microsoft.com", false),
        ("http://10.0.0.1", false),
        ("ftp://127.0.0.1", false),
    ] {
        let result = GraphClient::new(url, &HttpSettings::default(), bearer.clone());
        assert_eq!(result.is_ok(), ok, "{url}: {result:?}");
    }
}
