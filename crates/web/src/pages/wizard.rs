//! The setup wizard: `GET /wizard` (choose the provider and how it logs in), `GET|POST
//! /wizard/{provider}/{method}` (the provider's own steps, then the upstream form filled in
//! from the gateway's presets; Check connection or Save), and the device sheet made on save
//! (`/settings/device/sheet` shows it again later, without the password). The steps, the
//! pre-filled values and the sheet come from `scanrelay-setup`; the check runs in
//! [`super::wizard_check`], and an OAuth2 upstream's sign-in (the sheet's "Sign in") in
//! [`super::wizard_signin`]. Saving writes the config with `config::edit` (an upstream, its
//! `[[oauth]]` account for OAuth2, and a generated device account) and reloads the gateway.

use std::net::IpAddr;

use askama::Template;
use axum::Router;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, StatusCode, Uri, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use scanrelay_gateway::config::edit::{Change, FieldError, Form, SecretInput};
use scanrelay_gateway::settings::Settings;
use scanrelay_setup::{
    Method, ProviderChoice, STORED_FORM, SheetInput, UpstreamForm, catalogue, choice, device_sheet,
    steps,
};

use super::settings::{Fields, Saved, config_file, field, save};
use crate::app::AppState;
use crate::auth::{AuthForm, AuthSession};
use crate::i18n::{SetupTexts, UiLang, setup_texts};
use crate::layout::{Layout, error_page, nav, render};

const JS: &str = include_str!("../../static/wizard.js");
const CSS: &str = include_str!("../../static/setup.css");

/// `/wizard`, `/wizard/{provider}/{method}`, the check's pages and the wizard's static files.
pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/wizard", get(choose))
        .route("/wizard/{slug}/{method}", get(form_page).post(submit))
        .merge(super::wizard_check::routes())
        .merge(super::wizard_signin::routes())
        .route("/static/wizard.js", get(|| asset("text/javascript", JS)))
        .route("/static/setup.css", get(|| asset("text/css", CSS)))
}

async fn asset(kind: &'static str, body: &'static str) -> impl IntoResponse {
    let kind = format!("{kind}; charset=utf-8");
    (
        [
            (header::CONTENT_TYPE, kind.as_str().to_owned()),
            (header::CACHE_CONTROL, "no-cache".to_owned()),
        ],
        body,
    )
}

/// A method in URLs.
pub(crate) fn method_slug(m: Method) -> &'static str {
    match m {
        Method::AppPassword => "app-password",
        Method::Password => "password",
        Method::OAuth2 => "oauth2",
        Method::NoLogin => "no-login",
    }
}

fn method_of(slug: &str) -> Option<Method> {
    [
        Method::AppPassword,
        Method::Password,
        Method::OAuth2,
        Method::NoLogin,
    ]
    .into_iter()
    .find(|m| method_slug(*m) == slug)
}

struct ChoiceLink {
    name: String,
    methods: Vec<(String, String)>,
}

#[derive(Template)]
#[template(path = "wizard.html")]
struct ChoosePage {
    page: Layout,
    st: &'static SetupTexts,
    choices: Vec<ChoiceLink>,
}

async fn choose(AuthSession(session): AuthSession, UiLang(lang): UiLang, uri: Uri) -> Response {
    let st = setup_texts(lang);
    let choices = catalogue()
        .iter()
        .map(|c| ChoiceLink {
            name: c.name().get(lang).to_string(),
            methods: c
                .methods
                .iter()
                .enumerate()
                .map(|(i, m)| {
                    let mut label = m.label().get(lang).to_string();
                    if i == 0 && c.methods.len() > 1 {
                        label = format!("{label} ({})", st.recommended);
                    }
                    (format!("/wizard/{}/{}", c.slug, method_slug(*m)), label)
                })
                .collect(),
        })
        .collect();
    let page = Layout::new(lang, Some(&session), nav::WIZARD, &uri);
    render(StatusCode::OK, &ChoosePage { page, st, choices })
}

/// One labelled input of the wizard's form.
pub(crate) struct Input {
    pub key: &'static str,
    pub label: String,
    pub value: String,
    pub secret: bool,
    pub error: Option<String>,
}

#[derive(Template)]
#[template(path = "wizard_form.html")]
struct FormPage {
    page: Layout,
    st: &'static SetupTexts,
    title: String,
    action: String,
    steps: Vec<(String, String)>,
    address: String,
    version: String,
    inputs: Vec<Input>,
    notes: Vec<String>,
    problems: Vec<String>,
    can_check: bool,
}

#[derive(serde::Deserialize, Default)]
struct AddressQuery {
    #[serde(default)]
    address: String,
}

