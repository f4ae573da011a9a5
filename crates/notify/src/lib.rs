//! What tells a partner that something happened: the event bus (a doorbell per space that live
//! sessions wait on, rung in-process after each commit and, with PostgreSQL, by the NOTIFY of
//! commits made on any instance), and mail: templates, SMTP connections of our own and the outbox
//! worker that sends what commands wrote to the outbox; and Web Push: its encryption, and sending.

pub mod bus;
pub mod hub;
pub mod mailer;
pub mod outbox_worker;
pub mod pg_listener;
pub mod pusher;
mod send_error;
mod smtp;
pub mod template;
pub mod web_push;

pub use bus::{EventBus, InProcessBus, PostgresBus};
pub use hub::{Hub, Subscription};
pub use mailer::{Mailer, MailerOptions, UnsubscribeLinks};
pub use outbox_worker::{Channel, DeliveryObserver, DeliveryResult, OutboxWorker, WorkerOptions};
pub use pg_listener::PgListener;
pub use pusher::{PushOptions, Pusher};
pub use send_error::SendError;
