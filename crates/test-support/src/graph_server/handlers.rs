//! The fake Graph's request handling: one fallback handler that records the request, applies
//! the body limit, then dispatches on method and path.

use std::sync::Arc;

use axum::Router;
use axum::body::{Bytes, to_bytes};
use axum::extract::{DefaultBodyLimit, Request, State as AxState};
use axum::http::{HeaderMap, Method, StatusCode, header};
use axum::response::{IntoResponse, Response};
use base64::Engine as _;
use serde_json::{Value, json};

use super::mime::{ParsedMime, StoredAttachment, parse, percent_decode};
use super::{
    FaultReply, FaultStage, GRAPH_MAX_BODY, RequestRecord, SentMessage, SentVia, Shared, State,
};

/// A draft message.
pub(crate) struct Draft {
    pub id: String,
    pub mailbox: String,
    pub mime: ParsedMime,
    pub attachments: Vec<StoredAttachment>,
}

/// An upload session.
pub(crate) struct Session {
    pub id: String,
    pub secret: String,
    pub draft: String,
    pub name: String,
    pub content_type: String,
    pub size: u64,
    pub received: Vec<u8>,
}

pub(crate) fn router(shared: Arc<Shared>) -> Router {
    Router::new()
        .fallback(handle)
        .layer(DefaultBodyLimit::disable())
        .with_state(shared)
}

type Reply = Result<Response, Box<Response>>;

async fn handle(AxState(shared): AxState<Arc<Shared>>, request: Request) -> Response {
    let (parts, body) = request.into_parts();
    let body = to_bytes(body, 256 * 1024 * 1024).await.unwrap_or_default();
    let headers = parts.headers;
    let method = parts.method;
    let path = parts.uri.path().to_string();
    let query = parts.uri.query().map(str::to_string);
    let response = if body.len() > GRAPH_MAX_BODY {
        *graph_error(
            StatusCode::PAYLOAD_TOO_LARGE,
            "RequestBodyTooLarge",
            &format!("The request body exceeds {GRAPH_MAX_BODY} bytes."),
        )
    } else {
        let req = Req {
            method: &method,
            path: &path,
            query: query.as_deref(),
            headers: &headers,
            body: &body,
        };
        dispatch(&shared, &req).unwrap_or_else(|e| *e)
    };
    let header_text = |name: header::HeaderName| {
        headers
            .get(name)
            .and_then(|v| v.to_str().ok())
            .map(str::to_string)
    };
    shared.lock().requests.push(RequestRecord {
        method: method.to_string(),
        path,
        has_query: query.is_some(),
        body_len: body.len(),
        authorization: headers.contains_key(header::AUTHORIZATION),
        content_type: header_text(header::CONTENT_TYPE),
        content_range: header_text(header::CONTENT_RANGE),
        status: response.status().as_u16(),
    });
    response
}

struct Req<'a> {
    method: &'a Method,
    path: &'a str,
    query: Option<&'a str>,
    headers: &'a HeaderMap,
    body: &'a Bytes,
}

fn dispatch(shared: &Shared, req: &Req<'_>) -> Reply {
    let segments: Vec<&str> = req.path.trim_matches('/').split('/').collect();
    if let ["upload", session] = segments.as_slice() {
        fault(shared, FaultStage::Upload)?;
        return upload(shared, session, req);
    }
    let ["v1.0", "users", mailbox, rest @ ..] = segments.as_slice() else {
        return Err(graph_error(
            StatusCode::NOT_FOUND,
            "ResourceNotFound",
            "Unknown path.",
        ));
    };
    let mailbox = String::from_utf8_lossy(&percent_decode(mailbox.as_bytes())).to_ascii_lowercase();
    let stage = stage_of(req.method, rest);
    let permissions = authorize(shared, req.headers)?;
    fault(shared, FaultStage::Any)?;
    fault(shared, stage)?;
    if shared.lock().disabled.contains(&mailbox) {
        return Err(graph_error(
            StatusCode::NOT_FOUND,
            "MailboxNotEnabledForRESTAPI",
            "The mailbox is either inactive, soft-deleted, or is hosted on-premise.",
        ));
    }
    let needs = match stage {
        FaultStage::SendMail | FaultStage::Send => "Mail.Send",
        _ => "Mail.ReadWrite",
    };
    if !permissions.iter().any(|p| p == needs) {
        return Err(graph_error(
            StatusCode::FORBIDDEN,
            "ErrorAccessDenied",
            "Access is denied. Check credentials and try again.",
        ));
    }
    let m = mailbox.as_str();
    match (req.method.clone(), rest) {
        (Method::POST, ["sendMail"]) => send_mail(shared, m, req),
        (Method::POST, ["messages"]) => create_draft(shared, m, req),
        (Method::PATCH, ["messages", id]) => patch_recipients(shared, m, id, req),
        (Method::DELETE, ["messages", id]) => delete_draft(shared, m, id),
        (Method::POST, ["messages", id, "send"]) => send_draft(shared, m, id, req),
        (Method::POST, ["messages", id, "attachments"]) => add_attachment(shared, m, id, req),
        (Method::POST, ["messages", id, "attachments", "createUploadSession"]) => {
            create_session(shared, m, id, req)
        }
        _ => Err(graph_error(
            StatusCode::METHOD_NOT_ALLOWED,
            "BadRequest",
            "Unsupported request.",
        )),
    }
}

