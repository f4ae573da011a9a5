//! Hints: suggestions about phrasing, by preview and with what a partner creates. Never a block.

use kept_tests::{Flavor, expect_json, expect_problem, on_both_databases, spawn_app};
use reqwest::StatusCode;
use serde_json::json;

async fn hints_suggest_and_never_block(flavor: Flavor) {
    let Some(app) = spawn_app(flavor).await else {
        return;
    };
    let (ada, ben, space) = app.paired_space().await;

    let preview = |body| app.post("/api/v1/hints", &ada.access, body);
    let answer = expect_json(
        preview(json!({"kind": "request", "text": "You never call when you're late."})).await,
        StatusCode::OK,
    )
    .await;
    assert_eq!(answer["items"][0]["code"], "blame_phrasing");
    assert_eq!(answer["items"][0]["span"], json!({"start": 0, "end": 9}));
    let gift =
        json!({"kind": "gratitude", "text": "Thank you for Sunday. I got you a present for you."});
    assert_eq!(
        expect_json(preview(gift).await, StatusCode::OK).await["items"][0]["code"],
        "gift_in_gratitude"
    );
    let kind = json!({"kind": "commitment", "text": "Text you by 18:00 on weekdays if I'm late."});
    assert_eq!(
        expect_json(preview(kind).await, StatusCode::OK).await["items"],
        json!([])
    );

    // The same hints come back with what is created, and the item is created all the same.
    let base = format!("/api/v1/spaces/{space}/requests");
    let created = expect_json(
        app.post(
            &base,
            &ada.access,
            json!({"text": "You always pick your phone over me."}),
        )
        .await,
        StatusCode::CREATED,
    )
    .await;
    assert_eq!(created["hints"][0]["code"], "blame_phrasing");
    assert_eq!(created["state"], "open");
    let ack = format!("{base}/{}/acknowledge", created["id"].as_str().unwrap());
    let heard = expect_json(
        app.post(&ack, &ben.access, json!({"reply": "I know how you feel."}))
            .await,
        StatusCode::OK,
    )
    .await;
    assert_eq!(heard["hints"][0]["code"], "claims_their_feelings");
    let calm = expect_json(
        app.post(
            &format!("/api/v1/spaces/{space}/check-ins"),
            &ben.access,
            json!({"text": "Good day."}),
        )
        .await,
        StatusCode::CREATED,
    )
    .await;
    assert_eq!(calm["hints"], json!([]));

    let bad_kind = preview(json!({"kind": "poem", "text": "x"})).await;
    assert_eq!(
        expect_problem(bad_kind, StatusCode::UNPROCESSABLE_ENTITY, "invalid_input").await["errors"]
            [0]["field"],
        "kind"
    );
    let too_long = preview(json!({"kind": "letter", "text": "x".repeat(20_001)})).await;
    assert_eq!(
        expect_problem(too_long, StatusCode::UNPROCESSABLE_ENTITY, "invalid_input").await["errors"]
            [0]["field"],
        "text"
    );
    let missing = preview(json!({"kind": "letter"})).await;
    assert_eq!(
        expect_problem(missing, StatusCode::UNPROCESSABLE_ENTITY, "invalid_input").await["errors"]
            [0]["field"],
        "text"
    );
    let anonymous = app
        .hints(None, json!({"kind": "letter", "text": "x"}))
        .await;
    expect_problem(anonymous, StatusCode::UNAUTHORIZED, "missing_token").await;
}

/// The words of `text` a hint's span points at (spans count characters, not bytes).
fn spanned(text: &str, hint: &serde_json::Value) -> String {
    let start = hint["span"]["start"].as_u64().unwrap() as usize;
    let end = hint["span"]["end"].as_u64().unwrap() as usize;
    text.chars().skip(start).take(end - start).collect()
}

