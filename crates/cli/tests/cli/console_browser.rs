//! Headless Chromium for the console's end-to-end test: Debian's `chromium` and
//! `chromium-driver`, driven by Debian's `python3-selenium` through `py/console_e2e.py` (one
//! JSON command per line on its stdin, one JSON answer per line on its stdout), so every
//! assertion stays here in Rust. Nothing is downloaded: the browser and the driver are given by
//! path, and Debian's Selenium has no Selenium Manager.
//!
//! The browser closes when the helper's stdin ends: [`Browser::close`] on success, and the drop
//! of a [`Browser`] when a test panics, so no Chromium outlives the test.

use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::time::Duration;

use serde_json::{Value, json};
use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader, Lines};
use tokio::process::{Child, ChildStdin, ChildStdout, Command};

use crate::gateway_support::py;

/// Debian's Python, where `python3-selenium` is installed (`scripts/peers install`).
const SYSTEM_PYTHON: &str = "/usr/bin/python3";

/// The page's viewport: every screenshot is this wide (and this tall unless it is a full page).
pub const WIDTH: u32 = 1280;
/// See [`WIDTH`].
pub const HEIGHT: u32 = 900;

/// How long one browser command may take (a page load, a reload loop).
const COMMAND_TIMEOUT: Duration = Duration::from_secs(120);

/// Debian's Chromium and its WebDriver.
const CHROMIUM: [&str; 2] = ["/usr/bin/chromium", "/usr/bin/chromedriver"];

/// Whether the browser, its driver and Debian's Selenium are installed; else what is missing.
pub fn available() -> Result<(), String> {
    let mut missing: Vec<String> = CHROMIUM
        .iter()
        .filter(|p| !Path::new(p).exists())
        .map(|p| p.to_string())
        .collect();
    let selenium = std::process::Command::new(SYSTEM_PYTHON)
        .args(["-c", "import selenium"])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status();
    if !selenium.is_ok_and(|s| s.success()) {
        missing.push(format!("Selenium for {SYSTEM_PYTHON} (python3-selenium)"));
    }
    match missing.is_empty() {
        true => Ok(()),
        false => Err(format!("no {}", missing.join(", "))),
    }
}

/// A headless Chromium with one tab, on the console at `base`.
pub struct Browser {
    child: Child,
    stdin: Option<ChildStdin>,
    out: Lines<BufReader<ChildStdout>>,
    base: String,
    profile: PathBuf,
    shots: PathBuf,
    chromedriver: u64,
}

impl Browser {
    /// Starts Chromium with its profile and screenshots under `work`.
    pub async fn start(work: &Path, base: &str) -> Browser {
        let profile = work.join("chromium-profile");
        let shots = work.join("screenshots");
        std::fs::create_dir_all(&shots).expect("create the screenshots directory");
        let mut child = Command::new(SYSTEM_PYTHON)
            .arg(py("console_e2e.py"))
            .arg(&profile)
            .args([WIDTH.to_string(), HEIGHT.to_string()])
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .unwrap_or_else(|e| panic!("run {SYSTEM_PYTHON}: {e} (scripts/peers install)"));
        let stdin = child.stdin.take();
        let out = BufReader::new(child.stdout.take().expect("stdout")).lines();
        let mut b = Browser {
            child,
            stdin,
            out,
            base: base.trim_end_matches('/').to_string(),
            profile,
            shots,
            chromedriver: 0,
        };
        let hello = b.answer().await.unwrap_or_else(|e| {
            panic!(
                "headless Chromium did not start: {e}\n(the test command installs chromium, \
                 chromium-driver and python3-selenium: scripts/peers install)"
            )
        });
        eprintln!("console e2e: Chromium {}", hello["browser"]);
        b.chromedriver = hello["chromedriver_pid"]
            .as_u64()
            .expect("chromedriver's pid");
        b
    }

    async fn answer(&mut self) -> Result<Value, String> {
        let line = tokio::time::timeout(COMMAND_TIMEOUT, self.out.next_line())
            .await
            .map_err(|_| format!("no answer in {COMMAND_TIMEOUT:?}"))?
            .map_err(|e| format!("read the helper's answer: {e}"))?
            .ok_or("the WebDriver helper exited (its error is above)")?;
        let v: Value =
            serde_json::from_str(&line).map_err(|e| format!("not JSON ({e}): {line}"))?;
        if v["ok"] == true {
            Ok(v["value"].clone())
        } else {
            Err(v["error"].as_str().unwrap_or("?").to_string())
        }
    }

    /// Runs one command; a browser error fails the test with the command in the message.
    async fn call(&mut self, cmd: Value) -> Value {
        let stdin = self.stdin.as_mut().expect("the browser is open");
        stdin
            .write_all(format!("{cmd}\n").as_bytes())
            .await
            .expect("send a command to the WebDriver helper");
        stdin.flush().await.expect("flush");
        let op = cmd["op"].clone();
        self.answer()
            .await
            .unwrap_or_else(|e| panic!("browser {op} ({}): {e}", self.where_()))
    }

    fn where_(&self) -> String {
        format!("console at {}", self.base)
    }

    fn string(v: Value) -> String {
        v.as_str().unwrap_or_default().to_string()
    }

    /// Opens `path` on the console.
    pub async fn open(&mut self, path: &str) {
        let url = format!("{}{path}", self.base);
        self.call(json!({"op": "get", "url": url})).await;
    }

    /// The current address, without the console's origin.
    pub async fn path(&mut self) -> String {
        let url = Self::string(self.call(json!({"op": "url"})).await);
        url.strip_prefix(&self.base).unwrap_or(&url).to_string()
    }

