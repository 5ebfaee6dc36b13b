//! RFC 2231 / 8-bit parameter values: table tests against what Python's `email` package
//! decodes (checked by hand with Python 3.11), and the whole-attachment path.

use scanrelay_pop3_client::mime::{attachments, part_name, rfc2231};

/// (Content-Disposition header line, expected file name or None = left to mail-parser).
const CASES: &[(&str, Option<&str>)] = &[
    // The dependencies.md example: charset on section 0 only.
    (
        "Content-Disposition: attachment; filename*0*=euc-kr''%BD%BA%C4%B5; filename*1*=%20%B9%AE%BC%AD.pdf",
        Some("스캔 문서.pdf"),
    ),
    // A UTF-8 character split across sections.
    (
        "Content-Disposition: attachment; filename*0*=utf-8''%EC%8A%A4%EC; filename*1*=%BA%94.pdf",
        Some("스캔.pdf"),
    ),
    // Sections out of order, one quoted and not encoded.
    (
        "Content-Disposition: attachment; filename*1=\"_2026.tif\"; filename*0*=UTF-8''%ED%8C%A9%EC%8A%A4",
        Some("팩스_2026.tif"),
    ),
    // Folded over lines, mixed case names, language tag.
    (
        "Content-Disposition: attachment;\r\n FILENAME*0*=UTF-8'ko'%EA%B2%AC;\r\n\tfilename*1*=%EC%A0%81%EC%84%9C.pdf",
        Some("견적서.pdf"),
    ),
    // One piece.
    (
        "Content-Disposition: attachment; filename*=UTF-8''%EC%A0%95%EC%82%B0%EC%84%9C.pdf",
        Some("정산서.pdf"),
    ),
    // ks_c_5601-1987 is Outlook's label for EUC-KR.
    (
        "Content-Disposition: attachment; filename*=ks_c_5601-1987''%BD%BA%C4%B5.pdf",
        Some("스캔.pdf"),
    ),
    // Plain ASCII and RFC 2047: mail-parser's.
    (
        "Content-Disposition: attachment; filename=\"scan.pdf\"",
        None,
    ),
    (
        "Content-Disposition: attachment; filename=\"=?UTF-8?B?7KCV7IKw7IScLnBkZg==?=\"",
        None,
    ),
    // A bad percent escape stays as it is.
    (
        "Content-Disposition: attachment; filename*=utf-8''100%zz.pdf",
        Some("100%zz.pdf"),
    ),
    // No parameters at all.
    ("Content-Disposition: attachment", None),
];

#[test]
fn parameter_values_decode_like_pythons_email_package() {
    for (header, want) in CASES {
        let block = format!("Content-Type: application/pdf\r\n{header}\r\n\r\n");
        assert_eq!(part_name(block.as_bytes()).as_deref(), *want, "{header}");
    }
}

#[test]
fn raw_euc_kr_bytes_in_a_quoted_string_decode_as_korean() {
    let mut block = b"Content-Disposition: attachment; filename=\"".to_vec();
    block.extend_from_slice(&[0xBD, 0xBA, 0xC4, 0xB5]);
    block.extend_from_slice(b".pdf\"\r\n\r\n");
    assert_eq!(part_name(&block).as_deref(), Some("스캔.pdf"));
    let utf8 = "Content-Type: application/pdf; name=\"스캔.pdf\"\r\n\r\n";
    assert_eq!(part_name(utf8.as_bytes()).as_deref(), Some("스캔.pdf"));
}

#[test]
fn content_type_name_is_used_when_the_disposition_has_none() {
    let block = "Content-Type: application/pdf;\r\n name*0*=utf-8''%EC%8A%A4; name*1*=%EC%BA%94.pdf\r\n\
                 Content-Disposition: attachment\r\n\r\n";
    assert_eq!(part_name(block.as_bytes()).as_deref(), Some("스캔.pdf"));
}

#[test]
fn params_are_split_outside_quotes_only() {
    let params = rfc2231::parse_params(b"attachment; filename=\"a;b=c.pdf\"; size=12");
    let names: Vec<&str> = params.iter().map(|p| p.name.as_str()).collect();
    assert_eq!(names, ["filename", "size"]);
    assert_eq!(params[0].value, b"a;b=c.pdf");
    assert_eq!(rfc2231::percent_decode(b"%41%4a%"), b"AJ%");
}

#[test]
fn attachments_come_out_decoded_with_safe_names() {
    let raw = "From: a@example.test\r\nMIME-Version: 1.0\r\n\
               Content-Type: multipart/mixed; boundary=\"b\"\r\n\r\n--b\r\n\
               Content-Type: text/plain\r\n\r\nhi\r\n--b\r\n\
               Content-Type: application/pdf\r\nContent-Transfer-Encoding: base64\r\n\
               Content-Disposition: attachment; filename*0*=euc-kr''%BD%BA%C4%B5;\r\n \
               filename*1*=%20%B9%AE%BC%AD.pdf\r\n\r\nJVBERi0xLjQK\r\n--b\r\n\
               Content-Type: image/tiff\r\nContent-Disposition: attachment; filename=\"../../x/\"\r\n\
               \r\nII*\r\n--b--\r\n";
    let found = attachments(raw.as_bytes());
    let names: Vec<&str> = found.iter().map(|a| a.name.as_str()).collect();
    assert_eq!(names, ["스캔 문서.pdf", "attachment-2.tif"]);
    assert_eq!(found[0].content, b"%PDF-1.4\n");
}
