//! [`Sensitive<T>`]: a raw identifier (name, insured number, birth date) that cannot leak
//! through `Debug` or `Display`.

/// Wraps a value from a person's record. `Debug` and `Display` print `[redacted]`, so an error
/// message, a log line or a panic cannot carry the value by accident; code that needs the value
/// asks for it explicitly with [`Sensitive::expose`].
#[derive(Clone, Default, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Sensitive<T>(T);

impl<T> Sensitive<T> {
    /// Wrap a value.
    pub fn new(value: T) -> Self {
        Self(value)
    }

    /// The raw value. Call sites are the places to review for leaks.
    pub fn expose(&self) -> &T {
        &self.0
    }

    /// Unwrap.
    pub fn into_inner(self) -> T {
        self.0
    }
}

impl<T> std::fmt::Debug for Sensitive<T> {
    fn fmt(&self, formatter: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        formatter.write_str("[redacted]")
    }
}

impl<T> std::fmt::Display for Sensitive<T> {
    fn fmt(&self, formatter: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        formatter.write_str("[redacted]")
    }
}

impl<T> From<T> for Sensitive<T> {
    fn from(value: T) -> Self {
        Self(value)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn debug_and_display_redact() {
        let name = Sensitive::new("ヤマダ タロウ".to_string());
        assert_eq!(format!("{name:?} {name}"), "[redacted] [redacted]");
        assert_eq!(format!("{:?}", Some(name.clone())), "Some([redacted])");
        assert_eq!(name.expose(), "ヤマダ タロウ");
    }
}
