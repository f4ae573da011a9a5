//! The end-to-end suite: the real app on an ephemeral port, driven over HTTP, each test on
//! SQLite and on PostgreSQL.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod accounts;
mod bad_input;
mod calendar;
mod check_ins;
mod commitments;
mod deletion;
mod export;
mod four_weeks;
mod health;
mod hints;
mod live;
mod mail;
mod metrics;
mod notes;
mod openapi;
mod operators;
mod pairing;
mod push;
mod push_delivery;
mod redaction;
mod registration;
mod reminders;
mod requests;
mod retention;
mod stats;
mod talks;
mod together;
mod web_app;
mod weekly;
mod weekly_plan;
