//! Pharmacy rows: `licence_number` is the key.

use shared::codes;
use std::collections::HashMap;

use shared::domain::Uscc;

use super::columns::{
    ColumnSpec, Parsed, RejectedRow, RowErrors, RowWarning, Schema, clean_code, clean_text,
    duplicate_message, locate_header, required_message, too_long_message,
};
use super::error::ImportFileError;
use super::sheet::Sheet;
use super::values::{PharmacyStatus, parse_pharmacy_status, parse_phone};

pub(crate) const NAME_MAX: usize = 100;
pub(crate) const LICENCE_MAX: usize = 50;
pub(crate) const DISTRICT_NAME_MAX: usize = 50;
pub(crate) const ADDRESS_MAX: usize = 200;

pub(crate) static SCHEMA: Schema = Schema {
    columns: &[
        ColumnSpec {
            field: "name",
            label: "药店名称",
            aliases: &["药店名", "企业名称", "零售药店名称", "pharmacy_name"],
        },
        ColumnSpec {
            field: "licence_number",
            label: "许可证编号",
            aliases: &[
                "许可证号",
                "许可证号码",
                "药品经营许可证编号",
                "药品经营许可证号",
                "经营许可证编号",
                "license_number",
                "licence_no",
                "license_no",
            ],
        },
        ColumnSpec {
            field: "uscc",
            label: "统一社会信用代码",
            aliases: &["社会信用代码", "信用代码", "credit_code"],
        },
        ColumnSpec {
            field: "district_code",
            label: "区划代码",
            aliases: &["行政区划代码", "区代码"],
        },
        ColumnSpec {
            field: "district",
            label: "所属区",
            aliases: &["所在区", "辖区", "区县", "所属区县", "district_name"],
        },
        ColumnSpec {
            field: "address",
            label: "地址",
            aliases: &["经营地址", "注册地址", "详细地址"],
        },
        ColumnSpec {
            field: "contact_phone",
            label: "联系电话",
            aliases: &["电话", "联系方式", "phone"],
        },
        ColumnSpec {
            field: "status",
            label: "状态",
            aliases: &["经营状态", "营业状态"],
        },
    ],
    required: &[
        &["name"],
        &["licence_number"],
        &["district_code", "district"],
    ],
};

/// Which district a pharmacy belongs to, as the file says it; the caller
/// resolves it against the district table.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum DistrictRef {
    /// A 6-digit administrative division code (区划代码).
    Code(String),
    /// A district name (所属区), e.g. "武昌区".
    Name(String),
}

/// A valid pharmacy row.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PharmacyRecord {
    pub name: String,
    /// Half-width, without spaces, ASCII letters upper-case.
    pub licence_number: String,
    /// Normalised (upper-case) code when given.
    pub uscc: Option<String>,
    /// The USCC's check character fails (an early pilot code, or a typo):
    /// store it flagged for review; a warning was reported for the row.
    pub uscc_flagged: bool,
    pub district: DistrictRef,
    pub address: String,
    /// Normalised phone number, or `""`.
    pub contact_phone: String,
    pub status: PharmacyStatus,
}

