//! What every page shares: the [`Layout`] its template extends `base.html` with (language,
//! texts, CSRF token for the header's logout form, the active menu item), rendering a template
//! into a response, the error page, and [`FormErrors`] for showing a form's problems next to
//! their fields.

use askama::Template;
use axum::http::StatusCode;
use axum::http::Uri;
use axum::response::{Html, IntoResponse, Response};

use crate::auth::Session;
use crate::i18n::{self, Lang, Texts};

/// The menu items (`nav` of [`Layout`]).
pub mod nav {
    /// Dashboard.
    pub const DASHBOARD: &str = "dashboard";
    /// Queue.
    pub const QUEUE: &str = "queue";
    /// Devices.
    pub const DEVICES: &str = "devices";
    /// Events.
    pub const EVENTS: &str = "events";
    /// Settings.
    pub const SETTINGS: &str = "settings";
    /// The setup wizard.
    pub const WIZARD: &str = "wizard";
    /// None (login, setup, errors).
    pub const NONE: &str = "";
}

/// The base template's values.
#[derive(Debug, Clone)]
pub struct Layout {
    /// Texts in the page's language.
    pub t: &'static Texts,
    /// The page's language.
    pub lang: Lang,
    /// Whether the menu and logout are shown.
    pub authed: bool,
    /// The session's CSRF token, for forms (empty without a session).
    pub csrf: String,
    /// The active menu item, one of [`nav`].
    pub nav: &'static str,
    /// This page's path and query, where the language switch comes back to.
    pub here: String,
}

impl Layout {
    /// The layout of a page at `uri` for `session` (if any) in `lang`.
    pub fn new(lang: Lang, session: Option<&Session>, nav: &'static str, uri: &Uri) -> Layout {
        Layout {
            t: i18n::texts(lang),
            lang,
            authed: session.is_some_and(|s| s.authed),
            csrf: session.map(|s| s.csrf.clone()).unwrap_or_default(),
            nav,
            here: uri
                .path_and_query()
                .map_or_else(|| "/".to_string(), |pq| pq.as_str().to_string()),
        }
    }
}

/// `template` rendered as an HTML response with `status`.
pub fn render<T: Template>(status: StatusCode, template: &T) -> Response {
    match template.render() {
        Ok(html) => (status, Html(html)).into_response(),
        Err(e) => {
            tracing::error!("console: a page failed to render: {e}");
            (
                StatusCode::INTERNAL_SERVER_ERROR,
                "500 Internal Server Error: the page failed to render",
            )
                .into_response()
        }
    }
}

/// The error page.
#[derive(Template)]
#[template(path = "error.html")]
pub struct ErrorPage {
    /// The layout.
    pub page: Layout,
    /// What went wrong, in the page's language.
    pub message: String,
    /// Where the back link goes.
    pub back: String,
}

/// `404` with the page language's "not found" text (a message, check or sign-in that is not
/// there, or is another session's; an unknown wizard provider).
pub fn not_found_page(page: Layout) -> Response {
    let message = page.t.not_found.to_string();
    error_page(StatusCode::NOT_FOUND, page, message)
}

/// An error page with `status` and `message`.
pub fn error_page(status: StatusCode, page: Layout, message: String) -> Response {
    let back = if page.authed { "/" } else { "/login" }.to_string();
    render(
        status,
        &ErrorPage {
            page,
            message,
            back,
        },
    )
}

/// A form's problems: each with the field it belongs to (`""` for the form as a whole),
/// shown next to that field. Templates: `{% if let Some(e) = errors.get("password") %}`.
#[derive(Debug, Clone, Default)]
pub struct FormErrors(Vec<(&'static str, String)>);

impl FormErrors {
    /// No problems.
    pub fn none() -> FormErrors {
        FormErrors::default()
    }

    /// Adds a problem with `field`.
    pub fn add(&mut self, field: &'static str, message: impl Into<String>) {
        self.0.push((field, message.into()));
    }

    /// The problem with `field`, if any.
    pub fn get(&self, field: &str) -> Option<&str> {
        self.0
            .iter()
            .find(|(f, _)| *f == field)
            .map(|(_, m)| m.as_str())
    }

    /// Whether there is none.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}
