//! The checks of the `mime_param` fuzz target: whatever the bytes, decoding a part's header
//! block and extracting attachments never panics, and every name is one safe component.

/// Decodes `data` as a part's header block and as a whole message, and checks the names.
pub fn fuzz_names(data: &[u8]) {
    let names = super::part_name(data)
        .into_iter()
        .map(|raw| super::names::safe_file_name(&raw, "attachment"))
        .chain(super::attachments(data).into_iter().map(|a| a.name));
    for name in names {
        assert!(!name.is_empty());
        assert!(!name.contains('/') && !name.contains('\\'), "{name:?}");
        assert!(!name.starts_with('.'), "{name:?}");
        assert!(!name.chars().any(char::is_control), "{name:?}");
        assert!(name.len() <= 200, "{}", name.len());
    }
}
