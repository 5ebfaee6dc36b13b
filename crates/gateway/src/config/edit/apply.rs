//! Applying [`Change`]s to the document, and the validation loop that reports every bad field
//! of a submission, not only the first.

use std::path::Path;

use toml_edit::{DocumentMut, Item, Table, Value};

use super::fields::{self, Kind, UpstreamField};
use super::layout::{self, Addr};
use super::view::{Names, entries, text_of, upstream_entries};
use super::{Applied, Change, FieldError, Form, SecretInput, field_error, guard};
use crate::config::{ConfigError, ParseOptions, parse_str};

/// The shortest device password the console stores.
pub(crate) const MIN_DEVICE_PASSWORD: usize = 8;

pub(super) fn apply(
    text: &str,
    path: &Path,
    data_dir: &Path,
    opts: &ParseOptions,
    changes: &[Change],
) -> Result<Applied, Vec<FieldError>> {
    let base: DocumentMut = text.parse().map_err(|e: toml_edit::TomlError| {
        vec![file_error(format!(
            "the config file is not valid TOML, fix it by hand first: {}",
            e.message()
        ))]
    })?;
    let mut skipped = vec![false; changes.len()];
    let mut errors: Vec<FieldError> = Vec::new();
    // Each round leaves out at least one more change, so this ends.
    for _ in 0..=changes.len() {
        let mut doc = base.clone();
        let mut refused = false;
        for (i, change) in changes.iter().enumerate() {
            if skipped[i] {
                continue;
            }
            if let Err(e) = apply_one(&mut doc, change) {
                skipped[i] = true;
                errors.push(e);
                refused = true;
            }
        }
        if refused {
            continue;
        }
        let new_text = doc.to_string();
        let names = Names::of(&doc);
        let problem = match parse_str(&new_text, path, data_dir, opts) {
            Ok(loaded) => match guard::check(&loaded.settings, changes, &skipped) {
                None if errors.is_empty() => {
                    return Ok(Applied {
                        changed: new_text != text,
                        text: new_text,
                        warnings: loaded
                            .warnings
                            .iter()
                            .map(|w| field_error(w, &names))
                            .collect(),
                        settings: loaded.settings,
                    });
                }
                None => return Err(errors),
                Some(e) => e,
            },
            Err(ConfigError::Invalid(p)) => field_error(&p, &names),
            Err(other) => file_error(other.to_string()),
        };
        let culprits: Vec<usize> = (0..changes.len())
            .filter(|&i| !skipped[i] && blames(&changes[i], &problem))
            .collect();
        if !errors.contains(&problem) {
            errors.push(problem);
        }
        if culprits.is_empty() {
            return Err(errors);
        }
        for i in culprits {
            skipped[i] = true;
        }
    }
    Err(errors)
}

fn file_error(message: String) -> FieldError {
    FieldError {
        form: Form::File,
        field: None,
        key: None,
        message,
    }
}

fn error(form: Form, field: &str, key: String, message: impl Into<String>) -> FieldError {
    FieldError {
        form,
        field: Some(field.to_string()),
        key: Some(key),
        message: message.into(),
    }
}

/// The form and field a change writes (`None`: the whole entry).
fn target(change: &Change) -> (Form, Option<&'static str>) {
    match change {
        Change::Listen(f, _) => (Form::Listen, Some(f.key())),
        Change::Delivery(f, _) => (Form::Delivery, Some(f.key())),
        Change::AddDevice { username, .. } | Change::RemoveDevice { username } => {
            (Form::Device(username.trim().to_string()), None)
        }
        Change::DevicePassword { username, .. } => {
            (Form::Device(username.clone()), Some("password"))
        }
        Change::DeviceUpstream { username, .. } => {
            (Form::Device(username.clone()), Some("upstream"))
        }
        Change::AddUpstream { name, .. } | Change::RemoveUpstream { name } => {
            (Form::Upstream(name.trim().to_string()), None)
        }
        Change::Upstream {
            field: UpstreamField::Name,
            value,
            ..
        } => (
            Form::Upstream(effective_name(value).to_string()),
            Some("name"),
        ),
        Change::Upstream { name, field, .. } => (Form::Upstream(name.clone()), Some(field.key())),
        Change::UpstreamPassword { name, .. } => (Form::Upstream(name.clone()), Some("password")),
        Change::AddOAuth { name, .. } | Change::RemoveOAuth { name } => {
            (Form::OAuth(name.trim().to_string()), None)
        }
    }
}

