//! What tells a partner that something happened. Today: the event bus — a doorbell per space
//! that live sessions wait on, rung in-process after each commit and, with PostgreSQL, by the
//! NOTIFY of commits made on any instance.

pub mod bus;
pub mod hub;
pub mod pg_listener;

pub use bus::{EventBus, InProcessBus, PostgresBus};
pub use hub::{Hub, Subscription};
pub use pg_listener::PgListener;
