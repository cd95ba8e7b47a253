//! What a clerk sends to register a sale.

use chrono::{DateTime, FixedOffset};
use poem_openapi::Object;
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Serialize, Deserialize, Object)]
#[oai(skip_serializing_if_is_none)]
#[serde(deny_unknown_fields)]
pub struct NewItem {
    /// GTIN-8/12/13/14 of the minimum package.
    pub barcode: String,
    /// Minimum packages.
    pub quantity: u32,
    /// 生产批号
    pub batch_no: Option<String>,
    /// 追溯码, kept as scanned.
    pub trace_code: Option<String>,
}

/// A buyer typed in by hand (no card at hand): flagged for review.
#[derive(Clone, Serialize, Deserialize, Object)]
#[serde(deny_unknown_fields)]
pub struct ManualBuyer {
    pub name: String,
    pub id_number: String,
}

impl std::fmt::Debug for ManualBuyer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("ManualBuyer { .. }")
    }
}

/// A sale: the buyer from a scan (`scan_token`) or typed in (`buyer`), and its items.
#[derive(Debug, Clone, Serialize, Deserialize, Object)]
#[oai(skip_serializing_if_is_none)]
#[serde(deny_unknown_fields)]
pub struct NewRegistration {
    pub scan_token: Option<String>,
    pub buyer: Option<ManualBuyer>,
    pub items: Vec<NewItem>,
    /// Prescription reference: lifts the per-sale cap, required for prescription-only drugs.
    pub prescription_no: Option<String>,
    /// When the clerk composed the sale (it may be sent later from a queue).
    pub client_time: Option<DateTime<FixedOffset>>,
}
