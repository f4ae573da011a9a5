//! Requests ("what do you need"): one partner states a need; the other acknowledges it in their
//! own words; the author then resolves it (saying whether they felt heard) or withdraws it.
//!
//! `open → acknowledged → resolved`, and `open | acknowledged → withdrawn`. Only the partner
//! acknowledges; only the author resolves or withdraws.

use crate::error::DomainError;
use crate::ids::UserId;
use crate::text::Text;
use serde::{Deserialize, Serialize};

/// The need, or the partner's reply: free text.
pub type RequestText = Text<20_000>;

#[cfg_attr(feature = "diesel", derive(diesel::AsExpression, diesel::FromSqlRow))]
#[cfg_attr(feature = "diesel", diesel(sql_type = diesel::sql_types::Text))]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum RequestState {
    Open,
    Acknowledged,
    Resolved,
    Withdrawn,
}

crate::names::named_by_serde!(RequestState);

/// What a transition needs to know of a request.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RequestFacts {
    pub author: UserId,
    pub state: RequestState,
}

impl RequestFacts {
    /// The partner hears the need and says it back: `open → acknowledged`.
    pub fn acknowledge(self, by: UserId) -> Result<RequestState, DomainError> {
        if by == self.author {
            return Err(DomainError::Forbidden {
                code: "not_the_partner",
                message: "the partner acknowledges a request, not its author",
            });
        }
        match self.state {
            RequestState::Open => Ok(RequestState::Acknowledged),
            _ => Err(DomainError::Conflict {
                code: "request_not_open",
                message: "only an open request can be acknowledged",
            }),
        }
    }

    /// The author closes it once heard: `acknowledged → resolved`.
    pub fn resolve(self, by: UserId) -> Result<RequestState, DomainError> {
        self.ensure_author(by)?;
        match self.state {
            RequestState::Acknowledged => Ok(RequestState::Resolved),
            RequestState::Open => Err(DomainError::Conflict {
                code: "request_not_acknowledged",
                message: "a request is resolved after the partner has acknowledged it",
            }),
            _ => Err(DomainError::Conflict {
                code: "request_closed",
                message: "this request is already closed",
            }),
        }
    }

    /// The author takes it back: `open | acknowledged → withdrawn`.
    pub fn withdraw(self, by: UserId) -> Result<RequestState, DomainError> {
        self.ensure_author(by)?;
        match self.state {
            RequestState::Open | RequestState::Acknowledged => Ok(RequestState::Withdrawn),
            _ => Err(DomainError::Conflict {
                code: "request_closed",
                message: "this request is already closed",
            }),
        }
    }

    fn ensure_author(self, by: UserId) -> Result<(), DomainError> {
        if by == self.author {
            Ok(())
        } else {
            Err(DomainError::Forbidden {
                code: "not_the_author",
                message: "only the author resolves or withdraws a request",
            })
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::Utc;

    fn people() -> (UserId, UserId) {
        let now = Utc::now();
        (
            UserId::new_at(now),
            UserId::new_at(now + chrono::Duration::seconds(1)),
        )
    }

    #[test]
    fn a_request_is_acknowledged_by_the_partner_then_resolved_by_its_author() {
        let (author, partner) = people();
        let open = RequestFacts {
            author,
            state: RequestState::Open,
        };
        assert_eq!(open.acknowledge(partner), Ok(RequestState::Acknowledged));
        let heard = RequestFacts {
            state: RequestState::Acknowledged,
            ..open
        };
        assert_eq!(heard.resolve(author), Ok(RequestState::Resolved));
        assert_eq!(heard.withdraw(author), Ok(RequestState::Withdrawn));
    }

    #[test]
    fn the_wrong_partner_is_refused_with_a_code() {
        let (author, partner) = people();
        let open = RequestFacts {
            author,
            state: RequestState::Open,
        };
        assert!(matches!(
            open.acknowledge(author),
            Err(DomainError::Forbidden {
                code: "not_the_partner",
                ..
            })
        ));
        assert!(matches!(
            open.withdraw(partner),
            Err(DomainError::Forbidden {
                code: "not_the_author",
                ..
            })
        ));
        let heard = RequestFacts {
            state: RequestState::Acknowledged,
            ..open
        };
        assert!(matches!(
            heard.resolve(partner),
            Err(DomainError::Forbidden {
                code: "not_the_author",
                ..
            })
        ));
    }

    #[test]
    fn closed_requests_stay_closed() {
        let (author, partner) = people();
        for state in [RequestState::Resolved, RequestState::Withdrawn] {
            let closed = RequestFacts { author, state };
            assert!(matches!(
                closed.acknowledge(partner),
                Err(DomainError::Conflict {
                    code: "request_not_open",
                    ..
                })
            ));
            assert!(matches!(
                closed.resolve(author),
                Err(DomainError::Conflict {
                    code: "request_closed",
                    ..
                })
            ));
            assert!(matches!(
                closed.withdraw(author),
                Err(DomainError::Conflict {
                    code: "request_closed",
                    ..
                })
            ));
        }
        let open = RequestFacts {
            author,
            state: RequestState::Open,
        };
        assert!(matches!(
            open.resolve(author),
            Err(DomainError::Conflict {
                code: "request_not_acknowledged",
                ..
            })
        ));
        for state in [
            RequestState::Open,
            RequestState::Acknowledged,
            RequestState::Resolved,
            RequestState::Withdrawn,
        ] {
            assert_eq!(state.to_string().parse::<RequestState>().ok(), Some(state));
        }
    }
}
