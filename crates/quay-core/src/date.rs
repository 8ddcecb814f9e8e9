//! Quay's wire formats for time.

use chrono::{DateTime, Utc};

/// RFC 2822 as Python's `email.utils.formatdate(usegmt=False)` writes it in UTC,
/// e.g. `Mon, 13 Dec 2021 11:41:16 -0000`.
pub fn format_rfc2822(t: DateTime<Utc>) -> String {
    t.format("%a, %d %b %Y %H:%M:%S -0000").to_string()
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    #[test]
    fn matches_python_formatdate() {
        let t = Utc.with_ymd_and_hms(2021, 12, 13, 11, 41, 16).unwrap();
        assert_eq!(format_rfc2822(t), "Mon, 13 Dec 2021 11:41:16 -0000");
        let t = Utc.with_ymd_and_hms(2024, 3, 1, 1, 2, 3).unwrap();
        assert_eq!(format_rfc2822(t), "Fri, 01 Mar 2024 01:02:03 -0000");
    }
}
