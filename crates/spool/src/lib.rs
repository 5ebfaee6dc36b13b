//! The durable message spool of the scanrelay gateway.
//!
//! The SMTP listener streams a device's message into the spool and answers `250` only after
//! [`Incoming::commit`] returned: from then on the message survives `kill -9` and power loss. The
//! scheduler reads the queue ([`Spool::scan`], [`Spool::load`], [`Spool::open_body`]), delivers,
//! records what happened as life-cycle events ([`Spool::apply`], over the one state machine
//! [`Delivery::apply`]) and drops delivered messages ([`Spool::remove`]).
//! Operator commands (`scanrelay queue list/show/retry/delete`) open the same directory from
//! another process while the server runs, with [`Spool::open_existing`], which never creates a
//! spool (a mistyped directory is [`SpoolError::Missing`], not a new empty queue) and never runs
//! recovery. `queue retry` is [`Event::Retried`].
//!
//! # Layout
//!
//! Plain files, no database, under the spool directory:
//!
//! - `tmp/ID.eml`: a message being received (never acknowledged), created by the first write
//!   that reaches the disk: a message that fits the 128 KiB receive buffer appears only
//!   inside the commit;
//! - `msg/ID.eml`: the message. Since spool format 2 (issue 10) it starts with a 4 KiB header
//!   block holding the [`Envelope`] and the initial [`Delivery`] state as JSON (module
//!   `header`), followed by the bytes exactly as received (CRLF); read the body with
//!   [`Spool::open_body`]. A message is *accepted* exactly when this file exists with its
//!   header. Format-1 files (written before) hold the body only, from offset 0;
//! - `env/ID.json`: the current [`Envelope`] and [`Delivery`] state, written at the first state
//!   change (format 1: at commit; a format-1 message is accepted exactly when it exists). Only
//!   ever replaced atomically; where it exists it wins over the header;
//! - `lock`: an advisory lock file (see below);
//! - `reserve`: disk space set aside for deliveries on a full disk, when the owner asked for it
//!   with [`Spool::keep_reserve`] (the gateway does; operator commands do not).
//!
//! The subdirectories are created (or restricted to) mode 0700 and every file the spool creates
//! has mode 0600, whatever the umask: the scans are private documents, also when `[spool] dir`
//! points somewhere other local users can list.
//!
//! # Durability protocol
//!
//! Commit ([`Incoming::commit`]):
//!
//! 1. the body was streamed into `tmp/ID.eml` from offset 4096 (128 KiB buffered writes; the
//!    file is created by the first of them, or by the commit for a message that fits);
//! 2. the header block (envelope, initial state) is written at offset 0. The initial state is
//!    `queued`, or the result of an event the caller passes to [`Incoming::commit_entry`]
//!    (the gateway stores mail that has no upstream to go to as held, so nothing rewrites it);
//! 3. `sync_all` the file: envelope and body are durable with one fsync;
//! 4. rename it to `msg/ID.eml`;
//! 5. fsync `msg/`, *grouped*: concurrent commits waiting at the same time share one directory
//!    fsync (see [`Options`]); only now does `commit` return and the listener may answer `250`.
//!
//! An envelope too large for the header block (hundreds of recipients) gets a `null` header
//! and the format-1 chain after step 5: `env/.ID.*.tmp` written and `sync_all`'d, renamed to
//! `env/ID.json`, `env/` fsync'd (grouped).
//!
//! From step 4 until it returns, the commit holds the message's lock (below). If step 5 fails,
//! the message file is removed under that lock, so the scheduler, which takes the lock to mark
//! a message `Sending` before delivering it, can never deliver a message whose commit failed
//! (and which the client will therefore send again).
//!
//! State changes ([`Spool::apply`]) write `env/.ID.*.tmp` and rename it to `env/ID.json`. For a
//! format-2 message they are *not* fsync'd, unless the state before or after is `Failed` or has
//! a recipient that failed for good: losing such a change in a power cut leaves an earlier state
//! (or an unreadable `env/ID.json`, which is then ignored in favour of the committed header),
//! which only causes a retry (delivery is at-least-once), while a failure, which was or will be
//! bounced, is never lost, so it is never bounced twice (the `Failed`/bounce transition stays
//! exactly-once). Format-1 messages keep the fsync'd rewrite (file, then `env/`) for every
//! change. Removal of a format-2 message deletes the message file and fsyncs `msg/` first (so
//! it cannot come back from its header), then deletes `env/ID.json` and fsyncs `env/`; of a
//! format-1 message, the envelope first, then the body.
//!
//! Why this design (issue 10; `bench/accept`, 100 KB messages, medians of 3 runs on the
//! project's 2-core VM with one virtual ext4 disk): format 1 cost 5.5–6.0 fsyncs per accepted
//! message (body, `msg/`, envelope, `env/`, plus an fsync'd state change when the scheduler
//! marked it) and reached 0.14–0.43× a serial loop of write → fsync → rename → directory
//! fsync measured on the same file system in the same case. One file per message with one
//! fsync and a group-committed directory fsync is the least a file-per-message spool can do:
//! 1.8–2.0 fsyncs per message. That alone gave 0.63–0.69× with 32 clients: the limit was CPU
//! (2 ms per message on 2 cores shared with the load generator), and `perf` showed where it
//! went: a full rescan of the spool per accepted message (now [`Incoming::commit_entry`] hands
//! the stored entry to the scheduler), a byte-at-a-time DATA decoder, two extra hand-offs to
//! the blocking pool per message (now the file is created by the commit when the message fits
//! the buffer), and a second inode per message for the "held" rewrite, whose allocation on this
//! ext4 (no journal) walks recently deleted inodes (now the held state is part of the commit).
//! With those gone: 1.0–1.1 ms of CPU per message and 1.24–1.53× the serial limit with 32
//! clients (1.2–2.1× with 10 MB messages), 0.54–0.58× with one client, whose every message
//! waits for both fsyncs in turn. Log segments (messages appended to a shared file, one
//! `fdatasync` per batch) could go further under concurrency but need an index and compaction
//! and change every reader of the spool; they are not needed for the targets. Figures and
//! commands in bench/README.md ("Accept path").
//!
//! So after a crash at any instant: a message file in `msg/` with a header is complete and
//! durable; one without (format 1) and without an envelope was never acknowledged; anything in
//! `tmp/` or named `env/.*.tmp` is partial. [`Spool::open`] therefore deletes `tmp/*`,
//! temporary envelope files and format-1 bodies without an envelope, and reports envelope files
//! whose message file is missing (damage from outside, or a removal cut short) as
//! [`Recovery::corrupt`], keeping them with state [`State::Failed`]. A format-2 message that
//! never changed state and whose file is deleted from outside simply disappears.
//!
//! # Several processes
//!
//! Every open [`Spool`] holds a shared advisory lock (`std::fs::File::lock_shared`) on `lock`.
//! Recovery deletes files, so it runs only if `open` can take that lock exclusively, i.e. when no
//! other process has the spool open; otherwise it is skipped ([`Recovery::performed`] is false),
//! and an operator command never deletes a running server's in-progress files.
//! [`Spool::apply`] and [`Spool::remove`] hold an exclusive advisory lock on the message's body
//! file, whose inode never changes, so a read-modify-write of the state is never lost and a
//! deleted message is never resurrected by a concurrent update. A message whose body file is
//! gone has nothing to lock: [`Spool::fail_damaged`] and [`Spool::remove`] also lock the
//! envelope file, so marking it failed never writes back an envelope a removal deleted (a
//! delivery attempt racing `queue delete` did, before). Readers take no locks: the
//! scheduler re-reads state with [`Spool::load`] before each attempt and treats
//! [`SpoolError::NotFound`] as "deleted meanwhile".
//!
//! # What it must not do
//!
//! - Acknowledge (return from `commit`) before the body and the envelope are durable.
//! - Delete or rewrite an accepted message except through `update`/`remove`; recovery only
//!   deletes what was never acknowledged.
//! - Touch another process's in-progress files (recovery needs the exclusive lock).
//! - Follow a path built from unvalidated input: [`MessageId`]s are fixed-format hex.
//! - Hold a message in memory, block the async runtime on file I/O (all blocking calls run on
//!   `spawn_blocking`), or read the wall clock for state timestamps (callers pass `now`).
//! - Hide a full disk: [`SpoolError::is_disk_full`] lets the listener answer `452 4.3.1`, and the
//!   failed message's partial file is removed at once while queued messages stay intact.
//! - Stop delivering because the disk is full: with [`Spool::keep_reserve`] a few bytes are set
//!   aside that state updates and removals may use when nothing else is free, while new
//!   messages are refused, so a full disk drains itself (module `reserve`).
#![forbid(unsafe_code)]
#![deny(missing_docs)]

mod committer;
mod error;
mod fsio;
mod header;
mod id;
mod incoming;
mod lifecycle;
mod model;
mod recover;
mod reserve;
mod spool;

pub use error::SpoolError;
pub use id::{InvalidMessageId, MessageId};
pub use incoming::{Committed, Incoming};
pub use lifecycle::{Applied, Event, Failure, InvalidTransition};
pub use model::{
    Delivery, Entry, Envelope, HoldReason, RcptState, RcptStatus, SessionTls, State, UnknownState,
};
pub use recover::Recovery;
pub use spool::{Options, ScanItem, Spool, SpoolStats, Stamp};
