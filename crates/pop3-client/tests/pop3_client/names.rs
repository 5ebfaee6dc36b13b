//! Safe file names: table tests and properties (never a path, never a control character).

use proptest::prelude::*;
use scanrelay_pop3_client::mime::names::{numbered, safe_file_name, uid_file_stem};

#[test]
fn unsafe_names_become_safe() {
    let cases = [
        ("../../etc/passwd", "passwd"),
        ("/tmp/evil.sh", "evil.sh"),
        ("C:\\Users\\x\\scan.pdf", "scan.pdf"),
        ("..", "fallback.bin"),
        ("", "fallback.bin"),
        (".bashrc", "bashrc"),
        ("scan\u{0}\u{7}.pdf", "scan__.pdf"),
        ("gpj\u{202e}.exe", "gpj.exe"),
        ("a<b>c:d\"e|f?g*h.pdf", "a_b_c_d_e_f_g_h.pdf"),
        ("CON.txt", "_CON.txt"),
        ("스캔 문서.pdf", "스캔 문서.pdf"),
        ("  name.pdf.  ", "name.pdf"),
    ];
    for (raw, want) in cases {
        assert_eq!(safe_file_name(raw, "fallback.bin"), want, "{raw:?}");
    }
}

#[test]
fn long_names_are_cut_at_a_character_boundary_keeping_the_extension() {
    let long = format!("{}.pdf", "가".repeat(100));
    let name = safe_file_name(&long, "x");
    assert!(name.len() <= 200, "{}", name.len());
    assert!(name.ends_with("가.pdf"), "{name}");
}

#[test]
fn numbering_and_uid_stems() {
    assert_eq!(numbered("scan.pdf", 2), "scan (2).pdf");
    assert_eq!(numbered("scan", 3), "scan (3)");
    assert_eq!(numbered(".pdf", 2), ".pdf (2)");
    assert_eq!(uid_file_stem("000001506b13a2cb"), "000001506b13a2cb");
    assert_eq!(uid_file_stem("../a_b"), "_2E_2E_2Fa_5Fb");
}

proptest! {
    #[test]
    fn a_safe_name_is_one_harmless_component(raw in "\\PC{0,300}") {
        let name = safe_file_name(&raw, "attachment");
        prop_assert!(!name.is_empty());
        prop_assert!(!name.contains('/') && !name.contains('\\'));
        prop_assert!(!name.starts_with('.'));
        prop_assert!(!name.chars().any(char::is_control));
        prop_assert!(name.len() <= 200);
    }

    #[test]
    fn uid_stems_are_one_to_one_and_plain(a in "[!-~]{1,70}", b in "[!-~]{1,70}") {
        let (sa, sb) = (uid_file_stem(&a), uid_file_stem(&b));
        prop_assert_eq!(a == b, sa == sb);
        prop_assert!(sa.bytes().all(|c| c.is_ascii_alphanumeric() || c == b'-' || c == b'_'));
    }
}
