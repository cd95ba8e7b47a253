//! Scans (SPEC §4.3): an ID card or social-security card, read by a card
//! reader at the counter (JSON) or photographed (multipart `image`, sent to
//! WeChat OCR). The validated identity waits in Redis under a `scan_token`
//! usable only by the clerk who scanned; the answer is masked.

pub mod api;
pub mod identity;
pub mod photo;
pub mod upload;
