//! Bounces, byte for byte: boundary, Date and Message-ID are injected, so the whole message is
//! pinned. If a deliberate change alters the bytes, update `EXPECTED` from the test's output
//! after reading the diff.

use base64::Engine as _;
use scanrelay_diagnose::Cause;
use scanrelay_gateway::delivery::Response;
use scanrelay_gateway::delivery::dsn::{
    BounceReason, DsnIds, DsnInput, FailedRecipient, build_dsn, status_code,
};
use scanrelay_proto::Reply;

const ORIGINAL_HEADERS: &[u8] =
    b"From: \"Scanner 3F\" <scan@office.lan>\r\nTo: boss@example.com\r\nSubject: Scan 3F\r\n\r\n";

fn naver_refusal() -> Vec<FailedRecipient> {
    vec![FailedRecipient {
        rcpt: "boss@example.com".to_string(),
        response: Some(Response::from(Reply::new(
            554,
            "5.7.1 The sender address is unauthorized abc123 - nsmtp",
        ))),
        cause: Cause::SenderNotAllowed,
        error: "unused when there is a reply".to_string(),
    }]
}

fn build(failures: &[FailedRecipient], reason: BounceReason) -> Vec<u8> {
    let to = vec!["scan@office.lan".to_string()];
    let input = DsnInput {
        reporting_mta: "gw.office.lan",
        to: &to,
        queue_id: "00063f8a1c2b3d4e-9f3a61c0d2e4b7a1",
        original_sender: "scan@office.lan",
        arrival_date: 1_700_000_000,
        remote_mta: Some("smtp.naver.com"),
        reason,
        failures,
        original_headers: ORIGINAL_HEADERS,
        provider: scanrelay_diagnose::provider("naver"),
    };
    let ids = DsnIds {
        boundary: "BOUNDARY".to_string(),
        date: 1_700_000_600,
        message_id: "dsn.1@gw.office.lan".to_string(),
    };
    build_dsn(&input, &ids)
}

