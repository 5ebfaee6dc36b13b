//! Why a [`CheckRequest`](crate::CheckRequest) cannot become a plan: one variant per mistake,
//! with the field it is about (a form shows the message next to that field) and the message
//! in English (`Display`) or Korean ([`PlanError::message`]). These are the user's mistakes,
//! not the server's: nothing was tried yet.

use std::path::PathBuf;

use scanrelay_client::Mechanism;
use scanrelay_diagnose::Lang;

/// The field of a [`CheckRequest`](crate::CheckRequest) a [`PlanError`] is about.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Field {
    /// `provider`.
    Provider,
    /// `server`.
    Server,
    /// `ca_file`.
    CaFile,
    /// `user`.
    User,
    /// `secret`.
    Secret,
    /// `auth`.
    Auth,
    /// `to`.
    To,
}

/// A request that cannot be checked.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum PlanError {
    /// The provider preset does not exist.
    #[error("unknown provider `{name}`; known: {known}")]
    UnknownProvider {
        /// The name given.
        name: String,
        /// The known preset ids, comma-separated.
        known: String,
    },
    /// Neither a server nor a provider preset.
    #[error("no server: give a server host name or a provider")]
    NoServer,
    /// The CA file cannot be read.
    #[error("failed to read CA file `{}`", path.display())]
    CaFileUnreadable {
        /// The file.
        path: PathBuf,
        /// Why.
        #[source]
        source: std::io::Error,
    },
    /// The CA file holds no PEM certificate.
    #[error("CA file `{}` holds no PEM certificate", path.display())]
    CaFileNotPem {
        /// The file.
        path: PathBuf,
    },
    /// A secret without a user name.
    #[error("a password or token was given without a user name")]
    SecretWithoutUser,
    /// A user name without a secret.
    #[error("a user name was given without a password or access token")]
    UserWithoutSecret,
    /// The secret is empty.
    #[error("the password or access token is empty")]
    EmptySecret,
    /// A token mechanism with a password.
    #[error("AUTH {mechanism} needs an OAuth2 access token, not a password")]
    TokenNeeded {
        /// The mechanism asked for.
        mechanism: Mechanism,
    },
    /// A password mechanism with a token.
    #[error("AUTH {mechanism} needs a password, not an OAuth2 access token")]
    PasswordNeeded {
        /// The mechanism asked for.
        mechanism: Mechanism,
    },
    /// A test message without a recipient.
    #[error("a test message needs a recipient")]
    SendTestWithoutRecipient,
}

impl PlanError {
    /// The field to correct.
    pub fn field(&self) -> Field {
        match self {
            PlanError::UnknownProvider { .. } => Field::Provider,
            PlanError::NoServer => Field::Server,
            PlanError::CaFileUnreadable { .. } | PlanError::CaFileNotPem { .. } => Field::CaFile,
            PlanError::SecretWithoutUser => Field::User,
            PlanError::UserWithoutSecret | PlanError::EmptySecret => Field::Secret,
            PlanError::TokenNeeded { .. } | PlanError::PasswordNeeded { .. } => Field::Auth,
            PlanError::SendTestWithoutRecipient => Field::To,
        }
    }

    /// The message in `lang` (English: the `Display` text with its cause).
    pub fn message(&self, lang: Lang) -> String {
        match lang {
            Lang::En => match self {
                PlanError::CaFileUnreadable { source, .. } => format!("{self}: {source}"),
                _ => self.to_string(),
            },
            Lang::Ko => self.korean(),
        }
    }

    fn korean(&self) -> String {
        match self {
            PlanError::UnknownProvider { name, known } => {
                format!("알 수 없는 제공자 `{name}`. 사용할 수 있는 제공자: {known}")
            }
            PlanError::NoServer => "서버가 없습니다. 서버 주소나 제공자를 지정하십시오.".into(),
            PlanError::CaFileUnreadable { path, source } => {
                format!("CA 파일 `{}`을(를) 읽을 수 없음: {source}", path.display())
            }
            PlanError::CaFileNotPem { path } => {
                format!("CA 파일 `{}`에 PEM 인증서가 없습니다.", path.display())
            }
            PlanError::SecretWithoutUser => {
                "비밀번호나 토큰이 있지만 사용자 이름이 없습니다.".into()
            }
            PlanError::UserWithoutSecret => {
                "사용자 이름이 있지만 비밀번호나 액세스 토큰이 없습니다.".into()
            }
            PlanError::EmptySecret => "비밀번호나 액세스 토큰이 비어 있습니다.".into(),
            PlanError::TokenNeeded { mechanism } => {
                format!("AUTH {mechanism}에는 비밀번호가 아니라 OAuth2 액세스 토큰이 필요합니다.")
            }
            PlanError::PasswordNeeded { mechanism } => {
                format!("AUTH {mechanism}에는 OAuth2 액세스 토큰이 아니라 비밀번호가 필요합니다.")
            }
            PlanError::SendTestWithoutRecipient => {
                "테스트 메일을 보내려면 받는 사람이 필요합니다.".into()
            }
        }
    }
}
