//! Quay's notification methods (`notifications/notificationmethod.py`): what a method's
//! `config` must hold (checked when a notification is created, with Quay's messages) and
//! how a delivery is made: a webhook POSTs the event's payload, Slack gets Quay's
//! attachment message, e-mail goes through the configured SMTP server, and
//! `quay_notification` writes rows into the target users' notifications.

use std::sync::Arc;
use std::time::Duration;

use lettre::message::header::ContentType;
use lettre::message::Mailbox;
use lettre::transport::smtp::authentication::Credentials;
use lettre::{AsyncSmtpTransport, AsyncTransport, Message, Tokio1Executor};
use quay_core::config::Config;
use quay_core::DomainError;
use serde_json::{json, Value};
use url::Url;

use crate::events::{Event, Level};
use crate::{NotifyStore, TargetKind};

/// One of the methods this registry delivers with. Quay's `flowdock` and `hipchat`
/// are not among them: both services have shut down.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Method {
    QuayNotification,
    Email,
    Webhook,
    Slack,
}

/// A `quay_notification` target as its config names it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TargetSpec {
    pub kind: TargetKind,
    pub name: String,
}

/// Why a method's config was refused: Quay's `CannotValidateNotificationMethodException`.
fn refuse(msg: impl Into<String>) -> DomainError {
    DomainError::invalid(msg)
}

fn config_str<'a>(config: &'a Value, key: &str) -> &'a str {
    config.get(key).and_then(Value::as_str).unwrap_or("")
}

/// Whether the config value is "missing" in Python's sense (absent, empty, false).
fn falsy(v: Option<&Value>) -> bool {
    match v {
        None | Some(Value::Null) => true,
        Some(Value::String(s)) => s.is_empty(),
        Some(Value::Bool(b)) => !b,
        Some(Value::Array(a)) => a.is_empty(),
        Some(Value::Object(o)) => o.is_empty(),
        Some(Value::Number(n)) => n.as_f64() == Some(0.0),
    }
}

impl Method {
    pub const ALL: &'static [Method] = &[
        Method::QuayNotification,
        Method::Email,
        Method::Webhook,
        Method::Slack,
    ];

    pub fn name(self) -> &'static str {
        match self {
            Method::QuayNotification => "quay_notification",
            Method::Email => "email",
            Method::Webhook => "webhook",
            Method::Slack => "slack",
        }
    }

    pub fn parse(name: &str) -> Option<Method> {
        Method::ALL.iter().copied().find(|m| m.name() == name)
    }

    /// The target of a `quay_notification` config (`{"target": {"kind", "name"}}`).
    pub fn target(config: &Value) -> Result<TargetSpec, DomainError> {
        let target = config.get("target");
        let kind = target.and_then(|t| t.get("kind"));
        if falsy(target) || falsy(kind) {
            return Err(refuse("Missing target"));
        }
        let kind = match kind.and_then(Value::as_str) {
            Some("user") => TargetKind::User,
            Some("org") => TargetKind::Org,
            Some("team") => TargetKind::Team,
            _ => return Err(refuse("Unknown target kind")),
        };
        let name = match target.and_then(|t| t.get("name")) {
            Some(Value::String(s)) => s.clone(),
            _ => return Err(refuse("Missing target name")),
        };
        Ok(TargetSpec { kind, name })
    }

    /// Quay's `validate` for the methods whose check needs no lookup; a
    /// `quay_notification` target is looked up by the caller (see [`Method::target`]).
    pub fn validate(self, config: &Value, settings: &Config) -> Result<(), DomainError> {
        match self {
            Method::QuayNotification => Method::target(config).map(|_| ()),
            Method::Email => {
                let email = config_str(config, "email");
                if falsy(config.get("email")) {
                    return Err(refuse("Missing e-mail address"));
                }
                if email.parse::<Mailbox>().is_err() || !email.contains('@') {
                    return Err(refuse("Invalid e-mail address"));
                }
                Ok(())
            }
            Method::Webhook => {
                if falsy(config.get("url")) {
                    return Err(refuse("Missing webhook URL"));
                }
                webhook_url(config_str(config, "url"), settings)
                    .ok_or_else(|| refuse("Invalid webhook URL"))?;
                if !falsy(config.get("template")) {
                    return Err(refuse("Webhook payload templates are not supported"));
                }
                Ok(())
            }
            Method::Slack => {
                if falsy(config.get("url")) {
                    return Err(refuse("Missing Slack Callback URL"));
                }
                slack_url(config_str(config, "url")).ok_or_else(|| refuse("Invalid Slack URL"))?;
                Ok(())
            }
        }
    }
}