fn lookup(slug: &str, method: &str) -> Option<(&'static ProviderChoice, Method)> {
    let c = choice(slug)?;
    let m = method_of(method).filter(|m| c.methods.contains(m))?;
    Some((c, m))
}

async fn form_page(
    State(state): State<AppState>,
    AuthSession(session): AuthSession,
    UiLang(lang): UiLang,
    uri: Uri,
    Path((slug, method)): Path<(String, String)>,
    Query(q): Query<AddressQuery>,
) -> Response {
    let page = Layout::new(lang, Some(&session), nav::WIZARD, &uri);
    let Some((c, m)) = lookup(&slug, &method) else {
        return crate::layout::not_found_page(page);
    };
    let mut values = Fields::new();
    values.insert("address".into(), q.address);
    show_form(&state, page, c, m, &values, Vec::new(), Vec::new()).await
}

/// The form, filled from the preset for the address, or with `values` as submitted.
pub(crate) async fn show_form(
    state: &AppState,
    page: Layout,
    c: &'static ProviderChoice,
    m: Method,
    values: &Fields,
    errors: Vec<FieldError>,
    mut problems: Vec<String>,
) -> Response {
    let lang = page.lang;
    let st = setup_texts(lang);
    let version = match current_version(state).await {
        Some(v) => v,
        None => return error_page(StatusCode::NOT_FOUND, page, st.no_config.to_string()),
    };
    let address = field(values, "address").trim().to_string();
    let submitted = values.contains_key("name");
    let inputs = form_inputs(c, m, values, submitted, &errors, st);
    let placed = |e: &&FieldError| {
        matches!(e.form, Form::Upstream(_) | Form::OAuth(_) | Form::Device(_)) && e.field.is_some()
    };
    problems.extend(
        errors
            .iter()
            .filter(|e| !placed(e))
            .map(ToString::to_string),
    );
    let mut notes = Vec::new();
    if c.preset(&address)
        .is_some_and(|p| p.id.starts_with("gmail") || p.id == "workspace")
        && m == Method::AppPassword
    {
        notes.push(STORED_FORM.get(lang).to_string());
    }
    if let Some(o) = c.prefill(m, &address).oauth {
        notes.push(match o.flow {
            "device_code" => st.oauth_signin_note.to_string(),
            _ => st.oauth_check_note.to_string(),
        });
    }
    let status = if errors.is_empty() && problems.is_empty() {
        StatusCode::OK
    } else {
        StatusCode::UNPROCESSABLE_ENTITY
    };
    let body = FormPage {
        title: format!("{} · {}", c.name().get(lang), m.label().get(lang)),
        action: format!("/wizard/{}/{}", c.slug, method_slug(m)),
        steps: steps(c.choice, m)
            .into_iter()
            .map(|s| (s.title.get(lang).to_string(), s.body.get(lang).to_string()))
            .collect(),
        address,
        version,
        inputs,
        notes,
        problems,
        can_check: m != Method::OAuth2,
        page,
        st,
    };
    render(status, &body)
}

async fn current_version(state: &AppState) -> Option<String> {
    let file = config_file(state)?;
    let read = tokio::task::spawn_blocking(move || file.read())
        .await
        .ok()?;
    read.ok().map(|(_, v)| v.as_str().to_string())
}

/// The inputs for `c` and `m`: pre-filled from the preset, or as submitted.
fn form_inputs(
    c: &ProviderChoice,
    m: Method,
    values: &Fields,
    submitted: bool,
    errors: &[FieldError],
    st: &SetupTexts,
) -> Vec<Input> {
    let p = c.prefill(m, field(values, "address"));
    let mut keys: Vec<(&'static str, String, String)> = vec![
        ("name", "name".into(), p.name.clone()),
        ("server", "server".into(), p.server.clone()),
        (
            "port",
            "port".into(),
            p.port.map_or_else(String::new, |p| p.to_string()),
        ),
        ("tls", "tls".into(), p.tls.as_str().into()),
    ];
    if m != Method::NoLogin {
        keys.push(("username", "username".into(), p.username.clone()));
    }
    if matches!(m, Method::AppPassword | Method::Password) {
        keys.push(("password", st.password.into(), String::new()));
    }
    if p.needs_helo {
        keys.push(("helo", "helo".into(), String::new()));
    }
    if let Some(o) = &p.oauth {
        keys.push(("oauth", "oauth".into(), p.name.clone()));
        keys.push((
            "client_id",
            format!("{} client_id", st.oauth_client),
            String::new(),
        ));
        if o.provider == "microsoft" {
            keys.push(("tenant", "tenant".into(), o.tenant.unwrap_or("").into()));
        } else {
            keys.push((
                "client_secret_file",
                "client_secret_file".into(),
                String::new(),
            ));
        }
    }
    keys.push((
        "sender",
        st.sender.into(),
        if p.username.contains('@') {
            p.username.clone()
        } else {
            String::new()
        },
    ));
    keys.push(("device_label", st.device_label.into(), String::new()));
    if m != Method::OAuth2 {
        keys.push(("to", st.check_to.into(), String::new()));
    }
    keys.into_iter()
        .map(|(key, label, preset)| Input {
            key,
            label,
            value: match (key, submitted) {
                ("password", _) => String::new(),
                (_, true) => field(values, key).to_string(),
                (_, false) => preset,
            },
            secret: key == "password",
            error: error_of(errors, key),
        })
        .collect()
}

