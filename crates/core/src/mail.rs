//! What mail a person gets, and when: the kinds of mail one can turn off, and each person's
//! preferences (per kind, quiet hours, quoting). What a timeline event tells the partner is
//! [`crate::activity_mail`].
//! Account mail (verification, password reset, an invite) is not a kind: it is asked for by the
//! person it goes to, so it is always sent, at once.

use crate::Invalid;
use crate::schedule::local_instant;
use chrono::{DateTime, Duration, NaiveTime, Utc};
use chrono_tz::Tz;
use serde::{Deserialize, Serialize};

/// A kind of mail a person can turn off (and unsubscribe from with one click).
#[cfg_attr(feature = "diesel", derive(diesel::AsExpression, diesel::FromSqlRow))]
#[cfg_attr(feature = "diesel", diesel(sql_type = diesel::sql_types::Text))]
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum MailKind {
    /// The partner did something in the space.
    Activity,
    TalkReminder,
    CommitmentReminder,
    CheckInReminder,
    /// One's own commitment occurrence was missed.
    MissedNotice,
    WeeklySummary,
    /// The weekly check-in opened, or is about to close unanswered.
    WeeklyCheckIn,
    /// The partner submitted their weekly answers.
    WeeklyPartnerReady,
}

crate::names::named_by_serde!(MailKind);

/// Local hours in which no mail of a [`MailKind`] goes out; mail due then waits for their end.
/// `start` after `end` spans midnight (22:00–07:00).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct QuietHours {
    #[cfg_attr(feature = "openapi", schema(value_type = crate::openapi::LocalTime))]
    pub start: NaiveTime,
    #[cfg_attr(feature = "openapi", schema(value_type = crate::openapi::LocalTime))]
    pub end: NaiveTime,
}

impl QuietHours {
    pub fn contains(&self, local: NaiveTime) -> bool {
        if self.start <= self.end {
            self.start <= local && local < self.end
        } else {
            local >= self.start || local < self.end
        }
    }

    /// When mail due at `now` may go out for someone in `zone`: `now`, or the end of the quiet
    /// hours `now` falls in (DST-correct: an end time that does not exist that day moves forward).
    pub fn release(&self, now: DateTime<Utc>, zone: Tz) -> DateTime<Utc> {
        let local = now.with_timezone(&zone);
        if !self.contains(local.time()) {
            return now;
        }
        let day = if local.time() < self.end {
            local.date_naive()
        } else {
            local.date_naive() + Duration::days(1)
        };
        local_instant(zone, day, self.end).max(now)
    }
}

/// A person's mail preferences, as shown and changed in `/me` under `mail`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(default, deny_unknown_fields)]
pub struct MailPreferences {
    pub activity: bool,
    pub talk_reminders: bool,
    pub commitment_reminders: bool,
    pub check_in_reminders: bool,
    pub missed_notices: bool,
    /// Off unless asked for.
    pub weekly_summary: bool,
    /// The weekly check-in opening, and one nudge before it closes if one has not answered.
    pub weekly_check_in: bool,
    /// "Your partner has answered" (never what they wrote).
    pub weekly_partner_ready: bool,
    /// Quote the partner's words in activity mail (off: mail says only *that* something happened).
    pub quote_text: bool,
    pub quiet_hours: Option<QuietHours>,
}

impl Default for MailPreferences {
    fn default() -> Self {
        MailPreferences {
            activity: true,
            talk_reminders: true,
            commitment_reminders: true,
            check_in_reminders: true,
            missed_notices: true,
            weekly_summary: false,
            weekly_check_in: true,
            weekly_partner_ready: true,
            quote_text: false,
            quiet_hours: None,
        }
    }
}

impl MailPreferences {
    /// The stored form: JSON. (Reading it back is the store's, which treats unreadable text as
    /// corrupt rather than as the defaults.)
    pub fn to_stored(&self) -> String {
        serde_json::to_string(self).unwrap_or_else(|_| "{}".to_owned())
    }

    /// These preferences with the fields of `change` (a partial JSON object) applied.
    pub fn changed_by(&self, change: &serde_json::Value) -> Result<Self, Invalid> {
        let mut merged = serde_json::to_value(self).unwrap_or_default();
        match (merged.as_object_mut(), change.as_object()) {
            (Some(fields), Some(changes)) => {
                for (key, value) in changes {
                    fields.insert(key.clone(), value.clone());
                }
            }
            _ => return Err(Invalid::field("mail", "must be an object")),
        }
        serde_json::from_value(merged).map_err(|e| Invalid::field("mail", e.to_string()))
    }

    pub fn allows(&self, kind: MailKind) -> bool {
        *self.flag(kind)
    }

    pub fn turn_off(&mut self, kind: MailKind) {
        *self.flag_mut(kind) = false;
    }

    fn flag(&self, kind: MailKind) -> &bool {
        match kind {
            MailKind::Activity => &self.activity,
            MailKind::TalkReminder => &self.talk_reminders,
            MailKind::CommitmentReminder => &self.commitment_reminders,
            MailKind::CheckInReminder => &self.check_in_reminders,
            MailKind::MissedNotice => &self.missed_notices,
            MailKind::WeeklySummary => &self.weekly_summary,
            MailKind::WeeklyCheckIn => &self.weekly_check_in,
            MailKind::WeeklyPartnerReady => &self.weekly_partner_ready,
        }
    }

