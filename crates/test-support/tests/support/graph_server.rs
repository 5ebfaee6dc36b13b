//! The fake Graph enforces the contract a Graph client can get wrong, driven by plain HTTP
//! requests: tokens and permissions, the 4 MiB body limit, upload URLs that refuse a token and
//! take only contiguous ranges of the declared total, injected faults, and Korean file names
//! read the way Graph reads them.

use base64::Engine as _;
use reqwest::StatusCode;
use scanrelay_test_support::graph_server::{
    Fault, FaultReply, FaultStage, GraphServer, GraphServerConfig, SentVia,
};
use serde_json::{Value, json};

const MAILBOX: &str = "scanner@contoso.example";

fn server(permissions: &[&str]) -> GraphServer {
    GraphServer::start(GraphServerConfig::with_token("tok", permissions))
}

fn mime(extra_part: &str) -> String {
    let message = format!(
        "To: kim@example.com\r\nSubject: t\r\nContent-Type: multipart/mixed; boundary=XX\r\n\r\n--XX\r\nContent-Type: text/plain\r\n\r\nhi\r\n{extra_part}--XX--\r\n"
    );
    base64::engine::general_purpose::STANDARD.encode(message)
}

async fn post(
    server: &GraphServer,
    path: &str,
    token: Option<&str>,
    content_type: &str,
    body: Vec<u8>,
) -> (StatusCode, Value) {
    let mut request = reqwest::Client::new()
        .post(format!("{}/v1.0/users/{MAILBOX}/{path}", server.base_url()))
        .header("content-type", content_type)
        .body(body);
    if let Some(token) = token {
        request = request.bearer_auth(token);
    }
    let response = request.send().await.expect("request");
    let status = response.status();
    let body = response.bytes().await.expect("body");
    (status, serde_json::from_slice(&body).unwrap_or(Value::Null))
}

async fn put(url: &str, range: &str, body: Vec<u8>, token: Option<&str>) -> StatusCode {
    let mut request = reqwest::Client::new()
        .put(url)
        .header("content-range", range)
        .body(body);
    if let Some(token) = token {
        request = request.bearer_auth(token);
    }
    request.send().await.expect("put").status()
}

#[tokio::test]
async fn tokens_permissions_and_the_body_limit() {
    let both = server(&["Mail.Send", "Mail.ReadWrite"]);
    let send_only = server(&["Mail.Send"]);
    let small = mime("").into_bytes();
    let big = vec![b'A'; 4 * 1024 * 1024 + 4];
    // (server, path, token, body, status, Graph error code)
    type Case<'a> = (
        &'a GraphServer,
        &'a str,
        Option<&'a str>,
        Vec<u8>,
        u16,
        Option<&'a str>,
    );
    let cases: Vec<Case<'_>> = vec![
        (
            &both,
            "sendMail",
            None,
            small.clone(),
            401,
            Some("InvalidAuthenticationToken"),
        ),
        (
            &both,
            "sendMail",
            Some("wrong"),
            small.clone(),
            401,
            Some("InvalidAuthenticationToken"),
        ),
        (
            &both,
            "sendMail",
            Some("tok"),
            big.clone(),
            413,
            Some("RequestBodyTooLarge"),
        ),
        (
            &both,
            "sendMail",
            Some("tok"),
            b"not base64!".to_vec(),
            400,
            Some("ErrorInvalidRequest"),
        ),
        (
            &send_only,
            "messages",
            Some("tok"),
            small.clone(),
            403,
            Some("ErrorAccessDenied"),
        ),
        (
            &send_only,
            "sendMail",
            Some("tok"),
            small.clone(),
            202,
            None,
        ),
        (&both, "messages", Some("tok"), small.clone(), 201, None),
    ];
    for (server, path, token, body, status, code) in cases {
        let (got, json) = post(server, path, token, "text/plain", body).await;
        assert_eq!(got.as_u16(), status, "{path} {token:?}: {json}");
        assert_eq!(
            json.pointer("/error/code").and_then(Value::as_str),
            code,
            "{path} {token:?}"
        );
    }
    assert_eq!(send_only.sent(MAILBOX).len(), 1);
}