/// Whether `change` is what `problem` is about.
fn blames(change: &Change, problem: &FieldError) -> bool {
    let (form, field) = target(change);
    if form != problem.form {
        return false;
    }
    let secret = |f: &str| matches!(f, "password" | "password_file");
    match (field, problem.field.as_deref()) {
        (None, _) | (_, None) => true,
        (Some(a), Some(b)) => a == b || (secret(a) && secret(b)),
    }
}

fn apply_one(doc: &mut DocumentMut, change: &Change) -> Result<(), FieldError> {
    match change {
        Change::Listen(field, text) => {
            let addr = ensure_table(doc, "listen");
            layout::set_key(
                doc,
                &addr,
                field.key(),
                fields::to_value(field.kind(), text),
            );
        }
        Change::Delivery(field, text) => {
            let addr = ensure_table(doc, "delivery");
            layout::set_key(
                doc,
                &addr,
                field.key(),
                fields::to_value(field.kind(), text),
            );
        }
        Change::AddDevice {
            username,
            password,
            upstream,
        } => add_device(doc, username, password, upstream)?,
        Change::RemoveDevice { username } => {
            let addr = device(doc, username)?;
            layout::remove_table(doc, &addr);
        }
        Change::DevicePassword { username, password } => {
            let addr = device(doc, username)?;
            match password {
                SecretInput::Keep => {}
                SecretInput::Clear => {
                    return Err(device_error(
                        doc,
                        username,
                        "password",
                        "a device account needs a password: remove the account instead",
                    ));
                }
                SecretInput::Set(p) => {
                    check_device_password(doc, username, p)?;
                    layout::set_key(doc, &addr, "password", Some(Value::from(p.as_str())));
                }
            }
        }
        Change::DeviceUpstream { username, upstream } => {
            let addr = device(doc, username)?;
            layout::set_key(
                doc,
                &addr,
                "upstream",
                fields::to_value(Kind::Text, upstream),
            );
        }
        Change::AddUpstream {
            name,
            fields,
            password,
        } => add_upstream(doc, name, fields, password)?,
        Change::Upstream { name, field, value } => set_upstream(doc, name, *field, value)?,
        Change::UpstreamPassword { name, password } => set_upstream_password(doc, name, password)?,
        Change::RemoveUpstream { name } => {
            let addr = upstream(doc, name)?;
            layout::remove_table(doc, &addr);
        }
        Change::AddOAuth { name, fields } => {
            if entries(doc, "oauth")
                .iter()
                .any(|t| text_of(t, "name").as_deref() == Some(name.trim()))
            {
                return Err(error(
                    Form::OAuth(name.trim().to_string()),
                    "name",
                    format!("oauth[{}].name", entries(doc, "oauth").len()),
                    format!(
                        "an [[oauth]] account named \"{}\" exists already",
                        name.trim()
                    ),
                ));
            }
            let mut t = Table::new();
            t.insert("name", Item::Value(Value::from(name.trim())));
            for (field, text) in fields {
                if let Some(v) = fields::to_value(field.kind(), text) {
                    t.insert(field.key(), Item::Value(v));
                }
            }
            layout::add_table(doc, "oauth", t, true);
        }
        Change::RemoveOAuth { name } => {
            let i = entries(doc, "oauth")
                .iter()
                .position(|t| text_of(t, "name").as_deref() == Some(name.as_str()))
                .ok_or_else(|| stale(Form::OAuth(name.clone()), "[[oauth]] account", name))?;
            let addr = Addr {
                key: "oauth".into(),
                index: Some(i),
            };
            layout::remove_table(doc, &addr);
        }
    }
    Ok(())
}

