//! `GET /settings` and its forms: listeners and allowed networks, delivery and notifications,
//! device accounts (add, new password, remove, sheet) and upstreams (every key, a write-only
//! password, remove). Each form posts its changes with the version of the file it was made
//! from; `scanrelay_gateway::config::edit` writes them keeping the file's comments, or refuses
//! them with errors shown next to their fields (nothing saved). A save is applied with the
//! gateway's reload, as SIGHUP does. No stored password is ever put into the page.

use std::collections::HashMap;

use askama::Template;
use axum::Router;
use axum::extract::State;
use axum::http::{StatusCode, Uri};
use axum::response::Response;
use axum::routing::{get, post};
use scanrelay_gateway::config::ParseOptions;
use scanrelay_gateway::config::edit::{
    Change, ConfigFile, DeliveryField, FieldError, Form, ListenField, SaveError, SecretInput,
    UpstreamField, Version, View,
};
use scanrelay_gateway::settings::Settings;

use crate::app::AppState;
use crate::auth::{AuthForm, AuthSession};
use crate::i18n::{Lang, SetupTexts, UiLang, setup_texts};
use crate::layout::{Layout, error_page, nav, render};

/// `/settings` and its forms.
pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/settings", get(page))
        .route("/settings/listen", post(listen))
        .route("/settings/delivery", post(delivery))
        .route("/settings/device/add", post(device_add))
        .route("/settings/device/password", post(device_password))
        .route("/settings/device/remove", post(device_remove))
        .route(
            "/settings/device/sheet",
            get(super::wizard::device_sheet_page),
        )
        .route("/settings/upstream", post(upstream))
        .route("/settings/upstream/remove", post(upstream_remove))
}

/// A posted form: every field by name.
pub(crate) type Fields = HashMap<String, String>;

pub(crate) fn field<'a>(form: &'a Fields, name: &str) -> &'a str {
    form.get(name).map_or("", String::as_str)
}

/// The config file the gateway runs with, when the console may edit it.
pub(crate) fn config_file(state: &AppState) -> Option<ConfigFile> {
    let path = state.backend.config_path()?;
    let settings = state.backend.settings();
    let opts = ParseOptions {
        // A gateway started on port 0 (tests) must stay editable.
        allow_port_zero: [settings.listen.smtp, settings.listen.smtps]
            .iter()
            .flatten()
            .any(|a| a.port() == 0),
    };
    Some(ConfigFile {
        path,
        data_dir: settings.data_dir.clone(),
        opts,
    })
}

/// How a save went.
pub(crate) enum Saved {
    /// Written (or nothing to write) and reloaded: the notice lines.
    Done(Vec<String>, Box<Settings>),
    /// Refused: the errors, nothing written.
    Rejected(Vec<FieldError>),
    /// The file changed since the form was made.
    Conflict,
    /// Could not read or write the file.
    Failed(String),
}

/// Saves `changes` made from the file at `version` and reloads the gateway with the result.
pub(crate) async fn save(
    state: &AppState,
    lang: Lang,
    version: &str,
    changes: Vec<Change>,
) -> Saved {
    let st = setup_texts(lang);
    let Some(file) = config_file(state) else {
        return Saved::Failed(st.no_config.to_string());
    };
    let Some(base) = Version::parse(version) else {
        return Saved::Conflict;
    };
    let result = tokio::task::spawn_blocking(move || file.save(&base, &changes)).await;
    let saved = match result {
        Ok(Ok(saved)) => saved,
        Ok(Err(SaveError::Rejected(errors))) => return Saved::Rejected(errors),
        Ok(Err(SaveError::Conflict { .. })) => return Saved::Conflict,
        Ok(Err(e)) => return Saved::Failed(e.to_string()),
        Err(e) => return Saved::Failed(e.to_string()),
    };
    let mut notice = vec![
        if saved.written {
            st.saved
        } else {
            st.nothing_changed
        }
        .to_string(),
    ];
    if saved.written {
        match state.backend.reload(saved.settings.clone()).await {
            Ok(report) => {
                if !report.applied.is_empty() {
                    notice.push(format!("{} {}", st.applied, report.applied.join(", ")));
                }
                if !report.needs_restart.is_empty() {
                    notice.push(format!(
                        "{} {}",
                        st.needs_restart,
                        report.needs_restart.join(", ")
                    ));
                }
            }
            Err(e) => notice.push(format!("{} {e}", st.reload_failed)),
        }
    }
    notice.extend(saved.warnings.iter().map(ToString::to_string));
    Saved::Done(notice, Box::new(saved.settings))
}

