//! Changing a [`DocumentMut`] so that everything not edited stays as it was written.
//!
//! toml_edit keeps the comment lines above a key in that key's prefix, and the comment lines
//! above a `[table]` header (including a commented-out tail of the previous table) in the
//! table's prefix. The rules here follow from that:
//!
//! * A changed value keeps its decoration (the spaces and the `# comment` after it).
//! * A new key goes right under its commented-out example (`# smtps = "..."`) when the table's
//!   part of the file has one before the next commented-out header, else after the table's
//!   last key.
//! * A removed key or table hands the comment lines above it to whatever follows, so no
//!   comment is lost; a whitespace-only prefix goes with it.
//! * A new table goes after the last one of its kind; the first of its kind goes right after
//!   its commented-out example when there is exactly one (`# [[device]]`), else before the
//!   first table that the default config puts after it, below that table's comment block.
//!
//! Removing what was added gives back the text byte for byte (the tests check it).

use toml_edit::{ArrayOfTables, DocumentMut, Item, Table, Value};

use super::fields;

/// A table at the top level: `[key]`, or element `index` of `[[key]]`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Addr {
    pub key: String,
    pub index: Option<usize>,
}

/// Where the comment lines that follow a table live.
enum Slot {
    /// The prefix of this table.
    Table(Addr),
    /// The end of the document.
    Trailing,
}

/// The order the tables appear in, which is the order sections are written in the file.
const SECTION_ORDER: &[&str] = &["listen", "device", "upstream", "route", "oauth", "delivery"];

fn rank(key: &str) -> usize {
    SECTION_ORDER
        .iter()
        .position(|k| *k == key)
        .unwrap_or(SECTION_ORDER.len())
}

/// Every top-level table in the order they are written.
pub(crate) fn tables_in_order(doc: &DocumentMut) -> Vec<Addr> {
    let mut out: Vec<(isize, Addr)> = Vec::new();
    let mut last = 0;
    let mut push = |table: &Table, addr: Addr, out: &mut Vec<(isize, Addr)>| {
        if let Some(pos) = table.position() {
            last = pos;
        }
        out.push((last, addr));
    };
    for (key, item) in doc.iter() {
        match item {
            Item::Table(t) => push(
                t,
                Addr {
                    key: key.to_string(),
                    index: None,
                },
                &mut out,
            ),
            Item::ArrayOfTables(a) => {
                for (i, t) in a.iter().enumerate() {
                    let addr = Addr {
                        key: key.to_string(),
                        index: Some(i),
                    };
                    push(t, addr, &mut out);
                }
            }
            _ => {}
        }
    }
    out.sort_by_key(|(pos, _)| *pos);
    out.into_iter().map(|(_, a)| a).collect()
}

pub(crate) fn table_mut<'a>(doc: &'a mut DocumentMut, addr: &Addr) -> Option<&'a mut Table> {
    match (doc.get_mut(&addr.key)?, addr.index) {
        (Item::Table(t), None) => Some(t),
        (Item::ArrayOfTables(a), Some(i)) => a.get_mut(i),
        _ => None,
    }
}

pub(crate) fn table<'a>(doc: &'a DocumentMut, addr: &Addr) -> Option<&'a Table> {
    match (doc.get(&addr.key)?, addr.index) {
        (Item::Table(t), None) => Some(t),
        (Item::ArrayOfTables(a), Some(i)) => a.get(i),
        _ => None,
    }
}

/// Gives the tables positions 0, 2, 4, ... in their current order, so a new table can go
/// between two of them.
fn renumber(doc: &mut DocumentMut) {
    for (i, addr) in tables_in_order(doc).iter().enumerate() {
        if let Some(t) = table_mut(doc, addr) {
            t.set_position(Some(2 * i as isize));
        }
    }
}

fn slot_after(doc: &DocumentMut, addr: &Addr) -> Slot {
    let order = tables_in_order(doc);
    let at = order.iter().position(|a| a == addr);
    match at.and_then(|i| order.get(i + 1)) {
        Some(next) => Slot::Table(next.clone()),
        None => Slot::Trailing,
    }
}