/// The error for a form input: the upstream's keys by name, the OAuth account's, the device's.
fn error_of(errors: &[FieldError], key: &str) -> Option<String> {
    errors
        .iter()
        .find(|e| {
            let f = e.field.as_deref();
            match &e.form {
                Form::Upstream(_) => {
                    f == Some(key) || (key == "password" && f == Some("password_file"))
                }
                Form::OAuth(_) => f == Some(key) || (key == "oauth" && f == Some("name")),
                Form::Device(_) => key == "device_label",
                _ => false,
            }
        })
        .map(|e| e.message.clone())
}

async fn submit(
    State(state): State<AppState>,
    UiLang(lang): UiLang,
    uri: Uri,
    headers: HeaderMap,
    Path((slug, method)): Path<(String, String)>,
    AuthForm(session, form): AuthForm<Fields>,
) -> Response {
    let page = Layout::new(lang, Some(&session), nav::WIZARD, &uri);
    let Some((c, m)) = lookup(&slug, &method) else {
        return crate::layout::not_found_page(page);
    };
    if field(&form, "action") == "check" && m != Method::OAuth2 {
        return super::wizard_check::start(&state, page, &session, c, m, form).await;
    }
    save_wizard(&state, page, &headers, c, m, &form).await
}

/// Saves what the wizard's form holds (an upstream, its OAuth2 account, a new device account)
/// and shows the device sheet; or the form again with the errors.
pub(crate) async fn save_wizard(
    state: &AppState,
    page: Layout,
    headers: &HeaderMap,
    c: &'static ProviderChoice,
    m: Method,
    form: &Fields,
) -> Response {
    let lang = page.lang;
    let p = c.prefill(m, field(form, "address"));
    let name = field(form, "name").trim().to_string();
    let mut changes = Vec::new();
    if let Some(o) = &p.oauth {
        changes.push(o.change(
            field(form, "oauth"),
            field(form, "client_id"),
            field(form, "tenant"),
            field(form, "client_secret_file"),
        ));
    }
    changes.push(p.change(&UpstreamForm {
        name: name.clone(),
        server: field(form, "server").into(),
        port: field(form, "port").into(),
        tls: field(form, "tls").into(),
        username: field(form, "username").into(),
        password: SecretInput::from_form(field(form, "password")),
        oauth: field(form, "oauth").into(),
        helo: field(form, "helo").into(),
    }));
    let taken: Vec<String> = state
        .backend
        .settings()
        .devices
        .iter()
        .map(|d| d.username.clone())
        .collect();
    let taken: Vec<&str> = taken.iter().map(String::as_str).collect();
    let label = Some(field(form, "device_label")).filter(|l| !l.trim().is_empty());
    let device = scanrelay_setup::new_device(&mut rand::rng(), label, &taken);
    changes.push(Change::AddDevice {
        username: device.username.clone(),
        password: SecretInput::Set(device.password.clone()),
        upstream: name,
    });
    let sender = field(form, "sender").trim().to_string();
    match save(state, lang, field(form, "version"), changes).await {
        Saved::Done(_, settings) => sheet(
            page,
            headers,
            &settings,
            &device.username,
            Some(&device.password),
            Some(&sender),
        ),
        Saved::Rejected(errors) => {
            show_form(
                state,
                page,
                c,
                m,
                &keep(form),
                errors,
                vec![setup_texts(lang).not_saved.into()],
            )
            .await
        }
        Saved::Conflict => {
            show_form(
                state,
                page,
                c,
                m,
                &keep(form),
                Vec::new(),
                vec![setup_texts(lang).conflict.into()],
            )
            .await
        }
        Saved::Failed(message) => error_page(StatusCode::INTERNAL_SERVER_ERROR, page, message),
    }
}

/// The submitted values to show again: never the password.
pub(crate) fn keep(form: &Fields) -> Fields {
    let mut values = form.clone();
    values.retain(|k, _| k != "password" && k != "csrf");
    values
}

