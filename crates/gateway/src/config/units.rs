//! Human units in the config file: sizes (`"35MB"`, `"35 MiB"`, `500000`) and durations
//! (`"5m"`, `"1h"`, `"5d"`, `300`).

use std::fmt;
use std::time::Duration;

use serde::Deserialize;
use serde::de::{self, Deserializer, Visitor};

/// A byte count written as an integer or a string with a unit.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct ByteSize(pub u64);

/// A duration written as an integer (seconds) or a string with a unit.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Span(pub Duration);

/// Parses `"35MB"`, `"35 MiB"`, `"500KB"`, `"1234"`: decimal units (kB, MB, GB) are powers of
/// 1000, binary ones (KiB, MiB, GiB) powers of 1024.
pub fn parse_size(text: &str) -> Result<u64, String> {
    let (number, unit) = split_number(text)?;
    let factor: u64 = match unit.to_ascii_lowercase().as_str() {
        "" | "b" => 1,
        "k" | "kb" => 1_000,
        "m" | "mb" => 1_000_000,
        "g" | "gb" => 1_000_000_000,
        "ki" | "kib" => 1 << 10,
        "mi" | "mib" => 1 << 20,
        "gi" | "gib" => 1 << 30,
        _ => {
            return Err(format!(
                "unknown size unit `{unit}` in \"{text}\": use B, KB, MB, GB, KiB, MiB or GiB"
            ));
        }
    };
    scale(number, factor).ok_or_else(|| format!("size \"{text}\" is too large"))
}

/// Parses `"30s"`, `"5m"`, `"5min"`, `"1h"`, `"5d"`, `"500ms"`, `"300"` (seconds).
pub(crate) fn parse_duration(text: &str) -> Result<Duration, String> {
    let (number, unit) = split_number(text)?;
    let millis: u64 = match unit.to_ascii_lowercase().as_str() {
        "ms" => 1,
        "" | "s" | "sec" | "secs" | "second" | "seconds" => 1_000,
        "m" | "min" | "mins" | "minute" | "minutes" => 60_000,
        "h" | "hour" | "hours" => 3_600_000,
        "d" | "day" | "days" => 86_400_000,
        _ => {
            return Err(format!(
                "unknown duration unit `{unit}` in \"{text}\": use ms, s, m, h or d (e.g. \"5m\")"
            ));
        }
    };
    let total = scale(number, millis).ok_or_else(|| format!("duration \"{text}\" is too long"))?;
    Ok(Duration::from_millis(total))
}

/// Splits `"35 MiB"` into `(35.0, "MiB")`.
fn split_number(text: &str) -> Result<(f64, &str), String> {
    let text = text.trim();
    let end = text
        .find(|c: char| !(c.is_ascii_digit() || c == '.' || c == '_'))
        .unwrap_or(text.len());
    let (digits, unit) = text.split_at(end);
    let digits: String = digits.chars().filter(|&c| c != '_').collect();
    match digits.parse::<f64>() {
        Ok(n) if n.is_finite() => Ok((n, unit.trim())),
        _ => Err(format!(
            "\"{text}\" is not a number with a unit (e.g. \"35MB\" or \"5m\")"
        )),
    }
}

fn scale(number: f64, factor: u64) -> Option<u64> {
    let value = number * factor as f64;
    (value < u64::MAX as f64).then(|| value.round() as u64)
}

impl<'de> Deserialize<'de> for ByteSize {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        d.deserialize_any(UnitVisitor {
            expecting: "a size such as \"35MB\" or a number of bytes",
            parse: parse_size,
            from_int: |n| n,
        })
        .map(ByteSize)
    }
}

impl<'de> Deserialize<'de> for Span {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        d.deserialize_any(UnitVisitor {
            expecting: "a duration such as \"5m\" or a number of seconds",
            parse: parse_duration,
            from_int: Duration::from_secs,
        })
        .map(Span)
    }
}

/// Accepts a non-negative integer or a string and converts it.
struct UnitVisitor<T> {
    expecting: &'static str,
    parse: fn(&str) -> Result<T, String>,
    from_int: fn(u64) -> T,
}

impl<T> Visitor<'_> for UnitVisitor<T> {
    type Value = T;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.expecting)
    }

    fn visit_u64<E: de::Error>(self, v: u64) -> Result<T, E> {
        Ok((self.from_int)(v))
    }

    fn visit_i64<E: de::Error>(self, v: i64) -> Result<T, E> {
        u64::try_from(v)
            .map(self.from_int)
            .map_err(|_| E::invalid_value(de::Unexpected::Signed(v), &self))
    }

    fn visit_str<E: de::Error>(self, v: &str) -> Result<T, E> {
        (self.parse)(v).map_err(E::custom)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sizes() {
        let cases = [
            ("35MB", 35_000_000),
            ("35 MiB", 35 * 1024 * 1024),
            ("500KB", 500_000),
            ("500 kb", 500_000),
            ("1234", 1234),
            ("1.5GB", 1_500_000_000),
            ("10_000", 10_000),
        ];
        for (text, want) in cases {
            assert_eq!(parse_size(text), Ok(want), "{text}");
        }
        assert!(parse_size("35 parsecs").is_err());
        assert!(parse_size("MB").is_err());
    }

    #[test]
    fn durations() {
        let cases = [
            ("5m", 300),
            ("10min", 600),
            ("1h", 3600),
            ("5d", 432_000),
            ("30s", 30),
            ("45", 45),
        ];
        for (text, want) in cases {
            assert_eq!(
                parse_duration(text),
                Ok(Duration::from_secs(want)),
                "{text}"
            );
        }
        assert_eq!(parse_duration("250ms"), Ok(Duration::from_millis(250)));
        assert!(parse_duration("5 fortnights").is_err());
    }
}
