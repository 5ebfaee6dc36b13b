//! Multi-line bodies: unstuffing and the terminator (client), stuffing and TOP (server).

use scanrelay_pop3::body::{decode_all, encode_all};
use scanrelay_pop3::{BodyDecoder, BodyEncoder};

#[test]
fn decoder_table() {
    // (wire, content, bytes used)
    let table: Vec<(&[u8], &[u8], usize)> = vec![
        (b".\r\n", b"", 3),
        (b"a\r\n.\r\n", b"a\r\n", 6),
        (b"..\r\n.\r\n", b".\r\n", 7),
        (b"..x\r\n.\r\n", b".x\r\n", 8),
        // A stray dot that was not stuffed is still stripped (RFC 1939 §3).
        (b".x\r\n.\r\n", b"x\r\n", 7),
        // `CRLF.CRLF` inside a line is content; only a `.` line ends the body.
        (b"a.\r\nb\r\n.\r\n", b"a.\r\nb\r\n", 10),
        // Bare-LF servers.
        (b"a\n.\n", b"a\n", 4),
        (b"a\n..b\n.\n", b"a\n.b\n", 8),
        (b"a\r\n.\n", b"a\r\n", 5),
        // `.` CR then something else: the dot was stuffing, the CR is content.
        (b".\rx\r\n.\r\n", b"\rx\r\n", 8),
        (b".\r\r\n.\r\n", b"\r\r\n", 7),
        // A bare CR does not start a line.
        (b"a\r.\r\n.\r\n", b"a\r.\r\n", 8),
        // The next response is not consumed.
        (b"a\r\n.\r\n+OK\r\n", b"a\r\n", 6),
    ];
    for (wire, content, used) in table {
        assert_eq!(
            decode_all(wire),
            Some((content.to_vec(), used)),
            "{:?}",
            String::from_utf8_lossy(wire)
        );
    }
    for unfinished in [
        &b""[..],
        b"a\r\n",
        b"a\r\n.",
        b"a\r\n.\r",
        b".x",
        b"a\r.\r\n",
    ] {
        assert_eq!(decode_all(unfinished), None, "{unfinished:?}");
    }
}

/// Feeds `wire` split at every pair of positions and checks the result is the same.
#[test]
fn the_final_dot_split_across_reads_and_every_other_split() {
    let wire: &[u8] = b"From: a\r\n\r\n..stuffed\r\n.x\n\r\n.\r\nNEXT";
    let (content, used) = decode_all(wire).unwrap();
    for i in 0..=wire.len() {
        for j in i..=wire.len() {
            let mut decoder = BodyDecoder::new();
            let mut out = Vec::new();
            let mut pos = 0;
            let mut ended = false;
            for piece in [&wire[..i], &wire[i..j], &wire[j..]] {
                if ended {
                    break;
                }
                let progress = decoder.feed(piece, &mut out);
                pos += progress.consumed;
                ended = progress.ended;
            }
            assert!(ended, "split {i}/{j}");
            assert_eq!(
                (out.as_slice(), pos),
                (content.as_slice(), used),
                "split {i}/{j}"
            );
        }
    }
}

#[test]
fn encoder_table() {
    let table: Vec<(&[u8], &[u8])> = vec![
        (b"", b".\r\n"),
        (b"a", b"a\r\n.\r\n"),
        (b"a\r\n", b"a\r\n.\r\n"),
        (b".", b"..\r\n.\r\n"),
        (b".\r\n", b"..\r\n.\r\n"),
        (b"a\n.\nb", b"a\r\n..\r\nb\r\n.\r\n"),
        (b"a\r.\r", b"a\r\n..\r\n.\r\n"),
        (b"\r\n\r\n", b"\r\n\r\n.\r\n"),
        (b"x.y\r\n..z", b"x.y\r\n...z\r\n.\r\n"),
    ];
    for (message, wire) in table {
        assert_eq!(
            encode_all(message),
            wire,
            "{:?}",
            String::from_utf8_lossy(message)
        );
    }
}

fn top(message: &[u8], lines: u32) -> Vec<u8> {
    let mut encoder = BodyEncoder::top(lines);
    let mut out = Vec::new();
    // One byte at a time: TOP must count lines across chunk boundaries.
    for byte in message {
        encoder.encode(std::slice::from_ref(byte), &mut out);
    }
    encoder.finish(&mut out);
    out
}

#[test]
fn top_sends_the_header_and_n_body_lines() {
    let message = b"Subject: s\r\nFrom: a\r\n\r\nline 1\r\n.line 2\r\nline 3\r\n";
    let table: Vec<(u32, &[u8])> = vec![
        (0, b"Subject: s\r\nFrom: a\r\n\r\n.\r\n"),
        (1, b"Subject: s\r\nFrom: a\r\n\r\nline 1\r\n.\r\n"),
        (
            2,
            b"Subject: s\r\nFrom: a\r\n\r\nline 1\r\n..line 2\r\n.\r\n",
        ),
        (
            3,
            b"Subject: s\r\nFrom: a\r\n\r\nline 1\r\n..line 2\r\nline 3\r\n.\r\n",
        ),
        (
            99,
            b"Subject: s\r\nFrom: a\r\n\r\nline 1\r\n..line 2\r\nline 3\r\n.\r\n",
        ),
    ];
    for (lines, wire) in table {
        assert_eq!(top(message, lines), wire, "TOP {lines}");
    }
    // Bare LF and a body-less message.
    assert_eq!(top(b"A: b\n\nx\ny\n", 1), b"A: b\r\n\r\nx\r\n.\r\n");
    assert_eq!(top(b"A: b\r\nC: d", 0), b"A: b\r\nC: d\r\n.\r\n");
    let mut done = BodyEncoder::top(0);
    done.encode(b"A: b\r\n\r\nrest", &mut Vec::new());
    assert!(
        done.is_done(),
        "the driver may stop reading once TOP has what it needs"
    );
    assert!(!BodyEncoder::new().is_done());
}

#[test]
fn a_large_body_streams_in_bounded_pieces() {
    // 8 MiB in 64 KiB reads: every piece of output is about the size of its input.
    let line = [b'.'; 1000];
    let mut encoder = BodyEncoder::new();
    let mut decoder = BodyDecoder::new();
    let (mut total, mut biggest) = (0usize, 0usize);
    for _ in 0..128 {
        let mut chunk = Vec::new();
        for _ in 0..64 {
            chunk.extend_from_slice(&line);
            chunk.extend_from_slice(b"\r\n");
        }
        let mut wire = Vec::new();
        encoder.encode(&chunk, &mut wire);
        let mut out = Vec::new();
        let progress = decoder.feed(&wire, &mut out);
        assert!(!progress.ended);
        assert_eq!(out, chunk);
        total += out.len();
        biggest = biggest.max(wire.len());
    }
    let mut end = Vec::new();
    encoder.finish(&mut end);
    let mut out = Vec::new();
    assert!(decoder.feed(&end, &mut out).ended);
    assert!(out.is_empty());
    assert_eq!(total, 128 * 64 * 1002);
    assert!(biggest <= 64 * 1003);
}
