//! What a write transaction appended, handed to the commit hook once — and only once — the
//! transaction has committed. Nothing is announced that was not committed.
//!
//! The appended `(space, seq)` pairs are gathered per thread: a write transaction runs from
//! begin to commit on one blocking thread, so the thread is the transaction's scope. This keeps
//! every command's signature free of bookkeeping.

use kept_core::SpaceId;
use std::cell::RefCell;
use std::sync::Arc;

/// Called after each commit with the events that transaction appended.
pub type CommitHook = Arc<dyn Fn(&[Appended]) + Send + Sync>;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Appended {
    pub space: SpaceId,
    pub seq: i64,
}

thread_local! {
    static APPENDED: RefCell<Vec<Appended>> = const { RefCell::new(Vec::new()) };
}

pub(crate) fn record(space: SpaceId, seq: i64) {
    APPENDED.with(|a| a.borrow_mut().push(Appended { space, seq }));
}

/// Forgets whatever a previous (rolled back) transaction on this thread recorded.
pub(crate) fn reset() {
    APPENDED.with(|a| a.borrow_mut().clear());
}

pub(crate) fn take() -> Vec<Appended> {
    APPENDED.with(|a| std::mem::take(&mut *a.borrow_mut()))
}
