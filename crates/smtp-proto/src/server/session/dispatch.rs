//! One handler per [`ServerCommand`]: sequence checks, limits, then a reply or an event.

use crate::sasl::Mechanism;

use super::super::auth;
use super::super::command::ServerCommand;
use super::super::data::DataReceiver;
use super::super::replies::{self, EhloOffer};
use super::super::{Event, ServerSession};
use super::{DataState, Phase};

impl ServerSession {
    /// Acts on a parsed command line (the session is in `Phase::Command`).
    pub(super) fn dispatch(&mut self, command: ServerCommand) {
        match command {
            ServerCommand::Ehlo(domain) => self.on_helo(domain, true),
            ServerCommand::Helo(domain) => self.on_helo(domain, false),
            ServerCommand::StartTls => self.on_starttls(),
            ServerCommand::Auth { mechanism, initial } => self.on_auth(mechanism, initial),
            ServerCommand::Mail {
                address,
                params,
                size,
            } => self.on_mail(address, params, size),
            ServerCommand::Rcpt { address } => self.on_rcpt(address),
            ServerCommand::Data => self.on_data(),
            ServerCommand::Rset => {
                self.envelope = None;
                self.reply(replies::ok());
            }
            ServerCommand::Noop => self.reply(replies::ok()),
            ServerCommand::Quit => {
                self.reply(replies::bye(&self.config.hostname));
                self.queue.push_back(Event::Quit);
                self.close_input();
            }
            ServerCommand::Vrfy(_) => self.reply(replies::vrfy()),
            ServerCommand::Expn(_) => self.reply(replies::expn()),
            ServerCommand::Help => self.reply(replies::help()),
        }
    }

    /// HELO / EHLO: (re)starts the session like RSET (RFC 5321 §4.1.4); AUTH is kept.
    fn on_helo(&mut self, domain: String, extended: bool) {
        self.envelope = None;
        self.helo = Some(domain);
        let hostname = &self.config.hostname;
        let reply = if extended {
            let auth = self.offered_mechanisms();
            let offer = EhloOffer {
                max_message_size: self.config.max_message_size,
                starttls: self.config.starttls_available && !self.tls,
                auth: &auth,
            };
            replies::ehlo(hostname, offer)
        } else {
            replies::helo(hostname)
        };
        self.reply(reply);
    }

    /// STARTTLS: `220`, then the driver does the handshake; everything buffered is dropped.
    fn on_starttls(&mut self) {
        if self.tls {
            return self.fail(replies::tls_already_active());
        }
        if !self.config.starttls_available {
            return self.fail(replies::tls_not_available());
        }
        if self.envelope.is_some() {
            return self.fail(replies::transaction_in_progress());
        }
        self.reply(replies::ready_to_start_tls());
        self.queue.push_back(Event::StartTls);
        self.phase = Phase::AwaitTls;
        self.input.clear();
    }

    /// AUTH: allowed after HELO or EHLO, once, outside a transaction, over TLS unless
    /// plaintext AUTH is allowed, with an enabled mechanism.
    fn on_auth(&mut self, mechanism: Mechanism, initial: Option<String>) {
        let enabled = self.enabled_mechanisms();
        let refusal = if self.helo.is_none() {
            Some(replies::need_helo())
        } else if self.authenticated.is_some() {
            Some(replies::already_authenticated())
        } else if self.envelope.is_some() {
            Some(replies::auth_in_transaction())
        } else if enabled.is_empty() {
            Some(replies::auth_not_enabled())
        } else if !self.tls && !self.config.allow_plaintext_auth {
            Some(replies::encryption_required())
        } else if !enabled.contains(&mechanism) {
            Some(replies::unknown_mechanism())
        } else {
            None
        };
        if let Some(reply) = refusal {
            return self.fail(reply);
        }
        let challenge = match mechanism {
            Mechanism::CramMd5 => self.next_cram_challenge(),
            _ => None,
        };
        let outcome = auth::start(mechanism, initial.as_deref(), challenge);
        self.apply_auth(outcome);
    }

    /// MAIL: after HELO/EHLO, outside a transaction, within the declared size limit.
    fn on_mail(&mut self, address: String, params: Vec<String>, size: Option<u64>) {
        if self.helo.is_none() {
            return self.fail(replies::need_helo());
        }
        if self.envelope.is_some() {
            return self.fail(replies::nested_mail());
        }
        let max = self.config.max_message_size;
        if size.is_some_and(|size| max > 0 && size > max) {
            return self.reply(replies::message_too_large());
        }
        self.phase = Phase::AwaitMail;
        self.queue.push_back(Event::MailFrom {
            address,
            params,
            size_hint: size,
        });
    }

    /// RCPT: inside a transaction, within the recipient limit.
    fn on_rcpt(&mut self, address: String) {
        let max = self.config.max_recipients;
        let Some(envelope) = &mut self.envelope else {
            return self.fail(replies::need_mail());
        };
        if max > 0 && envelope.recipients >= max {
            return self.reply(replies::too_many_recipients());
        }
        envelope.rcpt_attempts += 1;
        self.phase = Phase::AwaitRcpt;
        self.queue.push_back(Event::Rcpt { address });
    }

    /// DATA: with at least one accepted recipient; the line ending of this command decides
    /// whether the client is a bare-LF client.
    fn on_data(&mut self) {
        let Some(envelope) = &self.envelope else {
            return self.fail(replies::need_mail());
        };
        if envelope.recipients == 0 {
            if envelope.rcpt_attempts > 0 {
                // Every RCPT was refused (typical when pipelined): not a client error.
                return self.reply(replies::no_valid_recipients());
            }
            return self.fail(replies::need_rcpt());
        }
        self.phase = Phase::Data(DataState {
            rx: DataReceiver::new(!self.last_line_crlf),
            size: 0,
            too_large: false,
        });
        self.reply(replies::start_data());
        self.queue.push_back(Event::DataStart);
    }
}
