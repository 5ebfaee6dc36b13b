//! Starting due messages, lane by lane: within the lane's concurrency cap, not while the
//! upstream asked for a pause, holding them while its login needs a person, and at their
//! pacing slot (a message over the limit is written as `paced` once, with the time it goes).

use scanrelay_spool::{Event, Failure, HoldReason, MessageId};
use tokio::time::Instant;

use super::{Runner, TaskEnd, due_in};
use crate::delivery::attempt::attempt;

impl Runner {
    /// Starts what is due in every lane.
    pub(super) fn start_due(&mut self) {
        let names: Vec<String> = self.board.lanes.keys().cloned().collect();
        for name in names {
            self.start_lane(&name);
        }
    }

    fn start_lane(&mut self, name: &str) {
        let now = Instant::now();
        loop {
            let Some(lane) = self.board.lanes.get_mut(name) else {
                return;
            };
            if !lane.can_start(now) {
                return;
            }
            let Some(id) = lane.pop_due(now) else {
                return;
            };
            if let Some(known) = self.board.known.get_mut(&id) {
                known.due = None;
            }
            if lane.needs_login {
                self.hold_for_login(id, name);
                continue;
            }
            let reserved = self.board.known.get(&id).and_then(|k| k.slot);
            let now_unix = self.ctx.clock.unix_now();
            let slot = reserved.unwrap_or_else(|| lane.pacer.reserve(now_unix));
            if slot > now_unix {
                self.pace(id, name, slot, now_unix);
            } else {
                self.start_attempt(id, name);
            }
        }
    }

    fn start_attempt(&mut self, id: MessageId, name: &str) {
        let Some(lane) = self.board.lanes.get_mut(name) else {
            return;
        };
        lane.in_flight += 1;
        let upstream = lane.upstream.clone();
        if let Some(known) = self.board.known.get_mut(&id) {
            known.busy = true;
            known.slot = None;
        }
        let ctx = self.ctx.clone();
        let task = attempt(ctx, upstream, id.clone());
        let handle = self
            .tasks
            .spawn(async move { TaskEnd::Attempt(task.await) });
        self.task_ids.insert(handle.id(), id);
    }

    /// Over the lane's pacing limit: `paced` until its reserved `slot`.
    fn pace(&mut self, id: MessageId, name: &str, slot: u64, now_unix: u64) {
        if let Some(known) = self.board.known.get_mut(&id) {
            known.slot = Some(slot);
        }
        let failure = Failure {
            reply: None,
            cause: "pacing".to_string(),
            error: format!(
                "upstream {name} is at its pacing limit (messages a minute or a day): \
                 this message goes in {} s",
                slot - now_unix
            ),
        };
        let event = Event::Postponed {
            until: slot,
            paced: true,
            failure,
        };
        self.write(id, event, Some(due_in(slot, now_unix)));
    }

    /// The lane's login needs a person: the message is held until it is renewed.
    fn hold_for_login(&mut self, id: MessageId, name: &str) {
        let event = Event::Held {
            reason: HoldReason::Login,
            note: format!(
                "upstream {name} needs a new OAuth2 login; the message goes out by itself once \
                 it is done"
            ),
            cause: None,
        };
        self.write(id, event, None);
    }
}
