//! Scheduled reminders: one row per thing that reminds, with its `next_fire_at` (indexed).
//! - [`schedule`] keeps the rows in step with what they are about (a talk accepted or moved, a
//!   commitment made or retired, check-in times or the weekly summary changed, a space left);
//! - [`firing`] fires what is due: in one transaction per batch it writes the reminder event and
//!   the mail (dedupe key: reminder and occurrence) and moves `next_fire_at` on by core's rules;
//! - [`weekly`] gathers the weekly summary's figures;
//! - [`weekly_rows`] keeps the weekly check-in's opening and closing rows in step;
//! - [`weekly_round`] says whom a weekly check-in's opening and closing nudge go to;
//! - [`due`] holds what one firing works with: the row, and whom it goes to.

mod due;
pub mod firing;
pub mod schedule;
mod weekly;
mod weekly_round;
pub(crate) mod weekly_rows;

pub use firing::FiringReport;
pub use schedule::ReminderSettings;
