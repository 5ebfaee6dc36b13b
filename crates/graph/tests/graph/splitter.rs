//! The splitter against tables (file names in every form MFPs write them, nested multiparts,
//! encodings, broken structure, long header lines) and against Python's `email` as an
//! independent reading; the result must not depend on how the input is chunked.

use scanrelay_graph::mime::{
    BodyDecoder, FIELD_CAP, Scanner, SkeletonBuilder, SplitError, Structure, TransferEncoding, plan,
};

use crate::oracle::{python_attachments, sha256};

fn split_in_chunks(message: &[u8], chunk: usize) -> Result<Structure, SplitError> {
    let mut scanner = Scanner::new();
    for piece in message.chunks(chunk) {
        scanner.feed(piece)?;
    }
    scanner.finish()
}

/// Splits in several chunkings and checks they agree.
fn split(message: &[u8]) -> Result<Structure, SplitError> {
    let whole = split_in_chunks(message, message.len().max(1));
    for chunk in [1, 2, 7, 4096] {
        assert_eq!(split_in_chunks(message, chunk), whole, "chunk size {chunk}");
    }
    whole
}

fn decoded(message: &[u8], structure: &Structure, part: usize) -> Vec<u8> {
    let p = &structure.parts[part];
    let mut decoder = BodyDecoder::new(p.encoding);
    let mut out = Vec::new();
    decoder.feed(
        &message[p.body.start as usize..p.body.end as usize],
        &mut out,
    );
    decoder.finish(&mut out);
    out
}

const MIXED_HEAD: &str = "From: a@example.com\r\nTo: kim@example.com\r\nSubject: s\r\nMIME-Version: 1.0\r\nContent-Type: multipart/mixed; boundary=\"XX\"\r\n\r\n--XX\r\nContent-Type: text/plain\r\n\r\nbody\r\n";

fn mixed(parts: &[&str], close: bool) -> Vec<u8> {
    let mut m = MIXED_HEAD.to_string();
    for part in parts {
        m.push_str("--XX\r\n");
        m.push_str(part);
    }
    if close {
        m.push_str("--XX--\r\n");
    }
    m.into_bytes()
}

struct Case {
    label: &'static str,
    message: Vec<u8>,
    /// (name, content type, decoded bytes) of each attachment, in order.
    expected: Vec<(&'static str, &'static str, Vec<u8>)>,
}