fn stage_of(method: &Method, rest: &[&str]) -> FaultStage {
    match (method.clone(), rest) {
        (Method::POST, ["sendMail"]) => FaultStage::SendMail,
        (Method::POST, ["messages"]) => FaultStage::Draft,
        (Method::PATCH, ["messages", _]) => FaultStage::Recipients,
        (Method::POST, ["messages", _, "send"]) => FaultStage::Send,
        (Method::POST, ["messages", _, "attachments"]) => FaultStage::AddAttachment,
        (Method::POST, [.., "createUploadSession"]) => FaultStage::CreateUploadSession,
        _ => FaultStage::Any,
    }
}

fn authorize(shared: &Shared, headers: &HeaderMap) -> Result<Vec<String>, Box<Response>> {
    let token = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "));
    token
        .and_then(|t| (shared.config.tokens)(t))
        .ok_or_else(|| {
            graph_error(
                StatusCode::UNAUTHORIZED,
                "InvalidAuthenticationToken",
                "Access token is empty or invalid.",
            )
        })
}

fn fault(shared: &Shared, stage: FaultStage) -> Result<(), Box<Response>> {
    let mut state = shared.lock();
    let Some(index) = state
        .faults
        .iter()
        .position(|f| f.stage == stage && f.times > 0)
    else {
        return Ok(());
    };
    state.faults[index].times -= 1;
    let reply = state.faults[index].reply.clone();
    Err(match reply {
        FaultReply::Throttle(after) => {
            let mut r = graph_error(
                StatusCode::TOO_MANY_REQUESTS,
                "ApplicationThrottled",
                "Application is over its MailboxConcurrency limit.",
            );
            if let Ok(value) = after.parse() {
                r.headers_mut().insert(header::RETRY_AFTER, value);
            }
            r
        }
        FaultReply::Unavailable => graph_error(
            StatusCode::SERVICE_UNAVAILABLE,
            "ServiceUnavailable",
            "Service Unavailable",
        ),
        FaultReply::Error {
            status,
            code,
            message,
        } => graph_error(
            StatusCode::from_u16(status).unwrap_or(StatusCode::BAD_REQUEST),
            &code,
            &message,
        ),
    })
}

fn mime_body(req: &Req<'_>) -> Result<ParsedMime, Box<Response>> {
    let text_plain = req
        .headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.to_ascii_lowercase().starts_with("text/plain"));
    if !text_plain {
        return Err(bad_request(
            "MIME content must be sent with Content-Type: text/plain.",
        ));
    }
    let decoded = base64::engine::general_purpose::STANDARD
        .decode(req.body.as_ref())
        .map_err(|_| bad_request("Invalid base64 string for MIME content."))?;
    parse(&decoded).map_err(|e| bad_request(&e))
}

fn send_mail(shared: &Shared, mailbox: &str, req: &Req<'_>) -> Reply {
    let mime = mime_body(req)?;
    if mime.to.is_empty() && mime.cc.is_empty() && mime.bcc.is_empty() {
        return Err(bad_request("At least one recipient is required."));
    }
    shared.lock().sent.push(SentMessage {
        mailbox: mailbox.to_string(),
        via: SentVia::SendMail,
        subject: mime.subject,
        to: mime.to,
        cc: mime.cc,
        bcc: mime.bcc,
        attachments: mime.attachments,
    });
    Ok(StatusCode::ACCEPTED.into_response())
}

fn create_draft(shared: &Shared, mailbox: &str, req: &Req<'_>) -> Reply {
    let mime = mime_body(req)?;
    let mut state = shared.lock();
    let id = new_id(&mut state, "draft");
    state.drafts.push(Draft {
        id: id.clone(),
        mailbox: mailbox.to_string(),
        attachments: mime.attachments.clone(),
        mime,
    });
    Ok((
        StatusCode::CREATED,
        axum::Json(json!({"id": id, "isDraft": true})),
    )
        .into_response())
}

