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
//! - `tmp/ID.eml`: a message being received (never acknowledged);
//! - `msg/ID.eml`: the message bytes exactly as received (CRLF);
//! - `env/ID.json`: the [`Envelope`] and the [`Delivery`] state. A message is *accepted* exactly
//!   when this file exists; it is only ever replaced atomically;
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
//! 1. the body was streamed into `tmp/ID.eml` (64 KiB buffered writes);
//! 2. `sync_all` the body file;
//! 3. rename it to `msg/ID.eml`;
//! 4. fsync `msg/`, so the body's name is durable *before* any envelope points at it;
//! 5. write `env/.ID.*.tmp`, `sync_all` it, rename it to `env/ID.json`;
//! 6. fsync `env/`; only now does `commit` return and the listener may answer `250`.
//!
//! From step 3 until it returns, the commit holds the message's lock (below). If step 4, 5 or 6
//! fails, the envelope and body are removed under that lock, so the scheduler, which takes the
//! lock to mark a message `Sending` before delivering it, can never deliver a message whose
//! commit failed (and which the client will therefore send again).
//!
//! The fsyncs of steps 4 and 6 are *grouped*: concurrent commits waiting at the same time share
//! one directory fsync (file data `sync_all` stays per file); see [`Options`].
//! Every envelope rewrite ([`Spool::apply`]) is steps 5–6. Removal deletes the envelope, fsyncs
//! `env/`, then deletes the body and fsyncs `msg/`.
//!
//! So after a crash at any instant: an envelope implies its body is complete and durable; a body
//! without envelope was never acknowledged; anything in `tmp/` or named `env/.*.tmp` is partial.
//! [`Spool::open`] therefore deletes `tmp/*`, temporary envelope files and bodies without an
//! envelope, and reports envelopes whose body is missing (damage from outside) as
//! [`Recovery::corrupt`], keeping them with state [`State::Failed`].
//!
//! # Several processes
//!
//! Every open [`Spool`] holds a shared advisory lock (`std::fs::File::lock_shared`) on `lock`.
//! Recovery deletes files, so it runs only if `open` can take that lock exclusively, i.e. when no
//! other process has the spool open; otherwise it is skipped ([`Recovery::performed`] is false),
//! and an operator command never deletes a running server's in-progress files.
//! [`Spool::apply`] and [`Spool::remove`] hold an exclusive advisory lock on the message's body
//! file, whose inode never changes, so a read-modify-write of the state is never lost and a
//! deleted message is never resurrected by a concurrent update. Readers take no locks: the
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
pub use incoming::Incoming;
pub use lifecycle::{Applied, Event, Failure, InvalidTransition};
pub use model::{
    Delivery, Entry, Envelope, HoldReason, RcptState, RcptStatus, State, UnknownState,
};
pub use recover::Recovery;
pub use spool::{Options, ScanItem, Spool, SpoolStats, Stamp};
