//! Web Push subscriptions: what a browser hands over so that the server can reach it (an
//! endpoint URL the client chooses, and the keys its messages are encrypted to), checked before
//! anything is stored, and which kinds of notice each device receives.
//!
//! The endpoint is a URL from the client, so it must not turn the server into a way to reach
//! hosts on its own networks: only `https`, and never a loopback, private, link-local or other
//! internal address, unless the operator allows private endpoints (the tests' receiver runs on
//! loopback). A name that resolves to such an address is refused again when a push is sent.

use crate::error::Invalid;
use crate::mail::MailKind;
use crate::text::Text;
use serde::{Deserialize, Serialize};
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};
use url::{Host, Url};

/// A device's name as its owner sees it in their list ("Phone", "Laptop").
pub type DeviceLabel = Text<80>;

/// Which notices a device receives; all by default.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(default, deny_unknown_fields)]
pub struct PushKinds {
    /// Check-in times, talks and commitments coming up.
    pub reminders: bool,
    /// Something new from the partner (never what they wrote).
    pub activity: bool,
    /// The weekly check-in opening, closing soon, and revealed.
    pub weekly: bool,
}

impl Default for PushKinds {
    fn default() -> Self {
        PushKinds {
            reminders: true,
            activity: true,
            weekly: true,
        }
    }
}

impl PushKinds {
    /// Whether a device with these kinds is pushed a notice of `kind`.
    pub fn admits(&self, kind: MailKind) -> bool {
        PushNotice::of(kind).is_some_and(|notice| match notice.group {
            PushGroup::Reminders => self.reminders,
            PushGroup::Activity => self.activity,
            PushGroup::Weekly => self.weekly,
        })
    }
}

/// The three switches of [`PushKinds`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PushGroup {
    Reminders,
    Activity,
    Weekly,
}

/// How soon a push service should wake the device for a notice (RFC 8030 `Urgency`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Urgency {
    Normal,
    High,
}

impl Urgency {
    pub fn as_str(self) -> &'static str {
        match self {
            Urgency::Normal => "normal",
            Urgency::High => "high",
        }
    }
}

/// How a notice of one mail kind goes out as a push.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PushNotice {
    pub group: PushGroup,
    pub urgency: Urgency,
    /// How long a push service keeps it for a device that is offline (RFC 8030 `TTL`): a
    /// reminder an hour late is noise, news from the partner still matters the next day.
    pub ttl_secs: u32,
}

impl PushNotice {
    /// The notice for mail of `kind`; `None` for what is not pushed (the weekly summary is a
    /// mail to read at leisure, not a notice).
    pub fn of(kind: MailKind) -> Option<PushNotice> {
        const HOUR: u32 = 3_600;
        let (group, urgency, ttl_secs) = match kind {
            MailKind::CheckInReminder | MailKind::TalkReminder | MailKind::CommitmentReminder => {
                (PushGroup::Reminders, Urgency::High, HOUR)
            }
            MailKind::MissedNotice => (PushGroup::Reminders, Urgency::Normal, 24 * HOUR),
            MailKind::Activity => (PushGroup::Activity, Urgency::Normal, 24 * HOUR),
            MailKind::WeeklyCheckIn | MailKind::WeeklyPartnerReady => {
                (PushGroup::Weekly, Urgency::Normal, 12 * HOUR)
            }
            MailKind::WeeklySummary => return None,
        };
        Some(PushNotice {
            group,
            urgency,
            ttl_secs,
        })
    }
}

/// A checked endpoint, as the client gave it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Endpoint(Url);

impl Endpoint {
    pub fn as_str(&self) -> &str {
        self.0.as_str()
    }

    /// `https://host[:port]`: what a person's device list shows (the rest is a secret address).
    pub fn origin(&self) -> String {
        self.0.origin().ascii_serialization()
    }

    /// The host and port a push connects to.
    pub fn host(&self) -> Option<(String, u16)> {
        Some((
            self.0.host_str()?.to_owned(),
            self.0.port_or_known_default()?,
        ))
    }
}

/// The longest endpoint accepted (push services' are well under 1,000 characters).
pub const MAX_ENDPOINT: usize = 2_000;

/// Checks an endpoint: an absolute `https` URL without credentials, on a public host; `http` and
/// internal addresses only when `allow_private` (then both, for a receiver on loopback).
pub fn parse_endpoint(raw: &str, allow_private: bool) -> Result<Endpoint, String> {
    if raw.len() > MAX_ENDPOINT {
        return Err(format!("must be at most {MAX_ENDPOINT} characters"));
    }
    let url = Url::parse(raw).map_err(|e| format!("is not a URL ({e})"))?;
    if !url.username().is_empty() || url.password().is_some() {
        return Err("must not carry a user name or password".to_owned());
    }
    match url.scheme() {
        "https" => {}
        "http" if allow_private => {}
        _ => return Err("must be an https address".to_owned()),
    }
    let internal = match url.host() {
        None => return Err("must name a host".to_owned()),
        Some(Host::Ipv4(ip)) => is_internal(IpAddr::V4(ip)),
        Some(Host::Ipv6(ip)) => is_internal(IpAddr::V6(ip)),
        Some(Host::Domain(name)) => is_internal_name(name),
    };
    if internal && !allow_private {
        return Err(
            "is on a private, loopback or link-local network; this server does not push there"
                .to_owned(),
        );
    }
    Ok(Endpoint(url))
}