fn slot_text(doc: &DocumentMut, slot: &Slot) -> String {
    match slot {
        Slot::Table(addr) => table(doc, addr).map_or_else(String::new, |t| prefix_of(t.decor())),
        Slot::Trailing => doc.trailing().as_str().unwrap_or("").to_string(),
    }
}

fn set_slot_text(doc: &mut DocumentMut, slot: &Slot, text: String) {
    match slot {
        Slot::Table(addr) => {
            if let Some(t) = table_mut(doc, addr) {
                t.decor_mut().set_prefix(text);
            }
        }
        Slot::Trailing => doc.set_trailing(text),
    }
}

fn prefix_of(decor: &toml_edit::Decor) -> String {
    decor
        .prefix()
        .and_then(|p| p.as_str())
        .unwrap_or("")
        .to_string()
}

/// `removed` (the lines above something removed) in front of `next`, without a doubled
/// blank line; nothing when `removed` is only white space.
fn join(removed: &str, next: &str) -> String {
    if removed.trim().is_empty() {
        return next.to_string();
    }
    match next.strip_prefix('\n') {
        Some(rest) if removed.ends_with("\n\n") => format!("{removed}{rest}"),
        _ => format!("{removed}{next}"),
    }
}

/// Sets (`Some`) or removes (`None`) `key` in the table at `addr`. The table must exist.
pub(crate) fn set_key(doc: &mut DocumentMut, addr: &Addr, key: &str, value: Option<Value>) {
    let Some(t) = table_mut(doc, addr) else {
        return;
    };
    match (t.get_mut(key), value) {
        (None, None) => {}
        (Some(_), None) => remove_key(doc, addr, key),
        (Some(item), Some(mut value)) => {
            if let Some(old) = item.as_value() {
                if fields::same(old, &value) {
                    return;
                }
                *value.decor_mut() = old.decor().clone();
            }
            *item = Item::Value(value);
        }
        (None, Some(value)) => insert_key(doc, addr, key, value),
    }
}

fn remove_key(doc: &mut DocumentMut, addr: &Addr, key: &str) {
    let Some(t) = table_mut(doc, addr) else {
        return;
    };
    let keys: Vec<String> = t.iter().map(|(k, _)| k.to_string()).collect();
    let prefix = t
        .key(key)
        .map_or_else(String::new, |k| prefix_of(k.leaf_decor()));
    t.remove(key);
    let at = keys.iter().position(|k| k == key).unwrap_or(0);
    match keys.get(at + 1) {
        Some(next) => {
            if let Some(mut k) = t.key_mut(next) {
                let joined = join(&prefix, &prefix_of(k.leaf_decor()));
                k.leaf_decor_mut().set_prefix(joined);
            }
        }
        None => {
            let slot = slot_after(doc, addr);
            let joined = join(&prefix, &slot_text(doc, &slot));
            set_slot_text(doc, &slot, joined);
        }
    }
}

/// Where the commented-out example of `key` is in `text`: the byte offset just after its
/// line and any continuation lines (`#    # more`). Scanning stops at a commented-out table
/// header, which starts another section's examples. `Err(())` means "stop looking".
fn example_end(text: &str, key: &str) -> Result<Option<usize>, ()> {
    let mut offset = 0;
    let mut found: Option<usize> = None;
    for line in text.split_inclusive('\n') {
        let body = line.trim_start().strip_prefix('#').map(str::trim_start);
        match (found, body) {
            (Some(_), Some(_)) if is_continuation(line) => found = Some(offset + line.len()),
            (Some(end), _) => return Ok(Some(end)),
            (None, Some(b)) if b.starts_with('[') => return Err(()),
            (None, Some(b)) if is_assignment(b, key) => found = Some(offset + line.len()),
            _ => {}
        }
        offset += line.len();
    }
    Ok(found)
}

fn is_assignment(body: &str, key: &str) -> bool {
    body.strip_prefix(key)
        .is_some_and(|rest| rest.trim_start().starts_with('='))
}