/// The address of `[key]`, created (placed as `layout` says) when the file has none.
fn ensure_table(doc: &mut DocumentMut, key: &str) -> Addr {
    match doc.get(key) {
        Some(Item::Table(_)) => Addr {
            key: key.to_string(),
            index: None,
        },
        _ => layout::add_table(doc, key, Table::new(), false),
    }
}

/// A form that refers to something no longer in the file (removed or renamed meanwhile).
fn stale(form: Form, what: &str, name: &str) -> FieldError {
    FieldError {
        form,
        field: None,
        key: None,
        message: format!(
            "there is no {what} named \"{name}\" in the file (any more): reload the page"
        ),
    }
}

/// An error about device account `username`, keyed by its index (the next one for a new
/// account).
fn device_error(
    doc: &DocumentMut,
    username: &str,
    field: &str,
    message: impl Into<String>,
) -> FieldError {
    let all = entries(doc, "device");
    let i = all
        .iter()
        .position(|t| text_of(t, "username").as_deref() == Some(username.trim()))
        .unwrap_or(all.len());
    let key = format!("device[{i}].{field}");
    error(
        Form::Device(username.trim().to_string()),
        field,
        key,
        message,
    )
}

fn device(doc: &DocumentMut, username: &str) -> Result<Addr, FieldError> {
    if matches!(doc.get("device"), Some(Item::Value(_))) {
        return Err(inline_array("device"));
    }
    entries(doc, "device")
        .iter()
        .position(|t| text_of(t, "username").as_deref() == Some(username))
        .map(|i| Addr {
            key: "device".into(),
            index: Some(i),
        })
        .ok_or_else(|| {
            stale(
                Form::Device(username.to_string()),
                "device account",
                username,
            )
        })
}

fn inline_array(key: &str) -> FieldError {
    file_error(format!(
        "the file writes `{key}` as an inline list; the console edits [[{key}]] sections only: \
         rewrite them as [[{key}]] sections by hand first"
    ))
}

fn check_device_password(
    doc: &DocumentMut,
    username: &str,
    password: &str,
) -> Result<(), FieldError> {
    if password.chars().count() < MIN_DEVICE_PASSWORD {
        return Err(device_error(
            doc,
            username,
            "password",
            format!(
                "too short: use at least {MIN_DEVICE_PASSWORD} characters (the console's \
                 generated passwords have 12), so the account cannot be guessed"
            ),
        ));
    }
    Ok(())
}

fn add_device(
    doc: &mut DocumentMut,
    username: &str,
    password: &SecretInput,
    upstream: &str,
) -> Result<(), FieldError> {
    if matches!(doc.get("device"), Some(Item::Value(_))) {
        return Err(inline_array("device"));
    }
    let SecretInput::Set(password) = password else {
        return Err(device_error(doc, username, "password", "must not be empty"));
    };
    check_device_password(doc, username, password)?;
    let mut t = Table::new();
    t.insert("username", Item::Value(Value::from(username.trim())));
    t.insert("password", Item::Value(Value::from(password.as_str())));
    if let Some(v) = fields::to_value(Kind::Text, upstream) {
        t.insert("upstream", Item::Value(v));
    }
    layout::add_table(doc, "device", t, true);
    Ok(())
}

fn upstream(doc: &DocumentMut, name: &str) -> Result<Addr, FieldError> {
    let index = upstream_entries(doc)
        .iter()
        .position(|(n, _)| n == name)
        .ok_or_else(|| stale(Form::Upstream(name.to_string()), "upstream", name))?;
    Ok(Addr {
        key: "upstream".into(),
        index: match doc.get("upstream") {
            Some(Item::ArrayOfTables(_)) => Some(index),
            _ => None,
        },
    })
}

