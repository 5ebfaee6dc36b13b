//! A console whose backend has a real config file and records reloads: for the settings page
//! and the wizard, which write the file and apply it.

use std::path::PathBuf;
use std::sync::{Arc, Mutex};

use scanrelay_gateway::config::{ParseOptions, parse_str};
use scanrelay_gateway::control::{DeviceSeen, GatewayEvent, ReloadReport, Status};
use scanrelay_gateway::queue::{RetryReport, RetryTarget};
use scanrelay_gateway::settings::Settings;
use scanrelay_spool::{Entry, MessageId, Spool, SpoolError};
use scanrelay_web::backend::BoxFuture;
use scanrelay_web::{AppState, ConsoleBackend, router};
use tempfile::TempDir;

use crate::support::{ADMIN_PASSWORD, Client, Fake, config_text};

/// The config the tests edit: the support config with comments of a person's own.
pub fn commented_config() -> String {
    format!(
        "# Office gateway: edited by hand, keep these notes.\n\n{}\n# Retries for the slow \
         line.\n[delivery]\nretry_max = \"2h\"   # the ISP is slow on Mondays\n",
        config_text()
    )
}

/// The fake backend plus the config file and the reloads asked for.
pub struct Editable {
    pub fake: Fake,
    pub path: PathBuf,
    pub reloads: Mutex<Vec<Settings>>,
}

impl ConsoleBackend for Editable {
    fn settings(&self) -> Arc<Settings> {
        self.reloads
            .lock()
            .unwrap()
            .last()
            .map_or_else(|| self.fake.settings.clone(), |s| Arc::new(s.clone()))
    }
    fn messages(&self) -> BoxFuture<'_, Result<Vec<Entry>, SpoolError>> {
        self.fake.messages()
    }
    fn message<'a>(&'a self, id: &'a MessageId) -> BoxFuture<'a, Result<Entry, SpoolError>> {
        self.fake.message(id)
    }
    fn retry<'a>(&'a self, t: &'a RetryTarget) -> BoxFuture<'a, Result<RetryReport, SpoolError>> {
        self.fake.retry(t)
    }
    fn delete<'a>(&'a self, id: &'a MessageId) -> BoxFuture<'a, Result<(), SpoolError>> {
        self.fake.delete(id)
    }
    fn status(&self) -> BoxFuture<'_, Result<Status, SpoolError>> {
        self.fake.status()
    }
    fn devices(&self) -> Vec<DeviceSeen> {
        self.fake.devices()
    }
    fn recent_events(&self) -> Vec<GatewayEvent> {
        self.fake.recent_events()
    }
    fn metrics_text(&self) -> BoxFuture<'_, String> {
        self.fake.metrics_text()
    }
    fn config_path(&self) -> Option<PathBuf> {
        Some(self.path.clone())
    }
    fn reload(&self, settings: Settings) -> BoxFuture<'_, Result<ReloadReport, String>> {
        self.reloads.lock().unwrap().push(settings);
        Box::pin(async {
            Ok(ReloadReport {
                applied: vec!["settings".into()],
                needs_restart: Vec::new(),
            })
        })
    }
}

/// A logged-in console over [`Editable`] with `text` as its config file.
pub struct Console {
    /// Kept for the test's life: the config file and spool live in it.
    pub _dir: TempDir,
    pub backend: Arc<Editable>,
    pub admin: Client,
}

impl Console {
    pub async fn new(text: &str) -> Console {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("scanrelay.toml");
        std::fs::write(&path, text).unwrap();
        let opts = ParseOptions {
            allow_port_zero: true,
        };
        let settings = Arc::new(parse_str(text, &path, dir.path(), &opts).unwrap().settings);
        let spool = Spool::open(settings.spool_dir.clone()).await.unwrap();
        let fake = Fake {
            settings,
            spool,
            devices: Mutex::default(),
            events: Mutex::default(),
            upstreams: Mutex::default(),
        };
        let backend = Arc::new(Editable {
            fake,
            path,
            reloads: Mutex::default(),
        });
        scanrelay_web::auth::password::store(dir.path(), ADMIN_PASSWORD).unwrap();
        let app = router(AppState::new(backend.clone(), false));
        let mut admin = Client::over(app, "127.0.0.1:40000");
        admin.login(ADMIN_PASSWORD).await.assert_redirect("/");
        Console {
            _dir: dir,
            backend,
            admin,
        }
    }

    /// The config file now.
    pub fn text(&self) -> String {
        std::fs::read_to_string(&self.backend.path).unwrap()
    }

    pub fn reloads(&self) -> usize {
        self.backend.reloads.lock().unwrap().len()
    }
}
