//! What the settings forms are filled from: every editable key's written value, and for
//! secrets only whether one is stored. Nothing in a [`View`] is a secret, so it can be
//! rendered, logged or serialised as it is.

use toml_edit::{DocumentMut, Item, Table};

use super::fields::{self, DeliveryField, ListenField, OAuthField, UpstreamField};
use super::{FieldError, Form, Version};

/// One field and the value written in the file (`None`: absent, the default applies).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FieldView<F> {
    /// The field.
    pub field: F,
    /// Its text as a form shows it.
    pub value: Option<String>,
}

/// A device account, without its password.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DeviceView {
    /// User name.
    pub username: String,
    /// Whether a password is stored (never the password).
    pub password_set: bool,
    /// Its upstream, if it names one.
    pub upstream: Option<String>,
}

/// An upstream or an `[[oauth]]` account, without secrets.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EntryView<F> {
    /// Its name (`default` for a single unnamed `[upstream]`).
    pub name: String,
    /// Its keys.
    pub fields: Vec<FieldView<F>>,
    /// Whether a password is stored inline or in `password_file` (never the password).
    pub password_set: bool,
}

impl<F: Copy + PartialEq> EntryView<F> {
    /// The written value of `field`.
    pub fn value(&self, field: F) -> Option<&str> {
        self.fields
            .iter()
            .find(|f| f.field == field)
            .and_then(|f| f.value.as_deref())
    }
}

/// The settings page's current values.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct View {
    /// The version of the text this was made from (the forms send it back).
    pub version: Version,
    /// `[listen]`.
    pub listen: Vec<FieldView<ListenField>>,
    /// `[delivery]`.
    pub delivery: Vec<FieldView<DeliveryField>>,
    /// `[[device]]` accounts.
    pub devices: Vec<DeviceView>,
    /// Upstreams, in file order.
    pub upstreams: Vec<EntryView<UpstreamField>>,
    /// `[[oauth]]` accounts.
    pub oauth: Vec<EntryView<OAuthField>>,
}

impl View {
    /// The view of a config text; an error when it is not TOML at all.
    pub fn of(text: &str) -> Result<View, FieldError> {
        let doc: DocumentMut = text.parse().map_err(|e: toml_edit::TomlError| FieldError {
            form: Form::File,
            field: None,
            key: None,
            message: format!("the config file is not valid TOML: {}", e.message()),
        })?;
        let table = |key: &str| doc.get(key).and_then(Item::as_table);
        Ok(View {
            version: Version::of(text),
            listen: fields_of(table("listen"), ListenField::ALL, ListenField::key),
            delivery: fields_of(table("delivery"), DeliveryField::ALL, DeliveryField::key),
            devices: entries(&doc, "device")
                .iter()
                .map(|t| DeviceView {
                    username: text_of(t, "username").unwrap_or_default(),
                    password_set: t.contains_key("password"),
                    upstream: text_of(t, "upstream"),
                })
                .collect(),
            upstreams: upstream_entries(&doc)
                .into_iter()
                .map(|(name, t)| EntryView {
                    name,
                    fields: fields_of(Some(t), UpstreamField::ALL, UpstreamField::key),
                    password_set: t.contains_key("password") || t.contains_key("password_file"),
                })
                .collect(),
            oauth: entries(&doc, "oauth")
                .iter()
                .map(|t| EntryView {
                    name: text_of(t, "name").unwrap_or_default(),
                    fields: fields_of(Some(t), OAuthField::ALL, OAuthField::key),
                    password_set: false,
                })
                .collect(),
        })
    }
}

fn fields_of<F: Copy>(
    table: Option<&Table>,
    all: &[F],
    key: impl Fn(F) -> &'static str,
) -> Vec<FieldView<F>> {
    all.iter()
        .map(|&field| FieldView {
            field,
            value: table.and_then(|t| text_of(t, key(field))),
        })
        .collect()
}

pub(crate) fn text_of(table: &Table, key: &str) -> Option<String> {
    table.get(key).and_then(Item::as_value).map(fields::to_text)
}

/// The tables of `[[key]]`.
pub(crate) fn entries<'a>(doc: &'a DocumentMut, key: &str) -> Vec<&'a Table> {
    match doc.get(key) {
        Some(Item::ArrayOfTables(a)) => a.iter().collect(),
        _ => Vec::new(),
    }
}

/// The upstreams with their effective names: a single `[upstream]` is `default` unless it
/// has a name.
pub(crate) fn upstream_entries(doc: &DocumentMut) -> Vec<(String, &Table)> {
    match doc.get("upstream") {
        Some(Item::Table(t)) => {
            vec![(text_of(t, "name").unwrap_or_else(|| "default".into()), t)]
        }
        Some(Item::ArrayOfTables(a)) => a
            .iter()
            .enumerate()
            .map(|(i, t)| {
                (
                    text_of(t, "name").unwrap_or_else(|| format!("#{}", i + 1)),
                    t,
                )
            })
            .collect(),
        _ => Vec::new(),
    }
}

/// The names behind the indexes of a document, to place an error by name.
pub(crate) struct Names {
    devices: Vec<String>,
    upstreams: Vec<String>,
    oauth: Vec<String>,
}

impl Names {
    pub(crate) fn of(doc: &DocumentMut) -> Names {
        let name = |t: &&Table, key: &str| text_of(t, key).unwrap_or_default();
        Names {
            devices: entries(doc, "device")
                .iter()
                .map(|t| name(t, "username"))
                .collect(),
            upstreams: upstream_entries(doc).into_iter().map(|(n, _)| n).collect(),
            oauth: entries(doc, "oauth")
                .iter()
                .map(|t| name(t, "name"))
                .collect(),
        }
    }

    /// `(form, field, normalised key)` of a config key path such as `device[1].password`,
    /// `upstream.port` or `listen.allow_networks[2]`.
    pub(crate) fn place(&self, key: &str) -> (Form, Option<String>, String) {
        let (head, rest) = key.split_once('.').unwrap_or((key, ""));
        let field = rest
            .split(['.', '['])
            .next()
            .filter(|f| !f.is_empty())
            .map(str::to_string);
        let (section, index) = match head.split_once('[') {
            Some((s, i)) => (s, i.trim_end_matches(']').parse::<usize>().ok()),
            None if head == "upstream" => (head, Some(0)),
            None => (head, None),
        };
        let pick = |list: &[String]| index.and_then(|i| list.get(i)).cloned();
        let form = match section {
            "listen" => Some(Form::Listen),
            "delivery" => Some(Form::Delivery),
            "device" => pick(&self.devices).map(Form::Device),
            "upstream" => pick(&self.upstreams).map(Form::Upstream),
            "oauth" => pick(&self.oauth).map(Form::OAuth),
            _ => None,
        };
        let Some(form) = form else {
            return (Form::File, None, key.to_string());
        };
        let head = match index {
            Some(i) => format!("{section}[{i}]"),
            None => section.to_string(),
        };
        let key = match &field {
            Some(f) => format!("{head}.{f}"),
            None => head,
        };
        (form, field, key)
    }
}
