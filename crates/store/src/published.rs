//! What a write transaction appended and whether it wrote mail due now, handed to the commit
//! hook once — and only once — the transaction has committed. Nothing is announced that was not
//! committed.
//!
//! It is gathered per thread: a write transaction runs from
//! begin to commit on one blocking thread, so the thread is the transaction's scope. This keeps
//! every command's signature free of bookkeeping.

use kept_core::SpaceId;
use std::cell::RefCell;
use std::sync::Arc;

/// Called after each commit that appended events or wrote mail due now.
pub type CommitHook = Arc<dyn Fn(&Committed) + Send + Sync>;

/// What one committed transaction did that someone waits for.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct Committed {
    /// Events appended, in order: the live streams of their spaces are rung.
    pub appended: Vec<Appended>,
    /// Mail was written that is due at once: the outbox worker is woken (mail held for quiet
    /// hours waits for its round).
    pub mail_due: bool,
}

impl Committed {
    pub fn is_empty(&self) -> bool {
        self.appended.is_empty() && !self.mail_due
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Appended {
    pub space: SpaceId,
    pub seq: i64,
}

thread_local! {
    static COMMITTED: RefCell<Committed> = RefCell::new(Committed::default());
}

pub(crate) fn record(space: SpaceId, seq: i64) {
    COMMITTED.with(|c| c.borrow_mut().appended.push(Appended { space, seq }));
}

pub(crate) fn record_mail_due() {
    COMMITTED.with(|c| c.borrow_mut().mail_due = true);
}

/// Forgets whatever a previous (rolled back) transaction on this thread recorded.
pub(crate) fn reset() {
    COMMITTED.with(|c| *c.borrow_mut() = Committed::default());
}

pub(crate) fn take() -> Committed {
    COMMITTED.with(|c| std::mem::take(&mut *c.borrow_mut()))
}
