//! The sales rules of SPEC §4.2 as plain functions, testable without HTTP or a
//! database. The handler gathers the facts (buyer, sale date, catalogue rows,
//! packages already bought in the window) and asks these functions.

use chrono::NaiveDate;
use shared::codes::{self, Code};
use shared::{
    ApiError,
    alerts::AlertKind,
    config::{Policy, WindowAction},
    domain::ResidentIdNumber,
};

use crate::drugs::repo::DrugRow;

/// One line of a sale, its drug resolved from the catalogue.
#[derive(Debug, Clone)]
pub struct Line {
    pub drug: DrugRow,
    pub quantity: u32,
    pub batch_no: Option<String>,
    pub trace_code: Option<String>,
}

/// Why a sale is refused. Each has a stable code; some raise an alert.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Refusal {
    DrugInactive {
        line: usize,
    },
    Minor {
        age: u32,
    },
    PrescriptionRequired {
        line: usize,
    },
    PurchaseLimit {
        total: u32,
        limit: u32,
        line: Option<usize>,
    },
    WindowLimit {
        already: i64,
        requested: u32,
        limit: u32,
        days: u32,
    },
    PharmacySuspended,
}

impl Refusal {
    pub fn code(&self) -> Code {
        match self {
            Refusal::DrugInactive { .. } => codes::DRUG_INACTIVE,
            Refusal::Minor { .. } => codes::MINOR_NOT_ALLOWED,
            Refusal::PrescriptionRequired { .. } => codes::PRESCRIPTION_REQUIRED,
            Refusal::PurchaseLimit { .. } => codes::PURCHASE_LIMIT_EXCEEDED,
            Refusal::WindowLimit { .. } => codes::WINDOW_LIMIT_EXCEEDED,
            Refusal::PharmacySuspended => codes::PHARMACY_SUSPENDED,
        }
    }

    pub fn alert(&self) -> Option<AlertKind> {
        match self {
            Refusal::Minor { .. } => Some(AlertKind::MinorAttempt),
            Refusal::WindowLimit { .. } => Some(AlertKind::WindowLimit),
            _ => None,
        }
    }

    /// Facts for the refused-attempt record and the alert: numbers only.
    pub fn detail(&self) -> serde_json::Value {
        use serde_json::json;
        match self {
            Refusal::DrugInactive { line } | Refusal::PrescriptionRequired { line } => {
                json!({ "line": line })
            }
            Refusal::Minor { age } => json!({ "age": age }),
            Refusal::PurchaseLimit { total, limit, .. } => {
                json!({ "total": total, "limit": limit })
            }
            Refusal::WindowLimit {
                already,
                requested,
                limit,
                days,
            } => {
                json!({ "already": already, "requested": requested, "limit": limit, "days": days })
            }
            Refusal::PharmacySuspended => json!({}),
        }
    }

    /// The error the clerk sees: what happened and what to do next.
    pub fn to_error(&self) -> ApiError {
        let e = |title: String| ApiError::unprocessable(self.code(), "").with_title(title);
        match self {
            Refusal::DrugInactive { line } => e("该药品已停用，不能销售".into()).field(
                format!("items[{line}].barcode"),
                codes::DRUG_INACTIVE,
                "该药品已停用",
            ),
            Refusal::Minor { .. } => e("购买人未满 18 周岁，不能销售含特殊药品复方制剂".into()),
            Refusal::PrescriptionRequired { line } => {
                e("该药品为处方药，请填写处方编号后再登记".into())
                    .field(
                        "prescription_no",
                        codes::PRESCRIPTION_REQUIRED,
                        "请填写处方编号",
                    )
                    .field(
                        format!("items[{line}].barcode"),
                        codes::PRESCRIPTION_REQUIRED,
                        "处方药",
                    )
            }
            Refusal::PurchaseLimit { total, limit, line } => {
                let err = e(format!(
                    "无处方每次最多销售 {limit} 个最小包装，本次 {total} 个，请减少数量"
                ));
                match line {
                    Some(l) => err.field(
                        format!("items[{l}].quantity"),
                        codes::PURCHASE_LIMIT_EXCEEDED,
                        format!("该药品每次最多 {limit} 个"),
                    ),
                    None => err,
                }
            }
            Refusal::WindowLimit {
                already,
                limit,
                days,
                ..
            } => e(format!(
                "该购买人 {days} 天内已在各药店购买 {already} 个包装，超过上限 {limit} 个，不能继续销售"
            )),
            Refusal::PharmacySuspended => e("本药店已停业，不能登记销售".into()),
        }
    }
}

