//! Web Push: the server's public key (public: the web app subscribes with it), and a person's
//! devices — subscribe one (its endpoint checked first: `https` on a public address unless the
//! operator allows private ones), list them, rename one or choose what it receives, remove one.

use crate::caller::Caller;
use crate::error::ApiResult;
use crate::handler::blocking;
use crate::json::Json;
use crate::openapi::{Api, Op};
use crate::state::AppState;
use actix_web::{HttpResponse, web};
use kept_core::push::{DeviceKeys, DeviceLabel, PushKinds, parse_endpoint};
use kept_core::{DomainError, Invalid, PushSubscriptionId};
use kept_store::push::{NewSubscription, SubscriptionView};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

pub fn routes(api: &mut Api<'_>) {
    let mine = "/me/push-subscriptions";
    let one = "/me/push-subscriptions/{subscription_id}";
    api.get(
        "/push/public-key",
        public_key,
        Op::new(
            "getPushPublicKey",
            "The key browsers subscribe to this server's pushes with",
        )
        .public()
        .ok::<PushPublicKey>(200, "The VAPID public key."),
    )
    .post(
        mine,
        subscribe,
        Op::new(
            "addPushSubscription",
            "Receive notifications on this device",
        )
        .body::<SubscriptionBody>()
        .ok::<SubscriptionView>(201, "The device, as listed.")
        .fails(
            422,
            "`invalid_input`: e.g. an endpoint that is not https or on a private network.",
        ),
    )
    .get(
        mine,
        list,
        Op::new(
            "listPushSubscriptions",
            "The devices that receive my notifications",
        )
        .list::<SubscriptionView>(200, "Newest first."),
    )
    .patch(
        one,
        change,
        Op::new(
            "changePushSubscription",
            "Rename a device or choose what it receives",
        )
        .body::<ChangeBody>()
        .ok::<SubscriptionView>(200, "The device."),
    )
    .delete(
        one,
        remove,
        Op::new("removePushSubscription", "Stop notifications on a device")
            .empty(204, "Nothing more is pushed to it."),
    );
}

#[derive(Serialize, ToSchema)]
struct PushPublicKey {
    /// The uncompressed P-256 point, base64url: `applicationServerKey` for `PushManager.subscribe`.
    public_key: String,
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(as = PushKeysInput)]
struct KeysBody {
    /// The device's P-256 public key, base64url (65 bytes).
    p256dh: String,
    /// The device's 16-byte secret, base64url.
    auth: String,
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(as = PushSubscriptionInput)]
struct SubscriptionBody {
    /// The push service's address for this device (`PushSubscription.endpoint`).
    #[schema(max_length = 2000)]
    endpoint: String,
    keys: KeysBody,
    /// What the person calls this device ("Phone").
    #[schema(value_type = DeviceLabel, inline)]
    label: String,
    /// What it receives; everything when left out.
    #[serde(default)]
    kinds: Option<PushKinds>,
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(as = PushSubscriptionChange)]
struct ChangeBody {
    #[serde(default)]
    #[schema(value_type = Option<DeviceLabel>)]
    label: Option<String>,
    #[serde(default)]
    kinds: Option<PushKinds>,
}

async fn public_key(state: web::Data<AppState>) -> HttpResponse {
    HttpResponse::Ok().json(PushPublicKey {
        public_key: state.vapid.public.clone(),
    })
}

/// Every field's problem at once: the endpoint, the keys and the label.
fn checked(body: SubscriptionBody, allow_private: bool) -> Result<NewSubscription, Invalid> {
    let mut invalid = Invalid(Vec::new());
    let endpoint = invalid.check("endpoint", parse_endpoint(&body.endpoint, allow_private));
    let keys = match DeviceKeys::parse(&body.keys.p256dh, &body.keys.auth) {
        Ok(keys) => Some(keys),
        Err(Invalid(fields)) => {
            invalid.0.extend(fields);
            None
        }
    };
    let label = invalid.check("label", DeviceLabel::parse(&body.label));
    invalid.into_result()?;
    match (endpoint, keys, label) {
        (Some(endpoint), Some(keys), Some(label)) => Ok(NewSubscription {
            endpoint,
            keys,
            label,
            kinds: body.kinds.unwrap_or_default(),
        }),
        _ => Err(Invalid::field("endpoint", "could not be read")),
    }
}

async fn subscribe(
    state: web::Data<AppState>,
    caller: Caller,
    body: Json<SubscriptionBody>,
) -> ApiResult<HttpResponse> {
    let new =
        checked(body.0, state.config.push.allow_private_endpoints).map_err(DomainError::from)?;
    let store = caller.store(&state);
    let view = blocking(move || store.add_push_subscription(caller.user, new)).await?;
    Ok(HttpResponse::Created().json(view))
}

async fn list(state: web::Data<AppState>, caller: Caller) -> ApiResult<HttpResponse> {
    let store = caller.store(&state);
    let items = blocking(move || store.push_subscriptions(caller.user)).await?;
    Ok(HttpResponse::Ok().json(serde_json::json!({ "items": items })))
}

async fn change(
    state: web::Data<AppState>,
    caller: Caller,
    path: web::Path<PushSubscriptionId>,
    body: Json<ChangeBody>,
) -> ApiResult<HttpResponse> {
    let id = path.into_inner();
    let ChangeBody { label, kinds } = body.0;
    let label = label
        .map(|raw| DeviceLabel::parse(&raw))
        .transpose()
        .map_err(|message| DomainError::from(Invalid::field("label", message)))?;
    let store = caller.store(&state);
    let view = blocking(move || store.change_push_subscription(caller.user, id, label, kinds));
    Ok(HttpResponse::Ok().json(view.await?))
}

async fn remove(
    state: web::Data<AppState>,
    caller: Caller,
    path: web::Path<PushSubscriptionId>,
) -> ApiResult<HttpResponse> {
    let id = path.into_inner();
    let store = caller.store(&state);
    blocking(move || store.remove_push_subscription(caller.user, id)).await?;
    Ok(HttpResponse::NoContent().finish())
}
