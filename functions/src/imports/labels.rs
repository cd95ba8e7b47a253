//! How messages name a column: its Chinese label with the English name.

/// "许可证编号（licence_number）" for messages about a column.
pub(crate) fn label_of(field: &str) -> String {
    let label = match field {
        "name" => "名称",
        "licence_number" => "许可证编号",
        "uscc" => "统一社会信用代码",
        "district_code" => return "区划代码（district_code）或所属区（district）".to_owned(),
        "district" => "所属区",
        "address" => "地址",
        "contact_phone" => "联系电话",
        "status" => "状态",
        "barcode" => "条形码",
        "approval_number" => "批准文号",
        "strength" => "规格",
        "manufacturer" => "生产企业",
        "package_unit" => "包装单位",
        "special_category" => "特殊药品类别",
        "rx_only" => "处方药",
        "max_per_purchase" => "每次限购",
        "active" => "状态",
        other => return other.to_owned(),
    };
    format!("{label}（{field}）")
}