const EXPECTED: &str = concat!(
    "From: \"Mail Delivery System\" <MAILER-DAEMON@gw.office.lan>\r\n",
    "To: <scan@office.lan>\r\n",
    "Subject: =?utf-8?B?VW5kZWxpdmVyZWQgTWFpbCBSZXR1cm5lZCB0byBTZW5kZXIgKOuplA==?=\r\n",
    "\t=?utf-8?B?7J28IOyghOyGoSDsi6TtjKgp?=\r\n",
    "Date: Tue, 14 Nov 2023 22:23:20 +0000\r\n",
    "Message-ID: <dsn.1@gw.office.lan>\r\n",
    "Auto-Submitted: auto-replied\r\n",
    "MIME-Version: 1.0\r\n",
    "Content-Type: multipart/report; report-type=\"delivery-status\"; \r\n",
    "\tboundary=\"BOUNDARY\"\r\n",
    "\r\n",
    "\r\n",
    "--BOUNDARY\r\n",
    "Content-Type: text/plain; charset=\"utf-8\"\r\n",
    "Content-Transfer-Encoding: base64\r\n",
    "\r\n",
    "VGhpcyBpcyB0aGUgc2NhbnJlbGF5IG1haWwgZ2F0ZXdheSBhdCBndy5vZmZpY2UubGFuLg0KDQpB\r\n",
    "IG1lc3NhZ2UgZnJvbSBzY2FuQG9mZmljZS5sYW4sIGFjY2VwdGVkIG9uIFR1ZSwgMTQgTm92IDIw\r\n",
    "MjMgMjI6MTM6MjAgKzAwMDAgKHF1ZXVlIGlkIDAwMDYzZjhhMWMyYjNkNGUtOWYzYTYxYzBkMmU0\r\n",
    "YjdhMSksDQpjb3VsZCBub3QgYmUgZGVsaXZlcmVkIHRvIHRoZSByZWNpcGllbnRzIGJlbG93Lg0K\r\n",
    "DQo8Ym9zc0BleGFtcGxlLmNvbT4NCiAgICBzbXRwLm5hdmVyLmNvbSBhbnN3ZXJlZDoNCiAgICAg\r\n",
    "ICAgNTU0IDUuNy4xIFRoZSBzZW5kZXIgYWRkcmVzcyBpcyB1bmF1dGhvcml6ZWQgYWJjMTIzIC0g\r\n",
    "bnNtdHANCiAgICBEaWFnbm9zaXM6IHNlbmRlci5ub3RfYWxsb3dlZCAtIFRoZSBzZXJ2ZXIgZG9l\r\n",
    "cyBub3QgYWxsb3cgdGhpcyBzZW5kZXIgKEZyb20pIGFkZHJlc3MgZm9yIHRoZSBsb2dnZWQtaW4g\r\n",
    "YWNjb3VudC4NCiAgICBXaGF0IHRvIGRvOiBOYXZlciBvbmx5IGFsbG93cyB0aGUgYWNjb3VudCdz\r\n",
    "IG93biBhZGRyZXNzIGFzIHNlbmRlci4gU2V0IHRoZSBkZXZpY2UncyBzZW5kZXIgZS1tYWlsIGFk\r\n",
    "ZHJlc3MgdG8gZXhhY3RseSB0aGUgYWNjb3VudCdzIEBuYXZlci5jb20gYWRkcmVzcyAodGhlIHNh\r\n",
    "bWUgSUQgYXMgdGhlIFNNVFAgQVVUSCB1c2VyIG5hbWUpLg0KDQotLS0tLSDtlZzqta3slrQgLS0t\r\n",
    "LS0NCg0KZ3cub2ZmaWNlLmxhbiDsnZggc2NhbnJlbGF5IOuplOydvCDqsozsnbTtirjsm6jsnbTs\r\n",
    "noXri4jri6QuDQoNCnNjYW5Ab2ZmaWNlLmxhbiDri5jsnbQgVHVlLCAxNCBOb3YgMjAyMyAyMjox\r\n",
    "MzoyMCArMDAwMCDsl5Ag67O064K4IOuplOydvCjrjIDquLDsl7QgSUQgMDAwNjNmOGExYzJiM2Q0\r\n",
    "ZS05ZjNhNjFjMGQyZTRiN2ExKeydhA0K7JWE656YIOyImOyLoOyekOyXkOqyjCDsoITri6ztlZjs\r\n",
    "p4Ag66q77ZaI7Iq164uI64ukLg0KDQo8Ym9zc0BleGFtcGxlLmNvbT4NCiAgICBzbXRwLm5hdmVy\r\n",
    "LmNvbSDsnZgg7J2R64u1Og0KICAgICAgICA1NTQgNS43LjEgVGhlIHNlbmRlciBhZGRyZXNzIGlz\r\n",
    "IHVuYXV0aG9yaXplZCBhYmMxMjMgLSBuc210cA0KICAgIOynhOuLqDogc2VuZGVyLm5vdF9hbGxv\r\n",
    "d2VkIC0g66Gc6re47J247ZWcIOqzhOygleycvOuhnOuKlCDsnbQg67Cc7Iug7J6QKEZyb20pIOyj\r\n",
    "vOyGjOulvCDsgqzsmqntlaAg7IiYIOyXhuyKteuLiOuLpC4NCiAgICDtlbTqsrAg67Cp67KVOiDr\r\n",
    "hKTsnbTrsoTripQg66Gc6re47J247ZWcIOqzhOygleydmCDso7zshozrp4wg67Cc7Iug7J6Q66Gc\r\n",
    "IO2XiOyaqe2VqeuLiOuLpC4g67O17ZWp6riw7J2YIOuwnOyLoOyekCDsnbTrqZTsnbwg7KO87IaM\r\n",
    "66W8IFNNVFDsnbjspp3sl5Ag7JOw64qUIOyVhOydtOuUlOydmCBAbmF2ZXIuY29tIOyjvOyGjOyZ\r\n",
    "gCDrmJHqsJnsnbQg7ISk7KCV7ZWY7Iut7Iuc7JikLg0K\r\n",
    "\r\n",
    "--BOUNDARY\r\n",
    "Content-Type: message/delivery-status\r\n",
    "Content-Transfer-Encoding: 7bit\r\n",
    "\r\n",
    "Reporting-MTA: dns; gw.office.lan\r\n",
    "X-Scanrelay-Queue-ID: 00063f8a1c2b3d4e-9f3a61c0d2e4b7a1\r\n",
    "Arrival-Date: Tue, 14 Nov 2023 22:13:20 +0000\r\n",
    "\r\n",
    "Final-Recipient: rfc822; boss@example.com\r\n",
    "Action: failed\r\n",
    "Status: 5.7.1\r\n",
    "Remote-MTA: dns; smtp.naver.com\r\n",
    "Diagnostic-Code: smtp; 554 5.7.1 The sender address is unauthorized abc123 - nsmtp\r\n",
    "X-Scanrelay-Cause: sender.not_allowed\r\n",
    "\r\n",
    "--BOUNDARY\r\n",
    "Content-Type: text/rfc822-headers\r\n",
    "Content-Transfer-Encoding: 7bit\r\n",
    "\r\n",
    "From: \"Scanner 3F\" <scan@office.lan>\r\n",
    "To: boss@example.com\r\n",
    "Subject: Scan 3F\r\n",
    "\r\n",
    "--BOUNDARY--\r\n",
);