fn with_draft<T>(
    state: &mut State,
    mailbox: &str,
    id: &str,
    f: impl FnOnce(&mut Draft) -> T,
) -> Result<T, Box<Response>> {
    state
        .drafts
        .iter_mut()
        .find(|d| d.id == id && d.mailbox == mailbox)
        .map(f)
        .ok_or_else(|| {
            graph_error(
                StatusCode::NOT_FOUND,
                "ErrorItemNotFound",
                "The specified object was not found in the store.",
            )
        })
}

fn patch_recipients(shared: &Shared, mailbox: &str, id: &str, req: &Req<'_>) -> Reply {
    let patch: Value =
        serde_json::from_slice(req.body).map_err(|_| bad_request("Invalid JSON."))?;
    let list = |key: &str| -> Option<Vec<String>> {
        patch.get(key)?.as_array().map(|items| {
            items
                .iter()
                .filter_map(|r| {
                    r.pointer("/emailAddress/address")?
                        .as_str()
                        .map(str::to_string)
                })
                .collect()
        })
    };
    let (to, cc, bcc) = (
        list("toRecipients"),
        list("ccRecipients"),
        list("bccRecipients"),
    );
    with_draft(&mut shared.lock(), mailbox, id, |draft| {
        if let Some(to) = to {
            draft.mime.to = to;
        }
        if let Some(cc) = cc {
            draft.mime.cc = cc;
        }
        if let Some(bcc) = bcc {
            draft.mime.bcc = bcc;
        }
    })?;
    Ok((StatusCode::OK, axum::Json(json!({"id": id}))).into_response())
}

fn delete_draft(shared: &Shared, mailbox: &str, id: &str) -> Reply {
    let mut state = shared.lock();
    with_draft(&mut state, mailbox, id, |_| ())?;
    state.drafts.retain(|d| d.id != id);
    state.sessions.retain(|s| s.draft != id);
    Ok(StatusCode::NO_CONTENT.into_response())
}

fn send_draft(shared: &Shared, mailbox: &str, id: &str, req: &Req<'_>) -> Reply {
    if !req.body.is_empty() {
        return Err(bad_request("The send action takes no body."));
    }
    let mut state = shared.lock();
    if state.sessions.iter().any(|s| s.draft == id) {
        return Err(bad_request(
            "An attachment upload of this draft is not complete.",
        ));
    }
    let draft = with_draft(&mut state, mailbox, id, |d| {
        (d.mime.clone(), d.attachments.clone())
    })?;
    let (mime, attachments) = draft;
    if mime.to.is_empty() && mime.cc.is_empty() && mime.bcc.is_empty() {
        return Err(bad_request("At least one recipient is required."));
    }
    state.drafts.retain(|d| d.id != id);
    state.sent.push(SentMessage {
        mailbox: mailbox.to_string(),
        via: SentVia::Draft,
        subject: mime.subject,
        to: mime.to,
        cc: mime.cc,
        bcc: mime.bcc,
        attachments,
    });
    Ok(StatusCode::ACCEPTED.into_response())
}

fn add_attachment(shared: &Shared, mailbox: &str, id: &str, req: &Req<'_>) -> Reply {
    let item: Value = serde_json::from_slice(req.body).map_err(|_| bad_request("Invalid JSON."))?;
    let text = |key: &str| item.get(key).and_then(Value::as_str).map(str::to_string);
    if text("@odata.type").as_deref() != Some("#microsoft.graph.fileAttachment") {
        return Err(bad_request("Only fileAttachment is supported."));
    }
    let (Some(name), Some(content)) = (text("name"), text("contentBytes")) else {
        return Err(bad_request("name and contentBytes are required."));
    };
    let bytes = base64::engine::general_purpose::STANDARD
        .decode(content)
        .map_err(|_| bad_request("Invalid base64 in contentBytes."))?;
    let content_type = text("contentType").unwrap_or_else(|| "application/octet-stream".into());
    let mut state = shared.lock();
    let att_id = new_id(&mut state, "att");
    with_draft(&mut state, mailbox, id, |d| {
        d.attachments.push(StoredAttachment {
            name,
            content_type,
            bytes,
        });
    })?;
    Ok((StatusCode::CREATED, axum::Json(json!({"id": att_id}))).into_response())
}