/// One input of a form.
pub(crate) struct Input {
    pub key: &'static str,
    pub value: String,
    pub placeholder: &'static str,
    pub error: Option<String>,
}

struct DeviceRow {
    username: String,
    upstream: String,
    password_set: bool,
    error: Option<String>,
}

struct UpstreamBlock {
    name: String,
    inputs: Vec<Input>,
    password_set: bool,
    password_error: Option<String>,
    error: Option<String>,
}

#[derive(Template)]
#[template(path = "settings.html")]
struct SettingsPage {
    page: Layout,
    st: &'static SetupTexts,
    version: String,
    notice: Vec<String>,
    problems: Vec<String>,
    listen: Vec<Input>,
    delivery: Vec<Input>,
    devices: Vec<DeviceRow>,
    new_device: Vec<Input>,
    upstreams: Vec<UpstreamBlock>,
}

/// What a failed submission puts back into the page.
#[derive(Default)]
struct Redo {
    /// The submitted form's values (the section is named by `errors`' forms).
    values: Fields,
    form: Option<Form>,
    errors: Vec<FieldError>,
    problems: Vec<String>,
    notice: Vec<String>,
}

async fn page(
    State(state): State<AppState>,
    AuthSession(session): AuthSession,
    UiLang(lang): UiLang,
    uri: Uri,
) -> Response {
    let layout = Layout::new(lang, Some(&session), nav::SETTINGS, &uri);
    show(&state, layout, StatusCode::OK, Redo::default()).await
}

async fn show(state: &AppState, layout: Layout, status: StatusCode, redo: Redo) -> Response {
    let st = setup_texts(layout.lang);
    let Some(file) = config_file(state) else {
        return error_page(StatusCode::NOT_FOUND, layout, st.no_config.to_string());
    };
    let view = match tokio::task::spawn_blocking(move || file.view()).await {
        Ok(Ok(view)) => view,
        Ok(Err(e)) => return error_page(StatusCode::INTERNAL_SERVER_ERROR, layout, e.to_string()),
        Err(e) => return error_page(StatusCode::INTERNAL_SERVER_ERROR, layout, e.to_string()),
    };
    let body = build(layout, st, &view, redo);
    render(status, &body)
}

fn error_for(redo: &Redo, form: &Form, field: &str) -> Option<String> {
    redo.errors
        .iter()
        .find(|e| &e.form == form && e.field.as_deref() == Some(field))
        .map(|e| e.message.clone())
}

fn inputs<F: Copy>(
    all: &[F],
    key: impl Fn(F) -> &'static str,
    default: impl Fn(F) -> &'static str,
    value: impl Fn(F) -> Option<String>,
    redo: &Redo,
    form: &Form,
) -> Vec<Input> {
    let submitted = redo.form.as_ref() == Some(form);
    all.iter()
        .map(|&f| Input {
            key: key(f),
            value: if submitted {
                field(&redo.values, key(f)).to_string()
            } else {
                value(f).unwrap_or_default()
            },
            placeholder: default(f),
            error: error_for(redo, form, key(f)),
        })
        .collect()
}

