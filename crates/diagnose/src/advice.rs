//! Advice: what is wrong (summary) and what to change on the device (fix), in English and
//! Korean, specialised for a provider where its fix differs.

use scanrelay_proto::TlsMode;
use serde::Serialize;

use crate::advice_provider::provider_fix;
use crate::{Cause, Lang, Provider, advice_en, advice_ko, advice_oauth_en, advice_oauth_ko};

/// Advice for one cause.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Advice {
    /// One plain sentence: what is wrong.
    pub summary: String,
    /// What to do, in terms of the device's Send > E-mail settings.
    pub fix: String,
}

impl Advice {
    /// The advice for the `[[oauth]]` account `name`: the `NAME` placeholder of
    /// `scanrelay oauth login NAME`, `scanrelay check --oauth NAME` and `oauth = "NAME"`
    /// becomes the account's name (shell-quoted when it needs it), and the note that
    /// explains the placeholder goes.
    ///
    /// ```
    /// use scanrelay_diagnose::{Cause, Lang, advise};
    ///
    /// let advice = advise(Cause::OauthNeedsLogin, None, Lang::En);
    /// assert!(advice.fix.contains("scanrelay oauth login NAME"));
    /// let advice = advice.with_account("office");
    /// assert!(advice.fix.contains("scanrelay oauth login office"));
    /// assert!(!advice.fix.contains("NAME"));
    /// ```
    pub fn with_account(self, name: &str) -> Advice {
        let shell = shell_word(name);
        let toml = name.replace('\\', "\\\\").replace('"', "\\\"");
        let fill = |text: String| {
            text.replace(name_note_en!(), "")
                .replace(name_note_ko!(), "")
                .replace("oauth login NAME", &format!("oauth login {shell}"))
                .replace("--oauth NAME", &format!("--oauth {shell}"))
                .replace("oauth = \"NAME\"", &format!("oauth = \"{toml}\""))
        };
        Advice {
            summary: fill(self.summary),
            fix: fill(self.fix),
        }
    }
}

/// `name` as one shell word: as it is when it holds only letters, digits and `._@+-`,
/// else in single quotes.
fn shell_word(name: &str) -> String {
    let plain = !name.is_empty()
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '@' | '+' | '-'));
    if plain {
        name.to_owned()
    } else {
        format!("'{}'", name.replace('\'', "'\\''"))
    }
}

/// A summary / fix pair of static texts.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Text {
    pub(crate) summary: &'static str,
    pub(crate) fix: &'static str,
}

/// Causes whose generic fix gets the provider's server / port / TLS appended.
const CONNECTION_CAUSES: &[Cause] = &[
    Cause::DnsNotFound,
    Cause::ConnectRefused,
    Cause::ConnectTimeout,
    Cause::ConnectNotSmtp,
    Cause::TlsModeMismatch,
    Cause::TlsHandshakeFailed,
    Cause::TlsHostnameMismatch,
    Cause::TlsStarttlsRequired,
    Cause::TlsStarttlsUnavailable,
    Cause::AuthNotOffered,
];

/// What the session had already achieved when it failed, where that changes the advice
/// (a fix must not tell the user to turn on what was already on).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash)]
pub struct Situation {
    /// The connection was encrypted (implicit TLS or a completed STARTTLS handshake).
    pub encrypted: bool,
}

impl Situation {
    /// Every situation, for tests that walk all advice texts.
    pub const ALL: &'static [Situation] = &[
        Situation { encrypted: false },
        Situation { encrypted: true },
    ];
}

/// The advice for `cause`; with a provider, its specific fix (or its settings) is used.
/// The texts never contain secrets: nothing secret is passed in. Same as [`advise_in`] with
/// the default (unknown) [`Situation`].
pub fn advise(cause: Cause, provider: Option<&Provider>, lang: Lang) -> Advice {
    advise_in(cause, provider, lang, Situation::default())
}

/// [`advise`] for a session that got as far as `situation` says: a provider-specific fix
/// first, then a fix written for the situation, then the generic one.
pub fn advise_in(
    cause: Cause,
    provider: Option<&Provider>,
    lang: Lang,
    situation: Situation,
) -> Advice {
    let base = generic_text(cause, lang);
    let fix = situation_fix(cause, lang, situation).unwrap_or(base.fix);
    let fix = match provider {
        Some(p) => match provider_fix(p, cause, lang) {
            Some(fix) => fix.to_owned(),
            None if CONNECTION_CAUSES.contains(&cause) => {
                format!("{fix} {}", settings_line(p, lang))
            }
            None => fix.to_owned(),
        },
        None => fix.to_owned(),
    };
    Advice {
        summary: base.summary.to_owned(),
        fix,
    }
}

fn situation_fix(cause: Cause, lang: Lang, situation: Situation) -> Option<&'static str> {
    if !situation.encrypted {
        return None;
    }
    let table = match lang {
        Lang::En => &advice_en::ENCRYPTED,
        Lang::Ko => &advice_ko::ENCRYPTED,
    };
    table.iter().find(|(c, _)| *c == cause).map(|(_, fix)| *fix)
}

/// The provider-independent advice.
pub fn generic_advice(cause: Cause, lang: Lang) -> Advice {
    let text = generic_text(cause, lang);
    Advice {
        summary: text.summary.to_owned(),
        fix: text.fix.to_owned(),
    }
}

fn generic_text(cause: Cause, lang: Lang) -> Text {
    let tables: [&[(Cause, Text)]; 2] = match lang {
        Lang::En => [&advice_en::GENERIC, &advice_oauth_en::OAUTH],
        Lang::Ko => [&advice_ko::GENERIC, &advice_oauth_ko::OAUTH],
    };
    // Every cause has an entry in one of the tables (checked by the tests); `unknown` is
    // the last entry of the first.
    tables
        .iter()
        .find_map(|table| table.iter().find(|(c, _)| *c == cause))
        .unwrap_or(&tables[0][tables[0].len() - 1])
        .1
}

/// "Settings for Naver: SMTP server smtp.naver.com, port 465, SSL." and its Korean form.
pub fn settings_line(provider: &Provider, lang: Lang) -> String {
    let name = provider.display_name(lang);
    let (host, port) = (provider.host, provider.port);
    let tls = tls_label(provider.tls, lang);
    match lang {
        Lang::En => format!("Settings for {name}: SMTP server {host}, port {port}, {tls}."),
        Lang::Ko => format!("{name} 설정값: SMTP서버 {host}, 포트번호 {port}, {tls}."),
    }
}

fn tls_label(mode: TlsMode, lang: Lang) -> &'static str {
    match (mode, lang) {
        (TlsMode::StartTls, Lang::En) => "STARTTLS",
        (TlsMode::Implicit, Lang::En) => "SSL (implicit TLS)",
        (TlsMode::None, Lang::En) => "no encryption",
        (TlsMode::StartTls, Lang::Ko) => "SSL허가 사용(STARTTLS)",
        (TlsMode::Implicit, Lang::Ko) => "SSL허가 사용(SSL)",
        (TlsMode::None, Lang::Ko) => "암호화 없음",
    }
}