#[tokio::test]
async fn upload_sessions_take_contiguous_ranges_without_a_token() {
    let server = server(&["Mail.Send", "Mail.ReadWrite"]);
    let (status, draft) = post(
        &server,
        "messages",
        Some("tok"),
        "text/plain",
        mime("").into_bytes(),
    )
    .await;
    assert_eq!(status, StatusCode::CREATED);
    let id = draft["id"].as_str().expect("draft id").to_string();
    let size = 3 * 1024 * 1024u64;
    let item = |size: u64| json!({"AttachmentItem": {"attachmentType": "file", "name": "스캔.pdf", "size": size}});
    let path = format!("messages/{id}/attachments/createUploadSession");
    let (status, small) = post(
        &server,
        &path,
        Some("tok"),
        "application/json",
        item(1000).to_string().into_bytes(),
    )
    .await;
    assert_eq!(
        (
            status.as_u16(),
            small.pointer("/error/code").and_then(Value::as_str)
        ),
        (
            400,
            Some("ErrorAttachmentSizeShouldNotBeLessThanMinimumSize")
        )
    );
    let (status, session) = post(
        &server,
        &path,
        Some("tok"),
        "application/json",
        item(size).to_string().into_bytes(),
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    let url = session["uploadUrl"]
        .as_str()
        .expect("upload URL")
        .to_string();
    let (status, _) = post(
        &server,
        &format!("messages/{id}/send"),
        Some("tok"),
        "text/plain",
        Vec::new(),
    )
    .await;
    assert_eq!(
        status,
        StatusCode::BAD_REQUEST,
        "send before the upload finished"
    );
    let half = (size / 2) as usize;
    let last = size - 1;
    // (range, body length, token, status)
    let steps: Vec<(String, usize, Option<&str>, u16)> = vec![
        (
            format!("bytes 0-{}/{size}", half - 1),
            half,
            Some("tok"),
            401,
        ),
        (format!("bytes 1-{half}/{size}"), half, None, 416),
        (
            format!("bytes 0-{}/{}", half - 1, size + 1),
            half,
            None,
            416,
        ),
        (format!("bytes 0-{half}/{size}"), half, None, 416),
        ("0-10".to_string(), 11, None, 400),
        (format!("bytes 0-{}/{size}", half - 1), half, None, 200),
        (format!("bytes 0-{}/{size}", half - 1), half, None, 416),
        (
            format!("bytes {half}-{last}/{size}"),
            size as usize - half,
            None,
            201,
        ),
    ];
    for (range, len, token, status) in steps {
        assert_eq!(
            put(&url, &range, vec![7u8; len], token).await.as_u16(),
            status,
            "{range} {token:?}"
        );
    }
    let (status, _) = post(
        &server,
        &format!("messages/{id}/send"),
        Some("tok"),
        "text/plain",
        Vec::new(),
    )
    .await;
    assert_eq!(status, StatusCode::ACCEPTED, "every upload finished");
    let sent = server.sent(MAILBOX);
    assert_eq!(sent[0].via, SentVia::Draft);
    assert_eq!(sent[0].attachments.len(), 1);
    assert_eq!(sent[0].attachments[0].name, "스캔.pdf");
    assert_eq!(sent[0].attachments[0].bytes, vec![7u8; size as usize]);
    assert_eq!(server.open_drafts(), 0);
}

#[tokio::test]
async fn faults_and_korean_names() {
    let server = server(&["Mail.Send", "Mail.ReadWrite"]);
    server.add_fault(Fault {
        stage: FaultStage::SendMail,
        times: 1,
        reply: FaultReply::Throttle("5".into()),
    });
    let part = "--XX\r\nContent-Type: application/pdf\r\nContent-Disposition: attachment;\r\n filename*0*=euc-kr''%BD%BA%C4;\r\n filename*1*=%B5.pdf\r\nContent-Transfer-Encoding: base64\r\n\r\nJVBERg==\r\n";
    let body = mime(part).into_bytes();
    let response = reqwest::Client::new()
        .post(format!(
            "{}/v1.0/users/{MAILBOX}/sendMail",
            server.base_url()
        ))
        .bearer_auth("tok")
        .header("content-type", "text/plain")
        .body(body.clone())
        .send()
        .await
        .expect("request");
    assert_eq!(response.status(), StatusCode::TOO_MANY_REQUESTS);
    assert_eq!(
        response
            .headers()
            .get("retry-after")
            .and_then(|v| v.to_str().ok()),
        Some("5")
    );
    let (status, _) = post(&server, "sendMail", Some("tok"), "text/plain", body).await;
    assert_eq!(status, StatusCode::ACCEPTED, "the fault was used up");
    let sent = server.sent(MAILBOX);
    assert_eq!(sent[0].via, SentVia::SendMail);
    assert_eq!(
        sent[0].attachments[0].name, "스캔.pdf",
        "RFC 2231 joined before decoding"
    );
    assert_eq!(sent[0].attachments[0].bytes, b"%PDF");
    server.disable_mailbox(MAILBOX);
    let (status, json) = post(
        &server,
        "sendMail",
        Some("tok"),
        "text/plain",
        mime("").into_bytes(),
    )
    .await;
    assert_eq!(
        (
            status.as_u16(),
            json.pointer("/error/code").and_then(Value::as_str)
        ),
        (404, Some("MailboxNotEnabledForRESTAPI"))
    );
    let records = server.requests();
    assert_eq!(records.len(), 3);
    assert!(records.iter().all(|r| r.authorization && !r.has_query));
}
