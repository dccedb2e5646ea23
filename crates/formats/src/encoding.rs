//! Text encodings of hub extracts: MS932 (Windows Shift_JIS) or UTF-8.
//!
//! `encoding_rs` has no "cp932" label; its `SHIFT_JIS` decoder is the WHATWG one, which uses the
//! Microsoft mapping (wave dash → U+FF5E, NEC/IBM extensions), i.e. MS932 in practice.

use encoding_rs::SHIFT_JIS;

/// Encoding of one extract.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TextEncoding {
    /// MS932 / Windows-31J (municipal systems, claims, care plans).
    Ms932,
    /// UTF-8 without BOM.
    Utf8,
}

impl TextEncoding {
    /// Name for documentation.
    pub fn name(self) -> &'static str {
        match self {
            Self::Ms932 => "MS932 (Shift_JIS, Microsoft mapping)",
            Self::Utf8 => "UTF-8 (no BOM)",
        }
    }

    /// Append `text` encoded. Returns false if a character has no representation (e.g. an emoji
    /// in MS932); nothing is appended for that field then.
    pub fn encode_into(self, text: &str, out: &mut Vec<u8>) -> bool {
        if text.is_ascii() || self == Self::Utf8 {
            out.extend_from_slice(text.as_bytes());
            return true;
        }
        let (bytes, _, had_errors) = SHIFT_JIS.encode(text);
        if had_errors {
            return false;
        }
        out.extend_from_slice(&bytes);
        true
    }

    /// Decode one field; `None` if the bytes are not valid in this encoding.
    pub fn decode<'a>(self, bytes: &'a [u8]) -> Option<std::borrow::Cow<'a, str>> {
        // Both return the bytes borrowed when they are ASCII (encoding_rs checks that first).
        match self {
            Self::Utf8 => std::str::from_utf8(bytes).ok().map(std::borrow::Cow::Borrowed),
            Self::Ms932 => SHIFT_JIS.decode_without_bom_handling_and_without_replacement(bytes),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ms932_round_trips_japanese_and_rejects_unmappable() {
        let mut out = Vec::new();
        assert!(TextEncoding::Ms932.encode_into("ヤマダ　タロウ山田～①", &mut out));
        assert_eq!(TextEncoding::Ms932.decode(&out).unwrap(), "ヤマダ　タロウ山田～①");
        let mut out = Vec::new();
        assert!(!TextEncoding::Ms932.encode_into("😀", &mut out));
        // A lone lead byte is not valid MS932.
        assert!(TextEncoding::Ms932.decode(&[0x82]).is_none());
        assert!(TextEncoding::Utf8.decode(&[0xff]).is_none());
    }
}