/// `#                 # more words`: the comment of the line above goes on.
fn is_continuation(line: &str) -> bool {
    line.trim_start()
        .strip_prefix('#')
        .is_some_and(|rest| rest.starts_with("  ") && rest.trim_start().starts_with('#'))
}

fn insert_key(doc: &mut DocumentMut, addr: &Addr, key: &str, value: Value) {
    let Some(t) = table_mut(doc, addr) else {
        return;
    };
    let keys: Vec<String> = t.iter().map(|(k, _)| k.to_string()).collect();
    for (i, existing) in keys.iter().enumerate() {
        let text = t
            .key(existing)
            .map_or_else(String::new, |k| prefix_of(k.leaf_decor()));
        match example_end(&text, key) {
            Err(()) => break,
            Ok(None) => {}
            Ok(Some(end)) => {
                let (before, after) = text.split_at(end);
                let (before, after) = (before.to_string(), after.to_string());
                if let Some(mut k) = t.key_mut(existing) {
                    k.leaf_decor_mut().set_prefix(after);
                }
                t.insert(key, Item::Value(value));
                if let Some(mut k) = t.key_mut(key) {
                    k.leaf_decor_mut().set_prefix(before);
                }
                let order: Vec<&str> = keys[..i]
                    .iter()
                    .map(String::as_str)
                    .chain([key])
                    .chain(keys[i..].iter().map(String::as_str))
                    .collect();
                let place = |k: &str| order.iter().position(|o| *o == k).unwrap_or(usize::MAX);
                t.sort_values_by(|a, _, b, _| place(a.get()).cmp(&place(b.get())));
                return;
            }
        }
    }
    let stopped = keys.iter().any(|k| {
        t.key(k)
            .is_some_and(|k| example_end(&prefix_of(k.leaf_decor()), key).is_err())
    });
    t.insert(key, Item::Value(value));
    if stopped {
        return;
    }
    let slot = slot_after(doc, addr);
    let text = slot_text(doc, &slot);
    if let Ok(Some(end)) = example_end(&text, key) {
        let (before, after) = text.split_at(end);
        let (before, after) = (before.to_string(), after.to_string());
        set_slot_text(doc, &slot, after);
        if let Some(mut k) = table_mut(doc, addr).and_then(|t| t.key_mut(key)) {
            k.leaf_decor_mut().set_prefix(before);
        }
    }
}

/// Removes a top-level table (or one element of an array of tables), handing its comment
/// lines to what follows. An array left empty is removed.
pub(crate) fn remove_table(doc: &mut DocumentMut, addr: &Addr) {
    let Some(prefix) = table(doc, addr).map(|t| prefix_of(t.decor())) else {
        return;
    };
    let slot = slot_after(doc, addr);
    let next = slot_text(doc, &slot);
    match addr.index {
        None => {
            doc.remove(&addr.key);
        }
        Some(i) => {
            let empty = match doc.get_mut(&addr.key) {
                Some(Item::ArrayOfTables(a)) => {
                    a.remove(i);
                    a.is_empty()
                }
                _ => false,
            };
            if empty {
                doc.remove(&addr.key);
            }
        }
    }
    let slot = match slot {
        // The element after the removed one moved down by one.
        Slot::Table(Addr {
            key,
            index: Some(j),
        }) if key == addr.key && addr.index.is_some_and(|i| i < j) => Slot::Table(Addr {
            key,
            index: Some(j - 1),
        }),
        other => other,
    };
    set_slot_text(doc, &slot, join(&prefix, &next));
}

/// Adds `new` as a table `[key]` (or, with `array`, one more `[[key]]`), placed as the module
/// documentation says. Returns its address.
pub(crate) fn add_table(doc: &mut DocumentMut, key: &str, mut new: Table, array: bool) -> Addr {
    renumber(doc);
    let order = tables_in_order(doc);
    let last_of_kind = order.iter().rev().find(|a| a.key == key).cloned();
    let (position, prefix) = match last_of_kind {
        Some(last) => {
            let pos = table(doc, &last).and_then(Table::position).unwrap_or(0);
            (pos + 1, "\n".to_string())
        }
        None => place_first(doc, key, array, &order),
    };
    new.set_position(Some(position));
    new.decor_mut().set_prefix(prefix);
    if array {
        match doc.get_mut(key) {
            Some(Item::ArrayOfTables(a)) => {
                a.push(new);
                let index = a.len() - 1;
                return Addr {
                    key: key.to_string(),
                    index: Some(index),
                };
            }
            _ => {
                let mut a = ArrayOfTables::new();
                a.push(new);
                doc.insert(key, Item::ArrayOfTables(a));
                return Addr {
                    key: key.to_string(),
                    index: Some(0),
                };
            }
        }
    }
    doc.insert(key, Item::Table(new));
    Addr {
        key: key.to_string(),
        index: None,
    }
}

