-- Regions as reference data, inspections and their photos.

-- GB/T 2260 province-level divisions: the first two digits of a resident ID
-- number must be one of these (or 81/82/83, or 9x; see shared/src/domain).
create table province (
    province_code  text primary key constraint province_code_format check (province_code ~ '^[0-9]{2}$'),
    name           text not null
);
insert into province (province_code, name) values
    ('11', '北京市'), ('12', '天津市'), ('13', '河北省'), ('14', '山西省'), ('15', '内蒙古自治区'),
    ('21', '辽宁省'), ('22', '吉林省'), ('23', '黑龙江省'),
    ('31', '上海市'), ('32', '江苏省'), ('33', '浙江省'), ('34', '安徽省'), ('35', '福建省'), ('36', '江西省'), ('37', '山东省'),
    ('41', '河南省'), ('42', '湖北省'), ('43', '湖南省'), ('44', '广东省'), ('45', '广西壮族自治区'), ('46', '海南省'),
    ('50', '重庆市'), ('51', '四川省'), ('52', '贵州省'), ('53', '云南省'), ('54', '西藏自治区'),
    ('61', '陕西省'), ('62', '甘肃省'), ('63', '青海省'), ('64', '宁夏回族自治区'), ('65', '新疆维吾尔自治区');

-- Wuhan (420100) and its 13 districts, GB/T 2260: every deployment serves them.
insert into district (district_code, name, city_code) values
    ('420102', '江岸区', '420100'), ('420103', '江汉区', '420100'), ('420104', '硚口区', '420100'),
    ('420105', '汉阳区', '420100'), ('420106', '武昌区', '420100'), ('420107', '青山区', '420100'),
    ('420111', '洪山区', '420100'), ('420112', '东西湖区', '420100'), ('420113', '汉南区', '420100'),
    ('420114', '蔡甸区', '420100'), ('420115', '江夏区', '420100'), ('420116', '黄陂区', '420100'),
    ('420117', '新洲区', '420100')
on conflict (district_code) do nothing;

create table inspection (
    inspection_id   uuid primary key,
    pharmacy_id     uuid not null constraint inspection_pharmacy_fkey references pharmacy (pharmacy_id),
    district_code   text not null constraint inspection_district_fkey references district (district_code),
    inspector_id    uuid not null constraint inspection_inspector_fkey references app_user (user_id),
    result          text not null constraint inspection_result_check check (result in ('compliant', 'issues_found')),
    findings        text not null default '',
    disposition     text not null constraint inspection_disposition_check check (disposition in ('none', 'rectify', 'warning', 'case_opened')),
    inspected_at    timestamptz not null,
    created_at      timestamptz not null default now(),
    -- a compliant visit has nothing to dispose of
    constraint inspection_disposition_consistent check (result = 'issues_found' or disposition = 'none')
);
create index inspection_pharmacy_idx on inspection (pharmacy_id, inspected_at desc);
create index inspection_district_idx on inspection (district_code, inspected_at desc);

create table inspection_photo (
    photo_id        uuid primary key,
    uploaded_by     uuid not null constraint inspection_photo_uploader_fkey references app_user (user_id),
    district_code   text,
    inspection_id   uuid constraint inspection_photo_inspection_fkey references inspection (inspection_id),
    object_key      text not null,
    thumbnail_key   text not null,
    width           integer not null,
    height          integer not null,
    bytes           integer not null,
    created_at      timestamptz not null default now()
);
create index inspection_photo_inspection_idx on inspection_photo (inspection_id);
