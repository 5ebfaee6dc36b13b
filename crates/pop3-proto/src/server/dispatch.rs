//! One handler per [`Command`]: state checks, then a response or an event.

use crate::capa::Capabilities;
use crate::command::{Command, CommandError, Verb};
use crate::listing::{ListEntry, UidlEntry};
use crate::response::Response;
use crate::sasl::{Credentials, Mechanism};

use super::session::{Phase, Transaction};
use super::{Event, MaildropMessage, ServerSession, replies};

/// The response to a line that is not a command.
pub(super) fn command_error_reply(error: &CommandError) -> Response {
    match error {
        CommandError::Unknown => replies::unknown_command(),
        CommandError::InvalidBytes => replies::invalid_bytes(),
        CommandError::Syntax(verb) => replies::syntax(*verb),
        CommandError::TooLong => replies::line_too_long(),
    }
}

impl ServerSession {
    /// Acts on a parsed command line (the session is in `Phase::Command`).
    pub(super) fn dispatch(&mut self, command: Command) {
        match command {
            Command::Capa => self.on_capa(),
            Command::Quit => self.on_quit(),
            command if self.transaction.is_some() => self.dispatch_transaction(command),
            Command::User(name) => self.on_user(name),
            Command::Pass(password) => self.on_pass(password),
            Command::Auth { mechanism, initial } => self.on_auth(&mechanism, initial),
            Command::Stls => self.on_stls(),
            other => self.wrong_state(other.verb()),
        }
    }

    fn dispatch_transaction(&mut self, command: Command) {
        match command {
            Command::Stat => {
                let stat = self.txn().stat();
                self.reply(replies::stat(stat));
            }
            Command::List(n) => self.on_list(n),
            Command::Uidl(n) => self.on_uidl(n),
            Command::Retr(n) => self.on_retrieve(n, None),
            Command::Top { msg, lines } => self.on_retrieve(msg, Some(lines)),
            Command::Dele(n) => self.on_dele(n),
            Command::Noop => self.reply(replies::noop()),
            Command::Rset => {
                let txn = self.txn_mut();
                txn.deleted.iter_mut().for_each(|d| *d = false);
                let stat = txn.stat();
                self.reply(replies::reset(stat));
            }
            other => self.wrong_state(other.verb()),
        }
    }

    fn wrong_state(&mut self, verb: Verb) {
        let state = if self.transaction.is_some() {
            "TRANSACTION"
        } else {
            "AUTHORIZATION"
        };
        self.fail(replies::wrong_state(verb, state));
    }

    fn txn(&self) -> &Transaction {
        self.transaction
            .as_ref()
            .expect("transaction handlers run in TRANSACTION")
    }

    fn txn_mut(&mut self) -> &mut Transaction {
        self.transaction
            .as_mut()
            .expect("transaction handlers run in TRANSACTION")
    }

    /// Whether a login may be sent on this connection now.
    fn plaintext_ok(&self) -> bool {
        self.tls || self.config.allow_plaintext_auth
    }

    fn stls_offered(&self) -> bool {
        self.config.stls_available && !self.tls
    }

    fn on_capa(&mut self) {
        let authorization = self.transaction.is_none();
        let login = authorization && self.plaintext_ok();
        let caps = Capabilities {
            user: login,
            top: true,
            uidl: true,
            stls: authorization && self.stls_offered(),
            pipelining: true,
            resp_codes: true,
            auth_resp_code: true,
            sasl: if login && self.config.sasl_plain {
                vec![Mechanism::Plain.to_string()]
            } else {
                Vec::new()
            },
            expire: self.config.expire,
            login_delay: self
                .config
                .login_delay
                .map(|seconds| crate::capa::LoginDelay {
                    seconds,
                    per_user: false,
                }),
            implementation: Some("scanrelay".to_string()),
            other: Vec::new(),
        };
        self.reply(replies::capabilities(&caps));
    }

    fn on_quit(&mut self) {
        let marked = self.marked();
        if marked.is_empty() {
            self.reply(replies::bye(&self.config.hostname));
            self.queue.push_back(Event::Quit);
            self.close_input();
        } else {
            self.phase = Phase::AwaitUpdate {
                count: marked.len(),
            };
            self.queue.push_back(Event::Update { delete: marked });
        }
    }

