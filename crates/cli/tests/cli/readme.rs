//! README.md and the test command stay true of what a newcomer does first (issue 6, item 10):
//! how to put `scanrelay` on the PATH comes before any example that calls it bare, the Tests
//! section names everything the test command installs, the test command removes its
//! temporary peers directory (it holds a CA private key), and the Debian install section
//! agrees with the packaged unit.

use std::path::PathBuf;

fn repo_file(rel: &str) -> String {
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../..");
    let path = root.join(rel);
    std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("read {}: {e}", path.display()))
}

/// Lines inside fenced code blocks, with their line numbers.
fn code_lines(md: &str) -> Vec<(usize, &str)> {
    let mut inside = false;
    let mut out = Vec::new();
    for (n, line) in md.lines().enumerate() {
        if line.trim_start().starts_with("```") {
            inside = !inside;
        } else if inside {
            out.push((n + 1, line.trim_start()));
        }
    }
    out
}

#[test]
fn install_comes_before_the_first_bare_scanrelay_example() {
    let readme = repo_file("README.md");
    let lines = code_lines(&readme);
    let install = lines
        .iter()
        .find(|(_, l)| l.starts_with("cargo install --path crates/cli --locked"))
        .map(|(n, _)| *n)
        .expect("README shows `cargo install --path crates/cli --locked`");
    let first_bare = lines
        .iter()
        .find(|(_, l)| {
            l.starts_with("scanrelay ")
                || l.split_whitespace().any(|w| w == "scanrelay")
                    && !l.starts_with("cargo ")
                    && !l.starts_with('#')
        })
        .map(|(n, _)| *n)
        .expect("README has examples that call scanrelay");
    assert!(
        install < first_bare,
        "the install command (line {install}) must come before the first bare `scanrelay` \
         example (line {first_bare})"
    );
    assert!(
        readme.contains("~/.cargo/bin"),
        "README says where the binary lands"
    );
}

/// The Debian packages `scripts/peers install` installs.
fn peer_packages() -> Vec<String> {
    let peers = repo_file("scripts/peers");
    let start = peers
        .find("readonly PACKAGES=(")
        .expect("PACKAGES array in scripts/peers");
    let body = &peers[start + "readonly PACKAGES=(".len()..];
    let body = &body[..body.find(')').expect("end of PACKAGES")];
    body.split_whitespace().map(str::to_string).collect()
}

#[test]
fn tests_section_lists_everything_the_test_command_installs() {
    let readme = repo_file("README.md");
    let tests = &readme[readme.find("## Tests").expect("a Tests section")..];
    let packages = peer_packages();
    assert!(packages.len() > 5, "parsed {packages:?}");
    for pkg in packages.iter().map(String::as_str).chain([
        "cargo-fuzz",
        "vmail",
        "cargo-deb",
        "systemd",
        "adduser",
    ]) {
        assert!(
            tests.contains(&format!("`{pkg}`")),
            "README's Tests section does not name `{pkg}`, which the test command installs"
        );
    }
    let script = repo_file("scripts/test");
    assert!(
        script.contains("cargo install cargo-fuzz"),
        "the test command still installs cargo-fuzz"
    );
    for needed in [
        "cargo install cargo-deb",
        "apt-get install -y -qq --no-install-recommends systemd adduser",
        "scripts/deb-test",
    ] {
        assert!(
            script.contains(needed),
            "the test command no longer has `{needed}`: update README's Tests section"
        );
    }
}

/// The "Install on Debian/Ubuntu" section (issue 8, item 7) says what the package really
/// does: the unit's command line, and where the config and the data are.
#[test]
fn debian_section_matches_the_unit() {
    let readme = repo_file("README.md");
    let start = readme
        .find("## Install on Debian/Ubuntu")
        .expect("an Install on Debian/Ubuntu section");
    let section = &readme[start..];
    let section = &section[..section[3..].find("\n## ").map_or(section.len(), |n| n + 3)];
    let unit = repo_file("packaging/debian/scanrelay.service");
    let exec_start = unit
        .lines()
        .find_map(|l| l.strip_prefix("ExecStart="))
        .expect("ExecStart in the unit");
    let said = exec_start.trim_start_matches("/usr/bin/");
    assert!(
        section
            .split_whitespace()
            .collect::<Vec<_>>()
            .join(" ")
            .contains(said),
        "README's Debian section does not show the unit's command line `{said}`"
    );
    for claim in [
        "/etc/scanrelay/scanrelay.toml",
        "/var/lib/scanrelay",
        "cargo deb -p scanrelay",
        "dpkg -i",
        "systemctl enable --now scanrelay",
        "systemctl reload scanrelay",
        "journalctl -u scanrelay",
    ] {
        assert!(
            section.contains(claim),
            "README's Debian section lacks `{claim}`"
        );
    }
    for key in [
        "User=scanrelay",
        "ReadWritePaths=/var/lib/scanrelay",
        "ExecReload=",
    ] {
        assert!(
            unit.lines().any(|l| l.starts_with(key)),
            "the unit lacks {key}"
        );
    }
    let manifest = repo_file("crates/cli/Cargo.toml");
    assert!(
        manifest.contains(
            r#"["../gateway/src/default-config.toml", "etc/scanrelay/scanrelay.toml", "640"]"#
        ),
        "the package's config is the gateway's commented default, mode 0640"
    );
}

#[test]
fn test_command_removes_its_peers_directory() {
    let script = repo_file("scripts/test");
    let cleanup = &script[script.find("cleanup() {").expect("a cleanup function")..];
    let cleanup = &cleanup[..cleanup.find("\n}").expect("end of cleanup")];
    assert!(
        cleanup.contains("rm -rf -- \"$peers_dir\""),
        "cleanup must delete the peers directory (CA key, passwords):\n{cleanup}"
    );
    assert!(
        script.contains("trap cleanup EXIT"),
        "cleanup runs on every exit"
    );
}
