//! The console's languages: English and Korean, one table of texts per language ([`en::EN`],
//! [`ko::KO`]), chosen per request from the `lang` cookie (set by the switch in the page
//! header) or else the browser's `Accept-Language`.
//!
//! Every text is a field of [`Texts`], so a text missing from one language's table is a
//! compile error, and templates that name a text that does not exist do not compile either
//! (askama checks field access). Texts with a placeholder (`{n}`, `{t}`) are filled with
//! [`fill`]. Adding a page: add its texts to [`Texts`], then to both tables.

mod en;
mod ko;
mod setup;
mod texts;

use axum::extract::FromRequestParts;
use axum::http::HeaderMap;
use axum::http::request::Parts;
pub use scanrelay_diagnose::Lang;

pub use en::EN;
pub use ko::KO;
pub use setup::{SetupTexts, setup_texts};
pub use texts::Texts;

/// The name of the cookie that keeps the chosen language.
pub const LANG_COOKIE: &str = "scanrelay_lang";

/// The table of `lang`.
pub fn texts(lang: Lang) -> &'static Texts {
    match lang {
        Lang::En => &EN,
        Lang::Ko => &KO,
    }
}

/// `text` with each `{name}` replaced by its value.
pub fn fill(text: &str, values: &[(&str, &str)]) -> String {
    let mut out = text.to_string();
    for (name, value) in values {
        out = out.replace(&format!("{{{name}}}"), value);
    }
    out
}

/// `en` or `ko`, as in the cookie and the switch's URL.
pub fn parse_lang(code: &str) -> Option<Lang> {
    match code {
        "en" => Some(Lang::En),
        "ko" => Some(Lang::Ko),
        _ => None,
    }
}

/// The language of a request: the cookie, else the best of `Accept-Language`, else English.
pub fn choose(headers: &HeaderMap) -> Lang {
    if let Some(lang) = crate::auth::cookie(headers, LANG_COOKIE).and_then(parse_lang) {
        return lang;
    }
    headers
        .get_all(axum::http::header::ACCEPT_LANGUAGE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .find_map(from_accept_language)
        .unwrap_or(Lang::En)
}

/// The preferred of English and Korean in an `Accept-Language` value (`ko-KR,ko;q=0.9,en;q=0.8`),
/// by quality, the first listed on a tie; `None` when it names neither.
pub fn from_accept_language(value: &str) -> Option<Lang> {
    let mut best: Option<(Lang, u32)> = None;
    for item in value.split(',') {
        let mut parts = item.split(';');
        let tag = parts.next().unwrap_or("").trim();
        let primary = tag.split('-').next().unwrap_or("").to_ascii_lowercase();
        let lang = match primary.as_str() {
            "ko" => Lang::Ko,
            "en" => Lang::En,
            _ => continue,
        };
        let quality = parts
            .find_map(|p| p.trim().strip_prefix("q="))
            .map_or(1000, quality_milli);
        if quality > 0 && best.is_none_or(|(_, q)| quality > q) {
            best = Some((lang, quality));
        }
    }
    best.map(|(lang, _)| lang)
}

/// `0.8` → 800; anything unreadable → 0 (not acceptable).
fn quality_milli(text: &str) -> u32 {
    text.trim()
        .parse::<f32>()
        .ok()
        .filter(|q| (0.0..=1.0).contains(q))
        .map_or(0, |q| (q * 1000.0).round() as u32)
}

/// The request's language as an extractor.
#[derive(Debug, Clone, Copy)]
pub struct UiLang(pub Lang);

impl<S: Send + Sync> FromRequestParts<S> for UiLang {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(parts: &mut Parts, _state: &S) -> Result<Self, Self::Rejection> {
        Ok(UiLang(choose(&parts.headers)))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accept_language() {
        let cases = [
            ("ko-KR,ko;q=0.9,en-US;q=0.8,en;q=0.7", Some(Lang::Ko)),
            ("en-US,en;q=0.9,ko;q=0.8", Some(Lang::En)),
            ("fr-FR,fr;q=0.9,ko;q=0.5,en;q=0.4", Some(Lang::Ko)),
            ("ko;q=0.3, en;q=0.7", Some(Lang::En)),
            ("ko;q=0, en;q=0.1", Some(Lang::En)),
            ("KO", Some(Lang::Ko)),
            ("de, fr", None),
            ("", None),
            ("ko;q=banana", None),
        ];
        for (value, want) in cases {
            assert_eq!(from_accept_language(value), want, "{value}");
        }
    }

    #[test]
    fn fill_replaces_every_placeholder() {
        assert_eq!(fill("in {n} min ({n})", &[("n", "5")]), "in 5 min (5)");
    }
}