    /// Types `text` into the input `css`.
    pub async fn fill(&mut self, css: &str, text: &str) {
        self.call(json!({"op": "fill", "css": css, "text": text}))
            .await;
    }

    /// Clicks the first match of `css` (a link or a form's button) and waits for the page it
    /// loads.
    pub async fn click(&mut self, css: &str) {
        self.call(json!({"op": "click", "css": css})).await;
    }

    /// The rendered text of the first match of `css`.
    pub async fn text(&mut self, css: &str) -> String {
        Self::string(self.call(json!({"op": "text", "css": css})).await)
    }

    /// The rendered text of every match of `css`.
    pub async fn texts(&mut self, css: &str) -> Vec<String> {
        let v = self.call(json!({"op": "texts", "css": css})).await;
        v.as_array()
            .map(|a| a.iter().cloned().map(Self::string).collect())
            .unwrap_or_default()
    }

    /// A computed style property of the first match of `css`.
    pub async fn css_value(&mut self, css: &str, property: &str) -> String {
        let cmd = json!({"op": "css_value", "css": css, "property": property});
        Self::string(self.call(cmd).await)
    }

    /// For every match of `css` (table rows), the text of each of its cells.
    pub async fn cells(&mut self, css: &str) -> Vec<Vec<String>> {
        let v = self.call(json!({"op": "cells", "css": css})).await;
        serde_json::from_value(v).expect("rows of cells")
    }

    /// The current value of the input `css`.
    pub async fn value(&mut self, css: &str) -> String {
        Self::string(self.call(json!({"op": "value", "css": css})).await)
    }

    /// The page's HTML as the browser has it now.
    pub async fn source(&mut self) -> String {
        Self::string(self.call(json!({"op": "source"})).await)
    }

    /// Waits until an element matches `css` (fails after `secs`): for what the page's own
    /// script brings.
    pub async fn wait(&mut self, css: &str, secs: u64) {
        self.call(json!({"op": "wait", "css": css, "secs": secs}))
            .await;
    }

    /// Reloads the page until the text of `css` holds `needle` (fails after `secs`).
    pub async fn wait_text(&mut self, css: &str, needle: &str, secs: u64) -> String {
        let cmd = json!({"op": "wait_text", "css": css, "needle": needle, "secs": secs});
        Self::string(self.call(cmd).await)
    }

    /// Saves the page as `<name>.png` in the test's screenshots directory: the viewport, or
    /// with `full` the whole page at the same width. Checks it is a PNG of that width.
    pub async fn shot(&mut self, name: &str, full: bool) -> PathBuf {
        let path = self.shots.join(format!("{name}.png"));
        let p = path.to_string_lossy().into_owned();
        self.call(json!({"op": "screenshot", "path": p, "full": full}))
            .await;
        let (w, h) = png_size(&path);
        assert_eq!(w, WIDTH, "{name}.png is {w}x{h}");
        assert!(full && h >= HEIGHT || h == HEIGHT, "{name}.png is {w}x{h}");
        path
    }

    /// Where the screenshots are.
    pub fn shots(&self) -> &Path {
        &self.shots
    }

    /// Closes the browser and checks that no Chromium or chromedriver of this test is left.
    pub async fn close(mut self) {
        let cmd = json!({"op": "quit"});
        if let Some(mut stdin) = self.stdin.take() {
            stdin
                .write_all(format!("{cmd}\n").as_bytes())
                .await
                .expect("send quit");
        }
        assert_eq!(
            self.answer().await.as_ref().map(Value::as_str),
            Ok(Some("closed"))
        );
        let status = tokio::time::timeout(Duration::from_secs(30), self.child.wait())
            .await
            .expect("the WebDriver helper exits after quit")
            .expect("wait");
        assert!(status.success(), "the WebDriver helper: {status}");
        let profile = self.profile.to_string_lossy().into_owned();
        let driver = format!("/proc/{}/cmdline", self.chromedriver);
        let left = || {
            let mut left = processes_mentioning(&profile);
            // A zombie's command line is empty: only a running chromedriver counts.
            let cmdline = std::fs::read(&driver).unwrap_or_default();
            if String::from_utf8_lossy(&cmdline).contains("chromedriver") {
                left.push(driver.clone());
            }
            left
        };
        for _ in 0..100 {
            if left().is_empty() {
                return;
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        panic!("browser processes left after quit: {:?}", left());
    }
}

/// The command lines of running processes that contain `needle` (Chromium's processes all
/// carry the test's `--user-data-dir`; chromedriver is their parent and goes first).
fn processes_mentioning(needle: &str) -> Vec<String> {
    let Ok(dir) = std::fs::read_dir("/proc") else {
        return Vec::new();
    };
    dir.filter_map(Result::ok)
        .filter_map(|e| std::fs::read(e.path().join("cmdline")).ok())
        .map(|c| String::from_utf8_lossy(&c).replace('\0', " "))
        .filter(|c| c.contains(needle))
        .collect()
}

/// Width and height from a PNG's header.
pub fn png_size(path: &Path) -> (u32, u32) {
    let bytes = std::fs::read(path).unwrap_or_else(|e| panic!("read {}: {e}", path.display()));
    assert!(
        bytes.len() > 24 && bytes.starts_with(b"\x89PNG\r\n\x1a\n") && &bytes[12..16] == b"IHDR",
        "{} is not a PNG",
        path.display()
    );
    let be = |at: usize| u32::from_be_bytes(bytes[at..at + 4].try_into().expect("4 bytes"));
    (be(16), be(20))
}
