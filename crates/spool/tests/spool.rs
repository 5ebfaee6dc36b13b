//! Integration tests for `scanrelay-spool`: round trips, recovery after reopen and after
//! `kill -9`, concurrency, and the disk-full path. The test modules live in `tests/spool/`.

#[path = "spool/basics.rs"]
mod basics;
#[path = "spool/common.rs"]
mod common;
#[path = "spool/concurrency.rs"]
mod concurrency;
#[path = "spool/crash.rs"]
mod crash;
#[path = "spool/disk_full.rs"]
mod disk_full;
#[path = "spool/format1.rs"]
mod format1;
#[path = "spool/hardening.rs"]
mod hardening;
#[path = "spool/lifecycle.rs"]
mod lifecycle;
#[path = "spool/open_existing.rs"]
mod open_existing;
#[path = "spool/recovery.rs"]
mod recovery;
#[path = "spool/reserve.rs"]
mod reserve;
