//! `STAT`, `LIST` and `UIDL` answers and unique ids.

use scanrelay_pop3::listing::MAX_UID_LEN;
use scanrelay_pop3::{ListEntry, Stat, Uid, UidlEntry};

#[test]
fn stat_answers() {
    let table: Vec<(&str, Option<Stat>)> = vec![
        ("0 0", Some(Stat { count: 0, size: 0 })),
        (
            "2 320",
            Some(Stat {
                count: 2,
                size: 320,
            }),
        ),
        // RFC 1939 asks nothing about what follows the size.
        (
            "6 6261 messages",
            Some(Stat {
                count: 6,
                size: 6261,
            }),
        ),
        (
            "1 18446744073709551615",
            Some(Stat {
                count: 1,
                size: u64::MAX,
            }),
        ),
        ("1 18446744073709551616", None),
        ("4294967296 1", None),
        ("2", None),
        ("", None),
        (" 2 320", None),
        ("two 320", None),
        ("2 -1", None),
    ];
    for (text, expected) in table {
        assert_eq!(Stat::parse(text), expected, "{text:?}");
    }
}

#[test]
fn scan_listings() {
    let table: Vec<(&str, Option<ListEntry>)> = vec![
        ("1 120", Some(ListEntry { n: 1, size: 120 })),
        ("2  200", Some(ListEntry { n: 2, size: 200 })),
        ("3 200 extra", Some(ListEntry { n: 3, size: 200 })),
        ("0 120", None),
        ("1", None),
        ("1 x", None),
    ];
    for (text, expected) in table {
        assert_eq!(ListEntry::parse(text), expected, "{text:?}");
    }
}

#[test]
fn unique_id_listings_validate_the_id() {
    let longest = "x".repeat(MAX_UID_LEN);
    let too_long = "x".repeat(MAX_UID_LEN + 1);
    let table: Vec<(String, Option<(u32, &str)>)> = vec![
        // Dovecot's `%08Xu%08Xv` and Gmail-style ids.
        ("1 000000016579e5b1".into(), Some((1, "000000016579e5b1"))),
        (
            "2 QhdPYR:00WBw1Ph7x7".into(),
            Some((2, "QhdPYR:00WBw1Ph7x7")),
        ),
        (
            "3 GmailId17a2b3c4d5e6f7a8".into(),
            Some((3, "GmailId17a2b3c4d5e6f7a8")),
        ),
        (format!("4 {longest}"), Some((4, longest.as_str()))),
        (format!("5 {too_long}"), None),
        ("6 caf\u{e9}".into(), None),
        ("7 a\u{1}b".into(), None),
        ("8".into(), None),
        ("0 abc".into(), None),
    ];
    for (text, expected) in table {
        let got = UidlEntry::parse(&text).map(|e| (e.n, e.uid.as_str().to_string()));
        let expected = expected.map(|(n, uid)| (n, uid.to_string()));
        assert_eq!(got, expected, "{text:?}");
    }
    assert!(Uid::new("").is_none());
    assert!(Uid::new("!~").is_some());
}

#[test]
fn the_wire_forms() {
    assert_eq!(
        Stat {
            count: 2,
            size: 320
        }
        .to_string(),
        "2 320"
    );
    assert_eq!(ListEntry { n: 1, size: 120 }.to_string(), "1 120");
    let entry = UidlEntry {
        n: 1,
        uid: Uid::new("whqtswO00WBw418f9t5JxYwZ").unwrap(),
    };
    assert_eq!(entry.to_string(), "1 whqtswO00WBw418f9t5JxYwZ");
    assert_eq!(UidlEntry::parse(&entry.to_string()), Some(entry));
}