fn add_upstream(
    doc: &mut DocumentMut,
    name: &str,
    given: &[(UpstreamField, String)],
    password: &SecretInput,
) -> Result<(), FieldError> {
    let name = name.trim();
    if upstream_entries(doc).iter().any(|(n, _)| n == name) {
        return Err(error(
            Form::Upstream(name.to_string()),
            "name",
            format!("upstream[{}].name", upstream_entries(doc).len()),
            format!("an upstream named \"{name}\" exists already: choose another name"),
        ));
    }
    let mut t = Table::new();
    t.insert("name", Item::Value(Value::from(name)));
    for (field, text) in given.iter().filter(|(f, _)| *f != UpstreamField::Name) {
        if let Some(v) = fields::to_value(field.kind(), text) {
            t.insert(field.key(), Item::Value(v));
        }
    }
    let array = match doc.get("upstream") {
        Some(Item::Table(_)) => {
            layout::table_to_array(doc, "upstream", "default");
            true
        }
        Some(Item::ArrayOfTables(_)) => true,
        Some(_) => return Err(inline_array("upstream")),
        None => false,
    };
    let addr = layout::add_table(doc, "upstream", t, array);
    write_password(doc, &addr, password);
    Ok(())
}

fn set_upstream(
    doc: &mut DocumentMut,
    name: &str,
    field: UpstreamField,
    text: &str,
) -> Result<(), FieldError> {
    let addr = upstream(doc, name)?;
    let value = fields::to_value(field.kind(), text);
    if field == UpstreamField::Name {
        let new = effective_name(text);
        if new != name {
            rename_references(doc, name, new);
        }
    }
    if field == UpstreamField::Default && value.as_ref().and_then(Value::as_bool) == Some(true) {
        let count = upstream_entries(doc).len();
        for i in 0..count {
            let other = Addr {
                key: "upstream".into(),
                index: addr.index.map(|_| i),
            };
            if other != addr {
                layout::set_key(doc, &other, "default", None);
            }
        }
    }
    layout::set_key(doc, &addr, field.key(), value);
    Ok(())
}

/// The name an upstream goes by when its `name` field holds `text` (a single `[upstream]`
/// without one is `default`).
fn effective_name(text: &str) -> &str {
    match text.trim() {
        "" => "default",
        name => name,
    }
}

/// Device accounts and routes that name upstream `old` name `new` instead.
fn rename_references(doc: &mut DocumentMut, old: &str, new: &str) {
    for key in ["device", "route"] {
        let count = entries(doc, key).len();
        for i in 0..count {
            let addr = Addr {
                key: key.into(),
                index: Some(i),
            };
            let refers = layout::table(doc, &addr)
                .and_then(|t| text_of(t, "upstream"))
                .is_some_and(|u| u == old);
            if refers {
                layout::set_key(doc, &addr, "upstream", Some(Value::from(new)));
            }
        }
    }
}

fn set_upstream_password(
    doc: &mut DocumentMut,
    name: &str,
    password: &SecretInput,
) -> Result<(), FieldError> {
    let addr = upstream(doc, name)?;
    write_password(doc, &addr, password);
    Ok(())
}

/// Stores a password the way the gateway uses it: a Google app password without its spaces
/// (`scanrelay_diagnose::normalize_password`, as `serve` and `check` apply it).
fn write_password(doc: &mut DocumentMut, addr: &Addr, password: &SecretInput) {
    match password {
        SecretInput::Keep => {}
        SecretInput::Clear => {
            layout::set_key(doc, addr, "password", None);
            layout::set_key(doc, addr, "password_file", None);
        }
        SecretInput::Set(typed) => {
            let preset = layout::table(doc, addr)
                .and_then(|t| text_of(t, "provider"))
                .and_then(|id| scanrelay_diagnose::provider(&id));
            let stored = scanrelay_diagnose::normalize_password(preset, typed).password;
            layout::set_key(doc, addr, "password", Some(Value::from(stored)));
        }
    }
}
