//! The wizard's Check connection: the same check as `scanrelay check` (`scanrelay_check`: a
//! request, its plan, `run` with an observer), started by the form's POST and running in its
//! own task; `GET /wizard/check/{id}` shows the steps finished so far and, at the end, the
//! diagnosis in the page's language with the full report; `/wizard/check/{id}/steps` gives the
//! steps as JSON, which `static/wizard.js` polls to show them as they happen.
//!
//! A check belongs to the session that started it. It keeps the submitted form, password
//! included, in memory only, so "Save" on the result page needs no retyping and the password
//! never goes into a page; "Back" (`/wizard/check/{id}/form`) shows the form again as it was
//! submitted, without the password, so a failed check is fixed by changing one field; the
//! last [`KEPT`] checks are kept.

use std::sync::{Arc, LazyLock, Mutex};
use std::time::Duration;

use askama::Template;
use axum::Json;
use axum::Router;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode, Uri};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use scanrelay_check::{CheckEvent, CheckRequest, Field, Observer, Secret, StepEvent};
use scanrelay_setup::{Method, ProviderChoice, choice};
use serde::Serialize;

use super::settings::{Fields, field};
use super::wizard::{keep, save_wizard, show_form};
use crate::app::AppState;
use crate::auth::{AuthForm, AuthSession, Session};
use crate::i18n::{Lang, SetupTexts, UiLang, setup_texts};
use crate::layout::{Layout, nav, render};

/// How many checks are kept.
const KEPT: usize = 32;
/// Each step's timeout.
const STEP_TIMEOUT: Duration = Duration::from_secs(20);

/// The end of a check, ready to show.
#[derive(Clone, Serialize)]
struct Done {
    ok: bool,
    cause: String,
    summary: String,
    fix: String,
    report: String,
}

struct Job {
    id: String,
    session: String,
    slug: &'static str,
    method: Method,
    form: Fields,
    /// Where "Back" goes; a check of a saved upstream (after an OAuth2 sign-in) has nothing
    /// to save.
    back: String,
    saveable: bool,
    steps: Vec<StepEvent>,
    done: Option<Done>,
}

static JOBS: LazyLock<Mutex<Vec<Arc<Mutex<Job>>>>> = LazyLock::new(Mutex::default);

/// `/wizard/check/{id}`, `/wizard/check/{id}/steps`, `/wizard/check/{id}/form`,
/// `/wizard/check/{id}/save`.
pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/wizard/check/{id}", get(page))
        .route("/wizard/check/{id}/steps", get(steps_json))
        .route("/wizard/check/{id}/form", get(form_again))
        .route("/wizard/check/{id}/save", post(save))
}

pub(crate) fn new_id() -> String {
    use rand::Rng as _;
    let mut rng = rand::rng();
    (0..16)
        .map(|_| format!("{:02x}", rng.random::<u8>()))
        .collect()
}

fn job(id: &str, session: &Session) -> Option<Arc<Mutex<Job>>> {
    let jobs = JOBS.lock().expect("jobs lock");
    jobs.iter()
        .find(|j| {
            let j = j.lock().expect("job lock");
            j.id == id && j.session == session.id
        })
        .cloned()
}

/// The check request the form describes.
fn request(
    c: &ProviderChoice,
    m: Method,
    form: &Fields,
    lang: Lang,
) -> Result<CheckRequest, (&'static str, String)> {
    let p = c.prefill(m, field(form, "address"));
    let text = |k: &str| Some(field(form, k).trim().to_string()).filter(|v| !v.is_empty());
    let port = match text("port") {
        None => None,
        Some(t) => Some(
            t.parse::<u16>()
                .map_err(|_| ("port", format!("\"{t}\": 1-65535")))?,
        ),
    };
    let tls = match text("tls") {
        None => None,
        Some(t) => Some(t.parse().map_err(|e: String| ("tls", e))?),
    };
    let password = field(form, "password");
    Ok(CheckRequest {
        provider: p.provider.map(str::to_string),
        server: text("server"),
        port,
        tls,
        user: text("username"),
        secret: (!password.is_empty()).then(|| Secret::Password(password.to_string())),
        to: text("to"),
        helo: text("helo"),
        timeout: STEP_TIMEOUT,
        lang,
        ..CheckRequest::default()
    })
}

