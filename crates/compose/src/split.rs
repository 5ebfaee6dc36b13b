//! Spreading the files of a draft over messages under a size limit.

use crate::attachment::Attachment;
use crate::error::ComposeError;
use crate::message::{Addresses, Draft, Message, Stamp};

/// The size limit and whether files may be spread over several messages.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Limit {
    /// The largest message in bytes (`None`: no limit).
    pub max_size: Option<u64>,
    /// Spread the files over several messages, each under `max_size`.
    pub split: bool,
}

/// The messages that carry `draft`: one, or with `limit.split` as many as needed, each under
/// the limit, in file order, subjects numbered "(1/3)". `stamp` gives each message its Date,
/// Message-ID and boundary (generated boundaries must all have one length, as
/// [`Stamp::fresh`]'s do, for the planned sizes to be exact).
pub fn compose(
    draft: &Draft,
    limit: Limit,
    stamp: &mut dyn FnMut() -> Stamp,
) -> Result<Vec<Message>, ComposeError> {
    let addresses = Addresses::of(draft)?;
    let Some(max) = limit.max_size else {
        let whole = Message::render(
            draft,
            &addresses,
            &draft.attachments,
            &draft.subject,
            &stamp(),
        );
        return Ok(vec![whole]);
    };
    if !limit.split {
        let whole = Message::render(
            draft,
            &addresses,
            &draft.attachments,
            &draft.subject,
            &stamp(),
        );
        if whole.size() <= max {
            return Ok(vec![whole]);
        }
        let probe = stamp();
        refuse_lone_files(draft, &addresses, &draft.subject, &probe, max)?;
        return Err(ComposeError::MessageTooLarge {
            message_size: whole.size(),
            limit: max,
        });
    }
    let groups = plan_groups(draft, &addresses, max, &stamp())?;
    let count = groups.len();
    let mut messages = Vec::with_capacity(count);
    for (i, files) in groups.into_iter().enumerate() {
        let subject = numbered(&draft.subject, i + 1, count);
        let message = Message::render(draft, &addresses, &files, &subject, &stamp());
        if message.size() > max {
            // Only a subject whose encoding grew with fewer digits could get here.
            return Err(ComposeError::MessageTooLarge {
                message_size: message.size(),
                limit: max,
            });
        }
        messages.push(message);
    }
    Ok(messages)
}

/// `subject (i/n)`, or the subject alone when there is one message.
fn numbered(subject: &str, i: usize, n: usize) -> String {
    match (n, subject.is_empty()) {
        (1, _) => subject.to_string(),
        (_, true) => format!("({i}/{n})"),
        (_, false) => format!("{subject} ({i}/{n})"),
    }
}

/// Groups the files in order, each group's message under `max`. Sizes are measured with the
/// widest numbering the split could need, so the numbered messages are no larger.
fn plan_groups(
    draft: &Draft,
    addresses: &Addresses,
    max: u64,
    probe: &Stamp,
) -> Result<Vec<Vec<Attachment>>, ComposeError> {
    let widest = draft.attachments.len().max(1);
    let subject = numbered(&draft.subject, widest, widest.max(2));
    let overhead = Message::render(draft, addresses, &[], &subject, probe).size();
    refuse_lone_files(draft, addresses, &subject, probe, max)?;
    let mut groups: Vec<Vec<Attachment>> = Vec::new();
    let mut current: Vec<Attachment> = Vec::new();
    let mut size = overhead;
    for att in &draft.attachments {
        let alone = Message::render(draft, addresses, std::slice::from_ref(att), &subject, probe);
        let cost = alone.size() - overhead;
        if !current.is_empty() && size + cost > max {
            groups.push(std::mem::take(&mut current));
            size = overhead;
        }
        size += cost;
        current.push(att.clone());
    }
    if !current.is_empty() || groups.is_empty() {
        groups.push(current);
    }
    Ok(groups)
}

/// [`ComposeError::FileTooLarge`] for the first file that does not fit under `max` alone.
fn refuse_lone_files(
    draft: &Draft,
    addresses: &Addresses,
    subject: &str,
    probe: &Stamp,
    max: u64,
) -> Result<(), ComposeError> {
    for att in &draft.attachments {
        let alone = Message::render(draft, addresses, std::slice::from_ref(att), subject, probe);
        if alone.size() > max {
            return Err(ComposeError::FileTooLarge {
                file: att.path.display().to_string(),
                size: att.size,
                message_size: alone.size(),
                limit: max,
            });
        }
    }
    Ok(())
}