/// Rules that depend on this sale alone: catalogue state, age, prescription,
/// per-sale cap. Checked in this order; the first that fails is returned.
pub fn check_sale(
    policy: &Policy,
    buyer: &ResidentIdNumber,
    sale_date: NaiveDate,
    lines: &[Line],
    prescription_no: Option<&str>,
) -> Result<(), Refusal> {
    if let Some(line) = lines.iter().position(|l| !l.drug.active) {
        return Err(Refusal::DrugInactive { line });
    }
    let age = buyer.age_on(sale_date);
    if policy.refuse_minors && age < 18 {
        return Err(Refusal::Minor { age });
    }
    if prescription_no.is_none() {
        if let Some(line) = lines.iter().position(|l| l.drug.rx_only) {
            return Err(Refusal::PrescriptionRequired { line });
        }
        let total = total_packages(lines);
        if total > policy.per_sale_limit {
            return Err(Refusal::PurchaseLimit {
                total,
                limit: policy.per_sale_limit,
                line: None,
            });
        }
        // A product's own cap, where stricter, applies to its packages in this sale.
        for (i, l) in lines.iter().enumerate() {
            if let Some(cap) = l.drug.max_per_purchase {
                let of_this: u32 = lines
                    .iter()
                    .filter(|o| o.drug.drug_id == l.drug.drug_id)
                    .map(|o| o.quantity)
                    .sum();
                if of_this > cap as u32 {
                    return Err(Refusal::PurchaseLimit {
                        total: of_this,
                        limit: cap as u32,
                        line: Some(i),
                    });
                }
            }
        }
    }
    Ok(())
}