/// Names that only ever mean this machine or its local network.
fn is_internal_name(name: &str) -> bool {
    let name = name.trim_end_matches('.').to_ascii_lowercase();
    name == "localhost"
        || [".localhost", ".local", ".internal", ".lan", ".home.arpa"]
            .iter()
            .any(|suffix| name.ends_with(suffix))
        || !name.contains('.')
}

/// Whether `ip` is anything but a public unicast address.
pub fn is_internal(ip: IpAddr) -> bool {
    match ip {
        IpAddr::V4(v4) => is_internal_v4(v4),
        IpAddr::V6(v6) => match v6.to_ipv4_mapped() {
            Some(v4) => is_internal_v4(v4),
            None => is_internal_v6(v6),
        },
    }
}

fn is_internal_v4(ip: Ipv4Addr) -> bool {
    let [a, b, ..] = ip.octets();
    ip.is_loopback()
        || ip.is_private()
        || ip.is_link_local()
        || ip.is_unspecified()
        || ip.is_broadcast()
        || ip.is_multicast()
        || ip.is_documentation()
        || a == 0
        // Shared address space (carrier-grade NAT), 100.64.0.0/10.
        || (a == 100 && (64..128).contains(&b))
        // Benchmarking, 198.18.0.0/15, and the reserved 240.0.0.0/4.
        || (a == 198 && (b == 18 || b == 19))
        || a >= 240
}

fn is_internal_v6(ip: Ipv6Addr) -> bool {
    let segments = ip.segments();
    let first = segments[0];
    // The IPv4 address inside NAT64 (64:ff9b::/96) and 6to4 (2002::/16) addresses: on networks
    // that translate them, they reach that IPv4 host.
    let embedded = |high: u16, low: u16| {
        let [a, b] = high.to_be_bytes();
        let [c, d] = low.to_be_bytes();
        is_internal_v4(Ipv4Addr::new(a, b, c, d))
    };
    ip.is_loopback()
        || ip.is_unspecified()
        || ip.is_multicast()
        // Unique local fc00::/7, link-local fe80::/10 and the old site-local fec0::/10.
        || (first & 0xfe00) == 0xfc00
        || (first & 0xffc0) == 0xfe80
        || (first & 0xffc0) == 0xfec0
        // Documentation 2001:db8::/32.
        || (first == 0x2001 && segments[1] == 0x0db8)
        // IPv4-compatible ::a.b.c.d (deprecated; never a public host).
        || segments[..6].iter().all(|s| *s == 0)
        || (segments[..6] == [0x64, 0xff9b, 0, 0, 0, 0] && embedded(segments[6], segments[7]))
        || (first == 0x2002 && embedded(segments[1], segments[2]))
}

/// The keys a subscription's messages are encrypted to, as the browser gives them
/// (base64url): the device's P-256 public key (65 bytes, uncompressed) and its 16-byte secret.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DeviceKeys {
    pub p256dh: Vec<u8>,
    pub auth: Vec<u8>,
}

impl DeviceKeys {
    /// Checks the lengths and form; whether the point is on the curve is the sender's to check.
    pub fn parse(p256dh: &str, auth: &str) -> Result<Self, Invalid> {
        let mut invalid = Invalid(Vec::new());
        let p256dh = invalid.check(
            "keys.p256dh",
            from_base64url(p256dh)
                .filter(|k| k.len() == 65 && k[0] == 4)
                .ok_or_else(|| "must be an uncompressed P-256 key (65 bytes, base64url)".into()),
        );
        let auth = invalid.check(
            "keys.auth",
            from_base64url(auth)
                .filter(|k| k.len() == 16)
                .ok_or_else(|| "must be 16 bytes, base64url".into()),
        );
        invalid.into_result()?;
        Ok(DeviceKeys {
            p256dh: p256dh.unwrap_or_default(),
            auth: auth.unwrap_or_default(),
        })
    }
}

const ALPHABET: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

/// Base64url without padding, as browsers give keys and want the server's.
pub fn base64url(bytes: &[u8]) -> String {
    let mut out = String::with_capacity(bytes.len().div_ceil(3) * 4);
    for chunk in bytes.chunks(3) {
        let at = |i: usize| u32::from(chunk.get(i).copied().unwrap_or(0));
        let n = (at(0) << 16) | (at(1) << 8) | at(2);
        for i in 0..=chunk.len() {
            let sextet = usize::try_from((n >> (18 - 6 * i)) & 63).unwrap_or(0);
            out.push(char::from(ALPHABET[sextet]));
        }
    }
    out
}

