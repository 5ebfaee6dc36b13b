//! The language of advice texts.

use std::fmt;
use std::str::FromStr;

use serde::{Serialize, Serializer};

use crate::ParseError;

/// The language of advice and warnings.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum Lang {
    /// English.
    #[default]
    En,
    /// Korean (한국어).
    Ko,
}

impl Lang {
    /// `en` or `ko`.
    pub fn as_str(self) -> &'static str {
        match self {
            Lang::En => "en",
            Lang::Ko => "ko",
        }
    }

    /// Maps a POSIX locale value: anything starting with `ko` (any case, e.g. `ko_KR.UTF-8`)
    /// is Korean, everything else English.
    pub fn from_locale(value: &str) -> Lang {
        let value = value.trim();
        match value.get(..2) {
            Some(prefix) if prefix.eq_ignore_ascii_case("ko") => Lang::Ko,
            _ => Lang::En,
        }
    }

    /// Reads `LC_ALL`, then `LC_MESSAGES`, then `LANG`; the first non-empty one decides
    /// (see [`Lang::from_locale`]). English when none is set.
    ///
    /// This is the only function of the crate that looks outside its arguments.
    pub fn from_env() -> Lang {
        Lang::from_vars(|name| std::env::var(name).ok())
    }

    /// Like [`Lang::from_env`], with the environment given as a lookup function.
    pub fn from_vars(lookup: impl Fn(&str) -> Option<String>) -> Lang {
        ["LC_ALL", "LC_MESSAGES", "LANG"]
            .iter()
            .filter_map(|name| lookup(name))
            .find(|value| !value.trim().is_empty())
            .map_or(Lang::En, |value| Lang::from_locale(&value))
    }
}

impl fmt::Display for Lang {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for Lang {
    type Err = ParseError;

    /// `en` or `ko` (case and surrounding space ignored).
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s.trim().to_ascii_lowercase().as_str() {
            "en" => Ok(Lang::En),
            "ko" => Ok(Lang::Ko),
            _ => Err(ParseError::Lang(s.to_owned())),
        }
    }
}

impl Serialize for Lang {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(self.as_str())
    }
}