fn cases() -> Vec<Case> {
    let pdf = b"%PDF-1.4 scan".to_vec();
    vec![
        Case {
            label: "RFC 2231 UTF-8",
            message: mixed(&["Content-Type: application/pdf\r\nContent-Disposition: attachment; filename*=UTF-8''%EC%8A%A4%EC%BA%94.pdf\r\nContent-Transfer-Encoding: base64\r\n\r\nJVBERi0xLjQgc2Nhbg==\r\n"], true),
            expected: vec![("스캔.pdf", "application/pdf", pdf.clone())],
        },
        Case {
            label: "RFC 2231 EUC-KR, charset on section 0 only, characters split across sections",
            message: mixed(&["Content-Type: application/pdf\r\nContent-Disposition: attachment;\r\n filename*0*=euc-kr''%BD%BA%C4;\r\n filename*1*=%B5%20%B9%AE%BC;\r\n filename*2*=%AD.pdf\r\nContent-Transfer-Encoding: base64\r\n\r\nJVBERi0x\r\nLjQgc2Nh\r\nbg==\r\n"], true),
            expected: vec![("스캔 문서.pdf", "application/pdf", pdf.clone())],
        },
        Case {
            label: "RFC 2231 continuations without encoding, on the type's name",
            message: mixed(&["Content-Type: image/tiff; name*0=\"long scan \"; name*1=\"name.tif\"\r\nContent-Transfer-Encoding: base64\r\n\r\nJVBERi0xLjQgc2Nhbg==\r\n"], true),
            expected: vec![("long scan name.tif", "image/tiff", pdf.clone())],
        },
        Case {
            label: "RFC 2047, a character split between two encoded-words (EUC-KR)",
            message: mixed(&["Content-Type: application/pdf; name=\"=?EUC-KR?B?vbrE?= =?EUC-KR?B?tQ==?=.pdf\"\r\nContent-Disposition: attachment\r\nContent-Transfer-Encoding: base64\r\n\r\nJVBERi0xLjQgc2Nhbg==\r\n"], true),
            expected: vec![("스캔.pdf", "application/pdf", pdf.clone())],
        },
        Case {
            label: "RFC 2047 Q in a quoted filename",
            message: mixed(&["Content-Type: image/jpeg\r\nContent-Disposition: attachment; filename=\"=?utf-8?Q?=EC=82=AC=EC=A7=84_1.jpg?=\"\r\nContent-Transfer-Encoding: base64\r\n\r\nJVBERi0xLjQgc2Nhbg==\r\n"], true),
            expected: vec![("사진 1.jpg", "image/jpeg", pdf.clone())],
        },
        Case {
            label: "nested multipart/alternative, then an attachment",
            message: mixed(&["Content-Type: multipart/alternative; boundary=\"YY\"\r\n\r\n--YY\r\nContent-Type: text/plain\r\n\r\nhi\r\n--YY\r\nContent-Type: text/html\r\n\r\n<p>hi</p>\r\n--YY--\r\n", "Content-Type: application/pdf; name=\"a.pdf\"\r\nContent-Transfer-Encoding: base64\r\n\r\nJVBERi0xLjQgc2Nhbg==\r\n"], true),
            expected: vec![("a.pdf", "application/pdf", pdf.clone())],
        },
        Case {
            label: "attachment not base64: quoted-printable and 8bit",
            message: mixed(&["Content-Type: text/plain; name=\"q.txt\"\r\nContent-Transfer-Encoding: quoted-printable\r\n\r\nline =EC=8A=A4 one=\r\n joined\r\nsecond\r\n", "Content-Type: application/octet-stream; name=\"raw.bin\"\r\nContent-Transfer-Encoding: 8bit\r\n\r\nraw\r\nbytes\r\n"], true),
            expected: vec![("q.txt", "text/plain", "line 스 one joined\r\nsecond".as_bytes().to_vec()), ("raw.bin", "application/octet-stream", b"raw\r\nbytes".to_vec())],
        },
        Case {
            label: "missing closing boundary: the last part runs to the end",
            message: mixed(&["Content-Type: application/pdf; name=\"open.pdf\"\r\nContent-Transfer-Encoding: base64\r\n\r\nJVBERi0xLjQgc2Nhbg==\r\n"], false),
            expected: vec![("open.pdf", "application/pdf", pdf.clone())],
        },
        Case {
            // Found by the mime_split fuzz target: the cut of the part after an empty body
            // started 2 bytes inside the previous part's cut (its blank line), so the
            // skeleton came out shorter than planned.
            label: "an empty body and a header that runs into the next delimiter",
            message: mixed(&["Content-Type: application/pdf; name=\"empty.pdf\"\r\n\r\n", "Content-Type: application/pdf; name=\"cut.pdf\"\r\n", "Content-Type: application/pdf; name=\"a.pdf\"\r\nContent-Transfer-Encoding: base64\r\n\r\nJVBERi0xLjQgc2Nhbg==\r\n"], true),
            expected: vec![("empty.pdf", "application/pdf", Vec::new()), ("cut.pdf", "application/pdf", Vec::new()), ("a.pdf", "application/pdf", pdf.clone())],
        },
        Case {
            label: "bare LF line endings",
            message: b"To: kim@example.com\nContent-Type: multipart/mixed; boundary=XX\n\n--XX\nContent-Type: text/plain\n\nbody\n--XX\nContent-Type: application/pdf; name=lf.pdf\nContent-Transfer-Encoding: base64\n\nJVBERi0x\nLjQgc2Nhbg==\n--XX--\n".to_vec(),
            expected: vec![("lf.pdf", "application/pdf", pdf.clone())],
        },
        Case {
            label: "a 1 MB header line the splitter does not need",
            message: {
                let mut m = format!("X-Junk: {}\r\n", "j".repeat(1024 * 1024)).into_bytes();
                m.extend(mixed(&["Content-Type: application/pdf; name=\"a.pdf\"\r\nContent-Transfer-Encoding: base64\r\n\r\nJVBERi0xLjQgc2Nhbg==\r\n"], true));
                m
            },
            expected: vec![("a.pdf", "application/pdf", pdf.clone())],
        },
        Case {
            label: "the message itself is the scan (no multipart)",
            message: b"To: kim@example.com\r\nSubject: s\r\nContent-Type: application/pdf; name=\"only.pdf\"\r\nContent-Transfer-Encoding: base64\r\n\r\nJVBERi0xLjQgc2Nhbg==\r\n".to_vec(),
            expected: vec![("only.pdf", "application/pdf", pdf.clone())],
        },
    ]
}