fn build(page: Layout, st: &'static SetupTexts, view: &View, redo: Redo) -> SettingsPage {
    let mut placed: Vec<&FieldError> = Vec::new();
    let listen = inputs(
        ListenField::ALL,
        ListenField::key,
        ListenField::default_text,
        |f| {
            view.listen
                .iter()
                .find(|v| v.field == f)
                .and_then(|v| v.value.clone())
        },
        &redo,
        &Form::Listen,
    );
    let delivery = inputs(
        DeliveryField::ALL,
        DeliveryField::key,
        DeliveryField::default_text,
        |f| {
            view.delivery
                .iter()
                .find(|v| v.field == f)
                .and_then(|v| v.value.clone())
        },
        &redo,
        &Form::Delivery,
    );
    let devices = view
        .devices
        .iter()
        .map(|d| DeviceRow {
            username: d.username.clone(),
            upstream: d.upstream.clone().unwrap_or_default(),
            password_set: d.password_set,
            error: redo
                .errors
                .iter()
                .find(|e| e.form == Form::Device(d.username.clone()))
                .map(|e| e.message.clone()),
        })
        .collect();
    let upstreams = view
        .upstreams
        .iter()
        .map(|u| upstream_block(u, &redo))
        .collect();
    let new_device = new_device_inputs(view, &redo);
    for e in &redo.errors {
        let shown = match &e.form {
            Form::Listen | Form::Delivery => e.field.is_some(),
            Form::Device(_) | Form::Upstream(_) => true,
            Form::OAuth(_) | Form::File => false,
        };
        if shown {
            placed.push(e);
        }
    }
    let mut problems = redo.problems;
    problems.extend(
        redo.errors
            .iter()
            .filter(|e| !placed.contains(e))
            .map(ToString::to_string),
    );
    SettingsPage {
        version: view.version.as_str().to_string(),
        notice: redo.notice,
        problems,
        listen,
        delivery,
        devices,
        new_device,
        upstreams,
        page,
        st,
    }
}

fn upstream_block(
    u: &scanrelay_gateway::config::edit::EntryView<UpstreamField>,
    redo: &Redo,
) -> UpstreamBlock {
    let form = Form::Upstream(u.name.clone());
    UpstreamBlock {
        inputs: inputs(
            UpstreamField::ALL,
            UpstreamField::key,
            UpstreamField::default_text,
            |f| u.value(f).map(str::to_string),
            redo,
            &form,
        ),
        password_set: u.password_set,
        password_error: error_for(redo, &form, "password"),
        error: redo
            .errors
            .iter()
            .find(|e| e.form == form && e.field.is_none())
            .map(|e| e.message.clone()),
        name: u.name.clone(),
    }
}

/// The add-device form, with the errors of a device account that is not in the file.
fn new_device_inputs(view: &View, redo: &Redo) -> Vec<Input> {
    let known = |name: &str| view.devices.iter().any(|d| d.username == name);
    let error = |key: &str| {
        redo.errors
            .iter()
            .find(|e| {
                matches!(&e.form, Form::Device(name) if !known(name))
                    && e.field.as_deref().is_none_or(|f| f == key)
            })
            .map(|e| e.message.clone())
    };
    let adding = redo.form == Some(Form::Device(String::new()));
    ["username", "upstream"]
        .into_iter()
        .map(|key| Input {
            key,
            value: if adding {
                field(&redo.values, key).to_string()
            } else {
                String::new()
            },
            placeholder: "",
            error: error(key),
        })
        .chain([Input {
            key: "password",
            value: String::new(),
            placeholder: "",
            error: error("password"),
        }])
        .collect()
}

/// Saves `changes` and shows the page again: with the notice, or with the errors next to
/// their fields and the submitted values.
async fn submit(
    state: AppState,
    session: crate::auth::Session,
    lang: Lang,
    form: Form,
    values: Fields,
    changes: Vec<Change>,
) -> Response {
    let uri: Uri = "/settings".parse().expect("valid");
    let layout = Layout::new(lang, Some(&session), nav::SETTINGS, &uri);
    let version = field(&values, "version").to_string();
    let st = setup_texts(lang);
    let (status, redo) = match save(&state, lang, &version, changes).await {
        Saved::Done(notice, _) => (
            StatusCode::OK,
            Redo {
                notice,
                ..Redo::default()
            },
        ),
        Saved::Rejected(errors) => (
            StatusCode::UNPROCESSABLE_ENTITY,
            Redo {
                values: without_secrets(values),
                form: Some(form),
                errors,
                problems: vec![st.not_saved.to_string()],
                notice: Vec::new(),
            },
        ),
        Saved::Conflict => (
            StatusCode::CONFLICT,
            Redo {
                problems: vec![st.conflict.to_string()],
                ..Redo::default()
            },
        ),
        Saved::Failed(message) => (
            StatusCode::INTERNAL_SERVER_ERROR,
            Redo {
                problems: vec![message],
                ..Redo::default()
            },
        ),
    };
    show(&state, layout, status, redo).await
}

/// A submitted form without its password fields, which are never written back into a page.
fn without_secrets(mut values: Fields) -> Fields {
    values.retain(|k, _| !k.contains("password") && k != "csrf");
    values
}

