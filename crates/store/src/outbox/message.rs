//! What a command asks the outbox to send: a mail (whose kind also decides the pushes beside
//! it) and who it goes to.

use kept_core::UserId;
use kept_core::mail::MailKind;
use serde_json::Value;

/// One mail to write. `dedupe_key` makes writing it twice harmless and names the message
/// (its `Message-ID` derives from it).
#[derive(Debug, Clone)]
pub struct Mail {
    pub dedupe_key: String,
    pub template: &'static str,
    /// `None` for account mail, which is always sent and has no unsubscribe.
    pub kind: Option<MailKind>,
    /// Whose doing the mail is about (so a safety exit can stop it).
    pub about: Option<UserId>,
    pub data: Value,
}

/// Who a mail goes to.
#[derive(Debug, Clone)]
pub enum To {
    /// A person with an account: their preferences and quiet hours apply.
    User(UserId),
    /// An address without an account (an invite).
    Address(String),
}