/// An http(s) URL whose host webhooks may reach ([`Config::outbound_host_allowed`]).
fn webhook_url(url: &str, settings: &Config) -> Option<Url> {
    let parsed = Url::parse(url).ok()?;
    let allowed = matches!(parsed.scheme(), "http" | "https")
        && settings.outbound_host_allowed(parsed.host_str()?);
    allowed.then_some(parsed)
}

/// Slack callbacks are URLs too (Quay posts to whatever string it was given).
fn slack_url(url: &str) -> Option<Url> {
    let parsed = Url::parse(url).ok()?;
    matches!(parsed.scheme(), "http" | "https").then_some(parsed)
}

/// Quay's `SlackMethod.format_for_slack`: the HTML message in Slack's markup (links
/// `<url|text>`, `*bold*`, `_italic_`, `<br>` as line breaks, other tags dropped).
pub fn format_for_slack(html: &str) -> String {
    let collapsed = html.replace('\n', "");
    let collapsed = regex::Regex::new(r"\s+")
        .map(|re| re.replace_all(&collapsed, " ").into_owned())
        .unwrap_or(collapsed);
    let message = collapsed.replace("<br>", "\n");
    let mut out = String::new();
    let mut rest = message.as_str();
    while let Some(start) = rest.find('<') {
        out.push_str(&unescape(&rest[..start]));
        let Some(end) = rest[start..].find('>') else {
            out.push_str(&unescape(&rest[start..]));
            rest = "";
            break;
        };
        let tag = &rest[start + 1..start + end];
        rest = &rest[start + end + 1..];
        let closing = tag.starts_with('/');
        let name: String = tag
            .trim_start_matches('/')
            .chars()
            .take_while(|c| c.is_ascii_alphanumeric())
            .collect::<String>()
            .to_ascii_lowercase();
        match (name.as_str(), closing) {
            ("a", false) => {
                let href = attr(tag, "href").unwrap_or_default();
                out.push('<');
                out.push_str(&unescape(&href));
                out.push('|');
            }
            ("a", true) => out.push('>'),
            ("b" | "strong", _) => out.push('*'),
            ("i", _) => out.push('_'),
            _ => {}
        }
    }
    out.push_str(&unescape(rest));
    out
}

fn attr(tag: &str, name: &str) -> Option<String> {
    let at = tag.find(&format!("{name}="))? + name.len() + 1;
    let value = &tag[at..];
    let quote = value.chars().next()?;
    if quote == '"' || quote == '\'' {
        let inner = &value[1..];
        Some(inner[..inner.find(quote)?].to_string())
    } else {
        Some(value.split_whitespace().next()?.to_string())
    }
}

fn unescape(s: &str) -> String {
    s.replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&quot;", "\"")
        .replace("&#39;", "'")
        .replace("&amp;", "&")
}

fn slack_color(level: Level) -> &'static str {
    match level {
        Level::Info => "#ffffff",
        Level::Warning => "warning",
        Level::Error => "danger",
        Level::Success | Level::Primary => "good",
    }
}

/// Quay's Slack message for an event.
pub fn slack_payload(event: Event, data: &Value) -> Value {
    let summary = event.summary(data);
    json!({
        "text": summary,
        "username": "quayiobot",
        "attachments": [{
            "fallback": summary,
            "text": format_for_slack(&event.message(data)),
            "color": slack_color(event.level(data)),
            "mrkdwn_in": ["text"],
        }],
    })
}