#[test]
fn names_types_and_bytes_of_every_attachment() {
    for case in cases() {
        let structure = split(&case.message).unwrap_or_else(|e| panic!("{}: {e}", case.label));
        let atts = structure.attachments();
        let got: Vec<(String, String, Vec<u8>)> = atts
            .iter()
            .map(|a| {
                (
                    a.name.clone(),
                    a.content_type.clone(),
                    decoded(&case.message, &structure, a.part),
                )
            })
            .collect();
        let want: Vec<(String, String, Vec<u8>)> = case
            .expected
            .iter()
            .map(|(n, t, b)| (n.to_string(), t.to_string(), b.clone()))
            .collect();
        assert_eq!(got, want, "{}", case.label);
        for a in &atts {
            assert_eq!(
                a.size,
                decoded(&case.message, &structure, a.part).len() as u64,
                "{}: size",
                case.label
            );
        }
    }
}

#[test]
fn python_reads_the_same_names_and_bytes() {
    for case in cases() {
        let structure = split(&case.message).expect("split");
        let mut ours: Vec<(String, u64, String)> = structure
            .attachments()
            .iter()
            .map(|a| {
                let mut bytes = decoded(&case.message, &structure, a.part);
                if a.encoding != TransferEncoding::Base64 {
                    // Python hands out non-base64 bodies with `\n` line breaks.
                    bytes = String::from_utf8_lossy(&bytes)
                        .replace("\r\n", "\n")
                        .into_bytes();
                }
                (a.name.clone(), bytes.len() as u64, sha256(&bytes))
            })
            .collect();
        let mut python: Vec<(String, u64, String)> = python_attachments(&case.message)
            .into_iter()
            .map(|s| (s.name, s.size, s.sha256))
            .collect();
        ours.sort();
        python.sort();
        // Where Python's reading is not the standard one, compare only what it gets right:
        // make_header puts a space between an encoded-word and the text glued to it
        // ("스캔 .pdf"), so only the bytes are compared there.
        if case.label.starts_with("RFC 2047, a character split") {
            let bytes = |v: &[(String, u64, String)]| {
                v.iter().map(|x| (x.1, x.2.clone())).collect::<Vec<_>>()
            };
            assert_eq!(bytes(&ours), bytes(&python), "{}", case.label);
            continue;
        }
        assert_eq!(ours, python, "{}", case.label);
    }
}

#[test]
fn skeletons_are_messages_python_can_read() {
    for case in cases() {
        let structure = split(&case.message).expect("split");
        // A budget of 0 forces every attachment out: the smallest skeleton.
        let err = plan(&structure, 0).expect_err("nothing fits in 0 bytes");
        let SplitError::SkeletonTooLarge { skeleton, .. } = err else {
            panic!("{err:?}")
        };
        let plan = plan(&structure, skeleton).expect("the smallest skeleton fits its own size");
        assert_eq!(plan.extracted.len(), case.expected.len(), "{}", case.label);
        let mut builder = SkeletonBuilder::new(&plan);
        for (i, piece) in case.message.chunks(3).enumerate() {
            builder.feed((i * 3) as u64, piece);
        }
        let out = builder.finish();
        assert_eq!(out.len() as u64, plan.skeleton_len, "{}", case.label);
        assert!(
            python_attachments(&out).is_empty(),
            "{}: attachments left in {}",
            case.label,
            String::from_utf8_lossy(&out)
        );
        let again = split(&out).expect("the skeleton splits");
        assert!(again.attachments().is_empty(), "{}", case.label);
        assert_eq!(again.to, structure.to, "{}: headers kept", case.label);
    }
}

#[test]
fn limits_give_clear_errors() {
    let long_type = format!(
        "Content-Type: multipart/mixed; boundary=XX; x=\"{}\"\r\n\r\n",
        "a".repeat(FIELD_CAP + 10)
    );
    let deep = {
        let mut m = String::new();
        for i in 0..40 {
            m.push_str(&format!(
                "Content-Type: multipart/mixed; boundary=b{i}\r\n\r\n--b{i}\r\n"
            ));
        }
        m
    };
    let cases: &[(&str, Vec<u8>, SplitError)] = &[
        (
            "a 1 MB Content-Type",
            long_type.into_bytes(),
            SplitError::HeaderTooLong {
                name: "content-type".into(),
                limit: FIELD_CAP,
            },
        ),
        (
            "40 nested multiparts",
            deep.into_bytes(),
            SplitError::TooDeep { limit: 32 },
        ),
    ];
    for (label, message, want) in cases {
        assert_eq!(
            split_in_chunks(message, 4096).expect_err(label),
            *want,
            "{label}"
        );
    }
}
