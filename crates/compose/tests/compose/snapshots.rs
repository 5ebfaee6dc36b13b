//! Byte-exact messages. `UPDATE_SNAPSHOTS=1 cargo test -p scanrelay-compose` rewrites the
//! files under `tests/compose/snapshots/` (then read the diff).

use std::path::PathBuf;

use scanrelay_compose::{Limit, compose, sniff_content_type};

use crate::{attach, bytes_of, draft, stamp};

fn check_snapshot(name: &str, got: &[u8]) {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("tests/compose/snapshots")
        .join(name);
    if std::env::var_os("UPDATE_SNAPSHOTS").is_some() {
        std::fs::write(&path, got).unwrap();
    }
    let want = std::fs::read(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    assert!(
        got == want.as_slice(),
        "{name} differs from the snapshot:\n--- got\n{}\n--- want\n{}",
        String::from_utf8_lossy(got),
        String::from_utf8_lossy(&want)
    );
}

const PDF: &[u8] = b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n1 0 obj\n<<>>\nendobj\ntrailer\n<<>>\n%%EOF\n";

#[tokio::test]
async fn korean_names_subject_and_body() {
    let dir = tempfile::tempdir().unwrap();
    let atts = vec![
        attach(dir.path(), "스캔 문서 2026년 12월 5일 회의록.pdf", PDF),
        attach(dir.path(), "plain \"name\".bin", &[0, 1, 2, 3, 254, 255]),
    ];
    let mut d = draft(
        "스캔 문서: 회의록",
        "첨부 파일을 확인하세요.\nScanned by scanrelay.\n",
        atts,
    );
    // A display name long enough for two encoded words, and one that needs quoting.
    d.cc = vec![
        "총무팀 스캔 문서 보관함 담당자 (본사 3층) <cc1@example.test>".into(),
        r#""Front \"Desk\"" <cc2@example.test>"#.into(),
    ];
    let mut n = 0;
    let messages = compose(&d, Limit::default(), &mut || {
        n += 1;
        stamp(n)
    })
    .unwrap();
    assert_eq!(messages.len(), 1);
    let bytes = bytes_of(&messages[0]).await;
    assert_eq!(
        bytes.len() as u64,
        messages[0].size(),
        "size known before streaming"
    );
    check_snapshot("korean.eml", &bytes);
}

#[tokio::test]
async fn no_body_and_an_empty_file() {
    let dir = tempfile::tempdir().unwrap();
    let atts = vec![attach(dir.path(), "empty.txt", b"")];
    let d = draft("", "", atts);
    let messages = compose(&d, Limit::default(), &mut || stamp(7)).unwrap();
    let bytes = bytes_of(&messages[0]).await;
    assert_eq!(bytes.len() as u64, messages[0].size());
    check_snapshot("empty.eml", &bytes);
}

#[test]
fn content_types_come_from_the_bytes() {
    let table: &[(&[u8], &str)] = &[
        (PDF, "application/pdf"),
        (b"II*\x00\x08\x00\x00\x00\x0e\x00\x00\x01", "image/tiff"),
        (b"MM\x00*\x00\x00\x00\x08\x00\x0e\x01\x00", "image/tiff"),
        (b"\xff\xd8\xff\xe0\x00\x10JFIF\x00", "image/jpeg"),
        (b"\x89PNG\r\n\x1a\n\x00\x00\x00\x0dIHDR", "image/png"),
        (b"hello", "application/octet-stream"),
        (b"", "application/octet-stream"),
    ];
    for (head, want) in table {
        assert_eq!(sniff_content_type(head), *want, "{head:?}");
    }
}

#[test]
fn a_pdf_named_jpg_is_still_a_pdf() {
    let dir = tempfile::tempdir().unwrap();
    let att = attach(dir.path(), "scan.jpg", PDF);
    assert_eq!(att.content_type, "application/pdf");
    assert_eq!(att.size, PDF.len() as u64);
}

/// Found by the compose_headers fuzz target: mail-builder writes a subject of plain ASCII as
/// it is, so a line break in it ended the header (and could inject one).
#[tokio::test]
async fn line_breaks_in_subject_and_names_cannot_end_a_header() {
    let dir = tempfile::tempdir().unwrap();
    let mut att = attach(dir.path(), "scan.pdf", PDF);
    att.file_name = "a\r\nContent-Type: text/html\r\n.pdf".into();
    let mut d = draft("E\nBcc: victim@example.test", "", vec![att]);
    d.from = "Evil\r\nBcc: x@y <scanner@example.test>".into();
    assert!(
        compose(&d, Limit::default(), &mut || stamp(1)).is_err(),
        "CR LF in From"
    );
    d.from = "Name\tTab <scanner@example.test>".into();
    let messages = compose(&d, Limit::default(), &mut || stamp(1)).unwrap();
    let bytes = bytes_of(&messages[0]).await;
    let text = String::from_utf8(bytes).unwrap();
    assert!(
        text.contains("Subject: E Bcc: victim@example.test\r\n"),
        "{text}"
    );
    assert!(!text.contains("\nBcc:"), "{text}");
    assert!(!text.contains("\nContent-Type: text/html"), "{text}");
    assert!(
        text.contains("filename=\"aContent-Type: text/html.pdf\""),
        "{text}"
    );
}

/// An I-Fax simple-mode message (RFC 3965): one TIFF-F attachment typed
/// `image/tiff; application=faxbw`, the parameter before `name=`.
#[tokio::test]
async fn ifax_simple_mode() {
    let dir = tempfile::tempdir().unwrap();
    let blank = scanrelay_fax::Bitmap::new(scanrelay_fax::FAX_WIDTH, 2);
    let tiff = scanrelay_fax::write_tiff_f(&[blank], scanrelay_fax::Resolution::Fine);
    let mut att = attach(dir.path(), "fax.tif", &tiff);
    assert_eq!(att.content_type, "image/tiff");
    att.content_type = scanrelay_fax::IFAX_CONTENT_TYPE.into();
    let d = draft("Fax", "", vec![att]);
    let messages = compose(&d, Limit::default(), &mut || stamp(1)).unwrap();
    let bytes = bytes_of(&messages[0]).await;
    assert_eq!(bytes.len() as u64, messages[0].size());
    check_snapshot("ifax.eml", &bytes);
}
