//! The JSON bodies Graph sends and takes on the paths this crate uses.

use serde::{Deserialize, Serialize};

/// `{"error": {"code", "message", "innerError": {...}}}`.
#[derive(Debug, Deserialize)]
pub(crate) struct ErrorBody {
    pub error: ErrorDetail,
}

#[derive(Debug, Deserialize)]
pub(crate) struct ErrorDetail {
    #[serde(default)]
    pub code: Option<String>,
    #[serde(default)]
    pub message: Option<String>,
    #[serde(default, rename = "innerError")]
    pub inner_error: Option<InnerError>,
}

#[derive(Debug, Deserialize)]
pub(crate) struct InnerError {
    #[serde(default, rename = "request-id")]
    pub request_id: Option<String>,
}

/// A created draft (or attachment): only its id matters.
#[derive(Debug, Deserialize)]
pub(crate) struct Created {
    pub id: String,
}

/// `createUploadSession`'s answer and each `PUT`'s.
#[derive(Debug, Deserialize)]
pub(crate) struct UploadSession {
    #[serde(default, rename = "uploadUrl")]
    pub upload_url: Option<String>,
    #[serde(default, rename = "nextExpectedRanges")]
    pub next_expected_ranges: Vec<String>,
}

#[derive(Debug, Serialize)]
pub(crate) struct EmailAddress<'a> {
    pub address: &'a str,
}

#[derive(Debug, Serialize)]
pub(crate) struct Recipient<'a> {
    #[serde(rename = "emailAddress")]
    pub email_address: EmailAddress<'a>,
}

/// The `PATCH` that sets a draft's recipients.
#[derive(Debug, Serialize)]
pub(crate) struct RecipientsPatch<'a> {
    #[serde(rename = "toRecipients")]
    pub to: Vec<Recipient<'a>>,
    #[serde(rename = "ccRecipients")]
    pub cc: Vec<Recipient<'a>>,
    #[serde(rename = "bccRecipients")]
    pub bcc: Vec<Recipient<'a>>,
}

/// `{"AttachmentItem": {...}}` for `createUploadSession`.
#[derive(Debug, Serialize)]
pub(crate) struct UploadRequest<'a> {
    #[serde(rename = "AttachmentItem")]
    pub item: AttachmentItem<'a>,
}

#[derive(Debug, Serialize)]
pub(crate) struct AttachmentItem<'a> {
    #[serde(rename = "attachmentType")]
    pub attachment_type: &'static str,
    pub name: &'a str,
    pub size: u64,
    #[serde(rename = "contentType")]
    pub content_type: &'a str,
    #[serde(rename = "isInline", skip_serializing_if = "std::ops::Not::not")]
    pub is_inline: bool,
    #[serde(rename = "contentId", skip_serializing_if = "Option::is_none")]
    pub content_id: Option<&'a str>,
}

/// A small attachment in one request.
#[derive(Debug, Serialize)]
pub(crate) struct FileAttachment<'a> {
    #[serde(rename = "@odata.type")]
    pub odata_type: &'static str,
    pub name: &'a str,
    #[serde(rename = "contentType")]
    pub content_type: &'a str,
    #[serde(rename = "contentBytes")]
    pub content_bytes: String,
    #[serde(rename = "isInline", skip_serializing_if = "std::ops::Not::not")]
    pub is_inline: bool,
    #[serde(rename = "contentId", skip_serializing_if = "Option::is_none")]
    pub content_id: Option<&'a str>,
}
