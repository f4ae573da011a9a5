//! What an account is made of, parsed at the edge: a normalised email, a password long enough
//! to be worth hashing, a display name and an IANA time zone.

use crate::DomainError;
use crate::text::Text;
use chrono_tz::Tz;
use serde::{Deserialize, Serialize};
use std::fmt;
use std::str::FromStr;

/// An email address, trimmed and lower-cased so that uniqueness is case-insensitive.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize)]
#[serde(transparent)]
pub struct Email(String);

impl Email {
    pub const MAX_LEN: usize = 254;

    pub fn parse(raw: &str) -> Result<Self, String> {
        let email = raw.trim().to_lowercase();
        if email.is_empty() {
            return Err("must not be empty".into());
        }
        if email.len() > Self::MAX_LEN {
            return Err(format!("must be at most {} characters", Self::MAX_LEN));
        }
        let Some((local, domain)) = email.rsplit_once('@') else {
            return Err("must look like name@example.org".into());
        };
        let domain_ok = !domain.starts_with('.')
            && !domain.ends_with('.')
            && domain.contains('.')
            && !domain.contains("..");
        if local.is_empty()
            || !domain_ok
            || email.chars().any(|c| c.is_whitespace() || c.is_control())
        {
            return Err("must look like name@example.org".into());
        }
        Ok(Self(email))
    }

    pub fn from_trusted(stored: String) -> Self {
        Self(stored)
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for Email {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// A new password: at least 10 characters. Never printed, never serialised.
#[derive(Clone, PartialEq, Eq)]
pub struct Password(String);

impl Password {
    pub const MIN_CHARS: usize = 10;
    /// Hashing is deliberately slow; an unbounded input would make it a denial-of-service lever.
    pub const MAX_CHARS: usize = 1024;

    pub fn parse(raw: &str) -> Result<Self, String> {
        let chars = raw.chars().count();
        if chars < Self::MIN_CHARS {
            return Err(format!("must be at least {} characters", Self::MIN_CHARS));
        }
        if chars > Self::MAX_CHARS {
            return Err(format!("must be at most {} characters", Self::MAX_CHARS));
        }
        Ok(Self(raw.to_owned()))
    }

    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for Password {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Password(********)")
    }
}

/// How a partner is shown to the other.
pub type DisplayName = Text<80>;

/// An IANA time zone such as `Europe/Berlin`; reminders and local days are computed in it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct TimeZone(Tz);

impl TimeZone {
    pub fn parse(raw: &str) -> Result<Self, String> {
        Tz::from_str(raw.trim()).map(Self).map_err(|_| {
            format!(
                "`{}` is not an IANA time zone such as Europe/Berlin",
                raw.trim()
            )
        })
    }

    pub fn tz(&self) -> Tz {
        self.0
    }

    pub fn name(&self) -> &'static str {
        self.0.name()
    }
}

impl Serialize for TimeZone {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(self.name())
    }
}

/// Who may create an account through the API. Accounts made on the operator's command line
/// pass no policy.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RegistrationPolicy {
    /// Anyone who can reach the server.
    #[default]
    Open,
    /// Only a partner signing up with a valid invite, and the first account of an empty server.
    InviteOnly,
    /// Nobody: the operator adds accounts with `kept users add`.
    Closed,
}

impl RegistrationPolicy {
    /// Whether a sign-up may go ahead: `with_invite` when it carries an invite code (checked
    /// when it is spent), `first_account` when the server has no account yet.
    pub fn admits(self, with_invite: bool, first_account: bool) -> Result<(), DomainError> {
        let refused = |message| DomainError::Forbidden {
            code: "registration_closed",
            message,
        };
        match self {
            Self::Open => Ok(()),
            Self::InviteOnly if with_invite || first_account => Ok(()),
            Self::InviteOnly => Err(refused(
                "sign-up on this server needs an invite link from your partner",
            )),
            Self::Closed => Err(refused(
                "this server takes no sign-ups; ask the person who runs it for an account",
            )),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn emails_are_normalised_and_checked() {
        assert_eq!(
            Email::parse("  Ada@Example.ORG ").map(|e| e.0),
            Ok("ada@example.org".to_owned())
        );
        for bad in [
            "",
            "ada",
            "ada@",
            "@example.org",
            "ada@example",
            "a da@example.org",
            "ada@.org",
            "ada@example..org",
        ] {
            assert!(Email::parse(bad).is_err(), "{bad:?} should be refused");
        }
        assert!(Email::parse(&format!("{}@example.org", "a".repeat(250))).is_err());
    }

    #[test]
    fn passwords_need_ten_characters_and_never_show() {
        assert!(Password::parse("123456789").is_err());
        assert!(Password::parse("1234567890").is_ok());
        assert!(
            Password::parse("ééééééééé").is_err(),
            "counted in characters"
        );
        assert!(Password::parse(&"x".repeat(1025)).is_err());
        assert_eq!(
            format!("{:?}", Password::parse("secret-secret")),
            "Ok(Password(********))"
        );
    }

    #[test]
    fn time_zones_are_iana_names() {
        assert_eq!(
            TimeZone::parse("Europe/Berlin").map(|t| t.name()),
            Ok("Europe/Berlin")
        );
        assert!(TimeZone::parse("Mars/Olympus").is_err());
        assert!(TimeZone::parse("").is_err());
    }

    #[test]
    fn invite_only_admits_invited_partners_and_the_first_account() {
        use RegistrationPolicy::*;
        assert!(Open.admits(false, false).is_ok());
        assert!(InviteOnly.admits(true, false).is_ok());
        assert!(InviteOnly.admits(false, true).is_ok());
        let refused = InviteOnly.admits(false, false).err().map(|e| e.code());
        assert_eq!(refused, Some("registration_closed"));
        let closed = Closed.admits(true, true).err().map(|e| e.code());
        assert_eq!(closed, Some("registration_closed"));
    }
}