pub fn total_packages(lines: &[Line]) -> u32 {
    lines.iter().map(|l| l.quantity).sum()
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum WindowOutcome {
    Within,
    /// Over the limit and the policy says register and alert.
    ExceededAlert(Refusal),
    /// Over the limit and the policy says refuse (and alert).
    ExceededBlock(Refusal),
}

/// The rolling-window rule, given what the buyer bought in the window.
pub fn check_window(policy: &Policy, already: i64, requested: u32) -> WindowOutcome {
    if already + i64::from(requested) <= i64::from(policy.window_limit) {
        return WindowOutcome::Within;
    }
    let refusal = Refusal::WindowLimit {
        already,
        requested,
        limit: policy.window_limit,
        days: policy.window_days,
    };
    match policy.window_action {
        WindowAction::Block => WindowOutcome::ExceededBlock(refusal),
        WindowAction::Alert => WindowOutcome::ExceededAlert(refusal),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use uuid::Uuid;

    fn drug(rx: bool, cap: Option<i32>, active: bool) -> DrugRow {
        DrugRow {
            drug_id: Uuid::new_v4(),
            barcode: "6901234567892".into(),
            approval_number: "国药准字H10900089".into(),
            name: "复方盐酸伪麻黄碱缓释胶囊".into(),
            strength: "10粒".into(),
            manufacturer: "某药业".into(),
            package_unit: "盒".into(),
            special_category: crate::drugs::repo::SpecialCategory::Ephedrine,
            rx_only: rx,
            max_per_purchase: cap,
            active,
        }
    }

    fn line(d: &DrugRow, q: u32) -> Line {
        Line {
            drug: d.clone(),
            quantity: q,
            batch_no: None,
            trace_code: None,
        }
    }

    const DAY: fn() -> NaiveDate = || NaiveDate::from_ymd_opt(2026, 11, 22).unwrap();

    fn adult() -> ResidentIdNumber {
        ResidentIdNumber::parse_on("11010519491231002X", DAY()).unwrap()
    }

    #[test]
    fn per_sale_cap_counts_all_lines_and_a_prescription_lifts_it() {
        let p = Policy::default();
        let d = drug(false, None, true);
        assert_eq!(
            check_sale(&p, &adult(), DAY(), &[line(&d, 2)], None),
            Ok(())
        );
        assert_eq!(
            check_sale(&p, &adult(), DAY(), &[line(&d, 1), line(&d, 2)], None)
                .unwrap_err()
                .code(),
            "PURCHASE_LIMIT_EXCEEDED"
        );
        assert_eq!(
            check_sale(&p, &adult(), DAY(), &[line(&d, 3)], Some("RX-1")),
            Ok(())
        );
        let strict = drug(false, Some(1), true);
        assert_eq!(
            check_sale(&p, &adult(), DAY(), &[line(&strict, 2)], None),
            Err(Refusal::PurchaseLimit {
                total: 2,
                limit: 1,
                line: Some(0)
            })
        );
    }

    #[test]
    fn prescription_only_drugs_need_a_prescription() {
        let p = Policy::default();
        let rx = drug(true, None, true);
        assert_eq!(
            check_sale(&p, &adult(), DAY(), &[line(&rx, 1)], None),
            Err(Refusal::PrescriptionRequired { line: 0 })
        );
        assert_eq!(
            check_sale(&p, &adult(), DAY(), &[line(&rx, 1)], Some("RX-7")),
            Ok(())
        );
    }

    #[test]
    fn minors_are_refused_on_the_sale_date() {
        let p = Policy::default();
        let d = drug(false, None, true);
        // Born 2008-11-23: 17 on 2026-11-22, 18 the next day.
        let id = {
            let base = "11010520081123001";
            let w = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2];
            let s: u32 = base
                .chars()
                .zip(w)
                .map(|(c, w)| c.to_digit(10).unwrap() * w)
                .sum();
            let check = ['1', '0', 'X', '9', '8', '7', '6', '5', '4', '3', '2'][(s % 11) as usize];
            ResidentIdNumber::parse_on(&format!("{base}{check}"), DAY()).unwrap()
        };
        assert_eq!(
            check_sale(&p, &id, DAY(), &[line(&d, 1)], None),
            Err(Refusal::Minor { age: 17 })
        );
        assert_eq!(
            check_sale(&p, &id, DAY().succ_opt().unwrap(), &[line(&d, 1)], None),
            Ok(())
        );
        let lenient = Policy {
            refuse_minors: false,
            ..Policy::default()
        };
        assert_eq!(
            check_sale(&lenient, &id, DAY(), &[line(&d, 1)], None),
            Ok(())
        );
        assert_eq!(
            Refusal::Minor { age: 17 }.alert(),
            Some(AlertKind::MinorAttempt)
        );
    }

    #[test]
    fn inactive_drugs_are_refused() {
        let d = drug(false, None, false);
        assert_eq!(
            check_sale(&Policy::default(), &adult(), DAY(), &[line(&d, 1)], None)
                .unwrap_err()
                .code(),
            "DRUG_INACTIVE"
        );
    }

    #[test]
    fn the_window_blocks_or_alerts() {
        let p = Policy::default();
        assert_eq!(check_window(&p, 3, 2), WindowOutcome::Within);
        assert!(matches!(
            check_window(&p, 4, 2),
            WindowOutcome::ExceededBlock(_)
        ));
        let alerting = Policy {
            window_action: WindowAction::Alert,
            ..Policy::default()
        };
        assert!(matches!(
            check_window(&alerting, 5, 1),
            WindowOutcome::ExceededAlert(_)
        ));
    }
}
