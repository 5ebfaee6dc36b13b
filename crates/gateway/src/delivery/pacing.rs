//! Pacing: at most so many messages a minute and a day through one upstream (Microsoft 365
//! allows 30 a minute per mailbox; Gmail and Workspace count a day). A message over the limit
//! waits in the queue as `paced`, with the time it goes; it never fails for it.
//!
//! [`Pacer`] hands out send slots in order: each slot is the earliest second at which one more
//! send keeps every window (60 s, 24 h) within its limit, given the slots already handed out.
//! Slots are never earlier than the last one, so checking the window that ends at the new slot
//! is enough. The scheduler reserves a slot when it takes a message off the due list, so a
//! paced message is written to the spool once, with the time it will really go.
//!
//! The counts live in memory: after a restart the day's count starts over (the provider's
//! own limit still applies; a refusal for it is retried like any temporary failure).

use std::collections::VecDeque;

/// The limits of one upstream; `None` is unlimited.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Pacing {
    /// Most messages in any 60 seconds.
    pub per_minute: Option<u32>,
    /// Most messages in any 24 hours.
    pub per_day: Option<u32>,
}

impl Pacing {
    /// Whether there is any limit.
    pub fn is_limited(&self) -> bool {
        self.per_minute.is_some() || self.per_day.is_some()
    }
}

const MINUTE: u64 = 60;
const DAY: u64 = 24 * 3600;

/// Hands out send slots (Unix seconds) within a [`Pacing`].
#[derive(Debug, Clone)]
pub(crate) struct Pacer {
    pacing: Pacing,
    /// Slots handed out in the last day, in order.
    slots: VecDeque<u64>,
}

impl Pacer {
    pub(crate) fn new(pacing: Pacing) -> Pacer {
        Pacer {
            pacing,
            slots: VecDeque::new(),
        }
    }

    /// The limits it keeps.
    pub(crate) fn pacing(&self) -> Pacing {
        self.pacing
    }

    /// Takes the earliest slot at or after `now` and returns it.
    pub(crate) fn reserve(&mut self, now: u64) -> u64 {
        if !self.pacing.is_limited() {
            return now;
        }
        while self
            .slots
            .front()
            .is_some_and(|&t| t.saturating_add(DAY) <= now)
        {
            self.slots.pop_front();
        }
        let mut slot = now.max(self.slots.back().copied().unwrap_or(0));
        for (limit, window) in [(self.pacing.per_minute, MINUTE), (self.pacing.per_day, DAY)] {
            let Some(limit) = limit.map(|l| l.max(1) as usize) else {
                continue;
            };
            if self.slots.len() >= limit {
                // The slot `limit` places back must have left the window.
                let oldest = self.slots[self.slots.len() - limit];
                slot = slot.max(oldest.saturating_add(window));
            }
        }
        self.slots.push_back(slot);
        slot
    }

    /// Gives back a slot that was not used (its message went elsewhere or was deleted), if it
    /// is the last one handed out.
    pub(crate) fn release(&mut self, slot: u64) {
        if self.slots.back() == Some(&slot) {
            self.slots.pop_back();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pacer(per_minute: Option<u32>, per_day: Option<u32>) -> Pacer {
        Pacer::new(Pacing {
            per_minute,
            per_day,
        })
    }

    #[test]
    fn thirty_a_minute_spreads_a_burst_over_minutes() {
        let mut p = pacer(Some(30), None);
        let slots: Vec<u64> = (0..95).map(|_| p.reserve(1000)).collect();
        assert!(slots[..30].iter().all(|&s| s == 1000));
        assert!(slots[30..60].iter().all(|&s| s == 1060));
        assert!(slots[60..90].iter().all(|&s| s == 1120));
        assert_eq!(slots[94], 1180);
        for (i, &s) in slots.iter().enumerate() {
            let in_window = slots.iter().filter(|&&t| t <= s && t + 60 > s).count();
            assert!(
                in_window <= 30,
                "slot {i} at {s}: {in_window} in its minute"
            );
        }
    }

    #[test]
    fn the_day_limit_holds_mail_until_the_next_day() {
        let mut p = pacer(Some(30), Some(100));
        let slots: Vec<u64> = (0..101).map(|_| p.reserve(0)).collect();
        assert_eq!(slots[99], 180, "100 in the first 4 minutes");
        assert_eq!(
            slots[100], DAY,
            "the 101st waits until the first is a day old"
        );
    }

    #[test]
    fn unlimited_and_idle_upstreams_send_at_once() {
        let mut p = pacer(None, None);
        assert_eq!(p.reserve(5), 5);
        let mut p = pacer(Some(2), None);
        assert_eq!((p.reserve(0), p.reserve(0), p.reserve(0)), (0, 0, 60));
        assert_eq!(p.reserve(500), 500, "the window is long past");
        p.release(500);
        assert_eq!(p.reserve(500), 500, "a released slot is handed out again");
    }
}