fn input_of(f: Field) -> &'static str {
    match f {
        Field::Server | Field::Provider => "server",
        Field::CaFile => "server",
        Field::User => "username",
        Field::Secret | Field::Auth => "password",
        Field::To => "to",
    }
}

/// Starts the check the form describes and sends the browser to its page.
pub(crate) async fn start(
    state: &AppState,
    page: Layout,
    session: &Session,
    c: &'static ProviderChoice,
    m: Method,
    form: Fields,
) -> Response {
    let lang = page.lang;
    let planned = request(c, m, &form, lang)
        .and_then(|r| r.plan().map_err(|e| (input_of(e.field()), e.message(lang))));
    let plan = match planned {
        Ok(plan) => plan,
        Err((input, message)) => {
            let error = scanrelay_gateway::config::edit::FieldError {
                form: scanrelay_gateway::config::edit::Form::Upstream(
                    field(&form, "name").to_string(),
                ),
                field: Some(input.to_string()),
                key: None,
                message,
            };
            let mut values = form;
            values.remove("password");
            return show_form(state, page, c, m, &values, vec![error], Vec::new()).await;
        }
    };
    let id = new_id();
    let job = Job {
        back: format!("/wizard/check/{id}/form"),
        id: id.clone(),
        session: session.id.clone(),
        slug: c.slug,
        method: m,
        form,
        saveable: true,
        steps: Vec::new(),
        done: None,
    };
    spawn_check(job, plan);
    Redirect::to(&format!("/wizard/check/{id}")).into_response()
}

/// Starts checking a saved upstream with `request` (an OAuth2 upstream after its sign-in,
/// the access token as the secret); "Back" goes to `back`. Answers the check's page, or why
/// the request cannot be checked.
pub(crate) fn start_saved(
    session: &str,
    request: CheckRequest,
    back: String,
) -> Result<String, String> {
    let lang = request.lang;
    let plan = request.plan().map_err(|e| e.message(lang))?;
    let id = new_id();
    let c = choice("other").expect("the \"other\" choice exists");
    spawn_check(
        Job {
            id: id.clone(),
            session: session.to_string(),
            slug: c.slug,
            method: Method::OAuth2,
            form: Fields::new(),
            back,
            saveable: false,
            steps: Vec::new(),
            done: None,
        },
        plan,
    );
    Ok(format!("/wizard/check/{id}"))
}

/// Keeps `job` (the last [`KEPT`]) and runs its check in its own task.
fn spawn_check(job: Job, plan: scanrelay_check::Plan) {
    let job = Arc::new(Mutex::new(job));
    {
        let mut jobs = JOBS.lock().expect("jobs lock");
        jobs.push(job.clone());
        let extra = jobs.len().saturating_sub(KEPT);
        jobs.drain(..extra);
    }
    let seen = job.clone();
    let observer: Observer = Arc::new(move |event| {
        if let CheckEvent::Step(step) = event {
            seen.lock().expect("job lock").steps.push(step);
        }
    });
    tokio::spawn(async move {
        let outcome = scanrelay_check::run(&plan, Some(observer)).await;
        let done = Done {
            ok: outcome.ok(),
            cause: outcome.cause.to_string(),
            summary: plan.scrub(&outcome.advice.summary),
            fix: plan.scrub(&outcome.advice.fix),
            report: scanrelay_check::render_human(&plan, &outcome),
        };
        job.lock().expect("job lock").done = Some(done);
    });
}

struct StepRow {
    label: String,
    ok: bool,
    ms: u64,
    note: String,
    exchange: String,
}