/// Validates every data row of a pharmacy sheet.
pub fn parse_pharmacies(sheet: &Sheet) -> Result<Parsed<PharmacyRecord>, ImportFileError> {
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
        let mut warnings = Vec::new();

        let name = e.text("name", "药店名称", cols.get(row, "name"), NAME_MAX, true);

        let licence_number = clean_code(cols.get(row, "licence_number")).to_ascii_uppercase();
        let mut licence_ok = false;
        if licence_number.is_empty() {
            e.push(
                "licence_number",
                codes::REQUIRED,
                required_message("许可证编号"),
            );
        } else if licence_number.chars().count() > LICENCE_MAX {
            e.push(
                "licence_number",
                codes::TOO_LONG,
                too_long_message("许可证编号", LICENCE_MAX),
            );
        } else {
            licence_ok = true;
        }
        if licence_ok {
            match first_row_of.get(&licence_number) {
                Some(&first) => e.push(
                    "licence_number",
                    codes::DUPLICATE_IN_FILE,
                    duplicate_message("许可证编号", first),
                ),
                None => {
                    first_row_of.insert(licence_number.clone(), row.row);
                }
            }
        }

        let mut uscc = None;
        let mut uscc_flagged = false;
        let raw_uscc = clean_code(cols.get(row, "uscc"));
        if !raw_uscc.is_empty() {
            match Uscc::parse_lenient(&raw_uscc) {
                Ok((code, checksum_warning)) => {
                    uscc = Some(code.as_str().to_owned());
                    if checksum_warning.is_some() {
                        uscc_flagged = true;
                        warnings.push(RowWarning {
                            row: row.row,
                            field: "uscc".to_owned(),
                            code: codes::USCC_CHECKSUM.code.to_owned(),
                            message:
                                "统一社会信用代码校验位不符，可能是早期试点代码，也可能填写有误；\
                                      已导入并标记待核查，请与营业执照核对"
                                    .to_owned(),
                        });
                    }
                }
                Err(_) => e.push(
                    "uscc",
                    codes::USCC_FORMAT,
                    "「统一社会信用代码」格式错误，应为18位数字或大写字母（不含I、O、S、V、Z），\
                     请对照营业执照修改该单元格；没有可留空",
                ),
            }
        }

        let district = parse_district(
            &mut e,
            cols.has("district_code"),
            cols.get(row, "district_code"),
            cols.get(row, "district"),
        );

        let address = e.text(
            "address",
            "地址",
            cols.get(row, "address"),
            ADDRESS_MAX,
            false,
        );

        let raw_phone = cols.get(row, "contact_phone");
        let contact_phone = if clean_text(raw_phone).is_empty() {
            String::new()
        } else {
            parse_phone(raw_phone).unwrap_or_else(|| {
                e.push(
                    "contact_phone",
                    codes::PHONE_INVALID,
                    "「联系电话」格式错误：请只填一个号码，手机号为1开头的11位数字，\
                     固定电话如 027-85551234（分机可写作 027-85551234-123）；\
                     若区号开头的0被 Excel 去掉，请把该列设为“文本”格式后重新填写",
                );
                String::new()
            })
        };

        let raw_status = cols.get(row, "status");
        let status = if clean_text(raw_status).is_empty() {
            PharmacyStatus::Active
        } else {
            parse_pharmacy_status(raw_status).unwrap_or_else(|| {
                e.push(
                    "status",
                    codes::STATUS_INVALID,
                    "「状态」只能填“正常”（active）或“停业”（suspended），留空视为正常",
                );
                PharmacyStatus::Active
            })
        };

        match (e.is_empty(), district) {
            (true, Some(district)) => {
                parsed.warnings.extend(warnings);
                parsed.records.push((
                    row.row,
                    PharmacyRecord {
                        name,
                        licence_number,
                        uscc,
                        uscc_flagged,
                        district,
                        address,
                        contact_phone,
                        status,
                    },
                ));
            }
            _ => parsed.rejected.push(RejectedRow {
                row: row.row,
                errors: e.0,
            }),
        }
    }
    Ok(parsed)
}

/// The district code wins when both columns are filled; an invalid code is
/// an error even when a name is there too (the two may disagree).
fn parse_district(
    e: &mut RowErrors,
    has_code_column: bool,
    raw_code: &str,
    raw_name: &str,
) -> Option<DistrictRef> {
    let code = clean_code(raw_code);
    let name = clean_text(raw_name);
    if !code.is_empty() {
        if code.len() == 6 && code.bytes().all(|b| b.is_ascii_digit()) {
            return Some(DistrictRef::Code(code));
        }
        e.push(
            "district_code",
            codes::DISTRICT_INVALID,
            "「区划代码」应为6位数字的行政区划代码，如 420106；\
             不清楚代码时可清空该单元格，在“所属区”列填写区名",
        );
        return None;
    }
    if !name.is_empty() {
        if name.chars().count() > DISTRICT_NAME_MAX {
            e.push(
                "district",
                codes::TOO_LONG,
                too_long_message("所属区", DISTRICT_NAME_MAX),
            );
            return None;
        }
        return Some(DistrictRef::Name(name));
    }
    let field = if has_code_column {
        "district_code"
    } else {
        "district"
    };
    e.push(
        field,
        codes::REQUIRED,
        "「区划代码」和「所属区」不能都为空，请填写6位区划代码或区名（如 武昌区）",
    );
    None
}
