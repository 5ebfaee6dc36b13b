//! Splitting under a size limit: every message under it, files in order and whole, subjects
//! numbered; the errors name the limit and the sizes.

use scanrelay_compose::{ComposeError, Limit, compose};
use tokio::io::AsyncReadExt;

use crate::{attach, bytes_of, draft, stamp};

fn seeded(len: usize, seed: u8) -> Vec<u8> {
    (0..len)
        .map(|i| (i as u8).wrapping_mul(31).wrapping_add(seed))
        .collect()
}

#[tokio::test]
async fn files_spread_over_numbered_messages_each_under_the_limit() {
    let dir = tempfile::tempdir().unwrap();
    let atts: Vec<_> = (0..5u8)
        .map(|i| attach(dir.path(), &format!("스캔{i}.pdf"), &seeded(40_000, i)))
        .collect();
    let d = draft("스캔", "본문", atts.clone());
    let limit = Limit {
        max_size: Some(120_000),
        split: true,
    };
    let mut n = 0;
    let messages = compose(&d, limit, &mut || {
        n += 1;
        stamp(n)
    })
    .unwrap();
    // 40 000 bytes are 54 000 as base64: two fit in 120 000, not three.
    assert_eq!(messages.len(), 3);
    let subjects: Vec<&str> = messages.iter().map(|m| m.subject.as_str()).collect();
    assert_eq!(subjects, ["스캔 (1/3)", "스캔 (2/3)", "스캔 (3/3)"]);
    let order: Vec<String> = messages
        .iter()
        .flat_map(|m| m.attachments.iter().map(|a| a.file_name.clone()))
        .collect();
    let want: Vec<String> = atts.iter().map(|a| a.file_name.clone()).collect();
    assert_eq!(order, want);
    for m in &messages {
        let bytes = bytes_of(m).await;
        assert_eq!(bytes.len() as u64, m.size());
        assert!(m.size() <= 120_000, "{} over the limit", m.size());
    }
}

#[tokio::test]
async fn without_split_everything_goes_in_one_message_under_the_limit() {
    let dir = tempfile::tempdir().unwrap();
    let atts = vec![attach(dir.path(), "a.pdf", &seeded(1000, 1))];
    let d = draft("s", "", atts);
    let limit = Limit {
        max_size: Some(10_000),
        split: false,
    };
    let messages = compose(&d, limit, &mut || stamp(1)).unwrap();
    assert_eq!(messages.len(), 1);
    assert_eq!(messages[0].subject, "s");
}

#[test]
fn a_file_over_the_limit_names_the_limit_and_its_size() {
    let dir = tempfile::tempdir().unwrap();
    let atts = vec![
        attach(dir.path(), "small.pdf", &seeded(100, 1)),
        attach(dir.path(), "big.pdf", &seeded(50_000, 2)),
    ];
    let d = draft("s", "", atts);
    for split in [true, false] {
        let limit = Limit {
            max_size: Some(30_000),
            split,
        };
        match compose(&d, limit, &mut || stamp(1)) {
            Err(ComposeError::FileTooLarge {
                file,
                size,
                message_size,
                limit,
            }) => {
                assert!(file.ends_with("big.pdf"));
                assert_eq!(size, 50_000);
                assert!(message_size > 50_000 * 4 / 3);
                assert_eq!(limit, 30_000);
            }
            other => panic!("split={split}: {other:?}"),
        }
    }
}

#[test]
fn files_that_fit_only_apart_need_split() {
    let dir = tempfile::tempdir().unwrap();
    let atts = vec![
        attach(dir.path(), "a.pdf", &seeded(15_000, 1)),
        attach(dir.path(), "b.pdf", &seeded(15_000, 2)),
    ];
    let d = draft("s", "", atts);
    let limit = Limit {
        max_size: Some(25_000),
        split: false,
    };
    match compose(&d, limit, &mut || stamp(1)) {
        Err(ComposeError::MessageTooLarge {
            message_size,
            limit,
        }) => {
            assert!(message_size > 40_000);
            assert_eq!(limit, 25_000);
        }
        other => panic!("{other:?}"),
    }
}

#[tokio::test]
async fn a_file_that_changes_size_fails_the_stream() {
    let dir = tempfile::tempdir().unwrap();
    let att = attach(dir.path(), "grows.pdf", &seeded(1000, 1));
    let d = draft("s", "", vec![att.clone()]);
    let messages = compose(&d, Limit::default(), &mut || stamp(1)).unwrap();
    std::fs::write(&att.path, seeded(900, 1)).unwrap();
    let mut out = Vec::new();
    let err = messages[0]
        .reader()
        .read_to_end(&mut out)
        .await
        .unwrap_err();
    assert!(
        err.to_string().contains("changed while it was being sent"),
        "{err}"
    );
}