    fn on_user(&mut self, name: String) {
        if !self.plaintext_ok() {
            return self.fail(replies::plaintext_disallowed(self.stls_offered()));
        }
        self.user = Some(name);
        self.reply(replies::user_accepted());
    }

    fn on_pass(&mut self, password: String) {
        let Some(user) = self.user.take() else {
            return self.fail(replies::need_user());
        };
        self.phase = Phase::AwaitAuth { user: user.clone() };
        self.queue
            .push_back(Event::Auth(Credentials::user_pass(user, password)));
    }

    fn on_auth(&mut self, mechanism: &Mechanism, initial: Option<String>) {
        self.user = None;
        if !self.plaintext_ok() {
            return self.fail(replies::plaintext_disallowed(self.stls_offered()));
        }
        if *mechanism != Mechanism::Plain || !self.config.sasl_plain {
            return self.fail(replies::unknown_mechanism());
        }
        match initial {
            Some(ir) => self.on_plain_response(&ir),
            None => {
                self.phase = Phase::AuthPlain;
                self.reply(replies::auth_continue());
            }
        }
    }

    fn on_stls(&mut self) {
        if self.tls {
            return self.fail(replies::tls_active());
        }
        if !self.config.stls_available {
            return self.fail(replies::stls_unavailable());
        }
        self.reply(replies::stls_ready());
        self.queue.push_back(Event::StartTls);
        self.phase = Phase::AwaitTls;
        self.user = None;
    }

    /// Message `n` if it exists and is not marked deleted, else the `-ERR` to send.
    fn message(&self, n: u32) -> Result<&MaildropMessage, Response> {
        let txn = self.txn();
        let message = txn.maildrop.get(n).ok_or(replies::no_such_message(n))?;
        if txn.deleted[(n - 1) as usize] {
            return Err(replies::already_deleted(n));
        }
        Ok(message)
    }

    /// The undeleted messages with their numbers.
    fn live(&self) -> impl Iterator<Item = (u32, &MaildropMessage)> {
        let txn = self.txn();
        (1u32..)
            .zip(txn.maildrop.messages().iter().zip(&txn.deleted))
            .filter(|(_, (_, deleted))| !**deleted)
            .map(|(n, (m, _))| (n, m))
    }

    fn on_list(&mut self, n: Option<u32>) {
        let response = match n {
            Some(n) => self
                .message(n)
                .map(|m| replies::list_one(ListEntry { n, size: m.size })),
            None => {
                let entries: Vec<ListEntry> = self
                    .live()
                    .map(|(n, m)| ListEntry { n, size: m.size })
                    .collect();
                Ok(replies::list(self.txn().stat(), &entries))
            }
        };
        self.reply(response.unwrap_or_else(|refusal| refusal));
    }

    fn on_uidl(&mut self, n: Option<u32>) {
        let entry = |n: u32, m: &MaildropMessage| UidlEntry {
            n,
            uid: m.uid.clone(),
        };
        let response = match n {
            Some(n) => self.message(n).map(|m| replies::uidl_one(&entry(n, m))),
            None => {
                let entries: Vec<UidlEntry> = self.live().map(|(n, m)| entry(n, m)).collect();
                Ok(replies::uidl(&entries))
            }
        };
        self.reply(response.unwrap_or_else(|refusal| refusal));
    }

    fn on_retrieve(&mut self, n: u32, top: Option<u32>) {
        match self.message(n) {
            Ok(message) => {
                let (size, uid) = (message.size, message.uid.clone());
                self.phase = Phase::AwaitRetrieve { n, size, top };
                self.queue.push_back(Event::Retrieve { n, uid, top });
            }
            Err(refusal) => self.reply(refusal),
        }
    }

    fn on_dele(&mut self, n: u32) {
        if let Err(refusal) = self.message(n) {
            return self.reply(refusal);
        }
        self.txn_mut().deleted[(n - 1) as usize] = true;
        self.reply(replies::deleted(n));
    }
}