async fn listen(
    State(state): State<AppState>,
    UiLang(lang): UiLang,
    AuthForm(session, form): AuthForm<Fields>,
) -> Response {
    let changes = ListenField::ALL
        .iter()
        .filter(|f| form.contains_key(f.key()))
        .map(|&f| Change::Listen(f, field(&form, f.key()).to_string()))
        .collect();
    submit(state, session, lang, Form::Listen, form, changes).await
}

async fn delivery(
    State(state): State<AppState>,
    UiLang(lang): UiLang,
    AuthForm(session, form): AuthForm<Fields>,
) -> Response {
    let changes = DeliveryField::ALL
        .iter()
        .filter(|f| form.contains_key(f.key()))
        .map(|&f| Change::Delivery(f, field(&form, f.key()).to_string()))
        .collect();
    submit(state, session, lang, Form::Delivery, form, changes).await
}

async fn device_add(
    State(state): State<AppState>,
    UiLang(lang): UiLang,
    headers: axum::http::HeaderMap,
    AuthForm(session, form): AuthForm<Fields>,
) -> Response {
    let username = field(&form, "username").trim().to_string();
    let typed = field(&form, "password").to_string();
    let (password, generated) = if typed.is_empty() {
        let new = scanrelay_setup::new_device(&mut rand::rng(), None, &[]);
        (new.password.clone(), Some(new.password))
    } else {
        (typed, None)
    };
    let changes = vec![Change::AddDevice {
        username: username.clone(),
        password: SecretInput::Set(password),
        upstream: field(&form, "upstream").to_string(),
    }];
    match save(&state, lang, field(&form, "version"), changes.clone()).await {
        Saved::Done(_, settings) => {
            let uri: Uri = "/settings".parse().expect("valid");
            let layout = Layout::new(lang, Some(&session), nav::SETTINGS, &uri);
            super::wizard::sheet_after_save(
                layout,
                &headers,
                &settings,
                &username,
                generated.as_deref(),
            )
        }
        _ => {
            submit(
                state,
                session,
                lang,
                Form::Device(String::new()),
                form,
                changes,
            )
            .await
        }
    }
}

async fn device_password(
    State(state): State<AppState>,
    UiLang(lang): UiLang,
    AuthForm(session, form): AuthForm<Fields>,
) -> Response {
    let username = field(&form, "username").to_string();
    let changes = vec![Change::DevicePassword {
        password: SecretInput::Set(field(&form, "password").to_string()),
        username: username.clone(),
    }];
    submit(state, session, lang, Form::Device(username), form, changes).await
}

async fn device_remove(
    State(state): State<AppState>,
    UiLang(lang): UiLang,
    AuthForm(session, form): AuthForm<Fields>,
) -> Response {
    let username = field(&form, "username").to_string();
    let changes = vec![Change::RemoveDevice {
        username: username.clone(),
    }];
    submit(state, session, lang, Form::Device(username), form, changes).await
}

async fn upstream(
    State(state): State<AppState>,
    UiLang(lang): UiLang,
    AuthForm(session, form): AuthForm<Fields>,
) -> Response {
    let name = field(&form, "upstream").to_string();
    let mut changes: Vec<Change> = UpstreamField::ALL
        .iter()
        .filter(|f| form.contains_key(f.key()))
        .map(|&f| Change::Upstream {
            name: name.clone(),
            field: f,
            value: field(&form, f.key()).to_string(),
        })
        .collect();
    // A new name last: the other changes find the upstream by its old one.
    changes.sort_by_key(|c| {
        matches!(
            c,
            Change::Upstream {
                field: UpstreamField::Name,
                ..
            }
        )
    });
    let password = if field(&form, "clear_password") == "on" {
        SecretInput::Clear
    } else {
        SecretInput::from_form(field(&form, "password"))
    };
    changes.push(Change::UpstreamPassword {
        name: name.clone(),
        password,
    });
    submit(state, session, lang, Form::Upstream(name), form, changes).await
}

async fn upstream_remove(
    State(state): State<AppState>,
    UiLang(lang): UiLang,
    AuthForm(session, form): AuthForm<Fields>,
) -> Response {
    let name = field(&form, "upstream").to_string();
    let changes = vec![Change::RemoveUpstream { name: name.clone() }];
    submit(state, session, lang, Form::Upstream(name), form, changes).await
}
