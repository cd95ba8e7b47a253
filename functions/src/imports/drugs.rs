//! Drug rows: `barcode` is the key.

use shared::codes;
use std::collections::HashMap;

use shared::domain::{ApprovalNumber, BarcodeError, Gtin};

use super::columns::{
    ColumnSpec, Parsed, RejectedRow, RowErrors, Schema, clean_code, clean_text, duplicate_message,
    locate_header, required_message,
};
use super::error::ImportFileError;
use super::sheet::Sheet;
use super::values::{parse_active, parse_category, parse_max_per_purchase, parse_rx};

pub(crate) const NAME_MAX: usize = 100;
pub(crate) const STRENGTH_MAX: usize = 100;
pub(crate) const MANUFACTURER_MAX: usize = 200;
pub(crate) const PACKAGE_UNIT_MAX: usize = 10;
/// Stored when the package unit cell is empty (the column's default).
pub const DEFAULT_PACKAGE_UNIT: &str = "盒";

pub(crate) static SCHEMA: Schema = Schema {
    columns: &[
        ColumnSpec {
            field: "barcode",
            label: "条形码",
            aliases: &["条码", "商品条码", "药品条码", "药品条形码", "gtin"],
        },
        ColumnSpec {
            field: "approval_number",
            label: "批准文号",
            aliases: &["药品批准文号", "国药准字", "approval_no"],
        },
        ColumnSpec {
            field: "name",
            label: "药品名称",
            aliases: &["通用名称", "通用名", "药品通用名称", "品名", "drug_name"],
        },
        ColumnSpec {
            field: "strength",
            label: "规格",
            aliases: &["药品规格", "规格型号", "specification"],
        },
        ColumnSpec {
            field: "manufacturer",
            label: "生产企业",
            aliases: &["生产厂家", "生产单位", "厂家", "上市许可持有人"],
        },
        ColumnSpec {
            field: "package_unit",
            label: "包装单位",
            aliases: &["单位", "unit"],
        },
        ColumnSpec {
            field: "special_category",
            label: "特殊药品类别",
            aliases: &["特殊药品分类", "category"],
        },
        ColumnSpec {
            field: "rx_only",
            label: "处方药",
            aliases: &["是否处方药", "处方药标识", "rx"],
        },
        ColumnSpec {
            field: "max_per_purchase",
            label: "每次限购",
            aliases: &["每次限购数量", "限购数量", "限购"],
        },
        ColumnSpec {
            field: "active",
            label: "状态",
            aliases: &["是否启用", "启用", "status"],
        },
    ],
    required: &[
        &["barcode"],
        &["approval_number"],
        &["name"],
        &["special_category"],
    ],
};

/// A valid drug row.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DrugRecord {
    /// GTIN digits.
    pub barcode: String,
    /// Normalised, e.g. `国药准字H20044578`.
    pub approval_number: String,
    pub name: String,
    pub strength: String,
    pub manufacturer: String,
    /// [`DEFAULT_PACKAGE_UNIT`] when the cell is empty.
    pub package_unit: String,
    /// `ephedrine`, `codeine`, `diphenoxylate` or `liquorice`.
    pub special_category: &'static str,
    pub rx_only: bool,
    pub max_per_purchase: Option<i32>,
    pub active: bool,
}

