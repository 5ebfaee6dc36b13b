//! Integration tests for `scanrelay-diagnose`, table-driven, one module per area.

#[path = "diagnose/advice.rs"]
mod advice;
#[path = "diagnose/causes.rs"]
mod causes;
#[path = "diagnose/classify.rs"]
mod classify;
#[path = "diagnose/docs.rs"]
mod docs;
#[path = "diagnose/fixtures.rs"]
mod fixtures;
#[path = "diagnose/not_yet.rs"]
mod not_yet;
#[path = "diagnose/oauth.rs"]
mod oauth;
#[path = "diagnose/oauth_advice.rs"]
mod oauth_advice;
#[path = "diagnose/password.rs"]
mod password;
#[path = "diagnose/paste.rs"]
mod paste;
#[path = "diagnose/providers.rs"]
mod providers;
#[path = "diagnose/regressions.rs"]
mod regressions;
#[path = "diagnose/verdicts.rs"]
mod verdicts;
