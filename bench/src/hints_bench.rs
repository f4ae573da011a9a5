//! `kept-bench hints`: how long the writing hints take on a 2,000-character letter, against
//! reading the `POST /hints` body that carries it (`serde_json` into a struct), measured in the
//! same run: what the hints add to what the server does with the text anyway.

use kept_core::hints::{HintKind, hints};
use std::hint::black_box;
use std::time::{Duration, Instant};

/// A letter as partners write them, with hints to find and near-misses to pass over.
const PARAGRAPH: &str = "I've been trying to write this for a week. I'm sorry I lied about the \
money, and I'm sorry if I made you feel crazy for asking. You always knew something was wrong. \
I will never forget your face that night. I'll do better, and it won't happen again; from now on \
I'll show you every statement on the first Sunday of the month. I know exactly how you feel. \
It was just a few messages, but you're not overreacting and I won't tell you it was nothing. \
Can we talk on Thursday? Take all the time you need. ";

pub fn run() {
    let text: String = PARAGRAPH.chars().cycle().take(2_000).collect();
    let first = Instant::now();
    let found = hints(HintKind::Letter, &text).len();
    let first = first.elapsed();
    let rounds = 2_000;
    let matcher = per_call(rounds, || hints(HintKind::Letter, black_box(&text)).len());
    let body = serde_json::json!({ "kind": "letter", "text": text }).to_string();
    let baseline = per_call(rounds, || {
        let read: Body = serde_json::from_str(black_box(&body)).expect("the body reads");
        read.text.len() + usize::from(read.kind == HintKind::Letter)
    });
    println!(
        "hints on a {}-character letter ({found} hints), {rounds} rounds each:",
        text.chars().count()
    );
    println!(
        "  first call (compiles the rules): {:>8.1} µs",
        micros(first)
    );
    println!(
        "  hints, p50 / p99:                {:>8.1} / {:.1} µs",
        micros(matcher.0),
        micros(matcher.1)
    );
    println!(
        "  reading the body, p50 / p99:     {:>8.1} / {:.1} µs",
        micros(baseline.0),
        micros(baseline.1)
    );
    println!(
        "  ratio hints ÷ reading the body (p50): {:.1}",
        matcher.0.as_secs_f64() / baseline.0.as_secs_f64()
    );
    // The longest text the API takes, as one sentence that matches at every other word: the
    // bound on what one request can cost.
    let worst: String = "you always leave, ".chars().cycle().take(20_000).collect();
    let found = hints(HintKind::Letter, &worst).len();
    let long = per_call(50, || hints(HintKind::Letter, black_box(&worst)).len());
    println!(
        "  worst case, 20,000 characters in one sentence ({found} hints), p50: {:.1} µs",
        micros(long.0)
    );
}

/// The `POST /hints` body.
#[derive(serde::Deserialize)]
struct Body {
    kind: HintKind,
    text: String,
}

/// The median and 99th percentile of `rounds` timed calls of `work`.
fn per_call(rounds: usize, mut work: impl FnMut() -> usize) -> (Duration, Duration) {
    let mut times: Vec<Duration> = (0..rounds)
        .map(|_| {
            let start = Instant::now();
            black_box(work());
            start.elapsed()
        })
        .collect();
    times.sort();
    (times[rounds / 2], times[rounds * 99 / 100])
}

fn micros(d: Duration) -> f64 {
    d.as_secs_f64() * 1e6
}