#[test]
fn bounce_snapshot() {
    let dsn = build(&naver_refusal(), BounceReason::Permanent);
    let text = String::from_utf8(dsn).expect("ASCII on the wire");
    assert_eq!(text, EXPECTED);
}

/// The human-readable part, decoded.
fn human_part(dsn: &str) -> String {
    let start = dsn
        .find("Content-Transfer-Encoding: base64\r\n\r\n")
        .expect("base64 text part")
        + "Content-Transfer-Encoding: base64\r\n\r\n".len();
    let end = start
        + dsn[start..]
            .find("\r\n\r\n--BOUNDARY")
            .expect("end of part");
    let b64: String = dsn[start..end].split("\r\n").collect();
    let bytes = base64::engine::general_purpose::STANDARD
        .decode(b64)
        .expect("base64");
    String::from_utf8(bytes).expect("utf-8")
}

#[test]
fn human_part_has_the_reply_the_cause_and_the_fix_in_both_languages() {
    let human = human_part(EXPECTED);
    for needle in [
        "554 5.7.1 The sender address is unauthorized abc123 - nsmtp",
        "Diagnosis: sender.not_allowed",
        "What to do: Naver only allows",
        "----- 한국어 -----",
        "진단: sender.not_allowed",
        "해결 방법:",
    ] {
        assert!(human.contains(needle), "lacks {needle:?}:\n{human}");
    }
}

#[test]
fn status_codes() {
    let mut f = naver_refusal().remove(0);
    assert_eq!(status_code(&f, BounceReason::Permanent), "5.7.1");
    assert_eq!(
        status_code(&f, BounceReason::Expired { hours: 120 }),
        "5.4.7"
    );
    f.response = Some(Response::from(Reply::new(550, "no such user")));
    assert_eq!(status_code(&f, BounceReason::Permanent), "5.0.0");
    f.response = None;
    f.cause = Cause::MessageTooLarge;
    assert_eq!(status_code(&f, BounceReason::Permanent), "5.3.4");
}

#[test]
fn local_failure_without_reply_uses_an_x_diagnostic() {
    let failures = vec![FailedRecipient {
        rcpt: "boss@example.com".to_string(),
        response: None,
        cause: Cause::MessageTooLarge,
        error: "the message is 40000000 bytes, more than the 20971520 bytes the upstream server accepts (EHLO SIZE)".to_string(),
    }];
    let dsn = String::from_utf8(build(&failures, BounceReason::Permanent)).unwrap();
    assert!(dsn.contains("Status: 5.3.4\r\n"));
    assert!(dsn.contains("Diagnostic-Code: X-Scanrelay; the message is 40000000 bytes"));
    assert!(
        !dsn.contains("Remote-MTA:"),
        "the upstream did not say anything"
    );
    assert!(human_part(&dsn).contains("Error: the message is 40000000 bytes"));
}
