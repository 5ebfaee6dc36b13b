//! The queue as people and programs see it: each message's state explained (next try in
//! words, the last cause with its summary and fix in a language, each recipient's last reply,
//! local and RFC 3339 times), and the operator's actions (retry, delete). One implementation
//! for `scanrelay queue` (another process, over the spool's files) and for the running
//! gateway's control plane and console.

mod delete;
mod retry;
mod view;
mod when;

pub use delete::delete;
pub use retry::{Retried, RetryReport, RetryTarget, retry};
pub use view::{NextTry, Viewer, first_line, is_bounce, recipients, sender, shown};
pub use when::{Clock, rfc3339};
