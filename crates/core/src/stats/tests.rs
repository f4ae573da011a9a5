//! The week-by-week figures on hand-made facts.

use super::*;
use chrono::TimeZone;

fn at(d: u32, h: u32) -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 3, d, h, 0, 0)
        .single()
        .unwrap_or_default()
}

fn round(opened_at: DateTime<Utc>, revealed: bool, ratings: [Option<u8>; 2]) -> WeeklyRoundFact {
    WeeklyRoundFact {
        opened_at,
        revealed,
        ratings: ratings.to_vec(),
    }
}

#[test]
fn a_fixture_computed_by_hand() {
    let (ada, ben) = (UserId::new_at(at(1, 0)), UserId::new_at(at(1, 1)));
    use OccurrenceState::*;
    // Ada: week 10 (2–8 March): kept, confirmed, disputed, missed; week 11: kept, kept, due.
    // Ben: two requests acknowledged after 12 h and 30 h (median 21 h), one still open.
    let states = [
        (2, Kept),
        (3, Confirmed),
        (4, Disputed),
        (5, Missed),
        (9, Kept),
        (10, Kept),
        (11, Due),
    ];
    let occurrences = states
        .iter()
        .map(|&(d, state)| OccurrenceFact {
            committer: ada,
            due_at: at(d, 20),
            state,
        })
        .collect();
    let input = StatsInput {
        partners: vec![ada, ben],
        zone: Tz::UTC,
        now: at(11, 21),
        weeks: 2,
        occurrences,
        talk_starts: vec![
            TalkStartFact {
                starts_at: at(8, 18),
                outcome: Some(Outcome::Held),
            },
            TalkStartFact {
                starts_at: at(15, 18),
                outcome: None,
            },
        ],
        requests: vec![
            RequestFact {
                author: ben,
                created_at: at(2, 8),
                acknowledged_at: Some(at(2, 20)),
                state: RequestState::Resolved,
            },
            RequestFact {
                author: ben,
                created_at: at(3, 8),
                acknowledged_at: Some(at(4, 14)),
                state: RequestState::Acknowledged,
            },
            RequestFact {
                author: ben,
                created_at: at(10, 8),
                acknowledged_at: None,
                state: RequestState::Open,
            },
        ],
        ratings: vec![
            RatingFact {
                author: ben,
                local_day: NaiveDate::from_ymd_opt(2026, 3, 2).unwrap_or_default(),
                score: 4,
            },
            RatingFact {
                author: ben,
                local_day: NaiveDate::from_ymd_opt(2026, 3, 7).unwrap_or_default(),
                score: 7,
            },
        ],
        weekly_rounds: vec![
            // Before the window: not counted.
            round(at(1, 18), true, [Some(5), Some(5)]),
            round(at(8, 18), true, [Some(6), Some(8)]),
            // Revealed, but only one rated: no trend point.
            round(at(9, 10), true, [Some(9), None]),
            // Not revealed: its ratings are nobody's to count.
            round(at(10, 18), false, [None, None]),
        ],
    };
    let stats = compute(&input);
    assert_eq!(
        stats.weekly_check_ins,
        [
            WeeklyCheckInWeek {
                week: "2026-W10".into(),
                held: 1,
                revealed: 1,
                ratings: Some(vec![6, 8])
            },
            WeeklyCheckInWeek {
                week: "2026-W11".into(),
                held: 2,
                revealed: 1,
                ratings: None
            }
        ]
    );
    assert_eq!(stats.weeks, ["2026-W10", "2026-W11"]);
    let ada_stats = &stats.partners[0];
    assert_eq!(
        ada_stats.weeks[0].commitments,
        CommitmentWeek {
            kept: 3,
            confirmed: 1,
            disputed: 1,
            missed: 1,
            pending: 0,
            on_time_ratio: Some(0.75)
        }
    );
    assert_eq!(
        ada_stats.weeks[1].commitments,
        CommitmentWeek {
            kept: 2,
            confirmed: 0,
            disputed: 0,
            missed: 0,
            pending: 1,
            on_time_ratio: Some(1.0)
        }
    );
    assert_eq!((ada_stats.current_run, ada_stats.longest_run), (2, 2));
    let ben_stats = &stats.partners[1];
    assert_eq!(
        ben_stats.weeks[0].requests,
        RequestWeek {
            created: 2,
            acknowledged: 2,
            median_hours_to_acknowledge: Some(21.0)
        }
    );
    assert_eq!(
        ben_stats.weeks[1].requests,
        RequestWeek {
            created: 1,
            acknowledged: 0,
            median_hours_to_acknowledge: None
        }
    );
    assert_eq!(ben_stats.open_requests, 2);
    assert_eq!(
        ben_stats.weeks[0].trust,
        TrustWeek {
            shared_ratings: 2,
            average: Some(5.5)
        }
    );
    assert_eq!(
        stats.talks,
        [
            TalkWeek {
                week: "2026-W10".into(),
                planned: 1,
                held: 1,
                skipped: 0
            },
            TalkWeek {
                week: "2026-W11".into(),
                planned: 0,
                held: 0,
                skipped: 0
            }
        ]
    );
}

#[test]
fn runs_end_at_a_miss_or_a_dispute() {
    use OccurrenceState::*;
    assert_eq!(
        runs([Kept, Kept, Missed, Confirmed, Kept, Kept, Disputed, Kept].into_iter()),
        (1, 3)
    );
    assert_eq!(
        runs([Kept, Due, Kept].into_iter()),
        (2, 2),
        "an undecided one neither counts nor breaks"
    );
    assert_eq!(runs(std::iter::empty()), (0, 0));
}
