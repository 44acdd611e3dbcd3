//! The words of outgoing messages: the channel a message leaves by, where it stands in
//! the outbox, and what a user subscribed to (which alerts, on which channel, with quiet
//! hours).

use chrono::NaiveTime;

use crate::{Priority, RuleKind, Timestamp, string_enum};

string_enum!(
    /// How a message leaves the system.
    Channel, "channel", {
        /// E-mail over SMTP.
        Email => "email" : "E-mail",
        /// A signed HTTP POST to a configured endpoint.
        Webhook => "webhook" : "Webhook",
        /// A message from the office's Zalo Official Account.
        Zalo => "zalo" : "Zalo OA",
    }
);

string_enum!(
    /// Where an outgoing message stands in the outbox.
    OutboxState, "outbox state", {
        /// Waiting for its first attempt or for its next retry.
        Pending => "pending" : "Chờ gửi",
        /// A worker holds it and is sending it.
        Sending => "sending" : "Đang gửi",
        /// Delivered.
        Sent => "sent" : "Đã gửi",
        /// Given up: refused for good, or out of attempts.
        Failed => "failed" : "Gửi thất bại",
    }
);

/// A daily span, in Vietnam time, during which only urgent notifications are sent; the
/// rest wait for its end. It may run over midnight (`22:00`–`06:30`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct QuietHours {
    /// When it starts.
    pub start: NaiveTime,
    /// When it ends.
    pub end: NaiveTime,
}

/// What a user asked to be told, and where.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SubscriptionSettings {
    /// The channel.
    pub channel: Channel,
    /// Where on the channel: an e-mail address, a configured webhook endpoint's name, or a
    /// Zalo user id.
    pub target: String,
    /// Kinds of alert to be told of; empty for every kind.
    pub kinds: Vec<RuleKind>,
    /// The least urgent priority to be told of (P3 is every alert).
    pub min_priority: Priority,
    /// Rule ids to be told of; empty for every rule.
    pub topics: Vec<String>,
    /// Province codes to be told of; empty for every place.
    pub provinces: Vec<String>,
    /// When to hold messages back.
    pub quiet: Option<QuietHours>,
    /// Whether alert notifications are sent.
    pub alerts: bool,
    /// Whether the daily digest for the user's role is sent.
    pub digest: bool,
    /// Whether anything is sent at all.
    pub enabled: bool,
}

/// A stored subscription.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Subscription {
    /// Store identifier.
    pub id: i64,
    /// Whose it is.
    pub user_id: i64,
    /// What and where.
    pub settings: SubscriptionSettings,
    /// When it was made.
    pub created_at: Timestamp,
    /// When it last changed.
    pub updated_at: Timestamp,
}

/// A subscription with its user: who may be told something now.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Subscriber {
    /// The subscription.
    pub subscription: Subscription,
    /// Whose it is; their role decides which digest they read.
    pub user: crate::User,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn channels_and_states_round_trip() {
        for channel in Channel::ALL {
            assert_eq!(channel.as_str().parse::<Channel>().ok(), Some(*channel));
        }
        for state in OutboxState::ALL {
            assert_eq!(state.as_str().parse::<OutboxState>().ok(), Some(*state));
        }
        assert_eq!(Channel::Zalo.label(), "Zalo OA");
        assert!("sms".parse::<Channel>().is_err());
    }
}