/// Validates every data row of a drug sheet.
pub fn parse_drugs(sheet: &Sheet) -> Result<Parsed<DrugRecord>, ImportFileError> {
    let (mut cols, rows) = locate_header(sheet, &SCHEMA)?;
    let mut parsed = Parsed {
        records: Vec::with_capacity(rows.len()),
        rejected: Vec::new(),
        warnings: Vec::new(),
        unknown_columns: std::mem::take(&mut cols.unknown),
    };
    let mut first_row_of: HashMap<String, usize> = HashMap::new();

    for row in rows {
        let mut e = RowErrors::default();

        let raw_barcode = clean_code(cols.get(row, "barcode"));
        let mut barcode = String::new();
        if raw_barcode.is_empty() {
            e.push("barcode", codes::REQUIRED, required_message("条形码"));
        } else {
            match Gtin::parse(&raw_barcode) {
                Ok(gtin) => barcode = gtin.as_str().to_owned(),
                Err(err) => e.push(
                    "barcode",
                    codes::BARCODE_INVALID,
                    barcode_message(&raw_barcode, err),
                ),
            }
        }
        if !barcode.is_empty() {
            match first_row_of.get(&barcode) {
                Some(&first) => e.push(
                    "barcode",
                    codes::DUPLICATE_IN_FILE,
                    duplicate_message("条形码", first),
                ),
                None => {
                    first_row_of.insert(barcode.clone(), row.row);
                }
            }
        }

        let raw_approval = clean_code(cols.get(row, "approval_number"));
        let mut approval_number = String::new();
        if raw_approval.is_empty() {
            e.push(
                "approval_number",
                codes::REQUIRED,
                required_message("批准文号"),
            );
        } else {
            match ApprovalNumber::parse(&raw_approval) {
                Ok(n) => approval_number = n.as_str().to_owned(),
                Err(_) => e.push(
                    "approval_number",
                    codes::APPROVAL_NUMBER_INVALID,
                    "「批准文号」格式错误，应为“国药准字”加一位字母（H、Z、S、J）和8位数字，\
                     如 国药准字H20044578，请对照药品说明书修改该单元格",
                ),
            }
        }

        let name = e.text("name", "药品名称", cols.get(row, "name"), NAME_MAX, true);
        let strength = e.text(
            "strength",
            "规格",
            cols.get(row, "strength"),
            STRENGTH_MAX,
            false,
        );
        let manufacturer = e.text(
            "manufacturer",
            "生产企业",
            cols.get(row, "manufacturer"),
            MANUFACTURER_MAX,
            false,
        );
        let mut package_unit = e.text(
            "package_unit",
            "包装单位",
            cols.get(row, "package_unit"),
            PACKAGE_UNIT_MAX,
            false,
        );
        if package_unit.is_empty() {
            package_unit = DEFAULT_PACKAGE_UNIT.to_owned();
        }

        let raw_category = cols.get(row, "special_category");
        let special_category = if clean_text(raw_category).is_empty() {
            e.push(
                "special_category",
                codes::REQUIRED,
                required_message("特殊药品类别"),
            );
            ""
        } else {
            parse_category(raw_category).unwrap_or_else(|| {
                e.push(
                    "special_category",
                    codes::CATEGORY_INVALID,
                    "「特殊药品类别」只能填：含麻黄碱类（ephedrine）、含可待因口服液体（codeine）、\
                     复方地芬诺酯片（diphenoxylate）、复方甘草片（liquorice）之一",
                );
                ""
            })
        };

        let raw_rx = cols.get(row, "rx_only");
        let rx_only = if clean_text(raw_rx).is_empty() {
            false
        } else {
            parse_rx(raw_rx).unwrap_or_else(|| {
                e.push(
                    "rx_only",
                    codes::BOOL_INVALID,
                    "「处方药」只能填“是”或“否”（也可填 true/false、1/0、Y/N），留空视为否",
                );
                false
            })
        };

        let raw_cap = cols.get(row, "max_per_purchase");
        let max_per_purchase = if clean_text(raw_cap).is_empty() {
            None
        } else {
            let cap = parse_max_per_purchase(raw_cap);
            if cap.is_none() {
                e.push(
                    "max_per_purchase",
                    codes::MAX_PER_PURCHASE_INVALID,
                    "「每次限购」应为正整数（如 2，不带单位），不单独限购请留空",
                );
            }
            cap
        };

        let raw_active = cols.get(row, "active");
        let active = if clean_text(raw_active).is_empty() {
            true
        } else {
            parse_active(raw_active).unwrap_or_else(|| {
                e.push(
                    "active",
                    codes::BOOL_INVALID,
                    "「状态」只能填“正常”或“停用”（也可填 是/否、active/inactive），留空视为正常",
                );
                true
            })
        };

        if e.is_empty() {
            parsed.records.push((
                row.row,
                DrugRecord {
                    barcode,
                    approval_number,
                    name,
                    strength,
                    manufacturer,
                    package_unit,
                    special_category,
                    rx_only,
                    max_per_purchase,
                    active,
                },
            ));
        } else {
            parsed.rejected.push(RejectedRow {
                row: row.row,
                errors: e.0,
            });
        }
    }
    Ok(parsed)
}

fn barcode_message(raw: &str, err: BarcodeError) -> &'static str {
    let scientific = raw.contains(['E', 'e']) && raw.contains(['+', '.']);
    match err {
        BarcodeError::Format if scientific => {
            "「条形码」被 Excel 显示成了科学计数法（如 6.90123E+12），数字已丢失：\
             请把该列设为“文本”格式，重新填写完整的条形码后再导入"
        }
        BarcodeError::Format => {
            "「条形码」应为8、12、13或14位数字（不含空格、字母），请对照药品包装修改该单元格"
        }
        BarcodeError::Checksum => {
            "「条形码」校验位不正确，可能有数字录错，请对照药品包装核对该单元格"
        }
    }
}