#[derive(Template)]
#[template(path = "wizard_check.html")]
struct CheckPage {
    page: Layout,
    st: &'static SetupTexts,
    id: String,
    back: String,
    saveable: bool,
    steps: Vec<StepRow>,
    done: Option<Done>,
}

fn row(s: &StepEvent) -> StepRow {
    StepRow {
        label: s.label.clone(),
        ok: s.ok,
        ms: s.ms.round() as u64,
        note: s.note.clone().unwrap_or_default(),
        exchange: s.exchange.join("\n"),
    }
}

async fn page(
    AuthSession(session): AuthSession,
    UiLang(lang): UiLang,
    uri: Uri,
    Path(id): Path<String>,
) -> Response {
    let page = Layout::new(lang, Some(&session), nav::WIZARD, &uri);
    let Some(job) = job(&id, &session) else {
        return crate::layout::not_found_page(page);
    };
    let job = job.lock().expect("job lock");
    let body = CheckPage {
        st: setup_texts(lang),
        id: job.id.clone(),
        back: job.back.clone(),
        saveable: job.saveable,
        steps: job.steps.iter().map(row).collect(),
        done: job.done.clone(),
        page,
    };
    render(StatusCode::OK, &body)
}

/// "Back": the wizard's form with the values the check was started with, the password
/// excepted (never put back into a page).
async fn form_again(
    State(state): State<AppState>,
    AuthSession(session): AuthSession,
    UiLang(lang): UiLang,
    uri: Uri,
    Path(id): Path<String>,
) -> Response {
    let page = Layout::new(lang, Some(&session), nav::WIZARD, &uri);
    let Some(job) = job(&id, &session) else {
        return crate::layout::not_found_page(page);
    };
    let (slug, method, values) = {
        let job = job.lock().expect("job lock");
        if !job.saveable {
            return crate::layout::not_found_page(page);
        }
        (job.slug, job.method, keep(&job.form))
    };
    let c = choice(slug).expect("a job's choice exists");
    show_form(&state, page, c, method, &values, Vec::new(), Vec::new()).await
}

#[derive(Serialize)]
struct StepsJson {
    done: bool,
    steps: Vec<StepJson>,
}

#[derive(Serialize)]
struct StepJson {
    label: String,
    ok: bool,
    ms: u64,
    note: String,
    exchange: String,
}

async fn steps_json(AuthSession(session): AuthSession, Path(id): Path<String>) -> Response {
    let Some(job) = job(&id, &session) else {
        return StatusCode::NOT_FOUND.into_response();
    };
    let job = job.lock().expect("job lock");
    let steps = job
        .steps
        .iter()
        .map(|s| {
            let r = row(s);
            StepJson {
                label: r.label,
                ok: r.ok,
                ms: r.ms,
                note: r.note,
                exchange: r.exchange,
            }
        })
        .collect();
    Json(StepsJson {
        done: job.done.is_some(),
        steps,
    })
    .into_response()
}

async fn save(
    State(state): State<AppState>,
    UiLang(lang): UiLang,
    uri: Uri,
    headers: HeaderMap,
    Path(id): Path<String>,
    AuthForm(session, posted): AuthForm<Fields>,
) -> Response {
    let page = Layout::new(lang, Some(&session), nav::WIZARD, &uri);
    let Some(job) = job(&id, &session) else {
        return crate::layout::not_found_page(page);
    };
    let (slug, method, mut form) = {
        let job = job.lock().expect("job lock");
        if !job.saveable {
            return crate::layout::not_found_page(page);
        }
        (job.slug, job.method, job.form.clone())
    };
    // The file may have changed since the form was made: the result page sends the version
    // it was shown with.
    if let Some(v) = posted.get("version") {
        form.insert("version".into(), v.clone());
    }
    let c = choice(slug).expect("a job's choice exists");
    save_wizard(&state, page, &headers, c, method, &form).await
}
