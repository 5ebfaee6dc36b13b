//! Device mailboxes (`[[device]] mailbox_address`): mail for a device's own address is kept
//! here, not relayed, and served to that device over POP3.
//!
//! The store is a second spool (the `scanrelay-spool` crate, its durability protocol
//! unchanged: the listener answers `250` only after the commit's fsyncs) in the directory
//! `mailbox/` inside the spool directory. A second spool rather than a state inside the
//! delivery queue, because then the scheduler never sees mailbox mail (it cannot be relayed,
//! retried, expired or bounced by mistake), and `queue list` and the console's queue show
//! exactly the mail that waits to go upstream. Each stored message has exactly one recipient,
//! the mailbox address (the listener keeps mailbox mail in a transaction of its own), so a
//! POP3 `DELE` removes it for good. A message leaves the store only through
//! [`Mailboxes::remove`], which the POP3 driver calls in the UPDATE state after `QUIT`.

use std::collections::HashSet;
use std::path::Path;
use std::sync::{Arc, Mutex};

use scanrelay_pop3::listing::Uid;
use scanrelay_pop3::server::{Maildrop, MaildropMessage};
use scanrelay_spool::{Incoming, MessageId, Spool, SpoolError};

/// The name of the mailbox spool inside the spool directory.
pub(crate) const MAILBOX_DIR: &str = "mailbox";

/// The mailbox store and which mailboxes a POP3 session holds.
#[derive(Debug)]
pub(crate) struct Mailboxes {
    spool: Spool,
    locked: Mutex<HashSet<String>>,
}

/// A mailbox held by one POP3 session (RFC 1939: an exclusive lock on the maildrop); released
/// when dropped.
#[derive(Debug)]
pub(crate) struct MailboxLock {
    store: Arc<Mailboxes>,
    key: String,
}

impl Drop for MailboxLock {
    fn drop(&mut self) {
        self.store.locks().remove(&self.key);
    }
}

/// One mailbox's messages as a POP3 session sees them: message `n` is `ids[n - 1]`.
pub(crate) struct Listing {
    pub maildrop: Maildrop,
    pub ids: Vec<MessageId>,
}

impl Mailboxes {
    /// Opens (and recovers) the store under `spool_dir`.
    pub async fn open(spool_dir: &Path) -> Result<Mailboxes, SpoolError> {
        let spool = Spool::open(spool_dir.join(MAILBOX_DIR)).await?;
        Ok(Mailboxes {
            spool,
            locked: Mutex::default(),
        })
    }

    fn locks(&self) -> std::sync::MutexGuard<'_, HashSet<String>> {
        self.locked.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Starts storing a message for a mailbox (commit it with the mailbox address as the one
    /// recipient).
    pub async fn begin(&self) -> Result<Incoming, SpoolError> {
        self.spool.begin().await
    }

    /// Holds the mailbox of `address` for one session; `None` while another session holds it.
    pub fn lock(self: &Arc<Self>, address: &str) -> Option<MailboxLock> {
        let key = address.to_ascii_lowercase();
        if !self.locks().insert(key.clone()) {
            return None;
        }
        Some(MailboxLock {
            store: self.clone(),
            key,
        })
    }

    /// The messages for `address`, oldest first, with the spool id as the unique id and the
    /// stored size (the bytes as received, CRLF line ends) as the size.
    pub async fn listing(&self, address: &str) -> Result<Listing, SpoolError> {
        let entries = self.spool.list().await?;
        let mut messages = Vec::new();
        let mut ids = Vec::new();
        for entry in entries {
            let mine = entry
                .envelope
                .rcpt_to
                .iter()
                .any(|r| r.eq_ignore_ascii_case(address));
            let Some(uid) = Uid::new(entry.id.as_str()).filter(|_| mine) else {
                continue;
            };
            messages.push(MaildropMessage {
                size: entry.body_len,
                uid,
            });
            ids.push(entry.id);
        }
        let maildrop = Maildrop::new(messages).expect("spool ids are unique and few");
        Ok(Listing { maildrop, ids })
    }

    /// Opens a stored message's bytes.
    pub async fn open_body(&self, id: &MessageId) -> Result<tokio::fs::File, SpoolError> {
        self.spool.open_body(id).await
    }

    /// Removes a message for good (POP3 UPDATE after `DELE` and `QUIT`).
    pub async fn remove(&self, id: &MessageId) -> Result<(), SpoolError> {
        self.spool.remove(id).await
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use scanrelay_spool::Envelope;

    async fn store(m: &Mailboxes, rcpt: &str, body: &[u8]) -> MessageId {
        let mut incoming = m.begin().await.unwrap();
        incoming.write(body).await.unwrap();
        let envelope = Envelope {
            mail_from: "fax@example.test".into(),
            rcpt_to: vec![rcpt.into()],
            received_at: 1,
            client_addr: "127.0.0.1:1".into(),
            helo: "h".into(),
            auth_user: None,
            size: body.len() as u64,
            route: None,
            tls: None,
        };
        incoming.commit(envelope).await.unwrap()
    }

    #[tokio::test]
    async fn each_mailbox_lists_its_own_mail_and_one_session_holds_it() {
        let dir = tempfile::tempdir().unwrap();
        let m = Arc::new(Mailboxes::open(dir.path()).await.unwrap());
        let a1 = store(&m, "scan-3f@office.test", b"one\r\n").await;
        store(&m, "scan-5f@office.test", b"other\r\n").await;
        let a2 = store(&m, "Scan-3F@Office.test", b"two two\r\n").await;
        let listing = m.listing("SCAN-3F@office.test").await.unwrap();
        assert_eq!(listing.ids, vec![a1.clone(), a2]);
        let sizes: Vec<u64> = listing.maildrop.messages().iter().map(|m| m.size).collect();
        assert_eq!(sizes, vec![5, 9]);
        assert_eq!(listing.maildrop.messages()[0].uid.as_str(), a1.as_str());
        let held = m.lock("scan-3f@office.test").unwrap();
        assert!(m.lock("SCAN-3F@office.test").is_none());
        assert!(m.lock("scan-5f@office.test").is_some());
        drop(held);
        assert!(m.lock("scan-3f@office.test").is_some());
        m.remove(&a1).await.unwrap();
        assert_eq!(m.listing("scan-3f@office.test").await.unwrap().ids.len(), 1);
    }
}
