//! The reports of a check: the human text (English or Korean) and the JSON object, each
//! scrubbed of the plan's secrets before it is handed out.

mod human;
mod json;
pub(crate) mod labels;
pub(crate) mod scrub;
pub(crate) mod translate;

use serde_json::Value;

use crate::{Outcome, Plan};

/// The report for people, as `scanrelay check` prints it: a heading with the endpoint and the
/// warnings, every step with its time, note and lines, the TLS session and certificate chain,
/// then the verdict with the summary and fix. In the plan's language; every form of the secret
/// is `<redacted>`.
pub fn render_human(plan: &Plan, outcome: &Outcome) -> String {
    scrub::scrub(human::report(plan, outcome), plan.secrets())
}

/// The JSON object `scanrelay check --json` prints (`ok`, `cause`, `summary`, `fix`, `error`,
/// `provider`, `endpoint`, `steps`, `tls`, `server`, `warnings`, `sent_test`, `http_answer`,
/// `trusted_only_with_ca_file`), every string scrubbed of the secret.
pub fn render_json(plan: &Plan, outcome: &Outcome) -> Value {
    let mut value = json::object(plan, outcome);
    plan.scrub_json(&mut value);
    value
}
