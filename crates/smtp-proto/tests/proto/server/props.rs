//! Property tests of the DATA receiver and the whole session, and the fuzz entry point.

use super::*;

/// What the DATA receiver must produce for a message that `stuff_all` sent: every bare CR and
/// bare LF becomes CRLF (as `DotStuffer` sends them, and as the receiver normalises them when a
/// client sends them raw), and a final CRLF is added to a non-empty unterminated message. That
/// is exactly the dot-stuffer tests' line-ending oracle.
fn expected_content(message: &[u8]) -> Vec<u8> {
    crate::dot::normalise(message)
}

/// Whether every CR in `bytes` starts a CRLF and every LF ends one.
fn only_crlf(bytes: &[u8]) -> bool {
    bytes.iter().enumerate().all(|(i, &b)| match b {
        b'\r' => bytes.get(i + 1) == Some(&b'\n'),
        b'\n' => i > 0 && bytes[i - 1] == b'\r',
        _ => true,
    })
}

fn tricky_bytes(max: usize) -> impl Strategy<Value = Vec<u8>> {
    let byte = prop_oneof![3 => Just(b'\r'), 3 => Just(b'\n'), 3 => Just(b'.'), 4 => any::<u8>()];
    prop::collection::vec(byte, 0..max)
}

fn smtp_noise() -> impl Strategy<Value = Vec<u8>> {
    let token = prop_oneof![
        prop::sample::select(vec![
            "EHLO x\r\n", "HELO\n", "MAIL FROM:<a@b>\r\n", "RCPT TO:<c@d>\r\n", "RCPT TO:<deny@d>\r\n",
            "DATA\r\n", "DATA\n", ".\r\n", "\n.\n", "..x\r\n", "AUTH PLAIN\r\n", "AUTH LOGIN\r\n",
            "AUTH CRAM-MD5\r\n", "AHVzZXIAc2VjcmV0\r\n", "*\r\n", "STARTTLS\r\n", "RSET\r\n", "QUIT\r\n",
            "\r", "\n", "xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx",
        ]).prop_map(|t| t.as_bytes().to_vec()),
        tricky_bytes(20),
    ];
    prop::collection::vec(token, 0..40).prop_map(|t| t.concat())
}

proptest! {
    #[test]
    fn data_receiver_undoes_dot_stuffer(
        message in tricky_bytes(400),
        trailer in tricky_bytes(20),
        sizes in prop::collection::vec(1usize..40, 1..10),
        bare_lf in any::<bool>(),
    ) {
        let mut wire = stuff_all(&message);
        let end = wire.len();
        wire.extend_from_slice(&trailer);
        let mut rx = DataReceiver::new(bare_lf);
        let (mut out, mut pos, mut ended_at) = (Vec::new(), 0, None);
        for n in sizes.iter().cycle() {
            let n = (*n).min(wire.len() - pos);
            let progress = rx.feed(&wire[pos..pos + n], &mut out);
            pos += progress.consumed;
            if progress.ended {
                ended_at = Some(pos);
                break;
            }
        }
        prop_assert_eq!(ended_at, Some(end));
        prop_assert_eq!(out, expected_content(&message));
    }

    /// Raw client bytes (not dot-stuffed, any mix of CR, LF and dots) come out with CRLF line
    /// endings only, so the spool, the header fix-up and the rewrite all split the same lines.
    #[test]
    fn data_receiver_leaves_no_bare_cr_or_lf(
        content in tricky_bytes(400),
        sizes in prop::collection::vec(1usize..40, 1..10),
        bare_lf in any::<bool>(),
    ) {
        let wire = [content.as_slice(), b"\r\n.\r\n"].concat();
        let mut rx = DataReceiver::new(bare_lf);
        let (mut out, mut pos) = (Vec::new(), 0);
        for n in sizes.iter().cycle() {
            let n = (*n).min(wire.len() - pos);
            let progress = rx.feed(&wire[pos..pos + n], &mut out);
            pos += progress.consumed;
            if progress.ended {
                break;
            }
        }
        prop_assert!(rx.is_done(), "the final CRLF.CRLF always ends the data");
        prop_assert!(only_crlf(&out), "bare CR or LF in {:?}", escape(&out));
    }

    #[test]
    fn session_streams_a_message_over_random_reads(
        message in tricky_bytes(1200),
        sizes in prop::collection::vec(1usize..300, 1..10),
    ) {
        let mut wire = b"EHLO x\r\nMAIL FROM:<a@b>\r\nRCPT TO:<c@d>\r\nDATA\r\n".to_vec();
        wire.extend(stuff_all(&message));
        wire.extend_from_slice(b"QUIT\r\n");
        let mut h = Harness::new(|_| {}, false, true);
        let mut pos = 0;
        for n in sizes.iter().cycle() {
            let n = (*n).min(wire.len() - pos);
            h.read(&wire[pos..pos + n]);
            pos += n;
            if pos == wire.len() {
                break;
            }
        }
        let expected = expected_content(&message);
        let mut tail: Vec<String> = match (expected.is_empty(), expected.len() > 1000) {
            (true, _) => vec![],
            (false, false) => vec![format!("CONTENT {}", escape(&expected))],
            (false, true) => vec!["TOOLARGE".into()],
        };
        if expected.len() > 1000 {
            tail.push(replies::message_too_large().wire_lines().join("\n"));
        } else {
            tail.extend(["END".to_string(), "250 2.0.0 OK: queued as Q1".to_string()]);
        }
        tail.extend(["221 2.0.0 mx.test closing connection".to_string(), "QUIT".to_string()]);
        prop_assert_eq!(&h.transcript[7..], &tail[..]);
    }

    #[test]
    fn fuzz_entry_survives_smtp_like_noise(input in smtp_noise()) {
        fuzz_session(&input);
    }
}

/// Every table session through the fuzz driver (its own config, all eight flag combinations),
/// which also checks that reads cut into small pieces do not change the session.
#[test]
fn fuzz_entry_survives_every_table_session() {
    for spec in [DIALECTS, AUTH, SEQUENCE, STARTTLS, DATA] {
        for case in cases(spec) {
            let session = case.reads.concat();
            for flags in 0u8..8 {
                fuzz_session(&[&[flags][..], &session].concat());
            }
        }
    }
}
