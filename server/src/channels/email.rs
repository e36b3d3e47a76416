//! Alert emails: one alert, or a digest of several, with plain-text and HTML bodies.

use super::Channels;
use app::backend::entities::alert;
use lettre::message::{header::ContentType, MultiPart, SinglePart};
use lettre::Message;

pub async fn send(channels: &Channels, to: &str, alerts: &[alert::Model]) -> Result<(), String> {
    if alerts.is_empty() {
        return Err("the alerts of this message are gone".into());
    }
    let subject = match alerts {
        [one] => one.title.clone(),
        many => format!("Tollgate: {} budget alerts", many.len()),
    };
    let mut text = String::new();
    let mut html = String::from("<div style=\"font-family:sans-serif\">");
    for a in alerts {
        let link = channels.link(a);
        text.push_str(&format!("{}\n{}\n{}\n\n", a.title, a.body, link));
        html.push_str(&format!(
            "<h3>{}</h3><p>{}</p><p><a href=\"{}\">Open in Tollgate</a></p>",
            escape(&a.title),
            escape(&a.body),
            escape(&link)
        ));
    }
    text.push_str("You receive this because you are a recipient of these budgets' alerts in Tollgate.\n");
    html.push_str("<p style=\"color:#666\">You receive this because you are a recipient of these budgets' alerts in Tollgate.</p></div>");
    let message = Message::builder()
        .from(channels.mail_from.clone())
        .to(to.parse().map_err(|e| format!("bad recipient address: {e}"))?)
        .subject(subject)
        .multipart(
            MultiPart::alternative()
                .singlepart(SinglePart::builder().header(ContentType::TEXT_PLAIN).body(text))
                .singlepart(SinglePart::builder().header(ContentType::TEXT_HTML).body(html)),
        )
        .map_err(|e| format!("could not build the message: {e}"))?;
    channels.mailer.send(message).await.map_err(|e| format!("SMTP: {e}"))
}

fn escape(text: &str) -> String {
    text.replace('&', "&amp;").replace('<', "&lt;").replace('>', "&gt;").replace('"', "&quot;")
}