fn create_session(shared: &Shared, mailbox: &str, id: &str, req: &Req<'_>) -> Reply {
    let body: Value = serde_json::from_slice(req.body).map_err(|_| bad_request("Invalid JSON."))?;
    let item = body
        .get("AttachmentItem")
        .ok_or_else(|| bad_request("AttachmentItem is required."))?;
    let name = item
        .get("name")
        .and_then(Value::as_str)
        .unwrap_or_default()
        .to_string();
    let size = item.get("size").and_then(Value::as_u64).unwrap_or(0);
    if item.get("attachmentType").and_then(Value::as_str) != Some("file") || name.is_empty() {
        return Err(bad_request("attachmentType file and a name are required."));
    }
    if size < shared.config.upload_session_min {
        return Err(graph_error(
            StatusCode::BAD_REQUEST,
            "ErrorAttachmentSizeShouldNotBeLessThanMinimumSize",
            "Attachment size must be greater than the minimum size.",
        ));
    }
    let content_type = item
        .get("contentType")
        .and_then(Value::as_str)
        .unwrap_or("application/octet-stream")
        .to_string();
    let mut state = shared.lock();
    with_draft(&mut state, mailbox, id, |_| ())?;
    let session = new_id(&mut state, "session");
    let secret = new_id(&mut state, "secret-upload-token");
    let url = format!("{}/upload/{session}?authtoken={secret}", state.base);
    state.sessions.push(Session {
        id: session,
        secret,
        draft: id.to_string(),
        name,
        content_type,
        size,
        received: Vec::new(),
    });
    let answer = json!({
        "uploadUrl": url,
        "expirationDateTime": "2030-01-01T00:00:00Z",
        "nextExpectedRanges": ["0-"],
    });
    Ok((StatusCode::OK, axum::Json(answer)).into_response())
}

fn upload(shared: &Shared, session_id: &str, req: &Req<'_>) -> Reply {
    if req.method != Method::PUT {
        return Err(graph_error(
            StatusCode::METHOD_NOT_ALLOWED,
            "BadRequest",
            "PUT only.",
        ));
    }
    if req.headers.contains_key(header::AUTHORIZATION) {
        return Err(graph_error(
            StatusCode::UNAUTHORIZED,
            "InvalidAuthenticationToken",
            "An upload URL is pre-authenticated: send no Authorization header.",
        ));
    }
    let mut state = shared.lock();
    let index = state
        .sessions
        .iter()
        .position(|s| s.id == session_id && req.query == Some(&format!("authtoken={}", s.secret)))
        .ok_or_else(|| {
            graph_error(
                StatusCode::NOT_FOUND,
                "ErrorItemNotFound",
                "No such upload session.",
            )
        })?;
    let range = req
        .headers
        .get(header::CONTENT_RANGE)
        .and_then(|v| v.to_str().ok())
        .and_then(parse_range)
        .ok_or_else(|| bad_request("A Content-Range header `bytes a-b/total` is required."))?;
    let session = &mut state.sessions[index];
    let (first, last, total) = range;
    let received = session.received.len() as u64;
    if total != session.size
        || first != received
        || last < first
        || last >= total
        || last - first + 1 != req.body.len() as u64
    {
        return Err(graph_error(
            StatusCode::RANGE_NOT_SATISFIABLE,
            "InvalidRange",
            &format!("Expected bytes {received}- of {}.", session.size),
        ));
    }
    session.received.extend_from_slice(req.body);
    if (session.received.len() as u64) < session.size {
        let answer = json!({
            "expirationDateTime": "2030-01-01T00:00:00Z",
            "nextExpectedRanges": [format!("{}-", session.received.len())],
        });
        return Ok((StatusCode::OK, axum::Json(answer)).into_response());
    }
    let session = state.sessions.remove(index);
    let stored = StoredAttachment {
        name: session.name,
        content_type: session.content_type,
        bytes: session.received,
    };
    let draft_id = session.draft;
    let mailbox = state
        .drafts
        .iter()
        .find(|d| d.id == draft_id)
        .map(|d| d.mailbox.clone());
    with_draft(&mut state, &mailbox.unwrap_or_default(), &draft_id, |d| {
        d.attachments.push(stored)
    })?;
    Ok(StatusCode::CREATED.into_response())
}

fn parse_range(value: &str) -> Option<(u64, u64, u64)> {
    let rest = value.trim().strip_prefix("bytes ")?;
    let (span, total) = rest.split_once('/')?;
    let (first, last) = span.split_once('-')?;
    Some((first.parse().ok()?, last.parse().ok()?, total.parse().ok()?))
}

fn new_id(state: &mut State, kind: &str) -> String {
    state.next_id += 1;
    format!("{kind}-{:06}", state.next_id)
}

fn bad_request(message: &str) -> Box<Response> {
    graph_error(StatusCode::BAD_REQUEST, "ErrorInvalidRequest", message)
}

fn graph_error(status: StatusCode, code: &str, message: &str) -> Box<Response> {
    let body = json!({
        "error": {
            "code": code,
            "message": message,
            "innerError": {"request-id": "00000000-0000-0000-0000-000000000000", "date": "2026-01-01T00:00:00"},
        }
    });
    Box::new((status, axum::Json(body)).into_response())
}