/// What a delivery is about.
pub struct DeliveryContext<'a> {
    pub namespace: &'a str,
    pub method: Method,
    pub config: &'a Value,
    pub event: Event,
    pub event_data: &'a Value,
}

/// Makes deliveries: one HTTP client (connection reuse), the SMTP settings, and the
/// store for Quay notifications.
pub struct Deliverer {
    http: reqwest::Client,
    store: Arc<dyn NotifyStore>,
    config: Arc<Config>,
    timeout: Duration,
}

impl Deliverer {
    pub fn new(store: Arc<dyn NotifyStore>, config: Arc<Config>) -> Self {
        let timeout = Duration::from_secs(config.notification_send_timeout.max(1));
        let http = reqwest::Client::builder()
            .timeout(timeout)
            // A webhook answering with a redirect to somewhere else is not followed:
            // the host checks would not apply to the new location.
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .unwrap_or_default();
        Self {
            http,
            store,
            config,
            timeout,
        }
    }

    /// Performs one delivery; the error says why it failed (it counts as a failure).
    pub async fn deliver(&self, d: &DeliveryContext<'_>) -> Result<(), String> {
        match d.method {
            Method::Webhook => {
                let url = config_str(d.config, "url");
                // Quay checks again before sending and drops what no longer passes.
                let Some(parsed) = webhook_url(url, &self.config) else {
                    tracing::warn!("webhook URL refused at delivery");
                    return Ok(());
                };
                self.post_json(parsed, d.event_data, "webhook").await
            }
            Method::Slack => {
                let url = config_str(d.config, "url");
                let Some(parsed) = slack_url(url) else {
                    return Ok(());
                };
                self.post_json(parsed, &slack_payload(d.event, d.event_data), "Slack")
                    .await
            }
            Method::Email => self.send_mail(d).await,
            Method::QuayNotification => self.notify_users(d).await,
        }
    }

    /// The error never shows the URL: webhook and Slack URLs often carry a secret, and
    /// the reason is logged.
    async fn post_json(&self, url: Url, payload: &Value, what: &str) -> Result<(), String> {
        let res = self
            .http
            .post(url)
            .header("Content-type", "application/json")
            .body(payload.to_string())
            .send()
            .await
            .map_err(|e| format!("{what} was unable to be sent: {}", e.without_url()))?;
        let status = res.status().as_u16();
        if status / 100 != 2 {
            return Err(format!("{status} response for {what}"));
        }
        Ok(())
    }

    async fn send_mail(&self, d: &DeliveryContext<'_>) -> Result<(), String> {
        let email = config_str(d.config, "email");
        if email.is_empty() {
            return Ok(());
        }
        let c = &self.config;
        if c.mail_server.is_empty() {
            return Err("no mail server configured (MAIL_SERVER)".into());
        }
        let to: Mailbox = email.parse().map_err(|e| format!("recipient: {e}"))?;
        let from: Mailbox = c
            .mail_default_sender
            .parse()
            .map_err(|e| format!("MAIL_DEFAULT_SENDER: {e}"))?;
        let message = Message::builder()
            .from(from)
            .to(to)
            .subject(d.event.summary(d.event_data))
            .header(ContentType::TEXT_HTML)
            .body(d.event.message(d.event_data))
            .map_err(|e| format!("message: {e}"))?;
        let mut transport = if c.mail_use_tls {
            AsyncSmtpTransport::<Tokio1Executor>::starttls_relay(&c.mail_server)
                .map_err(|e| format!("mail server: {e}"))?
        } else {
            AsyncSmtpTransport::<Tokio1Executor>::builder_dangerous(&c.mail_server)
        }
        .port(c.mail_port)
        .timeout(Some(self.timeout));
        if let Some(user) = c.mail_username.as_deref().filter(|u| !u.is_empty()) {
            transport = transport.credentials(Credentials::new(
                user.to_string(),
                c.mail_password.clone().unwrap_or_default(),
            ));
        }
        transport
            .build()
            .send(message)
            .await
            .map(|_| ())
            .map_err(|e| format!("Email was unable to be sent: {e}"))
    }

