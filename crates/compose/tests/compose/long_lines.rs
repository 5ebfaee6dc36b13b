//! No header line over RFC 5322's 998 octets, whatever the names, and the names still read
//! back (mail-parser): a regression table from the `compose_headers` fuzz target (a
//! 250-character non-ASCII file name gave a 1,021-octet line).

use mail_parser::MimeHeaders;
use scanrelay_compose::{Limit, compose};

use crate::{attach, bytes_of, draft, stamp};

#[tokio::test]
async fn long_file_names_and_subjects_fold_under_998_octets() {
    let cases: [(&str, String, String); 5] = [
        (
            "non-ASCII name",
            "\u{FFFD}".repeat(249) + "ǰ",
            "scan".into(),
        ),
        ("Korean name", "스캔".repeat(150) + ".pdf", "scan".into()),
        ("ASCII name", "a".repeat(1200) + ".pdf", "scan".into()),
        (
            "ASCII name with spaces",
            "scan file ".repeat(120) + ".pdf",
            "scan".into(),
        ),
        ("long subject", "scan.pdf".into(), "스캔 문서 ".repeat(200)),
    ];
    let dir = tempfile::tempdir().unwrap();
    for (what, name, subject) in cases {
        // Names longer than a file system allows come from callers that build the attachment.
        let mut attachment = attach(dir.path(), "scan.pdf", b"%PDF-1.4\n");
        attachment.file_name = name.clone();
        let d = draft(&subject, "body\n", vec![attachment]);
        let messages = compose(&d, Limit::default(), &mut || stamp(1)).unwrap();
        let bytes = bytes_of(&messages[0]).await;
        let parsed = mail_parser::MessageParser::default()
            .parse(&bytes)
            .expect("parses");
        let part = parsed.attachment(0).expect("the attachment");
        assert_eq!(
            part.attachment_name(),
            Some(name.as_str()),
            "{what}: filename"
        );
        let content_type = part.content_type().expect("Content-Type");
        assert_eq!(
            content_type.attribute("name"),
            Some(name.as_str()),
            "{what}: name"
        );
        assert_eq!(parsed.subject(), Some(subject.as_str()), "{what}: subject");
        for line in bytes.split(|&b| b == b'\n') {
            assert!(
                line.len() <= 999,
                "{what}: a line of {} octets: {}",
                line.len(),
                String::from_utf8_lossy(&line[..line.len().min(120)])
            );
        }
    }
}
