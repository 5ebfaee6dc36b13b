//! `explain`: from pasted text to a cause, with the provider recognised on the way.

use serde::ser::SerializeStruct;
use serde::{Serialize, Serializer};

use crate::{
    Cause, Provider, ReplyFacts, Stage, classify_error, classify_reply, detect_provider,
    parse_pasted,
};

/// The result of [`explain`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Explanation {
    /// The diagnosis.
    pub cause: Cause,
    /// The reply found in the input, if any.
    pub facts: Option<ReplyFacts>,
    /// The provider (given, or recognised from the text).
    pub provider: Option<&'static Provider>,
}

impl Serialize for Explanation {
    /// `{"cause": "...", "facts": {...} | null, "provider": "gmail" | null}`.
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let mut s = serializer.serialize_struct("Explanation", 3)?;
        s.serialize_field("cause", &self.cause)?;
        s.serialize_field("facts", &self.facts)?;
        s.serialize_field("provider", &self.provider.map(|p| p.id))?;
        s.end()
    }
}

/// Explains pasted text: finds the SMTP reply ([`parse_pasted`]), recognises the provider
/// when none is given ([`detect_provider`] on the whole input) and classifies the reply.
/// Input without a reply code is read as a client error message ([`classify_error`]:
/// DNS, connection, TLS), which gives `unknown` when nothing matches.
pub fn explain(
    input: &str,
    stage: Option<Stage>,
    provider: Option<&'static Provider>,
) -> Explanation {
    let provider = provider.or_else(|| detect_provider(None, input));
    let facts = parse_pasted(input);
    let cause = match &facts {
        Some(facts) => classify_reply(stage, facts, provider),
        None => classify_error(stage, input),
    };
    Explanation {
        cause,
        facts,
        provider,
    }
}
