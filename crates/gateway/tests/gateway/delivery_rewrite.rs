//! `from_policy = rewrite`: the header rewrite as a table (bytes in, bytes out), and the
//! streaming reader that feeds it.

use scanrelay_gateway::delivery::rewrite::{
    HeaderReadError, read_header_block, rewrite_from_header,
};

const ACCOUNT: &str = "office.scanner@gmail.com";

/// (what, input header block, expected output)
const CASES: &[(&str, &str, &str)] = &[
    (
        "quoted display name kept, original From to Reply-To",
        "From: \"Scanner 3F\" <scan@office.lan>\r\nTo: boss@example.com\r\nSubject: Scan\r\n\r\n",
        "From: \"Scanner 3F\" <office.scanner@gmail.com>\r\nReply-To: \"Scanner 3F\" <scan@office.lan>\r\nTo: boss@example.com\r\nSubject: Scan\r\n\r\n",
    ),
    (
        "unquoted display name",
        "From: Scanner <scan@office.lan>\r\n\r\n",
        "From: Scanner <office.scanner@gmail.com>\r\nReply-To: Scanner <scan@office.lan>\r\n\r\n",
    ),
    (
        "bare address: no display name",
        "Subject: s\r\nFrom: scan@office.lan\r\n\r\n",
        "Subject: s\r\nFrom: <office.scanner@gmail.com>\r\nReply-To: scan@office.lan\r\n\r\n",
    ),
    (
        "old comment form: the comment becomes the display name",
        "From: scan@office.lan (Scanner 3F)\r\n\r\n",
        "From: Scanner 3F <office.scanner@gmail.com>\r\nReply-To: scan@office.lan (Scanner 3F)\r\n\r\n",
    ),
    (
        "case-insensitive names; existing Reply-To is kept and not duplicated",
        "FROM: \"Scanner\" <scan@office.lan>\r\nreply-to: desk@office.lan\r\n\r\n",
        "From: \"Scanner\" <office.scanner@gmail.com>\r\nreply-to: desk@office.lan\r\n\r\n",
    ),
    (
        "folded From: unfolded for the display name, kept folded in Reply-To",
        "From: \"Scanner 3F\"\r\n <scan@office.lan>\r\nTo: boss@example.com\r\n\r\n",
        "From: \"Scanner 3F\" <office.scanner@gmail.com>\r\nReply-To: \"Scanner 3F\"\r\n <scan@office.lan>\r\nTo: boss@example.com\r\n\r\n",
    ),
    (
        "folded Subject and other fields pass through untouched",
        "Subject: a long\r\n\tsubject\r\nFrom: <scan@office.lan>\r\nX-From: no@x\r\n\r\n",
        "Subject: a long\r\n\tsubject\r\nFrom: <office.scanner@gmail.com>\r\nReply-To: <scan@office.lan>\r\nX-From: no@x\r\n\r\n",
    ),
    (
        "encoded-word display name (Korean) kept as is",
        "From: =?UTF-8?B?7Iqk7LqU64SI?= <scan@office.lan>\r\n\r\n",
        "From: =?UTF-8?B?7Iqk7LqU64SI?= <office.scanner@gmail.com>\r\nReply-To: =?UTF-8?B?7Iqk7LqU64SI?= <scan@office.lan>\r\n\r\n",
    ),
    (
        "angle brackets and commas inside a quoted display name",
        "From: \"Kim, 3F <copier>\" <scan@office.lan>\r\n\r\n",
        "From: \"Kim, 3F <copier>\" <office.scanner@gmail.com>\r\nReply-To: \"Kim, 3F <copier>\" <scan@office.lan>\r\n\r\n",
    ),
    (
        "already from the account (any case): unchanged",
        "From: Scanner <Office.Scanner@Gmail.com>\r\n\r\n",
        "From: Scanner <Office.Scanner@Gmail.com>\r\n\r\n",
    ),
    (
        "no From at all: one is added",
        "To: boss@example.com\r\n\r\n",
        "To: boss@example.com\r\nFrom: <office.scanner@gmail.com>\r\n\r\n",
    ),
    (
        "two From fields: only one remains",
        "From: a@office.lan\r\nFrom: b@office.lan\r\n\r\n",
        "From: <office.scanner@gmail.com>\r\nReply-To: a@office.lan\r\n\r\n",
    ),
    (
        "bare LF line ends are kept",
        "From: \"S\" <scan@office.lan>\nTo: b@x\n\n",
        "From: \"S\" <office.scanner@gmail.com>\nReply-To: \"S\" <scan@office.lan>\nTo: b@x\n\n",
    ),
    (
        "header-only message without the blank line",
        "Subject: s\r\nFrom: scan@office.lan",
        "Subject: s\r\nFrom: <office.scanner@gmail.com>\r\nReply-To: scan@office.lan\r\n",
    ),
    (
        "space before the colon (obsolete syntax)",
        "From : scan@office.lan\r\n\r\n",
        "From: <office.scanner@gmail.com>\r\nReply-To: scan@office.lan\r\n\r\n",
    ),
];

#[test]
fn rewrite_table() {
    for (what, input, expected) in CASES {
        let out = rewrite_from_header(input.as_bytes(), ACCOUNT);
        assert_eq!(
            String::from_utf8_lossy(&out),
            *expected,
            "case: {what}\ninput: {input:?}"
        );
    }
}

#[test]
fn raw_utf8_display_name_passes_through() {
    let input = "From: 스캐너 <scan@office.lan>\r\n\r\n".as_bytes();
    let out = rewrite_from_header(input, ACCOUNT);
    assert_eq!(
        String::from_utf8(out).unwrap(),
        "From: 스캐너 <office.scanner@gmail.com>\r\nReply-To: 스캐너 <scan@office.lan>\r\n\r\n"
    );
}

#[tokio::test]
async fn reader_stops_at_the_blank_line_and_keeps_what_it_read_past_it() {
    let mut message: Vec<u8> = b"From: a@b\r\nSubject: s\r\n\r\n".to_vec();
    message.extend(std::iter::repeat_n(b'x', 100_000));
    let mut reader = &message[..];
    let block = read_header_block(&mut reader, 1024).await.unwrap();
    assert_eq!(block.head, b"From: a@b\r\nSubject: s\r\n\r\n");
    let mut rest = block.rest.clone();
    rest.extend_from_slice(reader);
    assert_eq!(
        rest,
        &message[block.head.len()..],
        "nothing lost between the parts"
    );
}

#[tokio::test]
async fn reader_refuses_an_endless_header() {
    let message: Vec<u8> = b"X-Junk: y\r\n".repeat(50_000);
    let mut reader = &message[..];
    let err = read_header_block(&mut reader, 256 * 1024)
        .await
        .unwrap_err();
    assert!(
        matches!(err, HeaderReadError::TooLong { limit: 262_144 }),
        "{err}"
    );
}

#[tokio::test]
async fn reader_takes_a_header_only_message_whole() {
    let message = b"Subject: s\r\nFrom: a@b\r\n";
    let mut reader = &message[..];
    let block = read_header_block(&mut reader, 1024).await.unwrap();
    assert_eq!(block.head, message);
    assert!(block.rest.is_empty());
}