/// Position and prefix for the first table of its kind; splits the comment block it goes
/// under, so removing it again restores the block.
fn place_first(doc: &mut DocumentMut, key: &str, array: bool, order: &[Addr]) -> (isize, String) {
    let header = if array {
        format!("[[{key}]]")
    } else {
        format!("[{key}]")
    };
    let slots: Vec<Slot> = order
        .iter()
        .cloned()
        .map(Slot::Table)
        .chain([Slot::Trailing])
        .collect();
    let anchored: Vec<(usize, usize)> = slots
        .iter()
        .enumerate()
        .flat_map(|(i, s)| {
            header_examples(&slot_text(doc, s), &header)
                .into_iter()
                .map(move |end| (i, end))
        })
        .collect();
    let (slot_index, split) = match anchored.as_slice() {
        [(i, end)] => (*i, Split::At(*end)),
        _ => {
            let next = order
                .iter()
                .position(|a| rank(&a.key) > rank(key))
                .unwrap_or(order.len());
            (next, Split::LastBlankLine)
        }
    };
    let slot = &slots[slot_index];
    let text = slot_text(doc, slot);
    let (before, after) = match split {
        Split::At(end) => text.split_at(end),
        Split::LastBlankLine => text.split_at(text.rfind("\n\n").map_or(0, |i| i + 1)),
    };
    let prefix = format!("{before}\n");
    // A blank line between the new table and what follows, if anything follows.
    let after = if after.starts_with('\n') || (after.is_empty() && matches!(slot, Slot::Trailing)) {
        after.to_string()
    } else {
        format!("\n{after}")
    };
    set_slot_text(doc, slot, after);
    let position = match slot {
        Slot::Table(addr) => table(doc, addr).and_then(Table::position).unwrap_or(0) - 1,
        Slot::Trailing => 2 * order.len() as isize,
    };
    (position, prefix)
}

enum Split {
    At(usize),
    LastBlankLine,
}

/// The end offsets of commented-out `header` examples in `text`: after the header line and
/// the comment lines that directly follow it.
fn header_examples(text: &str, header: &str) -> Vec<usize> {
    let mut out = Vec::new();
    let mut offset = 0;
    let mut open: Option<usize> = None;
    for line in text.split_inclusive('\n') {
        let body = line.trim_start().strip_prefix('#').map(str::trim);
        match (open, body) {
            (Some(_), Some(b)) if !b.is_empty() && !is_header_line(b) => {
                open = Some(offset + line.len())
            }
            (Some(end), _) => {
                out.push(end);
                open = None;
            }
            _ => {}
        }
        if open.is_none() && body.is_some_and(|b| b == header) {
            open = Some(offset + line.len());
        }
        offset += line.len();
    }
    out.extend(open);
    out
}

fn is_header_line(body: &str) -> bool {
    body.starts_with('[')
}

/// Makes a single `[key]` table an `[[key]]` array of one, in place, with `name = default_name`
/// first unless it has a name.
pub(crate) fn table_to_array(doc: &mut DocumentMut, key: &str, default_name: &str) {
    let Some(Item::Table(mut t)) = doc.remove(key) else {
        return;
    };
    if !t.contains_key("name") {
        t.insert("name", toml_edit::value(default_name));
        t.sort_values_by(|a, _, b, _| (a.get() != "name").cmp(&(b.get() != "name")));
    }
    let mut a = ArrayOfTables::new();
    a.push(t);
    doc.insert(key, Item::ArrayOfTables(a));
}