    fn flag_mut(&mut self, kind: MailKind) -> &mut bool {
        match kind {
            MailKind::Activity => &mut self.activity,
            MailKind::TalkReminder => &mut self.talk_reminders,
            MailKind::CommitmentReminder => &mut self.commitment_reminders,
            MailKind::CheckInReminder => &mut self.check_in_reminders,
            MailKind::MissedNotice => &mut self.missed_notices,
            MailKind::WeeklySummary => &mut self.weekly_summary,
            MailKind::WeeklyCheckIn => &mut self.weekly_check_in,
            MailKind::WeeklyPartnerReady => &mut self.weekly_partner_ready,
        }
    }

    /// When mail of `kind` due at `now` may go out.
    pub fn release(&self, now: DateTime<Utc>, zone: Tz) -> DateTime<Utc> {
        self.quiet_hours
            .map_or(now, |quiet| quiet.release(now, zone))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    fn utc(y: i32, mo: u32, d: u32, h: u32, mi: u32) -> DateTime<Utc> {
        Utc.with_ymd_and_hms(y, mo, d, h, mi, 0)
            .single()
            .unwrap_or_default()
    }

    fn quiet(start: (u32, u32), end: (u32, u32)) -> QuietHours {
        QuietHours {
            start: NaiveTime::from_hms_opt(start.0, start.1, 0).unwrap_or_default(),
            end: NaiveTime::from_hms_opt(end.0, end.1, 0).unwrap_or_default(),
        }
    }

    #[test]
    fn quiet_hours_spanning_midnight_hold_mail_until_morning() {
        let night = quiet((22, 0), (7, 0));
        let berlin = chrono_tz::Europe::Berlin;
        // 23:30 in Berlin (winter, UTC+1) → 07:00 the next morning.
        assert_eq!(
            night.release(utc(2026, 1, 14, 22, 30), berlin),
            utc(2026, 1, 15, 6, 0)
        );
        // 03:00 → 07:00 the same day.
        assert_eq!(
            night.release(utc(2026, 1, 15, 2, 0), berlin),
            utc(2026, 1, 15, 6, 0)
        );
        // 12:00 is not quiet: at once.
        assert_eq!(
            night.release(utc(2026, 1, 15, 11, 0), berlin),
            utc(2026, 1, 15, 11, 0)
        );
        // The edges: 22:00 is quiet, 07:00 is not.
        assert!(night.contains(NaiveTime::from_hms_opt(22, 0, 0).unwrap_or_default()));
        assert!(!night.contains(NaiveTime::from_hms_opt(7, 0, 0).unwrap_or_default()));
    }

    #[test]
    fn quiet_hours_within_a_day() {
        let afternoon = quiet((13, 0), (15, 0));
        let kolkata = chrono_tz::Asia::Kolkata; // UTC+05:30, no DST
        assert_eq!(
            afternoon.release(utc(2026, 6, 1, 8, 0), kolkata), // 13:30 local
            utc(2026, 6, 1, 9, 30)                             // 15:00 local
        );
        assert_eq!(
            afternoon.release(utc(2026, 6, 1, 10, 0), kolkata),
            utc(2026, 6, 1, 10, 0)
        );
    }

    #[test]
    fn quiet_hours_across_dst_changes() {
        // New York springs forward on 8 March 2026 at 02:00 → 03:00. Quiet 22:00–02:30: the end
        // does not exist that night and moves forward to 03:30 EDT (07:30 UTC).
        let new_york = chrono_tz::America::New_York;
        let odd = quiet((22, 0), (2, 30));
        assert_eq!(
            odd.release(utc(2026, 3, 8, 4, 0), new_york), // 23:00 EST on the 7th
            utc(2026, 3, 8, 7, 30)
        );
        // Sydney falls back on 5 April 2026 at 03:00 → 02:00; 22:00–07:00 ends at 07:00 AEST.
        let sydney = chrono_tz::Australia::Sydney;
        let night = quiet((22, 0), (7, 0));
        assert_eq!(
            night.release(utc(2026, 4, 4, 12, 0), sydney), // 23:00 AEDT on the 4th
            utc(2026, 4, 4, 21, 0)                         // 07:00 AEST on the 5th
        );
        // Berlin springs forward on 29 March 2026: 07:00 is 05:00 UTC after the change.
        assert_eq!(
            night.release(utc(2026, 3, 28, 22, 0), chrono_tz::Europe::Berlin),
            utc(2026, 3, 29, 5, 0)
        );
    }

    #[test]
    fn preferences_change_field_by_field_and_reject_unknown_fields() {
        let defaults = MailPreferences::default();
        assert!(defaults.allows(MailKind::Activity));
        assert!(!defaults.allows(MailKind::WeeklySummary));
        let changed = defaults
            .changed_by(&serde_json::json!({"weekly_summary": true, "quiet_hours": {"start": "22:00:00", "end": "07:00:00"}}))
            .unwrap_or_default();
        assert!(changed.allows(MailKind::WeeklySummary));
        assert!(changed.allows(MailKind::Activity));
        assert_eq!(changed.quiet_hours, Some(quiet((22, 0), (7, 0))));
        assert!(
            defaults
                .changed_by(&serde_json::json!({"carrier_pigeon": true}))
                .is_err()
        );
        assert!(
            defaults
                .changed_by(&serde_json::json!({"activity": "yes"}))
                .is_err()
        );
        assert!(defaults.changed_by(&serde_json::json!([1])).is_err());
        // Stored text reads back as it was; fields added since read as their defaults.
        let stored = serde_json::from_str::<MailPreferences>(&changed.to_stored());
        assert_eq!(stored.ok(), Some(changed.clone()));
        assert_eq!(
            serde_json::from_str::<MailPreferences>("{}").ok(),
            Some(defaults.clone())
        );
        let mut off = defaults;
        off.turn_off(MailKind::CheckInReminder);
        assert!(!off.allows(MailKind::CheckInReminder));
    }
}
