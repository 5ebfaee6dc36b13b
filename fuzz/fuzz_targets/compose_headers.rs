//! Fuzzes the headers `scanrelay send` writes: any file name, subject, body and sender text
//! must give a message whose every line ends in CRLF and is at most 998 bytes (RFC 5322), with
//! the exact size the builder promised; an address the parser takes has no line break.
#![no_main]

use std::sync::OnceLock;

use libfuzzer_sys::fuzz_target;
use scanrelay_compose::{Attachment, Draft, Limit, Stamp, compose, envelope_address};
use tokio::io::AsyncReadExt;

/// An empty file the attachments point at (the fuzzer varies names, not contents).
fn empty_file() -> &'static std::path::Path {
    static PATH: OnceLock<std::path::PathBuf> = OnceLock::new();
    PATH.get_or_init(|| {
        let path = std::env::temp_dir().join(format!("compose-fuzz-{}", std::process::id()));
        std::fs::write(&path, b"").expect("write the empty file");
        path
    })
}

fuzz_target!(|input: &[u8]| {
    let text = String::from_utf8_lossy(input);
    let mut fields = text.split('\u{1}');
    let name = fields.next().unwrap_or_default().to_string();
    let subject = fields.next().unwrap_or_default().to_string();
    let from = fields.next().unwrap_or("a@example.test").to_string();
    let body = fields.next().unwrap_or_default().to_string();
    if let Ok(address) = envelope_address(&from) {
        assert!(!address.contains(['\r', '\n', '<', '>']), "{address:?}");
    }
    let attachment = Attachment {
        path: empty_file().to_path_buf(),
        file_name: name,
        content_type: "application/pdf".into(),
        size: 0,
    };
    let draft = Draft {
        from,
        to: vec!["user@example.test".into()],
        cc: vec![],
        subject,
        body,
        attachments: vec![attachment],
    };
    let stamp = || Stamp {
        date: 0,
        message_id: "fuzz@example.test".into(),
        boundary: "=_scanrelay_fuzz".into(),
    };
    let Ok(messages) = compose(&draft, Limit::default(), &mut { stamp }) else {
        return;
    };
    let rt = tokio::runtime::Builder::new_current_thread().build().expect("runtime");
    let mut bytes = Vec::new();
    rt.block_on(messages[0].reader().read_to_end(&mut bytes)).expect("read the message");
    assert_eq!(bytes.len() as u64, messages[0].size(), "size promised");
    assert!(bytes.ends_with(b"\r\n"));
    for line in bytes[..bytes.len() - 1].split(|&b| b == b'\n') {
        assert!(line.ends_with(b"\r"), "a line without CRLF: {:?}", String::from_utf8_lossy(line));
        assert!(line.len() <= 999, "a line of {} bytes", line.len());
        assert!(!line[..line.len() - 1].contains(&b'\r'), "a bare CR");
    }
});