    /// Quay's `QuayNotificationMethod.perform`: a notification of the event's kind for
    /// every target user (the organization itself for an `org` target); a target gone
    /// since (deleted user or team) receives nothing.
    async fn notify_users(&self, d: &DeliveryContext<'_>) -> Result<(), String> {
        let spec = Method::target(d.config).map_err(|e| e.to_string())?;
        if spec.kind == TargetKind::Org && spec.name != d.namespace {
            return Err("Organization name must match repository namespace".into());
        }
        let targets = self
            .store
            .find_target(d.namespace, spec.kind, &spec.name)
            .await
            .map_err(|e| e.to_string())?
            .unwrap_or_default();
        if targets.is_empty() {
            return Ok(());
        }
        self.store
            .create_user_notifications(d.event.name(), targets, d.event_data.clone())
            .await
            .map_err(|e| e.to_string())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn webhook_checks() {
        let c = Config::default();
        let check = |url: &str| Method::Webhook.validate(&json!({"url": url}), &c);
        assert!(check("https://example.com/hook").is_ok());
        let msg = |r: Result<(), DomainError>| r.unwrap_err().to_string();
        assert_eq!(
            msg(Method::Webhook.validate(&json!({}), &c)),
            "Missing webhook URL"
        );
        for bad in [
            "ftp://example.com",
            "not a url",
            "http://localhost:1/x",
            "http://LOCALHOST./x",
            "http://127.0.0.1:9/x",
            "http://127.1/x",
            "http://[::1]/x",
        ] {
            assert_eq!(msg(check(bad)), "Invalid webhook URL", "{bad}");
        }
        let c = Config {
            webhook_hostname_blacklist: vec!["Internal.example".into()],
            ..Config::default()
        };
        assert!(Method::Webhook
            .validate(&json!({"url": "http://internal.example/"}), &c)
            .is_err());
        let c = Config {
            webhook_allow_localhost: true,
            ..Config::default()
        };
        assert!(Method::Webhook
            .validate(&json!({"url": "http://127.0.0.1:9/"}), &c)
            .is_ok());
    }

    #[test]
    fn email_and_slack_and_target_checks() {
        let c = Config::default();
        let msg = |m: Method, v: Value| m.validate(&v, &c).unwrap_err().to_string();
        assert_eq!(msg(Method::Email, json!({})), "Missing e-mail address");
        assert_eq!(
            msg(Method::Email, json!({"email": "nobody"})),
            "Invalid e-mail address"
        );
        assert!(Method::Email
            .validate(&json!({"email": "a@example.com"}), &c)
            .is_ok());
        assert_eq!(
            msg(Method::Slack, json!({"url": ""})),
            "Missing Slack Callback URL"
        );
        assert_eq!(msg(Method::QuayNotification, json!({})), "Missing target");
        assert_eq!(
            msg(Method::QuayNotification, json!({"target": {"name": "x"}})),
            "Missing target"
        );
        assert_eq!(
            Method::target(&json!({"target": {"kind": "team", "name": "owners"}})).unwrap(),
            TargetSpec {
                kind: TargetKind::Team,
                name: "owners".into()
            }
        );
    }

    #[test]
    fn slack_markup() {
        assert_eq!(
            format_for_slack(
                "Repository <a href=\"http://h/repository/ns/app\">ns/app</a> has\n  been \
                 pushed: <b>v1</b>, <i>x</i><br>next &amp; last"
            ),
            "Repository <http://h/repository/ns/app|ns/app> has been pushed: *v1*, _x_\nnext & last"
        );
        let p = slack_payload(
            Event::RepoPush,
            &json!({"repository": "ns/app", "homepage": "h", "updated_tags": ["v1"]}),
        );
        assert_eq!(p["text"], "Repository ns/app updated");
        assert_eq!(p["username"], "quayiobot");
        assert_eq!(p["attachments"][0]["color"], "good");
        assert_eq!(p["attachments"][0]["mrkdwn_in"], json!(["text"]));
    }
}