/// Base64url, padded or not (browsers give it unpadded).
pub fn from_base64url(text: &str) -> Option<Vec<u8>> {
    let text = text.trim_end_matches('=');
    let mut out = Vec::with_capacity(text.len() * 3 / 4);
    let (mut buffer, mut bits) = (0u32, 0u32);
    for byte in text.bytes() {
        let value = ALPHABET.iter().position(|c| *c == byte)?;
        buffer = (buffer << 6) | u32::try_from(value).ok()?;
        bits += 6;
        if bits >= 8 {
            bits -= 8;
            out.push(u8::try_from((buffer >> bits) & 0xff).ok()?);
        }
    }
    // Leftover bits must be zero padding, not a truncated byte.
    (bits < 6 && buffer & ((1 << bits) - 1) == 0).then_some(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_public_https_endpoints_unless_private_ones_are_allowed() {
        let ok = parse_endpoint("https://fcm.googleapis.com/fcm/send/abc", false);
        assert_eq!(
            ok.map(|e| e.origin()),
            Ok("https://fcm.googleapis.com".to_owned())
        );
        for refused in [
            "http://push.example.com/x",
            "https://127.0.0.1/x",
            "https://10.1.2.3/x",
            "https://172.20.0.1/x",
            "https://192.168.1.10/x",
            "https://169.254.169.254/latest/meta-data",
            "https://100.64.0.1/x",
            "https://0.0.0.0/x",
            "https://[::1]/x",
            "https://[fd00::1]/x",
            "https://[fe80::1]/x",
            "https://[::ffff:10.0.0.1]/x",
            "https://[64:ff9b::a9fe:a9fe]/x",
            "https://[2002:c0a8:101::1]/x",
            "https://[::10.0.0.1]/x",
            "https://[fec0::1]/x",
            "https://localhost/x",
            "https://push.localhost/x",
            "https://intranet/x",
            "https://printer.local/x",
            "https://user:pw@push.example.com/x",
            "ftp://push.example.com/x",
            "not a url",
        ] {
            assert!(parse_endpoint(refused, false).is_err(), "{refused}");
        }
        // Translated addresses of public hosts are public.
        assert!(parse_endpoint("https://[64:ff9b::808:808]/x", false).is_ok());
        assert!(parse_endpoint("https://[2002:808:808::1]/x", false).is_ok());
        assert!(parse_endpoint("https://[2001:4860::8888]/x", false).is_ok());
        assert!(parse_endpoint("http://127.0.0.1:8099/push/1", true).is_ok());
        assert!(parse_endpoint("ftp://127.0.0.1/x", true).is_err());
        assert!(
            parse_endpoint(&format!("https://a.example/{}", "x".repeat(2_000)), false).is_err()
        );
    }

    #[test]
    fn a_device_is_pushed_only_the_kinds_it_chose() {
        let only_reminders = PushKinds {
            reminders: true,
            activity: false,
            weekly: false,
        };
        assert!(only_reminders.admits(MailKind::CheckInReminder));
        assert!(only_reminders.admits(MailKind::MissedNotice));
        assert!(!only_reminders.admits(MailKind::Activity));
        assert!(!only_reminders.admits(MailKind::WeeklyPartnerReady));
        // The weekly summary is mail only, whatever the device chose.
        assert!(!PushKinds::default().admits(MailKind::WeeklySummary));
        let reminder = PushNotice::of(MailKind::TalkReminder).map(|n| (n.urgency, n.ttl_secs));
        assert_eq!(reminder, Some((Urgency::High, 3_600)));
    }

    #[test]
    fn device_keys_are_checked_for_form_and_length() {
        // 65 bytes starting with 4, and 16 bytes, base64url without padding.
        let p256dh = format!("BA{}", "A".repeat(85));
        let auth = "AAAAAAAAAAAAAAAAAAAAAA";
        let keys = DeviceKeys::parse(&p256dh, auth);
        assert_eq!(keys.map(|k| (k.p256dh.len(), k.auth.len())), Ok((65, 16)));
        let wrong = DeviceKeys::parse("AAAA", "not*base64");
        assert!(wrong.is_err_and(|Invalid(fields)| fields.len() == 2));
        assert_eq!(from_base64url("aGk"), Some(b"hi".to_vec()));
        assert_eq!(from_base64url("aGk="), Some(b"hi".to_vec()));
        assert_eq!(
            from_base64url("aGl"),
            None,
            "a leftover bit set is not padding"
        );
        assert_eq!(base64url(b"hi"), "aGk");
        assert_eq!(base64url(&[0xfb, 0xff]), "-_8");
        let bytes: Vec<u8> = (0..=255).collect();
        assert_eq!(from_base64url(&base64url(&bytes)), Some(bytes));
    }
}