#[derive(Template)]
#[template(path = "sheet.html")]
struct SheetPage {
    page: Layout,
    st: &'static SetupTexts,
    username: String,
    rows: Vec<(String, String, String)>,
    problems: Vec<String>,
    menu_hint: String,
    /// The device-code `[[oauth]]` account of the sheet's upstream, to sign in from here.
    signin: Option<String>,
}

/// The device sheet for account `username` (its password only when just generated).
pub(crate) fn sheet(
    page: Layout,
    headers: &HeaderMap,
    settings: &Settings,
    username: &str,
    password: Option<&str>,
    sender: Option<&str>,
) -> Response {
    let lang = page.lang;
    let st = setup_texts(lang);
    let route = settings
        .routing
        .devices
        .iter()
        .find(|(u, _)| u == username)
        .map(|(_, up)| up.clone());
    let upstream = match &route {
        Some(name) => settings.upstreams.iter().find(|u| &u.name == name),
        None => settings.upstreams.first(),
    };
    let fallback_sender = upstream
        .and_then(|u| u.username.clone())
        .filter(|u| u.contains('@'))
        .unwrap_or_default();
    let sender = sender
        .filter(|s| !s.is_empty())
        .map_or(fallback_sender, str::to_string);
    let signin = upstream
        .and_then(|u| u.oauth.as_deref())
        .and_then(|name| settings.oauth.iter().find(|a| a.name == name))
        .filter(|a| a.flow == scanrelay_oauth::Flow::DeviceCode)
        .map(|a| a.name.clone());
    let lan = lan_address(headers, settings);
    let s = device_sheet(&SheetInput {
        listen: &settings.listen,
        lan_address: &lan,
        username: Some(username),
        password,
        sender: &sender,
        device_ip: None,
        mode: None,
        upstream,
    });
    let body = SheetPage {
        username: username.to_string(),
        rows: s
            .rows
            .iter()
            .map(|r| {
                let note = r
                    .note
                    .as_ref()
                    .map_or_else(String::new, |n| n.get(lang).to_string());
                (
                    r.label.get(lang).to_string(),
                    r.value.get(lang).to_string(),
                    note,
                )
            })
            .collect(),
        problems: s.problems.iter().map(|p| p.get(lang).to_string()).collect(),
        menu_hint: s.menu_hint.get(lang).to_string(),
        signin,
        page,
        st,
    };
    render(StatusCode::OK, &body)
}

/// The address devices reach this machine at: the host the browser used for the console,
/// unless that is loopback; else the SMTP listener's own address.
fn lan_address(headers: &HeaderMap, settings: &Settings) -> String {
    let host = headers
        .get(header::HOST)
        .and_then(|h| h.to_str().ok())
        .map(|h| match h.strip_prefix('[') {
            Some(rest) => rest.split(']').next().unwrap_or(rest).to_string(),
            None => h.rsplit_once(':').map_or(h, |(host, _)| host).to_string(),
        })
        .filter(|h| {
            !h.is_empty()
                && !h.eq_ignore_ascii_case("localhost")
                && !h.parse::<IpAddr>().is_ok_and(|ip| ip.is_loopback())
        });
    host.or_else(|| {
        [settings.listen.smtp, settings.listen.smtps]
            .into_iter()
            .flatten()
            .map(|a| a.ip())
            .find(|ip| !ip.is_loopback() && !ip.is_unspecified())
            .map(|ip| ip.to_string())
    })
    .unwrap_or_else(|| settings.listen.hostname.clone())
}

/// After a device account was added from the settings page: its sheet, with the password
/// shown this once.
pub(crate) fn sheet_after_save(
    page: Layout,
    headers: &HeaderMap,
    settings: &Settings,
    username: &str,
    password: Option<&str>,
) -> Response {
    sheet(page, headers, settings, username, password, None)
}

#[derive(serde::Deserialize)]
pub(crate) struct SheetQuery {
    username: String,
}

/// `GET /settings/device/sheet?username=`: the sheet of an existing account, without its
/// password.
pub(crate) async fn device_sheet_page(
    State(state): State<AppState>,
    AuthSession(session): AuthSession,
    UiLang(lang): UiLang,
    uri: Uri,
    headers: HeaderMap,
    Query(q): Query<SheetQuery>,
) -> Response {
    let page = Layout::new(lang, Some(&session), nav::SETTINGS, &uri);
    let settings = state.backend.settings();
    if !settings.devices.iter().any(|d| d.username == q.username) {
        return crate::layout::not_found_page(page);
    }
    sheet(page, &headers, &settings, &q.username, None, None)
}