/// The five codes that came with the grammar-aware matcher, by preview and with what is created;
/// the near-miss beside each gets nothing.
async fn the_newer_codes_come_back_with_their_words(flavor: Flavor) {
    let Some(app) = spawn_app(flavor).await else {
        return;
    };
    let (ada, ben, space) = app.paired_space().await;
    let cases = [
        (
            "reply",
            "If you hadn't ignored me, I wouldn't have lied.",
            "blame_shifting",
            "If you hadn't ignored me, I wouldn't have",
        ),
        (
            "letter",
            "Honestly, you're overreacting.",
            "minimizing",
            "you're overreacting",
        ),
        (
            "reply",
            "I’m sorry you feel that way.",
            "non_apology",
            "sorry you feel",
        ),
        ("commitment", "Do better.", "vague_promise", "Do better"),
        (
            "request",
            "Can we just move on?",
            "rushing_trust",
            "move on",
        ),
    ];
    for (kind, text, code, words) in cases {
        let answer = expect_json(
            app.hints(Some(&ada.access), json!({"kind": kind, "text": text}))
                .await,
            StatusCode::OK,
        )
        .await;
        let items = answer["items"].as_array().unwrap();
        assert_eq!(items.len(), 1, "{text}: {items:?}");
        assert_eq!(items[0]["code"], code, "{text}");
        assert_eq!(spanned(text, &items[0]), words, "{text}");
        assert!(!items[0]["message"].as_str().unwrap().is_empty());
    }
    for (kind, text) in [
        ("reply", "You didn't make me do anything. I chose to lie."),
        ("letter", "I won't tell you it was nothing."),
        ("reply", "I'm sorry I lied."),
        (
            "commitment",
            "Show you the bank app every Sunday after breakfast.",
        ),
        ("request", "I'm not ready to move on yet."),
    ] {
        let answer = expect_json(
            app.hints(Some(&ada.access), json!({"kind": kind, "text": text}))
                .await,
            StatusCode::OK,
        )
        .await;
        assert_eq!(answer["items"], json!([]), "{text}");
    }

    // Created items carry them too, and are created all the same.
    let s = |path: &str| format!("/api/v1/spaces/{space}{path}");
    let promise = json!({"text": "Be a better partner.", "schedule": {"kind": "once", "due": "2026-03-04T19:00:00Z"}});
    let created = expect_json(
        app.post(&s("/commitments"), &ben.access, promise).await,
        StatusCode::CREATED,
    )
    .await;
    assert_eq!(created["hints"][0]["code"], "vague_promise");
    let request = json!({"text": "You should be over this by now."});
    let created = expect_json(
        app.post(&s("/requests"), &ben.access, request).await,
        StatusCode::CREATED,
    )
    .await;
    assert_eq!(created["hints"][0]["code"], "rushing_trust");
    let letter = json!({"kind": "letter", "text": "I'm sorry, but you read my diary."});
    let created = expect_json(
        app.post(&s("/notes"), &ben.access, letter).await,
        StatusCode::CREATED,
    )
    .await;
    assert_eq!(created["hints"][0]["code"], "non_apology");
    let check_in = json!({"text": "It was just texting."});
    let created = expect_json(
        app.post(&s("/check-ins"), &ben.access, check_in).await,
        StatusCode::CREATED,
    )
    .await;
    assert_eq!(created["hints"][0]["code"], "minimizing");
    let ack = format!("{}/{}/acknowledge", s("/requests"), {
        let asked = json!({"text": "Could you tell me before you go out?"});
        expect_json(
            app.post(&s("/requests"), &ada.access, asked).await,
            StatusCode::CREATED,
        )
        .await["id"]
            .as_str()
            .unwrap()
            .to_owned()
    });
    let reply = json!({"reply": "I only lied because you'd have exploded."});
    let heard = expect_json(app.post(&ack, &ben.access, reply).await, StatusCode::OK).await;
    assert_eq!(heard["hints"][0]["code"], "blame_shifting");

    // The contract names every code, so clients can show their own words per code.
    let served = app.send(app.client.get(app.url("/api/openapi.json"))).await;
    let document = expect_json(served, StatusCode::OK).await;
    let schemas = &document["components"]["schemas"];
    assert_eq!(
        schemas["HintCode"]["enum"],
        json!([
            "blame_phrasing",
            "claims_their_feelings",
            "unbounded_promise",
            "gift_in_gratitude",
            "blame_shifting",
            "minimizing",
            "non_apology",
            "vague_promise",
            "rushing_trust"
        ])
    );
    assert_eq!(
        schemas["Hint"]["properties"]["code"]["$ref"],
        "#/components/schemas/HintCode"
    );
}

on_both_databases!(
    hints_suggest_and_never_block,
    the_newer_codes_come_back_with_their_words
);
